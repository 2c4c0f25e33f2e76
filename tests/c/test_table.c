/* tables: writer + reader round trips, iterators, snapshots, partitioned index, corruption. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/block_cache.h"
#include "harness.h"
#include "table/bloom.h"
#include "table/table_reader.h"
#include "table/table_writer.h"
#include "util/checksum.h"
#include "vfs/vfs_fault.h"

/* ---- a sorted model of the entries a table should hold --------------------------------- */

typedef struct tentry {
  uint8_t *key;
  size_t klen;
  uint64_t seqno;
  value_type type;
  uint8_t *val;
  size_t vlen;
} tentry;

typedef struct model {
  tentry *e;
  size_t n, cap;
} model;

static internal_key tkey(const tentry *e) {
  return internal_key_make(slice_make(e->key, e->klen), e->seqno, e->type);
}

static int model_push(model *m, const void *key, size_t klen, uint64_t seqno, value_type type, const void *val,
                      size_t vlen) {
  if (m->n == m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 64;
    tentry *e = realloc(m->e, cap * sizeof *e);
    if (!e) return 0;
    m->e = e;
    m->cap = cap;
  }
  tentry *e = &m->e[m->n];
  e->key = malloc(klen ? klen : 1);
  e->val = malloc(vlen ? vlen : 1);
  if (!e->key || !e->val) return 0;
  if (klen) memcpy(e->key, key, klen);
  if (vlen) memcpy(e->val, val, vlen);
  e->klen = klen;
  e->vlen = vlen;
  e->seqno = seqno;
  e->type = type;
  m->n++;
  return 1;
}

static void model_free(model *m) {
  for (size_t i = 0; i < m->n; i++) {
    free(m->e[i].key);
    free(m->e[i].val);
  }
  free(m->e);
  memset(m, 0, sizeof *m);
}

static int cmp_entries(const void *a, const void *b) {
  internal_key ka = tkey(a), kb = tkey(b);
  return internal_key_compare(&ka, &kb);
}

/* Sorts and drops duplicate (key, seqno) pairs. */
static void model_sort(model *m) {
  qsort(m->e, m->n, sizeof *m->e, cmp_entries);
  size_t w = 0;
  for (size_t i = 0; i < m->n; i++) {
    if (w > 0) {
      tentry *p = &m->e[w - 1];
      if (p->klen == m->e[i].klen && !memcmp(p->key, m->e[i].key, p->klen) && p->seqno == m->e[i].seqno) {
        free(m->e[i].key);
        free(m->e[i].val);
        continue;
      }
    }
    m->e[w++] = m->e[i];
  }
  m->n = w;
}

/* n random entries over about n/3 distinct keys of up to maxk bytes, values up to maxv bytes. */
static int model_random(model *m, uint64_t seed, size_t n, size_t maxk, size_t maxv) {
  harness_rng rng = {seed | 1};
  size_t distinct = n / 3 + 1;
  uint8_t key[256], val[512];
  for (size_t i = 0; i < n; i++) {
    uint64_t id = harness_rng_next(&rng) % distinct;
    harness_rng kr = {id * 7919 + 17};
    size_t klen = (size_t)(harness_rng_next(&kr) % (maxk + 1));
    for (size_t j = 0; j < klen; j++) key[j] = (uint8_t)("abcdefgh"[harness_rng_next(&kr) % 8]);
    size_t vlen = (size_t)(harness_rng_next(&rng) % (maxv + 1));
    for (size_t j = 0; j < vlen; j++) val[j] = (uint8_t)harness_rng_next(&rng);
    uint64_t r = harness_rng_next(&rng);
    value_type t = r % 10 == 0 ? VALUE_TYPE_TOMBSTONE : r % 10 == 1 ? VALUE_TYPE_WEAK_TOMBSTONE : VALUE_TYPE_VALUE;
    if (!model_push(m, key, klen, 1 + harness_rng_next(&rng) % 1000, t, val, t == VALUE_TYPE_VALUE ? vlen : 0))
      return 0;
  }
  model_sort(m);
  return 1;
}

/* The newest entry of key with seqno < snap, or -1. */
static long model_get(const model *m, const uint8_t *key, size_t klen, uint64_t snap) {
  for (size_t i = 0; i < m->n; i++)
    if (m->e[i].klen == klen && !memcmp(m->e[i].key, key, klen) && m->e[i].seqno < snap) return (long)i;
  return -1;
}

static int entry_matches(const kv_iterator *it, const tentry *e) {
  internal_key k = kv_iterator_key(it), want = tkey(e);
  return internal_key_compare(&k, &want) == 0 && k.type == e->type &&
         slice_equal(kv_iterator_value(it), slice_make(e->val, e->vlen));
}

static strata_status *write_model(vfs *v, const char *path, const table_writer_options *o, const model *m,
                                  table_meta *meta) {
  table_writer *w;
  STATUS_TRY(table_writer_open(v, path, o, &w));
  for (size_t i = 0; i < m->n; i++) {
    internal_key k = tkey(&m->e[i]);
    strata_status *st = table_writer_add(w, &k, slice_make(m->e[i].val, m->e[i].vlen));
    if (st) {
      table_writer_abandon(w);
      return st;
    }
  }
  return table_writer_finish(w, meta, NULL);
}

/* Full forward and backward scans, point reads of every key at a few snapshots. */
static void check_table_matches(table_reader *r, const model *m) {
  kv_iterator *it;
  CHECK_OK(table_reader_iterator(r, &(table_read_options){.snapshot = SEQNO_READ_ALL, .fill_cache = 1}, &it));
  size_t i = 0;
  for (kv_iterator_seek_first(it); kv_iterator_valid(it); kv_iterator_next(it), i++) {
    CHECK(i < m->n);
    if (!entry_matches(it, &m->e[i])) {
      kv_iterator_destroy(it);
      CHECK(!"forward scan differs from the model");
    }
  }
  CHECK_OK(kv_iterator_status(it));
  CHECK_EQ_U64(i, m->n);
  for (kv_iterator_seek_last(it); kv_iterator_valid(it); kv_iterator_prev(it)) {
    CHECK(i > 0);
    if (!entry_matches(it, &m->e[--i])) {
      kv_iterator_destroy(it);
      CHECK(!"reverse scan differs from the model");
    }
  }
  CHECK_OK(kv_iterator_status(it));
  CHECK_EQ_U64(i, 0);
  kv_iterator_destroy(it);
  buffer val;
  buffer_init(&val);
  uint64_t snaps[] = {1, 2, 300, 600, 1001, SEQNO_READ_ALL, UINT64_MAX};
  for (size_t j = 0; j < m->n; j += 1 + m->n / 300) {
    const tentry *e = &m->e[j];
    uint64_t h = checksum64(e->key, e->klen);
    for (size_t s = 0; s < sizeof snaps / sizeof snaps[0]; s++) {
      int found;
      internal_key k;
      strata_status *st = table_reader_get(r, slice_make(e->key, e->klen), h, snaps[s], &found, &k, &val);
      if (st) buffer_free(&val);
      CHECK_OK(st);
      long want = model_get(m, e->key, e->klen, snaps[s]);
      if (found != (want >= 0)) buffer_free(&val);
      CHECK_EQ_U64(found, want >= 0);
      if (found) {
        const tentry *w = &m->e[want];
        int same = k.seqno == w->seqno && k.type == w->type && slice_equal(buffer_slice(&val), slice_make(w->val, w->vlen));
        if (!same) buffer_free(&val);
        CHECK(same);
      }
    }
  }
  /* keys that are not there */
  for (int j = 0; j < 50; j++) {
    char key[32];
    snprintf(key, sizeof key, "zz-absent-%d", j);
    int found = 1;
    internal_key k;
    strata_status *st = table_reader_get(r, slice_from_cstr(key), checksum64(key, strlen(key)), SEQNO_READ_ALL,
                                         &found, &k, &val);
    if (st) buffer_free(&val);
    CHECK_OK(st);
    CHECK(!found);
  }
  buffer_free(&val);
}

