/* Table reader: open and validate, block loading through the cache, verify, point lookups. */
#include "table_reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/check.h"
#include "../util/checksum.h"
#include "../util/coding.h"
#include "block_header.h"
#include "block_reader.h"
#include "bloom.h"
#include "table_index.h"
#include "table_reader_internal.h"
#include "table_trailer.h"

/* Makes [h.offset, h.offset + h.size) part of the readahead window, reading the window from there
 * when it is not (never past the end of the file). */
static strata_status *readahead_fill(table_reader *r, block_handle h, table_readahead *ra) {
  if (h.offset >= ra->offset && h.offset + h.size <= ra->offset + ra->len) return NULL;
  uint64_t n = h.size > TABLE_READAHEAD_BYTES ? h.size : TABLE_READAHEAD_BYTES;
  if (n > r->file_size - h.offset) n = r->file_size - h.offset;
  if (n > ra->cap) {
    uint8_t *grown = realloc(ra->data, (size_t)n);
    if (!grown) return status_no_memory();
    ra->data = grown;
    ra->cap = (size_t)n;
  }
  ra->len = 0; /* a failed read leaves no window */
  STATUS_TRY(vfs_file_read_exact(r->file, h.offset, ra->data, (size_t)n, r->what));
  ra->offset = h.offset;
  ra->len = (size_t)n;
  return NULL;
}

/* A cache miss that reads (no mapping) stages the block on the stack when it fits, so it costs
 * no malloc: 8 KiB holds a default 4 KiB block, compressed or not. Native threads have
 * megabytes of stack and the WASI builds link 1 MiB (cmake/wasi-clang19.cmake); Emscripten's
 * stacks are 64 KiB and overflow silently in release builds, so there it stays a malloc. */
#ifdef __EMSCRIPTEN__
#define TABLE_STAGE_ON_STACK 0
#else
#define TABLE_STAGE_ON_STACK 8192
#endif

/* The stored bytes of block h: in the mapping, in the readahead window, in `stage` when it fits
 * (stage_len bytes; NULL, 0 for none), or read into *staged (malloc'd; the caller frees it). */
static strata_status *stored_bytes(table_reader *r, block_handle h, block_type type, table_readahead *ra,
                                   uint8_t *stage, size_t stage_len, slice *stored, uint8_t **staged) {
  *staged = NULL;
  if (h.offset > r->file_size || h.size > r->file_size - h.offset)
    return status_new(STRATA_CORRUPTION, "%s: %s block (%llu, %llu) beyond the end of the file", r->what,
                      block_type_name(type), (unsigned long long)h.offset, (unsigned long long)h.size);
  if (r->map) { /* in bounds: checked above against the mapped size */
    *stored = slice_make(r->map + h.offset, h.size);
    return NULL;
  }
  if (ra && ra->sequential >= TABLE_READAHEAD_AFTER) {
    STATUS_TRY(readahead_fill(r, h, ra));
    *stored = slice_make(ra->data + (h.offset - ra->offset), h.size);
    return NULL;
  }
  if (h.size <= stage_len) {
    STATUS_TRY(vfs_file_read_exact(r->file, h.offset, stage, h.size, r->what));
    *stored = slice_make(stage, h.size);
    return NULL;
  }
  uint8_t *buf = malloc(h.size ? h.size : 1);
  if (!buf) return status_no_memory();
  strata_status *st = vfs_file_read_exact(r->file, h.offset, buf, h.size, r->what);
  if (st) {
    free(buf);
    return st;
  }
  *stored = slice_make(buf, h.size);
  *staged = buf;
  return NULL;
}

static strata_status *read_raw(table_reader *r, block_handle h, block_type type, table_readahead *ra,
                               uint8_t **raw, size_t *len) {
  *raw = NULL;
  *len = 0;
  slice stored;
  uint8_t *staged;
  STATUS_TRY(stored_bytes(r, h, type, ra, NULL, 0, &stored, &staged));
  strata_status *st = block_unframe(stored, h, type, r->what, raw, len);
  free(staged);
  return st;
}

/* The restart table to allocate with a data block of raw_len bytes: sized from the table's
 * average entry (its metadata; 0, the default, when that says nothing usable), so that a cached
 * block does not carry room for restarts it will never have. */
