/*
 * block_writer.c -- the raw payload of data and index blocks (before the envelope of
 * block_header.h), in the manner of LevelDB's block_builder.cc.
 *
 * Entries sorted by internal key. Keys are prefix-truncated against the FIRST key of their
 * restart interval (not the previous key), so any entry decodes from its restart key alone.
 * Every `restart_interval` entries (TABLE_DEFAULT_RESTART_INTERVAL for data blocks, 1 for index
 * blocks) the full key is stored and its offset recorded as a restart point; binary search runs
 * over restart points.
 *
 * An entry:
 *   shared      varint32   bytes shared with the restart key (0 for a restart entry)
 *   unshared    varint32   bytes of key that follow
 *   value_len   varint32
 *   trailer     varint64   seqno << 8 | value type (internal_key.h)
 *   key_delta   unshared bytes
 *   value       value_len bytes   (index blocks: block handle = varint64 offset, varint64 size)
 *
 * The block:
 *   entry 0 .. entry n-1
 *   end marker       u8 = 0xE5                       (at offset entries_end)
 *   restarts         fixed32 * num_restarts          (restarts[0] = 0, strictly increasing)
 *   hash buckets     u8 * num_buckets                (optional, data blocks only)
 *   footer (16 B):   entries_end fixed32, item_count fixed32,
 *                    num_restarts fixed32, num_buckets fixed32
 *
 *   entries_end + 1 + 4 * num_restarts + num_buckets + 16 = block length; an empty block has
 *   item_count 0 and no restarts.
 *
 * Hash index (point reads without binary search): bucket[hash % num_buckets] for a user key's
 * hash (checksum64 of the user key, the same hash the bloom filter is probed with) holds the
 * index of the restart interval containing the FIRST entry of that user key in the block,
 * 255 when no key maps there (the key is not in the block) or 254 when two keys in different
 * intervals collide (fall back to binary search). Built only when num_restarts <= 253.
 */
#include "block_writer.h"

#include <stdlib.h>
#include <string.h>

#include "../util/check.h"
#include "../util/coding.h"

void block_writer_init(block_writer *bw, unsigned restart_interval, int hash_index) {
  memset(bw, 0, sizeof *bw);
  buffer_init(&bw->data);
  buffer_init(&bw->restarts);
  buffer_init(&bw->last_key);
  bw->interval = restart_interval ? restart_interval : 1;
  bw->hash_index = hash_index;
}

void block_writer_free(block_writer *bw) {
  buffer_free(&bw->data);
  buffer_free(&bw->restarts);
  buffer_free(&bw->last_key);
  free(bw->pairs);
  bw->pairs = NULL;
}

void block_writer_reset(block_writer *bw) {
  buffer_clear(&bw->data);
  buffer_clear(&bw->restarts);
  buffer_clear(&bw->last_key);
  bw->counter = 0;
  bw->items = 0;
  bw->num_restarts = 0;
  bw->npairs = 0;
  bw->finished = 0;
  bw->restart_key_off = bw->restart_key_len = 0;
}

int block_writer_empty(const block_writer *bw) { return bw->items == 0; }
uint32_t block_writer_count(const block_writer *bw) { return bw->items; }

size_t block_writer_estimated_size(const block_writer *bw) {
  return bw->data.len + 1 + bw->restarts.len + BLOCK_FOOTER_SIZE;
}

static strata_status *add_pair(block_writer *bw, uint64_t hash, uint32_t restart) {
  if (bw->npairs == bw->cap_pairs) {
    size_t cap = bw->cap_pairs ? bw->cap_pairs * 2 : 64;
    block_hash_pair *p = realloc(bw->pairs, cap * sizeof *p);
    if (!p) return status_no_memory();
    bw->pairs = p;
    bw->cap_pairs = cap;
  }
  bw->pairs[bw->npairs].hash = hash;
  bw->pairs[bw->npairs].restart = restart;
  bw->npairs++;
  return NULL;
}

