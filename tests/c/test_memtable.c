/* memtable: the arena, the skiplist's order, gets at snapshots, iterators, and one writer racing
 * many readers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "memtable/arena.h"
#include "memtable/memtable.h"
#include "util/sync.h"

/* --- helpers ------------------------------------------------------------------------------------ */

static strata_status *put(memtable *mt, const char *key, uint64_t seqno, value_type type,
                          const char *value) {
  return memtable_insert(mt, slice_from_cstr(key), seqno, type, slice_from_cstr(value));
}

static int key_is(internal_key k, const char *user_key, uint64_t seqno) {
  return slice_equal(k.user_key, slice_from_cstr(user_key)) && k.seqno == seqno;
}

static int iter_at(const kv_iterator *it, const char *user_key, uint64_t seqno) {
  return kv_iterator_valid(it) && key_is(kv_iterator_key(it), user_key, seqno);
}

/* a@3 a@2 a@1 b@5 c@4 c@1: three keys, a few versions each. */
static strata_status *fill_abc(memtable *mt) {
  STATUS_TRY(put(mt, "c", 1, VALUE_TYPE_VALUE, "c1"));
  STATUS_TRY(put(mt, "a", 2, VALUE_TYPE_VALUE, "a2"));
  STATUS_TRY(put(mt, "b", 5, VALUE_TYPE_VALUE, "b5"));
  STATUS_TRY(put(mt, "a", 1, VALUE_TYPE_VALUE, "a1"));
  STATUS_TRY(put(mt, "c", 4, VALUE_TYPE_TOMBSTONE, ""));
  return put(mt, "a", 3, VALUE_TYPE_VALUE, "a3");
}

/* --- arena -------------------------------------------------------------------------------------- */

static void arena_allocations_are_aligned_and_counted(void) {
  arena a;
  arena_init(&a, 1024);
  CHECK_EQ_U64(arena_memory_usage(&a), 0);
  size_t aligns[] = {1, 2, 4, 8, 16, 64};
  for (int round = 0; round < 200; round++) {
    size_t align = aligns[round % 6];
    void *p;
    CHECK_OK(arena_alloc(&a, (size_t)(round % 13) + 1, align, &p));
    CHECK(((uintptr_t)p & (align - 1)) == 0);
    memset(p, 0xab, (size_t)(round % 13) + 1); /* ASan: the bytes are really ours */
  }
  CHECK(arena_memory_usage(&a) >= 1024);
  arena_destroy(&a);
  CHECK_EQ_U64(arena_memory_usage(&a), 0);
}

static void arena_big_request_gets_its_own_chunk_and_keeps_the_current_one(void) {
  arena a;
  arena_init(&a, 4096);
  void *small1, *big, *small2;
  CHECK_OK(arena_alloc(&a, 16, 8, &small1));
  uint64_t one_chunk = arena_memory_usage(&a);
  CHECK_OK(arena_alloc(&a, 100000, 8, &big));
  memset(big, 1, 100000);
  CHECK(arena_memory_usage(&a) >= one_chunk + 100000);
  CHECK_OK(arena_alloc(&a, 16, 8, &small2));
  /* the small allocation continued in the first chunk */
  CHECK((uint8_t *)small2 == (uint8_t *)small1 + 16);
  arena_destroy(&a);
}

/* A reservation larger than the current chunk's rest: the allocations fill that rest first,
 * then continue in the spare chunk, and a later reservation the spare still covers allocates
 * nothing. */
static void arena_reservation_fills_the_current_chunk_before_its_spare(void) {
  arena a;
  arena_init(&a, 4096);
  void *first, *p;
  CHECK_OK(arena_alloc(&a, 1000, 8, &first));
  for (int i = 0; i < 2; i++) CHECK_OK(arena_alloc(&a, 1000, 8, &p));
  uint64_t one_chunk = arena_memory_usage(&a);
  CHECK_OK(arena_reserve(&a, 6000)); /* more than the ~1,000 bytes left */
  uint64_t reserved = arena_memory_usage(&a);
  CHECK(reserved >= one_chunk + 6000);
  CHECK_OK(arena_alloc(&a, 1000, 8, &p));
  CHECK((uint8_t *)p == (uint8_t *)first + 3000); /* the current chunk's rest, not the spare */
  for (int i = 0; i < 5; i++) CHECK_OK(arena_alloc(&a, 1000, 8, &p)); /* on in the spare */
  CHECK_EQ_U64(arena_memory_usage(&a), reserved);
  CHECK_OK(arena_reserve(&a, 500)); /* the spare's rest covers it */
  CHECK_OK(arena_alloc(&a, 500, 8, &p));
  CHECK_EQ_U64(arena_memory_usage(&a), reserved);
  arena_destroy(&a);
}

/* A batch reserves its entries' bound (towers at full height), about 1.5x what they take; the
 * rest of each reservation is used by the next batch instead of abandoned, so the memtable
 * holds close to what its entries take (it held 1.6x before: 108 MiB for 64 MiB). */
static void batch_reservations_leave_little_of_the_arena_unused(void) {
  memtable *mt;
  CHECK_OK(memtable_new(&mt));
  uint8_t value[100];
  memset(value, 'v', sizeof value);
  char key[17];
  uint64_t seqno = 1;
  for (int b = 0; b < 300; b++) {
    CHECK_OK(memtable_reserve(mt, 1000 * memtable_entry_bound(16, sizeof value)));
    for (int i = 0; i < 1000; i++) {
      snprintf(key, sizeof key, "%016u", (unsigned)((b * 1000 + i) * 2654435761u));
      CHECK_OK(memtable_insert(mt, slice_make(key, 16), seqno, VALUE_TYPE_VALUE, slice_make(value, sizeof value)));
    }
    seqno++;
  }
  uint64_t used = memtable_approximate_size(mt), held = memtable_memory_usage(mt);
  CHECK(held >= used);
  CHECK(held - used < used / 10);
  memtable_unref(mt);
}

/* --- order and gets ----------------------------------------------------------------------------- */

static void entries_iterate_by_key_then_newest_version_first(void) {
  memtable *mt;
  CHECK_OK(memtable_new(&mt));
  CHECK_OK(fill_abc(mt));
  /* many versions of one key, inserted in a scrambled order */
  for (uint64_t i = 0; i < 100; i++) CHECK_OK(put(mt, "m", 1000 + (i * 37) % 100, VALUE_TYPE_VALUE, "v"));
  kv_iterator *it;
  CHECK_OK(memtable_iterator_new(mt, NULL, &it));
  kv_iterator_seek_first(it);
  const char *keys[] = {"a", "a", "a", "b", "c", "c"};
  uint64_t seqnos[] = {3, 2, 1, 5, 4, 1};
  for (int i = 0; i < 6; i++, kv_iterator_next(it)) CHECK(iter_at(it, keys[i], seqnos[i]));
  for (uint64_t s = 1099; s >= 1000; s--, kv_iterator_next(it)) CHECK(iter_at(it, "m", s));
  CHECK(!kv_iterator_valid(it));
  CHECK(kv_iterator_status(it) == NULL);
  CHECK_EQ_U64(memtable_entry_count(mt), 106);
  kv_iterator_destroy(it);
  memtable_unref(mt);
}

