// abstract-level's own test suite over strata-lsm/level in Chromium, in a worker (the engine in
// that thread) on IndexedDB; on OPFS too with STRATA_BROWSER_LONG=1 (about 100 s here). The suite and tape are CommonJS written for Node: they are bundled with
// esbuild (tests/browser/level_suite_entry.mjs), Node's events, stream and path replaced by their
// browser ports. The bundle lives in build/browser/, away from the package's files, so it passes
// wasmUrl and workerUrl. (The memory backend is not run: abstract-level expects a memory
// database to keep its data across close() and open() of one instance, as memory-level does;
// Strata's memory backend starts empty at every open, and the 18 tests that reopen fail. Nor is
// the page: from a page each database is a worker with its own wasm instance, the suite leaves
// databases open, and Chromium refuses new wasm memories past about 60 live instances in one
// renderer process.)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { build } from 'esbuild';

import { root, session } from './harness.mjs';

const OUT = 'build/browser/level_suite.js';
let s;
before(async () => {
  await build({
    entryPoints: [path.join(root, 'tests/browser/level_suite_entry.mjs')],
    outfile: path.join(root, OUT),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    alias: { stream: 'stream-browserify', path: 'path-browserify' },
    inject: [path.join(root, 'tests/browser/process_shim.mjs')],
    define: { global: 'globalThis', __dirname: '"/tape/lib"' }, // tape reads __dirname to trim its stack frames
    logLevel: 'error',
  });
  s = await session();
});
after(() => s?.close());

function check(r, where) {
  console.log(`# abstract-level suite ${where}: ${r.pass} assertions passed, ${r.fail} failed; slowest tests (ms): ${JSON.stringify(r.slow.slice(0, 3))}`);
  assert.equal(r.fail, 0, r.failures.join('\n'));
  assert.ok(r.pass > 1000, `only ${r.pass} assertions ran`);
}

const options = () => ({ wasmUrl: s.url('bindings/js/dist/st/strata.wasm'), workerUrl: s.url('bindings/js/src/browser_worker.js') });

for (const backend of process.env.STRATA_BROWSER_LONG ? ['idb', 'opfs'] : ['idb']) {
  test(`strata-lsm/level passes the abstract-level suite in a worker (${backend})`, async () => {
    const page = await s.page();
    const w = await s.worker(page);
    check(await w.run(OUT, 'runLevelSuite', { backend, prefix: `lvl-w-${backend}`, options: options() }), `in a worker (${backend})`);
    await page.close();
  });
}
