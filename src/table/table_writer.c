/* Table writer: data blocks, index, filter, meta, TOC, trailer (formats in the headers). */
#include "table_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cache/block_cache.h"
#include "../util/check.h"
#include "block_header.h"
#include "block_writer.h"
#include "bloom.h"
#include "table_index.h"
#include "table_reader_internal.h"
#include "table_trailer.h"

struct table_writer {
  vfs *v;
  vfs_file *file;
  char *path;
  char *what; /* "table <id> (<path>)" */
  table_writer_options opts;
  uint64_t offset;
  checksum128_stream *cs;
  block_writer data;
  index_writer index;
  bloom_builder *filter;
  block_writer filter_index; /* partitioned filter: last key -> filter partition */
  buffer frame, scratch, meta_buf, last_key;
  uint64_t last_trailer;
  table_meta meta;
};

static strata_status *write_bytes(table_writer *w, const void *p, size_t n) {
  strata_status *st = vfs_file_append(w->file, p, n);
  if (st) return status_wrap(st, "%s", w->what);
  checksum128_stream_update(w->cs, p, n);
  w->offset += n;
  return NULL;
}

static strata_status *write_block(void *ctx, block_type type, slice raw, block_handle *out) {
  table_writer *w = ctx;
  compression comp = type == BLOCK_TYPE_DATA || type == BLOCK_TYPE_INDEX ? w->opts.compression : COMPRESSION_NONE;
  buffer_clear(&w->frame);
  STATUS_TRY(block_frame(type, comp, raw, &w->scratch, &w->frame));
  out->offset = w->offset;
  out->size = w->frame.len;
  STATUS_TRY(write_bytes(w, w->frame.data, w->frame.len));
  if (type == BLOCK_TYPE_INDEX) w->meta.index_size += out->size;
  return NULL;
}

strata_status *table_writer_open(vfs *v, const char *path, const table_writer_options *opts, table_writer **out) {
  *out = NULL;
  table_writer_options def;
  if (!opts) {
    table_writer_options_default(&def);
    opts = &def;
  }
  STATUS_TRY(table_writer_options_validate(opts));
  table_writer *w = calloc(1, sizeof *w);
  if (!w) return status_no_memory();
  w->v = v;
  w->opts = *opts;
  block_writer_init(&w->data, opts->restart_interval, opts->hash_index);
  index_writer_init(&w->index, opts->partitioned_index, opts->index_partition_size);
  block_writer_init(&w->filter_index, 1, 0);
  buffer_init(&w->frame);
  buffer_init(&w->scratch);
  buffer_init(&w->meta_buf);
  buffer_init(&w->last_key);
  table_meta_init(&w->meta);
  w->meta.compression = opts->compression;
  w->meta.restart_interval = opts->restart_interval;
  w->meta.block_size = opts->block_size;
  strata_status *st = NULL;
  w->path = malloc(strlen(path) + 1);
  w->what = table_what_new(opts->table_id, path);
  w->cs = checksum128_stream_new();
  if (!w->path || !w->what || !w->cs) st = status_no_memory();
  else memcpy(w->path, path, strlen(path) + 1);
  if (!st && opts->filter_bits_per_key > 0) st = bloom_builder_new(opts->filter_bits_per_key, &w->filter);
  if (!st) st = vfs_open(v, path, VFS_OPEN_WRITE | VFS_OPEN_CREATE | VFS_OPEN_EXCLUSIVE, &w->file);
  if (st) {
    w->file = NULL;
    table_writer_abandon(w);
    return st;
  }
  *out = w;
  return NULL;
}

static void writer_free(table_writer *w) {
  block_writer_free(&w->data);
  index_writer_free(&w->index);
  block_writer_free(&w->filter_index);
  bloom_builder_free(w->filter);
  buffer_free(&w->frame);
  buffer_free(&w->scratch);
  buffer_free(&w->meta_buf);
  buffer_free(&w->last_key);
  table_meta_free(&w->meta);
  checksum128_stream_free(w->cs);
  free(w->path);
  free(w->what);
  free(w);
}

void table_writer_abandon(table_writer *w) {
  if (!w) return;
  if (w->file) {
    strata_status_free(vfs_file_close(w->file));
    strata_status_free(vfs_remove(w->v, w->path));
  }
  if (w->opts.warm_cache) block_cache_erase_file(w->opts.warm_cache, w->opts.table_id);
  writer_free(w);
}

