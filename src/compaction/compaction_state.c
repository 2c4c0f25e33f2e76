/*
 * compaction_state.c -- the compactor: options, jobs, the hidden set, picking and finishing jobs,
 * and the entry points the database calls. Running a job is compaction_worker.c.
 */
#include <stdlib.h>
#include <string.h>

#include "../util/check.h"
#include "../util/clock.h"
#include "compaction_internal.h"

void compaction_options_default(compaction_options *o) {
  memset(o, 0, sizeof *o);
  o->strategy = COMPACTION_LEVELED;
  o->table_target_size = STRATA_DEFAULT_TABLE_TARGET_SIZE;
  o->l0_trigger = STRATA_DEFAULT_LEVEL0_TRIGGER;
  o->level_ratio = STRATA_DEFAULT_LEVEL_RATIO;
  o->tiered_size_ratio = STRATA_DEFAULT_SIZE_RATIO;
  o->tiered_max_space_amp_pct = STRATA_DEFAULT_MAX_SPACE_AMP_PCT;
  o->fifo_limit_bytes = UINT64_MAX;
  o->fifo_ttl_ms = 0;
}

/* --- jobs -------------------------------------------------------------------------------- */

strata_status *compaction_job_new(compaction_kind kind, unsigned dest_level, compaction_placement placement,
                                  uint64_t target_size, const char *reason, compaction_job **out) {
  compaction_job *job = calloc(1, sizeof *job);
  if (!job) return status_no_memory();
  job->kind = kind;
  job->dest_level = dest_level;
  job->placement = placement;
  job->target_size = target_size;
  job->reason = reason;
  *out = job;
  return NULL;
}

strata_status *compaction_job_add(compaction_job *job, uint64_t table_id) {
  if (job->count == job->cap) {
    size_t cap = job->cap ? job->cap * 2 : 8;
    uint64_t *grown = realloc(job->table_ids, cap * sizeof *grown);
    if (!grown) return status_no_memory();
    job->table_ids = grown;
    job->cap = cap;
  }
  job->table_ids[job->count++] = table_id;
  return NULL;
}

void compaction_job_free(compaction_job *job) {
  if (!job) return;
  free(job->table_ids);
  free(job);
}

static int job_contains(const compaction_job *job, uint64_t id) {
  for (size_t i = 0; i < job->count; i++)
    if (job->table_ids[i] == id) return 1;
  return 0;
}

/* --- the hidden set ---------------------------------------------------------------------- */

int hidden_set_contains(const hidden_set *h, uint64_t id) {
  for (size_t i = 0; i < h->count; i++)
    if (h->ids[i] == id) return 1;
  return 0;
}

int hidden_set_level_busy(const hidden_set *h, const version *v, unsigned level) {
  if (h->count == 0) return 0;
  const version_level *lv = &v->levels[level];
  for (size_t r = 0; r < lv->run_count; r++)
    for (size_t i = 0; i < lv->runs[r].count; i++)
      if (hidden_set_contains(h, lv->runs[r].tables[i]->id)) return 1;
  return 0;
}

static strata_status *hidden_set_add(hidden_set *h, const compaction_job *job) {
  if (h->count + job->count > h->cap) {
    size_t cap = (h->count + job->count) * 2;
    uint64_t *grown = realloc(h->ids, cap * sizeof *grown);
    if (!grown) return status_no_memory();
    h->ids = grown;
    h->cap = cap;
  }
  memcpy(&h->ids[h->count], job->table_ids, job->count * sizeof *h->ids);
  h->count += job->count;
  return NULL;
}

static void hidden_set_remove(hidden_set *h, const compaction_job *job) {
  size_t kept = 0;
  for (size_t i = 0; i < h->count; i++)
    if (!job_contains(job, h->ids[i])) h->ids[kept++] = h->ids[i];
  h->count = kept;
}

/* --- helpers for the strategies ---------------------------------------------------------- */

uint64_t strategy_run_bytes(const version_run *run) {
  uint64_t bytes = 0;
  for (size_t i = 0; i < run->count; i++) bytes += run->tables[i]->file_size;
  return bytes;
}

strata_status *strategy_add_run(compaction_job *job, const version_run *run) {
  for (size_t i = 0; i < run->count; i++) STATUS_TRY(compaction_job_add(job, run->tables[i]->id));
  return NULL;
}

