/*
 * file_cache.c -- open objects by id: a chained hash table, an LRU list of idle entries, one
 * mutex. Referenced entries are in no list, so eviction only ever sees idle ones; an entry
 * forgotten by file_cache_evict while referenced leaves the table and closes on release.
 * Callbacks run outside the lock: victims are collected on a list and closed after unlocking.
 */
#include "file_cache.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "../util/sync.h"

struct file_cache_handle {
  uint64_t file_id;
  void *object;
  uint32_t refs;
  int in_table;
  file_cache_handle *chain;      /* bucket chain; after removal, the to-close list */
  file_cache_handle *prev, *next; /* LRU of idle entries, head = least recently used */
};

struct file_cache {
  sync_mutex mu;
  size_t capacity;
  file_cache_open_fn open_fn;
  file_cache_close_fn close_fn;
  void *ctx;
  file_cache_handle **buckets;
  size_t bucket_mask, entries;
  file_cache_handle *lru_head, *lru_tail;
  size_t open;
  uint64_t hits, misses, opens, closes;
};

static size_t bucket_of(const file_cache *c, uint64_t id) {
  return (size_t)((id * 0x9E3779B97F4A7C15ull) >> 32) & c->bucket_mask;
}

static file_cache_handle **table_slot(file_cache *c, uint64_t id) {
  file_cache_handle **p = &c->buckets[bucket_of(c, id)];
  while (*p && (*p)->file_id != id) p = &(*p)->chain;
  return p;
}

static void table_grow(file_cache *c) {
  size_t n = (c->bucket_mask + 1) * 2;
  file_cache_handle **grown = calloc(n, sizeof *grown);
  if (!grown) return; /* longer chains, still correct */
  size_t old_mask = c->bucket_mask;
  file_cache_handle **old = c->buckets;
  c->buckets = grown;
  c->bucket_mask = n - 1;
  for (size_t i = 0; i <= old_mask; i++) {
    while (old[i]) {
      file_cache_handle *h = old[i];
      old[i] = h->chain;
      size_t b = bucket_of(c, h->file_id);
      h->chain = grown[b];
      grown[b] = h;
    }
  }
  free(old);
}

static void lru_push(file_cache *c, file_cache_handle *h) {
  h->next = NULL;
  h->prev = c->lru_tail;
  if (c->lru_tail) c->lru_tail->next = h;
  else c->lru_head = h;
  c->lru_tail = h;
}

static void lru_remove(file_cache *c, file_cache_handle *h) {
  if (h->prev) h->prev->next = h->next;
  else c->lru_head = h->next;
  if (h->next) h->next->prev = h->prev;
  else c->lru_tail = h->prev;
  h->prev = h->next = NULL;
}

static void table_remove(file_cache *c, file_cache_handle *h) {
  file_cache_handle **p = table_slot(c, h->file_id);
  assert(*p == h);
  *p = h->chain;
  h->chain = NULL;
  h->in_table = 0;
  c->entries--;
}

/* Moves idle entries onto *victims (closed by the caller after unlocking) until `room` more
 * files fit under the bound, or nothing idle is left. */
static void trim(file_cache *c, size_t room, file_cache_handle **victims) {
  while (c->open + room > c->capacity && c->lru_head) {
    file_cache_handle *h = c->lru_head;
    lru_remove(c, h);
    table_remove(c, h);
    c->open--;
    c->closes++;
    h->chain = *victims;
    *victims = h;
  }
}

static void close_all(file_cache *c, file_cache_handle *victims) {
  while (victims) {
    file_cache_handle *next = victims->chain;
    c->close_fn(c->ctx, victims->file_id, victims->object);
    free(victims);
    victims = next;
  }
}

strata_status *file_cache_new(size_t max_open, file_cache_open_fn open_fn, file_cache_close_fn close_fn, void *ctx,
                              file_cache **out) {
  *out = NULL;
  if (!open_fn || !close_fn) return status_new(STRATA_INVALID_ARGUMENT, "file cache: open and close callbacks needed");
  file_cache *c = calloc(1, sizeof *c);
  if (!c) return status_no_memory();
  c->capacity = max_open;
  c->open_fn = open_fn;
  c->close_fn = close_fn;
  c->ctx = ctx;
  c->bucket_mask = 63;
  c->buckets = calloc(c->bucket_mask + 1, sizeof *c->buckets);
  if (!c->buckets) {
    free(c);
    return status_no_memory();
  }
  strata_status *st = sync_mutex_init(&c->mu);
  if (st) {
    free(c->buckets);
    free(c);
    return st;
  }
  *out = c;
  return NULL;
}

