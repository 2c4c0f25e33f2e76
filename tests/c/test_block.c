/* table blocks: the block envelope, data/index block encoding, restarts, hash index, seeks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "table/block_header.h"
#include "table/block_reader.h"
#include "table/block_writer.h"
#include "util/checksum.h"

typedef struct bentry {
  char key[24];
  uint64_t seqno;
  char value[24];
} bentry;

/* keys "k0000".."kNNNN", each with `versions` seqnos descending */
static size_t make_entries(bentry *e, size_t keys, size_t versions) {
  size_t n = 0;
  for (size_t k = 0; k < keys; k++)
    for (size_t v = 0; v < versions; v++, n++) {
      snprintf(e[n].key, sizeof e[n].key, "k%04u", (unsigned)(k * 2 % 100000));
      e[n].seqno = 100 - v * 3;
      snprintf(e[n].value, sizeof e[n].value, "v%u.%u", (unsigned)(k % 100000), (unsigned)(v % 1000));
    }
  return n;
}

static internal_key bkey(const bentry *e) {
  return internal_key_make(slice_from_cstr(e->key), e->seqno, VALUE_TYPE_VALUE);
}

/* Finishes bw's block and opens a copy of it as `name` (the block owns the copy); frees bw. */
static strata_status *finish_and_open(block_writer *bw, const char *name, block **out) {
  slice raw;
  strata_status *st = block_writer_finish(bw, &raw);
  if (!st) {
    uint8_t *copy = malloc(raw.len);
    if (!copy) st = status_no_memory();
    else {
      memcpy(copy, raw.data, raw.len);
      st = block_open(copy, raw.len, name, out);
    }
  }
  block_writer_free(bw);
  return st;
}

static strata_status *build(const bentry *e, size_t n, unsigned interval, int hash, block **out) {
  block_writer bw;
  block_writer_init(&bw, interval, hash);
  strata_status *st = NULL;
  for (size_t i = 0; i < n && !st; i++) {
    internal_key k = bkey(&e[i]);
    st = block_writer_add(&bw, &k, slice_from_cstr(e[i].value), checksum64(e[i].key, strlen(e[i].key)));
  }
  if (st) {
    block_writer_free(&bw);
    return st;
  }
  return finish_and_open(&bw, "test block", out);
}

static int same(const kv_iterator *it, const bentry *e) {
  internal_key k = kv_iterator_key(it);
  return slice_equal(k.user_key, slice_from_cstr(e->key)) && k.seqno == e->seqno &&
         slice_equal(kv_iterator_value(it), slice_from_cstr(e->value));
}

static void block_iterates_forward_and_backward_at_every_restart_interval(void) {
  static bentry e[600];
  size_t n = make_entries(e, 200, 3);
  unsigned intervals[] = {1, 2, 7, 16, 1000};
  for (size_t t = 0; t < sizeof intervals / sizeof intervals[0]; t++) {
    block *b = NULL;
    CHECK_OK(build(e, n, intervals[t], 1, &b));
    CHECK_EQ_U64(b->item_count, n);
    kv_iterator *it;
    block_owner none = {NULL, NULL, NULL};
    CHECK_OK(block_iterator_new(b, none, NULL, &it));
    size_t i = 0;
    for (kv_iterator_seek_first(it); kv_iterator_valid(it); kv_iterator_next(it), i++) CHECK(same(it, &e[i]));
    CHECK_EQ_U64(i, n);
    for (kv_iterator_seek_last(it); kv_iterator_valid(it); kv_iterator_prev(it)) CHECK(same(it, &e[--i]));
    CHECK_EQ_U64(i, 0);
    CHECK(kv_iterator_status(it) == NULL);
    kv_iterator_destroy(it);
    block_free(b);
  }
}

static void block_mixed_next_and_prev_stay_in_step(void) {
  static bentry e[300];
  size_t n = make_entries(e, 100, 3);
  block *b = NULL;
  CHECK_OK(build(e, n, 16, 0, &b));
  kv_iterator *it;
  block_owner none = {NULL, NULL, NULL};
  CHECK_OK(block_iterator_new(b, none, NULL, &it));
  harness_rng rng = {42};
  kv_iterator_seek_first(it);
  size_t pos = 0;
  for (int step = 0; step < 2000; step++) {
    int fwd = harness_rng_next(&rng) & 1;
    if (fwd && pos + 1 < n) {
      kv_iterator_next(it);
      pos++;
    } else if (!fwd && pos > 0) {
      kv_iterator_prev(it);
      pos--;
    }
    CHECK(kv_iterator_valid(it));
    CHECK(same(it, &e[pos]));
  }
  kv_iterator_destroy(it);
  block_free(b);
}