int strategy_overlaps(const table_info *t, slice lo, slice hi) {
  return slice_compare(t->key_max, lo) >= 0 && slice_compare(t->key_min, hi) <= 0;
}

/* --- the compactor ----------------------------------------------------------------------- */

strata_status *compactor_new(tree *t, const compaction_options *o, compactor **out) {
  compactor *c = calloc(1, sizeof *c);
  if (!c) return status_no_memory();
  strata_status *st = sync_mutex_init(&c->mu);
  if (st) {
    free(c);
    return st;
  }
  st = sync_cond_init(&c->idle);
  if (st) {
    sync_mutex_destroy(&c->mu);
    free(c);
    return st;
  }
  if (o) c->o = *o;
  else compaction_options_default(&c->o);
  if (c->o.table_target_size == 0) c->o.table_target_size = STRATA_DEFAULT_TABLE_TARGET_SIZE;
  atomic_flag_set(&c->abort, 0);
  c->t = tree_ref(t);
  *out = c;
  return NULL;
}

void compactor_free(compactor *c) {
  if (!c) return;
  STRATA_ASSERT(c->running == 0);
  tree_unref(c->t);
  free(c->hidden.ids);
  sync_cond_destroy(&c->idle);
  sync_mutex_destroy(&c->mu);
  free(c);
}

const compaction_options *compactor_options(const compactor *c) { return &c->o; }

/*
 * No table outside the inputs that could hold older versions of their keys overlaps them:
 * deeper levels hold older data, and so do the other runs of the destination level unless the
 * output becomes its oldest run. Shallower levels only hold newer data.
 */
static int can_evict_tombstones(const version *v, const compaction_job *job) {
  slice lo = {0}, hi = {0};
  int any = 0;
  for (size_t i = 0; i < job->count; i++) {
    const table_info *t = version_find_table(v, job->table_ids[i], NULL);
    if (!t) return 0;
    if (!any || slice_compare(t->key_min, lo) < 0) lo = t->key_min;
    if (!any || slice_compare(t->key_max, hi) > 0) hi = t->key_max;
    any = 1;
  }
  for (unsigned l = job->dest_level; l < v->level_count; l++)
    for (size_t r = 0; r < v->levels[l].run_count; r++)
      for (size_t i = 0; i < v->levels[l].runs[r].count; i++) {
        const table_info *t = v->levels[l].runs[r].tables[i];
        if (job_contains(job, t->id) || !strategy_overlaps(t, lo, hi)) continue;
        if (l > job->dest_level || job->placement != PLACE_OLDEST_RUN) return 0;
      }
  return 1;
}

static compaction_choose_fn strategy_fn(const compaction_options *o) {
  switch (o->strategy) {
    case COMPACTION_TIERED: return tiered_choose;
    case COMPACTION_FIFO: return fifo_choose;
    default: return leveled_choose;
  }
}

strata_status *compactor_pick(compactor *c, compaction_choose_fn choose, picked_job *p) {
  p->job = NULL;
  p->base = NULL;
  p->progress = NULL;
  if (atomic_flag_get(&c->abort)) return NULL;
  /* the version is read under mu: a job that un-hid its tables has installed its version already */
  sync_mutex_lock(&c->mu);
  super_version *sv = tree_current(c->t);
  strata_status *st = NULL;
  if (!c->exclusive) {
    strategy_input in = {&c->o, sv->version, &c->hidden, clock_unix_ms()};
    st = choose(&in, &p->job);
  }
  if (!st && p->job && p->job->count == 0) {
    compaction_job_free(p->job);
    p->job = NULL;
  }
  if (!st && p->job) st = hidden_set_add(&c->hidden, p->job);
  if (!st && p->job) {
    p->job->evict_tombstones = p->job->kind == COMPACTION_MERGE && can_evict_tombstones(sv->version, p->job);
    p->base = version_ref(sv->version);
    c->running++;
  } else if (st) {
    compaction_job_free(p->job);
    p->job = NULL;
  }
  sync_mutex_unlock(&c->mu);
  super_version_unref(sv);
  return st;
}

