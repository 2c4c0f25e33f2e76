/* compaction_internal.h -- the compactor's state, shared by compaction_state.c and compaction_worker.c. */
#ifndef STRATA_COMPACTION_COMPACTION_INTERNAL_H
#define STRATA_COMPACTION_COMPACTION_INTERNAL_H

#include "../tree/tree.h"
#include "strategy.h"

struct compactor {
  tree *t;
  compaction_options o;
  atomic_flag_int abort;

  /* Guarded by mu. */
  sync_mutex mu;
  sync_cond idle; /* a job finished or an exclusive section ended */
  hidden_set hidden;
  size_t running;
  int exclusive;
  compaction_counters counters;
};

/* A picked job with the version it was picked from (its tables stay alive while referenced). */
typedef struct picked_job {
  compaction_job *job;
  version *base;
  compaction_progress *progress; /* NULL, or the caller's (set after the pick) */
} picked_job;

typedef strata_status *(*compaction_choose_fn)(const strategy_input *in, compaction_job **out);

/*
 * Picks a job with `choose` under mu, hides its tables and decides tombstone eviction.
 * p->job is NULL when there is nothing to do (or the compactor is aborting or exclusive).
 */
STRATA_MUST_USE strata_status *compactor_pick(compactor *c, compaction_choose_fn choose, picked_job *p);
/* Un-hides the job's tables, adds its counters (when installed), wakes waiters, frees the job. */
void compactor_finish(compactor *c, picked_job *p, const compaction_counters *done);

/* Runs a picked job to its install (compaction_worker.c); fills *done. */
STRATA_MUST_USE strata_status *compaction_run_job(compactor *c, const picked_job *p, uint64_t visible_seqno,
                                                  compaction_counters *done);

#endif
