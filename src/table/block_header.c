/* The block envelope: header with lengths and checksums (the bytes are drawn in block_header.h). */
#include "block_header.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/checksum.h"

const char *block_type_name(block_type t) {
  switch (t) {
    case BLOCK_TYPE_DATA: return "data";
    case BLOCK_TYPE_INDEX: return "index";
    case BLOCK_TYPE_FILTER: return "filter";
    case BLOCK_TYPE_META: return "meta";
    case BLOCK_TYPE_TOC: return "toc";
  }
  return "unknown";
}

strata_status *block_handle_encode(buffer *out, block_handle h) {
  STATUS_TRY(buffer_append_varint64(out, h.offset));
  return buffer_append_varint64(out, h.size);
}

strata_status *block_handle_decode(reader *r, block_handle *out) {
  STATUS_TRY(reader_varint64(r, &out->offset));
  STATUS_TRY(reader_varint64(r, &out->size));
  if (!block_handle_in_range(*out))
    return status_new(STRATA_CORRUPTION, "%s: block handle (%llu, %llu) out of range", r->what,
                      (unsigned long long)out->offset, (unsigned long long)out->size);
  return NULL;
}

static uint32_t header_check(const uint8_t *h) {
  return (uint32_t)checksum64(h, 26);
}

strata_status *block_frame(block_type type, compression comp, slice raw, buffer *scratch, buffer *out) {
  if (raw.len > BLOCK_MAX_RAW_LEN)
    return status_new(STRATA_INVALID_ARGUMENT, "block of %zu bytes exceeds the 1 GiB limit", raw.len);
  slice stored = raw;
  compression used = COMPRESSION_NONE;
  if (comp != COMPRESSION_NONE && raw.len > 0) {
    size_t cap = compress_bound(comp, raw.len), n = 0;
    buffer_clear(scratch);
    STATUS_TRY(buffer_reserve(scratch, cap));
    STATUS_TRY(compress_block(comp, raw.data, raw.len, scratch->data, cap, &n));
    if (n < raw.len) {
      stored = slice_make(scratch->data, n);
      used = comp;
    }
  }
  uint8_t h[BLOCK_HEADER_SIZE];
  checksum128 c = checksum128_of(stored.data, stored.len);
  h[0] = (uint8_t)type;
  h[1] = (uint8_t)used;
  encode_fixed32(h + 2, (uint32_t)stored.len);
  encode_fixed32(h + 6, (uint32_t)raw.len);
  encode_fixed64(h + 10, c.low);
  encode_fixed64(h + 18, c.high);
  encode_fixed32(h + 26, header_check(h));
  h[30] = h[31] = 0;
  STATUS_TRY(buffer_reserve(out, sizeof h + stored.len));
  STATUS_TRY(buffer_append(out, h, sizeof h));
  return buffer_append(out, stored.data, stored.len);
}

static strata_status *corrupt(const char *file, block_handle h, const char *why) {
  return status_new(STRATA_CORRUPTION, "%s: block at offset %llu (size %llu): %s", file,
                    (unsigned long long)h.offset, (unsigned long long)h.size, why);
}

strata_status *block_unframe_check(slice stored, block_handle hd, block_type expected, const char *file,
                                   block_payload *out) {
  memset(out, 0, sizeof *out);
  if (stored.len < BLOCK_HEADER_SIZE || stored.len != hd.size) return corrupt(file, hd, "truncated block");
  const uint8_t *h = stored.data;
  if (decode_fixed32(h + 26) != header_check(h) || h[30] || h[31])
    return corrupt(file, hd, "header checksum mismatch");
  if (h[0] != (uint8_t)expected) {
    char why[96];
    snprintf(why, sizeof why, "expected a %s block, found type %u", block_type_name(expected), h[0]);
    return corrupt(file, hd, why);
  }
  compression comp;
  strata_status *st = compression_from_byte(h[1], &comp);
  if (st) {
    strata_status_free(st);
    return corrupt(file, hd, "unknown compression");
  }
  uint32_t stored_len = decode_fixed32(h + 2), len = decode_fixed32(h + 6);
  if ((uint64_t)stored_len + BLOCK_HEADER_SIZE != hd.size) return corrupt(file, hd, "length disagrees with handle");
  if (len > BLOCK_MAX_RAW_LEN) return corrupt(file, hd, "raw length out of range");
  if (comp == COMPRESSION_NONE && len != stored_len) return corrupt(file, hd, "raw and stored lengths differ");
  if (comp == COMPRESSION_LZ4 && (uint64_t)len > (uint64_t)stored_len * 255 + 64)
    return corrupt(file, hd, "raw length beyond what lz4 can expand to");
  checksum128 want = {decode_fixed64(h + 10), decode_fixed64(h + 18)};
  const uint8_t *payload = h + BLOCK_HEADER_SIZE;
  if (!checksum128_equal(want, checksum128_of(payload, stored_len)))
    return corrupt(file, hd, "payload checksum mismatch");
  out->stored = slice_make(payload, stored_len);
  out->comp = comp;
  out->raw_len = len;
  return NULL;
}

strata_status *block_payload_expand(const block_payload *p, block_handle h, const char *file, uint8_t *dst) {
  strata_status *st = decompress_block(p->comp, p->stored.data, p->stored.len, dst, p->raw_len);
  return st ? status_wrap(st, "%s: block at offset %llu", file, (unsigned long long)h.offset) : NULL;
}

strata_status *block_unframe(slice stored, block_handle hd, block_type expected, const char *file,
                             uint8_t **raw, size_t *raw_len) {
  *raw = NULL;
  *raw_len = 0;
  block_payload p;
  STATUS_TRY(block_unframe_check(stored, hd, expected, file, &p));
  uint8_t *out = malloc(p.raw_len ? p.raw_len : 1);
  if (!out) return status_no_memory();
  strata_status *st = block_payload_expand(&p, hd, file, out);
  if (st) {
    free(out);
    return st;
  }
  *raw = out;
  *raw_len = p.raw_len;
  return NULL;
}
