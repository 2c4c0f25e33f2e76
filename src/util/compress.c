#include "compress.h"

#include <lz4.h>
#include <string.h>

const char *compression_name(compression c) {
  switch (c) {
    case COMPRESSION_NONE: return "none";
    case COMPRESSION_LZ4: return "lz4";
  }
  return "unknown";
}

strata_status *compression_from_byte(uint8_t byte, compression *out) {
  if (byte > COMPRESSION_LZ4) return status_new(STRATA_CORRUPTION, "unknown compression type %u", byte);
  *out = (compression)byte;
  return NULL;
}

size_t compress_bound(compression c, size_t len) {
  if (c == COMPRESSION_LZ4 && len <= COMPRESS_MAX_INPUT) return (size_t)LZ4_compressBound((int)len);
  return len;
}

strata_status *compress_block(compression c, const uint8_t *src, size_t len, uint8_t *dst, size_t cap,
                              size_t *out_len) {
  if (len > COMPRESS_MAX_INPUT)
    return status_new(STRATA_INVALID_ARGUMENT, "block of %zu bytes is too large to compress", len);
  if (cap < compress_bound(c, len))
    return status_new(STRATA_INVALID_ARGUMENT, "compression output buffer too small (%zu < %zu)", cap,
                      compress_bound(c, len));
  switch (c) {
    case COMPRESSION_NONE:
      if (len) memcpy(dst, src, len);
      *out_len = len;
      return NULL;
    case COMPRESSION_LZ4: {
      int n = LZ4_compress_default((const char *)src, (char *)dst, (int)len, (int)cap);
      if (n <= 0) return status_new(STRATA_IO, "lz4 compression of %zu bytes failed", len);
      *out_len = (size_t)n;
      return NULL;
    }
  }
  return status_new(STRATA_INVALID_ARGUMENT, "unknown compression type %d", (int)c);
}

strata_status *decompress_block(compression c, const uint8_t *src, size_t len, uint8_t *dst,
                                size_t raw_len) {
  switch (c) {
    case COMPRESSION_NONE:
      if (len != raw_len)
        return status_new(STRATA_CORRUPTION, "uncompressed block is %zu bytes, expected %zu", len, raw_len);
      if (len) memcpy(dst, src, len);
      return NULL;
    case COMPRESSION_LZ4: {
      if (len > COMPRESS_MAX_INPUT || raw_len > COMPRESS_MAX_INPUT)
        return status_new(STRATA_CORRUPTION, "lz4 block lengths out of range (%zu -> %zu)", len, raw_len);
      /* _safe never writes past dst + raw_len nor reads past src + len, whatever the input. */
      int n = LZ4_decompress_safe((const char *)src, (char *)dst, (int)len, (int)raw_len);
      if (n < 0 || (size_t)n != raw_len)
        return status_new(STRATA_CORRUPTION, "lz4 block does not decode to %zu bytes", raw_len);
      return NULL;
    }
  }
  return status_new(STRATA_CORRUPTION, "unknown compression type %d", (int)c);
}
