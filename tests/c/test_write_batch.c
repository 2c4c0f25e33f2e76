/* write_batch: building, iterating, limits, and adopting untrusted encodings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "journal/write_batch.h"
#include "util/coding.h"

static int item_is(const write_batch_item *it, value_type type, const char *key, const char *value) {
  return it->type == type && slice_equal(it->key, slice_from_cstr(key)) &&
         slice_equal(it->value, slice_from_cstr(value));
}

static void batch_round_trips_puts_deletes_and_single_deletes(void) {
  write_batch b;
  write_batch_init(&b);
  CHECK_OK(write_batch_put(&b, slice_from_cstr("apple"), slice_from_cstr("red")));
  CHECK_OK(write_batch_delete(&b, slice_from_cstr("banana")));
  CHECK_OK(write_batch_single_delete(&b, slice_from_cstr("cherry")));
  CHECK_OK(write_batch_put(&b, slice_from_cstr("apple"), slice_from_cstr("green"))); /* order kept */
  CHECK_EQ_U64(write_batch_count(&b), 4);
  write_batch_iter it;
  write_batch_item item;
  write_batch_iter_init(&it, &b);
  CHECK(write_batch_iter_next(&it, &item) && item_is(&item, VALUE_TYPE_VALUE, "apple", "red"));
  CHECK(write_batch_iter_next(&it, &item) && item_is(&item, VALUE_TYPE_TOMBSTONE, "banana", ""));
  CHECK(write_batch_iter_next(&it, &item) && item_is(&item, VALUE_TYPE_WEAK_TOMBSTONE, "cherry", ""));
  CHECK(write_batch_iter_next(&it, &item) && item_is(&item, VALUE_TYPE_VALUE, "apple", "green"));
  CHECK(!write_batch_iter_next(&it, &item));
  CHECK(!write_batch_iter_next(&it, &item)); /* stays at the end */
  write_batch_free(&b);
}

static void empty_key_and_empty_value_are_valid(void) {
  write_batch b;
  write_batch_init(&b);
  CHECK_OK(write_batch_put(&b, slice_empty(), slice_empty()));
  CHECK_OK(write_batch_delete(&b, slice_empty()));
  write_batch_iter it;
  write_batch_item item;
  write_batch_iter_init(&it, &b);
  CHECK(write_batch_iter_next(&it, &item) && item.type == VALUE_TYPE_VALUE && !item.key.len && !item.value.len);
  CHECK(write_batch_iter_next(&it, &item) && item.type == VALUE_TYPE_TOMBSTONE && !item.key.len);
  CHECK(!write_batch_iter_next(&it, &item));
  write_batch_free(&b);
}

static void empty_batch_iterates_nothing(void) {
  write_batch b;
  write_batch_init(&b);
  write_batch_iter it;
  write_batch_item item;
  write_batch_iter_init(&it, &b);
  CHECK(!write_batch_iter_next(&it, &item));
  CHECK(write_batch_is_empty(&b));
  CHECK_EQ_U64(write_batch_byte_size(&b), 0);
  write_batch_free(&b);
}

static void key_of_65535_bytes_is_accepted_and_65536_rejected_naming_the_size(void) {
  uint8_t *key = calloc(1, 65536);
  CHECK(key);
  write_batch b;
  write_batch_init(&b);
  CHECK_OK(write_batch_put(&b, slice_make(key, 65535), slice_from_cstr("v")));
  strata_status *st = write_batch_put(&b, slice_make(key, 65536), slice_from_cstr("v"));
  int named = st && strstr(strata_status_message(st), "65536") != NULL;
  CHECK_CODE(st, STRATA_INVALID_ARGUMENT);
  CHECK(named);
  CHECK_CODE(write_batch_delete(&b, slice_make(key, 65536)), STRATA_INVALID_ARGUMENT);
  CHECK_EQ_U64(write_batch_count(&b), 1); /* the failed adds left nothing behind */
  write_batch_iter it;
  write_batch_item item;
  write_batch_iter_init(&it, &b);
  CHECK(write_batch_iter_next(&it, &item) && item.key.len == 65535);
  free(key);
  write_batch_free(&b);
}

