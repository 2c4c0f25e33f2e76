/*
 * block_cache.h -- a sharded, byte-bounded cache of decoded blocks, shared by all tables.
 *
 * Entries are keyed by (file id, block offset) and reference-counted: a lookup or insert returns
 * a handle that keeps the block alive until released, even if it is evicted meanwhile. Eviction
 * resists scans (a block read once does not push out blocks read often). Pinned entries (index
 * and filter blocks of upper levels) are never evicted while the cache holds them; they still
 * count against the capacity.
 */
#ifndef STRATA_CACHE_BLOCK_CACHE_H
#define STRATA_CACHE_BLOCK_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "../util/status.h"

typedef struct block_cache block_cache;
typedef struct cache_handle cache_handle;

typedef struct block_cache_stats {
  uint64_t hits;
  uint64_t misses;
  uint64_t inserts;
  uint64_t evictions;
  size_t used_bytes;
  size_t pinned_bytes;
  size_t capacity_bytes;
  size_t entries;
} block_cache_stats;

#define BLOCK_CACHE_DEFAULT_CAPACITY ((size_t)STRATA_DEFAULT_BLOCK_CACHE_SIZE)

/* shards = 0 picks a default; capacity 0 makes a cache that keeps nothing (lookups all miss). */
STRATA_MUST_USE strata_status *block_cache_new(size_t capacity_bytes, unsigned shards, block_cache **out);
void block_cache_free(block_cache *c); /* every handle must have been released */

/* A referenced handle, or NULL on a miss (counted). Thread-safe, like every call here. */
cache_handle *block_cache_lookup(block_cache *c, uint64_t file_id, uint64_t offset);

/*
 * Takes ownership of `value` (freed with `deleter` once evicted or erased and unreferenced) and
 * returns a referenced handle. If the key is already present the new value replaces it for
 * later lookups (holders of the old handle keep the old value). `charge` is the bytes the entry
 * counts for. An entry that cannot fit (charge above a shard's share of the capacity, or a
 * zero-capacity cache) is not kept: the handle still works and the value dies on release.
 * On failure (out of memory) nothing was taken: the value is still the caller's.
 */
STRATA_MUST_USE strata_status *block_cache_insert(block_cache *c, uint64_t file_id, uint64_t offset,
                                                  void *value, size_t charge, void (*deleter)(void *value),
                                                  int pinned, cache_handle **out);

/*
 * As block_cache_insert, without an allocation: the handle lives in `handle_mem`, which the
 * caller allocated with the value (block_cache_handle_size() bytes, aligned for any scalar), so
 * the deleter's free of the value frees the handle too and a cached block costs one malloc.
 * The BLOCK_CACHE_WARM_BYTES from handle_mem must lie in that allocation, and should be the
 * value's hot bytes: a lookup starts loading them with the handle it compares (below).
 * Cannot fail.
 */
size_t block_cache_handle_size(void);
cache_handle *block_cache_insert_embedded(block_cache *c, uint64_t file_id, uint64_t offset, void *value,
                                          void *handle_mem, size_t charge, void (*deleter)(void *value),
                                          int pinned);

/*
 * Warming (a table writer offering the blocks it writes, table_writer_options.warm_cache): the
 * cache keeps an offered entry only when the shard of its key has room for it without evicting
 * anything and the key is not cached yet; it is then cached without a reference, as an entry
 * on probation. Returns 1 when kept (the value is the cache's), 0 when not (still the
 * caller's). block_cache_room says beforehand how much the key's shard could take, so that a
 * writer builds no block the cache would refuse (advisory: another thread may fill it first).
 */
size_t block_cache_room(block_cache *c, uint64_t file_id, uint64_t offset);
int block_cache_offer_embedded(block_cache *c, uint64_t file_id, uint64_t offset, void *value, void *handle_mem,
                               size_t charge, void (*deleter)(void *value));

/* A lookup that also takes the entry out of the cache (a pinned one stays): the handle keeps the
 * value until released, and later lookups miss. A compaction that warms the cache with its
 * output reads its inputs so, making room for the blocks that replace them. */
cache_handle *block_cache_take(block_cache *c, uint64_t file_id, uint64_t offset);

/* A lookup starts loading this many bytes from the first handle of the key's bucket while it
 * compares the handle's key: for an embedded handle the value's head arrives in the same memory
 * round trip instead of one after it. Every handle is followed by that much of its allocation
 * (block_cache_insert pads its own). */
#define BLOCK_CACHE_WARM_BYTES (sizeof(void *) == 8 ? 384u : 320u)

void *cache_handle_value(const cache_handle *h);
void block_cache_release(block_cache *c, cache_handle *h);

/* Drops every entry of a file (deleted tables); entries still referenced die on release. */
void block_cache_erase_file(block_cache *c, uint64_t file_id);

block_cache_stats block_cache_get_stats(block_cache *c);

#endif
