/*
 * compress.h -- block compression: none or LZ4 (block API, no frame).
 *
 * The caller stores the uncompressed length beside the compressed bytes; decompression is
 * told that length and fails with a corruption status unless it produces exactly that many.
 */
#ifndef STRATA_UTIL_COMPRESS_H
#define STRATA_UTIL_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

typedef enum compression {
  COMPRESSION_NONE = 0,
  COMPRESSION_LZ4 = 1
} compression;

/* Largest input one call accepts (LZ4's limit, about 2 GiB). */
#define COMPRESS_MAX_INPUT 0x7E000000u

const char *compression_name(compression c);
/* Parses a byte read from a file; unknown values are corruption. */
STRATA_MUST_USE strata_status *compression_from_byte(uint8_t byte, compression *out);

/* Worst-case output size for `len` input bytes. */
size_t compress_bound(compression c, size_t len);

/* Compresses src into dst (capacity compress_bound()); *out_len receives the stored size. */
STRATA_MUST_USE strata_status *compress_block(compression c, const uint8_t *src, size_t len,
                                              uint8_t *dst, size_t cap, size_t *out_len);

/* Decompresses exactly raw_len bytes into dst; anything else is corruption. */
STRATA_MUST_USE strata_status *decompress_block(compression c, const uint8_t *src, size_t len,
                                                uint8_t *dst, size_t raw_len);

#endif
