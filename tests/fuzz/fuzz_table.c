/*
 * fuzz_table.c -- libFuzzer target for the table decoders (built by scripts/fuzz.sh).
 *
 * The first byte picks what the rest is fed to:
 *   0: a whole table file (memory VFS): open, forward and reverse scans, seeks, point reads, verify
 *   1: a raw block payload: block_open, iteration both ways, seeks, block_get
 *   2: a framed block (envelope): block_unframe as data and as index
 *   3: a differential round trip: the bytes describe entries and writer options; the entries
 *      are written as a table and read back (scans both ways, point reads); any difference aborts
 * Nothing may crash, hang or leak; errors are expected and ignored.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "table/block_header.h"
#include "table/block_reader.h"
#include "table/table_reader.h"
#include "table/table_writer.h"
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
    if (!(st = table_reader_iterator(r, &(table_read_options){.snapshot = SEQNO_READ_ALL, .fill_cache = 1}, &it))) {
      drain(it);
      kv_iterator_destroy(it);
    }
    strata_status_free(st);
    if (!(st = table_reader_iterator(r, &(table_read_options){.snapshot = 50, .fill_cache = 1}, &it))) {
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
  if (!(st = block_iterator_new(b, none, NULL, &it))) {
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

/* ---- mode 3: round trip --------------------------------------------------------------- */

typedef struct fentry {
  const uint8_t *key, *val;
  size_t klen, vlen;
  uint64_t seqno;
  value_type type;
} fentry;

static int fentry_cmp(const void *a, const void *b) {
  const fentry *x = a, *y = b;
  internal_key kx = internal_key_make(slice_make(x->key, x->klen), x->seqno, x->type);
  internal_key ky = internal_key_make(slice_make(y->key, y->klen), y->seqno, y->type);
  return internal_key_compare(&kx, &ky);
}

static void must(int cond) {
  if (!cond) abort();
}

static void fuzz_round_trip(const uint8_t *data, size_t size) {
  if (size < 4) return;
  table_writer_options o;
  table_writer_options_default(&o);
  o.block_size = 64 + (size_t)data[0] * 8;
  o.restart_interval = 1 + data[1] % 20;
  o.hash_index = data[2] & 1;
  o.partitioned_index = (data[2] >> 1) & 1;
  o.partitioned_filter = o.partitioned_index && ((data[2] >> 4) & 1);
  o.compression = (data[2] >> 2) & 1 ? COMPRESSION_LZ4 : COMPRESSION_NONE;
  o.filter_bits_per_key = (data[2] >> 3) & 1 ? 0 : 10;
  o.index_partition_size = 64 + (size_t)data[3] * 4;
  const uint8_t *p = data + 4, *end = data + size;
  fentry e[256];
  size_t n = 0;
  while (n < 256 && end - p >= 3) {
    fentry *f = &e[n];
    f->klen = p[0] % 6;
    f->seqno = p[1];
    f->type = (value_type)(p[2] % 3);
    p += 3;
    if ((size_t)(end - p) < f->klen) break;
    f->key = p;
    p += f->klen;
    f->vlen = p < end ? *p++ % 40 : 0;
    if ((size_t)(end - p) < f->vlen) f->vlen = (size_t)(end - p);
    f->val = p;
    p += f->vlen;
    n++;
  }
  qsort(e, n, sizeof e[0], fentry_cmp);
  size_t w = 0;
  for (size_t i = 0; i < n; i++)
    if (w == 0 || e[w - 1].klen != e[i].klen || memcmp(e[w - 1].key, e[i].key, e[i].klen) ||
        e[w - 1].seqno != e[i].seqno)
      e[w++] = e[i];
  n = w;
  vfs *v = NULL;
  if (vfs_memory_new(&v)) return;
  table_writer *tw = NULL;
  must(table_writer_open(v, "rt", &o, &tw) == NULL);
  for (size_t i = 0; i < n; i++) {
    internal_key k = internal_key_make(slice_make(e[i].key, e[i].klen), e[i].seqno, e[i].type);
    must(table_writer_add(tw, &k, slice_make(e[i].val, e[i].vlen)) == NULL);
  }
  must(table_writer_finish(tw, NULL, NULL) == NULL);
  table_reader *r = NULL;
  must(table_reader_open(v, "rt", 1, NULL, &r) == NULL);
  must(table_reader_verify(r) == NULL);
  kv_iterator *it = NULL;
  must(table_reader_iterator(r, &(table_read_options){.snapshot = SEQNO_READ_ALL, .fill_cache = 1}, &it) == NULL);
  size_t i = 0;
  for (kv_iterator_seek_first(it); kv_iterator_valid(it); kv_iterator_next(it), i++) {
    internal_key k = kv_iterator_key(it);
    must(i < n && k.seqno == e[i].seqno && k.type == e[i].type &&
         slice_equal(k.user_key, slice_make(e[i].key, e[i].klen)) &&
         slice_equal(kv_iterator_value(it), slice_make(e[i].val, e[i].vlen)));
  }
  must(kv_iterator_status(it) == NULL && i == n);
  for (kv_iterator_seek_last(it); kv_iterator_valid(it); kv_iterator_prev(it)) {
    must(i > 0);
    i--;
    must(kv_iterator_key(it).seqno == e[i].seqno);
  }
  must(kv_iterator_status(it) == NULL && i == 0);
  kv_iterator_destroy(it);
  buffer val;
  buffer_init(&val);
  for (size_t j = 0; j < n; j++) {
    uint64_t snaps[] = {e[j].seqno, e[j].seqno + 1, SEQNO_READ_ALL};
    for (int s = 0; s < 3; s++) {
      long want = -1;
      for (size_t q = 0; q < n && want < 0; q++)
        if (e[q].klen == e[j].klen && !memcmp(e[q].key, e[j].key, e[j].klen) && e[q].seqno < snaps[s]) want = (long)q;
      int found;
      internal_key k;
      must(table_reader_get(r, slice_make(e[j].key, e[j].klen), checksum64(e[j].key, e[j].klen), snaps[s], &found, &k,
                            &val) == NULL);
      must(found == (want >= 0));
      if (found) must(k.seqno == e[want].seqno && slice_equal(buffer_slice(&val), slice_make(e[want].val, e[want].vlen)));
    }
  }
  buffer_free(&val);
  table_reader_close(r);
  vfs_destroy(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  switch (data[0] % 4) {
    case 0: fuzz_file(data + 1, size - 1); break;
    case 1: fuzz_block(data + 1, size - 1); break;
    case 2: fuzz_envelope(data + 1, size - 1); break;
    default: fuzz_round_trip(data + 1, size - 1); break;
  }
  return 0;
}
