/*
 * compaction_worker.c -- runs one picked job: merge the inputs through the compaction stream into
 * new tables (or relink / drop them), then install the result.
 *
 * The install is one edit of the tree (tree_apply_edit, the install path every version change
 * takes): the next version is rebuilt from the *current* one -- flushes may have added level-0
 * runs since the job was picked -- removing the inputs and placing the outputs; the manifest is
 * written before the swap, and the inputs are retired, their files going when the last reader
 * lets go. A failure before the manifest write leaves the version untouched and the written
 * tables are deleted (a crash leaves them as orphans, which opening the tree removes).
 */
#include <stdlib.h>
#include <string.h>

#include "../tree/merge_iterator.h"
#include "../tree/run_iterator.h"
#include "../util/check.h"
#include "compaction_internal.h"

/* The input tables grouped by the run they sit in, for one run iterator per run. */
typedef struct input_runs {
  version_run *runs;
  size_t count;
} input_runs;

static void input_runs_free(input_runs *in) {
  for (size_t i = 0; i < in->count; i++) free(in->runs[i].tables); /* the base version owns the tables */
  free(in->runs);
  in->runs = NULL;
  in->count = 0;
}

static int job_has(const compaction_job *job, uint64_t id) {
  for (size_t i = 0; i < job->count; i++)
    if (job->table_ids[i] == id) return 1;
  return 0;
}

/* Sub-runs of the base version's runs holding the inputs (still sorted and disjoint); *bytes and
 * *entries add up their files' sizes and entry counts. */
static strata_status *group_inputs(const picked_job *p, input_runs *out, uint64_t *bytes, uint64_t *entries) {
  const version *v = p->base;
  size_t n = 0;
  for (unsigned l = 0; l < v->level_count; l++) n += v->levels[l].run_count;
  out->runs = calloc(n ? n : 1, sizeof *out->runs);
  out->count = 0;
  if (!out->runs) return status_no_memory();
  for (unsigned l = 0; l < v->level_count; l++)
    for (size_t r = 0; r < v->levels[l].run_count; r++) {
      const version_run *run = &v->levels[l].runs[r];
      version_run sub = {NULL, 0};
      for (size_t i = 0; i < run->count; i++) {
        if (!job_has(p->job, run->tables[i]->id)) continue;
        if (!sub.tables && !(sub.tables = malloc(run->count * sizeof *sub.tables))) {
          input_runs_free(out);
          return status_no_memory();
        }
        sub.tables[sub.count++] = run->tables[i];
        *bytes += run->tables[i]->file_size;
        *entries += run->tables[i]->entry_count;
      }
      if (sub.count) out->runs[out->count++] = sub;
    }
  return NULL;
}

/* A value behind a handle, for the compaction filter. */
static strata_status *resolve(void *ctx, slice user_key, slice handle, buffer *value) {
  return tree_resolve_value(ctx, user_key, handle, 0, value);
}

/*
 * Progress of a merge: a pass-through iterator over the merged inputs that counts the entries
 * read and reports every PROGRESS_EVERY of them as a share of the job's input bytes.
 */
enum { PROGRESS_EVERY = 1024 };
typedef struct progress_iter {
  kv_iterator base;
  kv_iterator *in;
  compaction_progress *progress;
  uint64_t job_bytes, job_entries, read;
  uint64_t done_before; /* progress->done when the job started */
} progress_iter;

static void progress_report(progress_iter *p) {
  uint64_t share = p->job_entries ? (uint64_t)((double)p->job_bytes * ((double)p->read / (double)p->job_entries)) : 0;
  if (share > p->job_bytes) share = p->job_bytes;
  p->progress->done = p->done_before + share;
  if (p->progress->fn) p->progress->fn(p->progress->ctx, p->progress->done, p->progress->total);
}