static void block_seek_and_seek_for_prev_find_neighbours(void) {
  static bentry e[400];
  size_t n = make_entries(e, 100, 4);
  block *b = NULL;
  CHECK_OK(build(e, n, 16, 0, &b));
  kv_iterator *it;
  block_owner none = {NULL, NULL, NULL};
  CHECK_OK(block_iterator_new(b, none, NULL, &it));
  for (int k = -1; k <= 200; k++) {
    char key[24];
    snprintf(key, sizeof key, "k%04d", k < 0 ? 0 : k);
    for (uint64_t seq = 80; seq <= 102; seq += 11) {
      internal_key t = internal_key_make(k < 0 ? slice_from_cstr("a") : slice_from_cstr(key), seq, VALUE_TYPE_VALUE);
      size_t lo = 0;
      while (lo < n) {
        internal_key ek = bkey(&e[lo]);
        if (internal_key_compare(&ek, &t) >= 0) break;
        lo++;
      }
      kv_iterator_seek(it, &t);
      if (lo == n) CHECK(!kv_iterator_valid(it));
      else CHECK(kv_iterator_valid(it) && same(it, &e[lo]));
      /* last <= t */
      size_t le = lo;
      if (lo < n) {
        internal_key ek = bkey(&e[lo]);
        if (internal_key_compare(&ek, &t) == 0) le = lo + 1;
      }
      kv_iterator_seek_for_prev(it, &t);
      if (le == 0) CHECK(!kv_iterator_valid(it));
      else CHECK(kv_iterator_valid(it) && same(it, &e[le - 1]));
    }
  }
  kv_iterator_destroy(it);
  block_free(b);
}

/* block_get of key at snap in a and in b: both must agree on whether it is found (*found) and,
 * when it is, on its seqno (*seqno) and value. */
static void gets_agree(const block *a, const block *b, const char *key, uint64_t hash, uint64_t snap, int *found,
                       uint64_t *seqno) {
  *found = 0;
  *seqno = 0;
  int fa = 0, fb = 0;
  internal_key ka, kb;
  slice va, vb;
  CHECK_OK(block_get(a, slice_from_cstr(key), hash, snap, &fa, &ka, &va));
  CHECK_OK(block_get(b, slice_from_cstr(key), hash, snap, &fb, &kb, &vb));
  CHECK_EQ_U64(fa, fb);
  if (fa && fb) CHECK(ka.seqno == kb.seqno && slice_equal(va, vb));
  *found = fa;
  *seqno = fa ? ka.seqno : 0;
}

static void block_point_reads_agree_with_and_without_hash_index(void) {
  static bentry e[500];
  size_t n = make_entries(e, 100, 5);
  block *with = NULL, *without = NULL;
  CHECK_OK(build(e, n, 4, 1, &with));
  CHECK_OK(build(e, n, 4, 0, &without));
  CHECK(with->num_buckets > 0);
  CHECK_EQ_U64(without->num_buckets, 0);
  for (int k = 0; k < 202; k++) {
    char key[24];
    snprintf(key, sizeof key, "k%04d", k);
    uint64_t h = checksum64(key, strlen(key));
    for (uint64_t snap = 0; snap <= 110; snap += 5) {
      uint64_t seqno;
      int f1;
      gets_agree(with, without, key, h, snap, &f1, &seqno);
      /* the model: even keys present, versions 100, 97, 94, 91, 88 */
      int expect = (k % 2 == 0) && k <= 198 && snap > 88;
      CHECK_EQ_U64(f1, expect);
      if (f1) {
        uint64_t want = 0;
        for (uint64_t v = 100; v >= 88; v -= 3)
          if (v < snap) {
            want = v;
            break;
          }
        CHECK_EQ_U64(seqno, want);
      }
    }
  }
  block_free(with);
  block_free(without);
}

/* A block opened the way the cache holds it (block_new_inline, with room for a handle) answers
 * point reads as block_open's does, whether its restart offsets and buckets were copied beside
 * its restart table (a default data block: they fit the table's unused end) or not (interval 1:
 * they do not), whether the table was sized for it or too small, for present and absent keys at
 * every snapshot. */
static void inline_block_reads_like_an_opened_one_with_and_without_the_tail_copy(void) {
  static bentry e[300];
  /* slots: the restart table's size (0: the default; SIZED: block_restart_slots for the block's
   * entries, as a table reader asks; otherwise too small for the restarts, which then get a table
   * of their own) */
  enum { SIZED = -1 };
  static const struct { size_t keys, versions; unsigned interval; int copied, slots, owned; } shapes[] = {
      {12, 2, 16, 1, 0, 0}, {60, 3, 1, 0, 0, 1}, {12, 2, 16, 1, SIZED, 0}, {60, 3, 16, 0, SIZED, 0},
      {60, 3, 4, 0, 2, 1}};
  for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
    size_t n = make_entries(e, shapes[si].keys, shapes[si].versions);
    for (size_t i = 0; i < n; i++) /* values long enough that the data, not the table, is the bulk */
      snprintf(e[i].value, sizeof e[i].value, "value-%04u-xxxxxxxxxx", (unsigned)i);
    block_writer bw;
    block_writer_init(&bw, shapes[si].interval, 1);
    for (size_t i = 0; i < n; i++) {
      internal_key k = bkey(&e[i]);
      CHECK_OK(block_writer_add(&bw, &k, slice_from_cstr(e[i].value), checksum64(e[i].key, strlen(e[i].key))));
    }
    slice raw;
    CHECK_OK(block_writer_finish(&bw, &raw));
    uint8_t *copy = malloc(raw.len);
    CHECK(copy != NULL);
    memcpy(copy, raw.data, raw.len);
    block *opened = NULL, *held = NULL;
    CHECK_OK(block_open(copy, raw.len, "opened", &opened));
    int slots = shapes[si].slots;
    size_t rk_slots = slots == SIZED ? block_restart_slots(n, shapes[si].interval) : (size_t)slots;
    CHECK_OK(block_new_inline(raw.len, rk_slots, "held", "data", 0, 64, &held));
    memcpy(held->data, raw.data, raw.len);
    CHECK_OK(block_finish_inline(held));
    block_writer_free(&bw);
    int in_head = held->restarts < held->data && held->buckets < held->data;
    CHECK_EQ_U64(in_head, shapes[si].copied);
    CHECK_EQ_U64(held->rk_owned, shapes[si].owned); /* a table too small for the restarts is replaced */
    CHECK(held->rk_owned || held->rk_cap >= held->num_restarts);
    CHECK(held->num_buckets > 0);
    for (size_t k = 0; k < 2 * shapes[si].keys + 2; k++) {
      char key[24];
      snprintf(key, sizeof key, "k%04u", (unsigned)k);
      uint64_t h = checksum64(key, strlen(key));
      for (uint64_t snap = 1; snap <= 110; snap += 3) {
        uint64_t seqno;
        int found;
        gets_agree(opened, held, key, h, snap, &found, &seqno);
        CHECK_EQ_U64(found, (k % 2 == 0) && k < 2 * shapes[si].keys && snap > 100 - 3 * (shapes[si].versions - 1));
      }
    }
    block_free(opened);
    block_free(held);
  }
}

