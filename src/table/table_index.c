/* Block index writer: single-level or partitioned (layout in table_index.h). */
#include "table_index.h"

#include "../util/coding.h"

void index_writer_init(index_writer *iw, int partitioned, size_t partition_size) {
  block_writer_init(&iw->top, 1, 0);
  block_writer_init(&iw->part, 1, 0);
  iw->partitioned = partitioned;
  iw->partition_size = partition_size;
  buffer_init(&iw->last_key);
  buffer_init(&iw->handle_buf);
  iw->last_trailer = 0;
  iw->partitions = 0;
}

void index_writer_free(index_writer *iw) {
  block_writer_free(&iw->top);
  block_writer_free(&iw->part);
  buffer_free(&iw->last_key);
  buffer_free(&iw->handle_buf);
}

static strata_status *add_entry(index_writer *iw, block_writer *bw, const internal_key *k, block_handle h) {
  buffer_clear(&iw->handle_buf);
  STATUS_TRY(block_handle_encode(&iw->handle_buf, h));
  return block_writer_add(bw, k, buffer_slice(&iw->handle_buf), 0);
}

static strata_status *flush_partition(index_writer *iw, table_block_sink sink, void *ctx) {
  slice raw;
  block_handle h;
  STATUS_TRY(block_writer_finish(&iw->part, &raw));
  STATUS_TRY(sink(ctx, BLOCK_TYPE_INDEX, raw, &h));
  internal_key last = internal_key_make(buffer_slice(&iw->last_key), iw->last_trailer >> 8,
                                        (value_type)(iw->last_trailer & 0xff));
  STATUS_TRY(add_entry(iw, &iw->top, &last, h));
  block_writer_reset(&iw->part);
  iw->partitions++;
  return NULL;
}

strata_status *index_writer_add(index_writer *iw, const internal_key *last_key, block_handle h,
                                table_block_sink sink, void *ctx) {
  if (!iw->partitioned) return add_entry(iw, &iw->top, last_key, h);
  STATUS_TRY(add_entry(iw, &iw->part, last_key, h));
  buffer_clear(&iw->last_key);
  STATUS_TRY(buffer_append(&iw->last_key, last_key->user_key.data, last_key->user_key.len));
  iw->last_trailer = internal_key_trailer(last_key);
  if (block_writer_estimated_size(&iw->part) >= iw->partition_size) return flush_partition(iw, sink, ctx);
  return NULL;
}

strata_status *index_writer_finish(index_writer *iw, table_block_sink sink, void *ctx, block_handle *top,
                                   uint64_t *partitions) {
  if (iw->partitioned && !block_writer_empty(&iw->part)) STATUS_TRY(flush_partition(iw, sink, ctx));
  slice raw;
  STATUS_TRY(block_writer_finish(&iw->top, &raw));
  STATUS_TRY(sink(ctx, BLOCK_TYPE_INDEX, raw, top));
  *partitions = iw->partitions;
  return NULL;
}

strata_status *index_value_decode(slice value, const char *what, block_handle *out) {
  reader r = reader_make(value, what);
  STATUS_TRY(block_handle_decode(&r, out));
  if (reader_remaining(&r)) return status_new(STRATA_CORRUPTION, "%s: trailing bytes in an index entry", what);
  return NULL;
}
