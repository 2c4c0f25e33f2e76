/*
 * scheduler.h -- the database's background work, in one place: the flush and compaction threads,
 * their stop and error state (retry with backoff, resume), both write stalls, and the maintenance
 * steps that do the same work on the host's thread in single-threaded builds.
 *
 * Threaded builds with background threads run a flush thread (it flushes while sealed memtables
 * wait) and a compaction thread (it sleeps until a flush or a manual compaction may have created
 * work, then runs jobs until the strategy has none). Without threads the host calls
 * strata_maintenance_step (scheduler_step): a flush, or one compaction job, per unit of work.
 *
 * Write stalls, before a write (the writer holds the database's write lock):
 *  - level 0: writes slow down (a short sleep each) while it holds l0_slowdown tables or more,
 *    and stop at l0_stop until compaction brings it back down -- leveled and tiered only: FIFO
 *    never merges, so it must not stall writers. Without a compaction thread the writer that
 *    finds level 0 at l0_stop compacts inline. Whichever thread changes level 0 (a flush, a
 *    compaction on any thread) wakes the stalled writers.
 *  - sealed memtables: while more than max_sealed_memtables wait, writers wait for the flush
 *    thread (a background error ends the wait and is returned), or without it flush inline.
 *
 * Errors: a failed flush or compaction becomes the database's error; while it is set, writes
 * fail with it and the threads pause, except the one whose work failed, which retries with
 * backoff (10 ms doubling to 1 s). An STRATA_IO, STRATA_QUOTA, STRATA_BUSY or STRATA_NO_MEMORY error heals when a retry
 * succeeds; any other (corruption), and a write that was journaled but not applied in memory,
 * stays until the database is reopened. scheduler_resume retries at once. STRATA_BUSY is a
 * backend's "would block" (the browser's OPFS host found no pre-opened file free): the flush or
 * compaction job it stopped left nothing behind; a maintenance step returns it (as every error
 * that can heal) without making it the database's error, and the host runs the step again once
 * it is ready. A write refused that way (its inline flush, compaction or journal rotation) was
 * not applied.
 *
 * Closing aborts running merges (they stop within a thousand entries and leave no trace), lets a
 * flush in progress complete, and joins the threads.
 *
 * Call graph of src/db/ (an arrow is "calls"; no file is called back by a file it calls):
 *   db.c -> scheduler.c -> { flush via the tree (tree_flush_oldest), compaction via the compactor }
 *   db.c -> db_recovery.c -> db_apply.c      db.c -> db_apply.c, options.c
 *   db_compaction.c -> db.c (strata_flush), scheduler.c, db_read.c
 *   db_read.c -> db.c (argument checks), scheduler.c (counters)
 *   repair.c -> options.c                    all of them -> handle.c
 *   db_export.c -> scheduler.c (journal pins)  db_import.c -> nothing else in src/db/
 * (tests/js/architecture.test.mjs checks that the calls between these files form no cycle)
 * scheduler.c calls nothing in src/db/: it knows the tree, the compactor and the journal folder.
 *
 * Locks: the scheduler's mutex is taken after the database's write lock, never before, and is
 * never held across a flush or a compaction. Its journal lock (spent journals' removal, export
 * pins) is taken after the write lock too, and before the tree's.
 */
#ifndef STRATA_DB_SCHEDULER_H
#define STRATA_DB_SCHEDULER_H

#include <stdint.h>

#include "../compaction/compaction.h"
#include "../tree/tree.h"
#include "../util/sync.h"
#include "../vfs/vfs.h"

typedef struct scheduler scheduler;

