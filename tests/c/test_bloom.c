/* table/bloom: blocked bloom filters -- no false negatives, measured false-positive rates,
 * untrusted bytes, the per-level policy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "table/bloom.h"
#include "util/buffer.h"
#include "util/coding.h"

#define FP_KEYS 100000

static uint64_t hash_of_key(const char *prefix, unsigned i) {
  char key[32];
  int n = snprintf(key, sizeof key, "%s%08u", prefix, i);
  return bloom_key_hash(slice_make(key, (size_t)n));
}

/* Builds a filter of FP_KEYS keys "key%08u" into out. */
static strata_status *build_filter(bloom_builder *b, buffer *out) {
  for (unsigned i = 0; i < FP_KEYS; i++) STATUS_TRY(bloom_builder_add(b, hash_of_key("key", i)));
  return bloom_builder_finish(b, out);
}

/* Fraction of FP_KEYS absent keys the filter lets through. */
static double measured_fp_rate(slice filter) {
  unsigned passed = 0;
  for (unsigned i = 0; i < FP_KEYS; i++) passed += (unsigned)bloom_may_contain(filter, hash_of_key("absent", i));
  return (double)passed / FP_KEYS;
}

static void optimal_k_follows_bits_per_key(void) {
  CHECK_EQ_U64(bloom_optimal_k(10.0), 7);
  CHECK_EQ_U64(bloom_optimal_k(1.0), 1);
  CHECK_EQ_U64(bloom_optimal_k(0.1), 1);
  CHECK_EQ_U64(bloom_optimal_k(20.0), 14);
  CHECK_EQ_U64(bloom_optimal_k(100.0), BLOOM_MAX_K);
  double bpk = bloom_bits_per_key_for_fp_rate(0.01);
  CHECK(bpk > 9.5 && bpk < 11.0); /* -ln(0.01) / ln^2(2) = 9.585, plus the blocking margin */
  CHECK(bloom_bits_per_key_for_fp_rate(0.001) > bpk);
}

static void added_keys_are_always_found(void) {
  bloom_builder *b = NULL;
  CHECK_OK(bloom_builder_new(10.0, &b));
  buffer f;
  buffer_init(&f);
  strata_status *st = build_filter(b, &f);
  bloom_builder_free(b);
  CHECK_OK(st);
  CHECK_OK(bloom_validate(buffer_slice(&f)));
  bloom_filter opened;
  CHECK_OK(bloom_open(buffer_slice(&f), &opened));
  unsigned missing = 0, opened_missing = 0;
  for (unsigned i = 0; i < FP_KEYS; i++) {
    missing += !bloom_may_contain(buffer_slice(&f), hash_of_key("key", i));
    opened_missing += !bloom_filter_may_contain(&opened, hash_of_key("key", i));
  }
  buffer_free(&f);
  CHECK_EQ_U64(missing, 0);
  CHECK_EQ_U64(opened_missing, 0);
}

static void ten_bits_per_key_stays_within_twice_the_plain_bloom_rate(void) {
  bloom_builder *b = NULL;
  CHECK_OK(bloom_builder_new(10.0, &b));
  buffer f;
  buffer_init(&f);
  strata_status *st = build_filter(b, &f);
  bloom_builder_free(b);
  CHECK_OK(st);
  /* about 10 bits per key: 100k keys -> ~125 KB */
  CHECK(f.len > FP_KEYS * 10 / 8 && f.len < FP_KEYS * 10 / 8 + 2 * BLOOM_BLOCK_BYTES + BLOOM_HEADER_SIZE);
  double fp = measured_fp_rate(buffer_slice(&f));
  buffer_free(&f);
  const double target = 0.00819; /* (1 - e^(-7/10))^7, a plain bloom filter with k = 7 */
  printf("    10 bits/key: measured false-positive rate %.4f%% (plain-bloom target %.4f%%)\n", fp * 100,
         target * 100);
  CHECK(fp <= 2 * target);
  CHECK(fp >= target / 2);
}

static void fp_rate_target_is_met_within_twice(void) {
  const double targets[] = {0.01, 0.001};
  for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++) {
    bloom_builder *b = NULL;
    CHECK_OK(bloom_builder_new_fp_rate(targets[t], &b));
    buffer f;
    buffer_init(&f);
    strata_status *st = build_filter(b, &f);
    bloom_builder_free(b);
    CHECK_OK(st);
    double fp = measured_fp_rate(buffer_slice(&f));
    buffer_free(&f);
    printf("    target %.2f%%: measured false-positive rate %.4f%%\n", targets[t] * 100, fp * 100);
    CHECK(fp <= 2 * targets[t]);
    CHECK(fp >= targets[t] / 2);
  }
}

