/*
 * leveled.c -- leveled compaction (lsm-tree's default, RocksDB's "dynamic level bytes").
 *
 * Level 1 targets table_target_size x l0_trigger bytes, each deeper level `level_ratio` times
 * more. Data starts in the last level and the "canonical" level 1 moves up only when every
 * non-empty level is over its target, so a small tree is one level deep and space amplification
 * stays near 1.1.
 *
 * Jobs, in order of urgency:
 *  1. a level (>= 1) holding several runs (a tree that was tiered) is merged into one run;
 *  2. level 0 at l0_trigger tables goes to the canonical level 1: a trivial move when its tables
 *     are disjoint and overlap nothing there, else a merge with the overlapping tables;
 *  3. the level furthest over its target pushes a window of tables into the next level: a
 *     trivial move when a window overlaps nothing below, else the window of at most four tables
 *     whose overlap below costs the fewest bytes per byte pushed down.
 * A job on levels (n, n+1) needs both levels free of running jobs, so concurrent jobs never
 * touch the same level and outputs can never overlap.
 */
#include "strategy.h"

#define WINDOW_MAX 4

static int level_empty(const version *v, unsigned l) { return version_level_table_count(v, l) == 0; }

static uint64_t visible_level_bytes(const strategy_input *in, unsigned l) {
  uint64_t bytes = 0;
  const version_level *lv = &in->v->levels[l];
  for (size_t r = 0; r < lv->run_count; r++)
    for (size_t i = 0; i < lv->runs[r].count; i++)
      if (!hidden_set_contains(in->hidden, lv->runs[r].tables[i]->id)) bytes += lv->runs[r].tables[i]->file_size;
  return bytes;
}

/* Target of canonical level c >= 1. */
static double level_target(const compaction_options *o, unsigned c) {
  double size = (double)o->table_target_size * (o->l0_trigger ? o->l0_trigger : 1);
  for (unsigned i = 1; i < c; i++) size *= o->level_ratio > 1 ? o->level_ratio : 10;
  return size;
}

/* Level index that plays level 1; *shift = its index - 1. */
static unsigned canonical_l1(const strategy_input *in, unsigned *shift) {
  const version *v = in->v;
  unsigned last = v->level_count - 1, first = last;
  for (unsigned l = 1; l <= last; l++)
    if (!level_empty(v, l)) {
      first = l;
      break;
    }
  unsigned l1 = first;
  if (first > 1 && !level_empty(v, first)) {
    int all_full = 1;
    for (unsigned l = first; l <= last && all_full; l++)
      if (!level_empty(v, l) && (double)visible_level_bytes(in, l) <= level_target(in->o, l - (first - 1)))
        all_full = 0;
    if (all_full) l1--;
  }
  *shift = l1 - 1;
  return l1;
}

static uint64_t overlap_bytes(const version *v, unsigned level, slice lo, slice hi, int *hidden_hit,
                              const hidden_set *h) {
  uint64_t bytes = 0;
  const version_level *lv = &v->levels[level];
  for (size_t r = 0; r < lv->run_count; r++)
    for (size_t i = 0; i < lv->runs[r].count; i++)
      if (strategy_overlaps(lv->runs[r].tables[i], lo, hi)) {
        bytes += lv->runs[r].tables[i]->file_size;
        if (hidden_hit && hidden_set_contains(h, lv->runs[r].tables[i]->id)) *hidden_hit = 1;
      }
  return bytes;
}

static strata_status *add_overlapping(compaction_job *job, const version *v, unsigned level, slice lo, slice hi) {
  const version_level *lv = &v->levels[level];
  for (size_t r = 0; r < lv->run_count; r++)
    for (size_t i = 0; i < lv->runs[r].count; i++)
      if (strategy_overlaps(lv->runs[r].tables[i], lo, hi)) STATUS_TRY(compaction_job_add(job, lv->runs[r].tables[i]->id));
  return NULL;
}

static strata_status *finish(compaction_job *job, strata_status *st, compaction_job **out) {
  if (st) {
    compaction_job_free(job);
    return st;
  }
  *out = job;
  return NULL;
}