static void round_trip(vfs *v, const char *path, const table_writer_options *o, const model *m) {
  table_meta meta;
  table_meta_init(&meta);
  strata_status *st = write_model(v, path, o, m, &meta);
  if (st) table_meta_free(&meta);
  CHECK_OK(st);
  CHECK_EQ_U64(meta.entry_count, m->n);
  table_reader *r;
  st = table_reader_open(v, path, 7, NULL, &r);
  if (st) table_meta_free(&meta);
  CHECK_OK(st);
  const table_meta *rm = table_reader_meta(r);
  int same_meta = rm->entry_count == meta.entry_count && rm->file_size == meta.file_size &&
                  rm->data_block_count == meta.data_block_count && rm->min_seqno == meta.min_seqno &&
                  rm->max_seqno == meta.max_seqno && slice_equal(buffer_slice(&rm->min_key), buffer_slice(&meta.min_key));
  table_meta_free(&meta);
  if (!same_meta) table_reader_close(r);
  CHECK(same_meta);
  check_table_matches(r, m);
  int failed = harness_case_failed();
  st = failed ? NULL : table_reader_verify(r);
  table_reader_close(r);
  CHECK_OK(st);
}

static void random_tables_round_trip_in_memory(void) {
  vfs *v;
  CHECK_OK(vfs_memory_new(&v));
  CHECK_OK(vfs_mkdir(v, "t"));
  for (uint64_t seed = 1; seed <= 6 && !harness_case_failed(); seed++) {
    model m = {0};
    CHECK(model_random(&m, seed, 300 * seed, 1 + seed * 5, seed * 40));
    table_writer_options o;
    table_writer_options_default(&o);
    o.block_size = seed % 2 ? 256 : 4096;
    o.restart_interval = (unsigned)(1 + seed * 3);
    o.hash_index = seed % 3 != 0;
    o.compression = seed % 2 ? COMPRESSION_LZ4 : COMPRESSION_NONE;
    o.filter_bits_per_key = seed == 4 ? 0 : 10;
    char path[32];
    snprintf(path, sizeof path, "t/%u", (unsigned)seed);
    round_trip(v, path, &o, &m);
    model_free(&m);
  }
  vfs_destroy(v);
}

static void random_table_round_trips_through_posix_files(void) {
  vfs *v;
  CHECK_OK(vfs_posix_new(&v));
  char *dir = harness_temp_dir(v, "table");
  CHECK(dir);
  model m = {0};
  CHECK(model_random(&m, 99, 2000, 24, 100));
  char *path = vfs_path_join(dir, "000001.sst");
  table_writer_options o;
  table_writer_options_default(&o);
  o.compression = COMPRESSION_LZ4;
  round_trip(v, path, &o, &m);
  free(path);
  model_free(&m);
  harness_temp_dir_remove(v, dir);
  vfs_destroy(v);
}

static void empty_values_and_one_byte_and_64k_keys_round_trip(void) {
  vfs *v;
  CHECK_OK(vfs_memory_new(&v));
  model m = {0};
  uint8_t *big = malloc(USER_KEY_MAX);
  CHECK(big);
  memset(big, 'q', USER_KEY_MAX);
  CHECK(model_push(&m, "", 0, 5, VALUE_TYPE_VALUE, "empty key", 9));
  CHECK(model_push(&m, "a", 1, 3, VALUE_TYPE_VALUE, "", 0));
  CHECK(model_push(&m, "b", 1, 4, VALUE_TYPE_TOMBSTONE, "", 0));
  CHECK(model_push(&m, big, USER_KEY_MAX, 9, VALUE_TYPE_VALUE, "big", 3));
  CHECK(model_push(&m, big, USER_KEY_MAX, 8, VALUE_TYPE_VALUE, big, 1000));
  big[USER_KEY_MAX - 1] = 'r';
  CHECK(model_push(&m, big, USER_KEY_MAX, 1, VALUE_TYPE_WEAK_TOMBSTONE, "", 0));
  free(big);
  model_sort(&m);
  table_writer_options o;
  table_writer_options_default(&o);
  round_trip(v, "extremes", &o, &m);
  model_free(&m);
  vfs_destroy(v);
}

/* regression (found by fuzz_table): an empty user key given as a NULL slice was offset as a pointer */
static void empty_user_key_as_null_slice_round_trips(void) {
  vfs *v;
  CHECK_OK(vfs_memory_new(&v));
  table_writer *w;
  CHECK_OK(table_writer_open(v, "nullkey", NULL, &w));
  internal_key k1 = internal_key_make(slice_empty(), 9, VALUE_TYPE_VALUE);
  internal_key k2 = internal_key_make(slice_empty(), 4, VALUE_TYPE_TOMBSTONE);
  CHECK_OK(table_writer_add(w, &k1, slice_empty()));
  CHECK_OK(table_writer_add(w, &k2, slice_empty()));
  CHECK_OK(table_writer_finish(w, NULL, NULL));
  table_reader *r;
  CHECK_OK(table_reader_open(v, "nullkey", 1, NULL, &r));
  buffer val;
  buffer_init(&val);
  int found = 0;
  internal_key k;
  strata_status *st = table_reader_get(r, slice_empty(), checksum64("", 0), 9, &found, &k, &val);
  buffer_free(&val);
  table_reader_close(r);
  vfs_destroy(v);
  CHECK_OK(st);
  CHECK(found && k.seqno == 4 && k.type == VALUE_TYPE_TOMBSTONE);
}