/* A cached data block of the benchmark's shape (34 entries of 16-byte keys and 100-byte values,
 * a restart every 16) sized by block_restart_slots holds room for its 3 restarts and their tail,
 * not the default's 12, so it costs the cache less, and iterates and answers as the default does. */
static void sized_restart_table_costs_less_and_reads_the_same(void) {
  block_writer bw;
  block_writer_init(&bw, 16, 1);
  char key[17], value[100];
  enum { ENTRIES = 34 };
  for (unsigned i = 0; i < ENTRIES; i++) {
    snprintf(key, sizeof key, "%016u", 2 * i);
    memset(value, 'a' + (int)(i % 26), sizeof value);
    internal_key k = internal_key_make(slice_from_cstr(key), 100 + i, VALUE_TYPE_VALUE);
    CHECK_OK(block_writer_add(&bw, &k, slice_make(value, sizeof value), checksum64(key, 16)));
  }
  slice raw;
  CHECK_OK(block_writer_finish(&bw, &raw));
  size_t sized_slots = block_restart_slots(ENTRIES, 16);
  block *sized = NULL, *dflt = NULL;
  CHECK_OK(block_new_inline(raw.len, sized_slots, "t", "data", 0, 64, &sized));
  CHECK_OK(block_new_inline(raw.len, 0, "t", "data", 0, 64, &dflt));
  memcpy(sized->data, raw.data, raw.len);
  memcpy(dflt->data, raw.data, raw.len);
  block_writer_free(&bw);
  CHECK_OK(block_finish_inline(sized));
  CHECK_OK(block_finish_inline(dflt));
  CHECK_EQ_U64(sized->num_restarts, 3);
  CHECK(!sized->rk_owned && sized->rk_cap < dflt->rk_cap);
  CHECK(sized->restarts < sized->data && sized->buckets < sized->data); /* the tail still fits */
  CHECK_EQ_U64(block_charge(dflt) - block_charge(sized), (dflt->rk_cap - sized->rk_cap) * sizeof(block_restart));
  block_owner none = {NULL, NULL, NULL};
  kv_iterator *a, *b;
  CHECK_OK(block_iterator_new(sized, none, NULL, &a));
  CHECK_OK(block_iterator_new(dflt, none, NULL, &b));
  for (unsigned i = 0; i <= 2 * ENTRIES; i++) { /* every key and every gap */
    snprintf(key, sizeof key, "%016u", i);
    internal_key t = internal_key_seek_target(slice_from_cstr(key), SEQNO_READ_ALL);
    kv_iterator_seek(a, &t);
    kv_iterator_seek(b, &t);
    CHECK_EQ_U64(kv_iterator_valid(a), kv_iterator_valid(b));
    CHECK_EQ_U64(kv_iterator_valid(a), i < 2 * ENTRIES - 1);
    if (kv_iterator_valid(a)) CHECK(internal_key_compare(&a->key, &b->key) == 0);
    int fa, fb;
    internal_key ka, kb;
    slice va, vb;
    CHECK_OK(block_get(sized, slice_from_cstr(key), checksum64(key, 16), SEQNO_READ_ALL, &fa, &ka, &va));
    CHECK_OK(block_get(dflt, slice_from_cstr(key), checksum64(key, 16), SEQNO_READ_ALL, &fb, &kb, &vb));
    CHECK_EQ_U64(fa, i % 2 == 0 && i < 2 * ENTRIES);
    CHECK_EQ_U64(fa, fb);
    if (fa) CHECK(slice_compare(va, vb) == 0 && va.len == 100 && va.data[0] == 'a' + (int)(i / 2 % 26));
  }
  CHECK(kv_iterator_status(a) == NULL && kv_iterator_status(b) == NULL);
  kv_iterator_destroy(a);
  kv_iterator_destroy(b);
  block_free(sized);
  block_free(dflt);
}

