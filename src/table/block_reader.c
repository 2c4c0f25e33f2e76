/* Decoding data and index blocks; the byte layout is drawn in block_writer.c. */
#include "block_reader.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cache/block_cache.h"
#include "../util/coding.h"
#include "../util/hot.h"
#include "../util/prefetch.h"
#include "block_writer.h"

#if defined(__GNUC__)
__attribute__((returns_nonnull)) /* so that an inlined decode's callers see e set whenever NULL returns */
#endif
static strata_status *block_corrupt(const block *b, const char *why, uint32_t off) {
  if (b->kind)
    return status_new(STRATA_CORRUPTION, "%s: %s block at offset %llu: %s (at byte %u of the block)", b->what,
                      b->kind, (unsigned long long)b->offset, why, off);
  return status_new(STRATA_CORRUPTION, "%s: %s (at byte %u of the block)", b->what, why, off);
}

/* One decoded entry; key = restart_key[0..shared) + delta. */
typedef struct entry {
  uint32_t off, next, shared;
  slice delta, value;
  uint64_t trailer;
} entry;

static STRATA_HOT strata_status *decode_entry(const block *b, uint32_t off, size_t restart_key_len, entry *e) {
  const uint8_t *p = b->data + off, *end = b->data + b->entries_end;
  uint32_t shared, unshared, vlen;
  uint64_t trailer;
  if (off >= b->entries_end) return block_corrupt(b, "truncated entry header", off);
  if (end - p >= 4 && ((p[0] | p[1] | p[2]) & 0x80) == 0) {
    /* the common case: shared, unshared and value length of one byte each */
    shared = p[0];
    unshared = p[1];
    vlen = p[2];
    p += 3;
  } else if (!(p = decode_varint32(p, end, &shared)) || !(p = decode_varint32(p, end, &unshared)) ||
             !(p = decode_varint32(p, end, &vlen))) {
    return block_corrupt(b, "truncated entry header", off);
  }
  if (!(p = decode_varint64(p, end, &trailer))) return block_corrupt(b, "truncated entry header", off);
  if (shared > restart_key_len || (uint64_t)shared + unshared > USER_KEY_MAX)
    return block_corrupt(b, "entry key length out of range", off);
  if ((uint64_t)unshared + vlen > (uint64_t)(end - p)) return block_corrupt(b, "entry overruns the block", off);
  if (!value_type_is_stored(trailer & 0xff)) return block_corrupt(b, "unknown value type", off);
  e->off = off;
  e->shared = shared;
  e->delta = slice_make(p, unshared);
  e->value = slice_make(p + unshared, vlen);
  e->trailer = trailer;
  e->next = (uint32_t)(p + unshared + vlen - b->data);
  return NULL;
}

strata_status *block_open(uint8_t *data, size_t len, const char *what, block **out) {
  return block_open_at(data, len, what, NULL, 0, out);
}

#define ALIGN8(n) (((n) + 7) & ~(size_t)7)

/* Bytes [from, from + 8) of key, big-endian, missing bytes 0: unequal tags of two keys that share
 * their first `from` bytes order as the keys do (a shorter key pads with the smallest byte). */
static inline uint64_t key_tag(slice key, size_t from) {
  uint64_t t = 0;
  size_t n = key.len > from ? key.len - from : 0;
  if (n > 8) n = 8;
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (n == 8) { /* the usual case: one load */
    memcpy(&t, key.data + from, 8);
    return __builtin_bswap64(t);
  }
#endif
  for (size_t i = 0; i < n; i++) t |= (uint64_t)key.data[from + i] << (56 - 8 * i);
  return t;
}

/* `extra` bytes (a cache handle), the struct, a restart table of rk_cap entries and the name, in
 * one allocation (the data after them when data_len is not SIZE_MAX). Fields zeroed, except the
 * table. This order puts a point read's hot bytes (the handle, the fields, the restart table and
 * the copy of the restart offsets and buckets block_parse may put in its unused end) on the
 * lines a cache lookup loads with the handle (BLOCK_CACHE_WARM_BYTES). */
