/* The table of contents and the fixed trailer (bytes drawn in table_trailer.h). */
#include "table_trailer.h"

#include <string.h>

#include "../util/coding.h"
#include "table_meta.h"

void table_trailer_encode(const table_trailer *t, uint8_t out[TABLE_TRAILER_SIZE]) {
  encode_fixed64(out, t->toc_offset);
  encode_fixed64(out + 8, t->toc_size);
  encode_fixed64(out + 16, t->file_checksum.low);
  encode_fixed64(out + 24, t->file_checksum.high);
  encode_fixed32(out + 32, t->format_version);
  encode_fixed32(out + 36, (uint32_t)checksum64(out, 36));
  memcpy(out + 40, TABLE_MAGIC, 8);
}

strata_status *table_trailer_decode(const uint8_t in[TABLE_TRAILER_SIZE], uint64_t file_size, const char *what,
                                    table_trailer *out) {
  if (memcmp(in + 40, TABLE_MAGIC, 8) != 0)
    return status_new(STRATA_CORRUPTION, "%s: not a table file (bad magic at offset %llu)", what,
                      (unsigned long long)(file_size - 8));
  if (decode_fixed32(in + 36) != (uint32_t)checksum64(in, 36))
    return status_new(STRATA_CORRUPTION, "%s: trailer checksum mismatch at offset %llu", what,
                      (unsigned long long)(file_size - TABLE_TRAILER_SIZE));
  out->toc_offset = decode_fixed64(in);
  out->toc_size = decode_fixed64(in + 8);
  out->file_checksum.low = decode_fixed64(in + 16);
  out->file_checksum.high = decode_fixed64(in + 24);
  out->format_version = decode_fixed32(in + 32);
  if (out->format_version != TABLE_FORMAT_VERSION)
    return status_new(STRATA_NOT_SUPPORTED, "%s: table format version %u (this build reads %d)", what,
                      out->format_version, TABLE_FORMAT_VERSION);
  if (out->toc_size < BLOCK_HEADER_SIZE || out->toc_offset > file_size ||
      out->toc_size != file_size - TABLE_TRAILER_SIZE - out->toc_offset)
    return status_new(STRATA_CORRUPTION, "%s: table of contents (%llu, %llu) out of bounds", what,
                      (unsigned long long)out->toc_offset, (unsigned long long)out->toc_size);
  return NULL;
}

static strata_status *put_section(buffer *out, uint8_t id, block_handle h) {
  STATUS_TRY(buffer_append_byte(out, id));
  return block_handle_encode(out, h);
}

strata_status *table_toc_encode(const table_toc *toc, buffer *out) {
  STATUS_TRY(buffer_append_varint32(out, 2u + (toc->has_filter != 0) + (toc->has_filter_index != 0)));
  STATUS_TRY(put_section(out, TABLE_SECTION_INDEX, toc->index));
  if (toc->has_filter) STATUS_TRY(put_section(out, TABLE_SECTION_FILTER, toc->filter));
  if (toc->has_filter_index) STATUS_TRY(put_section(out, TABLE_SECTION_FILTER_INDEX, toc->filter_index));
  return put_section(out, TABLE_SECTION_META, toc->meta);
}

strata_status *table_toc_decode(slice payload, uint64_t toc_offset, const char *what, table_toc *out) {
  memset(out, 0, sizeof *out);
  reader r = reader_make(payload, what);
  uint32_t count;
  STATUS_TRY(reader_varint32(&r, &count));
  unsigned seen = 0;
  for (uint32_t i = 0; i < count; i++) {
    uint8_t id;
    block_handle h;
    STATUS_TRY(reader_u8(&r, &id));
    STATUS_TRY(block_handle_decode(&r, &h));
    if (id < TABLE_SECTION_INDEX || id > TABLE_SECTION_FILTER_INDEX || (seen & (1u << id)))
      return status_new(STRATA_CORRUPTION, "%s: unknown or repeated section %u in the table of contents", what, id);
    if (h.offset + h.size > toc_offset)
      return status_new(STRATA_CORRUPTION, "%s: section %u (%llu, %llu) overlaps the table of contents", what, id,
                        (unsigned long long)h.offset, (unsigned long long)h.size);
    seen |= 1u << id;
    if (id == TABLE_SECTION_INDEX) out->index = h;
    else if (id == TABLE_SECTION_FILTER) out->filter = h, out->has_filter = 1;
    else if (id == TABLE_SECTION_FILTER_INDEX) out->filter_index = h, out->has_filter_index = 1;
    else out->meta = h;
  }
  if (out->has_filter && out->has_filter_index)
    return status_new(STRATA_CORRUPTION, "%s: table of contents names two filters", what);
  if (reader_remaining(&r) || !(seen & (1u << TABLE_SECTION_INDEX)) || !(seen & (1u << TABLE_SECTION_META)))
    return status_new(STRATA_CORRUPTION, "%s: table of contents lacks the index or meta section", what);
  return NULL;
}