static void value_of_4_gib_is_rejected_naming_the_size(void) {
  write_batch b;
  write_batch_init(&b);
  CHECK_EQ_U64(WRITE_BATCH_VALUE_MAX, UINT32_MAX);
  if (SIZE_MAX > UINT32_MAX) { /* a 4 GiB length only exists where size_t has 64 bits */
    static const uint8_t byte = 0;
    /* the length is checked before any byte is read, so one real byte backs the fake length */
    uint64_t four_gib = (uint64_t)UINT32_MAX + 1;
    strata_status *st = write_batch_put(&b, slice_from_cstr("k"), slice_make(&byte, (size_t)four_gib));
    int named = st && strstr(strata_status_message(st), "4294967296") != NULL;
    CHECK_CODE(st, STRATA_INVALID_ARGUMENT);
    CHECK(named);
  }
  CHECK_EQ_U64(write_batch_count(&b), 0);
  CHECK_EQ_U64(write_batch_byte_size(&b), 0);
  write_batch_free(&b);
}

static void tombstone_with_a_value_is_rejected(void) {
  write_batch b;
  write_batch_init(&b);
  CHECK_CODE(write_batch_add(&b, VALUE_TYPE_TOMBSTONE, slice_from_cstr("k"), slice_from_cstr("v")),
             STRATA_INVALID_ARGUMENT);
  CHECK_CODE(write_batch_add(&b, (value_type)7, slice_from_cstr("k"), slice_empty()), STRATA_INVALID_ARGUMENT);
  CHECK_EQ_U64(write_batch_count(&b), 0);
  write_batch_free(&b);
}

static void byte_size_counts_keys_values_and_headers(void) {
  write_batch b;
  write_batch_init(&b);
  CHECK_OK(write_batch_put(&b, slice_from_cstr("abc"), slice_from_cstr("12345")));
  CHECK_EQ_U64(write_batch_byte_size(&b), 3 + 5 + WRITE_BATCH_ITEM_HEADER);
  CHECK_OK(write_batch_delete(&b, slice_from_cstr("abc")));
  CHECK_EQ_U64(write_batch_byte_size(&b), 2 * (3 + WRITE_BATCH_ITEM_HEADER) + 5);
  write_batch_free(&b);
}

static void clear_empties_the_batch_for_reuse(void) {
  write_batch b;
  write_batch_init(&b);
  CHECK_OK(write_batch_put(&b, slice_from_cstr("a"), slice_from_cstr("1")));
  write_batch_clear(&b);
  CHECK_EQ_U64(write_batch_count(&b), 0);
  CHECK_EQ_U64(write_batch_byte_size(&b), 0);
  CHECK_OK(write_batch_put(&b, slice_from_cstr("b"), slice_from_cstr("2")));
  write_batch_iter it;
  write_batch_item item;
  write_batch_iter_init(&it, &b);
  CHECK(write_batch_iter_next(&it, &item) && item_is(&item, VALUE_TYPE_VALUE, "b", "2"));
  CHECK(!write_batch_iter_next(&it, &item));
  write_batch_free(&b);
}

static void many_items_round_trip(void) {
  write_batch b;
  write_batch_init(&b);
  char key[32], value[64];
  for (int i = 0; i < 5000; i++) {
    snprintf(key, sizeof key, "key-%05d", i);
    snprintf(value, sizeof value, "value-%d", i * 7);
    CHECK_OK(i % 3 == 2 ? write_batch_delete(&b, slice_from_cstr(key))
                        : write_batch_put(&b, slice_from_cstr(key), slice_from_cstr(value)));
  }
  CHECK_EQ_U64(write_batch_count(&b), 5000);
  write_batch_iter it;
  write_batch_item item;
  write_batch_iter_init(&it, &b);
  for (int i = 0; i < 5000; i++) {
    snprintf(key, sizeof key, "key-%05d", i);
    snprintf(value, sizeof value, "value-%d", i * 7);
    CHECK(write_batch_iter_next(&it, &item));
    CHECK(i % 3 == 2 ? item_is(&item, VALUE_TYPE_TOMBSTONE, key, "") : item_is(&item, VALUE_TYPE_VALUE, key, value));
  }
  CHECK(!write_batch_iter_next(&it, &item));
  write_batch_free(&b);
}

