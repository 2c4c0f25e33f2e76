// The harness itself, through real Chromium: OPFS and IndexedDB open in a page and in a worker,
// isolated (COOP/COEP) and not, data survives a reload and a restart, errors come back whole.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { session } from './harness.mjs';

const FIX = 'tests/browser/smoke_fixture.mjs';

test('opfs_and_idb_open_in_page_and_worker_with_and_without_isolation', async (t) => {
  const s = await session(t);
  const plain = await s.page();
  const isolated = await s.page({ isolated: true });

  const p = await s.run(plain, FIX, 'probe', 'a.txt', 'page');
  assert.deepEqual(p, { worker: false, crossOriginIsolated: false, locks: true, opfs: 'page', syncHandle: false, idb: 'page' });

  const w = await s.worker(plain);
  const pw = await w.run(FIX, 'probe', 'b.txt', 'worker');
  assert.deepEqual(pw, { worker: true, crossOriginIsolated: false, locks: true, opfs: 'worker', syncHandle: true, syncRead: 'worker', idb: 'worker' });

  const iw = await (await s.worker(isolated)).run(FIX, 'probe', 'c.txt', 'isolated');
  assert.equal(iw.crossOriginIsolated, true);
  assert.equal(iw.syncRead, 'isolated');
  assert.equal(await isolated.evaluate(() => typeof SharedArrayBuffer), 'function');
  assert.equal(await plain.evaluate(() => typeof SharedArrayBuffer), 'undefined');

  await s.reload(plain);
  assert.deepEqual(await s.run(plain, FIX, 'readBack', 'b.txt'), { opfs: 'worker', idb: 'worker' });
  await s.restart();
  const again = await s.page();
  assert.deepEqual(await s.run(again, FIX, 'readBack', 'a.txt'), { opfs: 'page', idb: 'page' });
  await s.crash();
  const after = await s.page();
  assert.deepEqual(await s.run(after, FIX, 'readBack', 'c.txt'), { opfs: 'isolated', idb: 'isolated' });
});

test('a_browser_error_comes_back_with_name_code_message_and_cause', async (t) => {
  const s = await session(t);
  const page = await s.page();
  await assert.rejects(s.run(page, FIX, 'fails'), (e) => {
    assert.equal(e.code, 'STRATA_TEST');
    assert.equal(e.browserMessage, 'it failed');
    assert.equal(e.cause.name, 'QuotaExceededError');
    assert.match(e.message, /browser stack:/);
    return true;
  });
  const w = await s.worker(page);
  await assert.rejects(w.run(FIX, 'fails'), (e) => e.cause?.message === 'the cause' && /in worker/.test(e.message));
  await assert.rejects(w.run(FIX, 'noSuchExport'), /has no exported function noSuchExport/);
  // console errors of the page and of its workers are part of the failure's message
  await assert.rejects(s.run(page, FIX, 'logsThenFails', 'logged by the page'), /console\.error: logged by the page/);
  await assert.rejects(w.run(FIX, 'logsThenFails', 'logged by the worker'), /console\.error: logged by the worker/);
  await assert.rejects(w.run('tests/browser/no_such_module.mjs', 'x'), /no_such_module/);
});