static void many_versions_case(int partitioned) {
  vfs *v;
  CHECK_OK(vfs_memory_new(&v));
  model m = {0};
  CHECK(model_push(&m, "a", 1, 1, VALUE_TYPE_VALUE, "first", 5));
  for (uint64_t s = 1; s <= 2000; s++) {
    char val[32];
    int n = snprintf(val, sizeof val, "version-%u", (unsigned)s);
    CHECK(model_push(&m, "hot", 3, s * 2, s % 50 == 0 ? VALUE_TYPE_TOMBSTONE : VALUE_TYPE_VALUE, val,
                     s % 50 == 0 ? 0 : (size_t)n));
  }
  CHECK(model_push(&m, "z", 1, 7, VALUE_TYPE_VALUE, "last", 4));
  model_sort(&m);
  table_writer_options o;
  table_writer_options_default(&o);
  o.block_size = 512;
  o.partitioned_index = o.partitioned_filter = partitioned;
  o.index_partition_size = 128;
  CHECK_OK(write_model(v, "hot", &o, &m, NULL));
  table_reader *r;
  CHECK_OK(table_reader_open(v, "hot", 1, NULL, &r));
  CHECK(table_reader_meta(r)->data_block_count > 20);
  if (partitioned) CHECK(table_reader_meta(r)->filter_partition_count > 3);
  CHECK_EQ_U64(table_reader_meta(r)->tombstone_count, 40);
  buffer val;
  buffer_init(&val);
  int ok = 1;
  for (uint64_t snap = 0; snap <= 4002 && ok; snap++) {
    int found;
    internal_key k;
    strata_status *st = table_reader_get(r, slice_from_cstr("hot"), checksum64("hot", 3), snap, &found, &k, &val);
    long want = model_get(&m, (const uint8_t *)"hot", 3, snap);
    if (st || found != (want >= 0) || (found && (k.seqno != m.e[want].seqno || k.type != m.e[want].type ||
                                                 !slice_equal(buffer_slice(&val), slice_make(m.e[want].val, m.e[want].vlen)))))
      ok = 0;
    strata_status_free(st);
  }
  buffer_free(&val);
  table_reader_close(r);
  model_free(&m);
  vfs_destroy(v);
  CHECK(ok);
}

static void many_versions_of_one_key_span_blocks_and_resolve_by_snapshot(void) { many_versions_case(0); }
static void many_versions_of_one_key_span_filter_partitions_and_stay_visible(void) { many_versions_case(1); }

static void partitioned_filter_keeps_present_keys_and_rejects_most_absent_ones(void) {
  vfs *v;
  CHECK_OK(vfs_memory_new(&v));
  model m = {0};
  for (int i = 0; i < 5000; i++) {
    char key[16];
    int n = snprintf(key, sizeof key, "key%06d", i * 2);
    CHECK(model_push(&m, key, (size_t)n, 10, VALUE_TYPE_VALUE, "v", 1));
  }
  table_writer_options o;
  table_writer_options_default(&o);
  o.partitioned_index = o.partitioned_filter = 1;
  o.block_size = 512;
  o.index_partition_size = 128;
  CHECK_OK(write_model(v, "pf", &o, &m, NULL));
  block_cache *c;
  CHECK_OK(block_cache_new(1 << 20, 1, &c));
  table_reader *r;
  CHECK_OK(table_reader_open(v, "pf", 5, c, &r));
  uint64_t parts = table_reader_meta(r)->filter_partition_count;
  int missing = 0, false_pos = 0;
  for (int i = 0; i < 10000; i++) {
    char key[16];
    int n = snprintf(key, sizeof key, "key%06d", i);
    int may = 0;
    strata_status *st = table_reader_may_contain(r, slice_make(key, (size_t)n), checksum64(key, (size_t)n), &may);
    if (st) {
      strata_status_free(st);
      missing = 1000000;
      break;
    }
    if (i % 2 == 0 && !may) missing++;
    if (i % 2 == 1 && may) false_pos++;
  }
  block_cache_stats s = block_cache_get_stats(c);
  table_reader_close(r);
  block_cache_free(c);
  model_free(&m);
  vfs_destroy(v);
  CHECK(parts > 5);
  CHECK_EQ_U64(missing, 0);
  CHECK(false_pos < 250); /* about 1% expected at 10 bits per key */
  CHECK(s.hits > 0);      /* filter partitions come from the cache */
}

static void mixed_next_and_prev_and_seeks_follow_the_model(void) {
  vfs *v;
  CHECK_OK(vfs_memory_new(&v));
  model m = {0};
  CHECK(model_random(&m, 5, 3000, 12, 30));
  table_writer_options o;
  table_writer_options_default(&o);
  o.block_size = 300;
  o.partitioned_index = 1;
  o.index_partition_size = 200;
  CHECK_OK(write_model(v, "mix", &o, &m, NULL));
  table_reader *r;
  CHECK_OK(table_reader_open(v, "mix", 1, NULL, &r));
  CHECK(table_reader_meta(r)->index_partition_count > 3);
  kv_iterator *it;
  CHECK_OK(table_reader_iterator(r, &(table_read_options){.snapshot = SEQNO_READ_ALL, .fill_cache = 1}, &it));
  harness_rng rng = {77};
  int ok = 1;
  long pos = -1;
  for (int step = 0; step < 20000 && ok; step++) {
    uint64_t op = harness_rng_next(&rng) % 10;
    if (op < 4 || pos < 0) {
      if (pos < 0) {
        kv_iterator_seek_first(it);
        pos = 0;
      } else {
        kv_iterator_next(it);
        pos++;
      }
    } else if (op < 8) {
      kv_iterator_prev(it);
      pos--;
    } else {
      /* a target between or on entries */
      const tentry *e = &m.e[harness_rng_next(&rng) % m.n];
      internal_key t = tkey(e);
      t.seqno = harness_rng_next(&rng) % 1002;
      size_t lo = 0;
      while (lo < m.n) {
        internal_key k = tkey(&m.e[lo]);
        if (internal_key_compare(&k, &t) >= 0) break;
        lo++;
      }
      if (op == 8) {
        kv_iterator_seek(it, &t);
        pos = (long)lo;
      } else {
        size_t le = lo;
        if (lo < m.n) {
          internal_key k = tkey(&m.e[lo]);
          if (internal_key_compare(&k, &t) <= 0) le = lo + 1;
        }
        kv_iterator_seek_for_prev(it, &t);
        pos = (long)le - 1;
      }
    }
    if (pos < 0 || pos >= (long)m.n) {
      ok = !kv_iterator_valid(it);
      pos = -1;
    } else {
      ok = kv_iterator_valid(it) && entry_matches(it, &m.e[pos]);
    }
  }
  strata_status *st = kv_iterator_status(it);
  kv_iterator_destroy(it);
  table_reader_close(r);
  model_free(&m);
  vfs_destroy(v);
  CHECK_OK(st);
  CHECK(ok);
}

static void snapshot_iterator_hides_newer_versions(void) {
  vfs *v;
  CHECK_OK(vfs_memory_new(&v));
  model m = {0};
  CHECK(model_random(&m, 11, 1500, 8, 10));
  CHECK_OK(write_model(v, "snap", NULL, &m, NULL));
  table_reader *r;
  CHECK_OK(table_reader_open(v, "snap", 1, NULL, &r));
  uint64_t snaps[] = {0, 1, 250, 500, 999};
  int ok = 1;
  for (size_t s = 0; s < 5 && ok; s++) {
    kv_iterator *it;
    CHECK_OK(table_reader_iterator(r, &(table_read_options){.snapshot = snaps[s], .fill_cache = 1}, &it));
    size_t i = 0;
    for (kv_iterator_seek_first(it); kv_iterator_valid(it) && ok; kv_iterator_next(it)) {
      while (i < m.n && m.e[i].seqno >= snaps[s]) i++;
      ok = i < m.n && entry_matches(it, &m.e[i]);
      i++;
    }
    while (i < m.n && m.e[i].seqno >= snaps[s]) i++;
    ok = ok && i == m.n;
    /* and backwards */
    long j = (long)m.n - 1;
    for (kv_iterator_seek_last(it); kv_iterator_valid(it) && ok; kv_iterator_prev(it)) {
      while (j >= 0 && m.e[j].seqno >= snaps[s]) j--;
      ok = j >= 0 && entry_matches(it, &m.e[j]);
      j--;
    }
    strata_status *st = kv_iterator_status(it);
    kv_iterator_destroy(it);
    CHECK_OK(st);
  }
  table_reader_close(r);
  model_free(&m);
  vfs_destroy(v);
  CHECK(ok);
}

