/* tree_flush.c -- writing a sealed memtable to level-0 tables and installing the result. */
#include <stdlib.h>

#include "../table/table_writer.h"
#include "../util/clock.h"
#include "tree_internal.h"

/* A finished table's descriptor from what its writer reported. */
static strata_status *describe_table(uint64_t id, const table_meta *meta, checksum128 sum, const table_blob_ref *refs,
                                     size_t ref_count, table_info **out) {
  table_info_fields f = {0};
  f.blob_refs = refs;
  f.blob_ref_count = ref_count;
  f.id = id;
  f.file_size = meta->file_size;
  f.file_checksum = sum;
  f.entry_count = meta->entry_count;
  f.tombstone_count = meta->tombstone_count + meta->weak_tombstone_count;
  f.seqno_min = meta->min_seqno;
  f.seqno_max = meta->max_seqno;
  f.created_unix_ms = clock_unix_ms();
  f.key_min = buffer_slice(&meta->min_key);
  f.key_max = buffer_slice(&meta->max_key);
  return table_info_new(&f, out);
}

void table_batch_free(table_batch *b) {
  for (size_t i = 0; i < b->count; i++) table_info_unref(b->tables[i]);
  free(b->tables);
  b->tables = NULL;
  b->count = b->cap = 0;
  for (size_t i = 0; i < b->blob_count; i++) blob_meta_unref(b->blobs[i]);
  free(b->blobs);
  b->blobs = NULL;
  b->blob_count = b->blob_cap = 0;
}

/* A written table no version will name: its file, and the blocks its writer may have cached. */
static void forget_written_table(tree *t, uint64_t id) {
  block_cache_erase_file(t->cache, id);
  char *path = tree_table_path(t, id);
  if (path) strata_status_free(vfs_remove(t->fs, path));
  free(path);
}

void table_batch_remove_files(tree *t, const table_batch *b) {
  for (size_t i = 0; i < b->count; i++) forget_written_table(t, b->tables[i]->id);
  for (size_t i = 0; i < b->blob_count; i++) {
    char *path = tree_blob_path(t, b->blobs[i]->id);
    if (path) strata_status_free(vfs_remove(t->fs, path));
    free(path);
  }
}

static strata_status *table_batch_push(table_batch *b, table_info *ti) {
  if (b->count == b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 4;
    table_info **grown = realloc(b->tables, cap * sizeof *grown);
    if (!grown) {
      table_info_unref(ti);
      return status_no_memory();
    }
    b->tables = grown;
    b->cap = cap;
  }
  b->tables[b->count++] = ti;
  return NULL;
}

strata_status *tree_finish_table(tree *t, table_writer *w, uint64_t id, blob_sink *sink, table_batch *out,
                               uint64_t *bytes) {
  table_meta meta;
  table_meta_init(&meta);
  checksum128 sum;
  table_blob_ref *refs = NULL;
  size_t ref_count = 0;
  blob_sink_take_refs(sink, &refs, &ref_count);
  strata_status *st = table_writer_finish(w, &meta, &sum); /* on failure it abandons the table */
  if (st) {
    free(refs);
    table_meta_free(&meta);
    return st;
  }
  table_info *ti = NULL;
  st = describe_table(id, &meta, sum, refs, ref_count, &ti);
  free(refs);
  if (!st) {
    *bytes += meta.file_size;
    st = table_batch_push(out, ti);
  }
  table_meta_free(&meta);
  if (st) forget_written_table(t, id); /* finished but not in the batch: nothing else knows it */
  return st;
}

void tree_table_writer_options(const tree *t, unsigned level, table_writer_options *wo) {
  table_writer_options_default(wo);
  wo->block_size = t->opts.block_size;
  wo->filter_bits_per_key = t->opts.bloom_bits_per_key;
  if (t->opts.cache_written_blocks) wo->warm_cache = t->cache;
  table_writer_options_for_level(&t->opts.level_policy, level, wo);
}

table_read_options tree_compaction_read_options(const tree *t) {
  return (table_read_options){.snapshot = SEQNO_READ_ALL, .take_cached = t->opts.cache_written_blocks};
}

strata_status *tree_write_tables(tree *t, kv_iterator *it, unsigned level, uint64_t target_size,
                                 const atomic_flag_int *abort, table_batch *out, uint64_t *bytes) {
  return tree_write_tables_relocating(t, it, level, target_size, abort, NULL, 0, out, bytes);
}