static block *block_alloc(const char *file, const char *kind, uint64_t offset, size_t extra, size_t rk_cap,
                          size_t data_len) {
  size_t name_len = strlen(file) + 1, extra8 = ALIGN8(extra);
  size_t head = extra8 + sizeof(block) + rk_cap * sizeof(block_restart) + name_len;
  if (data_len != SIZE_MAX && data_len > SIZE_MAX - head) return NULL;
  uint8_t *mem = malloc(head + (data_len == SIZE_MAX ? 0 : data_len));
  if (!mem) return NULL;
  block *b = (block *)(mem + extra8);
  memset(b, 0, sizeof *b);
  b->extra = extra ? mem : NULL;
  b->extra_len = extra8;
  b->rk = (block_restart *)(b + 1);
  b->rk_cap = (uint32_t)rk_cap;
  char *w = (char *)(b->rk + rk_cap);
  memcpy(w, file, name_len);
  b->what = w;
  b->kind = kind;
  b->offset = offset;
  if (data_len != SIZE_MAX) {
    b->data = (uint8_t *)w + name_len;
    b->len = data_len;
    b->data_inline = 1;
  }
  return b;
}

/* Checks the footer and the restart entries of b->data and fills the restart table (in place when
 * it fits b->rk_cap, else allocated on its own). */
static strata_status *block_parse(block *b) {
  const uint8_t *data = b->data;
  size_t len = b->len;
  if (len < BLOCK_FOOTER_SIZE + 1 || len > UINT32_MAX) return block_corrupt(b, "block too short for its footer", 0);
  const uint8_t *f = data + len - BLOCK_FOOTER_SIZE;
  b->entries_end = decode_fixed32(f);
  b->item_count = decode_fixed32(f + 4);
  b->num_restarts = decode_fixed32(f + 8);
  b->num_buckets = decode_fixed32(f + 12);
  uint64_t need = (uint64_t)b->entries_end + 1 + 4ull * b->num_restarts + b->num_buckets + BLOCK_FOOTER_SIZE;
  if (need != len)
    return block_corrupt(b, "footer lengths disagree with the block size", (uint32_t)(len - BLOCK_FOOTER_SIZE));
  if (data[b->entries_end] != BLOCK_END_MARKER) return block_corrupt(b, "end marker missing", b->entries_end);
  if ((b->item_count == 0) != (b->num_restarts == 0) || b->num_restarts > b->item_count ||
      (b->item_count == 0 && b->entries_end != 0) || (b->num_buckets && b->num_restarts > BLOCK_HASH_MAX_RESTARTS))
    return block_corrupt(b, "inconsistent item and restart counts", (uint32_t)(len - BLOCK_FOOTER_SIZE));
  if (b->num_restarts > b->rk_cap) { /* need == len above bounds it by len / 4 */
    block_restart *rk = malloc((size_t)b->num_restarts * sizeof *rk);
    if (!rk) return status_no_memory();
    b->rk = rk;
    b->rk_owned = 1;
  }
  b->restarts = data + b->entries_end + 1;
  b->buckets = b->restarts + 4ull * b->num_restarts;
  /* the restart offsets and buckets lie at the far end of the data: copied into the restart
   * table's unused end when they fit, a point read finds them on the table's lines */
  size_t tail_len = 4ull * b->num_restarts + b->num_buckets;
  if (!b->rk_owned && tail_len && tail_len <= (size_t)(b->rk_cap - b->num_restarts) * sizeof(block_restart)) {
    uint8_t *tail = (uint8_t *)(b->rk + b->num_restarts);
    memcpy(tail, b->restarts, tail_len);
    b->restarts = tail;
    b->buckets = tail + 4ull * b->num_restarts;
  }
  for (uint32_t i = 0; i < b->num_restarts; i++) {
    uint32_t r = decode_fixed32(b->restarts + 4ull * i);
    uint32_t prev = i ? decode_fixed32(b->restarts + 4ull * (i - 1)) : 0;
    if ((i == 0 && r != 0) || (i > 0 && r <= prev) || r >= b->entries_end)
      return block_corrupt(b, "restart offset out of order or range", b->entries_end + 1 + 4 * i);
    entry e;
    STATUS_TRY(decode_entry(b, r, 0, &e)); /* shared must be 0 here */
    b->rk[i].key_off = (uint32_t)(e.delta.data - data);
    b->rk[i].key_len = (uint32_t)e.delta.len;
    b->rk[i].trailer = e.trailer;
  }
  if (b->num_restarts) {
    const block_restart *first = &b->rk[0], *last = &b->rk[b->num_restarts - 1];
    b->tag_from = (uint32_t)slice_shared_prefix(slice_make(data + first->key_off, first->key_len),
                                                slice_make(data + last->key_off, last->key_len));
    for (uint32_t i = 0; i < b->num_restarts; i++)
      b->rk[i].tag = key_tag(slice_make(data + b->rk[i].key_off, b->rk[i].key_len), b->tag_from);
  }
  return NULL;
}

