/*
 * fuzz_table.c -- libFuzzer target for the table decoders (built by scripts/fuzz.sh).
 *
 * The first byte picks what the rest is fed to:
 *   0: a whole table file (memory VFS): open, forward and reverse scans, seeks, point reads, verify
 *   1: a raw block payload: block_open, iteration both ways, seeks, block_get
 *   2: a framed block (envelope): block_unframe as data and as index
 * Nothing may crash, hang or leak; errors are expected and ignored.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "table/block_header.h"
#include "table/block_reader.h"
#include "table/table_reader.h"
#include "util/checksum.h"
#include "vfs/vfs.h"

static void drain(kv_iterator *it) {
  int n = 0;
  for (kv_iterator_seek_first(it); kv_iterator_valid(it) && n < 100000; kv_iterator_next(it), n++) {
    internal_key k = kv_iterator_key(it);
    slice v = kv_iterator_value(it);
    (void)k;
    (void)v;
  }
  strata_status_free(kv_iterator_status(it));
  n = 0;
  for (kv_iterator_seek_last(it); kv_iterator_valid(it) && n < 100000; kv_iterator_prev(it), n++) (void)kv_iterator_key(it);
  strata_status_free(kv_iterator_status(it));
  internal_key t = internal_key_make(slice_from_cstr("m"), 5, VALUE_TYPE_VALUE);
  kv_iterator_seek(it, &t);
  if (kv_iterator_valid(it)) kv_iterator_prev(it);
  strata_status_free(kv_iterator_status(it));
  kv_iterator_seek_for_prev(it, &t);
  if (kv_iterator_valid(it)) kv_iterator_next(it);
  strata_status_free(kv_iterator_status(it));
}

static void fuzz_file(const uint8_t *data, size_t size) {
  vfs *v = NULL;
  if (vfs_memory_new(&v)) return;
  strata_status *st = vfs_replace(v, "t", data, size);
  table_reader *r = NULL;
  if (!st) st = table_reader_open(v, "t", 1, NULL, &r);
  if (!st) {
    kv_iterator *it = NULL;
    if (!(st = table_reader_iterator(r, SEQNO_READ_ALL, &it))) {
      drain(it);
      kv_iterator_destroy(it);
    }
    strata_status_free(st);
    if (!(st = table_reader_iterator(r, 50, &it))) {
      drain(it);
      kv_iterator_destroy(it);
    }
    strata_status_free(st);
    buffer val;
    buffer_init(&val);
    const char *keys[] = {"", "a", "m", "key00010", "zzz"};
    for (size_t i = 0; i < 5; i++) {
      int found;
      internal_key k;
      strata_status_free(table_reader_get(r, slice_from_cstr(keys[i]), checksum64(keys[i], strlen(keys[i])),
                                          SEQNO_READ_ALL, &found, &k, &val));
    }
    buffer_free(&val);
    st = table_reader_verify(r);
    table_reader_close(r);
  }
  strata_status_free(st);
  vfs_destroy(v);
}

static void fuzz_block(const uint8_t *data, size_t size) {
  uint8_t *copy = malloc(size ? size : 1);
  if (!copy) return;
  if (size) memcpy(copy, data, size);
  block *b = NULL;
  strata_status *st = block_open(copy, size, "fuzz", &b);
  if (st) {
    strata_status_free(st);
    return;
  }
  kv_iterator *it = NULL;
  block_owner none = {NULL, NULL, NULL};
  if (!(st = block_iterator_new(b, none, &it))) {
    drain(it);
    kv_iterator_destroy(it);
  }
  strata_status_free(st);
  int found;
  internal_key k;
  slice val;
  const char *keys[] = {"", "a", "m", "k0002"};
  for (size_t i = 0; i < 4; i++)
    strata_status_free(block_get(b, slice_from_cstr(keys[i]), checksum64(keys[i], strlen(keys[i])), SEQNO_READ_ALL,
                                 &found, &k, &val));
  block_free(b);
}

static void fuzz_envelope(const uint8_t *data, size_t size) {
  block_handle h = {0, size};
  uint8_t *raw = NULL;
  size_t len = 0;
  strata_status *st = block_unframe(slice_make(data, size), h, BLOCK_TYPE_DATA, "fuzz", &raw, &len);
  if (!st) {
    fuzz_block(raw, len);
    free(raw);
  }
  strata_status_free(st);
  st = block_unframe(slice_make(data, size), h, BLOCK_TYPE_INDEX, "fuzz", &raw, &len);
  if (!st) free(raw);
  strata_status_free(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  switch (data[0] % 3) {
    case 0: fuzz_file(data + 1, size - 1); break;
    case 1: fuzz_block(data + 1, size - 1); break;
    default: fuzz_envelope(data + 1, size - 1); break;
  }
  return 0;
}
