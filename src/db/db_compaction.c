/*
 * db_compaction.c -- the public compaction entry points: strata_compact and strata_drop_range.
 * The work itself, and compaction in the background, is the scheduler's (scheduler.h).
 */
#include "db_internal.h"

strata_status *strata_compact(strata_db *db, int major) {
  return strata_compact_with_progress(db, major, NULL, NULL);
}

strata_status *strata_compact_with_progress(strata_db *db, int major, strata_progress_fn fn, void *ctx) {
  HANDLE_CHECK(db, HANDLE_DB);
  if (major) STATUS_TRY(strata_flush(db)); /* the memtables' data joins the merge */
  compaction_progress progress = {fn, ctx, 0, 0};
  strata_status *st = scheduler_compact_with(db->sched, major, fn ? &progress : NULL);
  if (!st && fn) fn(ctx, progress.total, progress.total); /* the last call: done == total */
  return st;
}

typedef struct drop_ctx {
  strata_db *db;
  key_range range;
} drop_ctx;

static strata_status *drop_locked(void *ctx) {
  drop_ctx *d = ctx;
  return tree_drop_range(d->db->tree, &d->range, d->db->next_seqno);
}

strata_status *strata_drop_range(strata_db *db, const strata_range *range) {
  HANDLE_CHECK(db, HANDLE_DB);
  STATUS_TRY(db_check_range(range, __func__));
  drop_ctx d = {db, key_range_all()};
  if (range) {
    d.range.lo.kind = range->lo_kind == STRATA_INCLUDED   ? BOUND_INCLUDED
                      : range->lo_kind == STRATA_EXCLUDED ? BOUND_EXCLUDED
                                                          : BOUND_UNBOUNDED;
    d.range.lo.key = range->lo_kind == STRATA_UNBOUNDED ? slice_make(NULL, 0) : slice_make(range->lo, range->lo_len);
    d.range.hi.kind = range->hi_kind == STRATA_INCLUDED   ? BOUND_INCLUDED
                      : range->hi_kind == STRATA_EXCLUDED ? BOUND_EXCLUDED
                                                          : BOUND_UNBOUNDED;
    d.range.hi.key = range->hi_kind == STRATA_UNBOUNDED ? slice_make(NULL, 0) : slice_make(range->hi, range->hi_len);
  }
  /* under the write lock, so the drop is installed at a seqno no write has yet; no compaction
   * may hold the tables meanwhile */
  sync_mutex_lock(&db->write_mu);
  strata_status *st = scheduler_exclusive(db->sched, drop_locked, &d);
  sync_mutex_unlock(&db->write_mu);
  return st;
}
