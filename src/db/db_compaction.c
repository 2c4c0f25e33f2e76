/*
 * db_compaction.c -- scheduling compaction for the database, and its public entry points.
 *
 * Threaded builds with background threads run a compaction thread beside the flush thread: it
 * sleeps until a flush (or a manual compaction) may have created work, then runs jobs until the
 * strategy has none. Writers slow down (a short sleep per write) while level 0 holds l0_slowdown
 * tables or more, and stop at l0_stop until compaction brings it back down -- leveled and tiered
 * only: FIFO never merges, so it must not stall writers on level 0.
 *
 * Without threads the host's maintenance steps compact, one job per unit of work; if the host
 * falls behind, the writer that finds level 0 at l0_stop compacts inline.
 *
 * Closing aborts running merges (they stop within a thousand entries and leave no trace) and
 * joins the thread.
 */
#include <stdlib.h>

#if STRATA_THREADS
#include <time.h>
#endif

#include "db_internal.h"

/* What the stall marks count on level 0: tables, or for tiered compaction the runs its trigger
 * counts -- one flush can write many tables as one run, and a stall on tables that the
 * strategy never sees as work would wait for ever. */
static uint64_t current_l0_tables(strata_db *db) {
  super_version *sv = tree_current(db->tree);
  uint64_t n = db->opts.compaction.strategy == COMPACTION_TIERED ? sv->version->levels[0].run_count
                                                                  : version_level_table_count(sv->version, 0);
  super_version_unref(sv);
  return n;
}

static int stalls_apply(const strata_db *db) { return db->opts.compaction.strategy != COMPACTION_FIFO; }

static void *compaction_thread(void *arg) {
  strata_db *db = arg;
  sync_mutex_lock(&db->bg_mu);
  while (!db->bg_stop) {
    /* after a failure of its own the thread retries on the backoff schedule (db.c) */
    uint64_t wait_ms = 0;
    if (!db_bg_may_run(db, DB_BG_COMPACTION, &wait_ms) || (!db->bg_error && !compactor_has_work(db->compactor))) {
      if (wait_ms) sync_cond_timedwait(&db->compact_wake, &db->bg_mu, wait_ms);
      else sync_cond_wait(&db->compact_wake, &db->bg_mu);
      continue;
    }
    sync_mutex_unlock(&db->bg_mu);
    int did = 0;
    strata_status *st = compactor_run_once(db->compactor, atomic_u64_load(&db->visible_seqno), &did, NULL);
    atomic_u64_store(&db->l0_tables, current_l0_tables(db));
    sync_mutex_lock(&db->bg_mu);
    if (st && !status_is(st, STRATA_BUSY)) db_bg_fail(db, st, DB_BG_COMPACTION);
    else if (st) strata_status_free(st); /* aborted because the database is closing */
    else db_bg_healed(db, DB_BG_COMPACTION);
    sync_cond_broadcast(&db->bg_done); /* stalled writers re-check level 0 */
  }
  sync_mutex_unlock(&db->bg_mu);
  return NULL;
}

/* The public filter behind the internal one: the replacement bytes are the filter's own. */
static compaction_filter_verdict public_filter(void *ctx, slice key, uint64_t seqno, slice value, buffer *replacement) {
  (void)seqno;
  const strata_db *db = ctx;
  const void *bytes = NULL;
  size_t len = 0;
  strata_filter_verdict v =
      db->opts.filter_fn(db->opts.filter_ctx, key.data, key.len, value.data, value.len, &bytes, &len);
  if (v == STRATA_FILTER_REMOVE) return COMPACTION_FILTER_REMOVE;
  if (v != STRATA_FILTER_REPLACE) return COMPACTION_FILTER_KEEP;
  /* on a failed copy the value is kept as it was: a filter cannot report errors */
  strata_status *st = buffer_append(replacement, bytes, len);
  if (!st) return COMPACTION_FILTER_REPLACE;
  strata_status_free(st);
  return COMPACTION_FILTER_KEEP;
}