static void adopt_takes_a_valid_encoding_without_copying(void) {
  write_batch src, dst;
  write_batch_init(&src);
  write_batch_init(&dst);
  CHECK_OK(write_batch_put(&src, slice_from_cstr("k1"), slice_from_cstr("v1")));
  CHECK_OK(write_batch_single_delete(&src, slice_from_cstr("k2")));
  buffer enc;
  buffer_init(&enc);
  CHECK_OK(buffer_append(&enc, src.rep.data, src.rep.len));
  const uint8_t *bytes = enc.data;
  CHECK_OK(write_batch_adopt(&dst, &enc, 2));
  CHECK(dst.rep.data == bytes); /* swapped in, not copied */
  CHECK_EQ_U64(enc.len, 0);
  CHECK_EQ_U64(write_batch_count(&dst), 2);
  write_batch_iter it;
  write_batch_item item;
  write_batch_iter_init(&it, &dst);
  CHECK(write_batch_iter_next(&it, &item) && item_is(&item, VALUE_TYPE_VALUE, "k1", "v1"));
  CHECK(write_batch_iter_next(&it, &item) && item_is(&item, VALUE_TYPE_WEAK_TOMBSTONE, "k2", ""));
  buffer_free(&enc);
  write_batch_free(&src);
  write_batch_free(&dst);
}

static void adopt_rejects_every_truncation_and_wrong_count(void) {
  write_batch src, dst;
  write_batch_init(&src);
  write_batch_init(&dst);
  CHECK_OK(write_batch_put(&src, slice_from_cstr("key"), slice_from_cstr("value")));
  CHECK_OK(write_batch_delete(&src, slice_from_cstr("gone")));
  buffer enc;
  buffer_init(&enc);
  for (size_t cut = 0; cut < src.rep.len; cut++) {
    buffer_clear(&enc);
    CHECK_OK(buffer_append(&enc, src.rep.data, cut));
    CHECK_CODE(write_batch_adopt(&dst, &enc, 2), STRATA_CORRUPTION);
    CHECK_EQ_U64(write_batch_count(&dst), 0);
  }
  buffer_clear(&enc);
  CHECK_OK(buffer_append(&enc, src.rep.data, src.rep.len));
  CHECK_CODE(write_batch_adopt(&dst, &enc, 1), STRATA_CORRUPTION); /* bytes left over */
  CHECK_CODE(write_batch_adopt(&dst, &enc, 3), STRATA_CORRUPTION); /* too few items */
  enc.data[0] = 9;                                                 /* unknown type */
  CHECK_CODE(write_batch_adopt(&dst, &enc, 2), STRATA_CORRUPTION);
  enc.data[0] = VALUE_TYPE_TOMBSTONE; /* a tombstone with a value */
  CHECK_CODE(write_batch_adopt(&dst, &enc, 2), STRATA_CORRUPTION);
  enc.data[0] = VALUE_TYPE_VALUE;
  encode_fixed32(enc.data + 3, UINT32_MAX); /* value length past the end */
  CHECK_CODE(write_batch_adopt(&dst, &enc, 2), STRATA_CORRUPTION);
  CHECK_EQ_U64(write_batch_count(&dst), 0);
  buffer_free(&enc);
  write_batch_free(&src);
  write_batch_free(&dst);
}

int main(void) {
  RUN(batch_round_trips_puts_deletes_and_single_deletes);
  RUN(empty_key_and_empty_value_are_valid);
  RUN(empty_batch_iterates_nothing);
  RUN(key_of_65535_bytes_is_accepted_and_65536_rejected_naming_the_size);
  RUN(value_of_4_gib_is_rejected_naming_the_size);
  RUN(tombstone_with_a_value_is_rejected);
  RUN(byte_size_counts_keys_values_and_headers);
  RUN(clear_empties_the_batch_for_reuse);
  RUN(many_items_round_trip);
  RUN(adopt_takes_a_valid_encoding_without_copying);
  RUN(adopt_rejects_every_truncation_and_wrong_count);
  return harness_finish();
}
