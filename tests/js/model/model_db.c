/*
 * model_db.c -- a TEST DOUBLE of the database part of strata.h, linked only into the test module
 * build/<wasm>/js-model/strata.mjs (never into the package). It lets the JS tests exercise the
 * binding (bindings/js/c + bindings/js/src) before the real database layer exists: a sorted
 * array of versions (key, seqno, tombstone, value) with snapshots by seqno, range iterators,
 * the folder lock through the VFS, and persistence by rewriting one file (DATA) on flush/close
 * and on every sync write. No tables, no journal, no compaction: linear scans everywhere.
 */
#include <stdlib.h>
#include <string.h>

#include "strata.h"
#include "util/buffer.h"
#include "util/coding.h"
#include "vfs/vfs.h"

struct strata_options {
  int create_if_missing, error_if_exists, sync;
  uint64_t memtable_size;
  vfs *v;
};

typedef struct version {
  uint8_t *key;
  size_t klen;
  uint64_t seqno;
  int del;
  uint8_t *value;
  size_t vlen;
} version;

struct strata_db {
  vfs *v;
  vfs_lock *lock;
  char *dir;
  int sync;
  version *items; /* key ascending, seqno descending */
  size_t count, cap;
  uint64_t seqno; /* the next seqno */
  uint64_t user_bytes, flushes;
  /* "Sealed memtables": every memtable_size bytes written seal one; maintenance steps persist
   * them one per step, so the binding's scheduling of steps between requests can be observed. */
  uint64_t memtable_size, unsealed_bytes;
  uint32_t sealed;
  uint32_t snapshots;
};

struct strata_snapshot {
  uint64_t seqno;
};

struct strata_batch {
  buffer ops; /* u8 del, u32 klen, key, u32 vlen, value */
  size_t count;
};

struct strata_iterator {
  strata_db *db;
  uint64_t seqno;
  strata_range r;
  uint8_t *lo, *hi;
  long pos; /* >= 0 while positioned (then cur is the current key) */
  uint8_t *cur;
  size_t cur_len;
};

strata_status *strata_options_new(strata_options **out) {
  *out = calloc(1, sizeof **out);
  if (!*out) return status_no_memory();
  (*out)->create_if_missing = 1;
  return NULL;
}
void strata_options_free(strata_options *o) { free(o); }
void strata_options_set_create_if_missing(strata_options *o, int on) { o->create_if_missing = on; }
void strata_options_set_error_if_exists(strata_options *o, int on) { o->error_if_exists = on; }
void strata_options_set_memtable_size(strata_options *o, uint64_t b) { o->memtable_size = b; }
void strata_options_set_block_cache_size(strata_options *o, uint64_t b) { (void)o; (void)b; }
void strata_options_set_compression(strata_options *o, strata_compression c) { (void)o; (void)c; }
void strata_options_set_bloom_bits_per_key(strata_options *o, double b) { (void)o; (void)b; }
void strata_options_set_sync(strata_options *o, int on) { o->sync = on; }
void strata_options_set_background_threads(strata_options *o, int on) { (void)o; (void)on; }
void strata_options_set_vfs(strata_options *o, struct vfs *v) { o->v = v; }

static int cmp_keys(const uint8_t *a, size_t al, const uint8_t *b, size_t bl) {
  int c = memcmp(a, b, al < bl ? al : bl);
  if (c) return c;
  return al < bl ? -1 : al > bl;
}

static strata_status *insert(strata_db *db, const void *key, size_t klen, int del, const void *value, size_t vlen,
                             uint64_t seqno) {
  if (klen > STRATA_KEY_MAX) return status_new(STRATA_INVALID_ARGUMENT, "key of %zu bytes is too long", klen);
  if (db->count == db->cap) {
    size_t cap = db->cap ? db->cap * 2 : 64;
    version *grown = realloc(db->items, cap * sizeof *grown);
    if (!grown) return status_no_memory();
    db->items = grown;
    db->cap = cap;
  }
  size_t i = 0;
  while (i < db->count && cmp_keys(db->items[i].key, db->items[i].klen, key, klen) < 0) i++;
  version v = {malloc(klen + 1), klen, seqno, del, malloc(vlen + 1), vlen};
  if (!v.key || !v.value) {
    free(v.key);
    free(v.value);
    return status_no_memory();
  }
  if (klen) memcpy(v.key, key, klen);
  if (vlen) memcpy(v.value, value, vlen);
  memmove(db->items + i + 1, db->items + i, (db->count - i) * sizeof *db->items);
  db->items[i] = v;
  db->count++;
  db->user_bytes += klen + vlen;
  db->unsealed_bytes += klen + vlen;
  if (db->unsealed_bytes >= db->memtable_size) {
    db->unsealed_bytes = 0;
    db->sealed++;
  }
  return NULL;
}