strata_status *block_open_at(uint8_t *data, size_t len, const char *file, const char *kind, uint64_t offset,
                             block **out) {
  *out = NULL;
  /* the restart table is sized from the footer (a bound: block_parse checks it) */
  uint32_t max_restarts = len >= BLOCK_FOOTER_SIZE ? decode_fixed32(data + len - BLOCK_FOOTER_SIZE + 8) : 0;
  if ((uint64_t)max_restarts * 4 > len) max_restarts = 0; /* the footer check refuses it */
  block *b = block_alloc(file, kind, offset, 0, max_restarts, SIZE_MAX);
  if (!b) {
    free(data);
    return status_no_memory();
  }
  b->data = data;
  b->len = len;
  strata_status *st = block_parse(b);
  if (st) {
    block_free(b);
    return st;
  }
  *out = b;
  return NULL;
}

size_t block_restart_slots(uint64_t entries, uint64_t interval) {
  if (entries == 0 || entries > UINT32_MAX) return 0;
  uint64_t most = entries + entries / 4 + 2; /* blocks vary around the average */
  uint64_t restarts = interval && interval < most ? (most + interval - 1) / interval : most;
  uint64_t tail = 4 * restarts + (restarts <= BLOCK_HASH_MAX_RESTARTS ? BLOCK_HASH_BUCKETS(most) : 0);
  return (size_t)(restarts + (tail + sizeof(block_restart) - 1) / sizeof(block_restart));
}

strata_status *block_new_inline(size_t len, size_t rk_slots, const char *file, const char *kind, uint64_t offset,
                                size_t extra, block **out) {
  /* at most room for a restart every 512 bytes (data blocks of the default interval need far
   * fewer); a block with more (an index partition) gets its table allocated on its own */
  size_t rk_cap = len / 512 + 4;
  if (rk_slots && rk_slots < rk_cap) rk_cap = rk_slots;
  size_t fixed = ALIGN8(extra) + sizeof(block) + strlen(file) + 1;
  if (extra && fixed + rk_cap * sizeof(block_restart) + len < BLOCK_CACHE_WARM_BYTES) /* tiny: room to warm */
    rk_cap = (BLOCK_CACHE_WARM_BYTES - fixed - len + sizeof(block_restart) - 1) / sizeof(block_restart);
  *out = block_alloc(file, kind, offset, extra, rk_cap, len);
  if (!*out) return status_no_memory();
  assert(!extra || (size_t)((*out)->data + len - (uint8_t *)(*out)->extra) >= BLOCK_CACHE_WARM_BYTES);
  return NULL;
}

strata_status *block_finish_inline(block *b) {
  strata_status *st = block_parse(b);
  if (st) block_free(b);
  return st;
}

void block_free(block *b) {
  if (!b) return;
  if (b->tree) {
    restart_tree_free(b->tree);
    free(b->tree);
  }
  if (!b->data_inline) free(b->data);
  if (b->rk_owned) free(b->rk);
  free((uint8_t *)b - b->extra_len); /* the allocation starts with the extra bytes */
}

size_t block_charge(const block *b) {
  size_t rk = b->rk_owned ? b->num_restarts : b->rk_cap;
  size_t tree = b->tree ? sizeof *b->tree + b->tree->bytes : 0;
  return b->len + sizeof *b + b->extra_len + rk * sizeof(block_restart) + strlen(b->what) + 1 + tree;
}

