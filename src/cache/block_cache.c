/*
 * block_cache.c -- sharded block cache with S3-FIFO eviction.
 *
 * Why S3-FIFO (Yang et al., SOSP 2023) and not LRU or CLOCK-Pro:
 *   - Scans. An LSM tree reads many blocks exactly once (compaction, range scans, cold point
 *     reads). LRU lets such a pass flush the hot set. S3-FIFO admits new blocks into a small
 *     FIFO (10% of the shard); a block leaves it for the main FIFO only if it was hit again
 *     while there, so a one-pass scan only ever churns the small queue.
 *   - Cheap hits. A hit only bumps a 2-bit frequency; nothing moves, unlike LRU's list splice.
 *     (It still takes the shard mutex for the reference count.)
 *   - Simplicity. CLOCK-Pro gives similar scan resistance with hot/cold/test hands and
 *     adaptive sizing: more state to get wrong. S3-FIFO is two queues and a ghost table.
 *
 * Per shard:
 *   small FIFO  new entries; on eviction from its head: hit since insert -> main, else gone
 *               (its key goes to the ghost table)
 *   main FIFO   on eviction from its head: freq > 0 -> freq--, back to the tail; else gone
 *   ghost       keys recently evicted from small, without values (a 4-way bucketed table of
 *               key hashes with insertion stamps; an entry older than the number of cached
 *               entries has expired). A miss whose key is a ghost goes straight into main:
 *               it was evicted too early.
 *   pinned      entries in the hash table but in no queue: never evicted, still charged.
 *
 * Handles are the entries themselves, reference-counted under the shard mutex. Eviction or
 * erase detaches an entry (out of the table and the queues, its charge returned); a detached
 * entry dies with its last reference. Deleters run outside the shard lock.
 */
#include "block_cache.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "../util/hot.h"
#include "../util/prefetch.h"
#include "../util/sync.h"

#define FREQ_MAX 3
#define GHOST_WAYS 4
#define SMALL_PERCENT 10
#define SHARD_MIN_BYTES ((size_t)1 << 20) /* default sharding keeps shards at least 1 MiB */
#define DEFAULT_MAX_SHARDS 16
#define MAX_SHARDS 256
#define TYPICAL_BLOCK 4096
#define BUCKETS_PER_ENTRY 4

enum { QUEUE_NONE, QUEUE_SMALL, QUEUE_MAIN, QUEUE_PINNED };

struct cache_handle {
  uint64_t file_id;
  uint64_t offset;
  uint64_t hash;
  void *value;
  void (*deleter)(void *value);
  size_t charge;
  cache_handle *chain; /* hash bucket chain; after detaching, the to-free list */
  cache_handle *prev, *next; /* FIFO links, head = oldest */
  uint32_t refs;
  uint8_t freq;
  uint8_t queue;
  uint8_t in_cache;
  uint8_t embedded; /* lives inside its value (block_cache_insert_embedded): the deleter frees it */
};

typedef struct cache_fifo {
  cache_handle *head, *tail;
  size_t bytes, count;
} cache_fifo;

typedef struct ghost_slot {
  uint64_t hash;
  uint64_t stamp; /* 0 = empty */
} ghost_slot;

typedef struct cache_shard {
  sync_mutex mu;
  size_t capacity, small_capacity;
  size_t used, pinned;
  cache_handle **buckets;
  size_t bucket_mask, entries;
  cache_fifo small, main;
  ghost_slot *ghost;
  size_t ghost_bucket_mask;
  uint64_t ghost_clock;
  uint64_t hits, misses, inserts, evictions;
} cache_shard;

struct block_cache {
  cache_shard *shards;
  unsigned shard_count;
  unsigned shard_bits;
  size_t capacity;
};

static uint64_t cache_key_hash(uint64_t file_id, uint64_t offset) {
  uint64_t h = file_id * 0x9E3779B97F4A7C15ull ^ offset;
  h ^= h >> 33;
  h *= 0xFF51AFD7ED558CCDull;
  h ^= h >> 33;
  h *= 0xC4CEB9FE1A85EC53ull;
  h ^= h >> 33;
  return h;
}

static cache_shard *shard_of(block_cache *c, uint64_t hash) {
  return &c->shards[c->shard_bits ? hash >> (64 - c->shard_bits) : 0];
}