static void empty_block_iterates_nothing(void) {
  block *b = NULL;
  CHECK_OK(build(NULL, 0, 16, 1, &b));
  kv_iterator *it;
  block_owner none = {NULL, NULL, NULL};
  CHECK_OK(block_iterator_new(b, none, NULL, &it));
  kv_iterator_seek_first(it);
  CHECK(!kv_iterator_valid(it));
  kv_iterator_seek_last(it);
  CHECK(!kv_iterator_valid(it));
  internal_key t = internal_key_make(slice_from_cstr("x"), 1, VALUE_TYPE_VALUE);
  kv_iterator_seek_for_prev(it, &t);
  CHECK(!kv_iterator_valid(it));
  CHECK(kv_iterator_status(it) == NULL);
  kv_iterator_destroy(it);
  int found = 1;
  internal_key k;
  slice v;
  CHECK_OK(block_get(b, slice_from_cstr("x"), 1, SEQNO_READ_ALL, &found, &k, &v));
  CHECK(!found);
  block_free(b);
}

static void block_envelope_round_trips_with_and_without_lz4(void) {
  uint8_t raw[5000];
  for (size_t i = 0; i < sizeof raw; i++) raw[i] = (uint8_t)(i % 17);
  compression comps[] = {COMPRESSION_NONE, COMPRESSION_LZ4};
  for (int c = 0; c < 2; c++) {
    buffer scratch, out;
    buffer_init(&scratch);
    buffer_init(&out);
    CHECK_OK(block_frame(BLOCK_TYPE_DATA, comps[c], slice_make(raw, sizeof raw), &scratch, &out));
    if (comps[c] == COMPRESSION_LZ4) CHECK(out.len < sizeof raw);
    else CHECK_EQ_U64(out.len, sizeof raw + BLOCK_HEADER_SIZE);
    block_handle h = {1000, out.len};
    uint8_t *back;
    size_t len;
    CHECK_OK(block_unframe(buffer_slice(&out), h, BLOCK_TYPE_DATA, "f", &back, &len));
    CHECK(len == sizeof raw && memcmp(back, raw, len) == 0);
    free(back);
    CHECK_CODE(block_unframe(buffer_slice(&out), h, BLOCK_TYPE_INDEX, "f", &back, &len), STRATA_CORRUPTION);
    buffer_free(&scratch);
    buffer_free(&out);
  }
}

static void block_envelope_detects_every_flipped_byte(void) {
  uint8_t raw[300];
  for (size_t i = 0; i < sizeof raw; i++) raw[i] = (uint8_t)(i * 7);
  for (int c = 0; c < 2; c++) {
    buffer scratch, out;
    buffer_init(&scratch);
    buffer_init(&out);
    CHECK_OK(block_frame(BLOCK_TYPE_INDEX, c ? COMPRESSION_LZ4 : COMPRESSION_NONE, slice_make(raw, sizeof raw),
                         &scratch, &out));
    block_handle h = {0, out.len};
    for (size_t i = 0; i < out.len; i++) {
      for (int bit = 0; bit < 8; bit += 3) {
        out.data[i] ^= (uint8_t)(1u << bit);
        uint8_t *back = NULL;
        size_t len;
        strata_status *st = block_unframe(buffer_slice(&out), h, BLOCK_TYPE_INDEX, "table 9 (x)", &back, &len);
        out.data[i] ^= (uint8_t)(1u << bit);
        CHECK(st != NULL);
        CHECK(strata_status_code(st) == STRATA_CORRUPTION);
        CHECK(strstr(strata_status_message(st), "table 9 (x)") != NULL);
        strata_status_free(st);
        CHECK(back == NULL);
      }
    }
    /* a truncated block is rejected too */
    block_handle shorter = {0, out.len - 1};
    uint8_t *back;
    size_t len;
    CHECK_CODE(block_unframe(slice_make(out.data, out.len - 1), shorter, BLOCK_TYPE_INDEX, "f", &back, &len),
               STRATA_CORRUPTION);
    buffer_free(&scratch);
    buffer_free(&out);
  }
}

/* Seeks compare entries inside a restart interval in place (restart prefix + delta). Targets that
 * are prefixes of keys, extend keys by 0x00 or 0xff, or fall between versions must land where a
 * linear search over the entries lands, at every restart interval, with and without hash index;
 * so must point reads (interval 1 gives 600 restarts: a block without buckets once read its
 * "no bucket" sentinel, 254, as a restart index there and answered from the wrong interval). */