static uint32_t restart_at(const block *b, uint32_t i) { return decode_fixed32(b->restarts + 4ull * i); }

/* ---------------------------------------------------------------------------------------- */

typedef struct block_iter {
  kv_iterator base;
  const block *b;
  block_owner owner;
  uint32_t restart_idx; /* interval of the current entry */
  slice restart_key;
  uint32_t cur, next;
  buffer keybuf;      /* rebuilt keys longer than `small` */
  uint8_t small[48];  /* rebuilt keys up to 48 bytes: no allocation per iterator */
  /* The first prefix_len bytes of the buffer at prefix_at are restart_key's (0: none yet). Keys
   * of an interval share ever fewer bytes with its restart key as they grow, so a step copies
   * only the entry's delta, not its whole key. */
  const uint8_t *prefix_at;
  uint32_t prefix_len;
  strata_status *st;
} block_iter;

static void iter_fail(block_iter *it, strata_status *st) {
  it->base.valid = 0;
  if (!it->st) it->st = st;
  else strata_status_free(st);
}

/* The buffer for a rebuilt key longer than `small` (NULL after a failure, recorded). */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static uint8_t *iter_long_key_buffer(block_iter *it, size_t len) {
  if (len > it->keybuf.cap) {
    buffer_clear(&it->keybuf);
    it->prefix_len = 0; /* the buffer may move */
    strata_status *st = buffer_reserve(&it->keybuf, len);
    if (st) {
      iter_fail(it, st);
      return NULL;
    }
  }
  return it->keybuf.data;
}

/* Inlined into the steps: the entry's fields then stay in registers instead of going through a
 * struct in memory (under WebAssembly, the linear-memory stack). */
static STRATA_HOT void iter_set(block_iter *it, const entry *e) {
  it->cur = e->off;
  it->next = e->next;
  it->base.value = e->value;
  it->base.key.seqno = e->trailer >> 8;
  it->base.key.type = (value_type)(e->trailer & 0xff);
  if (e->shared == 0) {
    it->base.key.user_key = e->delta;
  } else {
    /* key = restart key prefix + delta, rebuilt in place (the buffer grows rarely) */
    size_t len = e->shared + e->delta.len;
    uint8_t *dst = it->small;
    if (len > sizeof it->small && !(dst = iter_long_key_buffer(it, len))) return;
    if (dst != it->prefix_at) {
      it->prefix_at = dst;
      it->prefix_len = 0;
    }
    if (e->shared > it->prefix_len)
      bytes_copy(dst + it->prefix_len, it->restart_key.data + it->prefix_len, e->shared - it->prefix_len);
    bytes_copy(dst + e->shared, e->delta.data, e->delta.len);
    it->prefix_len = e->shared; /* the delta overwrote whatever followed */
    it->base.key.user_key = slice_make(dst, len);
  }
  it->base.valid = 1;
}

/* Positions on the restart entry of interval i. */
static void iter_to_restart(block_iter *it, uint32_t i) {
  entry e;
  strata_status *st = decode_entry(it->b, restart_at(it->b, i), 0, &e);
  if (st) {
    iter_fail(it, st);
    return;
  }
  it->restart_idx = i;
  it->restart_key = e.delta;
  it->prefix_len = 0;
  iter_set(it, &e);
}

static STRATA_HOT void iter_advance(block_iter *it) {
  const block *b = it->b;
  if (it->next >= b->entries_end) {
    it->base.valid = 0;
    return;
  }
  if (it->restart_idx + 1 < b->num_restarts) {
    uint32_t r = restart_at(b, it->restart_idx + 1);
    if (it->next == r) {
      iter_to_restart(it, it->restart_idx + 1);
      return;
    }
    if (it->next > r) {
      iter_fail(it, block_corrupt(b, "entry crosses a restart point", it->cur));
      return;
    }
  }
  entry e;
  strata_status *st = decode_entry(b, it->next, it->restart_key.len, &e);
  if (st) {
    iter_fail(it, st);
    return;
  }
  iter_set(it, &e);
}

