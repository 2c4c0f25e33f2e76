/*
 * table_iterator.c -- the table's kv_iterator: two-level (or three-level, with a partitioned
 * index) iteration over data blocks, optionally hiding entries with seqno >= a snapshot.
 */
#include <stdlib.h>
#include <string.h>

#include "table_index.h"
#include "table_reader_internal.h"
#include "two_level_iterator.h"

/* The blocks' loader of one iterator: its table, how it reads, and the data blocks' readahead. */
typedef struct block_loader {
  table_reader *r;
  table_cache_use use;
  unsigned char in_arena;
  iter_arena *arena; /* the block iterators' */
  table_readahead ra;
} block_loader;

static void block_loader_free(void *ctx) {
  block_loader *d = ctx;
  table_readahead_free(&d->ra);
  iter_arena_free(d, d->in_arena);
}

static strata_status *load_typed(block_loader *d, slice handle_value, block_type type, table_readahead *ra,
                                 kv_iterator **inout) {
  block_handle h;
  const block *b;
  block_owner owner;
  STATUS_TRY(index_value_decode(handle_value, d->r->what, &h));
  STATUS_TRY(table_reader_load_block_ahead(d->r, h, type, ra, d->use, &b, &owner));
  if (*inout) { /* always a block iterator of this table: reused, no allocation per block */
    block_iterator_reset(*inout, b, owner);
    return NULL;
  }
  return block_iterator_new(b, owner, d->arena, inout);
}

static strata_status *load_data(void *ctx, slice handle_value, kv_iterator **out) {
  block_loader *d = ctx;
  return load_typed(d, handle_value, BLOCK_TYPE_DATA, &d->ra, out);
}

static strata_status *load_partition(void *ctx, slice handle_value, kv_iterator **out) {
  return load_typed(ctx, handle_value, BLOCK_TYPE_INDEX, NULL, out);
}

/* --- snapshot filter ------------------------------------------------------------------ */

typedef struct snapshot_iter {
  kv_iterator base;
  kv_iterator *in;
  uint64_t snapshot;
} snapshot_iter;

static int hidden(const snapshot_iter *s) {
  return kv_iterator_valid(s->in) && kv_iterator_key(s->in).seqno >= s->snapshot;
}
static void skip_fwd(snapshot_iter *s) {
  while (hidden(s)) kv_iterator_next(s->in);
  kv_iterator_copy_position(&s->base, s->in);
}
static void skip_back(snapshot_iter *s) {
  while (hidden(s)) kv_iterator_prev(s->in);
  kv_iterator_copy_position(&s->base, s->in);
}

static void si_seek_first(kv_iterator *b) {
  snapshot_iter *s = (snapshot_iter *)b;
  kv_iterator_seek_first(s->in);
  skip_fwd(s);
}
static void si_seek_last(kv_iterator *b) {
  snapshot_iter *s = (snapshot_iter *)b;
  kv_iterator_seek_last(s->in);
  skip_back(s);
}
static void si_seek(kv_iterator *b, const internal_key *t) {
  snapshot_iter *s = (snapshot_iter *)b;
  kv_iterator_seek(s->in, t);
  skip_fwd(s);
}
static void si_seek_for_prev(kv_iterator *b, const internal_key *t) {
  snapshot_iter *s = (snapshot_iter *)b;
  kv_iterator_seek_for_prev(s->in, t);
  skip_back(s);
}
static void si_next(kv_iterator *b) {
  snapshot_iter *s = (snapshot_iter *)b;
  kv_iterator_next(s->in);
  skip_fwd(s);
}
static void si_prev(kv_iterator *b) {
  snapshot_iter *s = (snapshot_iter *)b;
  kv_iterator_prev(s->in);
  skip_back(s);
}
static strata_status *si_status(kv_iterator *b) {
  snapshot_iter *s = (snapshot_iter *)b;
  strata_status *st = kv_iterator_status(s->in);
  kv_iterator_copy_position(b, s->in); /* reporting an error may drop the inner position */
  return st;
}
static void si_destroy(kv_iterator *b) {
  snapshot_iter *s = (snapshot_iter *)b;
  kv_iterator_destroy(s->in);
  kv_iterator_free(&s->base);
}

static const kv_iterator_ops snapshot_iter_ops = {si_seek_first, si_seek_last, si_seek,   si_seek_for_prev,
                                                  si_next,       si_prev,      si_status, si_destroy};

strata_status *table_reader_iterator(table_reader *r, const table_read_options *ro, kv_iterator **out) {
  *out = NULL;
  uint64_t snapshot = ro->snapshot;
  /* one loader for partitions and data blocks; the data level owns it and frees it after its
   * outer (partition) iterator, which uses it too */
  unsigned char in_arena;
  block_loader *d = iter_arena_alloc(ro->arena, sizeof *d, &in_arena);
  if (!d) return status_no_memory();
  d->in_arena = in_arena;
  d->arena = ro->arena;
  d->r = r;
  d->use = table_read_options_cache_use(ro);
  d->ra.next = UINT64_MAX; /* no block loaded yet: the first one is not "after" anything */
  block_owner none = {NULL, NULL, NULL};
  kv_iterator *it;
  strata_status *st = block_iterator_new(r->index, none, ro->arena, &it);
  if (!st && r->meta.index_partition_count) st = two_level_iterator_new(it, load_partition, d, ro->arena, &it);
  if (!st) st = two_level_iterator_new(it, load_data, d, ro->arena, &it);
  if (st) { /* a failed two_level_iterator_new destroyed its outer */
    block_loader_free(d);
    return st;
  }
  two_level_iterator_own_ctx(it, block_loader_free);
  /* the filter only where the table holds entries the snapshot must not see */
  if (snapshot < SEQNO_READ_ALL && r->meta.max_seqno >= snapshot) {
    snapshot_iter *s = kv_iterator_alloc(ro->arena, sizeof *s);
    if (!s) {
      kv_iterator_destroy(it);
      return status_no_memory();
    }
    kv_iterator_init(&s->base, &snapshot_iter_ops);
    s->in = it;
    s->snapshot = snapshot;
    it = &s->base;
  }
  *out = it;
  return NULL;
}