static void seek_lands_like_a_linear_search_for_prefixes_and_extensions(void) {
  static bentry e[600];
  size_t n = make_entries(e, 150, 4);
  static const unsigned intervals[] = {1, 3, 16, 64};
  for (size_t iv = 0; iv < sizeof intervals / sizeof intervals[0]; iv++) {
    for (int hash = 0; hash <= 1; hash++) {
      block *b = NULL;
      CHECK_OK(build(e, n, intervals[iv], hash, &b));
      kv_iterator *it;
      block_owner none = {NULL, NULL, NULL};
      CHECK_OK(block_iterator_new(b, none, NULL, &it));
      size_t probes = 0;
      for (size_t i = 0; i < n; i += 3) {
        char t[32];
        size_t kl = strlen(e[i].key);
        for (size_t form = 0; form < kl + 3; form++) {
          size_t tl;
          if (form <= kl) { /* every prefix, the empty one included */
            memcpy(t, e[i].key, form);
            tl = form;
          } else { /* the key extended by 0x00 or 0xff */
            memcpy(t, e[i].key, kl);
            t[kl] = form == kl + 1 ? '\0' : '\xff';
            tl = kl + 1;
          }
          uint64_t seq = 90 + (uint64_t)(form % 3) * 6; /* between, at and above the versions */
          internal_key target = internal_key_make(slice_make(t, tl), seq, VALUE_TYPE_VALUE);
          size_t lo = 0;
          while (lo < n) {
            internal_key ek = bkey(&e[lo]);
            if (internal_key_compare(&ek, &target) >= 0) break;
            lo++;
          }
          kv_iterator_seek(it, &target);
          if (lo == n) CHECK(!kv_iterator_valid(it));
          else CHECK(kv_iterator_valid(it) && same(it, &e[lo]));
          /* the point read: the newest version below the snapshot seq + 1 */
          int found;
          internal_key fk;
          slice v;
          CHECK_OK(block_get(b, slice_make(t, tl), checksum64(t, tl), seq + 1, &found, &fk, &v));
          int want = lo < n && slice_equal(slice_from_cstr(e[lo].key), slice_make(t, tl));
          CHECK(found == want);
          if (want) CHECK(fk.seqno == e[lo].seqno && slice_equal(v, slice_from_cstr(e[lo].value)));
          probes++;
        }
      }
      CHECK(probes > 1000);
      CHECK_OK(kv_iterator_status(it));
      kv_iterator_destroy(it);
      block_free(b);
    }
  }
}

/* Searches over restart keys compare 8-byte tags taken after the prefix all restart keys share
 * (block_restart.tag), and whole keys only on a tie. Keys with a long shared prefix whose tails
 * differ within those 8 bytes only by length or by zero bytes, and targets shorter than the
 * prefix, outside it, or extending a key by 0x00 or 0xff, must land where a linear search
 * lands, in index-like blocks (every entry a restart) and data blocks. */
static void restart_tags_order_keys_that_differ_by_zero_bytes_and_length(void) {
  static const char *tails[] = {"", "\0", "\0\0", "\0\x01", "a", "a\0", "a\0b", "ab", "abcdefg", "abcdefg\0",
                                "abcdefgh", "abcdefgh\0", "abcdefgh\0\0", "abcdefghi", "abcdefgi", "b", "\xff",
                                "\xff\xff\xff\xff\xff\xff\xff\xff\xff"};
  static const size_t tail_len[] = {0, 1, 2, 2, 1, 2, 3, 2, 7, 8, 8, 9, 10, 9, 8, 1, 1, 9};
  enum { T = sizeof tails / sizeof tails[0], P = 15 };
  const char *prefix = "user-0000000000";
  uint8_t keys[T][P + 12];
  size_t klen[T];
  for (size_t i = 0; i < T; i++) {
    memcpy(keys[i], prefix, P);
    memcpy(keys[i] + P, tails[i], tail_len[i]);
    klen[i] = P + tail_len[i];
  }
  for (size_t i = 1; i < T; i++) /* the table is in order */
    CHECK(slice_compare(slice_make(keys[i - 1], klen[i - 1]), slice_make(keys[i], klen[i])) < 0);
  static const unsigned intervals[] = {1, 4, 16};
  size_t probes = 0;
  for (size_t iv = 0; iv < 3; iv++) {
    for (int hash = 0; hash <= 1; hash++) {
      block_writer bw;
      block_writer_init(&bw, intervals[iv], hash);
      for (size_t i = 0; i < T; i++) {
        internal_key k = internal_key_make(slice_make(keys[i], klen[i]), 50, VALUE_TYPE_VALUE);
        CHECK_OK(block_writer_add(&bw, &k, slice_make(&keys[i][P], tail_len[i]), checksum64(keys[i], klen[i])));
      }
      block *b = NULL;
      CHECK_OK(finish_and_open(&bw, "tags", &b));
      kv_iterator *it;
      block_owner none = {NULL, NULL, NULL};
      CHECK_OK(block_iterator_new(b, none, NULL, &it));
      for (size_t i = 0; i < T + 2; i++) {
        uint8_t t[P + 16];
        const uint8_t *base = i < T ? keys[i] : (const uint8_t *)(i == T ? "user-00000" : "user-0000000001");
        size_t bl = i < T ? klen[i] : strlen((const char *)base);
        memcpy(t, base, bl);
        for (size_t form = 0; form <= bl + 2; form++) {
          size_t tl = form <= bl ? form : bl + 1; /* every prefix, then the whole + 0x00 / 0xff */
          if (form > bl) t[bl] = form == bl + 1 ? 0x00 : 0xff;
          for (uint64_t seq = 49; seq <= 51; seq++) {
            internal_key target = internal_key_make(slice_make(t, tl), seq, VALUE_TYPE_VALUE);
            size_t lo = 0;
            while (lo < T) {
              internal_key ek = internal_key_make(slice_make(keys[lo], klen[lo]), 50, VALUE_TYPE_VALUE);
              if (internal_key_compare(&ek, &target) >= 0) break;
              lo++;
            }
            kv_iterator_seek(it, &target);
            if (lo == T) CHECK(!kv_iterator_valid(it));
            else CHECK(kv_iterator_valid(it) && slice_equal(kv_iterator_key(it).user_key, slice_make(keys[lo], klen[lo])));
            slice v;
            int found;
            CHECK_OK(block_seek_value(b, &target, &found, &v));
            CHECK(found == (lo < T));
            if (found && lo < T) CHECK(slice_equal(v, slice_make(&keys[lo][P], tail_len[lo])));
            probes++;
          }
        }
      }
      CHECK_OK(kv_iterator_status(it));
      kv_iterator_destroy(it);
      block_free(b);
    }
  }
  CHECK(probes > 1000);
}