static int iter_key_less(const block_iter *it, const internal_key *target) {
  return internal_key_compare(&it->base.key, target) < 0;
}

static void bi_seek_first(kv_iterator *base) {
  block_iter *it = (block_iter *)base;
  it->base.valid = 0;
  if (it->b->num_restarts) iter_to_restart(it, 0);
}

static void bi_seek_last(kv_iterator *base) {
  block_iter *it = (block_iter *)base;
  it->base.valid = 0;
  if (!it->b->num_restarts) return;
  iter_to_restart(it, it->b->num_restarts - 1);
  while (it->base.valid && it->next < it->b->entries_end) iter_advance(it);
}

static inline internal_key restart_key(const block *b, uint32_t i) {
  const block_restart *r = &b->rk[i];
  return internal_key_make(slice_make(b->data + r->key_off, r->key_len), r->trailer >> 8,
                           (value_type)(r->trailer & 0xff));
}

/* The target's tag, when it shares the prefix of every restart key (else the tags say nothing
 * about it and the searches compare whole keys). */
static STRATA_HOT int target_tag(const block *b, const internal_key *target, uint64_t *tag) {
  const block_restart *first = &b->rk[0];
  slice tk = target->user_key;
  if (b->tag_from == 0) {
    *tag = key_tag(tk, 0);
    return 1;
  }
  /* slice_equal, not memcmp: inline for a short prefix (under WebAssembly memcmp is a call, and
   * every index and data block search makes this test) */
  if (tk.len < b->tag_from ||
      !slice_equal(slice_make(tk.data, b->tag_from), slice_make(b->data + first->key_off, b->tag_from)))
    return 0;
  *tag = key_tag(tk, b->tag_from);
  return 1;
}

static inline int tag_compare(uint64_t a, uint64_t b) { return (a > b) - (a < b); }

/* Placed in one arm of a binary search's lo/hi update, keeps it a branch. clang's wasm backend
 * otherwise turns the update into a `select`, which V8 compiles to a conditional move: each
 * probe's load then waits for the comparison before it, and the cache misses of a cold index
 * queue up instead of overlapping under speculation (out of cache: 675 ns per search against
 * 276 ns with the branch; gcc's native code already branches). */
#define KEEP_BRANCH() __asm__ volatile("")

