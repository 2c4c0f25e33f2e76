/*
 * block_header.h -- the envelope every block of a table file travels in.
 *
 * A block on disk is a fixed 32-byte header followed by its stored payload:
 *
 *   +------+------+-------------+----------+------------------+------------------+---------------+
 *   | type | comp | stored_len  | raw_len  | payload_checksum | payload_checksum | header_check  |
 *   |  u8  |  u8  |  fixed32    | fixed32  |  low  fixed64    |  high fixed64    |   fixed32     |
 *   +------+------+-------------+----------+------------------+------------------+---------------+
 *   | pad  |  stored payload (stored_len bytes; LZ4 block or raw bytes) ...                      |
 *   | u16=0|                                                                                     |
 *
 *   offset: 0 type, 1 compression, 2 stored_len, 6 raw_len, 10 checksum low, 18 checksum high,
 *           26 header_check, 30 two zero bytes, 32 payload.
 *   payload_checksum = xxh3-128 of the stored payload bytes (as on disk, i.e. compressed).
 *   header_check     = low 32 bits of xxh3-64 of header bytes 0..25.
 *
 * A block handle (offset of the header, total size = 32 + stored_len) names a block; handles
 * are encoded as varint64 offset, varint64 size. Readers verify the header check, the type,
 * the lengths against the handle, the payload checksum, and decompress to exactly raw_len.
 */
#ifndef STRATA_TABLE_BLOCK_HEADER_H
#define STRATA_TABLE_BLOCK_HEADER_H

#include <stddef.h>
#include <stdint.h>

#include "../util/buffer.h"
#include "../util/coding.h"
#include "../util/compress.h"
#include "../util/slice.h"
#include "../util/status.h"

#define BLOCK_HEADER_SIZE 32
#define BLOCK_MAX_RAW_LEN ((uint32_t)1 << 30) /* no block decodes to more than 1 GiB */

typedef enum block_type {
  BLOCK_TYPE_DATA = 1,
  BLOCK_TYPE_INDEX = 2, /* top-level index or index partition */
  BLOCK_TYPE_FILTER = 3,
  BLOCK_TYPE_META = 4,
  BLOCK_TYPE_TOC = 5
} block_type;

const char *block_type_name(block_type t);

typedef struct block_handle {
  uint64_t offset; /* of the header */
  uint64_t size;   /* header + stored payload */
} block_handle;

STRATA_MUST_USE strata_status *block_handle_encode(buffer *out, block_handle h);
STRATA_MUST_USE strata_status *block_handle_decode(reader *r, block_handle *out);
/* The sizes a decoded handle may have (block_handle_decode refuses the others). */
static inline int block_handle_in_range(block_handle h) {
  return h.size >= BLOCK_HEADER_SIZE && h.size <= (uint64_t)BLOCK_HEADER_SIZE + BLOCK_MAX_RAW_LEN + (1u << 24) &&
         h.offset <= UINT64_MAX - h.size;
}

/*
 * Appends header + stored payload for `raw` to `out`. With LZ4 the block is stored uncompressed
 * when compression does not make it smaller. `scratch` is reused between calls.
 */
STRATA_MUST_USE strata_status *block_frame(block_type type, compression comp, slice raw, buffer *scratch,
                                           buffer *out);

/*
 * Verifies the bytes of one block read at handle `h` of file `file` and returns its raw
 * payload, malloc'd (*raw, *raw_len; the caller frees). Any mismatch is STRATA_CORRUPTION
 * naming the file and offset.
 */
/* block_unframe's checks without the copy: *payload is the stored payload (inside `stored`), to be
 * expanded with decompress_block(*comp, ...) into *raw_len bytes. */
typedef struct block_payload {
  slice stored;
  compression comp;
  size_t raw_len;
} block_payload;
STRATA_MUST_USE strata_status *block_unframe_check(slice stored, block_handle h, block_type expected,
                                                   const char *file, block_payload *out);
/* Expands a checked payload into dst (raw_len bytes); an lz4 stream that does not decode to
 * exactly raw_len bytes is STRATA_CORRUPTION naming the file and offset. */
STRATA_MUST_USE strata_status *block_payload_expand(const block_payload *p, block_handle h, const char *file,
                                                    uint8_t *dst);

STRATA_MUST_USE strata_status *block_unframe(slice stored, block_handle h, block_type expected,
                                             const char *file, uint8_t **raw, size_t *raw_len);

#endif
