/*
 * fuzz_blob.c -- libFuzzer target for the blob file and value handle decoders (scripts/fuzz.sh).
 *
 * The first byte picks what the rest is fed to:
 *   0: a whole blob file (memory VFS): verify it, open a reader, read every record the bytes
 *      seem to hold by its handle, and handles made of the bytes themselves
 *   1: a value handle: decode it
 *   2: a differential round trip: the bytes describe keys and values; they are written to a blob
 *      file (LZ4 or not), verified and read back by their handles; any difference aborts
 * Nothing may crash, hang or leak; errors are expected and ignored (except in 2).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blob/blob_file.h"
#include "vfs/vfs.h"

static void fuzz_file(const uint8_t *data, size_t size) {
  strata_status_free(blob_file_verify_bytes(slice_make(data, size), UINT64_MAX, "fuzz", NULL));
  vfs *v = NULL;
  if (vfs_memory_new(&v)) return;
  strata_status *st = vfs_replace(v, "b", data, size);
  blob_file_reader *r = NULL;
  uint64_t id = 0; /* the id the trailer claims, so the reader gets past that check */
  if (size >= BLOB_TRAILER_SIZE)
    for (int i = 7; i >= 0; i--) id = id << 8 | data[size - BLOB_TRAILER_SIZE + 8 + (size_t)i];
  if (!st) st = blob_file_reader_open(v, "b", id, &r);
  if (!st) {
    buffer value;
    buffer_init(&value);
    uint64_t end = blob_file_reader_summary(r)->records_end, off = 0;
    for (int n = 0; off < end && n < 10000; n++) {
      blob_record rec;
      size_t len = 0;
      strata_status *rs = blob_record_decode(slice_make(data + off, (size_t)(end - off)), "fuzz", &rec, &len);
      if (rs) {
        strata_status_free(rs);
        break;
      }
      blob_handle h = {id, off, len, rec.raw_len};
      strata_status_free(blob_file_reader_read(r, &h, rec.key, &value));
      h.size = len + 1; /* a handle that lies about its size */
      strata_status_free(blob_file_reader_read(r, &h, rec.key, &value));
      off += len;
    }
    for (size_t i = 0; i + 4 <= size && i < 64; i += 4) { /* handles made of the file's own bytes */
      blob_handle h = {id, data[i], data[i + 1] + 13u, data[i + 2]};
      strata_status_free(blob_file_reader_read(r, &h, slice_make(data + i, data[i + 3] % 8), &value));
    }
    buffer_free(&value);
    blob_file_reader_close(r);
  }
  strata_status_free(st);
  vfs_destroy(v);
}

static void fuzz_handle(const uint8_t *data, size_t size) {
  blob_handle h;
  strata_status *st = blob_handle_decode(slice_make(data, size), "fuzz", &h);
  if (!st) { /* what decodes must encode to the same bytes or fewer (varints may be overlong) */
    uint8_t out[BLOB_HANDLE_MAX_SIZE];
    if (blob_handle_encode(&h, out) > size) abort();
  }
  strata_status_free(st);
}

static void round_trip(const uint8_t *data, size_t size) {
  if (size < 2) return;
  compression c = data[0] & 1 ? COMPRESSION_LZ4 : COMPRESSION_NONE;
  data++, size--;
  vfs *v = NULL;
  if (vfs_memory_new(&v)) return;
  blob_file_writer *w = NULL;
  if (blob_file_writer_open(v, "b", 42, c, &w)) abort();
  enum { MAX = 64 };
  blob_handle handles[MAX];
  slice keys[MAX], values[MAX];
  size_t n = 0, pos = 0;
  while (n < MAX && pos + 2 <= size) {
    size_t kl = data[pos] % 16, vl = (size_t)data[pos + 1] * 3;
    pos += 2;
    if (kl > size - pos) kl = size - pos;
    keys[n] = slice_make(data + pos, kl);
    pos += kl;
    if (vl > size - pos) vl = size - pos;
    values[n] = slice_make(data + pos, vl);
    pos += vl;
    if (blob_file_writer_add(w, keys[n], 1000 + n, values[n], &handles[n])) abort();
    n++;
  }
  blob_file_summary sum;
  if (blob_file_writer_finish(w, &sum)) abort();
  buffer file, value;
  buffer_init(&file);
  buffer_init(&value);
  if (vfs_read_file(v, "b", &file)) abort();
  blob_file_summary checked;
  strata_status *st = blob_file_verify_bytes(buffer_slice(&file), 42, "fuzz", &checked);
  if (st || checked.item_count != n || checked.file_size != file.len) abort();
  blob_file_reader *r = NULL;
  if (blob_file_reader_open(v, "b", 42, &r)) abort();
  for (size_t i = 0; i < n; i++) {
    uint8_t enc[BLOB_HANDLE_MAX_SIZE];
    blob_handle back;
    size_t hl = blob_handle_encode(&handles[i], enc);
    if (blob_handle_decode(slice_make(enc, hl), "fuzz", &back) || memcmp(&back, &handles[i], sizeof back)) abort();
    if (blob_file_reader_read(r, &handles[i], keys[i], &value)) abort();
    if (value.len != values[i].len || (value.len && memcmp(value.data, values[i].data, value.len))) abort();
  }
  blob_file_reader_close(r);
  buffer_free(&file);
  buffer_free(&value);
  vfs_destroy(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  switch (data[0] % 3) {
    case 0: fuzz_file(data + 1, size - 1); break;
    case 1: fuzz_handle(data + 1, size - 1); break;
    default: round_trip(data + 1, size - 1); break;
  }
  return 0;
}