/* Last restart whose key is < target (0 if none). */
static uint32_t find_restart(const block *b, const internal_key *target) {
  uint32_t lo = 0, hi = b->num_restarts - 1;
  uint64_t tt;
  int tagged = target_tag(b, target, &tt);
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo + 1) / 2;
    int c = tagged ? tag_compare(b->rk[mid].tag, tt) : 0;
    if (c == 0) {
      internal_key k = restart_key(b, mid);
      c = internal_key_compare(&k, target);
    }
    if (c < 0) {
      lo = mid;
      KEEP_BRANCH();
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

/*
 * From the current entry (a restart entry) forward to the first entry >= target. Within the
 * interval an entry is compared where it lies -- restart_key[0..shared) + delta -- without
 * building its key: with m = the prefix the restart key shares with the target, an entry sharing
 * more than m bytes differs from the target at byte m, one sharing at most m bytes compares by
 * its delta. Only the entry it stops on is materialised (iter_set).
 */
static void iter_scan_to(block_iter *it, const internal_key *target) {
  if (!it->base.valid || !iter_key_less(it, target)) return;
  const block *b = it->b;
  slice rk = it->restart_key, tk = target->user_key;
  size_t m = slice_shared_prefix(rk, tk);
  uint64_t tt = internal_key_trailer(target);
  uint32_t limit = it->restart_idx + 1 < b->num_restarts ? restart_at(b, it->restart_idx + 1) : b->entries_end;
  uint32_t off = it->next;
  while (off < limit) {
    entry e;
    strata_status *st = decode_entry(b, off, rk.len, &e);
    if (st) {
      iter_fail(it, st);
      return;
    }
    if (e.next > limit) {
      iter_fail(it, block_corrupt(b, "entry crosses a restart point", off));
      return;
    }
    int c;
    if (e.shared > m) {
      c = m < tk.len && rk.data[m] < tk.data[m] ? -1 : 1;
    } else {
      c = slice_compare(e.delta, slice_make(tk.data + e.shared, tk.len - e.shared));
      if (c == 0) c = (e.trailer < tt) - (e.trailer > tt); /* newer (larger trailer) first */
    }
    if (c >= 0) {
      iter_set(it, &e);
      return;
    }
    off = e.next;
  }
  /* every entry of the interval is smaller: go on from the next restart */
  if (limit >= b->entries_end) {
    it->base.valid = 0;
    return;
  }
  iter_to_restart(it, it->restart_idx + 1);
  while (it->base.valid && iter_key_less(it, target)) iter_advance(it);
}

static int all_restarts(const block *b) { return b->item_count == b->num_restarts; }

/* A block whose every entry is a restart (index blocks): the first restart >= target is the
 * answer, no scan; num_restarts when there is none. *slot_out: the tree's slot of the answer
 * when the tree settled it, else NULL. */
static uint32_t find_first_restart_at_or_after(const block *b, const internal_key *target,
                                               const restart_tree_slot **slot_out) {
  uint32_t lo = 0, hi = b->num_restarts;
  uint64_t tt;
  int tagged = target_tag(b, target, &tt);
  *slot_out = NULL;
  if (tagged && b->tree) {
    /* every restart before lo has a smaller tag, so a smaller key; one with a larger tag has a
     * larger key; an equal tag needs the keys (and those after it with the same tag) */
    uint64_t at;
    const restart_tree_slot *sl = restart_tree_lower_bound(b->tree, tt, &at);
    if (!sl) return hi;
    lo = sl->pos;
    int settled = at != tt;
    if (!settled) {
      internal_key k = restart_key(b, lo);
      settled = internal_key_compare(&k, target) >= 0;
    }
    if (settled) {
      *slot_out = sl;
      return lo;
    }
    lo++;
  }
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    int c = tagged ? tag_compare(b->rk[mid].tag, tt) : 0;
    if (c == 0) {
      internal_key k = restart_key(b, mid);
      c = internal_key_compare(&k, target);
    }
    if (c < 0) {
      lo = mid + 1;
      KEEP_BRANCH();
    } else {
      hi = mid;
    }
  }
  return lo;
}


/* A seek scans restart interval r to its target and a reader usually goes on into the next
 * one: loading both intervals' lines at once (a cached block is in no CPU cache) is one memory
 * round trip instead of one per line as the scan reaches them. At most SEEK_PREFETCH_MAX bytes
 * (two intervals of large values would be a loop over lines the seek never reads; under wasm
 * each is a load). The offsets were checked by block_parse; the range stays inside the data. */
#define SEEK_PREFETCH_MAX 4096u
static void iter_prefetch_from(const block *b, uint32_t r) {
  uint32_t from = restart_at(b, r), to = r + 2 < b->num_restarts ? restart_at(b, r + 2) : b->entries_end;
  if (to > b->entries_end) to = b->entries_end;
  if (from < to) prefetch_bytes(b->data + from, to - from < SEEK_PREFETCH_MAX ? to - from : SEEK_PREFETCH_MAX);
}

static void bi_seek(kv_iterator *base, const internal_key *target) {
  block_iter *it = (block_iter *)base;
  it->base.valid = 0;
  if (!it->b->num_restarts) return;
  if (all_restarts(it->b)) {
    const restart_tree_slot *unused;
    uint32_t r = find_first_restart_at_or_after(it->b, target, &unused);
    if (r < it->b->num_restarts) iter_to_restart(it, r);
    return;
  }
  uint32_t r = find_restart(it->b, target);
  iter_prefetch_from(it->b, r);
  iter_to_restart(it, r);
  iter_scan_to(it, target);
}

static void bi_prev(kv_iterator *base);

static void bi_seek_for_prev(kv_iterator *base, const internal_key *target) {
  block_iter *it = (block_iter *)base;
  bi_seek(base, target);
  if (it->st) return;
  if (!it->base.valid) bi_seek_last(base);
  else if (internal_key_compare(&it->base.key, target) > 0) bi_prev(base);
}