static size_t restart_slots(const table_reader *r, block_type type, size_t raw_len) {
  const table_meta *m = &r->meta;
  if (type != BLOCK_TYPE_DATA || m->entry_count == 0 || m->raw_data_size < m->entry_count) return 0;
  return block_restart_slots(raw_len / (m->raw_data_size / m->entry_count), m->restart_interval);
}

/* A data block or index partition, expanded straight into its own allocation, with `extra` bytes
 * there for the cache's handle: a cache miss allocates once (and, mapped, reads nothing). */
static strata_status *open_block_ahead(table_reader *r, block_handle h, block_type type, table_readahead *ra,
                                       size_t extra, block **out) {
  *out = NULL;
  slice stored;
  uint8_t *staged;
  uint8_t stage[TABLE_STAGE_ON_STACK ? TABLE_STAGE_ON_STACK : 1];
  STATUS_TRY(stored_bytes(r, h, type, ra, stage, TABLE_STAGE_ON_STACK, &stored, &staged));
  block_payload p;
  block *b = NULL;
  strata_status *st = block_unframe_check(stored, h, type, r->what, &p);
  if (!st)
    st = block_new_inline(p.raw_len, restart_slots(r, type, p.raw_len), r->what, block_type_name(type), h.offset,
                          extra, &b);
  if (!st) {
    st = block_payload_expand(&p, h, r->what, b->data);
    if (st) block_free(b);
    else st = block_finish_inline(b); /* frees b on failure */
  }
  free(staged);
  if (!st) *out = b;
  return st;
}

static strata_status *open_block(table_reader *r, block_handle h, block_type type, block **out) {
  return open_block_ahead(r, h, type, NULL, 0, out);
}

void table_readahead_free(table_readahead *ra) {
  free(ra->data);
  memset(ra, 0, sizeof *ra);
}

static void release_owned(void *ctx, void *token) {
  (void)ctx;
  block_free(token);
}

static void release_cached(void *ctx, void *token) { block_cache_release(ctx, token); }

static void block_deleter(void *value) { block_free(value); }

table_cache_use table_read_options_cache_use(const table_read_options *ro) {
  return ro->fill_cache ? TABLE_CACHE_FILL : ro->take_cached ? TABLE_CACHE_TAKE : TABLE_CACHE_USE;
}

strata_status *table_reader_load_block_ahead(table_reader *r, block_handle h, block_type type, table_readahead *ra,
                                             table_cache_use use, const block **blk, block_owner *owner) {
  if (ra) { /* the pattern: does this block start where the last one ended? */
    ra->sequential = h.offset >= ra->next && h.offset - ra->next <= BLOCK_HEADER_SIZE ? ra->sequential + 1 : 0;
    ra->next = h.offset + h.size;
  }
  cache_handle *ch = NULL;
  if (r->cache)
    ch = use == TABLE_CACHE_TAKE && type == BLOCK_TYPE_DATA ? block_cache_take(r->cache, r->id, h.offset)
                                                             : block_cache_lookup(r->cache, r->id, h.offset);
  if (!ch) {
    int cached = r->cache && use == TABLE_CACHE_FILL;
    block *b;
    STATUS_TRY(open_block_ahead(r, h, type, ra, cached ? block_cache_handle_size() : 0, &b));
    if (!cached) { /* the caller's alone, freed on release */
      *blk = b;
      owner->release = release_owned;
      owner->ctx = NULL;
      owner->token = b;
      return NULL;
    }
    ch = block_cache_insert_embedded(r->cache, r->id, h.offset, b, b->extra, block_charge(b), block_deleter, 0);
  }
  *blk = cache_handle_value(ch);
  owner->release = release_cached;
  owner->ctx = r->cache;
  owner->token = ch;
  return NULL;
}

strata_status *table_reader_load_block(table_reader *r, block_handle h, block_type type, const block **blk,
                                       block_owner *owner) {
  return table_reader_load_block_ahead(r, h, type, NULL, TABLE_CACHE_FILL, blk, owner);
}

char *table_what_new(uint64_t table_id, const char *path) {
  size_t n = strlen(path) + 48;
  char *what = malloc(n);
  if (what) snprintf(what, n, "table %llu (%s)", (unsigned long long)table_id, path);
  return what;
}