static void partitioned_index_round_trips_with_lz4(void) {
  vfs *v;
  CHECK_OK(vfs_memory_new(&v));
  model m = {0};
  CHECK(model_random(&m, 21, 6000, 20, 60));
  table_writer_options o;
  table_writer_options_default(&o);
  table_level_policy p = table_level_policy_default();
  p.partitioned_index_from_level = 3; /* as lsm-tree does */
  table_writer_options_for_level(&p, 4, &o);
  CHECK(o.partitioned_index && o.partitioned_filter && o.compression == COMPRESSION_LZ4);
  o.block_size = 512;
  o.index_partition_size = 256;
  round_trip(v, "part", &o, &m);
  model_free(&m);
  vfs_destroy(v);
}

static void level_policy_repeats_its_last_compression(void) {
  table_level_policy p = table_level_policy_default();
  CHECK(table_level_policy_compression(&p, 0) == COMPRESSION_NONE);
  CHECK(table_level_policy_compression(&p, 1) == COMPRESSION_NONE);
  CHECK(table_level_policy_compression(&p, 2) == COMPRESSION_LZ4);
  CHECK(table_level_policy_compression(&p, 6) == COMPRESSION_LZ4);
  table_writer_options o;
  table_writer_options_default(&o);
  table_writer_options_for_level(&p, 2, &o);
  CHECK(!o.partitioned_index);
  table_writer_options_for_level(&p, 6, &o);
  CHECK(!o.partitioned_index); /* never by default */
  p.partitioned_index_from_level = 3;
  table_writer_options_for_level(&p, 2, &o);
  CHECK(!o.partitioned_index);
  table_writer_options_for_level(&p, 3, &o);
  CHECK(o.partitioned_index);
  p.compression_count = 0;
  CHECK(table_level_policy_compression(&p, 5) == COMPRESSION_NONE);
  o.block_size = TABLE_MAX_BLOCK_SIZE + 1;
  CHECK_CODE(table_writer_options_validate(&o), STRATA_INVALID_ARGUMENT);
  o.block_size = TABLE_MAX_BLOCK_SIZE;
  CHECK_OK(table_writer_options_validate(&o));
  CHECK(o.restart_interval == TABLE_DEFAULT_RESTART_INTERVAL);
  o.restart_interval = 0;
  CHECK_CODE(table_writer_options_validate(&o), STRATA_INVALID_ARGUMENT);
  o.restart_interval = TABLE_MAX_RESTART_INTERVAL + 1;
  CHECK_CODE(table_writer_options_validate(&o), STRATA_INVALID_ARGUMENT);
  o.restart_interval = TABLE_MAX_RESTART_INTERVAL;
  CHECK_OK(table_writer_options_validate(&o));
  o.partitioned_index = 0;
  o.partitioned_filter = 1;
  CHECK_CODE(table_writer_options_validate(&o), STRATA_INVALID_ARGUMENT);
}

static void out_of_order_entries_are_rejected_and_split_points_reported(void) {
  vfs *v;
  CHECK_OK(vfs_memory_new(&v));
  table_writer *w;
  CHECK_OK(table_writer_open(v, "order", NULL, &w));
  internal_key a5 = internal_key_make(slice_from_cstr("a"), 5, VALUE_TYPE_VALUE);
  internal_key a3 = internal_key_make(slice_from_cstr("a"), 3, VALUE_TYPE_VALUE);
  internal_key b1 = internal_key_make(slice_from_cstr("b"), 1, VALUE_TYPE_VALUE);
  CHECK(!table_writer_would_split_key(w, slice_from_cstr("a")));
  CHECK_OK(table_writer_add(w, &a5, slice_from_cstr("x")));
  CHECK(table_writer_would_split_key(w, slice_from_cstr("a")));
  CHECK(!table_writer_would_split_key(w, slice_from_cstr("b")));
  CHECK_CODE(table_writer_add(w, &a5, slice_from_cstr("dup")), STRATA_INVALID_ARGUMENT);
  CHECK_OK(table_writer_add(w, &a3, slice_from_cstr("y")));
  CHECK_OK(table_writer_add(w, &b1, slice_from_cstr("z")));
  CHECK_CODE(table_writer_add(w, &a3, slice_from_cstr("back")), STRATA_INVALID_ARGUMENT);
  internal_key bad = internal_key_make(slice_from_cstr("c"), SEQNO_MAX + 1, VALUE_TYPE_VALUE);
  CHECK_CODE(table_writer_add(w, &bad, slice_from_cstr("")), STRATA_INVALID_ARGUMENT);
  CHECK_EQ_U64(table_writer_entry_count(w), 3);
  CHECK(table_writer_estimated_size(w) > 0);
  CHECK_OK(table_writer_finish(w, NULL, NULL));
  /* an existing file is never overwritten */
  CHECK_CODE(table_writer_open(v, "order", NULL, &w), STRATA_EXISTS);
  /* an abandoned table leaves no file */
  CHECK_OK(table_writer_open(v, "gone", NULL, &w));
  CHECK_OK(table_writer_add(w, &a5, slice_from_cstr("x")));
  table_writer_abandon(w);
  int exists = 1;
  CHECK_OK(vfs_exists(v, "gone", &exists, NULL));
  CHECK(!exists);
  vfs_destroy(v);
}

static void empty_table_opens_and_reads_nothing(void) {
  vfs *v;
  CHECK_OK(vfs_memory_new(&v));
  model m = {0};
  table_meta meta;
  table_meta_init(&meta);
  CHECK_OK(write_model(v, "empty", NULL, &m, &meta));
  CHECK_EQ_U64(meta.entry_count, 0);
  table_meta_free(&meta);
  table_reader *r;
  CHECK_OK(table_reader_open(v, "empty", 1, NULL, &r));
  CHECK_EQ_U64(table_reader_meta(r)->data_block_count, 0);
  check_table_matches(r, &m);
  strata_status *st = table_reader_verify(r);
  table_reader_close(r);
  CHECK_OK(st);
  vfs_destroy(v);
}

