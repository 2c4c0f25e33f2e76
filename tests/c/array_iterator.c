#include "array_iterator.h"

#include <stdlib.h>

typedef struct array_iterator {
  kv_iterator base;
  const test_entry *e;
  size_t n;
  size_t pos; /* n = invalid */
} array_iterator;

/* Takes entry pos as the position (kv_iterator.h). */
static void a_sync(array_iterator *a) {
  if (a->pos < a->n) kv_iterator_set_position(&a->base, a->e[a->pos].key, a->e[a->pos].value);
  else kv_iterator_set_invalid(&a->base);
}

static void a_first(kv_iterator *it) {
  array_iterator *a = (array_iterator *)it;
  a->pos = 0;
  a_sync(a);
}
static void a_last(kv_iterator *it) {
  array_iterator *a = (array_iterator *)it;
  a->pos = a->n ? a->n - 1 : a->n;
  a_sync(a);
}
static void a_seek(kv_iterator *it, const internal_key *t) {
  array_iterator *a = (array_iterator *)it;
  size_t i = 0;
  while (i < a->n && internal_key_compare(&a->e[i].key, t) < 0) i++;
  a->pos = i;
  a_sync(a);
}
static void a_seek_for_prev(kv_iterator *it, const internal_key *t) {
  array_iterator *a = (array_iterator *)it;
  size_t i = a->n;
  while (i > 0 && internal_key_compare(&a->e[i - 1].key, t) > 0) i--;
  a->pos = i ? i - 1 : a->n;
  a_sync(a);
}
static void a_next(kv_iterator *it) {
  array_iterator *a = (array_iterator *)it;
  if (a->pos < a->n) a->pos++;
  a_sync(a);
}
static void a_prev(kv_iterator *it) {
  array_iterator *a = (array_iterator *)it;
  a->pos = (a->pos == 0 || a->pos >= a->n) ? a->n : a->pos - 1;
  a_sync(a);
}
static strata_status *a_status(kv_iterator *it) {
  (void)it;
  return NULL;
}
static void a_destroy(kv_iterator *it) { free(it); }

static const kv_iterator_ops array_ops = {a_first, a_last, a_seek, a_seek_for_prev, a_next,
                                          a_prev,  a_status, a_destroy};

kv_iterator *array_iterator_new(const test_entry *entries, size_t n) {
  array_iterator *a = malloc(sizeof *a);
  if (!a) return NULL;
  kv_iterator_init(&a->base, &array_ops);
  a->e = entries;
  a->n = n;
  a->pos = n;
  return &a->base;
}