void table_cache_offer_data_block(block_cache *c, uint64_t table_id, const char *what, block_handle h, slice raw,
                                  uint32_t entries, unsigned restart_interval) {
  /* the block costs more than its payload: refused outright when not even that fits */
  if (block_cache_room(c, table_id, h.offset) < raw.len) return;
  block *b;
  strata_status *st = block_new_inline(raw.len, block_restart_slots(entries, restart_interval), what,
                                       block_type_name(BLOCK_TYPE_DATA), h.offset, block_cache_handle_size(), &b);
  if (st) {
    strata_status_free(st);
    return;
  }
  memcpy(b->data, raw.data, raw.len);
  st = block_finish_inline(b); /* frees b on failure */
  /* a block just written parses; only its own restart table's allocation can fail */
  assert(!st || strata_status_code(st) == STRATA_NO_MEMORY);
  if (st) {
    strata_status_free(st);
    return;
  }
  if (!block_cache_offer_embedded(c, table_id, h.offset, b, b->extra, block_charge(b), block_deleter)) block_free(b);
}

strata_status *table_reader_open(vfs *v, const char *path, uint64_t table_id, block_cache *cache,
                                 table_reader **out) {
  return table_reader_open_mapping(v, path, table_id, cache, 1, out);
}

strata_status *table_reader_open_mapping(vfs *v, const char *path, uint64_t table_id, block_cache *cache,
                                         int may_map, table_reader **out) {
  *out = NULL;
  table_reader *r = calloc(1, sizeof *r);
  if (!r) return status_no_memory();
  table_meta_init(&r->meta);
  r->id = table_id;
  r->cache = cache;
  r->what = table_what_new(table_id, path);
  strata_status *st = NULL;
  if (!r->what) {
    st = status_no_memory();
    goto fail;
  }
  st = vfs_open(v, path, VFS_OPEN_READ, &r->file);
  if (st) {
    r->file = NULL;
    goto fail;
  }
  if ((st = vfs_file_size(r->file, &r->file_size))) goto fail;
  if (r->file_size < TABLE_TRAILER_SIZE + BLOCK_HEADER_SIZE) {
    st = status_new(STRATA_CORRUPTION, "%s: file of %llu bytes is too short to be a table", r->what,
                    (unsigned long long)r->file_size);
    goto fail;
  }
  /* A point read that misses the cache then costs no system call and no staging copy. */
  const void *map = NULL;
  if (may_map) vfs_file_try_map(v, r->file, r->file_size, &map);
  r->map = map;
  uint8_t tb[TABLE_TRAILER_SIZE];
  if (r->map) memcpy(tb, r->map + r->file_size - TABLE_TRAILER_SIZE, sizeof tb);
  else if ((st = vfs_file_read_exact(r->file, r->file_size - TABLE_TRAILER_SIZE, tb, sizeof tb, r->what))) goto fail;
  if ((st = table_trailer_decode(tb, r->file_size, r->what, &r->trailer))) goto fail;
  uint8_t *raw = NULL;
  size_t len = 0;
  block_handle toc_h = {r->trailer.toc_offset, r->trailer.toc_size};
  if ((st = read_raw(r, toc_h, BLOCK_TYPE_TOC, NULL, &raw, &len))) goto fail;
  st = table_toc_decode(slice_make(raw, len), r->trailer.toc_offset, r->what, &r->toc);
  free(raw);
  if (st) goto fail;
  if ((st = read_raw(r, r->toc.meta, BLOCK_TYPE_META, NULL, &raw, &len))) goto fail;
  st = table_meta_decode(slice_make(raw, len), r->what, &r->meta);
  free(raw);
  if (st) goto fail;
  r->meta.file_size = r->file_size;
  if ((st = open_block(r, r->toc.index, BLOCK_TYPE_INDEX, &r->index))) goto fail;
  if ((st = block_build_search_tree(r->index))) goto fail;
  uint64_t expect_top = r->meta.index_partition_count ? r->meta.index_partition_count : r->meta.data_block_count;
  if (r->index->item_count != expect_top) {
    st = status_new(STRATA_CORRUPTION, "%s: index has %u entries, metadata says %llu", r->what,
                    r->index->item_count, (unsigned long long)expect_top);
    goto fail;
  }
  if (r->meta.filter_partition_count &&
      (!r->toc.has_filter_index || r->meta.filter_partition_count != r->meta.index_partition_count)) {
    st = status_new(STRATA_CORRUPTION, "%s: filter partitions disagree with index partitions", r->what);
    goto fail;
  }
  if (r->toc.has_filter_index) {
    if ((st = open_block(r, r->toc.filter_index, BLOCK_TYPE_INDEX, &r->filter_index))) goto fail;
    if ((st = block_build_search_tree(r->filter_index))) goto fail;
    if (r->filter_index->item_count != r->meta.filter_partition_count) {
      st = status_new(STRATA_CORRUPTION, "%s: filter index has %u entries, metadata says %llu", r->what,
                      r->filter_index->item_count, (unsigned long long)r->meta.filter_partition_count);
      goto fail;
    }
  }
  if (r->toc.has_filter) {
    if ((st = read_raw(r, r->toc.filter, BLOCK_TYPE_FILTER, NULL, &r->filter, &r->filter_len))) goto fail;
    if ((st = bloom_open(slice_make(r->filter, r->filter_len), &r->bloom))) {
      st = status_wrap(st, "%s: filter block", r->what);
      goto fail;
    }
  }
  *out = r;
  return NULL;
fail:
  table_reader_close(r);
  return st;
}

