/* blob_file_reader.c -- opening a blob file, reading one record by its handle, verifying it all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/checksum.h"
#include "../util/coding.h"
#include "blob_file.h"

struct blob_file_reader {
  vfs_file *file;
  blob_file_summary s;
  char what[];   /* "blob file <path>" */
};

/* Checks a trailer's bytes; `expect_id` UINT64_MAX accepts any id. */
static strata_status *decode_trailer(const uint8_t *t, uint64_t file_size, uint64_t expect_id, const char *what,
                                     blob_file_summary *s, checksum128 *file_sum) {
  if (decode_fixed64(t + 72) != checksum64(t, 72))
    return status_new(STRATA_CORRUPTION, "%s: trailer checksum mismatch (offset %llu)", what,
                      (unsigned long long)(file_size - BLOB_TRAILER_SIZE));
  if (decode_fixed32(t) != BLOB_MAGIC) return status_new(STRATA_CORRUPTION, "%s: not a blob file (bad magic)", what);
  if (decode_fixed32(t + 4) != BLOB_FORMAT)
    return status_new(STRATA_NOT_SUPPORTED, "%s: blob format %u is not supported", what, decode_fixed32(t + 4));
  s->id = decode_fixed64(t + 8);
  s->item_count = decode_fixed64(t + 16);
  s->records_end = decode_fixed64(t + 24);
  s->raw_value_bytes = decode_fixed64(t + 32);
  s->seqno_min = decode_fixed64(t + 40);
  s->seqno_max = decode_fixed64(t + 48);
  s->file_size = file_size;
  file_sum->low = decode_fixed64(t + 56);
  file_sum->high = decode_fixed64(t + 64);
  if (expect_id != UINT64_MAX && s->id != expect_id)
    return status_new(STRATA_CORRUPTION, "%s: trailer names blob file %llu", what, (unsigned long long)s->id);
  if (s->records_end != file_size - BLOB_TRAILER_SIZE)
    return status_new(STRATA_CORRUPTION, "%s: trailer says %llu bytes of records in a %llu-byte file", what,
                      (unsigned long long)s->records_end, (unsigned long long)file_size);
  if (s->item_count > s->records_end / (BLOB_RECORD_CHECKSUM_SIZE + 5) || s->seqno_min > s->seqno_max)
    return status_new(STRATA_CORRUPTION, "%s: trailer with %llu records, seqnos %llu..%llu", what,
                      (unsigned long long)s->item_count, (unsigned long long)s->seqno_min,
                      (unsigned long long)s->seqno_max);
  return NULL;
}

strata_status *blob_record_decode(slice bytes, const char *what, blob_record *out, size_t *len) {
  reader r = reader_make(bytes, what);
  uint8_t c = 0;
  strata_status *st = reader_prefixed(&r, &out->key);
  if (!st) st = reader_varint64(&r, &out->seqno);
  if (!st) st = reader_u8(&r, &c);
  if (!st) st = compression_from_byte(c, &out->compression);
  if (!st) st = reader_varint64(&r, &out->raw_len);
  if (!st) st = reader_prefixed(&r, &out->stored);
  if (st) return status_wrap(st, "%s: a record", what);
  size_t body = (size_t)(r.pos - bytes.data);
  uint64_t sum = 0;
  if ((st = reader_fixed64(&r, &sum))) return status_wrap(st, "%s: a record's checksum", what);
  if (sum != checksum64(bytes.data, body)) return status_new(STRATA_CORRUPTION, "%s: record checksum mismatch", what);
  if (out->compression == COMPRESSION_NONE && out->raw_len != out->stored.len)
    return status_new(STRATA_CORRUPTION, "%s: an uncompressed record of %llu bytes stores %zu", what,
                      (unsigned long long)out->raw_len, out->stored.len);
  if (out->raw_len > COMPRESS_MAX_INPUT)
    return status_new(STRATA_CORRUPTION, "%s: a record of %llu bytes", what, (unsigned long long)out->raw_len);
  *len = body + BLOB_RECORD_CHECKSUM_SIZE;
  return NULL;
}

strata_status *blob_record_value(const blob_record *rec, const char *what, buffer *value) {
  buffer_clear(value);
  if (rec->compression == COMPRESSION_NONE) return buffer_append(value, rec->stored.data, rec->stored.len);
  STATUS_TRY(buffer_reserve(value, (size_t)rec->raw_len));
  strata_status *st =
      decompress_block(rec->compression, rec->stored.data, rec->stored.len, value->data, (size_t)rec->raw_len);
  if (st) return status_wrap(st, "%s", what);
  value->len = (size_t)rec->raw_len;
  return NULL;
}

strata_status *blob_file_reader_open(vfs *fs, const char *path, uint64_t id, blob_file_reader **out) {
  *out = NULL;
  size_t wlen = strlen(path) + sizeof "blob file ";
  blob_file_reader *r = calloc(1, sizeof *r + wlen);
  if (!r) return status_no_memory();
  snprintf(r->what, wlen, "blob file %s", path);
  uint64_t size = 0;
  uint8_t t[BLOB_TRAILER_SIZE];
  checksum128 sum;
  strata_status *st = vfs_open(fs, path, VFS_OPEN_READ, &r->file);
  if (!st) st = vfs_file_size(r->file, &size);
  if (!st && size < BLOB_TRAILER_SIZE)
    st = status_new(STRATA_CORRUPTION, "%s: %llu bytes, shorter than a trailer", r->what, (unsigned long long)size);
  if (!st) st = vfs_file_read_exact(r->file, size - BLOB_TRAILER_SIZE, t, sizeof t, r->what);
  if (!st) st = decode_trailer(t, size, id, r->what, &r->s, &sum);
  if (st) {
    blob_file_reader_close(r);
    return st;
  }
  *out = r;
  return NULL;
}

