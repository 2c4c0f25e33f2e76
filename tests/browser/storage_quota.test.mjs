// A full quota, through real Chromium: the storage refusing to grow becomes STRATA_QUOTA with the
// browser's QuotaExceededError as the error's cause; the database stays open and readable, every
// acknowledged write is kept, and writing works again once there is room. Chromium cannot easily
// be made to run out, so OPFS runs under the quota wrapper (quota_host.mjs: the sync handle's
// write refused as a full origin refuses it) and the IndexedDB host's transactions are aborted
// with a QuotaExceededError (injectCommitFailures: a real aborted transaction, as a full origin
// aborts it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { session } from './harness.mjs';

const E = 'tests/browser/engine_fixture.mjs';

function quotaRefusal(r) {
  assert.equal(r.ok, false);
  assert.equal(r.code, 'STRATA_QUOTA', r.message);
  assert.equal(r.cause, 'QuotaExceededError');
}

test('opfs_full_quota_is_STRATA_QUOTA_and_the_database_stays_readable', async (t) => {
  const s = await session(t);
  const page = await s.page();
  const w = await s.worker(page);
  await w.run(E, 'openDb', 'opfs', 'q', {}, {}, 1e9);
  await w.run(E, 'write', 'q', 0, 50, { sync: true });
  await w.run(E, 'setQuota', 'q', 0);
  const r = await w.run(E, 'tryWrite', 'q', 50);
  quotaRefusal(r);
  assert.match(r.message, /put "k00000050": .*journal.*QuotaExceededError/);
  quotaRefusal(await w.run(E, 'tryFlush', 'q')); // a flush needs room for its table too
  assert.deepEqual(await w.run(E, 'verify', 'q', 0, 50), { good: 50, bad: [] }, 'still open and readable');
  // room again: writes work, and everything acknowledged is there after a reopen
  await w.run(E, 'setQuota', 'q', null);
  assert.deepEqual(await w.run(E, 'tryWrite', 'q', 51), { ok: true });
  assert.deepEqual(await w.run(E, 'tryFlush', 'q'), { ok: true });
  await w.run(E, 'closeDb', 'q');
  await w.run(E, 'openDb', 'opfs', 'q');
  assert.deepEqual(await w.run(E, 'verify', 'q', 0, 50), { good: 50, bad: [] });
  assert.deepEqual(await w.run(E, 'verify', 'q', 51, 1), { good: 1, bad: [] });
});

test('idb_aborted_commit_is_STRATA_QUOTA_and_the_database_stays_readable', async (t) => {
  const s = await session(t);
  const page = await s.page();
  const run = (...a) => s.run(page, ...a);
  await run(E, 'openDb', 'idb', 'q');
  await run(E, 'write', 'q', 0, 50, { sync: true });
  await run(E, 'injectCommitFailures', 'q', 3);
  // the sync write's transaction aborts: its settle() rejects
  const first = await run(E, 'tryWrite', 'q', 50);
  quotaRefusal(first);
  assert.match(first.message, /IndexedDB database "q": writing back failed: QuotaExceededError/);
  // the retry before the next request fails, and so does the next write's own commit
  quotaRefusal(await run(E, 'tryWrite', 'q', 51));
  assert.deepEqual(await run(E, 'verify', 'q', 0, 50), { good: 50, bad: [] }, 'still open and readable');
  assert.deepEqual(await run(E, 'hostStats', 'q').then((x) => x.failed), true);
  // room again: the next request's retry commits what was pending (the refused writes with it:
  // they were never acknowledged, so either outcome is allowed), writes work
  assert.deepEqual(await run(E, 'tryWrite', 'q', 52), { ok: true });
  assert.equal((await run(E, 'hostStats', 'q')).failed, false);
  await run(E, 'closeDb', 'q');
  await s.reload(page);
  await run(E, 'openDb', 'idb', 'q');
  assert.deepEqual(await run(E, 'verify', 'q', 0, 50), { good: 50, bad: [] });
  assert.deepEqual(await run(E, 'verify', 'q', 52, 1), { good: 1, bad: [] });
});
