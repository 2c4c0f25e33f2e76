#include "memtable.h"

#include <stdlib.h>

#include "arena.h"
#include "skiplist.h"
#include "util/sync.h"

struct memtable {
  atomic_u64 refs;
  arena arena;
  skiplist list;
  atomic_u64 approximate_size;
  /* Lowered only by the (single) writer, after highest_seqno is raised: a reader that sees a
   * lowest below UINT64_MAX (acquire) also sees a highest that covers it. */
  atomic_u64 lowest_seqno;  /* UINT64_MAX until the first insert */
  atomic_u64 highest_seqno;
};

strata_status *memtable_new(memtable **out) {
  memtable *mt = malloc(sizeof *mt);
  if (!mt) return status_no_memory();
  atomic_u64_init(&mt->refs, 1);
  arena_init(&mt->arena, 0);
  /* The seed only needs to differ between lists now and then; the address does that without
   * global state. */
  strata_status *st = skiplist_init(&mt->list, &mt->arena, (uint64_t)(uintptr_t)mt | 1);
  if (st) {
    arena_destroy(&mt->arena);
    free(mt);
    return st;
  }
  atomic_u64_init(&mt->approximate_size, 0);
  atomic_u64_init(&mt->highest_seqno, 0);
  atomic_u64_init(&mt->lowest_seqno, UINT64_MAX);
  *out = mt;
  return NULL;
}

void memtable_ref(memtable *mt) {
  atomic_u64_fetch_add(&mt->refs, 1);
}

void memtable_unref(memtable *mt) {
  if (!mt) return;
  /* acq_rel: the thread that frees must see every other holder's last use finished. */
  if (atomic_u64_fetch_sub(&mt->refs, 1) != 1) return;
  arena_destroy(&mt->arena);
  free(mt);
}

size_t memtable_entry_bound(size_t key_len, size_t value_len) { return skiplist_node_bound(key_len, value_len); }

strata_status *memtable_reserve(memtable *mt, size_t bytes) {
  if (bytes == SIZE_MAX) return status_new(STRATA_NO_MEMORY, "memtable: a batch too large to reserve");
  return arena_reserve(&mt->arena, bytes);
}

strata_status *memtable_insert(memtable *mt, slice user_key, uint64_t seqno, value_type type,
                               slice value) {
  if (user_key.len > USER_KEY_MAX) {
    return status_new(STRATA_INVALID_ARGUMENT, "key of %zu bytes is longer than %u", user_key.len,
                      USER_KEY_MAX);
  }
  if ((uint64_t)value.len > MEMTABLE_VALUE_MAX) {
    return status_new(STRATA_INVALID_ARGUMENT, "value of %llu bytes is longer than %llu",
                      (unsigned long long)value.len, (unsigned long long)MEMTABLE_VALUE_MAX);
  }
  if (seqno > SEQNO_MAX) {
    return status_new(STRATA_INVALID_ARGUMENT, "seqno %llu is above the largest, %llu",
                      (unsigned long long)seqno, (unsigned long long)SEQNO_MAX);
  }
  if (!value_type_is_valid((uint64_t)type)) {
    return status_new(STRATA_INVALID_ARGUMENT, "unknown value type %d", (int)type);
  }
  internal_key key = internal_key_make(user_key, seqno, type);
  size_t bytes = 0;
  STATUS_TRY(skiplist_insert(&mt->list, &key, value, &bytes));
  atomic_u64_fetch_add(&mt->approximate_size, bytes);
  atomic_u64_max(&mt->highest_seqno, seqno);
  if (seqno < atomic_u64_load(&mt->lowest_seqno)) atomic_u64_store(&mt->lowest_seqno, seqno);
  return NULL;
}

void memtable_get(const memtable *mt, slice user_key, uint64_t snapshot_seqno, int *found,
                  value_type *type, slice *value) {
  *found = 0;
  if (snapshot_seqno == 0) return; /* nothing is older than seqno 0 */
  /* Any larger snapshot sees everything too; clamping keeps the trailer from overflowing. */
  if (snapshot_seqno > SEQNO_READ_ALL) snapshot_seqno = SEQNO_READ_ALL;
  /* The first entry at or after (key, S-1, max type) is the newest with seqno < S, if it is
   * still this key. */
  internal_key target = internal_key_seek_target(user_key, snapshot_seqno);
  skiplist_iter it;
  skiplist_iter_init(&it, &mt->list);
  skiplist_iter_seek(&it, &target);
  if (!skiplist_iter_valid(&it)) return;
  internal_key k = skiplist_iter_key(&it);
  if (!slice_equal(k.user_key, user_key)) return;
  *found = 1;
  if (type) *type = k.type;
  if (value) *value = skiplist_iter_value(&it);
}

