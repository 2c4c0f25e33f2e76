/* cache/block_cache: capacity, S3-FIFO eviction and scan resistance, references, pins, erase,
 * statistics, and concurrent use. */
#include <stdio.h>
#include <stdlib.h>

#include "cache/block_cache.h"
#include "harness.h"
#include "util/sync.h"

#define KB 1024

/* A cached test block remembers its key and counts itself in a live counter. */
typedef struct test_block {
  atomic_u64 *live;
  uint64_t file_id;
  uint64_t offset;
} test_block;

static void test_block_free(void *value) {
  test_block *b = value;
  atomic_u64_fetch_sub(b->live, 1);
  free(b);
}

/* Inserts a block and returns its referenced handle (NULL on failure). */
static cache_handle *put(block_cache *c, atomic_u64 *live, uint64_t file_id, uint64_t offset, size_t charge,
                         int pinned) {
  test_block *b = malloc(sizeof *b);
  if (!b) return NULL;
  b->live = live;
  b->file_id = file_id;
  b->offset = offset;
  atomic_u64_fetch_add(live, 1);
  cache_handle *h = NULL;
  strata_status *st = block_cache_insert(c, file_id, offset, b, charge, test_block_free, pinned, &h);
  if (st) {
    strata_status_free(st);
    test_block_free(b);
    return NULL;
  }
  return h;
}

static int put_and_release(block_cache *c, atomic_u64 *live, uint64_t file_id, uint64_t offset, size_t charge) {
  cache_handle *h = put(c, live, file_id, offset, charge, 0);
  if (!h) return 0;
  block_cache_release(c, h);
  return 1;
}

static int cached(block_cache *c, uint64_t file_id, uint64_t offset) {
  cache_handle *h = block_cache_lookup(c, file_id, offset);
  if (!h) return 0;
  test_block *b = cache_handle_value(h);
  int right = b->file_id == file_id && b->offset == offset;
  block_cache_release(c, h);
  return right ? 1 : -1;
}

/* A read through the cache: 1 on a hit, 0 on a miss (then the block is inserted). */
static int read_through(block_cache *c, atomic_u64 *live, uint64_t file_id, uint64_t offset, size_t charge) {
  if (cached(c, file_id, offset) == 1) return 1;
  put_and_release(c, live, file_id, offset, charge);
  return 0;
}

static void capacity_is_respected(void) {
  block_cache *c = NULL;
  atomic_u64 live;
  atomic_u64_init(&live, 0);
  CHECK_OK(block_cache_new(64 * KB, 1, &c));
  for (uint64_t i = 0; i < 500; i++) {
    CHECK(put_and_release(c, &live, 1, i * 4096, KB));
    block_cache_stats st = block_cache_get_stats(c);
    CHECK(st.used_bytes <= 64 * KB);
  }
  block_cache_stats st = block_cache_get_stats(c);
  CHECK_EQ_U64(st.entries, 64);
  CHECK_EQ_U64(st.used_bytes, 64 * KB);
  CHECK_EQ_U64(st.evictions, 500 - 64);
  CHECK_EQ_U64(atomic_u64_load(&live), 64); /* evicted, unreferenced blocks were freed at once */
  block_cache_free(c);
  CHECK_EQ_U64(atomic_u64_load(&live), 0);
}

static void oldest_unread_blocks_are_evicted_first(void) {
  block_cache *c = NULL;
  atomic_u64 live;
  atomic_u64_init(&live, 0);
  CHECK_OK(block_cache_new(10 * KB, 1, &c));
  for (uint64_t i = 0; i < 20; i++) CHECK(put_and_release(c, &live, 1, i, KB));
  for (uint64_t i = 0; i < 10; i++) CHECK(cached(c, 1, i) == 0);
  for (uint64_t i = 10; i < 20; i++) CHECK(cached(c, 1, i) == 1);
  block_cache_free(c);
  CHECK_EQ_U64(atomic_u64_load(&live), 0);
}

