// Database images across every build (docs/IMAGE.md): an image exported in Chromium (the wasm
// engine on its memory backend) imports in Node, natively and under WASI, and the image those
// export opens in Chromium again with identical contents: browser -> Node -> native CLI -> WASI
// CLI -> browser: first on the memory backend (bundled with esbuild), then through the browser
// entry from a database on OPFS and one on IndexedDB, each image imported at the end into OPFS
// and into IndexedDB. Each image holds tables, journal-only writes and one version: a snapshot
// open during the export does not come along, and the imported folder has one manifest slot.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { importDatabase, open } from '../../bindings/js/src/index.js';
import { root, session } from './harness.mjs';

// The fixture as one ES module for the page (esbuild; the engine's glue stays external).
const FIX = 'bindings/js/dist/image_fixture.bundle.mjs';
async function bundleFixture() {
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [path.join(root, 'tests/browser/image_fixture.mjs')],
    outfile: path.join(root, FIX),
    bundle: true, format: 'esm', platform: 'browser', logLevel: 'silent',
    external: ['*strata.mjs', 'node:*'],
  });
}
const nativeTool = path.join(root, 'build/native/strata');

function run(file, args) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? err.code : 0, stdout, stderr });
    });
  });
}

// Node -> native CLI -> WASI CLI: imports `image` in each, checks each holds `expected`, and
// returns the image the WASI tool exported. Each imported folder holds one version: one manifest
// slot (epoch 1), no lost/.
async function throughNodeNativeWasi(dir, image, expected) {
  const onlyOneVersion = (db, who) => {
    const names = fs.readdirSync(db).sort();
    assert.ok(names.includes('manifest-1') && !names.includes('manifest-0'), `${who}: one manifest slot (${names})`);
    assert.ok(!names.includes('lost'), `${who}: no lost/`);
  };
  const nodeDb = path.join(dir, 'node');
  await importDatabase(nodeDb, image);
  onlyOneVersion(nodeDb, 'Node');
  assert.deepEqual(await contentsAt(nodeDb), expected, 'Node reads what the browser wrote');
  const nodeImage = path.join(dir, 'node.image');
  const db = await open(nodeDb);
  assert.equal(db.stats().snapshotsOpen, 0, 'no snapshot came along');
  fs.writeFileSync(nodeImage, await db.exportBytes());
  await db.close();

  const nativeDb = path.join(dir, 'native');
  const nativeImage = path.join(dir, 'native.image');
  for (const args of [['import', nodeImage, nativeDb], ['export', nativeDb, nativeImage]]) {
    const r = await run(nativeTool, args);
    assert.equal(r.code, 0, r.stderr);
  }
  const wasiDb = path.join(dir, 'wasi');
  const wasiImage = path.join(dir, 'wasi.image');
  const bin = path.join(root, 'bindings/js/bin/strata.js');
  for (const args of [['import', nativeImage, wasiDb], ['export', wasiDb, wasiImage]]) {
    const r = await run(process.execPath, [bin, ...args]);
    assert.equal(r.code, 0, r.stderr);
  }
  assert.deepEqual(await contentsAt(nativeDb), expected, 'the native tool reads it');
  assert.deepEqual(await contentsAt(wasiDb), expected, 'the WASI tool reads it');
  return fs.readFileSync(wasiImage);
}

async function contentsAt(location) {
  const db = await open(location, { createIfMissing: false });
  const h = createHash('sha256');
  let count = 0;
  try {
    for await (const [k, v] of db.iterator()) {
      const head = Buffer.alloc(8);
      head.writeUInt32LE(k.length, 0);
      head.writeUInt32LE(v.length, 4);
      h.update(head).update(k).update(v);
      count++;
    }
  } finally {
    await db.close();
  }
  return { hash: h.digest('hex'), count };
}

test('image_round_trip_browser_node_native_wasi_browser_keeps_contents',
  { skip: !fs.existsSync(nativeTool) && 'build/native/strata is not built' }, async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-image-browser-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    await bundleFixture();
    t.after(() => fs.rmSync(path.join(root, FIX), { force: true }));
    const s = await session(t);
    const page = await s.page();
    const made = await s.run(page, FIX, 'makeImage', 1500);
    assert.ok(made.tables > 0, 'the browser database has tables');
    const image = Buffer.from(made.image, 'base64');
    assert.deepEqual(made.progress, { bytesDone: image.length, bytesTotal: image.length });
    const expected = { hash: made.hash, count: made.count };

    const wasiImage = await throughNodeNativeWasi(dir, image, expected);

    const back = await s.run(page, FIX, 'openImage', wasiImage.toString('base64'));
    assert.deepEqual({ hash: back.hash, count: back.count }, expected, 'the browser reads what WASI wrote');
    assert.equal(back.journalOnly, 'written in the browser, never flushed');
    assert.equal(back.refused, 'STRATA_CORRUPTION', 'a damaged image is refused in the browser too');
  });

test('image_round_trip_from_opfs_and_idb_through_node_native_wasi_into_opfs_and_idb_keeps_contents',
  { skip: !fs.existsSync(nativeTool) && 'build/native/strata is not built' }, async (t) => {
    const F = 'tests/browser/image_backend_fixture.mjs';
    const s = await session(t);
    const page = await s.page();
    for (const from of ['opfs', 'idb']) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `strata-image-${from}-`));
      t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
      const made = await s.run(page, F, 'makeImage', `image-from-${from}`, 1500, from);
      assert.equal(made.backend, from);
      assert.ok(made.tables > 0, `the ${from} database has tables`);
      assert.equal(made.snapshotsBefore, 1, 'a snapshot was open during the export');
      assert.equal(made.old, 'the old value, seen by the snapshot only');
      const image = Buffer.from(made.image, 'base64');
      assert.deepEqual(made.progress, { bytesDone: image.length, bytesTotal: image.length });
      const expected = { hash: made.hash, count: made.count };
      const wasiImage = await throughNodeNativeWasi(dir, image, expected);
      for (const to of ['opfs', 'idb']) {
        const back = await s.run(page, F, 'openImage', `image-${from}-to-${to}`, wasiImage.toString('base64'), to);
        assert.equal(back.backend, to);
        assert.deepEqual({ hash: back.hash, count: back.count }, expected, `${from} -> ... -> ${to}: the browser reads what WASI wrote`);
        assert.equal(back.journalOnly, `written in the browser on ${from}, never flushed`);
        assert.equal(back.overwritten, 'the new value', 'one version: the newest value, not the snapshot\'s');
        assert.equal(back.snapshotsOpen, 0);
        assert.equal(back.refused, 'STRATA_CORRUPTION', `a damaged image is refused on ${to}`);
        assert.equal(back.leftBehind, 'STRATA_NOT_FOUND', `and leaves no database on ${to}`);
      }
    }
  });
