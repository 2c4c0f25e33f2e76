/*
 * strategy.h -- the strategies' common shape: look at a version, return a job or nothing.
 *
 * A strategy runs under the compactor's state mutex with the current version and the hidden set
 * (tables of running jobs); it must not pick hidden tables and must leave *out NULL when there is
 * nothing to do. It only reads; the compactor marks the chosen tables hidden.
 */
#ifndef STRATA_COMPACTION_STRATEGY_H
#define STRATA_COMPACTION_STRATEGY_H

#include "compaction.h"

typedef struct strategy_input {
  const compaction_options *o;
  const version *v;
  const hidden_set *hidden;
  uint64_t now_unix_ms;
} strategy_input;

STRATA_MUST_USE strata_status *leveled_choose(const strategy_input *in, compaction_job **out);
STRATA_MUST_USE strata_status *tiered_choose(const strategy_input *in, compaction_job **out);
STRATA_MUST_USE strata_status *fifo_choose(const strategy_input *in, compaction_job **out);
/* Everything into the last level; nothing while any table is hidden or the tree is empty. */
STRATA_MUST_USE strata_status *major_choose(const strategy_input *in, compaction_job **out);

/* Helpers shared by the strategies (compaction_state.c). */
uint64_t strategy_run_bytes(const version_run *run);
/* Adds every table of a run to the job. */
STRATA_MUST_USE strata_status *strategy_add_run(compaction_job *job, const version_run *run);
/* 1 if [lo, hi] overlaps the table's key range. */
int strategy_overlaps(const table_info *t, slice lo, slice hi);

#endif