static void block_read_again_outlives_blocks_read_once(void) {
  block_cache *c = NULL;
  atomic_u64 live;
  atomic_u64_init(&live, 0);
  CHECK_OK(block_cache_new(10 * KB, 1, &c));
  for (uint64_t i = 0; i < 10; i++) CHECK(put_and_release(c, &live, 1, i, KB));
  CHECK(cached(c, 1, 0) == 1); /* block 0 is the oldest, but it was read again */
  for (uint64_t i = 10; i < 40; i++) CHECK(put_and_release(c, &live, 1, i, KB));
  CHECK(cached(c, 1, 0) == 1);
  CHECK(cached(c, 1, 1) == 0);
  CHECK(cached(c, 1, 39) == 1);
  block_cache_free(c);
  CHECK_EQ_U64(atomic_u64_load(&live), 0);
}

static void block_reinserted_soon_after_eviction_is_kept_longer(void) {
  block_cache *c = NULL;
  atomic_u64 live;
  atomic_u64_init(&live, 0);
  CHECK_OK(block_cache_new(10 * KB, 1, &c));
  for (uint64_t i = 0; i < 20; i++) CHECK(put_and_release(c, &live, 1, i, KB));
  CHECK(cached(c, 1, 0) == 0);
  CHECK(put_and_release(c, &live, 1, 0, KB)); /* its key is still a ghost: admitted to main */
  for (uint64_t i = 20; i < 60; i++) CHECK(put_and_release(c, &live, 1, i, KB));
  CHECK(cached(c, 1, 0) == 1);
  CHECK(cached(c, 1, 20) == 0);
  block_cache_free(c);
  CHECK_EQ_U64(atomic_u64_load(&live), 0);
}

/* Hit rate of one pass over the hot set. */
static double hot_pass_hit_rate(block_cache *c, atomic_u64 *live, unsigned hot_blocks) {
  unsigned hits = 0;
  for (unsigned i = 0; i < hot_blocks; i++) hits += (unsigned)read_through(c, live, 1, (uint64_t)i * 4096, 4 * KB);
  return (double)hits / hot_blocks;
}

static void scan_does_not_evict_hot_blocks(void) {
  block_cache *c = NULL;
  atomic_u64 live;
  atomic_u64_init(&live, 0);
  const unsigned hot = 128; /* half the cache: 1 MiB holds 256 blocks of 4 KiB */
  CHECK_OK(block_cache_new(1024 * KB, 1, &c));
  for (int round = 0; round < 4; round++) hot_pass_hit_rate(c, &live, hot);
  double before = hot_pass_hit_rate(c, &live, hot);
  /* a one-pass scan over 20k cold blocks, 80x the cache */
  for (uint64_t i = 0; i < 20000; i++) read_through(c, &live, 2, i * 4096, 4 * KB);
  double after = hot_pass_hit_rate(c, &live, hot);
  printf("    hot-set hit rate: %.1f%% before the scan, %.1f%% after\n", before * 100, after * 100);
  CHECK(before == 1.0);
  CHECK(after >= 0.95);
  CHECK(block_cache_get_stats(c).used_bytes <= 1024 * KB);
  block_cache_free(c);
  CHECK_EQ_U64(atomic_u64_load(&live), 0);
}

static void referenced_block_survives_eviction_until_released(void) {
  block_cache *c = NULL;
  atomic_u64 live;
  atomic_u64_init(&live, 0);
  CHECK_OK(block_cache_new(4 * KB, 1, &c));
  cache_handle *held = put(c, &live, 7, 0, KB, 0);
  CHECK(held);
  for (uint64_t i = 1; i <= 20; i++) CHECK(put_and_release(c, &live, 7, i, KB));
  CHECK(cached(c, 7, 0) == 0); /* evicted from the cache ... */
  test_block *b = cache_handle_value(held);
  CHECK(b->file_id == 7 && b->offset == 0); /* ... but alive for its holder */
  CHECK_EQ_U64(atomic_u64_load(&live), 4 + 1);
  block_cache_release(c, held);
  CHECK_EQ_U64(atomic_u64_load(&live), 4);
  block_cache_free(c);
  CHECK_EQ_U64(atomic_u64_load(&live), 0);
}