strata_status *db_compaction_start(strata_db *db) {
  compaction_options o = db->opts.compaction;
  if (db->opts.filter_fn) {
    o.filter = public_filter;
    o.filter_ctx = db;
  }
  STATUS_TRY(compactor_new(db->tree, &o, &db->compactor));
  atomic_u64_store(&db->l0_tables, current_l0_tables(db));
  if (db->opts.background_threads) {
    STATUS_TRY(sync_thread_start(&db->compact_thread, compaction_thread, db));
    db->compact_running = 1;
  }
  return NULL;
}

void db_compaction_stop(strata_db *db) {
  if (db->compactor) compactor_abort(db->compactor);
  if (db->compact_running) {
    sync_mutex_lock(&db->bg_mu);
    db->bg_stop = 1;
    sync_cond_broadcast(&db->compact_wake);
    sync_cond_broadcast(&db->bg_done);
    sync_mutex_unlock(&db->bg_mu);
    sync_thread_join(&db->compact_thread);
    db->compact_running = 0;
  }
}

void db_compaction_free(strata_db *db) {
  compactor_free(db->compactor);
  db->compactor = NULL;
}

void db_compaction_notify(strata_db *db) {
  sync_mutex_assert_not_held(&db->bg_mu);
  if (!db->compactor) return;
  atomic_u64_store(&db->l0_tables, current_l0_tables(db));
  sync_mutex_lock(&db->bg_mu);
  sync_cond_signal(&db->compact_wake);
  sync_mutex_unlock(&db->bg_mu);
}

#if STRATA_THREADS
static void sleep_briefly(void) {
  struct timespec ts = {0, 200 * 1000}; /* 0.2 ms: about 5000 writes a second while slowed down */
  nanosleep(&ts, NULL);
}
#endif

strata_status *db_compaction_stall(strata_db *db) {
  sync_mutex_assert_held(&db->write_mu);
  if (!db->compactor || !stalls_apply(db)) return NULL;
  uint64_t l0 = atomic_u64_load(&db->l0_tables);
  if (l0 < db->opts.l0_slowdown) return NULL;
  if (!db->compact_running) {
    /* nobody else will compact: do it here, until level 0 is back under the slowdown mark */
    if (l0 < db->opts.l0_stop) return NULL;
    atomic_u64_fetch_add(&db->write_stalls, 1);
    int did = 1;
    while (did && atomic_u64_load(&db->l0_tables) >= db->opts.l0_slowdown) {
      STATUS_TRY(db_compaction_step(db, &did, NULL));
    }
    return NULL;
  }
#if STRATA_THREADS
  if (l0 < db->opts.l0_stop) {
    atomic_u64_fetch_add(&db->write_slowdowns, 1);
    sleep_briefly();
    return NULL;
  }
  atomic_u64_fetch_add(&db->write_stalls, 1);
  sync_mutex_lock(&db->bg_mu);
  sync_cond_signal(&db->compact_wake);
  while (atomic_u64_load(&db->l0_tables) >= db->opts.l0_stop && !db->bg_error && !db->bg_stop)
    sync_cond_wait(&db->bg_done, &db->bg_mu);
  sync_mutex_unlock(&db->bg_mu);
#endif
  return NULL;
}

strata_status *db_compaction_step(strata_db *db, int *did, uint64_t *bytes) {
  strata_status *st = compactor_run_once(db->compactor, atomic_u64_load(&db->visible_seqno), did, bytes);
  atomic_u64_store(&db->l0_tables, current_l0_tables(db));
  return st;
}

/* --- public entry points ---------------------------------------------------------------- */

strata_status *strata_compact(strata_db *db, int major) {
  HANDLE_CHECK(db, HANDLE_DB);
  strata_status *st = NULL;
  if (major) {
    st = strata_flush(db); /* the memtables' data joins the merge */
    if (!st) st = compactor_run_major(db->compactor, atomic_u64_load(&db->visible_seqno));
    atomic_u64_store(&db->l0_tables, current_l0_tables(db));
  } else {
    int did = 1;
    while (!st && did) st = db_compaction_step(db, &did, NULL);
  }
  db_compaction_notify(db); /* a failed manual compaction is the caller's to handle: writes go on */
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
  strata_status *st = compactor_exclusive(db->compactor, drop_locked, &d);
  sync_mutex_unlock(&db->write_mu);
  db_compaction_notify(db);
  return st;
}