static size_t pow2_at_least(size_t n) {
  size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

/* --- FIFOs ----------------------------------------------------------------------------------- */

static void fifo_push(cache_fifo *q, cache_handle *h) {
  h->next = NULL;
  h->prev = q->tail;
  if (q->tail) q->tail->next = h;
  else q->head = h;
  q->tail = h;
  q->bytes += h->charge;
  q->count++;
}

static void fifo_remove(cache_fifo *q, cache_handle *h) {
  if (h->prev) h->prev->next = h->next;
  else q->head = h->next;
  if (h->next) h->next->prev = h->prev;
  else q->tail = h->prev;
  h->prev = h->next = NULL;
  q->bytes -= h->charge;
  q->count--;
}

/* --- ghost table ----------------------------------------------------------------------------- */

static uint64_t ghost_window(const cache_shard *s) {
  uint64_t n = s->small.count + s->main.count;
  return n < 16 ? 16 : n;
}

static void ghost_add(cache_shard *s, uint64_t hash) {
  ghost_slot *b = &s->ghost[((hash >> 20) & s->ghost_bucket_mask) * GHOST_WAYS];
  ghost_slot *victim = &b[0];
  for (int i = 0; i < GHOST_WAYS; i++) {
    if (b[i].stamp == 0 || b[i].hash == hash) {
      victim = &b[i];
      break;
    }
    if (b[i].stamp < victim->stamp) victim = &b[i];
  }
  victim->hash = hash;
  victim->stamp = ++s->ghost_clock;
}

/* 1 if hash was evicted from small recently enough; the ghost is consumed. */
static int ghost_take(cache_shard *s, uint64_t hash) {
  ghost_slot *b = &s->ghost[((hash >> 20) & s->ghost_bucket_mask) * GHOST_WAYS];
  for (int i = 0; i < GHOST_WAYS; i++) {
    if (b[i].stamp && b[i].hash == hash) {
      int fresh = s->ghost_clock - b[i].stamp < ghost_window(s);
      b[i].stamp = 0;
      return fresh;
    }
  }
  return 0;
}

/* --- hash table ------------------------------------------------------------------------------ */

static cache_handle **table_slot(cache_shard *s, uint64_t hash, uint64_t file_id, uint64_t offset) {
  cache_handle **p = &s->buckets[hash & s->bucket_mask];
  while (*p && ((*p)->file_id != file_id || (*p)->offset != offset)) p = &(*p)->chain;
  return p;
}

/* Doubles the bucket array; on allocation failure chains just grow longer. */
static void table_grow(cache_shard *s) {
  size_t n = (s->bucket_mask + 1) * 2;
  cache_handle **grown = calloc(n, sizeof *grown);
  if (!grown) return;
  for (size_t i = 0; i <= s->bucket_mask; i++) {
    cache_handle *h = s->buckets[i];
    while (h) {
      cache_handle *next = h->chain;
      h->chain = grown[h->hash & (n - 1)];
      grown[h->hash & (n - 1)] = h;
      h = next;
    }
  }
  free(s->buckets);
  s->buckets = grown;
  s->bucket_mask = n - 1;
}

/* Takes h out of the cache (table, queue, charge). Returns h if it is now garbage. */
static cache_handle *shard_detach(cache_shard *s, cache_handle *h) {
  cache_handle **p = table_slot(s, h->hash, h->file_id, h->offset);
  assert(*p == h);
  *p = h->chain;
  h->chain = NULL;
  if (h->queue == QUEUE_SMALL) fifo_remove(&s->small, h);
  else if (h->queue == QUEUE_MAIN) fifo_remove(&s->main, h);
  else if (h->queue == QUEUE_PINNED) s->pinned -= h->charge;
  h->queue = QUEUE_NONE;
  h->in_cache = 0;
  s->used -= h->charge;
  s->entries--;
  return h->refs == 0 ? h : NULL;
}

static void free_list_push(cache_handle **list, cache_handle *h) {
  if (!h) return;
  h->chain = *list;
  *list = h;
}

static void free_list_run(cache_handle *list) {
  while (list) {
    cache_handle *next = list->chain;
    int embedded = list->embedded;
    if (list->deleter) list->deleter(list->value); /* frees an embedded handle with its value */
    if (!embedded) free(list);
    list = next;
  }
}

/* --- eviction -------------------------------------------------------------------------------- */

static void evict_from_small(cache_shard *s, cache_handle **garbage) {
  cache_handle *h = s->small.head;
  fifo_remove(&s->small, h);
  if (h->freq > 0) { /* hit again while on probation: it earns a place in main */
    h->freq = 0;
    h->queue = QUEUE_MAIN;
    fifo_push(&s->main, h);
    return;
  }
  h->queue = QUEUE_NONE; /* already out of its queue */
  ghost_add(s, h->hash);
  s->evictions++;
  free_list_push(garbage, shard_detach(s, h));
}

static void evict_from_main(cache_shard *s, cache_handle **garbage) {
  cache_handle *h = s->main.head;
  fifo_remove(&s->main, h);
  if (h->freq > 0) {
    h->freq--;
    fifo_push(&s->main, h);
    return;
  }
  h->queue = QUEUE_NONE;
  s->evictions++;
  free_list_push(garbage, shard_detach(s, h));
}

static void shard_evict(cache_shard *s, cache_handle **garbage) {
  while (s->used > s->capacity) {
    if (s->small.count && (s->small.bytes > s->small_capacity || s->main.count == 0)) {
      evict_from_small(s, garbage);
    } else if (s->main.count) {
      evict_from_main(s, garbage);
    } else {
      break; /* only pinned entries left */
    }
  }
}

/* --- the cache ------------------------------------------------------------------------------- */

static strata_status *shard_init(cache_shard *s, size_t capacity) {
  memset(s, 0, sizeof *s);
  s->capacity = capacity;
  s->small_capacity = capacity / 100 * SMALL_PERCENT + capacity % 100 * SMALL_PERCENT / 100;
  s->bucket_mask = 63;
  s->buckets = calloc(s->bucket_mask + 1, sizeof *s->buckets);
  size_t ghost_buckets = pow2_at_least(capacity / TYPICAL_BLOCK * 2 / GHOST_WAYS);
  if (ghost_buckets < 16) ghost_buckets = 16;
  if (ghost_buckets > ((size_t)1 << 18)) ghost_buckets = (size_t)1 << 18;
  s->ghost = calloc(ghost_buckets * GHOST_WAYS, sizeof *s->ghost);
  s->ghost_bucket_mask = ghost_buckets - 1;
  if (!s->buckets || !s->ghost) {
    free(s->buckets);
    free(s->ghost);
    return status_no_memory();
  }
  strata_status *st = sync_mutex_init(&s->mu);
  if (st) {
    free(s->buckets);
    free(s->ghost);
  }
  return st;
}

static void shard_destroy(cache_shard *s) {
  cache_handle *garbage = NULL;
  for (size_t i = 0; i <= s->bucket_mask; i++) {
    while (s->buckets[i]) {
      cache_handle *h = s->buckets[i];
      assert(h->refs == 0 && "block_cache_free with a handle still referenced");
      free_list_push(&garbage, shard_detach(s, h));
    }
  }
  free_list_run(garbage);
  free(s->buckets);
  free(s->ghost);
  sync_mutex_destroy(&s->mu);
}

strata_status *block_cache_new(size_t capacity_bytes, unsigned shards, block_cache **out) {
  *out = NULL;
  unsigned n = 1, bits = 0;
  if (shards == 0) {
    while (n < DEFAULT_MAX_SHARDS && capacity_bytes / (n * 2) >= SHARD_MIN_BYTES) n *= 2, bits++;
  } else {
    if (shards > MAX_SHARDS) shards = MAX_SHARDS;
    while (n * 2 <= shards) n *= 2, bits++;
  }
  block_cache *c = calloc(1, sizeof *c);
  if (!c) return status_no_memory();
  c->shards = calloc(n, sizeof *c->shards);
  if (!c->shards) {
    free(c);
    return status_no_memory();
  }
  c->shard_count = n;
  c->shard_bits = bits;
  c->capacity = capacity_bytes;
  for (unsigned i = 0; i < n; i++) {
    strata_status *st = shard_init(&c->shards[i], capacity_bytes / n);
    if (st) {
      while (i--) shard_destroy(&c->shards[i]);
      free(c->shards);
      free(c);
      return st;
    }
  }
  *out = c;
  return NULL;
}

void block_cache_free(block_cache *c) {
  if (!c) return;
  for (unsigned i = 0; i < c->shard_count; i++) shard_destroy(&c->shards[i]);
  free(c->shards);
  free(c);
}

/* The referenced handle of the key, or NULL on a miss (counted); with `take` the entry also
 * leaves the cache (a pinned one stays), its holder keeping it alive until released. */
static STRATA_HOT cache_handle *shard_lookup(block_cache *c, uint64_t file_id, uint64_t offset, int take) {
  uint64_t hash = cache_key_hash(file_id, offset);
  cache_shard *s = shard_of(c, hash);
  sync_mutex_lock(&s->mu);
  cache_handle *first = s->buckets[hash & s->bucket_mask];
  if (first) prefetch_bytes(first, BLOCK_CACHE_WARM_BYTES); /* the value's head with the handle */
  cache_handle *h = *table_slot(s, hash, file_id, offset);
  if (h) {
    h->refs++;
    if (h->freq < FREQ_MAX) h->freq++;
    s->hits++;
    if (take && h->queue != QUEUE_PINNED) (void)shard_detach(s, h); /* referenced: freed on release */
  } else {
    s->misses++;
  }
  sync_mutex_unlock(&s->mu);
  return h;
}

cache_handle *block_cache_lookup(block_cache *c, uint64_t file_id, uint64_t offset) {
  return shard_lookup(c, file_id, offset, 0);
}

cache_handle *block_cache_take(block_cache *c, uint64_t file_id, uint64_t offset) {
  return shard_lookup(c, file_id, offset, 1);
}

static void shard_insert(block_cache *c, cache_handle *h, int pinned);

strata_status *block_cache_insert(block_cache *c, uint64_t file_id, uint64_t offset, void *value, size_t charge,
                                  void (*deleter)(void *value), int pinned, cache_handle **out) {
  *out = NULL;
  /* padded: a lookup's prefetch reads BLOCK_CACHE_WARM_BYTES from any handle */
  cache_handle *h = calloc(1, sizeof *h > BLOCK_CACHE_WARM_BYTES ? sizeof *h : BLOCK_CACHE_WARM_BYTES);
  if (!h) return status_no_memory();
  h->file_id = file_id;
  h->offset = offset;
  h->value = value;
  h->deleter = deleter;
  h->charge = charge;
  shard_insert(c, h, pinned);
  *out = h;
  return NULL;
}

size_t block_cache_handle_size(void) { return sizeof(cache_handle); }

/* A handle in the value's own allocation (block_cache_insert_embedded, block_cache_offer_embedded). */
static cache_handle *embedded_handle(void *handle_mem, uint64_t file_id, uint64_t offset, void *value,
                                     size_t charge, void (*deleter)(void *value)) {
  cache_handle *h = handle_mem;
  memset(h, 0, sizeof *h);
  h->file_id = file_id;
  h->offset = offset;
  h->value = value;
  h->deleter = deleter;
  h->charge = charge;
  h->embedded = 1;
  return h;
}

cache_handle *block_cache_insert_embedded(block_cache *c, uint64_t file_id, uint64_t offset, void *value,
                                          void *handle_mem, size_t charge, void (*deleter)(void *value),
                                          int pinned) {
  cache_handle *h = embedded_handle(handle_mem, file_id, offset, value, charge, deleter);
  shard_insert(c, h, pinned);
  return h;
}

/* Puts h into its table and queue and charges it. Needs s->mu; h's key is not in the table. */
static void shard_place(cache_shard *s, cache_handle *h, int pinned) {
  /* at most one entry per BUCKETS_PER_ENTRY buckets: a lookup that misses mostly finds an empty
   * bucket, and one that hits walks ~1 entry (each a cache miss: entries live in their blocks,
   * spread over the whole cache) */
  if (s->entries * BUCKETS_PER_ENTRY >= s->bucket_mask + 1) table_grow(s);
  cache_handle **slot = table_slot(s, h->hash, h->file_id, h->offset);
  *slot = h;
  h->in_cache = 1;
  s->entries++;
  s->used += h->charge;
  if (pinned) {
    h->queue = QUEUE_PINNED;
    s->pinned += h->charge;
  } else {
    h->queue = ghost_take(s, h->hash) ? QUEUE_MAIN : QUEUE_SMALL;
    fifo_push(h->queue == QUEUE_MAIN ? &s->main : &s->small, h);
  }
}

/* Puts a new handle (key, value, deleter and charge set) into its shard with one reference. */
static void shard_insert(block_cache *c, cache_handle *h, int pinned) {
  h->hash = cache_key_hash(h->file_id, h->offset);
  h->refs = 1;

  cache_shard *s = shard_of(c, h->hash);
  cache_handle *garbage = NULL;
  sync_mutex_lock(&s->mu);
  s->inserts++;
  if (h->charge <= s->capacity && s->capacity > 0) { /* else: handed back uncached, dies on release */
    cache_handle *old = *table_slot(s, h->hash, h->file_id, h->offset);
    if (old) free_list_push(&garbage, shard_detach(s, old));
    shard_place(s, h, pinned);
    shard_evict(s, &garbage);
  }
  sync_mutex_unlock(&s->mu);
  free_list_run(garbage);
}

/* What the shard can still take without evicting. Needs s->mu. */
static size_t shard_room(const cache_shard *s) { return s->used < s->capacity ? s->capacity - s->used : 0; }

size_t block_cache_room(block_cache *c, uint64_t file_id, uint64_t offset) {
  cache_shard *s = shard_of(c, cache_key_hash(file_id, offset));
  sync_mutex_lock(&s->mu);
  size_t room = shard_room(s);
  sync_mutex_unlock(&s->mu);
  return room;
}

int block_cache_offer_embedded(block_cache *c, uint64_t file_id, uint64_t offset, void *value, void *handle_mem,
                               size_t charge, void (*deleter)(void *value)) {
  cache_handle *h = embedded_handle(handle_mem, file_id, offset, value, charge, deleter);
  h->hash = cache_key_hash(file_id, offset);
  cache_shard *s = shard_of(c, h->hash);
  sync_mutex_lock(&s->mu);
  int kept = charge <= shard_room(s) && !*table_slot(s, h->hash, file_id, offset);
  if (kept) {
    s->inserts++;
    shard_place(s, h, 0); /* no reference: nobody holds it yet */
  }
  sync_mutex_unlock(&s->mu);
  return kept;
}

void *cache_handle_value(const cache_handle *h) { return h->value; }

void block_cache_release(block_cache *c, cache_handle *h) {
  if (!h) return;
  cache_shard *s = shard_of(c, h->hash);
  sync_mutex_lock(&s->mu);
  assert(h->refs > 0);
  int dead = --h->refs == 0 && !h->in_cache;
  sync_mutex_unlock(&s->mu);
  if (dead) {
    h->chain = NULL;
    free_list_run(h);
  }
}

void block_cache_erase_file(block_cache *c, uint64_t file_id) {
  for (unsigned i = 0; i < c->shard_count; i++) {
    cache_shard *s = &c->shards[i];
    cache_handle *garbage = NULL;
    sync_mutex_lock(&s->mu);
    for (size_t b = 0; b <= s->bucket_mask; b++) {
      cache_handle *h = s->buckets[b];
      while (h) {
        cache_handle *next = h->chain;
        if (h->file_id == file_id) free_list_push(&garbage, shard_detach(s, h));
        h = next;
      }
    }
    sync_mutex_unlock(&s->mu);
    free_list_run(garbage);
  }
}

block_cache_stats block_cache_get_stats(block_cache *c) {
  block_cache_stats st;
  memset(&st, 0, sizeof st);
  st.capacity_bytes = c->capacity;
  for (unsigned i = 0; i < c->shard_count; i++) {
    cache_shard *s = &c->shards[i];
    sync_mutex_lock(&s->mu);
    st.hits += s->hits;
    st.misses += s->misses;
    st.inserts += s->inserts;
    st.evictions += s->evictions;
    st.used_bytes += s->used;
    st.pinned_bytes += s->pinned;
    st.entries += s->entries;
    sync_mutex_unlock(&s->mu);
  }
  return st;
}
