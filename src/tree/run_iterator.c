#include "run_iterator.h"

#include <stdlib.h>
#include <string.h>

#include "../table/two_level_iterator.h"
#include "tree_internal.h"

typedef struct run_iterator {
  kv_iterator base;
  tree *t;
  const version_run *run;
  table_read_options ro;
  size_t index;         /* table the inner iterator reads; run->count = none */
  file_cache_handle *handle;
  kv_iterator *inner;
  strata_status *error;
} run_iterator;

static void close_table(run_iterator *r) {
  kv_iterator_set_invalid(&r->base);
  kv_iterator_destroy(r->inner);
  r->inner = NULL;
  if (r->handle) file_cache_release(r->t->tables, r->handle);
  r->handle = NULL;
  r->index = r->run->count;
}

static void fail(run_iterator *r, strata_status *st) {
  close_table(r);
  if (r->error) strata_status_free(r->error);
  r->error = st;
}

/* Opens table i of the run (closing the current one); 0 after a failure. */
static int open_table(run_iterator *r, size_t i) {
  if (r->inner && r->index == i) return 1;
  close_table(r);
  table_reader *table = NULL;
  strata_status *st = tree_table_reader(r->t, r->run->tables[i]->id, &r->handle, &table);
  if (!st) st = table_reader_iterator(table, &r->ro, &r->inner);
  if (st) {
    fail(r, st);
    return 0;
  }
  r->index = i;
  return 1;
}

/* Picks up an error of the inner iterator; 1 if there was one. */
static int inner_failed(run_iterator *r) {
  strata_status *st = kv_iterator_status(r->inner);
  if (st) fail(r, st);
  return st != NULL;
}

/* Moves on to later tables while the current one is exhausted. */
/* Moves on to later tables while the current one is exhausted; takes the position reached. */
static void skip_forward(run_iterator *r) {
  while (r->inner && !kv_iterator_valid(r->inner)) {
    if (inner_failed(r)) return;
    size_t next = r->index + 1;
    if (next >= r->run->count) {
      close_table(r);
      return;
    }
    if (!open_table(r, next)) return;
    kv_iterator_seek_first(r->inner);
  }
  kv_iterator_copy_position(&r->base, r->inner);
}

static void skip_backward(run_iterator *r) {
  while (r->inner && !kv_iterator_valid(r->inner)) {
    if (inner_failed(r)) return;
    if (r->index == 0) {
      close_table(r);
      return;
    }
    if (!open_table(r, r->index - 1)) return;
    kv_iterator_seek_last(r->inner);
  }
  kv_iterator_copy_position(&r->base, r->inner);
}

static void run_seek_first(kv_iterator *it) {
  run_iterator *r = (run_iterator *)it;
  if (!r->run->count || !open_table(r, 0)) return;
  kv_iterator_seek_first(r->inner);
  skip_forward(r);
}

static void run_seek_last(kv_iterator *it) {
  run_iterator *r = (run_iterator *)it;
  if (!r->run->count || !open_table(r, r->run->count - 1)) return;
  kv_iterator_seek_last(r->inner);
  skip_backward(r);
}

static void run_seek(kv_iterator *it, const internal_key *target) {
  run_iterator *r = (run_iterator *)it;
  /* the first table whose largest key is >= the target's user key */
  size_t lo = 0, hi = r->run->count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (slice_compare(r->run->tables[mid]->key_max, target->user_key) < 0) lo = mid + 1;
    else hi = mid;
  }
  if (lo == r->run->count) {
    close_table(r);
    return;
  }
  if (!open_table(r, lo)) return;
  kv_iterator_seek(r->inner, target);
  skip_forward(r);
}

static void run_seek_for_prev(kv_iterator *it, const internal_key *target) {
  run_iterator *r = (run_iterator *)it;
  /* the last table whose smallest key is <= the target's user key */
  size_t lo = 0, hi = r->run->count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (slice_compare(r->run->tables[mid]->key_min, target->user_key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  if (lo == 0) {
    close_table(r);
    return;
  }
  if (!open_table(r, lo - 1)) return;
  kv_iterator_seek_for_prev(r->inner, target);
  skip_backward(r);
}

void run_iterator_next(kv_iterator *it) {
  run_iterator *r = (run_iterator *)it;
  kv_iterator *in = r->inner;
  if (!in) return;
  if (in->ops == &two_level_iterator_ops) two_level_iterator_next(in); /* direct: see two_level_iterator.h */
  else kv_iterator_next(in);
  if (in->valid) { /* the common case: the same table */
    kv_iterator_set_position(it, in->key, in->value);
    return;
  }
  skip_forward(r);
}

static void run_prev(kv_iterator *it) {
  run_iterator *r = (run_iterator *)it;
  if (!r->inner) return;
  kv_iterator_prev(r->inner);
  skip_backward(r);
}

static strata_status *run_status(kv_iterator *it) {
  run_iterator *r = (run_iterator *)it;
  strata_status *st = r->error;
  r->error = NULL;
  return st;
}

static void run_destroy(kv_iterator *it) {
  run_iterator *r = (run_iterator *)it;
  close_table(r);
  strata_status_free(r->error);
  kv_iterator_free(&r->base);
}

const kv_iterator_ops run_iterator_ops = {
  run_seek_first, run_seek_last, run_seek, run_seek_for_prev, run_iterator_next, run_prev, run_status, run_destroy,
};

strata_status *run_iterator_new(tree *t, const version_run *run, const table_read_options *ro, kv_iterator **out) {
  run_iterator *r = kv_iterator_alloc(ro->arena, sizeof *r);
  if (!r) return status_no_memory();
  kv_iterator_init(&r->base, &run_iterator_ops);
  r->t = t;
  r->run = run;
  r->ro = *ro;
  r->index = run->count;
  *out = &r->base;
  return NULL;
}
