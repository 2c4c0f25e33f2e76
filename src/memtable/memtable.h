/*
 * memtable.h -- the sorted in-memory buffer every write lands in before a flush makes a table.
 *
 * A memtable is a few skiplists ("runs", see memtable.c) of internal entries in one arena (see
 * skiplist.h): a new run starts at a memtable_reserve once the newest holds 8 MiB. It is reference
 * counted: the tree's active slot, the super versions that list it as sealed, and every iterator
 * over it each hold one reference; the last unref frees it and all its bytes at once.
 *
 * Threads: one writer at a time (the caller serialises inserts); gets, iterators and the
 * counters are safe from any thread concurrently with that writer.
 *
 * Slices handed out (values, iterator keys) point into the arena and stay valid while the
 * caller holds a reference.
 */
#ifndef STRATA_MEMTABLE_MEMTABLE_H
#define STRATA_MEMTABLE_MEMTABLE_H

#include <stdint.h>

#include "util/internal_key.h"
#include "util/kv_iterator.h"
#include "util/slice.h"
#include "util/status.h"

#define MEMTABLE_VALUE_MAX UINT32_MAX /* values are 0..4 GiB-1 bytes */

typedef struct memtable memtable;

/* A new, empty memtable with one reference, owned by the caller. */
STRATA_MUST_USE strata_status *memtable_new(memtable **out);

void memtable_ref(memtable *mt);
/* Drops one reference; the last one frees the memtable. NULL is ignored. */
void memtable_unref(memtable *mt);

/*
 * Adds (user_key, seqno, type) -> value. INVALID_ARGUMENT for a key over USER_KEY_MAX bytes, a
 * value over MEMTABLE_VALUE_MAX bytes, a seqno over SEQNO_MAX, an unknown type, or a second
 * version of a key at a seqno it already has (STRATA_EXISTS, so a batch applied newest-first
 * can skip the older operations on the same key). Tombstones usually carry an empty value.
 * Inserts must not run concurrently with each other.
 */
STRATA_MUST_USE strata_status *memtable_insert(memtable *mt, slice user_key, uint64_t seqno,
                                               value_type type, slice value);

/* Makes the next inserts of `bytes` worth of memtable_entry_bound() succeed without allocating:
 * a batch is reserved before it is journaled, so a journaled batch always lands whole. Also the
 * one place a new run starts: call it once per batch, before the batch's inserts. */
STRATA_MUST_USE strata_status *memtable_reserve(memtable *mt, size_t bytes);
/* The most bytes one insert of this key and value takes; SIZE_MAX when it cannot be represented. */
size_t memtable_entry_bound(size_t key_len, size_t value_len);

/*
 * The newest version of user_key with seqno < snapshot_seqno (SEQNO_READ_ALL: the newest of
 * all). *found = 0 when there is none; otherwise *type and *value describe it -- a tombstone is
 * reported as one, so the tree can stop looking in older layers. type and value may be NULL.
 * Cannot fail.
 */
void memtable_get(const memtable *mt, slice user_key, uint64_t snapshot_seqno, int *found,
                  value_type *type, slice *value);

/* Bytes the entries take in the arena (keys, values and node links), grown with each insert. */
uint64_t memtable_approximate_size(const memtable *mt);
/* Bytes the arena holds from the system (whole chunks), >= the approximate size. */
uint64_t memtable_memory_usage(const memtable *mt);
uint64_t memtable_entry_count(const memtable *mt);
static inline int memtable_is_empty(const memtable *mt) { return memtable_entry_count(mt) == 0; }
/* 1 when some entry has a seqno below `snapshot_seqno`, so a read at that snapshot may see one;
 * 0 when it is empty or holds only newer writes. One load. An insert stores it before the
 * database publishes the insert's seqno, so a snapshot that covers an insert sees it here; a
 * SEQNO_READ_ALL read racing an insert may miss it, as if it came a moment earlier. */
int memtable_holds_below(const memtable *mt, uint64_t snapshot_seqno);
/* Highest and lowest seqno inserted; return 0 (and leave *out) when the memtable is empty. */
int memtable_highest_seqno(const memtable *mt, uint64_t *out);
int memtable_lowest_seqno(const memtable *mt, uint64_t *out);

/*
 * An iterator over every entry in internal-key order (all versions, tombstones included; the
 * MVCC stream above filters by snapshot). Double-ended, seekable. It holds a reference to the
 * memtable until kv_iterator_destroy, so it may outlive the caller's own reference. Entries
 * inserted while it runs may or may not be seen, but it never sees a partial one. Taken from
 * `region` when it has room (util/iter_arena.h; NULL: malloc).
 */
STRATA_MUST_USE strata_status *memtable_iterator_new(memtable *mt, iter_arena *region, kv_iterator **out);

#endif
