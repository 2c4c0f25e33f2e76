/*
 * tiered.c -- size-tiered compaction in the style of RocksDB's universal compaction (lsm-tree
 * has none).
 *
 * Sorted runs, newest first: the level-0 runs (one per flush), then the runs of levels 1 ..
 * last. Merged runs go to level 1 as its newest run, or -- when a merge takes every run -- to the
 * last level, where tombstones can be evicted. Jobs, in order:
 *  1. space amplification: when the runs newer than the oldest add up to more than
 *     max_space_amp_pct % of it, everything is merged into one run (the oldest run is what a
 *     fully compacted tree would hold, so the rest approximates the excess);
 *  2. level 0 at l0_trigger runs: all of them merge into one run at the top of level 1;
 *  3. size ratio: with l0_trigger (and at least two) runs in levels >= 1, runs are taken from the newest
 *     while the next one is at most (1 + size_ratio) times the sum taken so far; if fewer than
 *     two qualify, the newest ones are merged anyway until the count drops below the trigger.
 * Every job starts at the newest run of its span and takes a contiguous prefix of it, so the
 * output is newer than everything left behind it and the run order stays correct. One job runs
 * at a time: with any table hidden nothing is chosen.
 */
#include <stdlib.h>

#include "strategy.h"

typedef struct run_ref {
  const version_run *run;
  unsigned level;
  uint64_t bytes;
} run_ref;

/* Runs [from, to) of `total` into one. */
static strata_status *make_merge(const strategy_input *in, const run_ref *runs, size_t from, size_t to,
                                 size_t total, const char *reason, compaction_job **out) {
  unsigned last = in->v->level_count - 1;
  int to_last = to == total; /* the oldest run is taken: nothing older remains */
  compaction_job *job = NULL;
  STATUS_TRY(compaction_job_new(COMPACTION_MERGE, to_last ? last : 1, to_last ? PLACE_OLDEST_RUN : PLACE_NEWEST_RUN,
                                in->o->table_target_size, reason, &job));
  strata_status *st = NULL;
  for (size_t i = from; !st && i < to; i++) st = strategy_add_run(job, runs[i].run);
  if (st) {
    compaction_job_free(job);
    return st;
  }
  *out = job;
  return NULL;
}

strata_status *tiered_choose(const strategy_input *in, compaction_job **out) {
  *out = NULL;
  const version *v = in->v;
  const compaction_options *o = in->o;
  if (in->hidden->count > 0) return NULL;
  size_t n = 0;
  for (unsigned l = 0; l < v->level_count; l++) n += v->levels[l].run_count;
  if (n == 0) return NULL;
  run_ref *runs = malloc(n * sizeof *runs);
  if (!runs) return status_no_memory();
  size_t k = 0, l0_runs = v->levels[0].run_count;
  uint64_t total = 0;
  for (unsigned l = 0; l < v->level_count; l++)
    for (size_t r = 0; r < v->levels[l].run_count; r++) {
      runs[k].run = &v->levels[l].runs[r];
      runs[k].level = l;
      runs[k].bytes = strategy_run_bytes(runs[k].run);
      total += runs[k].bytes;
      k++;
    }
  unsigned trigger = o->l0_trigger ? o->l0_trigger : 1;
  strata_status *st = NULL;
  uint64_t oldest = runs[n - 1].bytes;
  if (n >= 2 && (double)(total - oldest) * 100.0 > (double)o->tiered_max_space_amp_pct * (double)oldest) {
    st = make_merge(in, runs, 0, n, n, "space-amp", out);
  } else if (l0_runs >= trigger) {
    st = make_merge(in, runs, 0, l0_runs, n, "l0", out);
  } else if (n - l0_runs >= (trigger < 2 ? 2 : trigger)) {
    /* at least two runs: merging one run alone rewrites it into itself, and with a trigger of 1
     * that would be due again at once, for ever (strata_compact never returned) */
    size_t from = l0_runs, to = from + 1;
    uint64_t acc = runs[from].bytes;
    while (to < n && (double)runs[to].bytes <= (double)acc * (1.0 + o->tiered_size_ratio)) acc += runs[to++].bytes;
    const char *reason = "size-ratio";
    if (to - from < 2) { /* no similar sizes: merge the newest until the count is below the trigger */
      to = from + (n - l0_runs) - trigger + 2;
      if (to > n) to = n;
      reason = "run-count";
    }
    st = make_merge(in, runs, from, to, n, reason, out);
  }
  free(runs);
  return st;
}