strata_status *tree_write_tables_relocating(tree *t, kv_iterator *it, unsigned level, uint64_t target_size,
                                            const atomic_flag_int *abort, const uint64_t *relocate,
                                            size_t relocate_count, table_batch *out, uint64_t *bytes) {
  blob_sink sink;
  blob_sink_init(&sink, t, relocate, relocate_count, out);
  table_writer_options wo;
  tree_table_writer_options(t, level, &wo);
  table_writer *w = NULL;
  uint64_t id = 0, seen = 0;
  strata_status *st = NULL;
  for (kv_iterator_seek_first(it); !st && kv_iterator_valid(it); kv_iterator_next(it)) {
    /* a long compaction looks up now and then, so closing the database need not wait for it */
    if (abort && (++seen & 1023) == 0 && atomic_flag_get(abort)) {
      st = status_new(STRATA_BUSY, "aborted: the database is closing");
      break;
    }
    internal_key k = kv_iterator_key(it);
    if (w && table_writer_estimated_size(w) >= target_size && !table_writer_would_split_key(w, k.user_key)) {
      st = tree_finish_table(t, w, id, &sink, out, bytes);
      w = NULL;
      if (st) break;
    }
    if (!w) {
      id = tree_allocate_file_id(t);
      wo.table_id = id;
      char *path = tree_table_path(t, id);
      st = path ? table_writer_open(t->fs, path, &wo, &w) : status_no_memory();
      free(path);
      if (st) break;
    }
    slice v = kv_iterator_value(it);
    st = blob_sink_entry(&sink, &k, &v);
    if (!st) st = table_writer_add(w, &k, v);
  }
  if (!st) st = kv_iterator_status(it);
  if (!st && w) {
    st = tree_finish_table(t, w, id, &sink, out, bytes);
    w = NULL;
  }
  if (w) table_writer_abandon(w);
  if (!st) st = blob_sink_finish(&sink); /* blob files are durable before a manifest names them */
  blob_sink_free(&sink);
  if (!st && out->count) st = vfs_sync_dir(t->fs, t->tables_dir);
  return st;
}

/* Streams every entry of `mt` into level-0 tables. */
static strata_status *write_tables(tree *t, memtable *mt, table_batch *out, uint64_t *bytes) {
  kv_iterator *it = NULL;
  STATUS_TRY(memtable_iterator_new(mt, NULL, &it));
  strata_status *st = tree_write_tables(t, it, 0, t->opts.table_target_size, NULL, out, bytes);
  kv_iterator_destroy(it);
  return st;
}

strata_status *tree_flush_oldest(tree *t, int *flushed) {
  *flushed = 0;
  sync_mutex_lock(&t->install_mu);
  sync_mutex_lock(&t->mu);
  if (t->sealed_count == 0) {
    sync_mutex_unlock(&t->mu);
    sync_mutex_unlock(&t->install_mu);
    return NULL;
  }
  memtable *mt = t->sealed[t->sealed_count - 1];
  uint64_t tag = t->sealed_tags[t->sealed_count - 1];
  memtable_ref(mt);
  uint64_t flushed_seqno = t->flushed_seqno;
  sync_mutex_unlock(&t->mu);

  table_batch tables = {NULL, 0, 0, NULL, 0, 0, 0, 0};
  uint64_t bytes = 0;
  strata_status *st = write_tables(t, mt, &tables, &bytes);
  uint64_t highest = 0;
  if (memtable_highest_seqno(mt, &highest) && highest + 1 > flushed_seqno) flushed_seqno = highest + 1;

  if (!st) {
    /* one edit adds the tables and drops the memtable from the sealed list */
    tree_edit e;
    tree_edit_init(&e);
    e.add = tables.tables;
    e.add_count = tables.count;
    e.add_blobs = tables.blobs;
    e.add_blob_count = tables.blob_count;
    e.add_level = 0;
    e.add_placement = TREE_PLACE_NEWEST_RUN;
    e.drop_oldest_sealed = 1;
    e.flushed_seqno = flushed_seqno;
    e.journal_min = tag;
    st = tree_apply_edit_locked(t, &e, NULL);
    if (!st) {
      sync_mutex_lock(&t->mu);
      t->counters.flushes++;
      t->counters.bytes_flushed += bytes + tables.blob_bytes;
      sync_mutex_unlock(&t->mu);
      *flushed = 1;
    }
  }
  if (st) table_batch_remove_files(t, &tables); /* the written tables are orphans now */
  table_batch_free(&tables);
  memtable_unref(mt);
  sync_mutex_unlock(&t->install_mu);
  return st ? status_wrap(st, "flushing memtable") : NULL;
}