/* Writes the latest live value of every key to DATA (atomically, through vfs_replace). */
static strata_status *persist(strata_db *db) {
  buffer b;
  buffer_init(&b);
  strata_status *st = NULL;
  for (size_t i = 0; i < db->count && !st; i++) {
    if (i > 0 && !cmp_keys(db->items[i].key, db->items[i].klen, db->items[i - 1].key, db->items[i - 1].klen)) continue;
    if (db->items[i].del) continue;
    uint8_t len[4];
    encode_fixed32(len, (uint32_t)db->items[i].klen);
    st = buffer_append(&b, len, 4);
    if (!st) st = buffer_append(&b, db->items[i].key, db->items[i].klen);
    encode_fixed32(len, (uint32_t)db->items[i].vlen);
    if (!st) st = buffer_append(&b, len, 4);
    if (!st) st = buffer_append(&b, db->items[i].value, db->items[i].vlen);
  }
  char *path = vfs_path_join(db->dir, "DATA");
  if (!st && !path) st = status_no_memory();
  if (!st) st = vfs_replace(db->v, path, b.data ? (const void *)b.data : "", b.len);
  free(path);
  buffer_free(&b);
  return st;
}

static void db_free(strata_db *db) {
  for (size_t i = 0; i < db->count; i++) {
    free(db->items[i].key);
    free(db->items[i].value);
  }
  free(db->items);
  free(db->dir);
  free(db);
}

strata_status *strata_open(const char *path, const strata_options *o, strata_db **out) {
  strata_db *db = calloc(1, sizeof *db);
  if (!db) return status_no_memory();
  db->v = o->v;
  db->sync = o->sync;
  db->memtable_size = o->memtable_size ? o->memtable_size : 64u << 20;
  db->seqno = 1;
  db->dir = vfs_path_join(path, "");
  if (db->dir) db->dir[strlen(db->dir) - 1] = 0; /* a copy of path */
  char *data = vfs_path_join(path, "DATA"), *lockp = vfs_path_join(path, "LOCK");
  strata_status *st = (!db->dir || !data || !lockp) ? status_no_memory() : NULL;
  int exists = 0, is_dir = 0;
  if (!st) st = vfs_exists(db->v, path, &exists, &is_dir);
  if (!st && !exists && !o->create_if_missing) st = status_new(STRATA_NOT_FOUND, "%s does not exist (createIfMissing is off)", path);
  if (!st && !exists) st = vfs_mkdir(db->v, path);
  if (!st) st = vfs_lock_acquire(db->v, lockp, &db->lock);
  if (!st) st = vfs_exists(db->v, data, &exists, &is_dir);
  if (!st && exists && o->error_if_exists) st = status_new(STRATA_EXISTS, "%s: a database exists", path);
  if (!st && exists) {
    buffer b;
    buffer_init(&b);
    st = vfs_read_file(db->v, data, &b);
    for (size_t pos = 0; !st && pos < b.len;) {
      if (b.len - pos < 4) { st = status_new(STRATA_CORRUPTION, "%s: truncated", data); break; }
      uint32_t kl = decode_fixed32(b.data + pos);
      if (b.len - pos - 4 < kl + 4ull) { st = status_new(STRATA_CORRUPTION, "%s: truncated", data); break; }
      const uint8_t *k = b.data + pos + 4;
      uint32_t vl = decode_fixed32(k + kl);
      if (b.len - pos - 8 - kl < vl) { st = status_new(STRATA_CORRUPTION, "%s: truncated", data); break; }
      st = insert(db, k, kl, 0, k + kl + 4, vl, db->seqno++);
      pos += 8 + (size_t)kl + vl;
    }
    buffer_free(&b);
  }
  free(data);
  free(lockp);
  if (st) {
    if (db->lock) strata_status_free(vfs_lock_release(db->v, db->lock));
    db_free(db);
    return st;
  }
  *out = db;
  return NULL;
}

strata_status *strata_close(strata_db *db) {
  strata_status *st = persist(db);
  strata_status *lst = vfs_lock_release(db->v, db->lock);
  if (!st) st = lst;
  else strata_status_free(lst);
  db_free(db);
  return st;
}

strata_status *strata_put(strata_db *db, const void *key, size_t klen, const void *value, size_t vlen, int sync) {
  STATUS_TRY(insert(db, key, klen, 0, value, vlen, db->seqno++));
  return (sync || db->sync) ? persist(db) : NULL;
}

