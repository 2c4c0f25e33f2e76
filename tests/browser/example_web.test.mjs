// examples/web driven in Chromium as a user would: open, bulk load 10,000 records, search by
// prefix, take an "as of" snapshot while the live tail keeps writing, export and import in a
// second browser profile, and a screenshot of the rendered page whose stats panel shows numbers
// (read from the DOM); and the page's explanation when the browser lacks what a backend needs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { record } from '../../examples/web/records.mjs';
import { root, session } from './harness.mjs';

const N = 10000;
const PAGE = 'examples/web/index.html';
const expectedCount = (prefix, n) => { let c = 0; for (let i = 0; i < n; i++) if (record(i).key.startsWith(prefix)) c++; return c; };

async function openPage(s, backend, { before } = {}) {
  const page = await s.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e?.stack || e}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console.error: ${m.text()}`); });
  if (before) await page.addInitScript(before);
  await page.goto(s.url(`${PAGE}?n=${N}&backend=${backend}`));
  await page.waitForFunction(() => ['open', 'unsupported'].includes(document.body.dataset.state), null, { timeout: 15000 });
  return { page, errors };
}

// The page on `backend`, which Chromium offers: it must open (no fallback).
async function openOn(s, backend) {
  const { page, errors } = await openPage(s, backend);
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'open', await page.textContent('#banner'));
  return { page, errors, backend };
}

const count = (page, id) => page.evaluate((i) => Number(document.getElementById(i).dataset.count), id);
async function searchFor(page, prefix) {
  await page.fill('#prefix', prefix);
  await page.waitForFunction((p) => document.body.dataset.searched === p, prefix, { timeout: 10000 });
}

test('example_web_loads_searches_reads_as_of_and_shows_stats', { timeout: 60000 }, async (t) => {
  const s = await session(t);
  const { page, errors, backend } = await openOn(s, 'idb');
  assert.equal(await count(page, 'count-now'), 0, 'a fresh profile starts empty');

  // bulk load with the progress bar reaching the end
  await page.click('#load');
  await page.waitForFunction(() => document.body.dataset.state === 'loaded', null, { timeout: 30000 });
  assert.equal(await page.evaluate(() => document.getElementById('progress').value), N);
  assert.match(await page.textContent('#load-status'), /loaded 10,000 records/);

  // prefix search: one hour of the log, then everything
  const hour = '2026-11-30T01';
  await searchFor(page, hour);
  assert.equal(await count(page, 'count-now'), expectedCount(hour, N));
  assert.equal(await page.locator('#results-now li').count(), 50);
  const first = await page.textContent('#results-now li:first-child .k');
  assert.ok(first.startsWith(hour), first);

  // "as of": the snapshot keeps 10,000 records while the live tail writes more
  await page.click('#snapshot');
  await page.waitForFunction((n) => Number(document.getElementById('tail-status').textContent.replace(/\D/g, '')) >= n + 60, N, { timeout: 10000 });
  await searchFor(page, '2026');
  assert.equal(await count(page, 'count-asof'), N, 'the snapshot sees the records of its moment');
  const now = await count(page, 'count-now');
  assert.ok(now >= N + 60, `the live view sees the new writes (${now})`);
  await page.uncheck('#tail');

  // the stats panel, read from the DOM
  await page.waitForFunction(() => document.body.dataset.stats === 'ready');
  await page.waitForTimeout(1100); // one refresh after the last writes
  const stats = await page.evaluate(() => ({
    backend: document.getElementById('stat-backend').textContent,
    hit: document.getElementById('stat-hit-rate').textContent,
    wamp: document.getElementById('stat-wamp').textContent,
    seqno: document.getElementById('stat-seqno').textContent,
    levels: [...document.querySelectorAll('#stat-levels rect')].map((r) => Number(r.dataset.bytes)),
  }));
  assert.match(stats.backend, new RegExp(`^${backend} \\(single-threaded build\\)`));
  assert.match(stats.hit, /^\d+(\.\d)? % of [\d,]+ block lookups$/);
  assert.match(stats.wamp, /^\d+\.\d\dx \([\d.]+ (KiB|MiB) written by the app\)$/);
  assert.ok(Number(stats.seqno.replace(/\D/g, '')) >= N / 1000, `one sequence number per batch at least: ${stats.seqno}`);
  assert.equal(stats.levels.length, 7);
  assert.ok(stats.levels.some((b) => b > 0), `a level holds the flushed tables: ${stats.levels}`);

  // the screenshot: a real PNG of the whole page, of a rendered size
  const shot = path.join(root, 'build/example-web.png');
  fs.mkdirSync(path.dirname(shot), { recursive: true });
  await page.screenshot({ path: shot, fullPage: true });
  const png = fs.readFileSync(shot);
  assert.equal(png.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'a PNG');
  const width = png.readUInt32BE(16), height = png.readUInt32BE(20);
  assert.ok(width >= 800 && height >= 600, `${width}x${height}`);
  assert.ok(png.length > 30000, `the page has content (${png.length} bytes)`);

  // the backend switch: OPFS is another store (empty here), and back on the first backend every
  // record written so far is still there
  await searchFor(page, '2026-');
  const written = await count(page, 'count-now');
  {
    const other = 'opfs';
    await page.selectOption('#backend', other);
    await page.click('#open');
    await page.waitForFunction(() => document.body.dataset.state !== 'open', null, { timeout: 5000 }).catch(() => {});
    await page.waitForFunction(() => ['open', 'unsupported'].includes(document.body.dataset.state), null, { timeout: 15000 });
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'open', await page.textContent('#banner'));
    await page.waitForFunction((b) => document.getElementById('stat-backend').textContent.startsWith(b), other, { timeout: 5000 });
    assert.equal(await count(page, 'count-now'), 0, `${other} holds nothing yet`);
    await page.selectOption('#backend', backend);
    await page.click('#open');
    await page.waitForFunction((b) => document.body.dataset.state === 'open' && document.getElementById('stat-backend').textContent.startsWith(b), backend, { timeout: 15000 });
    await searchFor(page, '2026');
    assert.equal(await count(page, 'count-now'), written, `${backend} kept every record across the switch`);
  }

  // export: the downloaded file is an image that Node's importDatabase() opens with every record
  assert.equal(await page.isEnabled('#export'), true, 'the page offers export');
  assert.equal(await page.isEnabled('#import'), true, 'and import');
  assert.equal(await page.textContent('#image-note'), '');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
  assert.equal(download.suggestedFilename(), 'web-example-logs.strata');
  const file = path.join(s.profileDir, 'export.strata');
  await download.saveAs(file);
  await page.waitForFunction(() => /^exported [\d.]+ (KiB|MiB) to web-example-logs\.strata$/.test(document.getElementById('image-status').textContent));
  const { importDatabase, open } = await import('../../bindings/js/src/index.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-example-import-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  await importDatabase(path.join(dir, 'db'), fs.readFileSync(file));
  const db = await open(path.join(dir, 'db'), { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  const keys = await db.keys().all();
  assert.equal(keys.length, written, 'the image holds every record the page wrote');
  assert.equal(keys[0], record(0).key);
  assert.equal(await db.get(record(1234).key), record(1234).value);
  await db.close();

  // import in a second browser profile
  const s2 = await session(t);
  const other = await openOn(s2, backend);
  await other.page.setInputFiles('#import', file);
  await other.page.waitForFunction(() => /imported/.test(document.getElementById('image-status').textContent) && document.body.dataset.state === 'open', null, { timeout: 15000 });
  await searchFor(other.page, '2026');
  assert.equal(await count(other.page, 'count-now'), written, 'the imported database holds every record of the export');
  assert.deepEqual(errors, []);
});

// A browser without what a backend needs (taken away before the page's scripts run): the page
// says so in its banner, names what is missing and the way out, offers no actions on the
// database, and the switch to memory then works.
test('example_web_explains_a_backend_the_browser_lacks_and_switches_to_memory', { timeout: 30000 }, async (t) => {
  const s = await session(t);
  const cases = [
    ['opfs', () => { Object.defineProperty(StorageManager.prototype, 'getDirectory', { value: undefined, configurable: true }); },
      /^The OPFS backend needs the Origin Private File System \(navigator\.storage\.getDirectory\), which this browser lacks\. Try IndexedDB or memory\.$/],
    ['idb', () => { Object.defineProperty(globalThis, 'indexedDB', { value: undefined, configurable: true }); },
      /^The IndexedDB backend needs IndexedDB, which this browser lacks here \(private browsing\?\)\. Try OPFS or memory\.$/],
  ];
  for (const [backend, takeAway, message] of cases) {
    const { page, errors } = await openPage(s, backend, { before: takeAway });
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'unsupported', `${backend}: refused`);
    assert.equal(await page.isVisible('#banner'), true);
    assert.match(await page.textContent('#banner'), message);
    for (const id of ['#load', '#prefix', '#snapshot', '#export']) assert.equal(await page.isDisabled(id), true, `${backend}: ${id} is disabled`);
    await page.selectOption('#backend', 'memory');
    await page.click('#open');
    await page.waitForFunction(() => document.body.dataset.state === 'open', null, { timeout: 15000 });
    assert.equal(await page.isVisible('#banner'), false, 'the banner is gone once a backend opens');
    assert.match(await page.textContent('#stat-backend'), /^memory /);
    assert.deepEqual(errors, []);
    await page.close();
  }
});

async function openIsolated(t) {
  const s = await session(t);
  const page = await s.context.newPage();
  await page.goto(s.url(`${PAGE}?n=1000&backend=memory`, { isolated: true }));
  await page.waitForFunction(() => document.body.dataset.state === 'open' && document.body.dataset.stats === 'ready', null, { timeout: 20000 });
  return page;
}

test('example_web_runs_the_pthreads_build_when_served_with_coop_coep', { timeout: 30000 }, async (t) => {
  const page = await openIsolated(t);
  assert.equal(await page.evaluate(() => globalThis.crossOriginIsolated), true);
  assert.match(await page.textContent('#stat-backend'), /^memory \(pthreads build\)$/);
  assert.match(await page.textContent('#isolation'), /^cross-origin isolated/);
  await page.click('#load');
  await page.waitForFunction(() => document.body.dataset.state === 'loaded', null, { timeout: 20000 });
  assert.match(await page.textContent('#load-status'), /loaded 1,000 records/);
});

// In the pthreads build wasm memory is a SharedArrayBuffer, which TextDecoder refuses: every
// utf8 read (the search's keys and values) proves codecs.js copies before decoding.
test('example_web_searches_in_the_pthreads_build', { timeout: 30000 }, async (t) => {
  const page = await openIsolated(t);
  await page.click('#load');
  await page.waitForFunction(() => document.body.dataset.state === 'loaded', null, { timeout: 20000 });
  await searchFor(page, '2026');
  assert.equal(await page.isVisible('#banner'), false, await page.textContent('#banner'));
  assert.equal(await count(page, 'count-now'), 1000);
});
