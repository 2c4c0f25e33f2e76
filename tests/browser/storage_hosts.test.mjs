// The browser storage hosts themselves, through real Chromium: the storage conformance suite
// (tests/c/vfs_conformance.c, run by C inside the wasm module) on the OPFS host in a dedicated
// worker and on the IndexedDB host in a page; the OPFS pool growing between requests up to its
// handle cap; its metadata surviving a torn newest copy; the database lists and deletion.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { session } from './harness.mjs';

const F = 'tests/browser/storage_fixture.mjs';

test('opfs_host_passes_the_storage_conformance_suite_in_a_worker', async (t) => {
  const s = await session(t);
  const page = await s.page();
  const w = await s.worker(page);
  const r = await w.run(F, 'conformance', 'opfs', 'conf');
  assert.equal(r.pool.files, 0, 'the suite removed every file it made');
  assert.ok(r.pool.openHandles <= r.pool.maxHandles);
  // the same in a cross-origin-isolated page's worker
  const iso = await s.page({ isolated: true });
  await (await s.worker(iso)).run(F, 'conformance', 'opfs', 'conf-isolated');
});

test('idb_host_passes_the_storage_conformance_suite_in_a_page', async (t) => {
  const s = await session(t);
  const page = await s.page();
  await s.run(page, F, 'conformance', 'idb', 'conf');
  // and in a worker (IndexedDB exists there too)
  await (await s.worker(page)).run(F, 'conformance', 'idb', 'conf-worker');
});

test('opfs_pool_grows_between_requests_past_its_initial_size_and_stops_at_the_handle_cap', async (t) => {
  const s = await session(t);
  const page = await s.page();
  const w = await s.worker(page);
  const opts = { initialSlots: 4, minFree: 2, maxHandles: 24 };
  const r = await w.run(F, 'fillPool', 'pool', opts, false);
  assert.equal(r.initial.slots, 4);
  assert.equal(r.created, 22, 'maxHandles - 2 files (the two metadata files hold handles too)');
  assert.equal(r.maxSlots, 22);
  assert.equal(r.final.openHandles, 24);
  assert.equal(r.refusal.code, 3); // STRATA_IO
  assert.match(r.refusal.message, /too many files: OPFS database "pool" holds at most 22 files \(maxHandles 24\)/);
  // every file is found again, with its contents, by a new host
  const back = await w.run(F, 'readPool', 'pool', 22);
  assert.equal(back.intact, 22);

  // within one engine call (no prepare in between) only the free slots can be claimed; the pool
  // catches up before the call runs again
  const b = await w.run(F, 'fillPool', 'burst', { initialSlots: 4, minFree: 2, maxHandles: 100 }, true);
  assert.ok(b.created >= 2 && b.created < 22, `created ${b.created} in a burst`);
  assert.equal(b.refusal.code, 10); // STRATA_BUSY: would block (the engine gives the call up cleanly; it runs again)
  assert.match(b.refusal.message, /no pre-opened OPFS file is free .*would block while the pool grows/);
  assert.equal(b.afterWait, 'created');
  assert.ok(b.final.slots > 4);
});

test('opfs_metadata_falls_back_to_the_older_copy_when_the_newest_is_torn', async (t) => {
  const s = await session(t);
  const page = await s.page();
  const w = await s.worker(page);
  const g = await w.run(F, 'twoGenerations', 'meta');
  assert.equal(g.second, g.first + 1);
  const intact = await w.run(F, 'readGenerations', 'meta');
  assert.deepEqual([intact.generation, intact.a, intact.b], [g.second, 'contents of a', 'contents of b']);
  // a torn write of the newest copy: the older one rules, b's slot is emptied and free again
  await w.run(F, 'damageMeta', 'meta', g.second & 1);
  const fallback = await w.run(F, 'readGenerations', 'meta');
  assert.deepEqual([fallback.generation, fallback.a, fallback.b], [g.first, 'contents of a', null]);
  // both damaged: refused as corruption naming the files, never an empty database
  await w.run(F, 'damageMeta', 'meta', g.first & 1);
  const none = await w.run(F, 'readGenerations', 'meta');
  assert.equal(none.error.code, 'STRATA_CORRUPTION');
  assert.match(none.error.message, /OPFS database "meta": neither meta-0 nor meta-1 holds valid metadata/);
});