static void get_sees_only_seqnos_below_the_snapshot(void) {
  memtable *mt;
  CHECK_OK(memtable_new(&mt));
  CHECK_OK(fill_abc(mt));
  int found;
  value_type type;
  slice value;
  memtable_get(mt, slice_from_cstr("a"), SEQNO_READ_ALL, &found, &type, &value);
  CHECK(found && type == VALUE_TYPE_VALUE && slice_equal(value, slice_from_cstr("a3")));
  /* snapshots beyond SEQNO_READ_ALL read everything as well */
  memtable_get(mt, slice_from_cstr("a"), UINT64_MAX, &found, &type, &value);
  CHECK(found && slice_equal(value, slice_from_cstr("a3")));
  /* the boundary is exclusive: a read at 3 does not see seqno 3 */
  memtable_get(mt, slice_from_cstr("a"), 3, &found, &type, &value);
  CHECK(found && slice_equal(value, slice_from_cstr("a2")));
  memtable_get(mt, slice_from_cstr("a"), 4, &found, &type, &value);
  CHECK(found && slice_equal(value, slice_from_cstr("a3")));
  memtable_get(mt, slice_from_cstr("a"), 2, &found, &type, &value);
  CHECK(found && slice_equal(value, slice_from_cstr("a1")));
  memtable_get(mt, slice_from_cstr("a"), 1, &found, &type, &value);
  CHECK(!found);
  memtable_get(mt, slice_from_cstr("b"), 5, &found, &type, &value);
  CHECK(!found);
  memtable_get(mt, slice_from_cstr("b"), 6, &found, NULL, &value);
  CHECK(found && slice_equal(value, slice_from_cstr("b5")));
  /* keys that are absent, or prefixes and extensions of present ones */
  memtable_get(mt, slice_from_cstr("ab"), SEQNO_READ_ALL, &found, NULL, NULL);
  CHECK(!found);
  memtable_get(mt, slice_from_cstr(""), SEQNO_READ_ALL, &found, NULL, NULL);
  CHECK(!found);
  memtable_get(mt, slice_from_cstr("d"), SEQNO_READ_ALL, &found, NULL, NULL);
  CHECK(!found);
  memtable_unref(mt);
}

/* memtable_get skips a memtable with nothing below the snapshot: empty, or only newer writes
 * (a snapshot pinned before they came); a write below the snapshot is found again, also when the
 * memtable's lowest seqno came later than a higher one. */
static void get_skips_a_memtable_with_nothing_below_the_snapshot(void) {
  memtable *mt;
  CHECK_OK(memtable_new(&mt));
  int found = 1;
  memtable_get(mt, slice_from_cstr("k"), SEQNO_READ_ALL, &found, NULL, NULL);
  CHECK(!found);
  found = 1;
  memtable_get(mt, slice_from_cstr("k"), UINT64_MAX, &found, NULL, NULL);
  CHECK(!found);
  CHECK_OK(put(mt, "k", 10, VALUE_TYPE_VALUE, "v10"));
  memtable_get(mt, slice_from_cstr("k"), 10, &found, NULL, NULL); /* pinned before seqno 10 */
  CHECK(!found);
  slice value;
  memtable_get(mt, slice_from_cstr("k"), 11, &found, NULL, &value);
  CHECK(found && slice_equal(value, slice_from_cstr("v10")));
  CHECK_OK(put(mt, "j", 4, VALUE_TYPE_VALUE, "v4")); /* lowest now 4: a snapshot at 5 sees j only */
  memtable_get(mt, slice_from_cstr("j"), 5, &found, NULL, &value);
  CHECK(found && slice_equal(value, slice_from_cstr("v4")));
  memtable_get(mt, slice_from_cstr("k"), 5, &found, NULL, NULL);
  CHECK(!found);
  memtable_get(mt, slice_from_cstr("j"), 4, &found, NULL, NULL);
  CHECK(!found);
  memtable_unref(mt);
}

static void get_at_snapshot_zero_sees_nothing_not_even_seqno_zero(void) {
  memtable *mt;
  CHECK_OK(memtable_new(&mt));
  CHECK_OK(put(mt, "k", 0, VALUE_TYPE_VALUE, "v0"));
  int found;
  memtable_get(mt, slice_from_cstr("k"), 0, &found, NULL, NULL);
  CHECK(!found);
  slice value;
  memtable_get(mt, slice_from_cstr("k"), 1, &found, NULL, &value);
  CHECK(found && slice_equal(value, slice_from_cstr("v0")));
  memtable_unref(mt);
}

static void get_reports_tombstones_and_weak_tombstones_as_such(void) {
  memtable *mt;
  CHECK_OK(memtable_new(&mt));
  CHECK_OK(fill_abc(mt));
  CHECK_OK(put(mt, "d", 7, VALUE_TYPE_VALUE, "d7"));
  CHECK_OK(put(mt, "d", 8, VALUE_TYPE_WEAK_TOMBSTONE, ""));
  int found;
  value_type type;
  slice value;
  memtable_get(mt, slice_from_cstr("c"), SEQNO_READ_ALL, &found, &type, &value);
  CHECK(found && type == VALUE_TYPE_TOMBSTONE && value.len == 0);
  memtable_get(mt, slice_from_cstr("c"), 4, &found, &type, &value);
  CHECK(found && type == VALUE_TYPE_VALUE && slice_equal(value, slice_from_cstr("c1")));
  memtable_get(mt, slice_from_cstr("d"), SEQNO_READ_ALL, &found, &type, &value);
  CHECK(found && type == VALUE_TYPE_WEAK_TOMBSTONE);
  memtable_get(mt, slice_from_cstr("d"), 8, &found, &type, &value);
  CHECK(found && type == VALUE_TYPE_VALUE && slice_equal(value, slice_from_cstr("d7")));
  memtable_unref(mt);
}