/* Each move forwards, then takes the inner position (kv_iterator.h). */
static void pi_sync(kv_iterator *it) { kv_iterator_copy_position(it, ((progress_iter *)it)->in); }
static void pi_seek_first(kv_iterator *it) {
  kv_iterator_seek_first(((progress_iter *)it)->in);
  pi_sync(it);
}
static void pi_seek_last(kv_iterator *it) {
  kv_iterator_seek_last(((progress_iter *)it)->in);
  pi_sync(it);
}
static void pi_seek(kv_iterator *it, const internal_key *t) {
  kv_iterator_seek(((progress_iter *)it)->in, t);
  pi_sync(it);
}
static void pi_seek_for_prev(kv_iterator *it, const internal_key *t) {
  kv_iterator_seek_for_prev(((progress_iter *)it)->in, t);
  pi_sync(it);
}
static void pi_next(kv_iterator *it) {
  progress_iter *p = (progress_iter *)it;
  kv_iterator_next(p->in);
  pi_sync(it);
  if (++p->read % PROGRESS_EVERY == 0) progress_report(p);
}
static void pi_prev(kv_iterator *it) {
  kv_iterator_prev(((progress_iter *)it)->in);
  pi_sync(it);
}
static strata_status *pi_status(kv_iterator *it) {
  strata_status *st = kv_iterator_status(((progress_iter *)it)->in);
  pi_sync(it);
  return st;
}
static void pi_destroy(kv_iterator *it) {
  progress_iter *p = (progress_iter *)it;
  kv_iterator_destroy(p->in);
  free(p);
}
static const kv_iterator_ops progress_iter_ops = {pi_seek_first, pi_seek_last, pi_seek, pi_seek_for_prev, pi_next,
                                                  pi_prev, pi_status, pi_destroy};

/* Wraps *it (taking it) when the job reports progress; on failure *it is destroyed. */
static strata_status *wrap_progress(const picked_job *p, uint64_t bytes, uint64_t entries, kv_iterator **it) {
  if (!p->progress) return NULL;
  progress_iter *w = calloc(1, sizeof *w);
  if (!w) {
    kv_iterator_destroy(*it);
    *it = NULL;
    return status_no_memory();
  }
  kv_iterator_init(&w->base, &progress_iter_ops);
  w->in = *it;
  w->progress = p->progress;
  w->job_bytes = bytes;
  w->job_entries = entries;
  w->done_before = p->progress->done;
  p->progress->total += bytes;
  progress_report(w);
  *it = &w->base;
  return NULL;
}

/* The merged inputs through the garbage-collecting stream. */
static strata_status *open_stream(compactor *c, const picked_job *p, const input_runs *in, uint64_t visible_seqno,
                                  uint64_t bytes_in, uint64_t entries_in, kv_iterator **out) {
  kv_iterator **kids = calloc(in->count ? in->count : 1, sizeof *kids);
  if (!kids) return status_no_memory();
  strata_status *st = NULL;
  size_t k = 0;
  table_read_options ro = tree_compaction_read_options(c->t);
  for (; !st && k < in->count; k++) {
    st = run_iterator_new(c->t, &in->runs[k], &ro, &kids[k]);
    if (st) break;
  }
  if (st) {
    for (size_t i = 0; i < k; i++) kv_iterator_destroy(kids[i]);
    free(kids);
    return st;
  }
  kv_iterator *merged = NULL;
  st = merge_iterator_new(kids, in->count, NULL, &merged); /* takes the children */
  free(kids);
  STATUS_TRY(st);
  STATUS_TRY(wrap_progress(p, bytes_in, entries_in, &merged));
  uint64_t *snaps = NULL;
  size_t snap_count = 0;
  st = tree_snapshot_list(c->t, &snaps, &snap_count);
  if (st) {
    kv_iterator_destroy(merged);
    return st;
  }
  compaction_stream_options so = {snaps,          snap_count, visible_seqno, p->job->evict_tombstones, c->o.filter,
                                  c->o.filter_ctx, resolve,    c->t};
  st = compaction_stream_new(merged, &so, out); /* takes the merge */
  free(snaps);
  return st;
}

static int by_key_min(const void *a, const void *b) {
  const table_info *x = *(const table_info *const *)a, *y = *(const table_info *const *)b;
  return slice_compare(x->key_min, y->key_min);
}

/* The job's inputs leave the version and its outputs join it, in one edit of the tree: built from
 * the current version (flushes may have added level-0 runs since the job was picked). */
