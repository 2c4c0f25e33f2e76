/* scheduler.c -- the database's background work (see scheduler.h). */
#include "scheduler.h"

#include <assert.h>
#include <stdlib.h>

#if STRATA_THREADS
#include <time.h>
#endif

#include "../journal/journal_files.h"
#include "../util/check.h"
#include "../util/clock.h"

/* Whose work failed and retries. */
enum { WORK_FLUSH = 1, WORK_COMPACTION = 2, WORK_FOREGROUND = 3 };
#define BACKOFF_MIN_MS 10u
#define BACKOFF_MAX_MS 1000u

struct scheduler {
  scheduler_options o;
  compactor *compactor;

  sync_mutex mu;
  sync_cond flush_wake;   /* work for the flush thread */
  sync_cond compact_wake; /* a flush or a manual compaction may have made work */
  sync_cond done;         /* a flush or compaction finished: stalled writers re-check */
  sync_thread flush_thread;
  sync_thread compact_thread;
  int flush_running;
  int compact_running;
  int stop;
  /* The database's error (under mu): while set, writes fail with it and the threads pause,
   * except the one that failed, which retries. */
  strata_status *error;
  int error_source;     /* WORK_*: whose work failed, and retries */
  int error_sticky;     /* cannot heal by retrying (not STRATA_IO): stays until reopened */
  uint64_t retry_at_ms; /* monotonic time of the next retry */
  uint64_t backoff_ms;  /* the delay before it: BACKOFF_MIN_MS doubling to BACKOFF_MAX_MS */

  /* Under journal_mu: the removal of spent journals, and the exports' pins on journals. */
  sync_mutex journal_mu;
  uint32_t journal_pins;    /* exports reading journals */
  uint64_t journal_pin_min; /* no journal at or above it is removed while pinned */

  atomic_u64 l0_tables; /* level-0 tables of the current version, for the write stall */
  atomic_u64 work_events; /* scheduler_work_events */
  atomic_u64 write_stalls;
  atomic_u64 write_slowdowns;
};

/* --- errors ------------------------------------------------------------------------------ */

/* A full disk or a failing device may recover; a bad byte or a broken invariant does not. */
static int error_can_heal(const strata_status *st) {
  /* a full quota is a full disk: the retry succeeds once there is room; a backend's "would
   * block" (STRATA_BUSY, strata_vfs.h) once the backend is ready */
  return status_is(st, STRATA_IO) || status_is(st, STRATA_QUOTA) || status_is(st, STRATA_NO_MEMORY) ||
         status_is(st, STRATA_BUSY);
}

/* Records a failure of `source`'s work (mu held; takes st): the first error stays the
 * database's error until it heals, a failed retry replaces it and doubles the backoff. */
static void fail(scheduler *s, strata_status *st, int source) {
  sync_mutex_assert_held(&s->mu);
  uint64_t now = clock_monotonic_ms();
  /* the first error is the one to report, unless a write left memory behind its journal */
  if (s->error && (s->error_sticky || (s->error_source != source && source != WORK_FOREGROUND))) {
    strata_status_free(st);
    return;
  }
  if (!s->error || s->error_source != source) s->backoff_ms = BACKOFF_MIN_MS;
  else {
    strata_status_free(s->error); /* a failed retry: its error is the current cause */
    s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
  }
  s->error = st;
  s->error_source = source;
  s->error_sticky = source == WORK_FOREGROUND || !error_can_heal(st);
  s->retry_at_ms = now + s->backoff_ms;
  sync_cond_broadcast(&s->done); /* stalled writers return the error instead of waiting */
}

/* `source`'s work succeeded (mu held): clears its error and wakes writers and threads. */
static void healed(scheduler *s, int source) {
  sync_mutex_assert_held(&s->mu);
  if (!s->error || s->error_source != source || s->error_sticky) return;
  strata_status_free(s->error);
  s->error = NULL;
  s->error_source = 0;
  atomic_u64_fetch_add(&s->work_events, 1);
  sync_cond_broadcast(&s->done);
  sync_cond_signal(&s->flush_wake); /* the other thread paused on the error */
  sync_cond_signal(&s->compact_wake);
}

/* 1 when `source` may run its work now (mu held); else *wait_ms is how long to sleep, 0 for
 * "until woken" (another source's error, or one that cannot heal). */