static void empty_key_sorts_first_and_ff_keys_last(void) {
  memtable *mt;
  CHECK_OK(memtable_new(&mt));
  uint8_t ff1[] = {0xff}, ff3[] = {0xff, 0xff, 0xff}, zero[] = {0x00};
  CHECK_OK(memtable_insert(mt, slice_make(ff3, 3), 1, VALUE_TYPE_VALUE, slice_from_cstr("ff3")));
  CHECK_OK(memtable_insert(mt, slice_empty(), 2, VALUE_TYPE_VALUE, slice_from_cstr("empty")));
  CHECK_OK(memtable_insert(mt, slice_make(ff1, 1), 3, VALUE_TYPE_VALUE, slice_empty()));
  CHECK_OK(memtable_insert(mt, slice_make(zero, 1), 4, VALUE_TYPE_VALUE, slice_from_cstr("00")));
  CHECK_OK(memtable_insert(mt, slice_from_cstr("m"), 5, VALUE_TYPE_VALUE, slice_from_cstr("m")));
  kv_iterator *it;
  CHECK_OK(memtable_iterator_new(mt, NULL, &it));
  kv_iterator_seek_first(it);
  CHECK(kv_iterator_valid(it) && kv_iterator_key(it).user_key.len == 0);
  CHECK(slice_equal(kv_iterator_value(it), slice_from_cstr("empty")));
  kv_iterator_next(it);
  CHECK(kv_iterator_valid(it) && slice_equal(kv_iterator_key(it).user_key, slice_make(zero, 1)));
  kv_iterator_seek_last(it);
  CHECK(kv_iterator_valid(it) && slice_equal(kv_iterator_key(it).user_key, slice_make(ff3, 3)));
  kv_iterator_prev(it);
  CHECK(kv_iterator_valid(it) && slice_equal(kv_iterator_key(it).user_key, slice_make(ff1, 1)));
  CHECK(kv_iterator_value(it).len == 0);
  kv_iterator_destroy(it);
  int found;
  slice value;
  memtable_get(mt, slice_empty(), SEQNO_READ_ALL, &found, NULL, &value);
  CHECK(found && slice_equal(value, slice_from_cstr("empty")));
  memtable_get(mt, slice_make(ff3, 2), SEQNO_READ_ALL, &found, NULL, NULL);
  CHECK(!found);
  memtable_unref(mt);
}

/* --- iteration ---------------------------------------------------------------------------------- */

static void reverse_iteration_visits_every_entry_backwards(void) {
  memtable *mt;
  CHECK_OK(memtable_new(&mt));
  CHECK_OK(fill_abc(mt));
  kv_iterator *it;
  CHECK_OK(memtable_iterator_new(mt, NULL, &it));
  const char *keys[] = {"c", "c", "b", "a", "a", "a"};
  uint64_t seqnos[] = {1, 4, 5, 1, 2, 3};
  kv_iterator_seek_last(it);
  for (int i = 0; i < 6; i++, kv_iterator_prev(it)) CHECK(iter_at(it, keys[i], seqnos[i]));
  CHECK(!kv_iterator_valid(it));
  kv_iterator_destroy(it);
  memtable_unref(mt);
}

static void mixed_next_and_prev_step_over_the_same_entries(void) {
  memtable *mt;
  CHECK_OK(memtable_new(&mt));
  CHECK_OK(fill_abc(mt));
  kv_iterator *it;
  CHECK_OK(memtable_iterator_new(mt, NULL, &it));
  kv_iterator_seek_first(it);
  kv_iterator_next(it);
  kv_iterator_next(it);
  CHECK(iter_at(it, "a", 1));
  kv_iterator_prev(it);
  CHECK(iter_at(it, "a", 2));
  kv_iterator_next(it);
  kv_iterator_next(it);
  CHECK(iter_at(it, "b", 5));
  CHECK(slice_equal(kv_iterator_value(it), slice_from_cstr("b5")));
  kv_iterator_prev(it);
  kv_iterator_prev(it);
  kv_iterator_prev(it);
  CHECK(iter_at(it, "a", 3));
  kv_iterator_prev(it);
  CHECK(!kv_iterator_valid(it));
  kv_iterator_seek_last(it);
  kv_iterator_prev(it);
  kv_iterator_next(it);
  CHECK(iter_at(it, "c", 1));
  kv_iterator_next(it);
  CHECK(!kv_iterator_valid(it));
  kv_iterator_destroy(it);
  memtable_unref(mt);
}

static void empty_memtable_iterates_nothing(void) {
  memtable *mt;
  CHECK_OK(memtable_new(&mt));
  kv_iterator *it;
  CHECK_OK(memtable_iterator_new(mt, NULL, &it));
  kv_iterator_seek_first(it);
  CHECK(!kv_iterator_valid(it));
  kv_iterator_seek_last(it);
  CHECK(!kv_iterator_valid(it));
  internal_key t = internal_key_make(slice_from_cstr("x"), 5, VALUE_TYPE_VALUE);
  kv_iterator_seek(it, &t);
  CHECK(!kv_iterator_valid(it));
  kv_iterator_seek_for_prev(it, &t);
  CHECK(!kv_iterator_valid(it));
  kv_iterator_destroy(it);
  int found;
  memtable_get(mt, slice_from_cstr("x"), SEQNO_READ_ALL, &found, NULL, NULL);
  CHECK(!found);
  CHECK(memtable_is_empty(mt));
  memtable_unref(mt);
}

static void seek_lands_on_the_first_entry_at_or_after_the_target(void) {
  memtable *mt;
  CHECK_OK(memtable_new(&mt));
  CHECK_OK(fill_abc(mt));
  kv_iterator *it;
  CHECK_OK(memtable_iterator_new(mt, NULL, &it));
  internal_key t;
  t = internal_key_make(slice_empty(), SEQNO_MAX, VALUE_TYPE_MAX); /* before the first */
  kv_iterator_seek(it, &t);
  CHECK(iter_at(it, "a", 3));
  t = internal_key_make(slice_from_cstr("d"), SEQNO_MAX, VALUE_TYPE_MAX); /* after the last */
  kv_iterator_seek(it, &t);
  CHECK(!kv_iterator_valid(it));
  t = internal_key_make(slice_from_cstr("c"), 0, VALUE_TYPE_VALUE); /* after c@1, the last */
  kv_iterator_seek(it, &t);
  CHECK(!kv_iterator_valid(it));
  t = internal_key_make(slice_from_cstr("ab"), 9, VALUE_TYPE_VALUE); /* between keys */
  kv_iterator_seek(it, &t);
  CHECK(iter_at(it, "b", 5));
  t = internal_key_make(slice_from_cstr("a"), 2, VALUE_TYPE_VALUE); /* exact */
  kv_iterator_seek(it, &t);
  CHECK(iter_at(it, "a", 2));
  t = internal_key_make(slice_from_cstr("a"), 2, VALUE_TYPE_MAX); /* same seqno, larger type */
  kv_iterator_seek(it, &t);
  CHECK(iter_at(it, "a", 2));
  t = internal_key_make(slice_from_cstr("a"), 9, VALUE_TYPE_VALUE); /* newer than all of a */
  kv_iterator_seek(it, &t);
  CHECK(iter_at(it, "a", 3));
  t = internal_key_make(slice_from_cstr("a"), 0, VALUE_TYPE_VALUE); /* older than all of a */
  kv_iterator_seek(it, &t);
  CHECK(iter_at(it, "b", 5));
  t = internal_key_seek_target(slice_from_cstr("c"), 4); /* what a read at snapshot 4 seeks */
  kv_iterator_seek(it, &t);
  CHECK(iter_at(it, "c", 1));
  kv_iterator_destroy(it);
  memtable_unref(mt);
}

