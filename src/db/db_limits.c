/*
 * db_limits.c -- the limits of strata_limits.h, enforced where the API takes writes, and the
 * compile-time proof that every layer below accepts what they let through.
 *
 * The checks look at lengths only: they run before any byte of a key or value is read, so a
 * length the engine refuses is refused whatever the buffer behind it (tests/c/test_limits.c
 * passes huge lengths with small buffers to hold the functions to that order).
 */
#include "../journal/journal_format.h"
#include "../memtable/memtable.h"
#include "../table/block_header.h"
#include "../table/block_writer.h"
#include "../table/table_options.h"
#include "../util/coding.h"
#include "../util/compress.h"
#include "db_internal.h"

/* --- what the layers below accept (see strata_limits.h) ---------------------------------------- */

/* The batch item and journal formats. */
_Static_assert(STRATA_KEY_MAX == USER_KEY_MAX, "one key limit");
_Static_assert(STRATA_KEY_MAX <= 0xFFFF, "key_len is a fixed16 in a batch item");
_Static_assert(STRATA_VALUE_MAX <= WRITE_BATCH_VALUE_MAX, "value_len is a fixed32 in a batch item");
_Static_assert(STRATA_BATCH_ITEM_OVERHEAD == WRITE_BATCH_ITEM_HEADER, "the batch item header");
_Static_assert(STRATA_BATCH_COUNT_MAX <= UINT32_MAX, "count is a fixed32 in a journal record");
/* one put at the limits is a batch within the limits */
_Static_assert(STRATA_BATCH_ITEM_BYTES(STRATA_KEY_MAX, STRATA_VALUE_MAX) <= STRATA_BATCH_BYTES_MAX, "one item");
/* replay reads a record's body and end into one buffer: it must be addressable on wasm32 too */
_Static_assert(STRATA_BATCH_BYTES_MAX + JOURNAL_END_SIZE <= (uint64_t)UINT32_MAX / 2, "a journal body on wasm32");

/* The memtable: a node keeps both lengths as u32. */
_Static_assert(STRATA_VALUE_MAX <= MEMTABLE_VALUE_MAX, "memtable value length");

/* A data block: up to a block-size target of smaller entries, then one entry at the limits
 * (its header: three varint32 lengths and the varint64 trailer), then the block's tail (end
 * marker, a restart per entry at worst, hash buckets, footer) must stay under the envelope's
 * bound, the block writer's own entry bound, and LZ4's input bound. */
#define LIMITS_ENTRY_HEADER_MAX (3 * VARINT32_MAX + VARINT64_MAX)
#define LIMITS_BLOCK_TAIL_MAX ((uint64_t)1 << 20)
_Static_assert((uint64_t)STRATA_BLOCK_SIZE_MAX + LIMITS_ENTRY_HEADER_MAX + STRATA_KEY_MAX + STRATA_VALUE_MAX +
                       LIMITS_BLOCK_TAIL_MAX <=
                   BLOCK_MAX_RAW_LEN,
               "a block holding a value at the limit decodes within BLOCK_MAX_RAW_LEN");
_Static_assert(STRATA_VALUE_MAX <= BLOCK_WRITER_VALUE_MAX, "the block writer's entry bound");
_Static_assert(BLOCK_MAX_RAW_LEN <= COMPRESS_MAX_INPUT, "a block compresses in one LZ4 call");
_Static_assert(STRATA_BLOCK_SIZE_MAX == TABLE_MAX_BLOCK_SIZE, "block size ceiling");

/* --- the checks -------------------------------------------------------------------------------- */

strata_status *db_key_too_long(size_t klen) {
  return status_new(STRATA_INVALID_ARGUMENT, "key of %zu bytes is longer than the limit of %u bytes", klen,
                    STRATA_KEY_MAX);
}

strata_status *db_check_value(size_t vlen) {
  if ((uint64_t)vlen > STRATA_VALUE_MAX)
    return status_new(STRATA_INVALID_ARGUMENT,
                      "value of %zu bytes is larger than the limit of %u bytes (STRATA_VALUE_MAX, 128 MiB)", vlen,
                      (unsigned)STRATA_VALUE_MAX);
  return NULL;
}

strata_status *db_check_batch_room(const write_batch *b, size_t klen, size_t vlen) {
  uint32_t count = write_batch_count(b);
  if (count >= STRATA_BATCH_COUNT_MAX)
    return status_new(STRATA_INVALID_ARGUMENT, "batch already holds %u operations, the limit (STRATA_BATCH_COUNT_MAX)",
                      (unsigned)count);
  /* klen and vlen have passed db_check_key / db_check_value: the sum cannot wrap */
  uint64_t have = write_batch_byte_size(b), item = STRATA_BATCH_ITEM_BYTES(klen, vlen);
  if (have + item > STRATA_BATCH_BYTES_MAX)
    return status_new(STRATA_INVALID_ARGUMENT,
                      "batch of %llu bytes plus an operation of %llu bytes exceeds the limit of %llu bytes "
                      "(STRATA_BATCH_BYTES_MAX)",
                      (unsigned long long)have, (unsigned long long)item, (unsigned long long)STRATA_BATCH_BYTES_MAX);
  return NULL;
}

strata_status *db_check_batch(const write_batch *b) {
  if (write_batch_count(b) > STRATA_BATCH_COUNT_MAX)
    return status_new(STRATA_INVALID_ARGUMENT, "batch of %u operations exceeds the limit of %u (STRATA_BATCH_COUNT_MAX)",
                      (unsigned)write_batch_count(b), (unsigned)STRATA_BATCH_COUNT_MAX);
  if ((uint64_t)write_batch_byte_size(b) > STRATA_BATCH_BYTES_MAX)
    return status_new(STRATA_INVALID_ARGUMENT,
                      "batch of %llu bytes exceeds the limit of %llu bytes (STRATA_BATCH_BYTES_MAX)",
                      (unsigned long long)write_batch_byte_size(b), (unsigned long long)STRATA_BATCH_BYTES_MAX);
  return NULL;
}