static strata_status *install(compactor *c, const picked_job *p, table_info *const *outputs, size_t n,
                              blob_meta *const *blobs, size_t blob_count) {
  tree_edit e;
  tree_edit_init(&e);
  e.add_blobs = blobs;
  e.add_blob_count = blob_count;
  e.remove_ids = p->job->table_ids;
  e.remove_count = p->job->count;
  e.add = outputs;
  e.add_count = n;
  e.add_level = p->job->dest_level;
  e.add_placement = p->job->placement == PLACE_NEWEST_RUN   ? TREE_PLACE_NEWEST_RUN
                    : p->job->placement == PLACE_OLDEST_RUN ? TREE_PLACE_OLDEST_RUN
                                                            : TREE_PLACE_INTO_RUN;
  return tree_apply_edit(c->t, &e, NULL);
}

static strata_status *run_merge(compactor *c, const picked_job *p, uint64_t visible_seqno, compaction_counters *done) {
  input_runs in = {NULL, 0};
  uint64_t bytes_in = 0, bytes_out = 0, entries_in = 0;
  STATUS_TRY(group_inputs(p, &in, &bytes_in, &entries_in));
  kv_iterator *stream = NULL;
  uint64_t done_before = p->progress ? p->progress->done : 0, total_before = p->progress ? p->progress->total : 0;
  strata_status *st = open_stream(c, p, &in, visible_seqno, bytes_in, entries_in, &stream);
  table_batch out = {NULL, 0, 0, NULL, 0, 0, 0, 0};
  /* blob garbage collection rides along: handles into stale old blob files are relocated */
  uint64_t *relocate = NULL;
  size_t relocate_count = 0;
  if (!st) st = tree_blob_gc_candidates(c->t, p->base, &relocate, &relocate_count);
  if (!st)
    st = tree_write_tables_relocating(c->t, stream, p->job->dest_level, p->job->target_size, &c->abort, relocate,
                                      relocate_count, &out, &bytes_out);
  free(relocate);
  kv_iterator_destroy(stream); /* closes the input tables before any of them can be deleted */
  input_runs_free(&in);
  if (!st) st = install(c, p, out.tables, out.count, out.blobs, out.blob_count);
  if (st) table_batch_remove_files(c->t, &out);
  table_batch_free(&out);
  if (p->progress) { /* the whole input was read, whatever the entry counts said; a failed job counts nothing */
    p->progress->done = done_before + (st ? 0 : bytes_in);
    p->progress->total = total_before + (st ? 0 : bytes_in);
  }
  if (st) return st;
  done->compactions = done->merges = 1;
  done->bytes_read = bytes_in;
  done->bytes_written = bytes_out + out.blob_bytes;
  done->blob_bytes_written = out.blob_bytes;
  done->blob_bytes_relocated = out.relocated_bytes;
  return NULL;
}

static strata_status *run_move(compactor *c, const picked_job *p, compaction_counters *done) {
  table_info **tables = malloc(p->job->count * sizeof *tables);
  if (!tables) return status_no_memory();
  strata_status *st = NULL;
  for (size_t i = 0; !st && i < p->job->count; i++) {
    tables[i] = version_find_table(p->base, p->job->table_ids[i], NULL);
    /* a picked job's tables are hidden from other jobs until it ends: they stay in its base */
    if (STRATA_NEVER(!tables[i])) st = check_internal_error(__FILE__, __LINE__, "a moved table is in the job's base");
  }
  if (!st) {
    qsort(tables, p->job->count, sizeof *tables, by_key_min); /* level-0 tables come from several runs */
    st = install(c, p, tables, p->job->count, NULL, 0);
  }
  free(tables);
  if (!st) done->compactions = done->moves = 1;
  return st;
}

strata_status *compaction_run_job(compactor *c, const picked_job *p, uint64_t visible_seqno,
                                  compaction_counters *done) {
  memset(done, 0, sizeof *done);
  strata_status *st = NULL;
  switch (p->job->kind) {
    case COMPACTION_MERGE: st = run_merge(c, p, visible_seqno, done); break;
    case COMPACTION_MOVE: st = run_move(c, p, done); break;
    case COMPACTION_DROP:
      st = install(c, p, NULL, 0, NULL, 0);
      if (!st) done->compactions = done->drops = 1;
      break;
  }
  return st ? status_wrap(st, "compaction (%s)", p->job->reason) : NULL;
}
