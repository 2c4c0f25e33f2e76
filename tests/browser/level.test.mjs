// abstract-level's own test suite over strata-lsm/level in Chromium, for each backend (opfs, idb,
// memory), in a page (every database a handle on the page's one database worker, which runs
// them all on one engine instance) and in a worker (the engine in that thread). The suite and
// tape are CommonJS written for Node: they are bundled with esbuild
// (tests/browser/level_suite_entry.mjs), Node's events, stream and path replaced by their browser
// ports. The bundle lives in build/browser/, away from the package's files, so it passes
// wasmUrl and workerUrl. The suite leaves databases open (hundreds in a run: one wasm instance
// each would pass Chromium's limit of about 60 wasm memories per renderer) and expects a memory
// database to keep its data across close() and open() (as memory-level does). Two runs at a
// time: a page's run and a worker's each keep their own renderer busy.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

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

// A page's run has no getSync tests (the worker answers asynchronously): fewer assertions.
function check(r, where, least) {
  console.log(`# abstract-level suite ${where}: ${r.pass} assertions passed, ${r.fail} failed; slowest tests (ms): ${JSON.stringify(r.slow.slice(0, 3))}`);
  assert.equal(r.fail, 0, r.failures.join('\n'));
  assert.ok(r.pass >= least, `only ${r.pass} assertions ran (expected at least ${least})`);
}

const options = () => ({ wasmUrl: s.url('bindings/js/dist/st/strata.wasm'), workerUrl: s.url('bindings/js/src/browser_worker.js') });

describe('strata-lsm/level under the abstract-level suite', { concurrency: 2 }, () => {
  for (const backend of ['opfs', 'idb', 'memory']) {
    test(`passes it in a page (${backend}, every database in the page's one worker)`, async () => {
      const page = await s.page();
      try {
        check(await s.run(page, OUT, 'runLevelSuite', { backend, prefix: `lvl-p-${backend}`, options: options() }), `in a page (${backend})`, 4500);
        // one database worker served the hundreds of databases the suite opened
        assert.ok(page.workers().length <= 1, `the page started ${page.workers().length} workers`);
      } finally {
        await page.close();
      }
    });
    test(`passes it in a worker (${backend}, the engine in that thread)`, async () => {
      const page = await s.page();
      try {
        const w = await s.worker(page);
        check(await w.run(OUT, 'runLevelSuite', { backend, prefix: `lvl-w-${backend}`, options: options() }), `in a worker (${backend})`, 5000);
      } finally {
        await page.close();
      }
    });
  }
});