test('databases_are_listed_and_deleted_per_backend_and_not_while_open', async (t) => {
  const s = await session(t);
  const page = await s.page();
  const w = await s.worker(page);
  await w.run(F, 'conformance', 'opfs', 'one');
  await w.run(F, 'conformance', 'opfs', 'two/with slash');
  await s.run(page, F, 'conformance', 'idb', 'three');
  assert.deepEqual(await s.run(page, F, 'listOpfsDatabases'), ['one', 'two/with slash']);
  assert.deepEqual(await s.run(page, F, 'listIdbDatabases'), ['three']);
  assert.equal(await s.run(page, F, 'deleteOpfsDatabase', 'one'), true);
  assert.equal(await s.run(page, F, 'deleteOpfsDatabase', 'one'), false);
  assert.equal(await s.run(page, F, 'deleteIdbDatabase', 'three'), true);
  assert.deepEqual(await s.run(page, F, 'listOpfsDatabases'), ['two/with slash']);
  assert.deepEqual(await s.run(page, F, 'listIdbDatabases'), []);
  // an open database cannot be deleted
  assert.deepEqual(await w.run(F, 'tryOpenHost', 'opfs', 'two/with slash'), { ok: true });
  await assert.rejects(s.run(page, F, 'deleteOpfsDatabase', 'two/with slash', { lockTimeoutMs: 50 }),
    (e) => e.code === 'STRATA_LOCKED' && /two\/with slash/.test(e.message));
  await w.run(F, 'releaseHost', 'opfs', 'two/with slash');
  assert.equal(await s.run(page, F, 'deleteOpfsDatabase', 'two/with slash'), true);
});

// One engine call may need more new files than the pool holds free (a flush of a memtable into
// many small tables, a major compaction writing many): the create that finds no free slot is
// refused with STRATA_BUSY ("would block"), the engine leaves nothing behind, the pool grows and
// the call runs again, so the caller only sees it succeed.
const E = 'tests/browser/engine_fixture.mjs';
const SMALL_TABLES = { memtableSize: 64 * 1024, compression: 'none', compaction: { strategy: 'leveled', tableTargetSize: 2048 } };

test('opfs_compaction_writing_more_tables_than_free_slots_waits_for_the_pool_and_completes', async (t) => {
  const s = await session(t);
  const page = await s.page();
  const w = await s.worker(page);
  const pool = { initialSlots: 4, minFree: 2 };
  await w.run(E, 'openDb', 'opfs', 'grow', SMALL_TABLES, pool);
  assert.equal(await w.run(E, 'write', 'grow', 0, 800, { batch: 100, size: 200 }), 800);
  await w.run(E, 'flush', 'grow');
  await w.run(E, 'compact', 'grow'); // major: every table rewritten into ~2 KiB tables at once
  const st = await w.run(E, 'stats', 'grow');
  assert.ok(st.tables > 40, `the major compaction wrote ${st.tables} tables`);
  assert.ok(st.pool.refusals > 0, 'some create found no free slot and its call was run again');
  assert.ok(st.pool.slots >= st.tables, `the pool grew to ${st.pool.slots} slots`);
  assert.deepEqual(await w.run(E, 'verify', 'grow', 0, 800, 200), { good: 800, bad: [] });
  await w.run(E, 'closeDb', 'grow');
  await w.run(E, 'openDb', 'opfs', 'grow', SMALL_TABLES, pool);
  assert.deepEqual(await w.run(E, 'verify', 'grow', 0, 800, 200), { good: 800, bad: [] });
  assert.equal((await w.run(E, 'stats', 'grow')).tables, st.tables);
  await w.run(E, 'closeDb', 'grow');
});

test('opfs_handle_cap_refuses_a_new_file_clearly_and_keeps_every_acknowledged_write', async (t) => {
  const s = await session(t);
  const page = await s.page();
  const w = await s.worker(page);
  await w.run(E, 'openDb', 'opfs', 'cap', SMALL_TABLES, { initialSlots: 4, minFree: 2, maxHandles: 40 });
  const r = await w.run(E, 'writeUntilError', 'cap', 0, 20000, { batch: 50, size: 200 });
  assert.notEqual(r.error, null, 'the files of a database are capped by maxHandles');
  assert.equal(r.error.code, 'STRATA_IO', r.error.message);
  assert.match(r.error.message, /too many files: OPFS database "cap" holds at most 38 files \(maxHandles 40\)/);
  assert.ok(r.acked > 0);
  // still open and readable: every acknowledged write is there
  assert.deepEqual(await w.run(E, 'verify', 'cap', 0, r.acked, 200), { good: r.acked, bad: [] });
  assert.equal((await w.run(E, 'stats', 'cap')).pool.openHandles, 40);
  await w.run(E, 'closeDb', 'cap');
  // with room for more handles it opens and has them all
  await w.run(E, 'openDb', 'opfs', 'cap', SMALL_TABLES, { maxHandles: 200 });
  assert.deepEqual(await w.run(E, 'verify', 'cap', 0, r.acked, 200), { good: r.acked, bad: [] });
  assert.deepEqual(await w.run(E, 'tryWrite', 'cap', r.acked, { size: 200 }), { ok: true });
  await w.run(E, 'closeDb', 'cap');
});