void block_iterator_next(kv_iterator *base) {
  block_iter *it = (block_iter *)base;
  if (it->base.valid) iter_advance(it);
}

static void bi_prev(kv_iterator *base) {
  block_iter *it = (block_iter *)base;
  if (!it->base.valid) return;
  uint32_t target = it->cur;
  uint32_t r = it->restart_idx;
  if (target == restart_at(it->b, r)) {
    if (r == 0) {
      it->base.valid = 0;
      return;
    }
    r--;
  }
  iter_to_restart(it, r);
  while (it->base.valid && it->next < target) iter_advance(it);
  if (it->base.valid && it->next != target) iter_fail(it, block_corrupt(it->b, "entries overlap", it->cur));
}

static strata_status *bi_status(kv_iterator *base) {
  block_iter *it = (block_iter *)base;
  strata_status *st = it->st;
  it->st = NULL;
  return st;
}

static void bi_destroy(kv_iterator *base) {
  block_iter *it = (block_iter *)base;
  buffer_free(&it->keybuf);
  strata_status_free(it->st);
  if (it->owner.release) it->owner.release(it->owner.ctx, it->owner.token);
  kv_iterator_free(&it->base);
}

const kv_iterator_ops block_iterator_ops = {bi_seek_first,       bi_seek_last, bi_seek,   bi_seek_for_prev,
                                            block_iterator_next, bi_prev,      bi_status, bi_destroy};

static void iter_init(block_iter *it, const block *b, block_owner owner, unsigned char in_arena) {
  memset(it, 0, sizeof *it);
  it->base.in_arena = in_arena;
  kv_iterator_init(&it->base, &block_iterator_ops);
  it->b = b;
  it->owner = owner;
  buffer_init(&it->keybuf);
}

strata_status *block_iterator_new(const block *b, block_owner owner, iter_arena *arena, kv_iterator **out) {
  *out = NULL;
  block_iter *it = kv_iterator_alloc(arena, sizeof *it);
  if (!it) {
    if (owner.release) owner.release(owner.ctx, owner.token);
    return status_no_memory();
  }
  iter_init(it, b, owner, it->base.in_arena);
  *out = &it->base;
  return NULL;
}

void block_iterator_reset(kv_iterator *base, const block *b, block_owner owner) {
  block_iter *it = (block_iter *)base;
  assert(base->ops == &block_iterator_ops);
  if (it->owner.release) it->owner.release(it->owner.ctx, it->owner.token);
  buffer keybuf = it->keybuf;
  strata_status *st = it->st;
  iter_init(it, b, owner, it->base.in_arena);
  it->keybuf = keybuf;
  it->st = st; /* an unreported error stays reported */
}

/* restart_value_fn over a parsed block: block_parse decoded every restart entry, so this one
 * cannot fail (an entry it could not decode would have refused the block). */
static slice restart_value(const void *ctx, uint32_t i) {
  const block *b = ctx;
  entry e;
  strata_status *st = decode_entry(b, restart_at(b, i), 0, &e);
  assert(!st);
  if (st) { /* defensive: the tree then copies nothing and the search decodes the entry */
    strata_status_free(st);
    return slice_make(NULL, SIZE_MAX);
  }
  return e.value;
}

strata_status *block_build_search_tree(block *b) {
  if (b->tree || b->num_restarts < RESTART_TREE_MIN || !all_restarts(b)) return NULL;
  restart_tree *t = malloc(sizeof *t);
  if (!t) return status_no_memory();
  strata_status *st = restart_tree_build(&b->rk[0].tag, sizeof(block_restart), b->num_restarts, restart_value, b, t);
  if (st) {
    free(t);
    return st;
  }
  b->tree = t;
  return NULL;
}

/*
 * The point read's scan of restart interval r (the one the hash index names), without an
 * iterator: entries are compared where they lie (as iter_scan_to does, the restart key being
 * the one decoded at open) and nothing is copied. *settled = 0 when every entry of the interval
 * is below the target and another follows (older versions of the key continuing in the next
 * interval): the caller then seeks.
 */