static void seek_for_prev_lands_on_the_last_entry_at_or_before_the_target(void) {
  memtable *mt;
  CHECK_OK(memtable_new(&mt));
  CHECK_OK(fill_abc(mt));
  kv_iterator *it;
  CHECK_OK(memtable_iterator_new(mt, NULL, &it));
  internal_key t;
  t = internal_key_make(slice_from_cstr("a"), 4, VALUE_TYPE_VALUE); /* before the first */
  kv_iterator_seek_for_prev(it, &t);
  CHECK(!kv_iterator_valid(it));
  t = internal_key_make(slice_empty(), 0, VALUE_TYPE_VALUE);
  kv_iterator_seek_for_prev(it, &t);
  CHECK(!kv_iterator_valid(it));
  t = internal_key_make(slice_from_cstr("zz"), 0, VALUE_TYPE_VALUE); /* after the last */
  kv_iterator_seek_for_prev(it, &t);
  CHECK(iter_at(it, "c", 1));
  t = internal_key_make(slice_from_cstr("bb"), 0, VALUE_TYPE_VALUE); /* between keys */
  kv_iterator_seek_for_prev(it, &t);
  CHECK(iter_at(it, "b", 5));
  t = internal_key_make(slice_from_cstr("a"), 2, VALUE_TYPE_VALUE); /* exact */
  kv_iterator_seek_for_prev(it, &t);
  CHECK(iter_at(it, "a", 2));
  t = internal_key_make(slice_from_cstr("a"), 2, VALUE_TYPE_MAX); /* sorts just before a@2 */
  kv_iterator_seek_for_prev(it, &t);
  CHECK(iter_at(it, "a", 3));
  t = internal_key_make(slice_from_cstr("c"), 2, VALUE_TYPE_VALUE); /* between versions */
  kv_iterator_seek_for_prev(it, &t);
  CHECK(iter_at(it, "c", 4));
  kv_iterator_prev(it);
  CHECK(iter_at(it, "b", 5));
  kv_iterator_destroy(it);
  memtable_unref(mt);
}

/* --- a randomized comparison with a sorted array -------------------------------------------------- */

typedef struct model_entry {
  uint8_t key[4];
  size_t key_len;
  uint64_t seqno;
  value_type type;
  uint8_t value[12];
  size_t value_len;
} model_entry;

static internal_key model_key(const model_entry *e) {
  return internal_key_make(slice_make(e->key, e->key_len), e->seqno, e->type);
}

static int model_compare(const void *a, const void *b) {
  internal_key ka = model_key(a), kb = model_key(b);
  return internal_key_compare(&ka, &kb);
}

static int matches_model(const kv_iterator *it, const model_entry *e) {
  if (!kv_iterator_valid(it)) return 0;
  internal_key k = kv_iterator_key(it), m = model_key(e);
  return internal_key_compare(&k, &m) == 0 && k.type == e->type &&
         slice_equal(kv_iterator_value(it), slice_make(e->value, e->value_len));
}

/* Short keys over a three-letter alphabet (empty and 0xff included) collide often, which is
 * what exercises many versions per key. */
static void random_model_entry(harness_rng *rng, model_entry *e) {
  static const uint8_t alphabet[] = {0x00, 'a', 0xff};
  e->key_len = harness_rng_next(rng) % 4;
  for (size_t i = 0; i < e->key_len; i++) e->key[i] = alphabet[harness_rng_next(rng) % 3];
  e->seqno = harness_rng_next(rng) % 3000;
  uint64_t t = harness_rng_next(rng) % 10;
  e->type = t < 7 ? VALUE_TYPE_VALUE : t < 9 ? VALUE_TYPE_TOMBSTONE : VALUE_TYPE_WEAK_TOMBSTONE;
  e->value_len = harness_rng_next(rng) % sizeof e->value;
  for (size_t i = 0; i < e->value_len; i++) e->value[i] = (uint8_t)harness_rng_next(rng);
}

static void randomized_operations_agree_with_a_sorted_array(void) {
  enum { OPS = 4000 };
  model_entry *model = malloc(OPS * sizeof *model);
  CHECK(model != NULL);
  size_t n = 0;
  memtable *mt;
  CHECK_OK(memtable_new(&mt));
  kv_iterator *it;
  CHECK_OK(memtable_iterator_new(mt, NULL, &it));
  harness_rng rng = {0x5eed1234};
  uint64_t rejected = 0;
  for (int op = 1; op <= OPS; op++) {
    model_entry e;
    random_model_entry(&rng, &e);
    int duplicate = 0;
    for (size_t i = 0; i < n; i++) {
      if (model[i].seqno == e.seqno && model[i].key_len == e.key_len &&
          memcmp(model[i].key, e.key, e.key_len) == 0) duplicate = 1;
    }
    strata_status *st = memtable_insert(mt, slice_make(e.key, e.key_len), e.seqno, e.type,
                                        slice_make(e.value, e.value_len));
    if (duplicate) {
      CHECK_CODE(st, STRATA_EXISTS);
      rejected++;
    } else {
      CHECK_OK(st);
      model[n++] = e;
    }
    if (op % 500 != 0) continue;

    qsort(model, n, sizeof *model, model_compare);
    CHECK_EQ_U64(memtable_entry_count(mt), n);
    kv_iterator_seek_first(it);
    for (size_t i = 0; i < n; i++, kv_iterator_next(it)) CHECK(matches_model(it, &model[i]));
    CHECK(!kv_iterator_valid(it));
    kv_iterator_seek_last(it);
    for (size_t i = n; i-- > 0; kv_iterator_prev(it)) CHECK(matches_model(it, &model[i]));
    CHECK(!kv_iterator_valid(it));

    for (int q = 0; q < 300; q++) {
      model_entry probe;
      random_model_entry(&rng, &probe);
      uint64_t snapshot = harness_rng_next(&rng) % 3100;
      if (q % 10 == 0) snapshot = SEQNO_READ_ALL;
      /* get: the first model entry of the key with seqno < snapshot (newest first) */
      const model_entry *want = NULL;
      for (size_t i = 0; i < n && !want; i++) {
        if (model[i].key_len == probe.key_len && !memcmp(model[i].key, probe.key, probe.key_len) &&
            model[i].seqno < snapshot) want = &model[i];
      }
      int found;
      value_type type;
      slice value;
      memtable_get(mt, slice_make(probe.key, probe.key_len), snapshot, &found, &type, &value);
      CHECK(found == (want != NULL));
      if (want) CHECK(type == want->type && slice_equal(value, slice_make(want->value, want->value_len)));

      /* seek: lower bound; seek_for_prev: last <= target */
      internal_key target = model_key(&probe);
      size_t lb = 0;
      while (lb < n) {
        internal_key k = model_key(&model[lb]);
        if (internal_key_compare(&k, &target) >= 0) break;
        lb++;
      }
      kv_iterator_seek(it, &target);
      if (lb == n) CHECK(!kv_iterator_valid(it));
      else CHECK(matches_model(it, &model[lb]));
      size_t le = lb;
      if (lb < n) {
        internal_key k = model_key(&model[lb]);
        if (internal_key_compare(&k, &target) == 0) le = lb + 1;
      }
      kv_iterator_seek_for_prev(it, &target);
      if (le == 0) CHECK(!kv_iterator_valid(it));
      else CHECK(matches_model(it, &model[le - 1]));
    }
  }
  CHECK(rejected > 0 && n > 3000); /* both paths were taken */
  kv_iterator_destroy(it);
  memtable_unref(mt);
  free(model);
}

