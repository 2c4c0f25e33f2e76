// The WASI reactor (strata-reactor.wasm) in headless Chromium under @bjorn3/browser_wasi_shim:
// the same table as under node:wasi and the shim in Node (tests/wasi/reactor_cases.mjs), run in
// a page and in a dedicated worker, so the WASI build is proven outside Node too.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { session } from './harness.mjs';

const FIX = 'tests/browser/wasi_reactor_fixture.mjs';

test('wasi_reactor_table_in_chromium: every case of the reactor table in a page and in a worker', async (t) => {
  const s = await session(t);
  const page = await s.page();
  const names = await s.run(page, FIX, 'caseNames');
  assert.ok(names.length >= 10, `the table has its cases (${names.length})`);
  const worker = await s.worker(page);
  for (const name of names) {
    await t.test(`page: ${name}`, async () => {
      const where = await s.run(page, FIX, 'runCase', name);
      assert.match(where.userAgent, /Chrome/);
      assert.equal(where.node, false, 'not Node');
    });
    await t.test(`worker: ${name}`, async () => {
      const where = await worker.run(FIX, 'runCase', name);
      assert.match(where.userAgent, /Chrome/);
    });
  }
});
