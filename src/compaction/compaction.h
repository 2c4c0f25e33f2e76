/*
 * compaction.h -- choosing, running and installing compactions of one tree.
 *
 * A compaction takes some tables out of the current version and puts others in:
 *   MERGE  reads the input tables through a compaction stream (compaction_stream.h: garbage
 *          collection of versions no snapshot can see, tombstone eviction, the filter) and
 *          writes new tables, split at the target size but never inside one user key;
 *   MOVE   relinks whole tables one level down without rewriting them (a trivial move);
 *   DROP   removes tables (FIFO limits and time-to-live).
 * The new version is rebuilt from the *current* one under the tree's install mutex (removing
 * the inputs, adding the outputs), so flushes that added level-0 runs meanwhile are kept; the
 * manifest is written first, then the version swapped; replaced tables are deleted when the last
 * reader lets go.
 *
 * A strategy (leveled.c, tiered.c, fifo.c, major.c) looks at a version and returns a job. The
 * tables of running jobs form the "hidden set": strategies never pick them, so two compactions
 * never share a table.
 *
 * Threads: a compactor may be used by several threads (a background worker, a manual
 * strata_compact, a maintenance step); its state has its own mutex.
 */
#ifndef STRATA_COMPACTION_COMPACTION_H
#define STRATA_COMPACTION_COMPACTION_H

#include <stddef.h>
#include <stdint.h>

#include "../tree/tree.h"
#include "../util/sync.h"
#include "compaction_stream.h"

typedef enum compaction_strategy_kind {
  COMPACTION_LEVELED = 0,
  COMPACTION_TIERED = 1,
  COMPACTION_FIFO = 2
} compaction_strategy_kind;

typedef struct compaction_options {
  compaction_strategy_kind strategy;
  uint64_t table_target_size; /* outputs are split here (default 64 MiB) */
  /* leveled */
  unsigned l0_trigger;        /* level-0 tables that start a compaction (default 4) */
  double level_ratio;         /* size ratio between levels (default 10) */
  /* tiered (RocksDB "universal") */
  double tiered_size_ratio;         /* a run joins a merge while it is <= (1 + ratio) x the runs before (default 1) */
  unsigned tiered_max_space_amp_pct; /* everything is merged when newer runs exceed this % of the oldest (200) */
  /* fifo */
  uint64_t fifo_limit_bytes; /* UINT64_MAX = no limit */
  uint64_t fifo_ttl_ms;      /* 0 = no time-to-live */
  /* an optional filter applied to values (never tombstones) as they are rewritten */
  compaction_filter_fn filter;
  void *filter_ctx;
} compaction_options;

void compaction_options_default(compaction_options *o);

typedef enum compaction_kind { COMPACTION_MERGE, COMPACTION_MOVE, COMPACTION_DROP } compaction_kind;

/* Where the outputs of a job go in the destination level. */
typedef enum compaction_placement {
  PLACE_INTO_RUN,    /* into the level's single run (leveled), or as its only run */
  PLACE_NEWEST_RUN,  /* as the level's newest run (tiered) */
  PLACE_OLDEST_RUN   /* as the level's oldest run (tiered into the last level) */
} compaction_placement;

typedef struct compaction_job {
  compaction_kind kind;
  uint64_t *table_ids; /* the inputs */
  size_t count;
  size_t cap;
  unsigned dest_level;
  compaction_placement placement;
  uint64_t target_size;
  int evict_tombstones; /* set by the worker: no older data for these keys exists below */
  const char *reason;   /* for messages and tests: "l0", "level", "move", "space-amp", ... */
} compaction_job;

STRATA_MUST_USE strata_status *compaction_job_new(compaction_kind kind, unsigned dest_level,
                                                  compaction_placement placement, uint64_t target_size,
                                                  const char *reason, compaction_job **out);
STRATA_MUST_USE strata_status *compaction_job_add(compaction_job *job, uint64_t table_id);
void compaction_job_free(compaction_job *job);

/* The ids of tables under compaction. */
typedef struct hidden_set {
  uint64_t *ids;
  size_t count;
  size_t cap;
} hidden_set;

int hidden_set_contains(const hidden_set *h, uint64_t id);
/* 1 if any table of the level is hidden. */
int hidden_set_level_busy(const hidden_set *h, const version *v, unsigned level);

typedef struct compaction_counters {
  uint64_t compactions;   /* jobs installed (merges, moves and drops) */
  uint64_t merges, moves, drops;
  uint64_t bytes_read;    /* input table bytes of merges */
  uint64_t bytes_written; /* output table bytes of merges */
  uint64_t aborted;       /* jobs stopped by compactor_abort */
} compaction_counters;

typedef struct compactor compactor;

/* A compactor for tree t (a reference is taken). */
STRATA_MUST_USE strata_status *compactor_new(tree *t, const compaction_options *o, compactor **out);
void compactor_free(compactor *c);
const compaction_options *compactor_options(const compactor *c);

/*
 * Picks and runs one job of the strategy. *did = 1 if a job was installed; *bytes_written gets
 * its output bytes (may be NULL). `visible_seqno` is the latest snapshot (every committed write
 * is below it): with the live pinned snapshots it decides which versions are still visible.
 */
STRATA_MUST_USE strata_status *compactor_run_once(compactor *c, uint64_t visible_seqno, int *did,
                                                  uint64_t *bytes_written);
/* Merges every table into the last level (waits for running jobs to finish first). */
STRATA_MUST_USE strata_status *compactor_run_major(compactor *c, uint64_t visible_seqno);

/*
 * Progress of one caller's compactions (strata_compact_with_progress): bytes of the merges'
 * input tables, `done` counted as their entries are read (file bytes in proportion to the
 * entries), `total` growing as each job is picked. Moves and drops read nothing and count
 * nothing. fn may be NULL; it runs on the thread doing the merge, with no lock held.
 */
typedef struct compaction_progress {
  void (*fn)(void *ctx, uint64_t done, uint64_t total);
  void *ctx;
  uint64_t done, total;
} compaction_progress;
/* compactor_run_once / compactor_run_major reporting to `progress` (NULL: as those). */
STRATA_MUST_USE strata_status *compactor_run_once_with(compactor *c, uint64_t visible_seqno, int *did,
                                                       uint64_t *bytes_written, compaction_progress *progress);
STRATA_MUST_USE strata_status *compactor_run_major_with(compactor *c, uint64_t visible_seqno,
                                                        compaction_progress *progress);
/* 1 if the strategy would pick a job now (a cheap check for schedulers). */
int compactor_has_work(compactor *c);

/* Stops running merges soon (they fail with STRATA_BUSY and leave no trace); no new jobs start. */
void compactor_abort(compactor *c);

/*
 * Runs fn while no compaction runs and none can start (drop_range, clear): waits for the
 * running jobs to finish first.
 */
STRATA_MUST_USE strata_status *compactor_exclusive(compactor *c, strata_status *(*fn)(void *ctx), void *ctx);

compaction_counters compactor_get_counters(compactor *c);

#endif