void blob_file_reader_close(blob_file_reader *r) {
  if (!r) return;
  strata_status_free(vfs_file_close(r->file));
  free(r);
}

const blob_file_summary *blob_file_reader_summary(const blob_file_reader *r) { return &r->s; }

static strata_status *check_record(const blob_file_reader *r, const blob_handle *h, slice bytes, slice key,
                                   buffer *value);

strata_status *blob_file_reader_read(blob_file_reader *r, const blob_handle *h, slice key, buffer *value) {
  if (h->blob_id != r->s.id || h->offset > r->s.records_end || h->size > r->s.records_end - h->offset)
    return status_new(STRATA_CORRUPTION, "%s: handle (file %llu, offset %llu, size %llu) outside its %llu bytes of records",
                      r->what, (unsigned long long)h->blob_id, (unsigned long long)h->offset,
                      (unsigned long long)h->size, (unsigned long long)r->s.records_end);
  /* a buffer per call: readers of one file run concurrently */
  uint8_t *bytes = malloc(h->size ? (size_t)h->size : 1);
  if (!bytes) return status_no_memory();
  strata_status *st = vfs_file_read_exact(r->file, h->offset, bytes, (size_t)h->size, r->what);
  if (!st) st = check_record(r, h, slice_make(bytes, (size_t)h->size), key, value);
  free(bytes);
  return st;
}

static strata_status *check_record(const blob_file_reader *r, const blob_handle *h, slice bytes, slice key,
                                   buffer *value) {
  char what[600];
  snprintf(what, sizeof what, "%s at offset %llu", r->what, (unsigned long long)h->offset);
  blob_record rec;
  size_t len = 0;
  STATUS_TRY(blob_record_decode(bytes, what, &rec, &len));
  if (len != h->size || rec.raw_len != h->raw_size || !slice_equal(rec.key, key))
    return status_new(STRATA_CORRUPTION, "%s: the record does not match its handle (size %zu/%llu, value %llu/%llu%s)",
                      what, len, (unsigned long long)h->size, (unsigned long long)rec.raw_len,
                      (unsigned long long)h->raw_size, slice_equal(rec.key, key) ? "" : ", another key");
  if (rec.seqno < r->s.seqno_min || rec.seqno > r->s.seqno_max)
    return status_new(STRATA_CORRUPTION, "%s: seqno %llu outside the file's range", what, (unsigned long long)rec.seqno);
  return blob_record_value(&rec, what, value);
}

strata_status *blob_file_verify_bytes(slice file, uint64_t id, const char *what, blob_file_summary *out) {
  if (file.len < BLOB_TRAILER_SIZE)
    return status_new(STRATA_CORRUPTION, "%s: %zu bytes, shorter than a trailer", what, file.len);
  blob_file_summary s;
  checksum128 sum;
  STATUS_TRY(decode_trailer(file.data + file.len - BLOB_TRAILER_SIZE, file.len, id, what, &s, &sum));
  if (!checksum128_equal(sum, checksum128_of(file.data, file.len - BLOB_TRAILER_SIZE + 56)))
    return status_new(STRATA_CORRUPTION, "%s: file checksum mismatch", what);
  uint64_t off = 0, count = 0, raw = 0;
  buffer value;
  buffer_init(&value);
  strata_status *st = NULL;
  while (!st && off < s.records_end) {
    blob_record rec;
    size_t len = 0;
    char at[600];
    snprintf(at, sizeof at, "%s at offset %llu", what, (unsigned long long)off);
    st = blob_record_decode(slice_make(file.data + off, (size_t)(s.records_end - off)), at, &rec, &len);
    if (!st && (rec.seqno < s.seqno_min || rec.seqno > s.seqno_max))
      st = status_new(STRATA_CORRUPTION, "%s: seqno %llu outside the file's range", at, (unsigned long long)rec.seqno);
    if (!st) st = blob_record_value(&rec, at, &value);
    if (st) break;
    off += len;
    count++;
    raw += rec.raw_len;
  }
  buffer_free(&value);
  if (!st && (count != s.item_count || raw != s.raw_value_bytes))
    st = status_new(STRATA_CORRUPTION, "%s: %llu records of %llu bytes, the trailer says %llu of %llu", what,
                    (unsigned long long)count, (unsigned long long)raw, (unsigned long long)s.item_count,
                    (unsigned long long)s.raw_value_bytes);
  if (!st && out) *out = s;
  return st;
}

strata_status *blob_file_verify(vfs *fs, const char *path, uint64_t id, blob_file_summary *out) {
  buffer data;
  buffer_init(&data);
  strata_status *st = vfs_read_file(fs, path, &data);
  if (!st) {
    char what[600];
    snprintf(what, sizeof what, "blob file %s", path);
    st = blob_file_verify_bytes(buffer_slice(&data), id, what, out);
  }
  buffer_free(&data);
  return st;
}
