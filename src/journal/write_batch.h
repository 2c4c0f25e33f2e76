/*
 * write_batch.h -- an owned batch of writes that commits atomically under one seqno.
 *
 * The batch stores its operations back to back in one buffer, in the same encoding the journal
 * writes to disk as the batch body, so appending a batch to the journal is one write and
 * replaying it needs no re-encoding:
 *
 *   item = +------+-------------+---------------+---------+-----------+
 *          | type | key_len     | value_len     | key     | value     |
 *          | u8   | fixed16 LE  | fixed32 LE    | key_len | value_len |
 *          +------+-------------+---------------+---------+-----------+
 *
 *   type: 0 value, 1 tombstone, 2 weak tombstone (internal_key.h); tombstones carry no value.
 *   The format holds keys of 0..65535 bytes (empty is valid) and values of 0..4 GiB - 1 bytes;
 *   the public API keeps values far lower (STRATA_VALUE_MAX, strata_limits.h).
 *
 * A batch has no seqno of its own: the database assigns one to the whole batch when it commits.
 * Not thread-safe: one writer fills a batch, then hands it over.
 */
#ifndef STRATA_JOURNAL_WRITE_BATCH_H
#define STRATA_JOURNAL_WRITE_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "../util/buffer.h"
#include "../util/internal_key.h"
#include "../util/slice.h"
#include "../util/status.h"

#define WRITE_BATCH_ITEM_HEADER 7u /* type + key_len + value_len */
#define WRITE_BATCH_VALUE_MAX UINT32_MAX

/* Fields are private; the struct is public so a batch can live on the stack. */
typedef struct write_batch {
  buffer rep;     /* the encoded items */
  uint32_t count; /* number of items in rep */
} write_batch;

typedef struct write_batch_item {
  value_type type;
  slice key;   /* views into the batch: valid until it is changed or freed */
  slice value; /* empty for tombstones */
} write_batch_item;

typedef struct write_batch_iter {
  const uint8_t *pos;
  const uint8_t *end;
} write_batch_iter;

void write_batch_init(write_batch *b);
void write_batch_free(write_batch *b);
/* Empties the batch, keeping its memory for reuse. */
void write_batch_clear(write_batch *b);

/* Each fails with STRATA_INVALID_ARGUMENT (message naming the size) for a key over 65535 bytes
 * or a value of 4 GiB or more; a failed call leaves the batch unchanged. */
STRATA_MUST_USE strata_status *write_batch_put(write_batch *b, slice key, slice value);
STRATA_MUST_USE strata_status *write_batch_delete(write_batch *b, slice key);
STRATA_MUST_USE strata_status *write_batch_single_delete(write_batch *b, slice key);
/* Any type; a tombstone with a non-empty value is rejected. */
STRATA_MUST_USE strata_status *write_batch_add(write_batch *b, value_type type, slice key, slice value);

static inline uint32_t write_batch_count(const write_batch *b) { return b->count; }
static inline int write_batch_is_empty(const write_batch *b) { return b->count == 0; }
/* Approximate memory the items will take: their encoded size (keys, values, 7 bytes each). */
static inline size_t write_batch_byte_size(const write_batch *b) { return b->rep.len; }
/* The encoded items, for the journal writer. */
static inline slice write_batch_encoded(const write_batch *b) { return buffer_slice(&b->rep); }

/*
 * Takes untrusted encoded items (a journal batch body) that must hold exactly `count` items.
 * On success the batch's contents are swapped with *encoded (no copy; *encoded receives the
 * old buffer for reuse); on failure it returns STRATA_CORRUPTION and changes nothing.
 */
STRATA_MUST_USE strata_status *write_batch_adopt(write_batch *b, buffer *encoded, uint32_t count);

/* Encoded bytes of one item (header, key, value): what write_batch_encode_item writes. */
static inline size_t write_batch_item_size(size_t key_len, size_t value_len) {
  return WRITE_BATCH_ITEM_HEADER + key_len + value_len;
}
/* Writes one item's encoding to out (write_batch_item_size bytes), for a writer that frames a
 * single put straight into its journal record instead of building a batch first. The caller
 * has checked what write_batch_add checks (type, key and value lengths). */
void write_batch_encode_item(uint8_t *out, value_type type, slice key, slice value);

/* Iterates the items in insertion order. */
void write_batch_iter_init(write_batch_iter *it, const write_batch *b);
/* Fills *out and returns 1, or returns 0 after the last item. */
int write_batch_iter_next(write_batch_iter *it, write_batch_item *out);

#endif