static void point_reads_through_a_block_cache_hit_it(void) {
  vfs *v;
  CHECK_OK(vfs_memory_new(&v));
  model m = {0};
  CHECK(model_random(&m, 3, 2000, 10, 40));
  table_writer_options o;
  table_writer_options_default(&o);
  o.partitioned_index = 1;
  o.index_partition_size = 256;
  CHECK_OK(write_model(v, "cached", &o, &m, NULL));
  block_cache *c;
  CHECK_OK(block_cache_new(1 << 20, 1, &c));
  table_reader *r;
  CHECK_OK(table_reader_open(v, "cached", 42, c, &r));
  check_table_matches(r, &m);
  block_cache_stats s1 = block_cache_get_stats(c);
  check_table_matches(r, &m);
  block_cache_stats s2 = block_cache_get_stats(c);
  table_reader_close(r);
  block_cache_free(c);
  model_free(&m);
  vfs_destroy(v);
  CHECK(s1.inserts > 0);
  CHECK(s2.hits > s1.hits);
  /* the second pass found everything cached */
  CHECK_EQ_U64(s2.misses, s1.misses);
}

/* A writer with warm_cache leaves its data blocks in the cache as a reader keeps them: the
 * reader of the table under the same id then reads everything with no miss on a data block
 * (partitions are not warmed), and reads the same as uncached. An abandoned writer leaves
 * nothing behind. */
static void a_warming_writer_leaves_its_blocks_cached_for_the_reader(void) {
  vfs *v;
  CHECK_OK(vfs_memory_new(&v));
  model m = {0};
  CHECK(model_random(&m, 5, 3000, 10, 60));
  block_cache *c;
  CHECK_OK(block_cache_new(4 << 20, 1, &c));
  table_writer_options o;
  table_writer_options_default(&o);
  o.compression = COMPRESSION_LZ4;
  o.table_id = 42;
  o.warm_cache = c;
  table_meta meta;
  table_meta_init(&meta);
  CHECK_OK(write_model(v, "warm", &o, &m, &meta));
  block_cache_stats written = block_cache_get_stats(c);
  CHECK_EQ_U64(written.entries, meta.data_block_count);
  CHECK(meta.data_block_count > 10);
  table_reader *r;
  CHECK_OK(table_reader_open(v, "warm", 42, c, &r));
  check_table_matches(r, &m);
  block_cache_stats read = block_cache_get_stats(c);
  CHECK_EQ_U64(read.misses, written.misses);
  CHECK(read.hits > written.hits);
  table_reader_close(r);
  table_writer *w;
  o.table_id = 43;
  CHECK_OK(table_writer_open(v, "abandoned", &o, &w));
  for (size_t i = 0; i < m.n; i++) {
    internal_key k = tkey(&m.e[i]);
    CHECK_OK(table_writer_add(w, &k, slice_make(m.e[i].val, m.e[i].vlen)));
  }
  CHECK(block_cache_get_stats(c).entries > written.entries);
  table_writer_abandon(w);
  CHECK_EQ_U64(block_cache_get_stats(c).entries, written.entries);
  table_meta_free(&meta);
  block_cache_free(c);
  model_free(&m);
  vfs_destroy(v);
}

/* A block read from a table lives in one allocation with room for a few restarts; one with many
 * more (restart interval 1, small entries; index partitions) gets its restart table on its own.
 * Both kinds read back right, cached (the handle in the same allocation) and uncached. */
static void blocks_with_more_restarts_than_their_inline_table_read_back(void) {
  vfs *v;
  CHECK_OK(vfs_memory_new(&v));
  model m = {0};
  CHECK(model_random(&m, 17, 3000, 8, 6));
  table_writer_options o;
  table_writer_options_default(&o);
  o.restart_interval = 1;
  o.block_size = 4096;
  o.partitioned_index = 1;
  o.index_partition_size = 1024;
  o.compression = COMPRESSION_LZ4;
  table_meta meta;
  table_meta_init(&meta);
  CHECK_OK(write_model(v, "restarts", &o, &m, &meta));
  uint64_t blocks = meta.data_block_count;
  table_meta_free(&meta);
  CHECK(blocks >= 2 && m.n / blocks > 4096 / 512 + 4); /* more restarts per block than the inline table */
  block_cache *c;
  CHECK_OK(block_cache_new(1 << 20, 1, &c));
  table_reader *r, *uncached;
  CHECK_OK(table_reader_open(v, "restarts", 8, c, &r));
  CHECK_OK(table_reader_open(v, "restarts", 9, NULL, &uncached));
  check_table_matches(r, &m);
  check_table_matches(r, &m); /* now from the cache */
  check_table_matches(uncached, &m);
  block_cache_stats st = block_cache_get_stats(c);
  CHECK(st.hits > 0 && st.inserts >= blocks);
  table_reader_close(uncached);
  table_reader_close(r);
  block_cache_free(c);
  model_free(&m);
  vfs_destroy(v);
}

/* ---- corruption ------------------------------------------------------------------------ */

static strata_status *build_sample(vfs *v, const char *path, int partitioned, model *m) {
  if (!model_random(m, 8, 60, 6, 12)) return status_no_memory();
  table_writer_options o;
  table_writer_options_default(&o);
  o.block_size = 128;
  o.partitioned_index = partitioned;
  o.partitioned_filter = partitioned;
  o.index_partition_size = 64;
  o.compression = partitioned ? COMPRESSION_LZ4 : COMPRESSION_NONE;
  return write_model(v, path, &o, m, NULL);
}

/* Opens, scans and reads `path`; returns 1 if any step reported an error, and sets *wrong when a
 * step that reported no error returned data differing from the model. */
static int probe(vfs *v, const char *path, const model *m, int with_verify, int *wrong) {
  table_reader *r;
  strata_status *st = table_reader_open(v, path, 3, NULL, &r);
  if (st) {
    *wrong |= strata_status_code(st) != STRATA_CORRUPTION && strata_status_code(st) != STRATA_NOT_SUPPORTED;
    strata_status_free(st);
    return 1;
  }
  int err = 0;
  kv_iterator *it;
  st = table_reader_iterator(r, &(table_read_options){.snapshot = SEQNO_READ_ALL, .fill_cache = 1}, &it);
  if (!st) {
    size_t i = 0;
    for (kv_iterator_seek_first(it); kv_iterator_valid(it); kv_iterator_next(it), i++)
      if (i >= m->n || !entry_matches(it, &m->e[i])) *wrong = 1;
    st = kv_iterator_status(it);
    if (!st && i != m->n) *wrong = 1;
    kv_iterator_destroy(it);
  }
  if (st) {
    err = 1;
    strata_status_free(st);
  }
  buffer val;
  buffer_init(&val);
  for (size_t j = 0; j < m->n; j++) {
    int found;
    internal_key k;
    const tentry *e = &m->e[j];
    st = table_reader_get(r, slice_make(e->key, e->klen), checksum64(e->key, e->klen), SEQNO_READ_ALL, &found, &k,
                          &val);
    if (st) {
      err = 1;
      strata_status_free(st);
      continue;
    }
    long want = model_get(m, e->key, e->klen, SEQNO_READ_ALL);
    if (found != (want >= 0) || (found && (k.seqno != m->e[want].seqno ||
                                           !slice_equal(buffer_slice(&val), slice_make(m->e[want].val, m->e[want].vlen)))))
      *wrong = 1;
  }
  buffer_free(&val);
  if (with_verify) {
    st = table_reader_verify(r);
    if (st) err = 1;
    strata_status_free(st);
  }
  table_reader_close(r);
  return err;
}