strata_status *strata_delete(strata_db *db, const void *key, size_t klen, int sync) {
  STATUS_TRY(insert(db, key, klen, 1, "", 0, db->seqno++));
  return (sync || db->sync) ? persist(db) : NULL;
}

/* The newest version of key visible at seqno, or -1. */
static long visible(const strata_db *db, const void *key, size_t klen, uint64_t seqno) {
  for (size_t i = 0; i < db->count; i++)
    if (!cmp_keys(db->items[i].key, db->items[i].klen, key, klen) && db->items[i].seqno < seqno) return (long)i;
  return -1;
}

strata_status *strata_get_into(strata_db *db, const strata_snapshot *snap, const void *key, size_t klen, int *found,
                               void *buf, size_t cap, size_t *vlen) {
  long i = visible(db, key, klen, snap ? snap->seqno : UINT64_MAX);
  *found = i >= 0 && !db->items[i].del;
  *vlen = 0;
  if (*found) {
    *vlen = db->items[i].vlen;
    memcpy(buf, db->items[i].value, *vlen < cap ? *vlen : cap);
  }
  return NULL;
}

strata_status *strata_batch_new(strata_batch **out) {
  *out = calloc(1, sizeof **out);
  if (!*out) return status_no_memory();
  buffer_init(&(*out)->ops);
  return NULL;
}
void strata_batch_free(strata_batch *b) {
  if (!b) return;
  buffer_free(&b->ops);
  free(b);
}
static strata_status *batch_add(strata_batch *b, int del, const void *key, size_t klen, const void *value, size_t vlen) {
  uint8_t hdr[5];
  hdr[0] = (uint8_t)del;
  encode_fixed32(hdr + 1, (uint32_t)klen);
  STATUS_TRY(buffer_append(&b->ops, hdr, 5));
  STATUS_TRY(buffer_append(&b->ops, key, klen));
  encode_fixed32(hdr, (uint32_t)vlen);
  STATUS_TRY(buffer_append(&b->ops, hdr, 4));
  STATUS_TRY(buffer_append(&b->ops, value, vlen));
  b->count++;
  return NULL;
}
strata_status *strata_batch_put(strata_batch *b, const void *key, size_t klen, const void *value, size_t vlen) {
  return batch_add(b, 0, key, klen, value, vlen);
}
strata_status *strata_batch_delete(strata_batch *b, const void *key, size_t klen) {
  return batch_add(b, 1, key, klen, "", 0);
}
strata_status *strata_write(strata_db *db, strata_batch *b, int sync) {
  uint64_t seqno = db->seqno++;
  for (size_t pos = 0; pos < b->ops.len;) {
    const uint8_t *p = b->ops.data + pos;
    uint32_t kl = decode_fixed32(p + 1), vl = decode_fixed32(p + 5 + kl);
    long old = visible(db, p + 5, kl, seqno + 1);
    if (old >= 0 && db->items[old].seqno == seqno) { /* a later op on the same key in this batch wins */
      free(db->items[old].key);
      free(db->items[old].value);
      memmove(db->items + old, db->items + old + 1, (db->count - (size_t)old - 1) * sizeof *db->items);
      db->count--;
    }
    STATUS_TRY(insert(db, p + 5, kl, p[0], p + 9 + kl, vl, seqno));
    pos += 9 + (size_t)kl + vl;
  }
  return (sync || db->sync) ? persist(db) : NULL;
}

strata_status *strata_snapshot_acquire(strata_db *db, strata_snapshot **out) {
  *out = malloc(sizeof **out);
  if (!*out) return status_no_memory();
  (*out)->seqno = db->seqno;
  db->snapshots++;
  return NULL;
}
void strata_snapshot_release(strata_snapshot *snap) { free(snap); }

static int in_range(const strata_iterator *it, const uint8_t *k, size_t kl) {
  const strata_range *r = &it->r;
  if (r->lo_kind != STRATA_UNBOUNDED) {
    int c = cmp_keys(k, kl, it->lo, r->lo_len);
    if (c < 0 || (c == 0 && r->lo_kind == STRATA_EXCLUDED)) return 0;
  }
  if (r->hi_kind != STRATA_UNBOUNDED) {
    int c = cmp_keys(k, kl, it->hi, r->hi_len);
    if (c > 0 || (c == 0 && r->hi_kind == STRATA_EXCLUDED)) return 0;
  }
  return 1;
}

/* Index of the newest version visible to it of the key at index i if it is live and in range. */
static long live_at(const strata_iterator *it, size_t i) {
  const version *v = &it->db->items[i];
  long n = visible(it->db, v->key, v->klen, it->seqno);
  if (n < 0 || (size_t)n != i || v->del || !in_range(it, v->key, v->klen)) return -1;
  return n;
}