/* What the scheduler works on; the pointers must outlive it. */
typedef struct scheduler_options {
  vfs *fs;
  const char *journal_dir; /* journals below the tree's journal_min are removed after flushes */
  tree *tree;
  const atomic_u64 *visible_seqno; /* every committed write is below it: compaction's view */
  int background_threads;          /* run the two threads (threaded builds only) */
  uint32_t max_sealed_memtables;
  uint32_t l0_slowdown; /* level-0 tables at which writes slow down */
  uint32_t l0_stop;     /* ... and stop until compaction catches up */
  compaction_options compaction;
  const sync_mutex *write_lock; /* the database's write lock: checked held by the write stalls, never taken */
} scheduler_options;

typedef struct scheduler_counters {
  uint64_t write_stalls;    /* writes that waited (or worked) for a flush or a compaction */
  uint64_t write_slowdowns; /* writes slowed down by level 0 */
  compaction_counters compaction;
} scheduler_counters;

/* Creates the compactor and, with background threads, starts both threads. */
STRATA_MUST_USE strata_status *scheduler_start(const scheduler_options *o, scheduler **out);
/* Aborts compactions and joins the threads (no database lock held); safe twice. */
void scheduler_stop(scheduler *s);
/* Stops, then frees the scheduler and its compactor (NULL is fine). */
void scheduler_free(scheduler *s);

/* After a rotation sealed a memtable (write lock held): wakes the flush thread. */
void scheduler_notify_sealed(scheduler *s);
/* A count that grows whenever a maintenance step may find new work: a memtable was sealed, a
 * flush, compaction or range drop installed a version, a failure healed (strata_maintenance_events). */
uint64_t scheduler_work_events(scheduler *s);
/* Before a write (write lock held): the database's error, else the level-0 stall. */
STRATA_MUST_USE strata_status *scheduler_admit_write(scheduler *s);
/* Before a write, once a full memtable is sealed (write lock held): the sealed-memtable stall. */
STRATA_MUST_USE strata_status *scheduler_wait_for_room(scheduler *s);

/* Flushes every sealed memtable now, on the caller's thread (strata_flush; no scheduler lock). */
STRATA_MUST_USE strata_status *scheduler_flush(scheduler *s);
/* Compacts on the caller's thread: until the strategy has no job, or (major) everything into
 * the last level; a failure is the caller's, not the database's error. */
STRATA_MUST_USE strata_status *scheduler_compact(scheduler *s, int major);
/* The same, reporting to `progress` (compaction.h; NULL: none). */
STRATA_MUST_USE strata_status *scheduler_compact_with(scheduler *s, int major, compaction_progress *progress);
/* Runs fn while no compaction runs (strata_drop_range), then wakes the compaction thread. */
STRATA_MUST_USE strata_status *scheduler_exclusive(scheduler *s, strata_status *(*fn)(void *ctx), void *ctx);
/* One maintenance step (strata_maintenance_step, after the journal's interval sync): units of
 * work until `budget_bytes` are spent; *more = 1 when work is left. */
STRATA_MUST_USE strata_status *scheduler_step(scheduler *s, uint64_t budget_bytes, int *more);

/* A copy of the database's error (NULL when none); with sticky_only only one that cannot heal. */
STRATA_MUST_USE strata_status *scheduler_error(scheduler *s, int sticky_only);
/* A write was journaled but not applied in memory: writes are refused until reopened. */
void scheduler_fail_write(scheduler *s, const strata_status *st);
/* Retries the work that failed now, on the caller's thread (strata_resume). */
STRATA_MUST_USE strata_status *scheduler_resume(scheduler *s);

scheduler_counters scheduler_get_counters(scheduler *s);

/*
 * Journals a database export still reads (db_export.c). Reads the tree's current state into
 * *state (tree_current_state) and, in the same step with respect to the removal of spent
 * journals after flushes, pins its journals: until the matching unpin no journal numbered at or
 * above its journal_min is removed (a later flush or the next open removes them). Takes the
 * scheduler's journal lock, after the database's write lock when both are held.
 */
void scheduler_pin_journals(scheduler *s, manifest_state *state);
void scheduler_unpin_journals(scheduler *s);

#endif