static void pinned_blocks_are_never_evicted(void) {
  block_cache *c = NULL;
  atomic_u64 live;
  atomic_u64_init(&live, 0);
  CHECK_OK(block_cache_new(8 * KB, 1, &c));
  cache_handle *pin = put(c, &live, 3, 0, 2 * KB, 1);
  CHECK(pin);
  block_cache_release(c, pin); /* unreferenced, still pinned */
  for (uint64_t i = 1; i <= 100; i++) {
    CHECK(put_and_release(c, &live, 3, i, KB));
    CHECK(cached(c, 3, 0) == 1);
  }
  block_cache_stats st = block_cache_get_stats(c);
  CHECK_EQ_U64(st.pinned_bytes, 2 * KB);
  CHECK_EQ_U64(st.used_bytes, 8 * KB); /* pinned bytes count against the capacity */
  CHECK_EQ_U64(st.entries, 1 + 6);
  block_cache_free(c);
  CHECK_EQ_U64(atomic_u64_load(&live), 0);
}

static void erase_file_drops_only_that_file(void) {
  block_cache *c = NULL;
  atomic_u64 live;
  atomic_u64_init(&live, 0);
  CHECK_OK(block_cache_new(1024 * KB, 4, &c));
  for (uint64_t i = 0; i < 50; i++) {
    CHECK(put_and_release(c, &live, 1, i, KB));
    CHECK(put_and_release(c, &live, 2, i, KB));
  }
  cache_handle *pin = put(c, &live, 1, 1000, KB, 1);
  cache_handle *held = block_cache_lookup(c, 1, 5);
  CHECK(pin && held);
  block_cache_release(c, pin);
  block_cache_erase_file(c, 1);
  for (uint64_t i = 0; i < 50; i++) {
    CHECK(cached(c, 1, i) == 0);
    CHECK(cached(c, 2, i) == 1);
  }
  CHECK(cached(c, 1, 1000) == 0); /* pinned entries go too */
  block_cache_stats st = block_cache_get_stats(c);
  CHECK_EQ_U64(st.entries, 50);
  CHECK_EQ_U64(st.pinned_bytes, 0);
  CHECK_EQ_U64(atomic_u64_load(&live), 51); /* file 2's blocks and the one still held */
  test_block *b = cache_handle_value(held);
  CHECK(b->file_id == 1 && b->offset == 5);
  block_cache_release(c, held);
  CHECK_EQ_U64(atomic_u64_load(&live), 50);
  block_cache_free(c);
  CHECK_EQ_U64(atomic_u64_load(&live), 0);
}

/* A value that carries its own handle (block_cache_insert_embedded): one allocation, freed by
 * the deleter alone, whether it leaves by eviction, by erase, by replacement, uncached (bigger
 * than the cache) or with the cache (ASan checks that each is freed once, and nothing leaks). */
typedef struct embedded_block {
  test_block tb;  /* first: test_block_free frees the whole allocation */
  uint64_t handle[]; /* block_cache_handle_size() bytes */
} embedded_block;

static embedded_block *new_embedded(atomic_u64 *live, uint64_t file_id, uint64_t offset) {
  embedded_block *b = malloc(sizeof *b + block_cache_handle_size());
  if (!b) return NULL;
  b->tb.live = live;
  b->tb.file_id = file_id;
  b->tb.offset = offset;
  atomic_u64_fetch_add(live, 1);
  return b;
}

static cache_handle *put_embedded(block_cache *c, atomic_u64 *live, uint64_t file_id, uint64_t offset,
                                  size_t charge) {
  embedded_block *b = new_embedded(live, file_id, offset);
  return b ? block_cache_insert_embedded(c, file_id, offset, b, b->handle, charge, test_block_free, 0) : NULL;
}

