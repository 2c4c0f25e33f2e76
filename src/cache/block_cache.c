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

#include "../util/sync.h"

#define FREQ_MAX 3
#define GHOST_WAYS 4
#define SMALL_PERCENT 10
#define SHARD_MIN_BYTES ((size_t)1 << 20) /* default sharding keeps shards at least 1 MiB */
#define DEFAULT_MAX_SHARDS 16
#define MAX_SHARDS 256
#define TYPICAL_BLOCK 4096
#define BUCKETS_PER_ENTRY 4
#define FIRST_SLOTS 64
#define NIL UINT32_MAX

enum { QUEUE_FREE, QUEUE_NONE, QUEUE_SMALL, QUEUE_MAIN, QUEUE_PINNED }; /* NONE: being evicted */

/*
 * The handle is what callers hold; it lives in (or beside) its block, so touching it is a cache
 * miss. Everything eviction and the hash table need lives in the shard's slot array instead:
 * dense, so walking a chain, following the FIFO's neighbours or aging main's head touches a few
 * hot cache lines rather than one cold block each.
 */
struct cache_handle {
  uint64_t hash;
  void *value;
  void (*deleter)(void *value);
  cache_handle *garbage; /* the to-free list, once detached */
  uint32_t refs;
  uint8_t in_cache;
  uint8_t embedded; /* lives inside its value (block_cache_insert_embedded): the deleter frees it */
};

/* One cached entry's bookkeeping, or a free slot (queue QUEUE_FREE, chain = next free). */
typedef struct cache_slot {
  uint64_t file_id;
  uint64_t offset;
  cache_handle *h;
  size_t charge;
  uint32_t chain;      /* next slot in the same bucket */
  uint32_t prev, next; /* FIFO links, head = oldest */
  uint8_t freq;
  uint8_t queue;
} cache_slot;