/* Level 0 into the canonical level 1. */
static strata_status *choose_l0(const strategy_input *in, unsigned dest, compaction_job **out) {
  const version *v = in->v;
  const version_level *l0 = &v->levels[0];
  slice lo = {0}, hi = {0};
  int first = 1, movable = 1;
  for (size_t r = 0; r < l0->run_count; r++)
    for (size_t i = 0; i < l0->runs[r].count; i++) {
      const table_info *t = l0->runs[r].tables[i];
      if (first || slice_compare(t->key_min, lo) < 0) lo = t->key_min;
      if (first || slice_compare(t->key_max, hi) > 0) hi = t->key_max;
      first = 0;
      if (overlap_bytes(v, dest, t->key_min, t->key_max, NULL, NULL)) movable = 0;
      /* disjoint from every other level-0 table, so the tables can share one run below */
      for (size_t r2 = 0; movable && r2 < l0->run_count; r2++)
        for (size_t j = 0; movable && j < l0->runs[r2].count; j++)
          if (l0->runs[r2].tables[j] != t && strategy_overlaps(l0->runs[r2].tables[j], t->key_min, t->key_max))
            movable = 0;
    }
  compaction_job *job = NULL;
  STATUS_TRY(compaction_job_new(movable ? COMPACTION_MOVE : COMPACTION_MERGE, dest, PLACE_INTO_RUN,
                                in->o->table_target_size, movable ? "l0-move" : "l0", &job));
  strata_status *st = NULL;
  for (size_t r = 0; !st && r < l0->run_count; r++) st = strategy_add_run(job, &l0->runs[r]);
  if (!st && !movable) st = add_overlapping(job, v, dest, lo, hi);
  return finish(job, st, out);
}

/* A window of level `l` into level l + 1: a free move if possible, else the cheapest merge. */
static strata_status *choose_window(const strategy_input *in, unsigned l, compaction_job **out) {
  const version *v = in->v;
  const version_run *run = &v->levels[l].runs[0];
  size_t best_start = 0, best_len = 0;
  double best_cost = 0;
  int best_move = 0;
  for (size_t s = 0; s < run->count; s++) {
    uint64_t bytes = 0;
    for (size_t len = 1; len <= WINDOW_MAX && s + len <= run->count; len++) {
      const table_info *t = run->tables[s + len - 1];
      if (hidden_set_contains(in->hidden, t->id)) break;
      bytes += t->file_size;
      int hidden_hit = 0;
      uint64_t below = overlap_bytes(v, l + 1, run->tables[s]->key_min, t->key_max, &hidden_hit, in->hidden);
      if (hidden_hit) break;
      int move = below == 0;
      double cost = (double)below / (double)(bytes ? bytes : 1);
      /* moves beat merges, longer moves beat shorter ones, then the lowest cost per byte */
      int better = best_len == 0 || (move && !best_move) || (move && best_move && len > best_len) ||
                   (!move && !best_move && cost < best_cost);
      if (better) {
        best_start = s;
        best_len = len;
        best_cost = cost;
        best_move = move;
      }
    }
  }
  if (best_len == 0) return NULL;
  compaction_job *job = NULL;
  STATUS_TRY(compaction_job_new(best_move ? COMPACTION_MOVE : COMPACTION_MERGE, l + 1, PLACE_INTO_RUN,
                                in->o->table_target_size, best_move ? "move" : "level", &job));
  strata_status *st = NULL;
  for (size_t i = best_start; !st && i < best_start + best_len; i++) st = compaction_job_add(job, run->tables[i]->id);
  if (!st && !best_move)
    st = add_overlapping(job, v, l + 1, run->tables[best_start]->key_min, run->tables[best_start + best_len - 1]->key_max);
  return finish(job, st, out);
}

strata_status *leveled_choose(const strategy_input *in, compaction_job **out) {
  *out = NULL;
  const version *v = in->v;
  const hidden_set *h = in->hidden;
  unsigned last = v->level_count - 1;

  for (unsigned l = 1; l <= last; l++)
    if (v->levels[l].run_count > 1 && !hidden_set_level_busy(h, v, l)) {
      compaction_job *job = NULL;
      STATUS_TRY(compaction_job_new(COMPACTION_MERGE, l, PLACE_INTO_RUN, in->o->table_target_size, "one-run", &job));
      strata_status *st = NULL;
      for (size_t r = 0; !st && r < v->levels[l].run_count; r++) st = strategy_add_run(job, &v->levels[l].runs[r]);
      return finish(job, st, out);
    }

  unsigned shift = 0, l1 = canonical_l1(in, &shift);
  if (version_level_table_count(v, 0) >= (in->o->l0_trigger ? in->o->l0_trigger : 1) &&
      !hidden_set_level_busy(h, v, 0) && !hidden_set_level_busy(h, v, l1))
    return choose_l0(in, l1, out);

  unsigned best = 0;
  double best_score = 1.0;
  for (unsigned l = l1; l < last; l++) {
    if (level_empty(v, l) || v->levels[l + 1].run_count > 1 || hidden_set_level_busy(h, v, l) ||
        hidden_set_level_busy(h, v, l + 1))
      continue;
    double score = (double)visible_level_bytes(in, l) / level_target(in->o, l - shift);
    if (score > best_score) {
      best_score = score;
      best = l;
    }
  }
  if (best == 0) return NULL;
  return choose_window(in, best, out);
}