static strata_status *get_in_interval(const block *b, uint32_t r, const internal_key *target, int *settled,
                                      int *found, internal_key *key_out, slice *value) {
  *settled = 1;
  const block_restart *rs = &b->rk[r];
  slice rk = slice_make(b->data + rs->key_off, rs->key_len), tk = target->user_key;
  size_t m = slice_shared_prefix(rk, tk);
  uint64_t tt = internal_key_trailer(target);
  uint32_t off = restart_at(b, r);
  uint32_t limit = r + 1 < b->num_restarts ? restart_at(b, r + 1) : b->entries_end;
  size_t rk_len = 0; /* the restart entry itself shares nothing */
  while (off < limit) {
    entry e;
    STATUS_TRY(decode_entry(b, off, rk_len, &e));
    if (e.next > limit) return block_corrupt(b, "entry crosses a restart point", off);
    rk_len = rk.len;
    int c, same_user_key = 0;
    if (e.shared > m) {
      c = m < tk.len && rk.data[m] < tk.data[m] ? -1 : 1;
    } else {
      c = slice_compare(e.delta, slice_make(tk.data + e.shared, tk.len - e.shared));
      if (c == 0) {
        same_user_key = 1;
        c = (e.trailer < tt) - (e.trailer > tt); /* newer (larger trailer) first */
      }
    }
    if (c >= 0) {
      if (same_user_key) {
        *found = 1;
        *key_out = internal_key_make(tk, e.trailer >> 8, (value_type)(e.trailer & 0xff));
        *value = e.value;
      }
      return NULL;
    }
    off = e.next;
  }
  *settled = limit >= b->entries_end;
  return NULL;
}

strata_status *block_get(const block *b, slice user_key, uint64_t key_hash, uint64_t snapshot, int *found,
                         internal_key *key_out, slice *value) {
  *found = 0;
  if (snapshot > SEQNO_READ_ALL) snapshot = SEQNO_READ_ALL;
  if (snapshot == 0 || b->num_restarts == 0) return NULL;
  internal_key target = internal_key_seek_target(user_key, snapshot);
  uint8_t bucket = b->num_buckets ? b->buckets[key_hash % b->num_buckets] : BLOCK_HASH_COLLISION;
  if (bucket == BLOCK_HASH_EMPTY) return NULL;
  /* (without buckets the sentinel must not be read as a restart index: a block may have more
   * than 254 restarts) */
  /* the interval the hash index names holds the key's first entry; on a collision (or without
   * buckets) the last restart below the target starts the scan. Either way the entry wanted is
   * there or in an interval after it (versions newer than the snapshot may fill intervals). */
  uint32_t r = b->num_buckets && bucket < b->num_restarts ? bucket : find_restart(b, &target);
  for (;;) {
    int settled;
    STATUS_TRY(get_in_interval(b, r, &target, &settled, found, key_out, value));
    if (settled) return NULL;
    r++;
  }
}

strata_status *block_seek_value(const block *b, const internal_key *target, int *found, slice *value) {
  *found = 0;
  if (b->num_restarts && all_restarts(b)) { /* an index block: one search, one decode */
    const restart_tree_slot *sl;
    uint32_t r = find_first_restart_at_or_after(b, target, &sl);
    if (r == b->num_restarts) return NULL;
    if (sl && sl->value_len != RESTART_TREE_NO_VALUE) { /* the value's copy in the tree's line */
      *found = 1;
      *value = slice_make(sl->value, sl->value_len);
      return NULL;
    }
    entry e;
    STATUS_TRY(decode_entry(b, restart_at(b, r), 0, &e));
    *found = 1;
    *value = e.value;
    return NULL;
  }
  block_owner none = {NULL, NULL, NULL};
  block_iter it;
  iter_init(&it, b, none, 0);
  bi_seek(&it.base, target);
  *found = it.base.valid && !it.st;
  if (*found) *value = it.base.value;
  strata_status *st = it.st;
  buffer_free(&it.keybuf);
  return st;
}