static int may_run(scheduler *s, int source, uint64_t *wait_ms) {
  sync_mutex_assert_held(&s->mu);
  *wait_ms = 0;
  if (!s->error) return 1;
  if (s->error_sticky || s->error_source != source) return 0;
  uint64_t now = clock_monotonic_ms();
  if (now >= s->retry_at_ms) return 1;
  *wait_ms = s->retry_at_ms - now;
  return 0;
}

/* The error as the caller sees it (mu held). */
static strata_status *error_copy(const scheduler *s) {
  sync_mutex_assert_held(&s->mu);
  const char *what = s->error_source == WORK_COMPACTION   ? "background compaction failed"
                     : s->error_source == WORK_FOREGROUND ? "the database refuses writes"
                                                          : "background flush failed";
  const char *how = s->error_sticky ? "reopen the database" : "retrying with backoff; strata_resume retries now";
  return status_new(strata_status_code(s->error), "%s (%s): %s", what, how, strata_status_message(s->error));
}

strata_status *scheduler_error(scheduler *s, int sticky_only) {
  sync_mutex_lock(&s->mu);
  strata_status *st = s->error && (s->error_sticky || !sticky_only) ? error_copy(s) : NULL;
  sync_mutex_unlock(&s->mu);
  return st;
}

void scheduler_fail_write(scheduler *s, const strata_status *st) {
  sync_mutex_lock(&s->mu);
  fail(s, status_new(strata_status_code(st), "%s", strata_status_message(st)), WORK_FOREGROUND);
  sync_mutex_unlock(&s->mu);
}

/* --- the work ---------------------------------------------------------------------------- */

/* What the stall marks count on level 0: tables, or for tiered compaction the runs its trigger
 * counts -- one flush can write many tables as one run, and a stall on tables that the
 * strategy never sees as work would wait for ever. */
static uint64_t current_l0_tables(scheduler *s) {
  super_version *sv = tree_current(s->o.tree);
  uint64_t n = s->o.compaction.strategy == COMPACTION_TIERED ? sv->version->levels[0].run_count
                                                              : version_level_table_count(sv->version, 0);
  super_version_unref(sv);
  return n;
}

/* Level 0 may have changed (mu not held): refreshes the count the level-0 stall reads and wakes
 * the writers stalled on it. Every change goes through here, whichever thread made it: a writer
 * stalled while a manual compaction or a maintenance step emptied level 0 would otherwise sleep
 * on, the compaction thread finding no work and never waking it. */
static void level0_changed(scheduler *s) {
  sync_mutex_assert_not_held(&s->mu);
  atomic_u64_store(&s->l0_tables, current_l0_tables(s));
  sync_mutex_lock(&s->mu);
  sync_cond_broadcast(&s->done);
  sync_mutex_unlock(&s->mu);
}

/* After a flush or compaction: refreshes the level-0 count, wakes stalled writers and the
 * compaction thread (mu not held). */
static void notify_compaction(scheduler *s) {
  atomic_u64_fetch_add(&s->work_events, 1);
  level0_changed(s);
  sync_mutex_lock(&s->mu);
  sync_cond_signal(&s->compact_wake);
  sync_mutex_unlock(&s->mu);
}

/* Journals below the tree's journal_min hold only flushed writes. */
static strata_status *remove_spent_journals_locked(scheduler *s) {
  uint64_t *numbers = NULL;
  size_t count = 0;
  STATUS_TRY(journal_list(s->o.fs, s->o.journal_dir, &numbers, &count));
  uint64_t min = tree_journal_min(s->o.tree);
  if (s->journal_pins && s->journal_pin_min < min) min = s->journal_pin_min; /* an export reads them */
  strata_status *st = NULL;
  for (size_t i = 0; i < count && !st; i++) {
    if (numbers[i] >= min) continue;
    st = journal_remove(s->o.fs, s->o.journal_dir, numbers[i]);
    if (status_is(st, STRATA_NOT_FOUND)) { /* a concurrent flusher removed it first */
      strata_status_free(st);
      st = NULL;
    }
  }
  free(numbers);
  return st;
}

static strata_status *remove_spent_journals(scheduler *s) {
  sync_mutex_lock(&s->journal_mu);
  strata_status *st = remove_spent_journals_locked(s);
  sync_mutex_unlock(&s->journal_mu);
  return st;
}

void scheduler_pin_journals(scheduler *s, manifest_state *state) {
  sync_mutex_lock(&s->journal_mu);
  tree_current_state(s->o.tree, state);
  if (!s->journal_pins || state->journal_min < s->journal_pin_min) s->journal_pin_min = state->journal_min;
  s->journal_pins++;
  sync_mutex_unlock(&s->journal_mu);
}

