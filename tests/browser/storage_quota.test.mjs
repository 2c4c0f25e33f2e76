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
  assert.deepEqual(await w.run(E, 'verify', 'q', 50, 1), { good: 0, bad: [['k00000050', null]] }, 'the refused write never appears');
});

// The OPFS host gathers appends in memory and writes them out later (at the latest when the
// journal is synced): a quota refusal of that write fails the sync inside the engine call that
// wrote the batch, which cuts it off and does not apply it. The refused sync writes are not there
// before or after a reopen; a buffered unsynced write is stored once there is room.
test('opfs_sync_write_whose_buffered_bytes_the_quota_refuses_is_not_applied_and_never_appears', async (t) => {
  const s = await session(t);
  const page = await s.page();
  const w = await s.worker(page);
  await w.run(E, 'openDb', 'opfs', 'qb');
  await w.run(E, 'write', 'qb', 0, 50, { sync: true });
  await w.run(E, 'limitHandleWrites', 0); // every SyncAccessHandle.write is refused
  const r = await w.run(E, 'tryWrite', 'qb', 50);
  quotaRefusal(r);
  assert.match(r.message, /put "k00000050": .*sync .*QuotaExceededError/);
  assert.deepEqual(await w.run(E, 'tryWrite', 'qb', 51, { sync: false }), { ok: true }, 'buffered: acknowledged, not durable');
  quotaRefusal(await w.run(E, 'tryWrite', 'qb', 52));
  assert.deepEqual(await w.run(E, 'verify', 'qb', 50, 1), { good: 0, bad: [['k00000050', null]] });
  assert.deepEqual(await w.run(E, 'verify', 'qb', 52, 1), { good: 0, bad: [['k00000052', null]] });
  assert.deepEqual(await w.run(E, 'verify', 'qb', 0, 50), { good: 50, bad: [] }, 'still open and readable');
  await w.run(E, 'limitHandleWrites', null); // room again
  assert.deepEqual(await w.run(E, 'tryWrite', 'qb', 53), { ok: true });
  await w.run(E, 'closeDb', 'qb');
  await w.run(E, 'openDb', 'opfs', 'qb');
  assert.deepEqual(await w.run(E, 'verify', 'qb', 0, 50), { good: 50, bad: [] });
  assert.deepEqual(await w.run(E, 'verify', 'qb', 51, 1), { good: 1, bad: [] });
  assert.deepEqual(await w.run(E, 'verify', 'qb', 53, 1), { good: 1, bad: [] });
  assert.deepEqual(await w.run(E, 'verify', 'qb', 50, 1), { good: 0, bad: [['k00000050', null]] });
  assert.deepEqual(await w.run(E, 'verify', 'qb', 52, 1), { good: 0, bad: [['k00000052', null]] });
  await w.run(E, 'closeDb', 'qb');
});

// A sync write whose IndexedDB transaction aborts is applied in memory already: its promise is
// not rejected (a rejected write must never appear later) but waits while the commit is retried,
// and resolves once one succeeds. Meanwhile every write is refused at once with STRATA_QUOTA
// (never applied: not there before or after a reopen); the database stays readable. A held write
// whose last attempt fails at close is rejected then, and is not there after the reopen either.
test('idb_write_refused_by_a_full_quota_never_appears_and_a_held_sync_write_lands_once_there_is_room', async (t) => {
  const s = await session(t);
  const page = await s.page();
  const run = (...a) => s.run(page, ...a);
  await run(E, 'openDb', 'idb', 'q');
  await run(E, 'write', 'q', 0, 50, { sync: true });
  await run(E, 'injectCommitFailures', 'q', Infinity); // every transaction aborts until lifted
  await run(E, 'startSyncWrite', 'q', 50);
  assert.equal((await run(E, 'heldResult', 'q', 50, 300)).state, 'pending', 'its commit failed: it waits');
  assert.equal((await run(E, 'hostStats', 'q')).failed, true);
  // refused at once, inside the engine call: not applied
  const refused = await run(E, 'tryWrite', 'q', 51);
  quotaRefusal(refused);
  assert.match(refused.message, /put "k00000051": .*refused while writing back to IndexedDB fails/);
  quotaRefusal(await run(E, 'tryWrite', 'q', 52, { sync: false }));
  assert.deepEqual(await run(E, 'verify', 'q', 51, 2), { good: 0, bad: [['k00000051', null], ['k00000052', null]] });
  assert.deepEqual(await run(E, 'verify', 'q', 0, 50), { good: 50, bad: [] }, 'still open and readable');
  // room again: the held write lands (the backoff timer retries), writes work
  await run(E, 'injectCommitFailures', 'q', 0);
  assert.equal((await run(E, 'heldResult', 'q', 50, 5000)).state, 'ok');
  assert.deepEqual(await run(E, 'tryWrite', 'q', 53), { ok: true });
  assert.equal((await run(E, 'hostStats', 'q')).failed, false);
  // full again: a held write whose commit still fails at close is rejected, and is not stored
  await run(E, 'injectCommitFailures', 'q', Infinity);
  await run(E, 'startSyncWrite', 'q', 60);
  assert.equal((await run(E, 'heldResult', 'q', 60, 200)).state, 'pending');
  quotaRefusal(await run(E, 'tryClose', 'q'));
  const atClose = await run(E, 'heldResult', 'q', 60, 2000);
  assert.equal(atClose.state, 'failed');
  assert.equal(atClose.code, 'STRATA_QUOTA');
  await s.reload(page);
  await run(E, 'openDb', 'idb', 'q');
  assert.deepEqual(await run(E, 'verify', 'q', 0, 51), { good: 51, bad: [] });
  assert.deepEqual(await run(E, 'verify', 'q', 53, 1), { good: 1, bad: [] });
  assert.deepEqual(await run(E, 'verify', 'q', 51, 2), { good: 0, bad: [['k00000051', null], ['k00000052', null]] });
  assert.deepEqual(await run(E, 'verify', 'q', 60, 1), { good: 0, bad: [['k00000060', null]] });
  await run(E, 'closeDb', 'q');
});
