/*
 * array_iterator.h -- a kv_iterator over a sorted array of entries, for tests of the layers
 * that stack iterators (merge, MVCC) without needing memtables or tables.
 */
#ifndef STRATA_TESTS_ARRAY_ITERATOR_H
#define STRATA_TESTS_ARRAY_ITERATOR_H

#include <stddef.h>

#include "util/kv_iterator.h"

typedef struct test_entry {
  internal_key key;
  slice value;
} test_entry;

/* The array must stay alive and sorted by internal_key_compare; the iterator does not copy it. */
kv_iterator *array_iterator_new(const test_entry *entries, size_t n);

#endif