void scheduler_unpin_journals(scheduler *s) {
  sync_mutex_lock(&s->journal_mu);
  assert(s->journal_pins > 0);
  if (--s->journal_pins == 0) s->journal_pin_min = UINT64_MAX;
  sync_mutex_unlock(&s->journal_mu);
}

strata_status *scheduler_flush(scheduler *s) {
  sync_mutex_assert_not_held(&s->mu); /* write_lock is held when a writer without threads flushes */
  int flushed = 1, any = 0;
  while (flushed) {
    STATUS_TRY(tree_flush_oldest(s->o.tree, &flushed));
    any |= flushed;
    if (flushed) notify_compaction(s); /* wakes writers stalled on sealed memtables too */
  }
  return any ? remove_spent_journals(s) : NULL;
}

/* One unit of compaction; *did = 0 when none was due. */
static strata_status *compact_once(scheduler *s, int *did, uint64_t *bytes, compaction_progress *progress) {
  strata_status *st = compactor_run_once_with(s->compactor, atomic_u64_load(s->o.visible_seqno), did, bytes, progress);
  level0_changed(s);
  return st;
}

strata_status *scheduler_compact(scheduler *s, int major) {
  return scheduler_compact_with(s, major, NULL);
}

strata_status *scheduler_compact_with(scheduler *s, int major, compaction_progress *progress) {
  strata_status *st = NULL;
  if (major) {
    st = compactor_run_major_with(s->compactor, atomic_u64_load(s->o.visible_seqno), progress);
  } else {
    int did = 1;
    while (!st && did) st = compact_once(s, &did, NULL, progress);
  }
  notify_compaction(s); /* a failed manual compaction is the caller's to handle: writes go on */
  return st;
}

strata_status *scheduler_exclusive(scheduler *s, strata_status *(*fn)(void *ctx), void *ctx) {
  strata_status *st = compactor_exclusive(s->compactor, fn, ctx);
  notify_compaction(s);
  return st;
}

/* --- the threads ------------------------------------------------------------------------- */

/* Flushes while sealed memtables wait; after a failure, retries on the backoff schedule. */
static void *flush_thread(void *arg) {
  scheduler *s = arg;
  sync_mutex_lock(&s->mu);
  while (!s->stop) {
    uint64_t wait_ms = 0;
    if (!may_run(s, WORK_FLUSH, &wait_ms) || (!s->error && tree_sealed_count(s->o.tree) == 0)) {
      if (wait_ms) sync_cond_timedwait(&s->flush_wake, &s->mu, wait_ms);
      else sync_cond_wait(&s->flush_wake, &s->mu);
      continue;
    }
    sync_mutex_unlock(&s->mu);
    strata_status *st = scheduler_flush(s);
    sync_mutex_lock(&s->mu);
    if (st) fail(s, st, WORK_FLUSH);
    else healed(s, WORK_FLUSH);
    sync_cond_broadcast(&s->done);
  }
  sync_mutex_unlock(&s->mu);
  return NULL;
}

/* Compacts while the strategy has work; after a failure of its own, retries on the backoff
 * schedule. */
static void *compaction_thread(void *arg) {
  scheduler *s = arg;
  sync_mutex_lock(&s->mu);
  while (!s->stop) {
    uint64_t wait_ms = 0;
    if (!may_run(s, WORK_COMPACTION, &wait_ms) || (!s->error && !compactor_has_work(s->compactor))) {
      if (wait_ms) sync_cond_timedwait(&s->compact_wake, &s->mu, wait_ms);
      else sync_cond_wait(&s->compact_wake, &s->mu);
      continue;
    }
    sync_mutex_unlock(&s->mu);
    int did = 0;
    strata_status *st = compact_once(s, &did, NULL, NULL);
    sync_mutex_lock(&s->mu);
    if (st && !status_is(st, STRATA_BUSY)) fail(s, st, WORK_COMPACTION);
    else if (st) strata_status_free(st); /* aborted because the database is closing */
    else healed(s, WORK_COMPACTION);
  }
  sync_mutex_unlock(&s->mu);
  return NULL;
}