static void values_carrying_their_handle_are_freed_once_however_they_leave(void) {
  block_cache *c = NULL;
  atomic_u64 live;
  atomic_u64_init(&live, 0);
  CHECK_OK(block_cache_new(8 * KB, 1, &c));
  cache_handle *held = put_embedded(c, &live, 4, 0, KB);
  CHECK(held);
  for (uint64_t i = 1; i <= 40; i++) { /* evictions, with one entry still referenced */
    cache_handle *h = put_embedded(c, &live, 4, i, KB);
    CHECK(h);
    CHECK(((test_block *)cache_handle_value(h))->offset == i);
    block_cache_release(c, h);
  }
  CHECK(cached(c, 4, 0) == 0);
  CHECK(((test_block *)cache_handle_value(held))->offset == 0); /* alive for its holder */
  block_cache_release(c, held);
  CHECK_EQ_U64(atomic_u64_load(&live), block_cache_get_stats(c).entries);
  block_cache_release(c, put_embedded(c, &live, 4, 40, KB)); /* replaces the cached one */
  block_cache_release(c, put_embedded(c, &live, 4, 99, 64 * KB)); /* never kept */
  CHECK(cached(c, 4, 40) == 1 && cached(c, 4, 99) == 0);
  CHECK_EQ_U64(atomic_u64_load(&live), block_cache_get_stats(c).entries);
  block_cache_release(c, put_embedded(c, &live, 5, 1, KB));
  block_cache_erase_file(c, 4);
  CHECK_EQ_U64(atomic_u64_load(&live), 1);
  block_cache_free(c);
  CHECK_EQ_U64(atomic_u64_load(&live), 0);
}

/* An offered value (block_cache_offer_embedded) is kept only into room, evicting nothing and
 * replacing nothing; one refused is still the caller's. */
static int offer(block_cache *c, atomic_u64 *live, uint64_t file_id, uint64_t offset, size_t charge) {
  embedded_block *b = new_embedded(live, file_id, offset);
  if (!b) return -1;
  int kept = block_cache_offer_embedded(c, file_id, offset, b, b->handle, charge, test_block_free);
  if (!kept) test_block_free(b);
  return kept;
}

static void offered_values_fill_only_the_room_left(void) {
  block_cache *c = NULL;
  atomic_u64 live;
  atomic_u64_init(&live, 0);
  CHECK_OK(block_cache_new(8 * KB, 1, &c));
  CHECK_EQ_U64(block_cache_room(c, 1, 0), 8 * KB);
  block_cache_release(c, put(c, &live, 1, 0, 3 * KB, 0)); /* a reader's block */
  CHECK_EQ_U64(block_cache_room(c, 1, 0), 5 * KB);
  CHECK(offer(c, &live, 2, 0, 2 * KB) == 1);
  CHECK(offer(c, &live, 2, 1, 2 * KB) == 1);
  CHECK(offer(c, &live, 2, 2, 2 * KB) == 0); /* 1 KiB left: refused, nothing evicted */
  CHECK(offer(c, &live, 2, 0, KB) == 0);     /* already cached: the cached one stays */
  CHECK(offer(c, &live, 2, 3, KB) == 1);     /* exactly the room left */
  CHECK_EQ_U64(block_cache_room(c, 1, 0), 0);
  block_cache_stats st = block_cache_get_stats(c);
  CHECK_EQ_U64(st.evictions, 0);
  CHECK_EQ_U64(st.used_bytes, 8 * KB);
  CHECK_EQ_U64(st.entries, 4);
  CHECK(cached(c, 1, 0) == 1 && cached(c, 2, 0) == 1 && cached(c, 2, 2) == 0 && cached(c, 2, 3) == 1);
  CHECK_EQ_U64(atomic_u64_load(&live), 4);
  block_cache_release(c, put(c, &live, 1, 1, 2 * KB, 0)); /* an insert still evicts as before */
  CHECK(block_cache_get_stats(c).evictions > 0);
  CHECK(block_cache_get_stats(c).used_bytes <= 8 * KB);
  block_cache_free(c);
  CHECK_EQ_U64(atomic_u64_load(&live), 0);
  block_cache *none = NULL;
  CHECK_OK(block_cache_new(0, 0, &none));
  CHECK(offer(none, &live, 1, 0, 1) == 0); /* a zero-capacity cache takes nothing */
  CHECK_EQ_U64(atomic_u64_load(&live), 0);
  block_cache_free(none);
}