/* The skiplist skips the search for an insert right after the previous one. Ascending runs
 * (inside gaps of earlier random inserts, at the end, and versions of one key newest first)
 * mixed with random inserts must leave every level sorted: every key is found by get, seek and
 * seek_for_prev (which walk the upper levels) and a scan sees exactly the sorted model. */
static void ascending_runs_between_random_inserts_stay_sorted_on_every_level(void) {
  enum { KEYS = 6000 };
  typedef struct { char key[24]; uint64_t seqno; } ent;
  ent *model = malloc(KEYS * sizeof *model);
  CHECK(model != NULL);
  size_t n = 0;
  memtable *mt;
  CHECK_OK(memtable_new(&mt));
  harness_rng rng = {0xa5c3};
  uint64_t dup_rejected = 0;
  while (n < KEYS) {
    ent e;
    uint64_t shape = harness_rng_next(&rng) % 4;
    int run = 1 + (int)(harness_rng_next(&rng) % 40);
    uint32_t base = (uint32_t)(harness_rng_next(&rng) % 100000);
    for (int j = 0; j < run && n < KEYS; j++) {
      if (shape == 0) { /* a random key */
        snprintf(e.key, sizeof e.key, "k%08u", (unsigned)(harness_rng_next(&rng) % 100000));
        e.seqno = 1000 + n;
      } else if (shape == 1) { /* ascending inside the gap after k<base> */
        snprintf(e.key, sizeof e.key, "k%08u-%03d", (unsigned)base, j);
        e.seqno = 1000 + n;
      } else if (shape == 2) { /* ascending past every key so far */
        snprintf(e.key, sizeof e.key, "z%08u", (unsigned)n);
        e.seqno = 1000 + n;
      } else { /* versions of one key, newest first: ascending in internal order */
        snprintf(e.key, sizeof e.key, "v%08u", (unsigned)base);
        e.seqno = 900 - (uint64_t)j;
      }
      int duplicate = 0;
      for (size_t i = 0; i < n && !duplicate; i++)
        duplicate = model[i].seqno == e.seqno && strcmp(model[i].key, e.key) == 0;
      strata_status *st = put(mt, e.key, e.seqno, VALUE_TYPE_VALUE, e.key);
      if (duplicate) {
        CHECK_CODE(st, STRATA_EXISTS);
        continue;
      }
      CHECK_OK(st);
      model[n++] = e;
      /* the same version again, right after itself: refused on the fast path */
      if (j == 0 && shape != 0) {
        CHECK_CODE(put(mt, e.key, e.seqno, VALUE_TYPE_VALUE, "again"), STRATA_EXISTS);
        dup_rejected++;
      }
    }
  }
  CHECK(dup_rejected > 100);
  CHECK_EQ_U64(memtable_entry_count(mt), n);
  kv_iterator *it;
  CHECK_OK(memtable_iterator_new(mt, NULL, &it));
  for (size_t i = 0; i < n; i++) {
    internal_key t = internal_key_make(slice_from_cstr(model[i].key), model[i].seqno, VALUE_TYPE_VALUE);
    kv_iterator_seek(it, &t);
    CHECK(iter_at(it, model[i].key, model[i].seqno));
    kv_iterator_seek_for_prev(it, &t);
    CHECK(iter_at(it, model[i].key, model[i].seqno));
    int found;
    value_type type;
    slice value;
    memtable_get(mt, slice_from_cstr(model[i].key), model[i].seqno + 1, &found, &type, &value);
    CHECK(found && slice_equal(value, slice_from_cstr(model[i].key)));
  }
  size_t seen = 0;
  internal_key prev = internal_key_make(slice_empty(), 0, VALUE_TYPE_VALUE);
  for (kv_iterator_seek_first(it); kv_iterator_valid(it); kv_iterator_next(it), seen++) {
    internal_key k = kv_iterator_key(it);
    if (seen) CHECK(internal_key_compare(&prev, &k) < 0);
    prev = k;
  }
  CHECK_EQ_U64(seen, n);
  kv_iterator_destroy(it);
  memtable_unref(mt);
  free(model);
}

/* --- lifetime and counters ---------------------------------------------------------------------- */

static void iterator_keeps_the_memtable_alive_after_the_owner_unrefs(void) {
  memtable *mt;
  CHECK_OK(memtable_new(&mt));
  CHECK_OK(fill_abc(mt));
  kv_iterator *it;
  CHECK_OK(memtable_iterator_new(mt, NULL, &it));
  memtable_unref(mt); /* the owner lets go; ASan would flag any use after free below */
  int n = 0;
  for (kv_iterator_seek_first(it); kv_iterator_valid(it); kv_iterator_next(it)) {
    CHECK(kv_iterator_value(it).len <= 2);
    n++;
  }
  CHECK(n == 6);
  kv_iterator_seek_last(it);
  CHECK(iter_at(it, "c", 1));
  kv_iterator_destroy(it); /* frees the memtable (leak-checked under ASan) */
}