strata_status *scheduler_start(const scheduler_options *o, scheduler **out) {
  *out = NULL;
  scheduler *s = calloc(1, sizeof *s);
  if (!s) return status_no_memory();
  s->o = *o;
  atomic_u64_init(&s->l0_tables, 0);
  atomic_u64_init(&s->work_events, 0);
  atomic_u64_init(&s->write_stalls, 0);
  atomic_u64_init(&s->write_slowdowns, 0);
  s->journal_pin_min = UINT64_MAX;
  strata_status *st = sync_mutex_init(&s->mu);
  if (!st) st = sync_mutex_init(&s->journal_mu);
  if (!st) st = sync_cond_init(&s->flush_wake);
  if (!st) st = sync_cond_init(&s->compact_wake);
  if (!st) st = sync_cond_init(&s->done);
  if (!st) st = compactor_new(o->tree, &o->compaction, &s->compactor);
  if (!st) atomic_u64_store(&s->l0_tables, current_l0_tables(s));
  if (!st && o->background_threads) {
    st = sync_thread_start(&s->flush_thread, flush_thread, s);
    s->flush_running = st == NULL;
  }
  if (!st && o->background_threads) {
    st = sync_thread_start(&s->compact_thread, compaction_thread, s);
    s->compact_running = st == NULL;
  }
  if (st) {
    scheduler_free(s);
    return st;
  }
  *out = s;
  return NULL;
}

/* Compaction first (a running merge is aborted), then the flush thread (a flush in progress
 * completes). */
void scheduler_stop(scheduler *s) {
  if (!s) return;
  if (s->compactor) compactor_abort(s->compactor);
  if (s->compact_running) {
    sync_mutex_lock(&s->mu);
    s->stop = 1;
    sync_cond_broadcast(&s->compact_wake);
    sync_cond_broadcast(&s->done);
    sync_mutex_unlock(&s->mu);
    sync_thread_join(&s->compact_thread);
    s->compact_running = 0;
  }
  if (s->flush_running) {
    sync_mutex_lock(&s->mu);
    s->stop = 1;
    sync_cond_broadcast(&s->flush_wake);
    sync_mutex_unlock(&s->mu);
    sync_thread_join(&s->flush_thread);
    s->flush_running = 0;
  }
}

void scheduler_free(scheduler *s) {
  if (!s) return;
  scheduler_stop(s);
  compactor_free(s->compactor); /* drops its tree reference */
  strata_status_free(s->error);
  sync_cond_destroy(&s->done);
  sync_cond_destroy(&s->compact_wake);
  sync_cond_destroy(&s->flush_wake);
  sync_mutex_destroy(&s->journal_mu);
  sync_mutex_destroy(&s->mu);
  free(s);
}

/* --- the write stalls -------------------------------------------------------------------- */

void scheduler_notify_sealed(scheduler *s) {
  if (s->o.write_lock) sync_mutex_assert_held(s->o.write_lock);
  atomic_u64_fetch_add(&s->work_events, 1);
  if (!s->flush_running) return;
  sync_mutex_lock(&s->mu);
  sync_cond_signal(&s->flush_wake);
  sync_mutex_unlock(&s->mu);
}

#if STRATA_THREADS
static void sleep_briefly(void) {
  struct timespec ts = {0, 200 * 1000}; /* 0.2 ms: about 5000 writes a second while slowed down */
  nanosleep(&ts, NULL);
}
#endif

/* Slows down or stops while level 0 is over its limits (write lock held). */
static strata_status *level0_stall(scheduler *s) {
  if (s->o.write_lock) sync_mutex_assert_held(s->o.write_lock);
  if (s->o.compaction.strategy == COMPACTION_FIFO) return NULL; /* FIFO never merges level 0 */
  uint64_t l0 = atomic_u64_load(&s->l0_tables);
  if (l0 < s->o.l0_slowdown) return NULL;
  if (!s->compact_running) {
    /* nobody else will compact: do it here, until level 0 is back under the slowdown mark */
    if (l0 < s->o.l0_stop) return NULL;
    atomic_u64_fetch_add(&s->write_stalls, 1);
    int did = 1;
    while (did && atomic_u64_load(&s->l0_tables) >= s->o.l0_slowdown) STATUS_TRY(compact_once(s, &did, NULL, NULL));
    return NULL;
  }
#if STRATA_THREADS
  if (l0 < s->o.l0_stop) {
    atomic_u64_fetch_add(&s->write_slowdowns, 1);
    sleep_briefly();
    return NULL;
  }
  atomic_u64_fetch_add(&s->write_stalls, 1);
  sync_mutex_lock(&s->mu);
  sync_cond_signal(&s->compact_wake);
  while (atomic_u64_load(&s->l0_tables) >= s->o.l0_stop && !s->error && !s->stop) sync_cond_wait(&s->done, &s->mu);
  sync_mutex_unlock(&s->mu);
#endif
  return NULL;
}