/* block_cache_take: the entry leaves the cache (later lookups miss, its charge is freed) but
 * lives until its holder releases it; a pinned one stays; a miss counts as one. */
static void taken_entries_leave_the_cache_and_live_until_released(void) {
  block_cache *c = NULL;
  atomic_u64 live;
  atomic_u64_init(&live, 0);
  CHECK_OK(block_cache_new(64 * KB, 1, &c));
  block_cache_release(c, put(c, &live, 1, 0, KB, 0));
  block_cache_release(c, put(c, &live, 1, 1, KB, 1)); /* pinned */
  cache_handle *h = block_cache_take(c, 1, 0);
  CHECK(h && ((test_block *)cache_handle_value(h))->offset == 0);
  CHECK(cached(c, 1, 0) == 0);
  CHECK_EQ_U64(block_cache_get_stats(c).used_bytes, KB);
  CHECK_EQ_U64(atomic_u64_load(&live), 2);
  block_cache_release(c, h);
  CHECK_EQ_U64(atomic_u64_load(&live), 1);
  cache_handle *p = block_cache_take(c, 1, 1);
  CHECK(p);
  block_cache_release(c, p);
  CHECK(cached(c, 1, 1) == 1);
  uint64_t misses = block_cache_get_stats(c).misses;
  CHECK(block_cache_take(c, 1, 7) == NULL);
  CHECK_EQ_U64(block_cache_get_stats(c).misses, misses + 1);
  block_cache_free(c);
  CHECK_EQ_U64(atomic_u64_load(&live), 0);
}

/* With many shards, each take finds its entry in its key's shard and frees that shard's room,
 * which offers (that never evict) then fill again: what a warming compaction relies on. */
static void takes_free_room_in_every_shard_for_offers(void) {
  enum { SHARDS = 8, BLOCKS = 48 };
  block_cache *c = NULL;
  atomic_u64 live;
  atomic_u64_init(&live, 0);
  CHECK_OK(block_cache_new(64 * KB, SHARDS, &c));
  for (uint64_t off = 0; off < BLOCKS; off++) block_cache_release(c, put(c, &live, 1, off, KB, 0));
  uint64_t before = block_cache_get_stats(c).entries;
  CHECK(before > BLOCKS / 2);
  uint64_t taken = 0;
  for (uint64_t off = 0; off < BLOCKS; off++) {
    int was = cached(c, 1, off);
    cache_handle *h = block_cache_take(c, 1, off);
    CHECK((h != NULL) == (was == 1));
    if (!h) continue;
    CHECK(((test_block *)cache_handle_value(h))->offset == off);
    CHECK(cached(c, 1, off) == 0);
    block_cache_release(c, h);
    taken++;
  }
  CHECK_EQ_U64(taken, before);
  block_cache_stats st = block_cache_get_stats(c);
  CHECK_EQ_U64(st.entries, 0);
  CHECK_EQ_U64(st.used_bytes, 0);
  CHECK_EQ_U64(atomic_u64_load(&live), 0);
  for (uint64_t off = 0; off < 4 * BLOCKS; off++) CHECK_EQ_U64(block_cache_room(c, 2, off), 64 * KB / SHARDS);
  uint64_t kept = 0, evictions = st.evictions;
  for (uint64_t off = 0; off < 4 * BLOCKS; off++) {
    int k = offer(c, &live, 2, off, KB);
    CHECK(k >= 0);
    kept += (uint64_t)k;
  }
  st = block_cache_get_stats(c);
  CHECK_EQ_U64(st.evictions, evictions);
  CHECK_EQ_U64(st.entries, kept);
  CHECK_EQ_U64(st.used_bytes, kept * KB);
  CHECK(kept > BLOCKS && kept <= 64); /* 4x the room offered: most shards fill, none overflows */
  block_cache_free(c);
  CHECK_EQ_U64(atomic_u64_load(&live), 0);
}

