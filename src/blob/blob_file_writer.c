/* blob_file_writer.c -- appending records to a new blob file and finishing it with its trailer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/checksum.h"
#include "../util/coding.h"
#include "blob_file.h"

struct blob_file_writer {
  vfs *fs;
  char *path;
  vfs_file *file;
  compression compression;
  checksum128_stream *sum; /* of every byte written */
  blob_file_summary s;
  buffer record;
  buffer packed; /* compression output */
};

strata_status *blob_file_writer_open(vfs *fs, const char *path, uint64_t id, compression c, blob_file_writer **out) {
  *out = NULL;
  if (c != COMPRESSION_NONE && c != COMPRESSION_LZ4)
    return status_new(STRATA_INVALID_ARGUMENT, "blob file %s: unknown compression %d", path, (int)c);
  blob_file_writer *w = calloc(1, sizeof *w);
  if (!w) return status_no_memory();
  w->fs = fs;
  w->compression = c;
  w->s.id = id;
  w->s.seqno_min = UINT64_MAX;
  buffer_init(&w->record);
  buffer_init(&w->packed);
  size_t plen = strlen(path);
  w->path = malloc(plen + 1);
  w->sum = checksum128_stream_new();
  strata_status *st = w->path && w->sum ? NULL : status_no_memory();
  if (!st) {
    memcpy(w->path, path, plen + 1);
    st = vfs_open(fs, path, VFS_OPEN_WRITE | VFS_OPEN_CREATE | VFS_OPEN_EXCLUSIVE, &w->file);
  }
  if (st) {
    checksum128_stream_free(w->sum);
    free(w->path);
    free(w);
    return status_wrap(st, "creating blob file %s", path);
  }
  *out = w;
  return NULL;
}

static strata_status *write_bytes(blob_file_writer *w, const void *p, size_t n) {
  strata_status *st = vfs_file_append(w->file, p, n);
  if (st) return status_wrap(st, "writing blob file %s", w->path);
  checksum128_stream_update(w->sum, p, n);
  return NULL;
}

strata_status *blob_file_writer_add(blob_file_writer *w, slice key, uint64_t seqno, slice value, blob_handle *h) {
  if (value.len > COMPRESS_MAX_INPUT)
    return status_new(STRATA_INVALID_ARGUMENT, "blob file %s: a %zu-byte value is over the limit", w->path, value.len);
  slice stored = value;
  compression used = COMPRESSION_NONE;
  if (w->compression == COMPRESSION_LZ4) {
    buffer_clear(&w->packed);
    size_t cap = compress_bound(COMPRESSION_LZ4, value.len), got = 0;
    STATUS_TRY(buffer_reserve(&w->packed, cap));
    STATUS_TRY(compress_block(COMPRESSION_LZ4, value.data, value.len, w->packed.data, cap, &got));
    if (got < value.len) { /* keep it only when it saves something */
      stored = slice_make(w->packed.data, got);
      used = COMPRESSION_LZ4;
    }
  }
  buffer *r = &w->record;
  buffer_clear(r);
  STATUS_TRY(buffer_append_prefixed(r, key));
  STATUS_TRY(buffer_append_varint64(r, seqno));
  STATUS_TRY(buffer_append_byte(r, (uint8_t)used));
  STATUS_TRY(buffer_append_varint64(r, value.len));
  STATUS_TRY(buffer_append_prefixed(r, stored));
  STATUS_TRY(buffer_append_fixed64(r, checksum64(r->data, r->len)));
  h->blob_id = w->s.id;
  h->offset = w->s.records_end;
  h->size = r->len;
  h->raw_size = value.len;
  STATUS_TRY(write_bytes(w, r->data, r->len));
  w->s.records_end += r->len;
  w->s.item_count++;
  w->s.raw_value_bytes += value.len;
  if (seqno < w->s.seqno_min) w->s.seqno_min = seqno;
  if (seqno > w->s.seqno_max) w->s.seqno_max = seqno;
  return NULL;
}

uint64_t blob_file_writer_size(const blob_file_writer *w) { return w->s.records_end; }
uint64_t blob_file_writer_id(const blob_file_writer *w) { return w->s.id; }

static void writer_free(blob_file_writer *w) {
  buffer_free(&w->record);
  buffer_free(&w->packed);
  checksum128_stream_free(w->sum);
  free(w->path);
  free(w);
}

strata_status *blob_file_writer_finish(blob_file_writer *w, blob_file_summary *out) {
  if (w->s.item_count == 0) w->s.seqno_min = 0;
  uint8_t t[BLOB_TRAILER_SIZE];
  encode_fixed32(t, BLOB_MAGIC);
  encode_fixed32(t + 4, BLOB_FORMAT);
  encode_fixed64(t + 8, w->s.id);
  encode_fixed64(t + 16, w->s.item_count);
  encode_fixed64(t + 24, w->s.records_end);
  encode_fixed64(t + 32, w->s.raw_value_bytes);
  encode_fixed64(t + 40, w->s.seqno_min);
  encode_fixed64(t + 48, w->s.seqno_max);
  checksum128_stream_update(w->sum, t, 56);
  checksum128 fs = checksum128_stream_digest(w->sum);
  encode_fixed64(t + 56, fs.low);
  encode_fixed64(t + 64, fs.high);
  encode_fixed64(t + 72, checksum64(t, 72));
  strata_status *st = vfs_file_append(w->file, t, sizeof t);
  if (!st) st = vfs_file_sync(w->file);
  strata_status *cst = vfs_file_close(w->file);
  w->file = NULL;
  if (!st) st = cst;
  else strata_status_free(cst);
  if (st) {
    strata_status_free(vfs_remove(w->fs, w->path));
    st = status_wrap(st, "finishing blob file %s", w->path);
  } else if (out) {
    *out = w->s;
    out->file_size = w->s.records_end + BLOB_TRAILER_SIZE;
  }
  writer_free(w);
  return st;
}

void blob_file_writer_abandon(blob_file_writer *w) {
  if (!w) return;
  strata_status_free(vfs_file_close(w->file));
  strata_status_free(vfs_remove(w->fs, w->path));
  writer_free(w);
}