/* A restart entry stores its whole key (shared = 0); one claiming a shared prefix is refused
 * when the block is opened, since the searches compare restart keys without decoding them. */
static void restart_entry_with_a_shared_prefix_is_refused_at_open(void) {
  static bentry e[40];
  size_t n = make_entries(e, 20, 2);
  block_writer bw;
  block_writer_init(&bw, 4, 0);
  for (size_t i = 0; i < n; i++) {
    internal_key k = bkey(&e[i]);
    CHECK_OK(block_writer_add(&bw, &k, slice_from_cstr(e[i].value), 0));
  }
  slice raw;
  CHECK_OK(block_writer_finish(&bw, &raw));
  block *ref = NULL;
  uint8_t *copy = malloc(raw.len);
  CHECK(copy);
  memcpy(copy, raw.data, raw.len);
  CHECK_OK(block_open(copy, raw.len, "ref", &ref));
  CHECK(ref->num_restarts > 2);
  uint32_t r2 = (uint32_t)ref->restarts[8] | (uint32_t)ref->restarts[9] << 8 | (uint32_t)ref->restarts[10] << 16 |
                (uint32_t)ref->restarts[11] << 24; /* restart 2, fixed32 little-endian */
  block_free(ref);
  copy = malloc(raw.len);
  CHECK(copy);
  memcpy(copy, raw.data, raw.len);
  CHECK(copy[r2] == 0);
  copy[r2] = 1; /* shared = 1 */
  block *b = NULL;
  strata_status *st = block_open(copy, raw.len, "table 9: block at offset 0", &b);
  CHECK(st != NULL && strata_status_code(st) == STRATA_CORRUPTION);
  CHECK(strstr(strata_status_message(st), "table 9: block at offset 0") != NULL);
  strata_status_free(st);
  CHECK(b == NULL);
  block_writer_free(&bw);
}

static void block_open_rejects_inconsistent_footers(void) {
  static bentry e[40];
  size_t n = make_entries(e, 20, 2);
  block_writer bw;
  block_writer_init(&bw, 4, 1);
  for (size_t i = 0; i < n; i++) {
    internal_key k = bkey(&e[i]);
    CHECK_OK(block_writer_add(&bw, &k, slice_from_cstr(e[i].value), checksum64(e[i].key, strlen(e[i].key))));
  }
  slice raw;
  CHECK_OK(block_writer_finish(&bw, &raw));
  /* Every single-byte change of the trailer part (marker, restarts, buckets, footer) must be
   * rejected at open or surface as corruption/consistent data during a scan; none may crash. */
  block *ref = NULL;
  uint8_t *copy0 = malloc(raw.len);
  CHECK(copy0);
  memcpy(copy0, raw.data, raw.len);
  CHECK_OK(block_open(copy0, raw.len, "ref", &ref));
  size_t tail = raw.len - ref->entries_end;
  size_t rejected = 0, tried = 0;
  for (size_t i = ref->entries_end; i < raw.len; i++) {
    uint8_t *copy = malloc(raw.len);
    CHECK(copy);
    memcpy(copy, raw.data, raw.len);
    copy[i] ^= 0x5a;
    block *b = NULL;
    strata_status *st = block_open(copy, raw.len, "flip", &b);
    tried++;
    if (st) {
      CHECK(strata_status_code(st) == STRATA_CORRUPTION);
      strata_status_free(st);
      rejected++;
      continue;
    }
    /* a flipped hash bucket or restart may pass open: scans must stay in bounds */
    kv_iterator *it;
    block_owner none = {NULL, NULL, NULL};
    CHECK_OK(block_iterator_new(b, none, NULL, &it));
    for (kv_iterator_seek_first(it); kv_iterator_valid(it); kv_iterator_next(it)) (void)kv_iterator_key(it);
    strata_status_free(kv_iterator_status(it));
    kv_iterator_destroy(it);
    block_free(b);
  }
  CHECK_EQ_U64(tried, tail);
  CHECK(rejected > 0);
  block_free(ref);
  /* too short for a footer */
  uint8_t *tiny = malloc(3);
  CHECK(tiny);
  block *b = NULL;
  CHECK_CODE(block_open(tiny, 3, "tiny", &b), STRATA_CORRUPTION);
  block_writer_free(&bw);
}

/* The value of index entry i in the tree test: every fifth one too long for the tree's copy
 * (RESTART_TREE_VALUE_MAX), so both the copied and the decoded answers are checked. */
static int tree_test_value(size_t i, char *out, size_t cap) {
  return i % 5 ? snprintf(out, cap, "%u", (unsigned)i) : snprintf(out, cap, "%u-longer-than-copied", (unsigned)i);
}

/* A table's top-level index is searched through a tree over its restart tags
 * (block_build_search_tree): with keys whose tags tie (tails that differ past the tag's 8 bytes
 * or only by trailing zero bytes, two versions of each key) and targets around each of them,
 * outside the shared prefix and past the end, the tree lands where a linear search lands, for
 * block_seek_value (short values answered from the tree's copy, long ones from the entry) and
 * for an iterator's seek, at tree sizes around a node's edges. */