void compactor_finish(compactor *c, picked_job *p, const compaction_counters *done) {
  sync_mutex_lock(&c->mu);
  hidden_set_remove(&c->hidden, p->job);
  c->running--;
  if (done) {
    c->counters.compactions += done->compactions;
    c->counters.merges += done->merges;
    c->counters.moves += done->moves;
    c->counters.drops += done->drops;
    c->counters.bytes_read += done->bytes_read;
    c->counters.bytes_written += done->bytes_written;
    c->counters.aborted += done->aborted;
  }
  sync_cond_broadcast(&c->idle);
  sync_mutex_unlock(&c->mu);
  compaction_job_free(p->job);
  version_unref(p->base);
  p->job = NULL;
  p->base = NULL;
}

/* Runs a picked job and finishes it; an abort is not an error (the job left no trace). */
static strata_status *run_picked(compactor *c, picked_job *p, uint64_t visible_seqno, uint64_t *bytes_written) {
  compaction_counters done;
  memset(&done, 0, sizeof done);
  strata_status *st = compaction_run_job(c, p, visible_seqno, &done);
  if (st && atomic_flag_get(&c->abort)) {
    strata_status_free(st);
    st = NULL;
    memset(&done, 0, sizeof done);
    done.aborted = 1;
  }
  if (bytes_written) *bytes_written = done.bytes_written;
  compactor_finish(c, p, &done);
  return st;
}

strata_status *compactor_run_once(compactor *c, uint64_t visible_seqno, int *did, uint64_t *bytes_written) {
  return compactor_run_once_with(c, visible_seqno, did, bytes_written, NULL);
}

strata_status *compactor_run_once_with(compactor *c, uint64_t visible_seqno, int *did, uint64_t *bytes_written,
                                       compaction_progress *progress) {
  *did = 0;
  if (bytes_written) *bytes_written = 0;
  picked_job p;
  STATUS_TRY(compactor_pick(c, strategy_fn(&c->o), &p));
  if (!p.job) return NULL;
  p.progress = progress;
  strata_status *st = run_picked(c, &p, visible_seqno, bytes_written);
  *did = st == NULL;
  return st;
}

strata_status *compactor_run_major(compactor *c, uint64_t visible_seqno) {
  return compactor_run_major_with(c, visible_seqno, NULL);
}

strata_status *compactor_run_major_with(compactor *c, uint64_t visible_seqno, compaction_progress *progress) {
  /* running jobs hold tables: wait until none runs, then take everything */
  sync_mutex_lock(&c->mu);
  while ((c->running > 0 || c->exclusive) && !atomic_flag_get(&c->abort)) sync_cond_wait(&c->idle, &c->mu);
  sync_mutex_unlock(&c->mu);
  picked_job p;
  STATUS_TRY(compactor_pick(c, major_choose, &p));
  if (!p.job) return NULL; /* an empty tree, or a job started in between: it holds the same data */
  p.progress = progress;
  return run_picked(c, &p, visible_seqno, NULL);
}

int compactor_has_work(compactor *c) {
  if (atomic_flag_get(&c->abort)) return 0;
  sync_mutex_lock(&c->mu);
  super_version *sv = tree_current(c->t);
  compaction_job *job = NULL;
  strategy_input in = {&c->o, sv->version, &c->hidden, clock_unix_ms()};
  strata_status *st = c->exclusive ? NULL : strategy_fn(&c->o)(&in, &job);
  sync_mutex_unlock(&c->mu);
  super_version_unref(sv);
  int work = !st && job && job->count > 0;
  strata_status_free(st);
  compaction_job_free(job);
  return work;
}

void compactor_abort(compactor *c) {
  atomic_flag_set(&c->abort, 1);
  sync_mutex_lock(&c->mu);
  sync_cond_broadcast(&c->idle);
  sync_mutex_unlock(&c->mu);
}

strata_status *compactor_exclusive(compactor *c, strata_status *(*fn)(void *ctx), void *ctx) {
  sync_mutex_lock(&c->mu);
  while (c->running > 0 || c->exclusive) sync_cond_wait(&c->idle, &c->mu);
  c->exclusive = 1;
  sync_mutex_unlock(&c->mu);
  strata_status *st = fn(ctx);
  sync_mutex_lock(&c->mu);
  c->exclusive = 0;
  sync_cond_broadcast(&c->idle);
  sync_mutex_unlock(&c->mu);
  return st;
}

compaction_counters compactor_get_counters(compactor *c) {
  sync_mutex_lock(&c->mu);
  compaction_counters out = c->counters;
  sync_mutex_unlock(&c->mu);
  return out;
}