static void approximate_size_grows_with_every_insert(void) {
  memtable *mt;
  CHECK_OK(memtable_new(&mt));
  CHECK_EQ_U64(memtable_approximate_size(mt), 0);
  uint64_t last = 0;
  char key[32];
  for (int i = 0; i < 2000; i++) {
    snprintf(key, sizeof key, "key-%06d", i);
    CHECK_OK(put(mt, key, (uint64_t)i, VALUE_TYPE_VALUE, "a value of some length"));
    uint64_t size = memtable_approximate_size(mt);
    CHECK(size >= last + strlen(key) + 22);
    last = size;
  }
  CHECK(memtable_memory_usage(mt) >= memtable_approximate_size(mt));
  /* a big value counts in full */
  size_t big_len = 1 << 20;
  uint8_t *big = malloc(big_len);
  CHECK(big != NULL);
  memset(big, 7, big_len);
  strata_status *st = memtable_insert(mt, slice_from_cstr("big"), 5000, VALUE_TYPE_VALUE, slice_make(big, big_len));
  free(big);
  CHECK_OK(st);
  CHECK(memtable_approximate_size(mt) >= last + big_len);
  int found;
  slice value;
  memtable_get(mt, slice_from_cstr("big"), SEQNO_READ_ALL, &found, NULL, &value);
  CHECK(found && value.len == big_len && value.data[0] == 7 && value.data[big_len - 1] == 7);
  memtable_unref(mt);
}

static void highest_and_lowest_seqno_follow_inserts(void) {
  memtable *mt;
  CHECK_OK(memtable_new(&mt));
  uint64_t s = 12345;
  CHECK(!memtable_highest_seqno(mt, &s) && s == 12345);
  CHECK(!memtable_lowest_seqno(mt, &s));
  CHECK_OK(put(mt, "a", 10, VALUE_TYPE_VALUE, ""));
  CHECK(memtable_highest_seqno(mt, &s) && s == 10);
  CHECK(memtable_lowest_seqno(mt, &s) && s == 10);
  CHECK_OK(put(mt, "b", 4, VALUE_TYPE_TOMBSTONE, ""));
  CHECK_OK(put(mt, "c", 30, VALUE_TYPE_VALUE, ""));
  CHECK_OK(put(mt, "d", 20, VALUE_TYPE_VALUE, ""));
  CHECK(memtable_highest_seqno(mt, &s) && s == 30);
  CHECK(memtable_lowest_seqno(mt, &s) && s == 4);
  CHECK_OK(put(mt, "e", 0, VALUE_TYPE_VALUE, ""));
  CHECK_OK(put(mt, "f", SEQNO_MAX, VALUE_TYPE_VALUE, ""));
  CHECK(memtable_lowest_seqno(mt, &s) && s == 0);
  CHECK(memtable_highest_seqno(mt, &s) && s == SEQNO_MAX);
  memtable_unref(mt);
}

static void invalid_inserts_are_rejected_and_change_nothing(void) {
  memtable *mt;
  CHECK_OK(memtable_new(&mt));
  size_t long_len = USER_KEY_MAX + 1;
  uint8_t *long_key = calloc(1, long_len);
  CHECK(long_key != NULL);
  strata_status *too_long = memtable_insert(mt, slice_make(long_key, long_len), 1, VALUE_TYPE_VALUE, slice_empty());
  strata_status *longest = memtable_insert(mt, slice_make(long_key, USER_KEY_MAX), 1, VALUE_TYPE_VALUE, slice_empty());
  free(long_key);
  CHECK_CODE(too_long, STRATA_INVALID_ARGUMENT);
  CHECK_OK(longest);
  if (sizeof(size_t) > 4) {
    /* a 4 GiB value is rejected before a byte of it is read */
    uint8_t tiny = 0;
    slice huge = {&tiny, (size_t)((uint64_t)MEMTABLE_VALUE_MAX + 1)};
    CHECK_CODE(memtable_insert(mt, slice_from_cstr("k"), 2, VALUE_TYPE_VALUE, huge), STRATA_INVALID_ARGUMENT);
  }
  CHECK_CODE(put(mt, "k", SEQNO_MAX + 1, VALUE_TYPE_VALUE, ""), STRATA_INVALID_ARGUMENT);
  CHECK_CODE(put(mt, "k", 3, (value_type)7, ""), STRATA_INVALID_ARGUMENT);
  /* a second version of a key at the same seqno, whatever its type */
  CHECK_OK(put(mt, "k", 4, VALUE_TYPE_VALUE, "first"));
  CHECK_CODE(put(mt, "k", 4, VALUE_TYPE_VALUE, "second"), STRATA_EXISTS);
  CHECK_CODE(put(mt, "k", 4, VALUE_TYPE_TOMBSTONE, ""), STRATA_EXISTS);
  CHECK_CODE(put(mt, "k", 4, VALUE_TYPE_WEAK_TOMBSTONE, ""), STRATA_EXISTS);
  CHECK_EQ_U64(memtable_entry_count(mt), 2);
  int found;
  slice value;
  memtable_get(mt, slice_from_cstr("k"), SEQNO_READ_ALL, &found, NULL, &value);
  CHECK(found && slice_equal(value, slice_from_cstr("first")));
  uint64_t s;
  CHECK(memtable_highest_seqno(mt, &s) && s == 4);
  memtable_unref(mt);
}

/* --- one writer, many readers ------------------------------------------------------------------- */

enum { RACE_ENTRIES = 40000, RACE_READERS = 3 }; /* ~10 MiB: the writer starts a second run */

typedef struct race {
  memtable *mt;
  atomic_flag_int writer_done;
  atomic_u64 violations;
  atomic_u64 scans;
} race;

static void race_key(uint64_t i, char *out) {
  snprintf(out, 16, "k%08llu", (unsigned long long)((i * 7919) % RACE_ENTRIES));
}

/* The value is a function of key and seqno, so a reader can tell a complete entry. */
static void race_value(slice key, uint64_t seqno, uint8_t *out, size_t *len) {
  uint8_t h = (uint8_t)seqno;
  for (size_t i = 0; i < key.len; i++) h = (uint8_t)(h * 31 + key.data[i]);
  *len = 1 + (size_t)(seqno % 400);
  for (size_t i = 0; i < *len; i++) out[i] = (uint8_t)(h + i);
}

static int race_entry_is_complete(internal_key k, slice value) {
  uint8_t want[512];
  size_t len;
  race_value(k.user_key, k.seqno, want, &len);
  return k.user_key.len == 9 && value.len == len && memcmp(value.data, want, len) == 0;
}

static void *race_writer(void *arg) {
  race *r = arg;
  for (uint64_t i = 0; i < RACE_ENTRIES; i++) {
    char key[16];
    race_key(i, key);
    uint8_t value[512];
    size_t len;
    race_value(slice_from_cstr(key), i + 1, value, &len);
    /* reserved first, as the database does: where a new run may start under the readers */
    strata_status *st = memtable_reserve(r->mt, memtable_entry_bound(strlen(key), len));
    if (!st) st = memtable_insert(r->mt, slice_from_cstr(key), i + 1, VALUE_TYPE_VALUE, slice_make(value, len));
    if (st) {
      strata_status_free(st);
      atomic_u64_fetch_add(&r->violations, 1);
    }
  }
  atomic_flag_set(&r->writer_done, 1);
  return NULL;
}