static void index_search_tree_lands_like_a_linear_search(void) {
  static const char *tails[] = {"", "\0", "a", "a\0", "abcdefgh", "abcdefgh\0", "abcdefghi", "abcdefgi", "\xff"};
  static const size_t tail_len[] = {0, 1, 1, 2, 8, 9, 9, 8, 1};
  enum { T = sizeof tails / sizeof tails[0], G = 40, V = 2, MAXK = G * T * V };
  static uint8_t keys[MAXK][24];
  static size_t klen[MAXK];
  static uint64_t seqs[MAXK];
  static const size_t sizes[] = {RESTART_TREE_MIN, RESTART_TREE_MIN + 1, 72, 73, 81, 82, 649, MAXK};
  size_t probes = 0;
  for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
    size_t n = 0;
    for (size_t g = 0; g < G && n < sizes[si]; g++)
      for (size_t t = 0; t < T && n < sizes[si]; t++)
        for (size_t v = 0; v < V && n < sizes[si]; v++, n++) {
          int pl = snprintf((char *)keys[n], sizeof keys[n], "g%03u", (unsigned)g);
          memcpy(keys[n] + pl, tails[t], tail_len[t]);
          klen[n] = (size_t)pl + tail_len[t];
          seqs[n] = 60 - 10 * v; /* newer first */
        }
    block_writer bw;
    block_writer_init(&bw, 1, 0);
    for (size_t i = 0; i < n; i++) {
      internal_key k = internal_key_make(slice_make(keys[i], klen[i]), seqs[i], VALUE_TYPE_VALUE);
      char val[32];
      int vl = tree_test_value(i, val, sizeof val);
      CHECK_OK(block_writer_add(&bw, &k, slice_make(val, (size_t)vl), 0));
    }
    block *b = NULL;
    CHECK_OK(finish_and_open(&bw, "tree", &b));
    size_t plain = block_charge(b);
    CHECK_OK(block_build_search_tree(b));
    CHECK(b->tree != NULL && b->tree->count == n);
    CHECK(block_charge(b) > plain + n * 24); /* the tree is charged with the block */
    size_t copied = 0;
    for (size_t sl = 0; sl < (size_t)b->tree->nodes * RESTART_TREE_FANOUT; sl++)
      copied += b->tree->slot[sl].pos < n && b->tree->slot[sl].value_len != RESTART_TREE_NO_VALUE;
    CHECK(copied == n - (n + 4) / 5); /* every short value, no long one */
    kv_iterator *it;
    block_owner none = {NULL, NULL, NULL};
    CHECK_OK(block_iterator_new(b, none, NULL, &it));
    for (size_t i = 0; i <= n; i++) {
      uint8_t t[32];
      const uint8_t *base = i < n ? keys[i] : (const uint8_t *)"g999";
      size_t bl = i < n ? klen[i] : 4;
      memcpy(t, base, bl);
      for (size_t form = 0; form <= bl + 2; form++) {
        size_t tl = form <= bl ? form : bl + 1; /* every prefix, then the whole + 0x00 / 0xff */
        if (form > bl) t[bl] = form == bl + 1 ? 0x00 : 0xff;
        for (uint64_t seq = 49; seq <= 61; seq += 6) { /* between, at and above the versions */
          internal_key target = internal_key_make(slice_make(t, tl), seq, VALUE_TYPE_VALUE);
          size_t lo = 0;
          while (lo < n) {
            internal_key ek = internal_key_make(slice_make(keys[lo], klen[lo]), seqs[lo], VALUE_TYPE_VALUE);
            if (internal_key_compare(&ek, &target) >= 0) break;
            lo++;
          }
          slice v;
          int found;
          CHECK_OK(block_seek_value(b, &target, &found, &v));
          CHECK(found == (lo < n));
          if (found && lo < n) {
            char want[32];
            int wl = tree_test_value(lo, want, sizeof want);
            CHECK(slice_equal(v, slice_make(want, (size_t)wl)));
          }
          kv_iterator_seek(it, &target);
          if (lo == n) CHECK(!kv_iterator_valid(it));
          else CHECK(kv_iterator_valid(it) && slice_equal(kv_iterator_key(it).user_key, slice_make(keys[lo], klen[lo])) &&
                     kv_iterator_key(it).seqno == seqs[lo]);
          probes++;
        }
      }
    }
    CHECK_OK(kv_iterator_status(it));
    kv_iterator_destroy(it);
    block_free(b);
  }
  CHECK(probes > 10000);
}

/* Small blocks and data blocks keep the plain search (no tree to build or charge). */
static void search_tree_is_built_only_for_large_index_blocks(void) {
  static bentry e[400];
  size_t n = make_entries(e, 200, 2);
  block *b = NULL;
  CHECK_OK(build(e, RESTART_TREE_MIN - 1, 1, 0, &b));
  CHECK_OK(block_build_search_tree(b));
  CHECK(b->tree == NULL);
  block_free(b);
  CHECK_OK(build(e, n, 16, 1, &b));
  CHECK_OK(block_build_search_tree(b));
  CHECK(b->tree == NULL);
  block_free(b);
}

/* Sorted distinct keys of 1..150 bytes over a 3-letter alphabet (long shared prefixes, keys on
 * both sides of the iterator's 48-byte inline buffer), each with one version. */