static void corruption_case(int partitioned) {
  vfs *v;
  CHECK_OK(vfs_memory_new(&v));
  model m = {0};
  CHECK_OK(build_sample(v, "sample", partitioned, &m));
  buffer file;
  buffer_init(&file);
  CHECK_OK(vfs_read_file(v, "sample", &file));
  int wrong = 0;
  CHECK(!probe(v, "sample", &m, 1, &wrong) && !wrong);
  size_t undetected_without_verify = 0, undetected = 0, silent_wrong = 0;
  for (size_t i = 0; i < file.len; i++) {
    file.data[i] ^= (uint8_t)(1u << (i % 8));
    strata_status *st = vfs_replace(v, "flipped", file.data, file.len);
    file.data[i] ^= (uint8_t)(1u << (i % 8));
    if (st) buffer_free(&file);
    CHECK_OK(st);
    int w = 0;
    if (!probe(v, "flipped", &m, 0, &w)) {
      undetected_without_verify++;
      if (!probe(v, "flipped", &m, 1, &w)) undetected++;
    }
    if (w) silent_wrong++;
  }
  /* every flip is caught by open or by reading the block it hit; verify catches the rest */
  CHECK_EQ_U64(undetected_without_verify, 0);
  CHECK_EQ_U64(undetected, 0);
  CHECK_EQ_U64(silent_wrong, 0);
  /* truncated files are rejected at open */
  for (size_t len = 0; len < file.len; len += 1 + (len > 64) * 6) {
    CHECK_OK(vfs_replace(v, "short", file.data, len));
    table_reader *r = NULL;
    CHECK_CODE(table_reader_open(v, "short", 3, NULL, &r), STRATA_CORRUPTION);
  }
  buffer_free(&file);
  model_free(&m);
  vfs_destroy(v);
}

static void every_flipped_byte_of_a_small_table_is_detected(void) { corruption_case(0); }
static void every_flipped_byte_of_a_partitioned_lz4_table_is_detected(void) { corruption_case(1); }

/* ---- mapped tables (posix backend, contract version 2) ------------------------------------ */

/* Writes bytes as the whole file at path, without a sync (the trials need no durability). */
static strata_status *put_file(vfs *v, const char *path, const uint8_t *data, size_t len) {
  vfs_file *f;
  STATUS_TRY(vfs_open(v, path, VFS_OPEN_WRITE | VFS_OPEN_CREATE | VFS_OPEN_TRUNCATE, &f));
  strata_status *st = len ? vfs_file_write(f, 0, data, len) : NULL;
  strata_status *cst = vfs_file_close(f);
  if (st) strata_status_free(cst);
  return st ? st : cst;
}

/* Adds a step's error (or "ok") to out. */
static void note(buffer *out, const char *step, strata_status *st) {
  char line[768];
  if (st) snprintf(line, sizeof line, "%s: %s %s\n", step, strata_code_name(strata_status_code(st)), strata_status_message(st));
  else snprintf(line, sizeof line, "%s: ok\n", step);
  strata_status_free(buffer_append(out, line, strlen(line)));
  strata_status_free(st);
}

/* Opens, scans and reads every key of path; out gets each step's outcome in order (the errors'
 * codes and messages), *wrong is set when a step without an error returned data other than the
 * model's. */
static void probe_outcome(vfs *v, const char *path, const model *m, buffer *out, int *wrong) {
  buffer_clear(out);
  table_reader *r;
  strata_status *st = table_reader_open(v, path, 3, NULL, &r);
  if (st) {
    *wrong |= strata_status_code(st) != STRATA_CORRUPTION && strata_status_code(st) != STRATA_NOT_SUPPORTED;
    note(out, "open", st);
    return;
  }
  kv_iterator *it;
  st = table_reader_iterator(r, &(table_read_options){.snapshot = SEQNO_READ_ALL, .fill_cache = 1}, &it);
  if (!st) {
    size_t i = 0;
    for (kv_iterator_seek_first(it); kv_iterator_valid(it); kv_iterator_next(it), i++)
      if (i >= m->n || !entry_matches(it, &m->e[i])) *wrong = 1;
    st = kv_iterator_status(it);
    if (!st && i != m->n) *wrong = 1;
    kv_iterator_destroy(it);
  }
  note(out, "scan", st);
  buffer val;
  buffer_init(&val);
  for (size_t j = 0; j < m->n; j++) {
    int found;
    internal_key k;
    const tentry *e = &m->e[j];
    st = table_reader_get(r, slice_make(e->key, e->klen), checksum64(e->key, e->klen), SEQNO_READ_ALL, &found, &k,
                          &val);
    if (st) {
      note(out, "get", st);
      continue;
    }
    long want = model_get(m, e->key, e->klen, SEQNO_READ_ALL);
    if (found != (want >= 0) || (found && (k.seqno != m->e[want].seqno ||
                                           !slice_equal(buffer_slice(&val), slice_make(m->e[want].val, m->e[want].vlen)))))
      *wrong = 1;
  }
  buffer_free(&val);
  table_reader_close(r);
}

/* The posix backend maps a table (no read() after open), and every flipped byte and every
 * truncation of a mapped table gives exactly the errors reading it gives: the same steps fail
 * with STRATA_CORRUPTION and the same message naming the file and the offset. */