void file_cache_free(file_cache *c) {
  if (!c) return;
  file_cache_handle *victims = NULL;
  for (size_t i = 0; i <= c->bucket_mask; i++) {
    while (c->buckets[i]) {
      file_cache_handle *h = c->buckets[i];
      assert(h->refs == 0 && "file_cache_free with a handle still referenced");
      lru_remove(c, h);
      table_remove(c, h);
      h->chain = victims;
      victims = h;
    }
  }
  close_all(c, victims);
  free(c->buckets);
  sync_mutex_destroy(&c->mu);
  free(c);
}

/* Takes a reference on an entry found in the table (lock held). */
static void take_ref(file_cache *c, file_cache_handle *h) {
  sync_mutex_assert_held(&c->mu);
  if (h->refs++ == 0) lru_remove(c, h);
}

strata_status *file_cache_get(file_cache *c, uint64_t file_id, file_cache_handle **out) {
  *out = NULL;
  sync_mutex_lock(&c->mu);
  file_cache_handle *h = *table_slot(c, file_id);
  if (h) {
    take_ref(c, h);
    c->hits++;
    sync_mutex_unlock(&c->mu);
    *out = h;
    return NULL;
  }
  c->misses++;
  file_cache_handle *victims = NULL;
  trim(c, 1, &victims); /* close before opening, so the count never passes the bound */
  sync_mutex_unlock(&c->mu);
  close_all(c, victims);
  victims = NULL;

  void *object = NULL;
  strata_status *st = c->open_fn(c->ctx, file_id, &object);
  if (st) return status_wrap(st, "file cache: opening file %" PRIu64, file_id);
  file_cache_handle *fresh = calloc(1, sizeof *fresh);
  if (!fresh) {
    c->close_fn(c->ctx, file_id, object);
    return status_no_memory();
  }
  fresh->file_id = file_id;
  fresh->object = object;
  fresh->refs = 1;

  sync_mutex_lock(&c->mu);
  c->opens++;
  h = *table_slot(c, file_id);
  if (h) { /* another thread opened it meanwhile: use theirs, close ours */
    take_ref(c, h);
    c->closes++;
    fresh->chain = victims;
    victims = fresh;
  } else {
    if (c->entries > c->bucket_mask) table_grow(c);
    file_cache_handle **slot = table_slot(c, file_id);
    *slot = fresh;
    fresh->in_table = 1;
    c->entries++;
    c->open++;
    h = fresh;
    trim(c, 0, &victims); /* others may have opened files meanwhile */
  }
  sync_mutex_unlock(&c->mu);
  close_all(c, victims);
  *out = h;
  return NULL;
}

void *file_cache_handle_object(const file_cache_handle *h) { return h->object; }

void file_cache_release(file_cache *c, file_cache_handle *h) {
  if (!h) return;
  file_cache_handle *victims = NULL;
  sync_mutex_lock(&c->mu);
  assert(h->refs > 0);
  if (--h->refs == 0) {
    if (h->in_table) {
      lru_push(c, h);
      trim(c, 0, &victims); /* the bound may have been exceeded while everything was in use */
    } else { /* evicted while in use */
      c->open--;
      c->closes++;
      victims = h;
    }
  }
  sync_mutex_unlock(&c->mu);
  close_all(c, victims);
}

void file_cache_evict(file_cache *c, uint64_t file_id) {
  file_cache_handle *victims = NULL;
  sync_mutex_lock(&c->mu);
  file_cache_handle *h = *table_slot(c, file_id);
  if (h) {
    table_remove(c, h);
    if (h->refs == 0) {
      lru_remove(c, h);
      c->open--;
      c->closes++;
      victims = h;
    }
  }
  sync_mutex_unlock(&c->mu);
  close_all(c, victims);
}

file_cache_stats file_cache_get_stats(file_cache *c) {
  sync_mutex_lock(&c->mu);
  file_cache_stats st = {c->hits, c->misses, c->opens, c->closes, c->open, c->capacity};
  sync_mutex_unlock(&c->mu);
  return st;
}

strata_status *file_cache_vfs_open(void *ctx, uint64_t file_id, void **out) {
  const file_cache_vfs_dir *d = ctx;
  char name[24];
  snprintf(name, sizeof name, "%" PRIu64, file_id);
  char *path = vfs_path_join(d->dir, name);
  if (!path) return status_no_memory();
  vfs_file *f = NULL;
  strata_status *st = vfs_open(d->fs, path, VFS_OPEN_READ, &f);
  free(path);
  *out = f;
  return st;
}

void file_cache_vfs_close(void *ctx, uint64_t file_id, void *object) {
  (void)ctx;
  (void)file_id;
  /* read-only: a failed close loses nothing */
  strata_status_free(vfs_file_close(object));
}