void table_reader_close(table_reader *r) {
  if (!r) return;
  strata_status_free(vfs_file_close(r->file));
  block_free(r->index);
  free(r->filter);
  block_free(r->filter_index);
  table_meta_free(&r->meta);
  free(r->what);
  free(r);
}

const table_meta *table_reader_meta(const table_reader *r) { return &r->meta; }
uint64_t table_reader_id(const table_reader *r) { return r->id; }
checksum128 table_reader_file_checksum(const table_reader *r) { return r->trailer.file_checksum; }

strata_status *table_reader_verify(table_reader *r) {
  checksum128_stream *cs = checksum128_stream_new();
  size_t chunk = 64 * 1024;
  uint8_t *buf = malloc(chunk);
  strata_status *st = NULL;
  if (!cs || !buf) st = status_no_memory();
  uint64_t end = r->file_size - TABLE_TRAILER_SIZE;
  for (uint64_t off = 0; !st && off < end; off += chunk) {
    size_t n = end - off < chunk ? (size_t)(end - off) : chunk;
    st = vfs_file_read_exact(r->file, off, buf, n, r->what);
    if (!st) checksum128_stream_update(cs, buf, n);
  }
  if (!st && !checksum128_equal(checksum128_stream_digest(cs), r->trailer.file_checksum))
    st = status_new(STRATA_CORRUPTION, "%s: whole-file checksum mismatch (bytes 0..%llu)", r->what,
                    (unsigned long long)end);
  free(buf);
  checksum128_stream_free(cs);
  return st;
}


/* Seeks one index block for the first entry >= target; *found = 0 past its end. */
static strata_status *index_seek(table_reader *r, const block *idx, const internal_key *target, int *found,
                                 block_handle *h) {
  slice v;
  STATUS_TRY(block_seek_value(idx, target, found, &v));
  if (!*found) return NULL;
  /* the common case decoded inline; anything unusual (and every error) the long way */
  const uint8_t *p = v.data, *end = v.data + v.len;
  if ((p = decode_varint64(p, end, &h->offset)) && (p = decode_varint64(p, end, &h->size)) && p == end &&
      block_handle_in_range(*h))
    return NULL;
  strata_status *st = index_value_decode(v, r->what, h);
  if (st) *found = 0;
  return st;
}

/* A filter partition, as cached. */
typedef struct filter_part {
  uint8_t *data;
  size_t len;
  bloom_filter bloom; /* parsed when loaded: a cached part is a checked one */
} filter_part;

static void filter_part_free(void *p) {
  filter_part *f = p;
  free(f->data);
  free(f);
}

static void release_filter_part(table_reader *r, cache_handle *ch, filter_part *owned) {
  if (ch) block_cache_release(r->cache, ch);
  else filter_part_free(owned);
}