uint64_t memtable_approximate_size(const memtable *mt) {
  return atomic_u64_load(&mt->approximate_size);
}

uint64_t memtable_memory_usage(const memtable *mt) {
  return arena_memory_usage(&mt->arena);
}

uint64_t memtable_entry_count(const memtable *mt) {
  return skiplist_count(&mt->list);
}

int memtable_highest_seqno(const memtable *mt, uint64_t *out) {
  if (atomic_u64_load(&mt->lowest_seqno) == UINT64_MAX) return 0;
  *out = atomic_u64_load(&mt->highest_seqno);
  return 1;
}

int memtable_lowest_seqno(const memtable *mt, uint64_t *out) {
  uint64_t lowest = atomic_u64_load(&mt->lowest_seqno);
  if (lowest == UINT64_MAX) return 0;
  *out = lowest;
  return 1;
}

/* --- iterator ---------------------------------------------------------------------------------- */

typedef struct memtable_iterator {
  kv_iterator base;
  memtable *mt;
  skiplist_iter it;
} memtable_iterator;

static memtable_iterator *memtable_iter_of(kv_iterator *it) {
  return (memtable_iterator *)it;
}

/* Takes the skiplist's position into the base (kv_iterator.h). */
static void memtable_iter_sync(memtable_iterator *m) {
  if (skiplist_iter_valid(&m->it))
    kv_iterator_set_position(&m->base, skiplist_iter_key(&m->it), skiplist_iter_value(&m->it));
  else kv_iterator_set_invalid(&m->base);
}

static void memtable_iter_seek_first(kv_iterator *it) {
  skiplist_iter_seek_first(&memtable_iter_of(it)->it);
  memtable_iter_sync(memtable_iter_of(it));
}

static void memtable_iter_seek_last(kv_iterator *it) {
  skiplist_iter_seek_last(&memtable_iter_of(it)->it);
  memtable_iter_sync(memtable_iter_of(it));
}

static void memtable_iter_seek(kv_iterator *it, const internal_key *target) {
  skiplist_iter_seek(&memtable_iter_of(it)->it, target);
  memtable_iter_sync(memtable_iter_of(it));
}

static void memtable_iter_seek_for_prev(kv_iterator *it, const internal_key *target) {
  skiplist_iter_seek_for_prev(&memtable_iter_of(it)->it, target);
  memtable_iter_sync(memtable_iter_of(it));
}

static void memtable_iter_next(kv_iterator *it) {
  skiplist_iter_next(&memtable_iter_of(it)->it);
  memtable_iter_sync(memtable_iter_of(it));
}

static void memtable_iter_prev(kv_iterator *it) {
  skiplist_iter_prev(&memtable_iter_of(it)->it);
  memtable_iter_sync(memtable_iter_of(it));
}

/* Memory cannot go bad under an iterator: there is never an error to report. */
static strata_status *memtable_iter_status(kv_iterator *it) {
  (void)it;
  return NULL;
}

static void memtable_iter_destroy(kv_iterator *it) {
  memtable_iterator *m = memtable_iter_of(it);
  memtable_unref(m->mt);
  free(m);
}

static const kv_iterator_ops memtable_iterator_ops = {
    memtable_iter_seek_first, memtable_iter_seek_last, memtable_iter_seek,
    memtable_iter_seek_for_prev, memtable_iter_next, memtable_iter_prev,
    memtable_iter_status, memtable_iter_destroy,
};

strata_status *memtable_iterator_new(memtable *mt, kv_iterator **out) {
  memtable_iterator *m = malloc(sizeof *m);
  if (!m) return status_no_memory();
  kv_iterator_init(&m->base, &memtable_iterator_ops);
  memtable_ref(mt);
  m->mt = mt;
  skiplist_iter_init(&m->it, &mt->list);
  *out = &m->base;
  return NULL;
}