typedef struct cache_fifo {
  uint32_t head, tail;
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
  uint32_t *buckets; /* slot index of each chain's first entry, NIL if none */
  size_t bucket_mask, entries;
  cache_slot *slots;
  uint32_t slot_count, free_slot;
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

/* --- FIFOs (shard lock held) ----------------------------------------------------------------- */

static void fifo_push(cache_shard *s, cache_fifo *q, uint32_t i) {
  cache_slot *e = &s->slots[i];
  e->next = NIL;
  e->prev = q->tail;
  if (q->tail != NIL) s->slots[q->tail].next = i;
  else q->head = i;
  q->tail = i;
  q->bytes += e->charge;
  q->count++;
}

static void fifo_remove(cache_shard *s, cache_fifo *q, uint32_t i) {
  cache_slot *e = &s->slots[i];
  if (e->prev != NIL) s->slots[e->prev].next = e->next;
  else q->head = e->next;
  if (e->next != NIL) s->slots[e->next].prev = e->prev;
  else q->tail = e->prev;
  e->prev = e->next = NIL;
  q->bytes -= e->charge;
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

/* --- hash table and slots (shard lock held) -------------------------------------------------- */

/* The link that holds the key's slot index (NIL at the end of its chain if absent). */
static uint32_t *table_link(cache_shard *s, uint64_t hash, uint64_t file_id, uint64_t offset) {
  uint32_t *p = &s->buckets[hash & s->bucket_mask];
  while (*p != NIL && (s->slots[*p].file_id != file_id || s->slots[*p].offset != offset)) p = &s->slots[*p].chain;
  return p;
}

/* Doubles the bucket array; on allocation failure chains just grow longer. */
static void table_grow(cache_shard *s) {
  size_t n = (s->bucket_mask + 1) * 2;
  uint32_t *grown = malloc(n * sizeof *grown);
  if (!grown) return;
  for (size_t b = 0; b < n; b++) grown[b] = NIL;
  for (uint32_t i = 0; i < s->slot_count; i++) {
    cache_slot *e = &s->slots[i];
    if (e->queue == QUEUE_FREE) continue;
    size_t b = cache_key_hash(e->file_id, e->offset) & (n - 1);
    e->chain = grown[b];
    grown[b] = i;
  }
  free(s->buckets);
  s->buckets = grown;
  s->bucket_mask = n - 1;
}

/* A free slot's index, growing the array if none is left; NIL when out of memory. */
static uint32_t slot_alloc(cache_shard *s) {
  if (s->free_slot == NIL) {
    uint32_t n = s->slot_count ? s->slot_count * 2 : FIRST_SLOTS;
    if (n <= s->slot_count || n == NIL) return NIL;
    cache_slot *grown = realloc(s->slots, (size_t)n * sizeof *grown);
    if (!grown) return NIL;
    for (uint32_t i = n; i-- > s->slot_count;) {
      grown[i].queue = QUEUE_FREE;
      grown[i].chain = s->free_slot;
      s->free_slot = i;
    }
    s->slots = grown;
    s->slot_count = n;
  }
  uint32_t i = s->free_slot;
  s->free_slot = s->slots[i].chain;
  return i;
}

/* Takes slot i's entry out of the cache (table, queue, charge) and frees the slot. Returns its
 * handle if that is now garbage. */
static cache_handle *shard_detach(cache_shard *s, uint32_t i) {
  cache_slot *e = &s->slots[i];
  cache_handle *h = e->h; /* touched last: it lives in a cold block */
  uint32_t *p = table_link(s, cache_key_hash(e->file_id, e->offset), e->file_id, e->offset);
  assert(*p == i);
  *p = e->chain;
  if (e->queue == QUEUE_SMALL) fifo_remove(s, &s->small, i);
  else if (e->queue == QUEUE_MAIN) fifo_remove(s, &s->main, i);
  else if (e->queue == QUEUE_PINNED) s->pinned -= e->charge;
  s->used -= e->charge;
  s->entries--;
  e->queue = QUEUE_FREE;
  e->h = NULL;
  e->chain = s->free_slot;
  s->free_slot = i;
  h->in_cache = 0;
  return h->refs == 0 ? h : NULL;
}

static void free_list_push(cache_handle **list, cache_handle *h) {
  if (!h) return;
  h->garbage = *list;
  *list = h;
}

static void free_list_run(cache_handle *list) {
  while (list) {
    cache_handle *next = list->garbage;
    int embedded = list->embedded;
    if (list->deleter) list->deleter(list->value); /* frees an embedded handle with its value */
    if (!embedded) free(list);
    list = next;
  }
}

/* --- eviction (shard lock held) -------------------------------------------------------------- */

static void evict_from_small(cache_shard *s, cache_handle **garbage) {
  uint32_t i = s->small.head;
  cache_slot *e = &s->slots[i];
  fifo_remove(s, &s->small, i);
  if (e->freq > 0) { /* hit again while on probation: it earns a place in main */
    e->freq = 0;
    e->queue = QUEUE_MAIN;
    fifo_push(s, &s->main, i);
    return;
  }
  e->queue = QUEUE_NONE; /* already out of its queue */
  ghost_add(s, cache_key_hash(e->file_id, e->offset));
  s->evictions++;
  free_list_push(garbage, shard_detach(s, i));
}

static void evict_from_main(cache_shard *s, cache_handle **garbage) {
  uint32_t i = s->main.head;
  cache_slot *e = &s->slots[i];
  fifo_remove(s, &s->main, i);
  if (e->freq > 0) {
    e->freq--;
    fifo_push(s, &s->main, i);
    return;
  }
  e->queue = QUEUE_NONE;
  s->evictions++;
  free_list_push(garbage, shard_detach(s, i));
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
  s->small.head = s->small.tail = s->main.head = s->main.tail = NIL;
  s->free_slot = NIL;
  s->bucket_mask = 63;
  s->buckets = malloc((s->bucket_mask + 1) * sizeof *s->buckets);
  size_t ghost_buckets = pow2_at_least(capacity / TYPICAL_BLOCK * 2 / GHOST_WAYS);
  if (ghost_buckets < 16) ghost_buckets = 16;
  if (ghost_buckets > ((size_t)1 << 18)) ghost_buckets = (size_t)1 << 18;
  /* a bucket (4 ways of 16 bytes) in one cache line, not straddling two */
  size_t ghost_bytes = ghost_buckets * GHOST_WAYS * sizeof *s->ghost;
  s->ghost = aligned_alloc(GHOST_WAYS * sizeof *s->ghost, ghost_bytes);
  if (s->ghost) memset(s->ghost, 0, ghost_bytes);
  s->ghost_bucket_mask = ghost_buckets - 1;
  if (!s->buckets || !s->ghost) {
    free(s->buckets);
    free(s->ghost);
    return status_no_memory();
  }
  for (size_t b = 0; b <= s->bucket_mask; b++) s->buckets[b] = NIL;
  strata_status *st = sync_mutex_init(&s->mu);
  if (st) {
    free(s->buckets);
    free(s->ghost);
  }
  return st;
}

static void shard_destroy(cache_shard *s) {
  cache_handle *garbage = NULL;
  for (uint32_t i = 0; i < s->slot_count; i++) {
    if (s->slots[i].queue == QUEUE_FREE) continue;
    assert(s->slots[i].h->refs == 0 && "block_cache_free with a handle still referenced");
    free_list_push(&garbage, shard_detach(s, i));
  }
  free_list_run(garbage);
  free(s->buckets);
  free(s->slots);
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

cache_handle *block_cache_lookup(block_cache *c, uint64_t file_id, uint64_t offset) {
  uint64_t hash = cache_key_hash(file_id, offset);
  cache_shard *s = shard_of(c, hash);
  cache_handle *h = NULL;
  sync_mutex_lock(&s->mu);
  uint32_t i = *table_link(s, hash, file_id, offset);
  if (i != NIL) {
    cache_slot *e = &s->slots[i];
    h = e->h;
    h->refs++;
    if (e->freq < FREQ_MAX) e->freq++;
    s->hits++;
  } else {
    s->misses++;
  }
  sync_mutex_unlock(&s->mu);
  return h;
}

static void shard_insert(block_cache *c, cache_handle *h, uint64_t file_id, uint64_t offset, size_t charge,
                         int pinned);

strata_status *block_cache_insert(block_cache *c, uint64_t file_id, uint64_t offset, void *value, size_t charge,
                                  void (*deleter)(void *value), int pinned, cache_handle **out) {
  *out = NULL;
  cache_handle *h = calloc(1, sizeof *h);
  if (!h) return status_no_memory();
  h->value = value;
  h->deleter = deleter;
  shard_insert(c, h, file_id, offset, charge, pinned);
  *out = h;
  return NULL;
}

size_t block_cache_handle_size(void) { return sizeof(cache_handle); }

cache_handle *block_cache_insert_embedded(block_cache *c, uint64_t file_id, uint64_t offset, void *value,
                                          void *handle_mem, size_t charge, void (*deleter)(void *value),
                                          int pinned) {
  cache_handle *h = handle_mem;
  memset(h, 0, sizeof *h);
  h->value = value;
  h->deleter = deleter;
  h->embedded = 1;
  shard_insert(c, h, file_id, offset, charge, pinned);
  return h;
}

/* Puts a new handle (value and deleter set) into its shard with one reference. */
static void shard_insert(block_cache *c, cache_handle *h, uint64_t file_id, uint64_t offset, size_t charge,
                         int pinned) {
  h->hash = cache_key_hash(file_id, offset);
  h->refs = 1;

  cache_shard *s = shard_of(c, h->hash);
  cache_handle *garbage = NULL;
  sync_mutex_lock(&s->mu);
  s->inserts++;
  /* an entry that cannot fit, or no slot left (out of memory), is handed back uncached: it dies
   * on release */
  if (charge <= s->capacity && s->capacity > 0) {
    uint32_t old = *table_link(s, h->hash, file_id, offset);
    if (old != NIL) free_list_push(&garbage, shard_detach(s, old));
    uint32_t i = slot_alloc(s);
    if (i != NIL) {
      /* at most one entry per BUCKETS_PER_ENTRY buckets: a lookup that misses mostly finds an
       * empty bucket, and one that hits walks ~1 slot */
      if (s->entries * BUCKETS_PER_ENTRY >= s->bucket_mask + 1) table_grow(s);
      uint32_t *link = table_link(s, h->hash, file_id, offset);
      cache_slot *e = &s->slots[i];
      e->file_id = file_id;
      e->offset = offset;
      e->h = h;
      e->charge = charge;
      e->chain = NIL;
      e->freq = 0;
      *link = i;
      h->in_cache = 1;
      s->entries++;
      s->used += charge;
      if (pinned) {
        e->queue = QUEUE_PINNED;
        s->pinned += charge;
      } else {
        e->queue = ghost_take(s, h->hash) ? QUEUE_MAIN : QUEUE_SMALL;
        fifo_push(s, e->queue == QUEUE_MAIN ? &s->main : &s->small, i);
      }
      shard_evict(s, &garbage);
    }
  }
  sync_mutex_unlock(&s->mu);
  free_list_run(garbage);
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
    h->garbage = NULL;
    free_list_run(h);
  }
}

void block_cache_erase_file(block_cache *c, uint64_t file_id) {
  for (unsigned n = 0; n < c->shard_count; n++) {
    cache_shard *s = &c->shards[n];
    cache_handle *garbage = NULL;
    sync_mutex_lock(&s->mu);
    for (uint32_t i = 0; i < s->slot_count; i++) {
      if (s->slots[i].queue != QUEUE_FREE && s->slots[i].file_id == file_id)
        free_list_push(&garbage, shard_detach(s, i));
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