static void repeated_hashes_of_one_key_count_once(void) {
  bloom_builder *b = NULL;
  CHECK_OK(bloom_builder_new(10.0, &b));
  uint64_t h = hash_of_key("key", 1);
  for (int i = 0; i < 5; i++) CHECK_OK(bloom_builder_add(b, h));
  CHECK_OK(bloom_builder_add(b, hash_of_key("key", 2)));
  CHECK_EQ_U64(bloom_builder_count(b), 2);
  buffer f;
  buffer_init(&f);
  strata_status *st = bloom_builder_finish(b, &f);
  CHECK_EQ_U64(bloom_builder_count(b), 0); /* finish empties the builder for the next table */
  bloom_builder_free(b);
  CHECK_OK(st);
  CHECK(bloom_may_contain(buffer_slice(&f), h));
  CHECK(bloom_may_contain(buffer_slice(&f), hash_of_key("key", 2)));
  buffer_free(&f);
}

static void empty_filter_contains_nothing(void) {
  bloom_builder *b = NULL;
  CHECK_OK(bloom_builder_new(10.0, &b));
  buffer f;
  buffer_init(&f);
  strata_status *st = bloom_builder_finish(b, &f);
  bloom_builder_free(b);
  CHECK_OK(st);
  CHECK_EQ_U64(f.len, BLOOM_HEADER_SIZE);
  CHECK_OK(bloom_validate(buffer_slice(&f)));
  CHECK(!bloom_may_contain(buffer_slice(&f), hash_of_key("key", 0)));
  buffer_free(&f);
}

static void filter_appends_after_existing_bytes(void) {
  bloom_builder *b = NULL;
  CHECK_OK(bloom_builder_new(10.0, &b));
  buffer f;
  buffer_init(&f);
  strata_status *st = buffer_append(&f, "prefix", 6);
  for (unsigned i = 0; !st && i < 1000; i++) st = bloom_builder_add(b, hash_of_key("key", i));
  if (!st) st = bloom_builder_finish(b, &f);
  bloom_builder_free(b);
  CHECK_OK(st);
  CHECK(!memcmp(f.data, "prefix", 6));
  slice filter = slice_advance(buffer_slice(&f), 6);
  CHECK_OK(bloom_validate(filter));
  for (unsigned i = 0; i < 1000; i++) CHECK(bloom_may_contain(filter, hash_of_key("key", i)));
  buffer_free(&f);
}

static void invalid_sizing_is_rejected(void) {
  bloom_builder *b = NULL;
  CHECK_CODE(bloom_builder_new(0.0, &b), STRATA_INVALID_ARGUMENT);
  CHECK_CODE(bloom_builder_new(-3.0, &b), STRATA_INVALID_ARGUMENT);
  CHECK_CODE(bloom_builder_new(1000.0, &b), STRATA_INVALID_ARGUMENT);
  CHECK_CODE(bloom_builder_new_fp_rate(0.0, &b), STRATA_INVALID_ARGUMENT);
  CHECK_CODE(bloom_builder_new_fp_rate(1.0, &b), STRATA_INVALID_ARGUMENT);
  CHECK(b == NULL);
}

static void malformed_filters_are_corrupt_and_answer_may_contain(void) {
  bloom_builder *b = NULL;
  CHECK_OK(bloom_builder_new(10.0, &b));
  buffer f;
  buffer_init(&f);
  strata_status *st = NULL;
  for (unsigned i = 0; !st && i < 200; i++) st = bloom_builder_add(b, hash_of_key("key", i));
  if (!st) st = bloom_builder_finish(b, &f);
  bloom_builder_free(b);
  CHECK_OK(st);
  uint64_t absent = 0;
  for (unsigned i = 0; i < 1000 && !absent; i++) {
    if (!bloom_may_contain(buffer_slice(&f), hash_of_key("absent", i))) absent = hash_of_key("absent", i);
  }
  CHECK(absent != 0);

  /* Every truncation, copied to its own allocation so ASan sees any read past the end. */
  for (size_t len = 0; len < f.len; len++) {
    uint8_t *copy = malloc(len ? len : 1);
    CHECK(copy);
    memcpy(copy, f.data, len);
    slice cut = slice_make(copy, len);
    strata_status *vst = bloom_validate(cut);
    int may = bloom_may_contain(cut, absent);
    bloom_filter opened;
    strata_status *ost = bloom_open(cut, &opened);
    free(copy);
    CHECK_CODE(vst, STRATA_CORRUPTION);
    CHECK_CODE(ost, STRATA_CORRUPTION);
    CHECK(may);
  }
  /* Header fields out of range, one at a time. */
  struct { size_t at; uint8_t value; } bad[] = {{0, 0}, {0, 2}, {1, 0}, {1, BLOOM_MAX_K + 1}, {5, 1}, {8, 1}, {15, 0x80}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    uint8_t *copy = malloc(f.len);
    CHECK(copy);
    memcpy(copy, f.data, f.len);
    copy[bad[i].at] = bad[i].value;
    slice s = slice_make(copy, f.len);
    strata_status *vst = bloom_validate(s);
    int may = bloom_may_contain(s, absent);
    bloom_filter opened;
    strata_status *ost = bloom_open(s, &opened);
    free(copy);
    CHECK_CODE(vst, STRATA_CORRUPTION);
    CHECK_CODE(ost, STRATA_CORRUPTION);
    CHECK(may);
  }
  /* Trailing garbage: the length must match the bit count exactly. */
  CHECK_OK(buffer_append(&f, "x", 1));
  CHECK_CODE(bloom_validate(buffer_slice(&f)), STRATA_CORRUPTION);
  buffer_free(&f);
  /* A header claiming 2^40 blocks over 16 bytes. */
  uint8_t huge[BLOOM_HEADER_SIZE] = {BLOOM_FORMAT_BLOCKED_512, 7};
  encode_fixed64(huge + 8, (uint64_t)1 << 49);
  CHECK_CODE(bloom_validate(slice_make(huge, sizeof huge)), STRATA_CORRUPTION);
  CHECK(bloom_may_contain(slice_make(huge, sizeof huge), absent));
}

