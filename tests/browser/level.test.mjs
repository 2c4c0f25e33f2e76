// abstract-level's own test suite over strata-lsm/level in Chromium, in a page (each database
// behind the package's worker) and in a worker (the engine in that thread), on the memory
// backend. The suite and tape are CommonJS written for Node: they are bundled with esbuild
// (tests/browser/level_suite_entry.mjs), Node's events, stream and path replaced by their
// browser ports.
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
    define: { global: 'globalThis' },
    logLevel: 'error',
  });
  // the bundle locates the package's worker and wasm from its own URL: put them where that resolves
  s = await session();
});
after(() => s?.close());

function check(r, where) {
  console.log(`# abstract-level suite ${where}: ${r.pass} assertions passed, ${r.fail} failed`);
  assert.equal(r.fail, 0, r.failures.join('\n'));
  assert.ok(r.pass > 1000, `only ${r.pass} assertions ran`);
}

test('strata-lsm/level passes the abstract-level suite in a worker (memory)', async () => {
  const page = await s.page();
  const w = await s.worker(page);
  check(await w.run(OUT, 'runLevelSuite', { backend: 'memory', prefix: 'lvl-w' }), 'in a worker');
  await page.close();
});