static void *race_reader(void *arg) {
  race *r = arg;
  kv_iterator *it;
  strata_status *st = memtable_iterator_new(r->mt, NULL, &it);
  if (st) {
    strata_status_free(st);
    atomic_u64_fetch_add(&r->violations, 1);
    return NULL;
  }
  harness_rng rng = {(uint64_t)(uintptr_t)arg ^ 0x1234567};
  int last_round = 0;
  while (!last_round) {
    last_round = atomic_flag_get(&r->writer_done); /* one full pass after the writer finished */
    uint64_t violations = 0, seen = 0;
    internal_key prev_key = {{NULL, 0}, 0, VALUE_TYPE_VALUE};
    int backwards = harness_rng_next(&rng) % 2 == 0;
    if (backwards) kv_iterator_seek_last(it); else kv_iterator_seek_first(it);
    for (; kv_iterator_valid(it); backwards ? kv_iterator_prev(it) : kv_iterator_next(it)) {
      internal_key k = kv_iterator_key(it);
      if (!race_entry_is_complete(k, kv_iterator_value(it))) violations++;
      if (seen && (backwards ? internal_key_compare(&k, &prev_key) >= 0 : internal_key_compare(&k, &prev_key) <= 0)) violations++;
      prev_key = k;
      seen++;
    }
    for (int g = 0; g < 200; g++) {
      char key[16];
      race_key(harness_rng_next(&rng) % RACE_ENTRIES, key);
      int found;
      value_type type;
      slice value;
      memtable_get(r->mt, slice_from_cstr(key), SEQNO_READ_ALL, &found, &type, &value);
      if (!found) continue; /* not written yet */
      /* Every key is written once, so a seek finds the same entry; its seqno says which bytes
       * the value must hold. */
      internal_key t = internal_key_seek_target(slice_from_cstr(key), SEQNO_READ_ALL);
      kv_iterator_seek(it, &t);
      if (!kv_iterator_valid(it) || !race_entry_is_complete(kv_iterator_key(it), kv_iterator_value(it))) {
        violations++;
        continue;
      }
      uint8_t want[512];
      size_t len;
      race_value(slice_from_cstr(key), kv_iterator_key(it).seqno, want, &len);
      if (type != VALUE_TYPE_VALUE || value.len != len || memcmp(value.data, want, len) != 0) violations++;
    }
    if (last_round && seen != RACE_ENTRIES) violations++;
    atomic_u64_fetch_add(&r->violations, violations);
    atomic_u64_fetch_add(&r->scans, 1);
  }
  kv_iterator_destroy(it);
  return NULL;
}

static void one_writer_and_many_readers_see_sorted_complete_entries(void) {
  race r;
  CHECK_OK(memtable_new(&r.mt));
  atomic_flag_set(&r.writer_done, 0);
  atomic_u64_init(&r.violations, 0);
  atomic_u64_init(&r.scans, 0);
  sync_thread readers[RACE_READERS], writer;
  for (int i = 0; i < RACE_READERS; i++) CHECK_OK(sync_thread_start(&readers[i], race_reader, &r));
  CHECK_OK(sync_thread_start(&writer, race_writer, &r));
  sync_thread_join(&writer);
  for (int i = 0; i < RACE_READERS; i++) sync_thread_join(&readers[i]);
  CHECK_EQ_U64(atomic_u64_load(&r.violations), 0);
  CHECK(atomic_u64_load(&r.scans) >= RACE_READERS);
  CHECK_EQ_U64(memtable_entry_count(r.mt), RACE_ENTRIES);
  CHECK(memtable_approximate_size(r.mt) > ((uint64_t)8 << 20)); /* more than one run was raced */
  memtable_unref(r.mt);
}

/* --- runs: a big memtable is several skiplists (memtable.c) ------------------------------------ */

#define RUNS_KEYS 24000
#define RUNS_ROUNDS 3
#define RUNS_VALUE 300

/* Round r writes every key once, in a scrambled order, at seqnos r*K+1 .. r*K+K; 3 x 24,000
 * entries of ~350 bytes fill ~25 MiB: three runs or more. Value = "<key>@<seqno>" padded. */
static void runs_key(uint32_t i, char *out) { snprintf(out, 16, "k%06u", (unsigned)i); }

static strata_status *runs_fill(memtable *mt) {
  char key[16], value[RUNS_VALUE];
  for (uint32_t r = 0; r < RUNS_ROUNDS; r++)
    for (uint32_t j = 0; j < RUNS_KEYS; j++) {
      uint32_t i = (uint32_t)((uint64_t)j * 7919u % RUNS_KEYS); /* 7919 is prime: a permutation */
      uint64_t seqno = (uint64_t)r * RUNS_KEYS + j + 1;
      runs_key(i, key);
      memset(value, '.', sizeof value);
      snprintf(value, sizeof value, "%s@%llu", key, (unsigned long long)seqno);
      /* as the database does before each batch: the place a new run may start */
      STATUS_TRY(memtable_reserve(mt, memtable_entry_bound(strlen(key), sizeof value)));
      STATUS_TRY(memtable_insert(mt, slice_from_cstr(key), seqno, VALUE_TYPE_VALUE, slice_make(value, sizeof value)));
    }
  return NULL;
}

/* Entry e of the sorted order: key e / ROUNDS, newest round first. */
static void runs_expect(const uint64_t *seq_of, uint32_t e, char *key, uint64_t *seqno) {
  uint32_t i = e / RUNS_ROUNDS, r = RUNS_ROUNDS - 1 - e % RUNS_ROUNDS;
  runs_key(i, key);
  *seqno = seq_of[i] + (uint64_t)r * RUNS_KEYS;
}

static int runs_at(const kv_iterator *it, const uint64_t *seq_of, uint32_t e) {
  char key[16];
  uint64_t seqno;
  runs_expect(seq_of, e, key, &seqno);
  if (!iter_at(it, key, seqno)) return 0;
  slice v = kv_iterator_value(it);
  char want[40];
  snprintf(want, sizeof want, "%s@%llu", key, (unsigned long long)seqno);
  return v.len == RUNS_VALUE && !memcmp(v.data, want, strlen(want));
}

/* Iteration, seeks, direction changes and snapshot gets over a memtable of several runs agree
 * with the one sorted order of all its entries. */