int table_writer_would_split_key(const table_writer *w, slice user_key) {
  return w->meta.entry_count > 0 && slice_equal(user_key, buffer_slice(&w->last_key));
}

uint64_t table_writer_estimated_size(const table_writer *w) {
  return w->offset + (block_writer_empty(&w->data) ? 0 : block_writer_estimated_size(&w->data));
}

uint64_t table_writer_entry_count(const table_writer *w) { return w->meta.entry_count; }

static internal_key last_internal_key(const table_writer *w) {
  return internal_key_make(buffer_slice(&w->last_key), w->last_trailer >> 8, (value_type)(w->last_trailer & 0xff));
}

/* Partitioned filter: writes the filter of the index partition just closed. */
static strata_status *flush_filter_partition(table_writer *w) {
  block_handle h;
  buffer_clear(&w->meta_buf);
  w->meta.filter_hashes += bloom_builder_count(w->filter);
  STATUS_TRY(bloom_builder_finish(w->filter, &w->meta_buf));
  STATUS_TRY(write_block(w, BLOCK_TYPE_FILTER, buffer_slice(&w->meta_buf), &h));
  w->meta.filter_size += h.size;
  w->meta.filter_partition_count++;
  buffer_clear(&w->meta_buf);
  STATUS_TRY(block_handle_encode(&w->meta_buf, h));
  internal_key last = last_internal_key(w);
  return block_writer_add(&w->filter_index, &last, buffer_slice(&w->meta_buf), 0);
}

static int filter_partitioned(const table_writer *w) { return w->filter && w->opts.partitioned_filter; }

static strata_status *flush_data_block(table_writer *w) {
  slice raw;
  block_handle h;
  uint32_t entries = block_writer_count(&w->data);
  STATUS_TRY(block_writer_finish(&w->data, &raw));
  STATUS_TRY(write_block(w, BLOCK_TYPE_DATA, raw, &h));
  if (w->opts.warm_cache)
    table_cache_offer_data_block(w->opts.warm_cache, w->opts.table_id, w->what, h, raw, entries,
                                 w->opts.restart_interval);
  w->meta.data_block_count++;
  w->meta.data_size += h.size;
  w->meta.raw_data_size += raw.len;
  internal_key last = internal_key_make(buffer_slice(&w->last_key), w->last_trailer >> 8,
                                        (value_type)(w->last_trailer & 0xff));
  STATUS_TRY(index_writer_add(&w->index, &last, h, write_block, w));
  block_writer_reset(&w->data);
  if (filter_partitioned(w) && w->index.partitions > w->meta.filter_partition_count)
    return flush_filter_partition(w);
  return NULL;
}

strata_status *table_writer_add(table_writer *w, const internal_key *key, slice value) {
  if (key->user_key.len > USER_KEY_MAX || key->seqno > SEQNO_MAX || !value_type_is_stored(key->type))
    return status_new(STRATA_INVALID_ARGUMENT, "table %llu: key of %zu bytes, seqno %llu, type %d out of range",
                      (unsigned long long)w->opts.table_id, key->user_key.len, (unsigned long long)key->seqno,
                      (int)key->type);
  if (w->meta.entry_count > 0) {
    internal_key last = internal_key_make(buffer_slice(&w->last_key), w->last_trailer >> 8,
                                          (value_type)(w->last_trailer & 0xff));
    if (internal_key_compare(&last, key) >= 0)
      return status_new(STRATA_INVALID_ARGUMENT, "table %llu: entries out of order (seqno %llu after %llu)",
                        (unsigned long long)w->opts.table_id, (unsigned long long)key->seqno,
                        (unsigned long long)last.seqno);
  }
  int new_key = !table_writer_would_split_key(w, key->user_key);
  STRATA_TESTCASE(!new_key && block_writer_empty(&w->data)); /* a key's versions continue in a new block */
  uint64_t hash = checksum64(key->user_key.data, key->user_key.len);
  STATUS_TRY(block_writer_add(&w->data, key, value, hash));
  /* a key whose versions continue into a new filter partition is added to that one too */
  if (w->filter && (new_key || bloom_builder_count(w->filter) == 0)) STATUS_TRY(bloom_builder_add(w->filter, hash));
  if (new_key) {
    buffer_clear(&w->last_key);
    STATUS_TRY(buffer_append(&w->last_key, key->user_key.data, key->user_key.len));
  }
  w->last_trailer = internal_key_trailer(key);
  table_meta *m = &w->meta;
  if (m->entry_count == 0) {
    STATUS_TRY(buffer_append(&m->min_key, key->user_key.data, key->user_key.len));
    m->min_seqno = m->max_seqno = key->seqno;
  }
  if (key->seqno < m->min_seqno) m->min_seqno = key->seqno;
  if (key->seqno > m->max_seqno) m->max_seqno = key->seqno;
  m->entry_count++;
  if (key->type == VALUE_TYPE_TOMBSTONE) m->tombstone_count++;
  else if (key->type == VALUE_TYPE_WEAK_TOMBSTONE) m->weak_tombstone_count++;
  else m->value_count++;
  if (block_writer_estimated_size(&w->data) >= w->opts.block_size) return flush_data_block(w);
  return NULL;
}

