// The OPFS pool's "would block" (STRATA_BUSY: a create found no pre-opened file free) through the
// public API in Chromium, on a small pool (the `opfs` open option): the refused call waits for
// the pool and runs again, every later request on the database waits behind it so requests keep
// their order (writes, and reads, which see the writes issued before them), the open's
// point-in-time recovery flush, importDatabase and ingest run again too, and a call that can
// never succeed ends at the handle cap in STRATA_IO "too many files", never in a loop.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { session } from './harness.mjs';

const F = 'tests/browser/opfs_busy_fixture.mjs';
const CAPPED = { initialSlots: 4, minFree: 1, maxHandles: 12 }; // at most 10 files
let s;
before(async () => {
  s = await session();
});
after(() => s?.close());

function inOrder(r) {
  assert.deepEqual(r.bad, [], `${r.badCount} requests out of order:\n${r.bad.join('\n')}`);
  assert.ok(r.reads > 50 && r.writes > 300, `${r.writes} writes and ${r.reads} reads issued`);
}

test('unawaited_requests_keep_their_order_while_the_opfs_pool_is_exhausted_in_a_worker', async () => {
  const page = await s.page();
  const w = await s.worker(page);
  const r = await w.run(F, 'order', { name: 'order-worker' });
  assert.ok(r.refusals > 0, 'some create found no free file (the burst needed more than the pool had)');
  inOrder(r);
  await page.close();
});

test('unawaited_requests_keep_their_order_while_the_opfs_pool_is_exhausted_from_a_page', async () => {
  const page = await s.page();
  const r = await s.run(page, F, 'order', { name: 'order-page' });
  inOrder(r);
  await page.close();
});

// The pthreads build (a cross-origin isolated page's worker): the flush thread's creates are
// refused too, and a write reports that background error (STRATA_BUSY) until the flush's own
// retry succeeds: the write waits and runs again as well.
test('requests_keep_their_order_and_retries_complete_under_the_pthreads_build', async () => {
  const page = await s.page({ isolated: true });
  const w = await s.worker(page);
  // larger tables: the background compactions need not keep level 0 under the handle cap
  const r = await w.run(`coi/${F}`, 'order', { name: 'order-mt', pool: { initialSlots: 4, minFree: 1, maxHandles: 200 }, tableTargetSize: 16384 });
  assert.ok(r.refusals > 0, 'some create found no free file');
  inOrder(r);
  const i = await w.run(`coi/${F}`, 'ingestMany', { name: 'ingest-mt' });
  assert.deepEqual({ error: i.error, entries: i.entries, count: i.count, bad: i.bad }, { error: undefined, entries: 1500, count: 1500, bad: [] });
  const p = await w.run(`coi/${F}`, 'recoverPointInTime', { name: 'pit-mt' });
  assert.equal(p.error, undefined, p.error?.message);
  assert.equal(p.recovery.damaged, true);
  assert.ok(p.recovery.batchesDiscarded > 0);
  assert.equal(p.bad, 0);
  await page.close();
});

test('ingest_waits_for_the_opfs_pool_and_loads_every_entry', async () => {
  const page = await s.page();
  const w = await s.worker(page);
  const r = await w.run(F, 'ingestMany', { name: 'ingest-busy' });
  assert.equal(r.error, undefined, r.error?.message);
  assert.ok(r.refusals > 0, 'a table of the ingest found no free file');
  assert.ok(r.tables > 20, `${r.tables} tables`);
  assert.deepEqual({ entries: r.entries, count: r.count, bad: r.bad }, { entries: 1500, count: 1500, bad: [] });
  // from a page too (the package's worker ingests)
  const p = await s.run(page, F, 'ingestMany', { name: 'ingest-busy-page' });
  assert.deepEqual({ entries: p.entries, count: p.count, bad: p.bad }, { entries: 1500, count: 1500, bad: [] });
  await page.close();
});

// With key-value separation most creates are blob files: a refused one leaves the ingest usable
// as a refused table does (the old engine ended the ingest there, and the retry of its "ingest
// failed before" error, still "would block", never ended).
test('ingest_with_key_value_separation_waits_for_the_opfs_pool_at_a_blob_file_and_loads_every_entry', async () => {
  const page = await s.page();
  const w = await s.worker(page);
  const kvSeparation = { threshold: 32, fileTargetSize: 1024 };
  const r = await w.run(F, 'ingestMany', { name: 'ingest-busy-kv', kvSeparation });
  assert.equal(r.error, undefined, r.error?.message);
  assert.ok(r.refusalsBy.blobs > 0, `a blob file of the ingest found no free file: ${JSON.stringify(r.refusalsBy)}`);
  assert.deepEqual({ entries: r.entries, count: r.count, bad: r.bad }, { entries: 1500, count: 1500, bad: [] });
  assert.ok(r.files > r.tables + 20, `${r.files} files for ${r.tables} tables: the values are in blob files`);
  await page.close();
});