static void entries_spread_over_runs_read_as_one_sorted_list(void) {
  uint64_t *seq_of = malloc(RUNS_KEYS * sizeof *seq_of); /* round 0's seqno of each key */
  CHECK(seq_of != NULL);
  for (uint32_t j = 0; j < RUNS_KEYS; j++) seq_of[(uint64_t)j * 7919u % RUNS_KEYS] = (uint64_t)j + 1;
  memtable *mt;
  CHECK_OK(memtable_new(&mt));
  strata_status *st = runs_fill(mt);
  if (st) {
    free(seq_of);
    memtable_unref(mt);
    CHECK_OK(st);
  }
  const uint32_t total = RUNS_KEYS * RUNS_ROUNDS;
  CHECK_EQ_U64(memtable_entry_count(mt), total);
  CHECK(memtable_approximate_size(mt) > ((uint64_t)16 << 20)); /* entries for three runs */
  kv_iterator *it;
  CHECK_OK(memtable_iterator_new(mt, NULL, &it));
  uint32_t e = 0, bad = 0;
  for (kv_iterator_seek_first(it); kv_iterator_valid(it); kv_iterator_next(it), e++) bad += !runs_at(it, seq_of, e);
  if (bad || e != total) harness_fail(__FILE__, __LINE__, "forward: %u entries, %u out of place", e, bad);
  e = total;
  for (kv_iterator_seek_last(it); kv_iterator_valid(it); kv_iterator_prev(it)) bad += !runs_at(it, seq_of, --e);
  if (bad || e != 0) harness_fail(__FILE__, __LINE__, "backward: ended at %u, %u out of place", e, bad);
  /* seeks to a key's middle version, then steps both ways (direction changes re-seek the runs) */
  for (uint32_t probe = 0; probe < 300 && !bad; probe++) {
    uint32_t target = (probe * 2654435761u) % total;
    char key[16];
    uint64_t seqno;
    runs_expect(seq_of, target, key, &seqno);
    internal_key t = internal_key_make(slice_from_cstr(key), seqno, VALUE_TYPE_VALUE);
    kv_iterator_seek(it, &t);
    bad += !runs_at(it, seq_of, target);
    if (target + 2 < total) {
      kv_iterator_next(it);
      kv_iterator_next(it);
      bad += !runs_at(it, seq_of, target + 2);
      kv_iterator_prev(it);
      bad += !runs_at(it, seq_of, target + 1);
    }
    kv_iterator_seek_for_prev(it, &t);
    bad += !runs_at(it, seq_of, target);
    if (target >= 1) {
      kv_iterator_prev(it);
      bad += !runs_at(it, seq_of, target - 1);
      kv_iterator_next(it);
      bad += !runs_at(it, seq_of, target);
    }
    /* a get at a snapshot between the rounds finds the round just below it */
    uint32_t i = target / RUNS_ROUNDS;
    int found = 0;
    value_type type;
    slice v;
    memtable_get(mt, slice_from_cstr(key), seq_of[i] + RUNS_KEYS + 1, &found, &type, &v); /* sees rounds 0, 1 */
    char want[40];
    runs_key(i, key);
    snprintf(want, sizeof want, "%s@%llu", key, (unsigned long long)(seq_of[i] + RUNS_KEYS));
    bad += !found || v.len != RUNS_VALUE || memcmp(v.data, want, strlen(want));
    memtable_get(mt, slice_from_cstr(key), seq_of[i], &found, &type, &v); /* before round 0: nothing */
    bad += found;
  }
  if (bad) harness_fail(__FILE__, __LINE__, "%u seeks, steps or gets out of place", bad);
  /* a random walk: runs of steps each way, so the merge replays its tree in both directions
   * and rebuilds it at every turn; it must leave the ends the way it came */
  harness_rng rng = {0x77a1c};
  uint32_t pos = total / 2;
  {
    char key[16];
    uint64_t seqno;
    runs_expect(seq_of, pos, key, &seqno);
    internal_key t = internal_key_make(slice_from_cstr(key), seqno, VALUE_TYPE_VALUE);
    kv_iterator_seek(it, &t);
  }
  for (int leg = 0; leg < 200 && !bad && kv_iterator_valid(it); leg++) {
    int forward = (int)(harness_rng_next(&rng) & 1);
    uint32_t steps = 1 + (uint32_t)(harness_rng_next(&rng) % 60);
    for (uint32_t k = 0; k < steps && !bad; k++) {
      if (forward ? pos + 1 == total : pos == 0) break; /* stay on the list */
      if (forward) {
        kv_iterator_next(it);
        pos++;
      } else {
        kv_iterator_prev(it);
        pos--;
      }
      bad += !runs_at(it, seq_of, pos);
    }
  }
  if (bad) harness_fail(__FILE__, __LINE__, "random walk out of place at entry %u", pos);
  kv_iterator_seek_last(it);
  kv_iterator_next(it);
  CHECK(!kv_iterator_valid(it));
  kv_iterator_seek_first(it);
  kv_iterator_prev(it);
  CHECK(!kv_iterator_valid(it));
  int found = 1;
  memtable_get(mt, slice_from_cstr("k999999"), SEQNO_READ_ALL, &found, NULL, NULL); /* in no run */
  CHECK(!found);
  kv_iterator_destroy(it);
  memtable_unref(mt);
  free(seq_of);
}

int main(void) {
  RUN(arena_allocations_are_aligned_and_counted);
  RUN(arena_big_request_gets_its_own_chunk_and_keeps_the_current_one);
  RUN(arena_reservation_fills_the_current_chunk_before_its_spare);
  RUN(batch_reservations_leave_little_of_the_arena_unused);
  RUN(entries_iterate_by_key_then_newest_version_first);
  RUN(get_sees_only_seqnos_below_the_snapshot);
  RUN(get_skips_a_memtable_with_nothing_below_the_snapshot);
  RUN(get_at_snapshot_zero_sees_nothing_not_even_seqno_zero);
  RUN(get_reports_tombstones_and_weak_tombstones_as_such);
  RUN(empty_key_sorts_first_and_ff_keys_last);
  RUN(reverse_iteration_visits_every_entry_backwards);
  RUN(mixed_next_and_prev_step_over_the_same_entries);
  RUN(empty_memtable_iterates_nothing);
  RUN(seek_lands_on_the_first_entry_at_or_after_the_target);
  RUN(seek_for_prev_lands_on_the_last_entry_at_or_before_the_target);
  RUN(randomized_operations_agree_with_a_sorted_array);
  RUN(ascending_runs_between_random_inserts_stay_sorted_on_every_level);
  RUN(iterator_keeps_the_memtable_alive_after_the_owner_unrefs);
  RUN(approximate_size_grows_with_every_insert);
  RUN(highest_and_lowest_seqno_follow_inserts);
  RUN(invalid_inserts_are_rejected_and_change_nothing);
  RUN(entries_spread_over_runs_read_as_one_sorted_list);
  /* needs threads: single-threaded builds have no second thread to race with */
  if (sync_threads_available()) RUN(one_writer_and_many_readers_see_sorted_complete_entries);
  return harness_finish();
}
