/*
 * block_reader.h -- decoding data and index blocks (format drawn in block_writer.c).
 *
 * block_open() validates the footer, the end marker, every restart offset and restart entry
 * header (decoding the restart keys once, for the searches); the other entries are checked as
 * they are decoded, so a corrupt entry surfaces as STRATA_CORRUPTION from the
 * iterator or lookup that touches it, never as an out-of-bounds read.
 */
#ifndef STRATA_TABLE_BLOCK_READER_H
#define STRATA_TABLE_BLOCK_READER_H

#include <stddef.h>
#include <stdint.h>

#include "../util/buffer.h"
#include "../util/internal_key.h"
#include "../util/kv_iterator.h"
#include "../util/slice.h"
#include "../util/status.h"
#include "restart_tree.h"

/* A restart entry's key, decoded (and checked) once when the block is opened, so that the binary
 * search over restart points compares without decoding. */
typedef struct block_restart {
  uint32_t key_off, key_len; /* the full user key: data[key_off .. key_off + key_len) */
  uint64_t trailer;          /* seqno << 8 | type */
  /* The key's 8 bytes after the prefix every restart key of the block shares (block.tag_from),
   * big-endian, zero-padded: a search compares these first and reads the key itself only when
   * they are equal, so a probe of a large index touches this table and not the entry. */
  uint64_t tag;
} block_restart;

typedef struct block {
  uint8_t *data; /* owned, malloc'd */
  size_t len;
  uint32_t entries_end, item_count, num_restarts, num_buckets;
  const uint8_t *restarts; /* fixed32 * num_restarts, in data or copied after rk's last entry */
  const uint8_t *buckets;  /* u8 * num_buckets, after the restarts */
  block_restart *rk;       /* num_restarts entries; allocated with the block (rk_cap) or on its own */
  uint32_t rk_cap;
  uint32_t tag_from; /* length of the prefix shared by the first and last restart keys (so by all) */
  uint8_t rk_owned, data_inline; /* rk malloc'd on its own; data allocated with the block */
  void *extra;                   /* block_new_inline's caller bytes (a cache handle), or NULL */
  size_t extra_len;
  /* For messages: "<what>: <kind> block at offset <offset>", or just <what> when kind is NULL.
   * `what` is a copy allocated with the block, so opening one formats nothing. */
  const char *what;
  const char *kind;
  uint64_t offset;
  /* A search tree over the restart tags (block_build_search_tree), or NULL: the restart searches
   * of a block whose every entry is a restart (an index) then read a line per tree level. */
  restart_tree *tree;
} block;

/* Takes ownership of data (freed on failure too). `what` is copied. */
STRATA_MUST_USE strata_status *block_open(uint8_t *data, size_t len, const char *what, block **out);
/* The same for a block of a file: messages name `file`, the block's kind ("data", "index": a
 * static string) and its offset. */
STRATA_MUST_USE strata_status *block_open_at(uint8_t *data, size_t len, const char *file, const char *kind,
                                             uint64_t offset, block **out);
/*
 * A block read into its own allocation: block_new_inline allocates the struct, `extra` bytes for
 * the caller (at b->extra, aligned for any scalar: the block cache's handle), a restart table
 * of up to rk_slots entries (0: room for a restart every 512 bytes) and len bytes of data at
 * b->data, in one piece; the caller writes the data, then block_finish_inline checks it as
 * block_open does (freeing b on failure). One malloc per block read, one free per eviction; a
 * block with more restarts than the table holds gets one of its own, one without room for its
 * tail leaves it in place.
 */
STRATA_MUST_USE strata_status *block_new_inline(size_t len, size_t rk_slots, const char *file, const char *kind,
                                                uint64_t offset, size_t extra, block **out);
/* rk_slots for a data block of about `entries` entries at `interval`: its restarts and the
 * copy of its restart offsets and hash buckets, with a margin (0 when entries is 0). */
size_t block_restart_slots(uint64_t entries, uint64_t interval);
STRATA_MUST_USE strata_status *block_finish_inline(block *b);
void block_free(block *b);
size_t block_charge(const block *b); /* bytes it occupies, for the cache (its tree included) */

/* Builds b's restart tree when every entry of b is a restart (an index block) and there are at
 * least RESTART_TREE_MIN of them; otherwise leaves b as it is. For blocks searched often and
 * kept long (a table's top-level index): its cost is a pass over the restarts. */
STRATA_MUST_USE strata_status *block_build_search_tree(block *b);

/*
 * Point read: the newest entry of user_key with seqno < snapshot, using the hash index when
 * present. *found = 0 when the block holds none. key_out->user_key and *value point into the
 * block (valid while it lives).
 */
STRATA_MUST_USE strata_status *block_get(const block *b, slice user_key, uint64_t key_hash, uint64_t snapshot,
                                         int *found, internal_key *key_out, slice *value);

/*
 * Index lookup without an iterator: the value of the first entry >= target (*found = 0 when
 * every entry is smaller). *value points into the block.
 */
STRATA_MUST_USE strata_status *block_seek_value(const block *b, const internal_key *target, int *found,
                                                slice *value);

/* Releases whatever keeps a block alive (a cache handle, or the block itself). */
typedef struct block_owner {
  void (*release)(void *ctx, void *token);
  void *ctx;
  void *token;
} block_owner;

/*
 * A double-ended iterator over the raw entries of a block, taken from `arena` when it has room
 * (util/iter_arena.h; NULL: malloc). It calls owner.release (if set) when destroyed, also when
 * creation fails.
 */
STRATA_MUST_USE strata_status *block_iterator_new(const block *b, block_owner owner, iter_arena *arena,
                                                  kv_iterator **out);

/* The block iterator's methods and its next(), for a layer that knows its inner iterator may be a
 * block iterator (the two-level iterator of a table): a scan then makes a direct call per entry,
 * not an indirect one (under WebAssembly a table and signature check, never inlined). */
extern const kv_iterator_ops block_iterator_ops;
void block_iterator_next(kv_iterator *it);

/* Points an iterator from block_iterator_new at another block (unpositioned), releasing the old
 * block's owner and keeping its buffers: a scan crossing blocks allocates nothing per block. */
void block_iterator_reset(kv_iterator *it, const block *b, block_owner owner);

#endif