static strata_status *load_filter_part(table_reader *r, block_handle h, filter_part **out, cache_handle **ch) {
  *ch = NULL;
  if (r->cache && (*ch = block_cache_lookup(r->cache, r->id, h.offset))) {
    *out = cache_handle_value(*ch);
    return NULL;
  }
  filter_part *f = calloc(1, sizeof *f);
  if (!f) return status_no_memory();
  strata_status *st = read_raw(r, h, BLOCK_TYPE_FILTER, NULL, &f->data, &f->len);
  if (!st && (st = bloom_open(slice_make(f->data, f->len), &f->bloom)))
    st = status_wrap(st, "%s: filter partition at offset %llu", r->what, (unsigned long long)h.offset);
  if (!st && r->cache) st = block_cache_insert(r->cache, r->id, h.offset, f, f->len + sizeof *f, filter_part_free, 0, ch);
  if (st) {
    filter_part_free(f);
    return st;
  }
  *out = f;
  return NULL;
}

/* Filter check for the partition holding the first entry >= target. */
static strata_status *filter_check(table_reader *r, const internal_key *target, uint64_t key_hash, int *may) {
  *may = 1;
  if (r->filter) {
    *may = bloom_filter_may_contain(&r->bloom, key_hash);
    return NULL;
  }
  if (!r->filter_index) return NULL;
  block_handle h;
  int hit;
  STATUS_TRY(index_seek(r, r->filter_index, target, &hit, &h));
  if (!hit) {
    *may = 0; /* beyond the table's last key */
    return NULL;
  }
  filter_part *f = NULL;
  cache_handle *ch = NULL;
  STATUS_TRY(load_filter_part(r, h, &f, &ch));
  *may = bloom_filter_may_contain(&f->bloom, key_hash);
  release_filter_part(r, ch, f);
  return NULL;
}

strata_status *table_reader_may_contain(table_reader *r, slice user_key, uint64_t key_hash, int *may) {
  internal_key target = internal_key_seek_target(user_key, SEQNO_READ_ALL);
  return filter_check(r, &target, key_hash, may);
}

strata_status *table_reader_get(table_reader *r, slice user_key, uint64_t key_hash, uint64_t snapshot, int *found,
                                internal_key *key_out, buffer *value_out) {
  *found = 0;
  if (slice_compare(user_key, buffer_slice(&r->meta.min_key)) < 0 ||
      slice_compare(user_key, buffer_slice(&r->meta.max_key)) > 0)
    return NULL;
  return table_reader_get_in_range(r, user_key, key_hash, snapshot, found, key_out, value_out);
}

strata_status *table_reader_get_in_range(table_reader *r, slice user_key, uint64_t key_hash, uint64_t snapshot,
                                         int *found, internal_key *key_out, buffer *value_out) {
  *found = 0;
  if (snapshot > SEQNO_READ_ALL) snapshot = SEQNO_READ_ALL; /* keeps seqno << 8 in range */
  if (snapshot == 0 || r->meta.entry_count == 0) return NULL;
  STRATA_TESTCASE(slice_equal(user_key, buffer_slice(&r->meta.max_key))); /* the table's last key */
  internal_key target = internal_key_seek_target(user_key, snapshot);
  block_handle h;
  int hit;
  STATUS_TRY(filter_check(r, &target, key_hash, &hit));
  if (!hit) return NULL;
  STATUS_TRY(index_seek(r, r->index, &target, &hit, &h));
  if (!hit) return NULL;
  const block *b;
  block_owner owner;
  if (r->meta.index_partition_count) {
    STATUS_TRY(table_reader_load_block(r, h, BLOCK_TYPE_INDEX, &b, &owner));
    strata_status *st = index_seek(r, b, &target, &hit, &h);
    owner.release(owner.ctx, owner.token);
    STATUS_TRY(st);
    if (!hit) return NULL;
  }
  STATUS_TRY(table_reader_load_block(r, h, BLOCK_TYPE_DATA, &b, &owner));
  internal_key k;
  slice v;
  strata_status *st = block_get(b, user_key, key_hash, snapshot, &hit, &k, &v);
  if (!st && hit) {
    buffer_clear(value_out);
    st = buffer_append(value_out, v.data, v.len);
    if (!st) {
      *key_out = k;
      *found = 1;
    }
  }
  owner.release(owner.ctx, owner.token);
  return st;
}