static strata_status *writer_finish(table_writer *w, checksum128 *sum) {
  table_meta *m = &w->meta;
  if (!block_writer_empty(&w->data)) STATUS_TRY(flush_data_block(w));
  if (m->entry_count) STATUS_TRY(buffer_append(&m->max_key, w->last_key.data, w->last_key.len));
  table_toc toc;
  memset(&toc, 0, sizeof toc);
  STATUS_TRY(index_writer_finish(&w->index, write_block, w, &toc.index, &m->index_partition_count));
  if (filter_partitioned(w)) {
    if (w->index.partitions > m->filter_partition_count) STATUS_TRY(flush_filter_partition(w));
    slice raw;
    STATUS_TRY(block_writer_finish(&w->filter_index, &raw));
    STATUS_TRY(write_block(w, BLOCK_TYPE_INDEX, raw, &toc.filter_index));
    w->meta.index_size -= toc.filter_index.size; /* counted as filter, not index */
    m->filter_size += toc.filter_index.size;
    toc.has_filter_index = 1;
  } else if (w->filter) {
    buffer_clear(&w->meta_buf);
    m->filter_hashes = bloom_builder_count(w->filter);
    STATUS_TRY(bloom_builder_finish(w->filter, &w->meta_buf));
    STATUS_TRY(write_block(w, BLOCK_TYPE_FILTER, buffer_slice(&w->meta_buf), &toc.filter));
    toc.has_filter = 1;
    m->filter_size = toc.filter.size;
  }
  buffer_clear(&w->meta_buf);
  STATUS_TRY(table_meta_encode(m, &w->meta_buf));
  STATUS_TRY(write_block(w, BLOCK_TYPE_META, buffer_slice(&w->meta_buf), &toc.meta));
  buffer_clear(&w->meta_buf);
  STATUS_TRY(table_toc_encode(&toc, &w->meta_buf));
  block_handle toc_handle;
  STATUS_TRY(write_block(w, BLOCK_TYPE_TOC, buffer_slice(&w->meta_buf), &toc_handle));
  table_trailer t = {toc_handle.offset, toc_handle.size, checksum128_stream_digest(w->cs), TABLE_FORMAT_VERSION};
  uint8_t tb[TABLE_TRAILER_SIZE];
  table_trailer_encode(&t, tb);
  STATUS_TRY(write_bytes(w, tb, sizeof tb));
  m->file_size = w->offset;
  *sum = t.file_checksum;
  strata_status *st = vfs_file_sync(w->file);
  if (st) return status_wrap(st, "table %llu (%s): sync", (unsigned long long)w->opts.table_id, w->path);
  st = vfs_file_close(w->file);
  w->file = NULL;
  if (st) return status_wrap(st, "table %llu (%s): close", (unsigned long long)w->opts.table_id, w->path);
  return NULL;
}

strata_status *table_writer_finish(table_writer *w, table_meta *meta_out, checksum128 *checksum_out) {
  checksum128 sum = {0, 0};
  strata_status *st = writer_finish(w, &sum);
  if (!st && meta_out) st = table_meta_copy(meta_out, &w->meta);
  if (st) {
    table_writer_abandon(w);
    return st;
  }
  if (checksum_out) *checksum_out = sum;
  writer_free(w);
  return NULL;
}
