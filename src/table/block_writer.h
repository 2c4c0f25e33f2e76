/*
 * block_writer.h -- builds the raw payload of a data or index block (format in block_writer.c).
 *
 * Entries must be added in strictly ascending internal-key order (the table writer checks).
 */
#ifndef STRATA_TABLE_BLOCK_WRITER_H
#define STRATA_TABLE_BLOCK_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "../util/buffer.h"
#include "../util/internal_key.h"
#include "../util/slice.h"
#include "../util/status.h"

#define BLOCK_END_MARKER 0xE5
#define BLOCK_FOOTER_SIZE 16
#define BLOCK_HASH_MAX_RESTARTS 253 /* bucket values 0..252 name restarts; 254 collision, 255 empty */
#define BLOCK_HASH_COLLISION 254
#define BLOCK_HASH_EMPTY 255
/* The hash index's size for a block of `pairs` distinct user keys: a load of 3/4. */
#define BLOCK_HASH_BUCKETS(pairs) ((pairs) + (pairs) / 3 + 1)
/* An entry's value: varint32 length, and the block's fixed32 offsets must pass it (the envelope,
 * block_header.h, bounds the whole block lower still; strata_limits.h keeps values below both). */
#define BLOCK_WRITER_VALUE_MAX (UINT32_MAX / 2)

typedef struct block_hash_pair {
  uint64_t hash;
  uint32_t restart;
} block_hash_pair;

typedef struct block_writer {
  buffer data;          /* entries, then (on finish) marker, restarts, buckets, footer */
  buffer restarts;      /* fixed32 offsets */
  buffer last_key;      /* user key of the last entry */
  size_t restart_key_off, restart_key_len; /* the restart key, inside `data` */
  unsigned interval;
  unsigned counter;     /* entries since the last restart */
  uint32_t items;
  uint32_t num_restarts;
  int hash_index;
  block_hash_pair *pairs; /* one per distinct user key when hash_index */
  size_t npairs, cap_pairs;
  int finished;
} block_writer;

/* restart_interval >= 1; hash_index: build the per-block hash index for point reads. */
void block_writer_init(block_writer *bw, unsigned restart_interval, int hash_index);
void block_writer_free(block_writer *bw);
void block_writer_reset(block_writer *bw);
int block_writer_empty(const block_writer *bw);
uint32_t block_writer_count(const block_writer *bw);
/* Bytes the finished block would have (without the hash index). */
size_t block_writer_estimated_size(const block_writer *bw);
/* key_hash = checksum64(user key), used only when the hash index is on. */
STRATA_MUST_USE strata_status *block_writer_add(block_writer *bw, const internal_key *key, slice value,
                                                uint64_t key_hash);
/* Appends the trailer; *out stays valid until reset/free. */
STRATA_MUST_USE strata_status *block_writer_finish(block_writer *bw, slice *out);

#endif