strata_status *strata_iterator_new(strata_db *db, const strata_snapshot *snap, const strata_range *range,
                                   strata_iterator **out) {
  strata_iterator *it = calloc(1, sizeof *it);
  if (!it) return status_no_memory();
  it->db = db;
  it->seqno = snap ? snap->seqno : db->seqno;
  if (range) it->r = *range;
  it->lo = malloc(it->r.lo_len + 1);
  it->hi = malloc(it->r.hi_len + 1);
  if (it->r.lo_len) memcpy(it->lo, range->lo, it->r.lo_len);
  if (it->r.hi_len) memcpy(it->hi, range->hi, it->r.hi_len);
  it->pos = -1;
  *out = it;
  return NULL;
}

/* The position is kept as a key (writes since the last move may shift the array). */
static void set_pos(strata_iterator *it, long i) {
  free(it->cur);
  it->cur = NULL;
  it->pos = i;
  if (i < 0) return;
  it->cur_len = it->db->items[i].klen;
  it->cur = malloc(it->cur_len + 1);
  memcpy(it->cur, it->db->items[i].key, it->cur_len);
}

/* First live key >= (or > when strict) key, going up; or <= (< when strict), going down. */
static void find(strata_iterator *it, const void *key, size_t klen, int down, int strict) {
  if (!down) {
    for (size_t i = 0; i < it->db->count; i++) {
      int c = cmp_keys(it->db->items[i].key, it->db->items[i].klen, key, klen);
      if ((strict ? c > 0 : c >= 0) && live_at(it, i) >= 0) return set_pos(it, (long)i);
    }
  } else {
    for (size_t i = it->db->count; i-- > 0;) {
      int c = cmp_keys(it->db->items[i].key, it->db->items[i].klen, key, klen);
      if ((strict ? c < 0 : c <= 0) && live_at(it, i) >= 0) return set_pos(it, (long)i);
    }
  }
  set_pos(it, -1);
}

void strata_iterator_seek(strata_iterator *it, const void *key, size_t klen) { find(it, key, klen, 0, 0); }
void strata_iterator_seek_for_prev(strata_iterator *it, const void *key, size_t klen) { find(it, key, klen, 1, 0); }
void strata_iterator_seek_first(strata_iterator *it) { find(it, "", 0, 0, 0); }
void strata_iterator_seek_last(strata_iterator *it) {
  for (size_t i = it->db->count; i-- > 0;)
    if (live_at(it, i) >= 0) return set_pos(it, (long)i);
  set_pos(it, -1);
}
void strata_iterator_next(strata_iterator *it) {
  if (it->pos >= 0) find(it, it->cur, it->cur_len, 0, 1);
}
void strata_iterator_prev(strata_iterator *it) {
  if (it->pos >= 0) find(it, it->cur, it->cur_len, 1, 1);
}
int strata_iterator_valid(const strata_iterator *it) { return it->pos >= 0; }
const void *strata_iterator_key(const strata_iterator *it, size_t *klen) {
  *klen = it->cur_len;
  return it->cur;
}
const void *strata_iterator_value(const strata_iterator *it, size_t *vlen) {
  long i = visible(it->db, it->cur, it->cur_len, it->seqno);
  *vlen = it->db->items[i].vlen;
  return it->db->items[i].value;
}
strata_status *strata_iterator_status(strata_iterator *it) { (void)it; return NULL; }
void strata_iterator_close(strata_iterator *it) {
  if (!it) return;
  free(it->lo);
  free(it->hi);
  free(it->cur);
  free(it);
}

strata_status *strata_flush(strata_db *db) {
  db->flushes++;
  db->sealed = 0;
  db->unsealed_bytes = 0;
  return persist(db);
}
strata_status *strata_maintenance_step(strata_db *db, uint64_t budget, int *more) {
  (void)budget;
  if (db->sealed > 0) {
    db->sealed--;
    db->flushes++;
    STATUS_TRY(persist(db));
  }
  *more = db->sealed > 0;
  return NULL;
}
strata_status *strata_get_stats(strata_db *db, strata_stats *out) {
  memset(out, 0, sizeof *out);
  out->level_count = 1;
  out->memtable_bytes = db->user_bytes;
  out->bytes_written_user = db->user_bytes;
  out->flushes = db->flushes;
  out->sealed_memtables = db->sealed;
  out->bytes_written_flush = db->flushes * 100; /* nominal */
  out->seqno = db->seqno;
  out->snapshots_open = db->snapshots;
  return NULL;
}