static void mapped_tables_fail_like_read_ones_on_every_flipped_byte_and_truncation(void) {
  for (int partitioned = 0; partitioned < 2; partitioned++) {
    vfs *posix, *v;
    CHECK_OK(vfs_posix_new(&posix));
    CHECK_OK(vfs_fault_new(posix, &v));
    char *dir = harness_temp_dir(posix, "mapped");
    CHECK(dir);
    if (!dir) return;
    char *sample = vfs_path_join(dir, "sample.sst"), *trial = vfs_path_join(dir, "trial.sst");
    CHECK(sample && trial);
    model m = {0};
    CHECK_OK(build_sample(posix, sample, partitioned, &m));
    buffer file, mapped, read;
    buffer_init(&file);
    buffer_init(&mapped);
    buffer_init(&read);
    CHECK_OK(vfs_read_file(posix, sample, &file));

    /* intact: mapped, it reads nothing after the map; unmapped, every block is a read() (WASI
     * and Emscripten builds of the posix backend cannot map: there both paths read) */
    vfs_file *probe_file = NULL;
    CHECK_OK(vfs_open(posix, sample, VFS_OPEN_READ, &probe_file));
    int can_map = probe_file && probe_file->ops->map != NULL;
    strata_status_free(vfs_file_close(probe_file));
#if !defined(__wasi__) && !defined(__EMSCRIPTEN__) && UINTPTR_MAX > 0xFFFFFFFFu
    CHECK(can_map); /* natively the case is about the mapped path */
#endif
    int wrong = 0;
    vfs_fault_counters c;
    vfs_fault_set_maps(v, VFS_FAULT_MAP_PASS);
    vfs_fault_reset_counters(v);
    probe_outcome(v, sample, &m, &mapped, &wrong);
    vfs_fault_get_counters(v, &c);
    CHECK_EQ_U64(c.maps, 1);
    if (can_map) CHECK_EQ_U64(c.reads, 0);
    else CHECK(c.reads > 3);
    vfs_fault_set_maps(v, VFS_FAULT_MAP_OFF);
    vfs_fault_reset_counters(v);
    probe_outcome(v, sample, &m, &read, &wrong);
    vfs_fault_get_counters(v, &c);
    CHECK(c.reads > 3);
    CHECK(!wrong);
    CHECK(mapped.len == read.len && memcmp(mapped.data, read.data, read.len) == 0);
    CHECK(strstr((const char *)mapped.data, "scan: ok") != NULL);

    size_t differ = 0, failed = 0, named = 0, trials = 0;
    for (size_t i = 0; i < file.len + file.len / 4 + 1; i++) {
      /* first every byte flipped, then truncations to a quarter of the lengths */
      size_t at = i < file.len ? i : (i - file.len) * 4;
      int flip = i < file.len;
      if (flip) file.data[at] ^= (uint8_t)(1u << (at % 8));
      strata_status *st = put_file(posix, trial, file.data, flip ? file.len : at);
      if (flip) file.data[at] ^= (uint8_t)(1u << (at % 8));
      CHECK_OK(st);
      if (st) break;
      vfs_fault_set_maps(v, VFS_FAULT_MAP_PASS);
      probe_outcome(v, trial, &m, &mapped, &wrong);
      vfs_fault_set_maps(v, VFS_FAULT_MAP_OFF);
      probe_outcome(v, trial, &m, &read, &wrong);
      trials++;
      if (mapped.len != read.len || memcmp(mapped.data, read.data, read.len) != 0) {
        if (differ++ == 0)
          fprintf(stderr, "byte %zu (%s):\nmapped:\n%.*s\nread:\n%.*s\n", at, flip ? "flipped" : "truncated",
                  (int)mapped.len, (const char *)mapped.data, (int)read.len, (const char *)read.data);
      }
      const char *text = (const char *)mapped.data;
      if (mapped.len && strstr(text, "STRATA_CORRUPTION")) {
        failed++;
        named += strstr(text, "trial.sst") != NULL;
      }
    }
    CHECK_EQ_U64(differ, 0);
    CHECK(!wrong);
    CHECK(failed > trials / 2); /* most damage is caught by open or the reads; verify() gets the rest */
    CHECK_EQ_U64(named, failed);
    buffer_free(&file);
    buffer_free(&mapped);
    buffer_free(&read);
    model_free(&m);
    free(sample);
    free(trial);
    harness_temp_dir_remove(posix, dir);
    vfs_destroy(v);
    vfs_destroy(posix);
  }
}

/* A map that fails (any error) is never fatal: the table reads through read() instead. */
static void a_failed_map_falls_back_to_reads(void) {
  vfs *posix, *v;
  CHECK_OK(vfs_posix_new(&posix));
  CHECK_OK(vfs_fault_new(posix, &v));
  char *dir = harness_temp_dir(posix, "mapfail");
  CHECK(dir);
  if (!dir) return;
  char *path = vfs_path_join(dir, "t.sst");
  model m = {0};
  CHECK_OK(build_sample(posix, path, 1, &m));
  vfs_fault_set_maps(v, VFS_FAULT_MAP_FAIL);
  vfs_fault_reset_counters(v);
  buffer out;
  buffer_init(&out);
  int wrong = 0;
  probe_outcome(v, path, &m, &out, &wrong);
  vfs_fault_counters c;
  vfs_fault_get_counters(v, &c);
  CHECK(!wrong);
  CHECK(out.len > 0 && strncmp((const char *)out.data, "scan: ok\n", out.len) == 0);
  CHECK_EQ_U64(c.maps, 1);
  CHECK(c.injected >= 1);
  CHECK(c.reads > 3);
  buffer_free(&out);
  model_free(&m);
  free(path);
  harness_temp_dir_remove(posix, dir);
  vfs_destroy(v);
  vfs_destroy(posix);
}

static void newer_format_version_is_refused(void) {
  vfs *v;
  CHECK_OK(vfs_memory_new(&v));
  model m = {0};
  CHECK_OK(build_sample(v, "v2", 0, &m));
  model_free(&m);
  buffer file;
  buffer_init(&file);
  CHECK_OK(vfs_read_file(v, "v2", &file));
  uint8_t *t = file.data + file.len - 48; /* the trailer, with a valid checksum for version 2 */
  t[32] = 2;
  uint32_t check = (uint32_t)checksum64(t, 36);
  for (int i = 0; i < 4; i++) t[36 + i] = (uint8_t)(check >> (8 * i));
  strata_status *st = vfs_replace(v, "v2", file.data, file.len);
  buffer_free(&file);
  CHECK_OK(st);
  table_reader *r = NULL;
  CHECK_CODE(table_reader_open(v, "v2", 1, NULL, &r), STRATA_NOT_SUPPORTED);
  vfs_destroy(v);
}

static void corruption_messages_name_the_table_and_offset(void) {
  vfs *v;
  CHECK_OK(vfs_memory_new(&v));
  model m = {0};
  CHECK_OK(build_sample(v, "named.sst", 0, &m));
  buffer file;
  buffer_init(&file);
  CHECK_OK(vfs_read_file(v, "named.sst", &file));
  file.data[40] ^= 1; /* inside the first data block's payload */
  CHECK_OK(vfs_replace(v, "named.sst", file.data, file.len));
  buffer_free(&file);
  table_reader *r;
  CHECK_OK(table_reader_open(v, "named.sst", 12, NULL, &r));
  kv_iterator *it;
  CHECK_OK(table_reader_iterator(r, &(table_read_options){.snapshot = SEQNO_READ_ALL, .fill_cache = 1}, &it));
  kv_iterator_seek_first(it);
  CHECK(!kv_iterator_valid(it));
  strata_status *st = kv_iterator_status(it);
  kv_iterator_destroy(it);
  table_reader_close(r);
  model_free(&m);
  vfs_destroy(v);
  CHECK(strata_status_code(st) == STRATA_CORRUPTION);
  const char *msg = strata_status_message(st);
  int named = strstr(msg, "table 12 (named.sst)") != NULL && strstr(msg, "offset 0") != NULL;
  if (!named) fprintf(stderr, "message: %s\n", msg);
  strata_status_free(st);
  CHECK(named);
}

/* ---- scan readahead ------------------------------------------------------------------- */

/* A full forward scan with `fill_cache`: every entry of the model in order, nothing else. */
static void scan_matches_model(table_reader *r, int fill_cache, const model *m) {
  kv_iterator *it;
  CHECK_OK(table_reader_iterator(r, &(table_read_options){.snapshot = SEQNO_READ_ALL, .fill_cache = fill_cache}, &it));
  size_t i = 0;
  int same = 1;
  for (kv_iterator_seek_first(it); kv_iterator_valid(it); kv_iterator_next(it), i++)
    same &= i < m->n && entry_matches(it, &m->e[i]);
  CHECK_OK(kv_iterator_status(it));
  kv_iterator_destroy(it);
  CHECK(same);
  CHECK_EQ_U64(i, m->n);
}

