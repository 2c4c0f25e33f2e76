/* major.c -- major compaction: every table merged into the last level, tombstones evicted. */
#include "strategy.h"

strata_status *major_choose(const strategy_input *in, compaction_job **out) {
  *out = NULL;
  const version *v = in->v;
  if (in->hidden->count > 0 || version_table_count(v) == 0) return NULL;
  compaction_job *job = NULL;
  STATUS_TRY(compaction_job_new(COMPACTION_MERGE, v->level_count - 1, PLACE_OLDEST_RUN, in->o->table_target_size,
                                "major", &job));
  strata_status *st = NULL;
  for (unsigned l = 0; !st && l < v->level_count; l++)
    for (size_t r = 0; !st && r < v->levels[l].run_count; r++) st = strategy_add_run(job, &v->levels[l].runs[r]);
  if (st) {
    compaction_job_free(job);
    return st;
  }
  *out = job;
  return NULL;
}