strata_status *scheduler_admit_write(scheduler *s) {
  STATUS_TRY(scheduler_error(s, 0));
  STATUS_TRY(level0_stall(s));
  return scheduler_error(s, 0); /* the stall ends early on a background error */
}

strata_status *scheduler_wait_for_room(scheduler *s) {
  if (s->o.write_lock) sync_mutex_assert_held(s->o.write_lock);
  sync_mutex_assert_not_held(&s->mu);
  if (tree_sealed_count(s->o.tree) <= s->o.max_sealed_memtables) return NULL;
  atomic_u64_fetch_add(&s->write_stalls, 1);
  if (!s->flush_running) return scheduler_flush(s);
  sync_mutex_lock(&s->mu);
  sync_cond_signal(&s->flush_wake);
  while (tree_sealed_count(s->o.tree) > s->o.max_sealed_memtables && !s->error && !s->stop)
    sync_cond_wait(&s->done, &s->mu);
  sync_mutex_unlock(&s->mu);
  return scheduler_error(s, 0);
}

/* --- maintenance steps and resume -------------------------------------------------------- */

/* A failed maintenance step: the host's next step is the retry of an error that can heal; one
 * that cannot (corruption) becomes the database's error, as on the background threads.
 * STRATA_BUSY is a backend's "would block" (a browser host with no pre-opened file free): the
 * unit of work left nothing behind, and the host retries the step once it is ready. */
static strata_status *step_failed(scheduler *s, strata_status *st, int source) {
  if (!st || error_can_heal(st)) return st;
  sync_mutex_lock(&s->mu);
  fail(s, status_new(strata_status_code(st), "%s", strata_status_message(st)), source);
  sync_mutex_unlock(&s->mu);
  return st;
}

strata_status *scheduler_step(scheduler *s, uint64_t budget_bytes, int *more) {
  *more = 0;
  /* units of work (a flush, one compaction job) until the budget is spent; at least one runs,
   * and a job is never split, so one step may overshoot the budget by one job */
  uint64_t spent = 0;
  for (;;) {
    tree_counters before = tree_get_counters(s->o.tree);
    int flushed = 0, compacted = 0;
    STATUS_TRY(step_failed(s, tree_flush_oldest(s->o.tree, &flushed), WORK_FLUSH));
    if (flushed) {
      STATUS_TRY(step_failed(s, remove_spent_journals(s), WORK_FLUSH));
      notify_compaction(s);
      spent += tree_get_counters(s->o.tree).bytes_flushed - before.bytes_flushed;
    } else {
      uint64_t bytes = 0;
      STATUS_TRY(step_failed(s, compact_once(s, &compacted, &bytes, NULL), WORK_COMPACTION));
      spent += bytes;
    }
    if (!flushed && !compacted) break;
    if (spent >= budget_bytes) {
      *more = tree_sealed_count(s->o.tree) > 0 || compactor_has_work(s->compactor);
      break;
    }
  }
  return NULL;
}

strata_status *scheduler_resume(scheduler *s) {
  sync_mutex_lock(&s->mu);
  int source = s->error ? s->error_source : WORK_FLUSH;
  strata_status *st = s->error && s->error_sticky ? error_copy(s) : NULL;
  sync_mutex_unlock(&s->mu);
  if (st) return st;
  /* the work that failed, now, on this thread (both are safe beside the background threads);
   * without threads, what a failed maintenance step left: the flushes, then a compaction */
  int did = 0;
  if (source == WORK_COMPACTION) st = compact_once(s, &did, NULL, NULL);
  else st = scheduler_flush(s);
  if (!st && !s->flush_running) st = compact_once(s, &did, NULL, NULL);
  sync_mutex_lock(&s->mu);
  strata_status *copy = NULL;
  if (st) {
    copy = status_new(strata_status_code(st), "resume: %s", strata_status_message(st));
    if (s->error || !error_can_heal(st)) fail(s, st, source);
    else strata_status_free(st); /* nothing to keep: a later step retries, the caller has it */
  } else {
    healed(s, source);
  }
  sync_mutex_unlock(&s->mu);
  if (!copy) notify_compaction(s);
  return copy;
}

uint64_t scheduler_work_events(scheduler *s) {
  return atomic_u64_load(&s->work_events);
}

scheduler_counters scheduler_get_counters(scheduler *s) {
  scheduler_counters c;
  c.write_stalls = atomic_u64_load(&s->write_stalls);
  c.write_slowdowns = atomic_u64_load(&s->write_slowdowns);
  c.compaction = compactor_get_counters(s->compactor);
  return c;
}