/* A forward scan reads the file in windows (table_reader_internal.h), a seek reads one block,
 * and a failed read in the middle of a scan ends it with the error, never a short scan. */
static void a_long_scan_reads_the_table_in_windows_and_a_seek_reads_one_block(void) {
  vfs *mem, *v;
  CHECK_OK(vfs_memory_new(&mem));
  CHECK_OK(vfs_fault_new(mem, &v));
  model m = {0};
  CHECK(model_random(&m, 31, 6000, 12, 40));
  table_writer_options o;
  table_writer_options_default(&o);
  o.block_size = 256;
  table_meta meta;
  table_meta_init(&meta);
  CHECK_OK(write_model(v, "scan.sst", &o, &m, &meta));
  uint64_t blocks = meta.data_block_count;
  table_meta_free(&meta);
  CHECK(blocks > 100);
  table_reader *r;
  CHECK_OK(table_reader_open(v, "scan.sst", 5, NULL, &r));
  vfs_fault_counters c;
  vfs_fault_reset_counters(v);
  scan_matches_model(r, 1, &m);
  vfs_fault_get_counters(v, &c);
  CHECK(c.reads >= 2 && c.reads < blocks / 8); /* the first blocks one by one, then windows */

  vfs_fault_reset_counters(v);
  kv_iterator *it;
  CHECK_OK(table_reader_iterator(r, &(table_read_options){.snapshot = SEQNO_READ_ALL, .fill_cache = 1}, &it));
  internal_key mid = tkey(&m.e[m.n / 2]);
  kv_iterator_seek(it, &mid);
  CHECK(kv_iterator_valid(it) && entry_matches(it, &m.e[m.n / 2]));
  kv_iterator_next(it);
  CHECK_OK(kv_iterator_status(it));
  kv_iterator_destroy(it);
  vfs_fault_get_counters(v, &c);
  CHECK(c.reads >= 1 && c.reads <= 2);

  /* the third read of a scan is its first window: failing it fails the scan */
  vfs_fault_fail_nth(v, VFS_FAULT_READ, 3);
  CHECK_OK(table_reader_iterator(r, &(table_read_options){.snapshot = SEQNO_READ_ALL, .fill_cache = 1}, &it));
  size_t i = 0;
  for (kv_iterator_seek_first(it); kv_iterator_valid(it); kv_iterator_next(it)) i++;
  strata_status *st = kv_iterator_status(it);
  kv_iterator_destroy(it);
  vfs_fault_clear(v);
  CHECK(st != NULL && i < m.n);
  strata_status_free(st);
  table_reader_close(r);
  model_free(&m);
  vfs_destroy(v);
  vfs_destroy(mem);
}

/* fill_cache = 0 (compaction's inputs): a scan takes the blocks already cached, leaves the
 * cache's entries and bytes as they were, and still reads the file in windows. */
static void a_scan_that_does_not_fill_the_cache_uses_cached_blocks_and_inserts_none(void) {
  vfs *mem, *v;
  CHECK_OK(vfs_memory_new(&mem));
  CHECK_OK(vfs_fault_new(mem, &v));
  model m = {0};
  CHECK(model_random(&m, 41, 6000, 12, 40));
  table_writer_options o;
  table_writer_options_default(&o);
  o.block_size = 256;
  o.partitioned_index = 1;
  o.index_partition_size = 4096;
  table_meta meta;
  table_meta_init(&meta);
  CHECK_OK(write_model(v, "nofill.sst", &o, &m, &meta));
  uint64_t blocks = meta.data_block_count;
  table_meta_free(&meta);
  CHECK(blocks > 100);
  block_cache *c;
  CHECK_OK(block_cache_new(1 << 20, 1, &c));
  table_reader *r;
  CHECK_OK(table_reader_open(v, "nofill.sst", 9, c, &r));
  /* a reader's point lookup caches its partition and data block */
  const tentry *hot = &m.e[m.n / 2];
  int found = 0;
  internal_key k;
  buffer val;
  buffer_init(&val);
  CHECK_OK(table_reader_get(r, slice_make(hot->key, hot->klen), checksum64(hot->key, hot->klen),
                            SEQNO_READ_ALL, &found, &k, &val));
  buffer_free(&val);
  CHECK(found);
  block_cache_stats before = block_cache_get_stats(c);
  CHECK(before.entries >= 2);

  vfs_fault_counters fc;
  vfs_fault_reset_counters(v);
  scan_matches_model(r, 0, &m);
  vfs_fault_get_counters(v, &fc);
  block_cache_stats after = block_cache_get_stats(c);
  CHECK_EQ_U64(after.entries, before.entries);
  CHECK_EQ_U64(after.used_bytes, before.used_bytes);
  CHECK_EQ_U64(after.inserts, before.inserts);
  CHECK(after.hits >= before.hits + 2); /* the cached partition and data block were used */
  CHECK(fc.reads >= 2 && fc.reads < blocks / 8); /* readahead still applies */

  /* the same scan filling the cache (a reader's) inserts every block */
  scan_matches_model(r, 1, &m);
  block_cache_stats filled = block_cache_get_stats(c);
  CHECK(filled.entries >= before.entries + blocks - 1);
  table_reader_close(r);
  block_cache_free(c);
  model_free(&m);
  vfs_destroy(v);
  vfs_destroy(mem);
}

int main(void) {
  RUN(random_tables_round_trip_in_memory);
  RUN(random_table_round_trips_through_posix_files);
  RUN(empty_values_and_one_byte_and_64k_keys_round_trip);
  RUN(empty_user_key_as_null_slice_round_trips);
  RUN(many_versions_of_one_key_span_blocks_and_resolve_by_snapshot);
  RUN(many_versions_of_one_key_span_filter_partitions_and_stay_visible);
  RUN(partitioned_filter_keeps_present_keys_and_rejects_most_absent_ones);
  RUN(mixed_next_and_prev_and_seeks_follow_the_model);
  RUN(snapshot_iterator_hides_newer_versions);
  RUN(partitioned_index_round_trips_with_lz4);
  RUN(level_policy_repeats_its_last_compression);
  RUN(out_of_order_entries_are_rejected_and_split_points_reported);
  RUN(empty_table_opens_and_reads_nothing);
  RUN(point_reads_through_a_block_cache_hit_it);
  RUN(a_warming_writer_leaves_its_blocks_cached_for_the_reader);
  RUN(every_flipped_byte_of_a_small_table_is_detected);
  RUN(every_flipped_byte_of_a_partitioned_lz4_table_is_detected);
  RUN(newer_format_version_is_refused);
  RUN(corruption_messages_name_the_table_and_offset);
  RUN(mapped_tables_fail_like_read_ones_on_every_flipped_byte_and_truncation);
  RUN(a_failed_map_falls_back_to_reads);
  RUN(blocks_with_more_restarts_than_their_inline_table_read_back);
  RUN(a_long_scan_reads_the_table_in_windows_and_a_seek_reads_one_block);
  RUN(a_scan_that_does_not_fill_the_cache_uses_cached_blocks_and_inserts_none);
  return harness_finish();
}