static void zero_capacity_cache_keeps_nothing(void) {
  block_cache *c = NULL;
  atomic_u64 live;
  atomic_u64_init(&live, 0);
  CHECK_OK(block_cache_new(0, 0, &c));
  cache_handle *h = put(c, &live, 1, 0, KB, 0);
  CHECK(h);
  CHECK(((test_block *)cache_handle_value(h))->offset == 0); /* usable while held */
  CHECK(cached(c, 1, 0) == 0);
  block_cache_release(c, h);
  CHECK_EQ_U64(atomic_u64_load(&live), 0);
  cache_handle *p = put(c, &live, 1, 1, KB, 1);
  CHECK(p);
  block_cache_release(c, p);
  block_cache_stats st = block_cache_get_stats(c);
  CHECK_EQ_U64(st.used_bytes, 0);
  CHECK_EQ_U64(st.entries, 0);
  CHECK_EQ_U64(st.misses, 1);
  CHECK_EQ_U64(atomic_u64_load(&live), 0);
  block_cache_free(c);
}

static void block_larger_than_the_cache_is_not_kept(void) {
  block_cache *c = NULL;
  atomic_u64 live;
  atomic_u64_init(&live, 0);
  CHECK_OK(block_cache_new(4 * KB, 1, &c));
  CHECK(put_and_release(c, &live, 1, 0, KB));
  CHECK(put_and_release(c, &live, 1, 1, 8 * KB));
  CHECK(cached(c, 1, 1) == 0);
  CHECK(cached(c, 1, 0) == 1); /* and it did not flush what was there */
  block_cache_free(c);
  CHECK_EQ_U64(atomic_u64_load(&live), 0);
}

static void reinserting_a_key_replaces_its_value(void) {
  block_cache *c = NULL;
  atomic_u64 live;
  atomic_u64_init(&live, 0);
  CHECK_OK(block_cache_new(64 * KB, 1, &c));
  cache_handle *old = put(c, &live, 1, 0, KB, 0);
  cache_handle *fresh = put(c, &live, 1, 0, 2 * KB, 0);
  CHECK(old && fresh);
  cache_handle *found = block_cache_lookup(c, 1, 0);
  CHECK(found == fresh);
  CHECK_EQ_U64(block_cache_get_stats(c).used_bytes, 2 * KB);
  block_cache_release(c, found);
  block_cache_release(c, fresh);
  CHECK_EQ_U64(atomic_u64_load(&live), 2);
  block_cache_release(c, old); /* the replaced value dies with its last holder */
  CHECK_EQ_U64(atomic_u64_load(&live), 1);
  block_cache_free(c);
  CHECK_EQ_U64(atomic_u64_load(&live), 0);
}

static void stats_count_hits_misses_inserts_and_evictions(void) {
  block_cache *c = NULL;
  atomic_u64 live;
  atomic_u64_init(&live, 0);
  CHECK_OK(block_cache_new(4 * KB, 1, &c));
  block_cache_stats st = block_cache_get_stats(c);
  CHECK(st.hits == 0 && st.misses == 0 && st.inserts == 0 && st.evictions == 0 && st.entries == 0);
  CHECK_EQ_U64(st.capacity_bytes, 4 * KB);
  CHECK(cached(c, 1, 0) == 0);
  for (uint64_t i = 0; i < 6; i++) CHECK(put_and_release(c, &live, 1, i, KB));
  CHECK(cached(c, 1, 5) == 1);
  CHECK(cached(c, 1, 4) == 1);
  CHECK(cached(c, 1, 0) == 0);
  st = block_cache_get_stats(c);
  CHECK_EQ_U64(st.hits, 2);
  CHECK_EQ_U64(st.misses, 2);
  CHECK_EQ_U64(st.inserts, 6);
  CHECK_EQ_U64(st.evictions, 2);
  CHECK_EQ_U64(st.entries, 4);
  CHECK_EQ_U64(st.used_bytes, 4 * KB);
  CHECK_EQ_U64(st.pinned_bytes, 0);
  block_cache_free(c);
}