strata_status *block_writer_add(block_writer *bw, const internal_key *key, slice value, uint64_t key_hash) {
  slice uk = key->user_key;
  if (uk.len > USER_KEY_MAX || value.len > BLOCK_WRITER_VALUE_MAX)
    return status_new(STRATA_INVALID_ARGUMENT, "block entry too large (key %zu of at most %u, value %zu of at most %u bytes)",
                      uk.len, USER_KEY_MAX, value.len, (unsigned)BLOCK_WRITER_VALUE_MAX);
  int new_user_key = bw->items == 0 || !slice_equal(uk, buffer_slice(&bw->last_key));
  size_t shared = 0;
  STRATA_TESTCASE(bw->counter == bw->interval && bw->items > 0); /* a restart point after a full interval */
  if (bw->counter == 0 || bw->counter >= bw->interval) {
    if (bw->data.len > UINT32_MAX - 64) return status_new(STRATA_INVALID_ARGUMENT, "block exceeds 4 GiB");
    STATUS_TRY(buffer_append_fixed32(&bw->restarts, (uint32_t)bw->data.len));
    bw->num_restarts++;
    bw->counter = 0;
  } else {
    slice rk = slice_make(bw->data.data + bw->restart_key_off, bw->restart_key_len);
    shared = slice_shared_prefix(rk, uk);
  }
  int is_restart = bw->counter == 0;
  size_t unshared = uk.len - shared;
  uint8_t head[3 * VARINT32_MAX + VARINT64_MAX], *p = head;
  p += encode_varint32(p, (uint32_t)shared);
  p += encode_varint32(p, (uint32_t)unshared);
  p += encode_varint32(p, (uint32_t)value.len);
  p += encode_varint64(p, internal_key_trailer(key));
  STATUS_TRY(buffer_reserve(&bw->data, (size_t)(p - head) + unshared + value.len));
  STATUS_TRY(buffer_append(&bw->data, head, (size_t)(p - head)));
  size_t key_off = bw->data.len;
  if (unshared) STATUS_TRY(buffer_append(&bw->data, uk.data + shared, unshared));
  STATUS_TRY(buffer_append(&bw->data, value.data, value.len));
  if (is_restart) {
    bw->restart_key_off = key_off;
    bw->restart_key_len = uk.len;
  }
  if (bw->hash_index && new_user_key) STATUS_TRY(add_pair(bw, key_hash, bw->num_restarts - 1));
  if (new_user_key) {
    buffer_clear(&bw->last_key);
    STATUS_TRY(buffer_append(&bw->last_key, uk.data, uk.len));
  }
  bw->counter++;
  bw->items++;
  return NULL;
}

strata_status *block_writer_finish(block_writer *bw, slice *out) {
  if (bw->finished) {
    *out = buffer_slice(&bw->data);
    return NULL;
  }
  uint32_t entries_end = (uint32_t)bw->data.len;
  uint32_t nbuckets = 0;
  if (bw->hash_index && bw->items && bw->num_restarts <= BLOCK_HASH_MAX_RESTARTS)
    nbuckets = (uint32_t)BLOCK_HASH_BUCKETS(bw->npairs);
  STATUS_TRY(buffer_reserve(&bw->data, 1 + bw->restarts.len + nbuckets + BLOCK_FOOTER_SIZE));
  STATUS_TRY(buffer_append_byte(&bw->data, BLOCK_END_MARKER));
  STATUS_TRY(buffer_append(&bw->data, bw->restarts.data, bw->restarts.len));
  if (nbuckets) {
    size_t base = bw->data.len;
    for (uint32_t i = 0; i < nbuckets; i++) STATUS_TRY(buffer_append_byte(&bw->data, BLOCK_HASH_EMPTY));
    uint8_t *b = bw->data.data + base;
    for (size_t i = 0; i < bw->npairs; i++) {
      uint8_t *slot = &b[bw->pairs[i].hash % nbuckets];
      uint8_t r = (uint8_t)bw->pairs[i].restart;
      if (*slot == BLOCK_HASH_EMPTY) *slot = r;
      else if (*slot != r) *slot = BLOCK_HASH_COLLISION;
    }
  }
  STATUS_TRY(buffer_append_fixed32(&bw->data, entries_end));
  STATUS_TRY(buffer_append_fixed32(&bw->data, bw->items));
  STATUS_TRY(buffer_append_fixed32(&bw->data, bw->num_restarts));
  STATUS_TRY(buffer_append_fixed32(&bw->data, nbuckets));
  bw->finished = 1;
  *out = buffer_slice(&bw->data);
  return NULL;
}