#define REBUILT_MAX 400
typedef struct rkey {
  uint8_t k[150];
  size_t len;
} rkey;
static int rkey_cmp(const void *a, const void *b) {
  const rkey *x = a, *y = b;
  int c = memcmp(x->k, y->k, x->len < y->len ? x->len : y->len);
  return c ? c : (x->len > y->len) - (x->len < y->len);
}
static size_t make_rebuilt_keys(rkey *keys, harness_rng *rng) {
  size_t n = 0;
  for (size_t i = 0; i < REBUILT_MAX; i++) {
    rkey *k = &keys[n];
    k->len = 1 + harness_rng_next(rng) % 150;
    size_t same = harness_rng_next(rng) % 4 == 0 ? 0 : 40 + harness_rng_next(rng) % 20; /* a common stem */
    for (size_t j = 0; j < k->len; j++) k->k[j] = j < same ? (uint8_t)'m' : (uint8_t)('a' + harness_rng_next(rng) % 3);
    n++;
  }
  qsort(keys, n, sizeof *keys, rkey_cmp);
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (m == 0 || rkey_cmp(&keys[m - 1], &keys[i]) != 0) keys[m++] = keys[i];
  return m;
}
static int at_rkey(const kv_iterator *it, const rkey *k) {
  return kv_iterator_valid(it) && slice_equal(kv_iterator_key(it).user_key, slice_make(k->k, k->len));
}

/* The block iterator rebuilds each key from its restart key and copies only what changed: the
 * keys must come out whole after any mix of next, prev and seeks, across restarts, between the
 * inline buffer and the long-key one, and after moving to another block. */
static void rebuilt_keys_stay_whole_across_moves_restarts_and_buffers(void) {
  static rkey keys[REBUILT_MAX];
  harness_rng rng = {7};
  size_t n = make_rebuilt_keys(keys, &rng);
  CHECK(n > 300);
  unsigned intervals[] = {1, 3, 16};
  block_owner none = {NULL, NULL, NULL};
  block *blocks[3];
  for (size_t t = 0; t < 3; t++) {
    block_writer bw;
    block_writer_init(&bw, intervals[t], 0);
    for (size_t i = 0; i < n; i++) {
      internal_key k = internal_key_make(slice_make(keys[i].k, keys[i].len), 5, VALUE_TYPE_VALUE);
      CHECK_OK(block_writer_add(&bw, &k, slice_from_cstr("v"), 0));
    }
    CHECK_OK(finish_and_open(&bw, "rebuilt keys", &blocks[t]));
  }
  kv_iterator *it;
  CHECK_OK(block_iterator_new(blocks[0], none, NULL, &it));
  for (size_t t = 0; t < 3; t++) {
    if (t) block_iterator_reset(it, blocks[t], none); /* the same iterator, another block */
    size_t i = 0;
    for (kv_iterator_seek_first(it); kv_iterator_valid(it); kv_iterator_next(it), i++) CHECK(at_rkey(it, &keys[i]));
    CHECK_EQ_U64(i, n);
    for (kv_iterator_seek_last(it); kv_iterator_valid(it); kv_iterator_prev(it)) CHECK(at_rkey(it, &keys[--i]));
    CHECK_EQ_U64(i, 0);
    size_t pos = 0;
    kv_iterator_seek_first(it);
    for (int step = 0; step < 3000; step++) {
      uint64_t r = harness_rng_next(&rng) % 8;
      if (r < 3 && pos + 1 < n) {
        kv_iterator_next(it);
        pos++;
      } else if (r < 6 && pos > 0) {
        kv_iterator_prev(it);
        pos--;
      } else {
        pos = (size_t)(harness_rng_next(&rng) % n);
        internal_key target = internal_key_make(slice_make(keys[pos].k, keys[pos].len), 5, VALUE_TYPE_VALUE);
        kv_iterator_seek(it, &target);
      }
      CHECK(at_rkey(it, &keys[pos]));
    }
    CHECK(kv_iterator_status(it) == NULL);
  }
  kv_iterator_destroy(it);
  for (size_t t = 0; t < 3; t++) block_free(blocks[t]);
}

int main(void) {
  RUN(block_iterates_forward_and_backward_at_every_restart_interval);
  RUN(block_mixed_next_and_prev_stay_in_step);
  RUN(block_seek_and_seek_for_prev_find_neighbours);
  RUN(block_point_reads_agree_with_and_without_hash_index);
  RUN(inline_block_reads_like_an_opened_one_with_and_without_the_tail_copy);
  RUN(sized_restart_table_costs_less_and_reads_the_same);
  RUN(empty_block_iterates_nothing);
  RUN(block_envelope_round_trips_with_and_without_lz4);
  RUN(block_envelope_detects_every_flipped_byte);
  RUN(block_open_rejects_inconsistent_footers);
  RUN(seek_lands_like_a_linear_search_for_prefixes_and_extensions);
  RUN(restart_entry_with_a_shared_prefix_is_refused_at_open);
  RUN(restart_tags_order_keys_that_differ_by_zero_bytes_and_length);
  RUN(index_search_tree_lands_like_a_linear_search);
  RUN(search_tree_is_built_only_for_large_index_blocks);
  RUN(rebuilt_keys_stay_whole_across_moves_restarts_and_buffers);
  return harness_finish();
}