static void default_sharding_spreads_and_bounds(void) {
  block_cache *c = NULL;
  atomic_u64 live;
  atomic_u64_init(&live, 0);
  CHECK_OK(block_cache_new(BLOCK_CACHE_DEFAULT_CAPACITY, 0, &c));
  for (uint64_t i = 0; i < 10000; i++) CHECK(put_and_release(c, &live, i % 7, i * 4096, 4 * KB));
  block_cache_stats st = block_cache_get_stats(c);
  CHECK(st.used_bytes <= BLOCK_CACHE_DEFAULT_CAPACITY);
  CHECK(st.used_bytes >= BLOCK_CACHE_DEFAULT_CAPACITY * 9 / 10); /* shards fill evenly */
  CHECK_EQ_U64(st.entries, atomic_u64_load(&live));
  block_cache_free(c);
  CHECK_EQ_U64(atomic_u64_load(&live), 0);
}

/* --- concurrency ------------------------------------------------------------------------------ */

typedef struct worker {
  block_cache *c;
  atomic_u64 *live;
  uint64_t seed;
  int erase;
  unsigned bad; /* blocks found under the wrong key */
  unsigned failed;
} worker;

static void *worker_run(void *arg) {
  worker *w = arg;
  harness_rng rng = {w->seed};
  for (int op = 0; op < 20000; op++) {
    uint64_t r = harness_rng_next(&rng);
    uint64_t file = 1 + r % 4, offset = (r >> 8) % 600 * 4096;
    if (w->erase && op % 2000 == 1999) {
      block_cache_erase_file(w->c, file);
      continue;
    }
    cache_handle *h = block_cache_lookup(w->c, file, offset);
    if (!h) h = put(w->c, w->live, file, offset, KB, offset < 10 * 4096); /* a few pinned keys */
    if (!h) {
      w->failed++;
      continue;
    }
    test_block *b = cache_handle_value(h);
    if (b->file_id != file || b->offset != offset) w->bad++;
    if ((r >> 50) % 3 == 0) block_cache_get_stats(w->c);
    block_cache_release(w->c, h);
  }
  return NULL;
}

static void concurrent_lookups_inserts_and_releases_keep_blocks_intact(void) {
  enum { THREADS = 4 };
  block_cache *c = NULL;
  atomic_u64 live;
  atomic_u64_init(&live, 0);
  CHECK_OK(block_cache_new(256 * KB, 4, &c));
  worker w[THREADS];
  sync_thread t[THREADS];
  int started[THREADS] = {0};
  for (int i = 0; i < THREADS; i++) {
    w[i] = (worker){c, &live, 0x1234567ull * (uint64_t)(i + 1), i == 0, 0, 0};
    if (sync_threads_available()) {
      strata_status *st = sync_thread_start(&t[i], worker_run, &w[i]);
      started[i] = st == NULL;
      strata_status_free(st);
    }
    if (!started[i]) worker_run(&w[i]); /* single-threaded builds: the same work, in turn */
  }
  for (int i = 0; i < THREADS; i++) {
    if (started[i]) sync_thread_join(&t[i]);
  }
  block_cache_stats st = block_cache_get_stats(c);
  CHECK(st.used_bytes <= 256 * KB);
  CHECK(st.pinned_bytes > 0);
  CHECK(st.hits > 0 && st.misses > 0 && st.evictions > 0);
  CHECK_EQ_U64(st.entries, atomic_u64_load(&live)); /* nothing held: every live block is cached */
  for (int i = 0; i < THREADS; i++) {
    CHECK_EQ_U64(w[i].bad, 0);
    CHECK_EQ_U64(w[i].failed, 0);
  }
  block_cache_free(c);
  CHECK_EQ_U64(atomic_u64_load(&live), 0);
}

/* Thousands of keys share hash buckets while the table grows, entries leave from the middle of
 * chains (erase) and from the FIFOs (eviction) and their places are reused: keys that differ
 * only by file or only by offset must still be told apart, and a handle held through all of it
 * keeps its own block. */
