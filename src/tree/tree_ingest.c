/*
 * tree_ingest.c -- bulk ingestion: a sorted stream straight into tables (and blob files) of the
 * last level, skipping journal and memtable (lsm-tree's ingestion, for both tree kinds).
 *
 * The entries get seqno 0: older than every write, so anything written meanwhile (in the
 * memtable, or flushed to level 0) shadows them, and snapshots taken before the install keep
 * their own version and never see them. The last level must hold nothing the stream overlaps:
 * begin refuses a tree with any table, and the install's version check refuses an overlap a
 * concurrent compaction may have made. Nothing is visible until one edit installs it all.
 */
#include <stdlib.h>

#include "../table/table_writer.h"
#include "tree_internal.h"

struct tree_ingest {
  tree *t;
  unsigned level;
  table_writer_options wo;
  table_writer *w; /* the table being written, or NULL */
  uint64_t id;
  uint64_t count;
  buffer last_key;
  blob_sink sink;
  table_batch out;
  uint64_t bytes;
  strata_status *error; /* the first failure: every later call returns a copy of its code */
};

strata_status *tree_ingest_begin(tree *t, tree_ingest **out) {
  *out = NULL;
  super_version *sv = tree_current(t);
  size_t tables = version_table_count(sv->version);
  super_version_unref(sv);
  if (tables)
    return status_new(STRATA_INVALID_ARGUMENT,
                      "ingest loads an empty tree's last level, but this one holds %zu tables", tables);
  tree_ingest *g = calloc(1, sizeof *g);
  if (!g) return status_no_memory();
  g->t = tree_ref(t);
  g->level = t->opts.level_count - 1;
  tree_table_writer_options(t, g->level, &g->wo);
  buffer_init(&g->last_key);
  blob_sink_init(&g->sink, t, NULL, 0, &g->out);
  *out = g;
  return NULL;
}

/* *retry = 1 when the failure left the ingest as it was: the backend would block creating the
 * next table or blob file (STRATA_BUSY, strata_vfs.h), so nothing of the entry was taken (a full
 * table or blob file finished before stays finished; the next try starts a new one). */
static strata_status *add(tree_ingest *g, slice key, slice value, int *retry) {
  tree *t = g->t;
  if (g->count && slice_compare(key, buffer_slice(&g->last_key)) <= 0)
    return status_new(STRATA_INVALID_ARGUMENT, "ingest: entry %llu is not above the one before (keys must ascend strictly)",
                      (unsigned long long)g->count);
  if (g->w && table_writer_estimated_size(g->w) >= t->opts.table_target_size) {
    table_writer *w = g->w;
    g->w = NULL;
    STATUS_TRY(tree_finish_table(t, w, g->id, &g->sink, &g->out, &g->bytes));
  }
  if (!g->w) {
    g->id = tree_allocate_file_id(t);
    g->wo.table_id = g->id;
    char *path = tree_table_path(t, g->id);
    strata_status *st = path ? table_writer_open(t->fs, path, &g->wo, &g->w) : status_no_memory();
    free(path);
    if (status_is(st, STRATA_BUSY)) *retry = 1; /* no file made (the id stays unused) */
    STATUS_TRY(st);
  }
  internal_key k = internal_key_make(key, 0, VALUE_TYPE_VALUE);
  strata_status *st = blob_sink_entry(&g->sink, &k, &value);
  if (status_is(st, STRATA_BUSY)) *retry = 1; /* creating the next blob file: no file made */
  STATUS_TRY(st);
  STATUS_TRY(table_writer_add(g->w, &k, value));
  buffer_clear(&g->last_key);
  STATUS_TRY(buffer_append(&g->last_key, key.data, key.len));
  g->count++;
  return NULL;
}

strata_status *tree_ingest_add(tree_ingest *g, slice key, slice value) {
  if (g->error) return status_new(strata_status_code(g->error), "ingest failed before: %s", strata_status_message(g->error));
  int retry = 0;
  strata_status *st = add(g, key, value, &retry);
  /* an out-of-order key, or a backend that would block before the next table exists, leaves the
   * ingest usable; anything else ends it */
  if (st && !retry && !status_is(st, STRATA_INVALID_ARGUMENT))
    g->error = status_new(strata_status_code(st), "%s", strata_status_message(st));
  return st;
}

uint64_t tree_ingest_count(const tree_ingest *g) { return g->count; }

static void ingest_free(tree_ingest *g, int remove_files) {
  if (g->w) table_writer_abandon(g->w);
  blob_sink_free(&g->sink);
  if (remove_files) table_batch_remove_files(g->t, &g->out);
  table_batch_free(&g->out);
  buffer_free(&g->last_key);
  strata_status_free(g->error);
  tree_unref(g->t);
  free(g);
}

strata_status *tree_ingest_finish(tree_ingest *g, uint64_t *entries, int *kept) {
  tree *t = g->t;
  *entries = g->count;
  *kept = 0;
  strata_status *st = g->error ? status_new(strata_status_code(g->error), "ingest failed before: %s",
                                            strata_status_message(g->error))
                               : NULL;
  if (!st && g->w) {
    table_writer *w = g->w;
    g->w = NULL;
    st = tree_finish_table(t, w, g->id, &g->sink, &g->out, &g->bytes);
  }
  if (!st) st = blob_sink_finish(&g->sink);
  if (!st && g->out.count) st = vfs_sync_dir(t->fs, t->tables_dir);
  if (!st && g->out.count) {
    tree_edit e;
    tree_edit_init(&e);
    e.add = g->out.tables;
    e.add_count = g->out.count;
    e.add_level = g->level;
    e.add_placement = TREE_PLACE_INTO_RUN; /* the version check refuses an overlap */
    e.add_blobs = g->out.blobs;
    e.add_blob_count = g->out.blob_count;
    st = tree_apply_edit(t, &e, NULL);
    /* the manifest slot's creation would block: nothing was installed, and the finished files
     * stay as they are for the next try (the steps above find nothing more to finish) */
    if (status_is(st, STRATA_BUSY)) {
      *kept = 1;
      return st;
    }
  }
  ingest_free(g, st != NULL);
  return st ? status_wrap(st, "ingest") : NULL;
}

void tree_ingest_abandon(tree_ingest *g) {
  if (g) ingest_free(g, 1);
}
