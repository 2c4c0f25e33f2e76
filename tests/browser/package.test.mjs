// The packed package in a browser, as apps get it: `npm pack`, unpacked into a static folder's
// node_modules, then (1) imported without a bundler through an import map, as from a CDN, and
// (2) bundled with esbuild, its worker bundled beside the app (found by
// `new URL('./browser_worker.js', import.meta.url)`) and its .wasm copied to the app's assets
// (wasmUrl). The API cases run in both pages, and every file the page loads for the package
// comes from where that app put it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { build } from 'esbuild';

import { root, session } from './harness.mjs';

const SITE = 'build/browser-pkg/site'; // under the repository root: the harness serves it
const site = path.join(root, SITE);
const pkgDir = path.join(site, 'node_modules/strata-lsm');
let s;

before(async () => {
  fs.rmSync(path.join(root, 'build/browser-pkg'), { recursive: true, force: true });
  fs.mkdirSync(pkgDir, { recursive: true });
  const tgz = execFileSync('npm', ['pack', '--silent', '--pack-destination', path.join(root, 'build/browser-pkg')], { cwd: root, encoding: 'utf8' }).trim().split('\n').pop();
  execFileSync('tar', ['-xzf', path.join(root, 'build/browser-pkg', tgz), '-C', pkgDir, '--strip-components=1']);

  // (1) the CDN-like page: an import map names the package's browser entry
  fs.writeFileSync(path.join(site, 'importmap.html'), `<!doctype html>
<meta charset="utf-8">
<script type="importmap">{ "imports": { "strata-lsm": "./node_modules/strata-lsm/bindings/js/src/index_browser.js" } }</script>
<script type="module" src="/tests/browser/harness_page.mjs"></script>
`);
  fs.writeFileSync(path.join(site, 'cdn_app.mjs'), `import * as strata from 'strata-lsm';
import { apiCases } from '/tests/browser/api_cases.mjs';
export const run = (args) => apiCases(strata, args);
`);

  // (2) the bundled app: app.js and the package's worker bundled side by side, the .wasm copied
  fs.writeFileSync(path.join(site, 'bundle_entry.mjs'), `import * as strata from 'strata-lsm';
import { apiCases } from '../../../tests/browser/api_cases.mjs';
export const run = (args) => apiCases(strata, args);
`);
  // the worker script is the package's `strata-lsm/worker` export
  await build({
    absWorkingDir: site,
    entryPoints: { app: './bundle_entry.mjs', browser_worker: 'strata-lsm/worker' },
    outdir: path.join(site, 'out'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    logLevel: 'error',
  });
  fs.mkdirSync(path.join(site, 'out/assets'), { recursive: true });
  fs.copyFileSync(path.join(pkgDir, 'bindings/js/dist/st/strata.wasm'), path.join(site, 'out/assets/strata.wasm'));
  s = await session();
});
after(() => s?.close());

function report(result) {
  assert.deepEqual(result.failed, [], result.failed.map((f) => `${f.name}: ${f.message}`).join('\n\n'));
  assert.ok(result.passed.length >= 8, `only ${result.passed.length} cases ran`);
}

// The paths the page requested (the harness's own files left out).
function recordRequests(page) {
  const seen = [];
  page.on('request', (r) => {
    const p = new URL(r.url()).pathname;
    if (!p.startsWith('/tests/browser/')) seen.push(p);
  });
  page.on('worker', (w) => seen.push(new URL(w.url()).pathname));
  return seen;
}

test('the packed package holds the browser entry, its worker and both builds, and no install script', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  for (const s of ['preinstall', 'install', 'postinstall', 'prepare']) assert.equal(pkg.scripts?.[s], undefined, `no ${s} script`);
  for (const f of [pkg.exports['.'].browser.default, pkg.exports['.'].browser.types, pkg.exports['.'].worker.types, pkg.exports['./level'].browser, pkg.exports['./engine'].browser, './bindings/js/src/browser_worker.js',
    './bindings/js/dist/st/strata.wasm', './bindings/js/dist/st/strata.mjs', './bindings/js/dist/mt/strata.wasm', './bindings/js/dist/mt/strata.mjs', './bindings/js/dist/mt/strata.worker.js']) {
    assert.ok(fs.existsSync(path.join(pkgDir, f)), `${f} is in the package`);
  }
});

test('a page imports strata-lsm without a bundler through an import map, from the packed files', async () => {
  const page = await s.context.newPage();
  const requests = recordRequests(page);
  await page.goto(s.url(`${SITE}/importmap.html`));
  await page.waitForFunction(() => globalThis.__strataHarness?.ready === true);
  report(await s.run(page, `${SITE}/cdn_app.mjs`, 'run', { backend: 'memory', prefix: 'cdn' }));
  const pkgFiles = requests.filter((p) => /strata|bindings/.test(p) && !p.endsWith('cdn_app.mjs'));
  assert.ok(pkgFiles.includes(`/${SITE}/node_modules/strata-lsm/bindings/js/src/index_browser.js`), `the entry came from the package: ${pkgFiles}`);
  assert.ok(pkgFiles.includes(`/${SITE}/node_modules/strata-lsm/bindings/js/dist/st/strata.wasm`), 'the wasm came from the package');
  assert.ok(pkgFiles.includes(`/${SITE}/node_modules/strata-lsm/bindings/js/src/browser_worker.js`), 'the worker came from the package');
  assert.deepEqual(pkgFiles.filter((p) => !p.startsWith(`/${SITE}/node_modules/strata-lsm/`)), [], 'nothing of the package from elsewhere');
  await page.close();
});

test('a page bundled with esbuild runs strata-lsm, its worker bundled beside it, the .wasm from the app\'s assets', async () => {
  fs.writeFileSync(path.join(site, 'bundle.html'), '<!doctype html>\n<meta charset="utf-8">\n<script type="module" src="/tests/browser/harness_page.mjs"></script>\n');
  const page = await s.context.newPage();
  const requests = recordRequests(page);
  await page.goto(s.url(`${SITE}/bundle.html`));
  await page.waitForFunction(() => globalThis.__strataHarness?.ready === true);
  report(await s.run(page, `${SITE}/out/app.js`, 'run', { backend: 'memory', prefix: 'bundle', options: { wasmUrl: `/${SITE}/out/assets/strata.wasm` } }));
  const pkgFiles = requests.filter((p) => /strata|bindings|out\//.test(p));
  assert.ok(pkgFiles.includes(`/${SITE}/out/browser_worker.js`), `the bundled worker was used: ${pkgFiles}`);
  assert.ok(pkgFiles.includes(`/${SITE}/out/assets/strata.wasm`), 'the wasm came from the app\'s assets');
  assert.deepEqual(pkgFiles.filter((p) => p.includes('node_modules')), [], 'nothing loaded from node_modules at run time');
  await page.close();
});