test('import_of_an_image_with_more_tables_than_free_files_starts_again_and_completes', async () => {
  const page = await s.page();
  const w = await s.worker(page);
  for (const r of [await w.run(F, 'importMany', { name: 'import-busy' }), await s.run(page, F, 'importMany', { name: 'import-busy-page' })]) {
    assert.deepEqual(r.errors, []);
    assert.ok(r.tables > 20, `the image holds ${r.tables} tables`);
    assert.deepEqual(r.copies.map((c) => [c.kind, c.count, c.bad]), [['bytes', 1500, []], ['stream', 1500, []]]);
    for (const c of r.copies) {
      assert.ok(c.monotonic, 'progress never went back when the import started again');
      assert.equal(c.last, c.size, 'the last report is the whole image');
    }
  }
  await page.close();
});

test('point_in_time_recovery_flush_at_open_waits_for_the_opfs_pool_and_reports_the_damage', async () => {
  const page = await s.page();
  const w = await s.worker(page);
  const r = await w.run(F, 'recoverPointInTime', { name: 'pit-busy' });
  assert.equal(r.error, undefined, r.error?.message);
  assert.ok(r.refusals > 0, `a table of the recovery flush found no free file: ${JSON.stringify(r)}`);
  assert.equal(r.recovery.damaged, true, 'the open that ran again still reports the damage');
  assert.ok(r.recovery.batchesDiscarded > 0, 'the batches after the damage were set aside');
  assert.ok(r.recovery.filesMovedToLost >= 1);
  // one copy of each journal set aside, however often the open ran again (no journal-N.1), and
  // no report left once an open returned it
  assert.equal(r.lost.length, r.recovery.filesMovedToLost, `lost/ holds ${r.lost.join(' ')}`);
  assert.ok(r.lost.every((f) => /^journal-\d+$/.test(f)), `lost/ holds ${r.lost.join(' ')}`);
  assert.ok(r.count > 0 && r.count < 600 && r.count % 10 === 0, `the prefix of whole batches survived: ${r.count}`);
  assert.equal(r.bad, 0);
  assert.ok(r.tables > 4, `${r.tables} tables`);
  // the next open has nothing left to recover and the same entries
  assert.equal(r.laterDamaged, false);
  assert.equal(r.laterReplayed, 0);
  assert.deepEqual(r.laterCount, [true, true, false]);
  await page.close();
});

test('busy_retries_end_at_the_handle_cap_in_a_clear_too_many_files_error', async () => {
  const page = await s.page();
  const w = await s.worker(page);
  const tooMany = /too many files: OPFS database "[^"]+" holds at most 10 files \(maxHandles 12\)/;
  const ing = await w.run(F, 'ingestMany', { name: 'ingest-cap', pool: CAPPED });
  assert.equal(ing.error?.code, 'STRATA_IO', JSON.stringify(ing));
  assert.match(ing.error.message, tooMany);
  assert.equal(ing.tables, 0, 'nothing of the failed ingest is installed');
  assert.deepEqual(ing.after, { code: null }, 'the database stays usable');
  assert.equal(ing.afterGet, 'x');
  const imp = await w.run(F, 'importMany', { name: 'import-cap', pool: CAPPED });
  assert.equal(imp.errors.length, 2);
  for (const e of imp.errors) {
    assert.equal(e.code, 'STRATA_IO');
    assert.match(e.message, tooMany);
  }
  assert.equal(imp.emptyAfter, true, 'a failed import leaves nothing behind');
  const pit = await w.run(F, 'recoverPointInTime', { name: 'pit-cap', pool: CAPPED });
  assert.equal(pit.error?.code, 'STRATA_IO', JSON.stringify(pit));
  assert.match(pit.error.message, tooMany);
  await page.close();
});

test('the_opfs_pool_option_is_checked_at_open', async () => {
  const page = await s.page();
  const w = await s.worker(page);
  for (const [opfs, what] of [[{ maxHandles: 3 }, /opfs.maxHandles must be an integer from 4 to 250, got 3/],
    [{ minFree: 0 }, /opfs.minFree must be an integer/], [{ initialSlots: 1.5 }, /opfs.initialSlots must be an integer/],
    [{ handles: 9 }, /opfs.handles is not an option/], ['big', /opfs must be an object/]]) {
    const e = await w.run(F, 'openError', { name: 'bad-pool', opfs });
    assert.equal(e.code, 'STRATA_INVALID_ARGUMENT', JSON.stringify(e));
    assert.match(e.message, what);
  }
  await page.close();
});