static void random_bytes_never_read_out_of_bounds(void) {
  harness_rng rng = {0x5eed};
  for (int round = 0; round < 2000; round++) {
    size_t len = (size_t)(harness_rng_next(&rng) % 200);
    uint8_t *bytes = malloc(len ? len : 1);
    CHECK(bytes);
    for (size_t i = 0; i < len; i++) bytes[i] = (uint8_t)harness_rng_next(&rng);
    if (len >= BLOOM_HEADER_SIZE && round % 2) { /* plausible headers, so probes get exercised */
      memset(bytes, 0, 8);
      bytes[0] = BLOOM_FORMAT_BLOCKED_512;
      bytes[1] = (uint8_t)(1 + round % BLOOM_MAX_K);
      encode_fixed64(bytes + 8, (uint64_t)(len - BLOOM_HEADER_SIZE) / BLOOM_BLOCK_BYTES * BLOOM_BLOCK_BITS);
    }
    slice s = slice_make(bytes, len);
    strata_status *st = bloom_validate(s);
    uint64_t h = harness_rng_next(&rng);
    int may = bloom_may_contain(s, h);
    bloom_filter opened;
    strata_status *ost = bloom_open(s, &opened);
    /* the opened filter refuses what validate refuses, and otherwise answers as the bytes do */
    CHECK((st == NULL) == (ost == NULL));
    CHECK(ost != NULL || bloom_filter_may_contain(&opened, h) == may);
    strata_status_free(ost);
    free(bytes);
    CHECK(st != NULL || may == 0 || may == 1);
    CHECK(st == NULL || may == 1); /* a filter judged corrupt must never say "absent" */
    strata_status_free(st);
  }
}

static void per_level_policy_repeats_the_last_entry(void) {
  bloom_policy p = bloom_policy_default();
  CHECK(bloom_policy_bits_for_level(&p, 0, 0) == 10.0);
  CHECK(bloom_policy_bits_for_level(&p, 6, 1) == 10.0);

  bloom_policy q = {{20.0, 15.0, 10.0}, 3, 0};
  CHECK(bloom_policy_bits_for_level(&q, 0, 0) == 20.0);
  CHECK(bloom_policy_bits_for_level(&q, 1, 0) == 15.0);
  CHECK(bloom_policy_bits_for_level(&q, 2, 0) == 10.0);
  CHECK(bloom_policy_bits_for_level(&q, 5, 0) == 10.0);
  CHECK(bloom_policy_bits_for_level(&q, 5, 1) == 10.0);

  q.skip_last_level = 1;
  CHECK(bloom_policy_bits_for_level(&q, 5, 1) == 0.0);
  CHECK(bloom_policy_bits_for_level(&q, 5, 0) == 10.0);
  CHECK(bloom_policy_bits_for_level(&q, 0, 1) == 0.0); /* a one-level tree's only level is the last */

  bloom_policy none = {{0.0}, 1, 0};
  CHECK(bloom_policy_bits_for_level(&none, 3, 0) == 0.0);
  bloom_policy empty = {{0.0}, 0, 0};
  CHECK(bloom_policy_bits_for_level(&empty, 3, 0) == BLOOM_DEFAULT_BITS_PER_KEY);
}

int main(void) {
  RUN(optimal_k_follows_bits_per_key);
  RUN(added_keys_are_always_found);
  RUN(ten_bits_per_key_stays_within_twice_the_plain_bloom_rate);
  RUN(fp_rate_target_is_met_within_twice);
  RUN(repeated_hashes_of_one_key_count_once);
  RUN(empty_filter_contains_nothing);
  RUN(filter_appends_after_existing_bytes);
  RUN(invalid_sizing_is_rejected);
  RUN(malformed_filters_are_corrupt_and_answer_may_contain);
  RUN(random_bytes_never_read_out_of_bounds);
  RUN(per_level_policy_repeats_the_last_entry);
  return harness_finish();
}