static void keys_sharing_buckets_stay_apart_through_growth_erase_and_churn(void) {
  block_cache *c = NULL;
  atomic_u64 live;
  atomic_u64_init(&live, 0);
  CHECK_OK(block_cache_new(4000, 1, &c)); /* 4,000 entries of charge 1 */
  cache_handle *held = put(c, &live, 7, 7, 1, 0);
  CHECK(held != NULL);
  block_cache_erase_file(c, 7); /* out of the cache; the held block lives on */
  for (uint64_t i = 0; i < 1000; i++) { /* grows the table from 64 buckets to 8,192 */
    CHECK(put_and_release(c, &live, 1, i, 1));
    CHECK(put_and_release(c, &live, 2, i, 1)); /* same offsets, another file */
  }
  test_block *hb = cache_handle_value(held);
  CHECK(hb->file_id == 7 && hb->offset == 7);
  CHECK(cached(c, 7, 7) == 0);
  int wrong = 0, missing = 0;
  for (uint64_t i = 0; i < 1000; i++) {
    for (uint64_t f = 1; f <= 2; f++) {
      int r = cached(c, f, i);
      wrong += r == -1;
      missing += r == 0;
    }
  }
  CHECK_EQ_U64(wrong, 0);
  CHECK_EQ_U64(missing, 0);
  block_cache_erase_file(c, 1); /* half the entries, from the middle of chains */
  for (uint64_t i = 0; i < 1000; i++) CHECK(put_and_release(c, &live, 3, i * 4096, 1));
  for (uint64_t i = 0; i < 1000; i++) {
    wrong += cached(c, 1, i) != 0;
    wrong += cached(c, 2, i) != 1;
    wrong += cached(c, 3, i * 4096) != 1;
    wrong += cached(c, 3, i) != (i == 0); /* offset 0 is file 3's first key */
  }
  CHECK_EQ_U64(wrong, 0);
  block_cache_stats st = block_cache_get_stats(c);
  CHECK_EQ_U64(st.entries, 2000);
  CHECK_EQ_U64(st.used_bytes, 2000);
  CHECK_EQ_U64(atomic_u64_load(&live), 2001); /* the cached blocks and the held one */
  /* churn through eviction: 20,000 more keys in a cache of 4,000 */
  for (uint64_t i = 0; i < 20000; i++) CHECK(put_and_release(c, &live, 4, i, 1));
  st = block_cache_get_stats(c);
  CHECK_EQ_U64(st.entries, 4000);
  CHECK_EQ_U64(atomic_u64_load(&live), 4001);
  for (uint64_t i = 19600; i < 20000; i++) wrong += cached(c, 4, i) != 1; /* the newest (small FIFO) */
  CHECK_EQ_U64(wrong, 0);
  CHECK(hb->file_id == 7 && hb->offset == 7);
  block_cache_release(c, held);
  CHECK_EQ_U64(atomic_u64_load(&live), 4000);
  block_cache_free(c);
  CHECK_EQ_U64(atomic_u64_load(&live), 0);
}

int main(void) {
  RUN(values_carrying_their_handle_are_freed_once_however_they_leave);
  RUN(capacity_is_respected);
  RUN(oldest_unread_blocks_are_evicted_first);
  RUN(block_read_again_outlives_blocks_read_once);
  RUN(block_reinserted_soon_after_eviction_is_kept_longer);
  RUN(scan_does_not_evict_hot_blocks);
  RUN(referenced_block_survives_eviction_until_released);
  RUN(pinned_blocks_are_never_evicted);
  RUN(erase_file_drops_only_that_file);
  RUN(zero_capacity_cache_keeps_nothing);
  RUN(block_larger_than_the_cache_is_not_kept);
  RUN(reinserting_a_key_replaces_its_value);
  RUN(stats_count_hits_misses_inserts_and_evictions);
  RUN(offered_values_fill_only_the_room_left);
  RUN(taken_entries_leave_the_cache_and_live_until_released);
  RUN(takes_free_room_in_every_shard_for_offers);
  RUN(default_sharding_spreads_and_bounds);
  RUN(concurrent_lookups_inserts_and_releases_keep_blocks_intact);
  RUN(keys_sharing_buckets_stay_apart_through_growth_erase_and_churn);
  return harness_finish();
}
