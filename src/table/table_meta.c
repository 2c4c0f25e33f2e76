/* META block encoding (layout in table_meta.h). */
#include "table_meta.h"

#include <string.h>

#include "../util/coding.h"
#include "../util/internal_key.h"

void table_meta_init(table_meta *m) {
  memset(m, 0, sizeof *m);
  buffer_init(&m->min_key);
  buffer_init(&m->max_key);
  m->format_version = TABLE_FORMAT_VERSION;
}

void table_meta_free(table_meta *m) {
  buffer_free(&m->min_key);
  buffer_free(&m->max_key);
}

strata_status *table_meta_copy(table_meta *dst, const table_meta *src) {
  buffer mn = dst->min_key, mx = dst->max_key;
  *dst = *src;
  dst->min_key = mn;
  dst->max_key = mx;
  buffer_clear(&dst->min_key);
  buffer_clear(&dst->max_key);
  STATUS_TRY(buffer_append(&dst->min_key, src->min_key.data, src->min_key.len));
  return buffer_append(&dst->max_key, src->max_key.data, src->max_key.len);
}

strata_status *table_meta_encode(const table_meta *m, buffer *out) {
  const uint64_t head[] = {m->format_version, m->entry_count, m->tombstone_count, m->weak_tombstone_count,
                           m->value_count, m->data_block_count, m->index_partition_count, m->min_seqno,
                           m->max_seqno};
  for (size_t i = 0; i < sizeof head / sizeof head[0]; i++) STATUS_TRY(buffer_append_varint64(out, head[i]));
  STATUS_TRY(buffer_append_prefixed(out, buffer_slice(&m->min_key)));
  STATUS_TRY(buffer_append_prefixed(out, buffer_slice(&m->max_key)));
  const uint64_t sizes[] = {m->data_size, m->raw_data_size, m->index_size, m->filter_size};
  for (size_t i = 0; i < 4; i++) STATUS_TRY(buffer_append_varint64(out, sizes[i]));
  STATUS_TRY(buffer_append_byte(out, (uint8_t)m->compression));
  STATUS_TRY(buffer_append_varint64(out, m->restart_interval));
  STATUS_TRY(buffer_append_varint64(out, m->block_size));
  STATUS_TRY(buffer_append_varint64(out, m->filter_hashes));
  return buffer_append_varint64(out, m->filter_partition_count);
}

strata_status *table_meta_decode(slice payload, const char *what, table_meta *m) {
  reader r = reader_make(payload, what);
  uint64_t *head[] = {&m->format_version, &m->entry_count, &m->tombstone_count, &m->weak_tombstone_count,
                      &m->value_count, &m->data_block_count, &m->index_partition_count, &m->min_seqno,
                      &m->max_seqno};
  for (size_t i = 0; i < sizeof head / sizeof head[0]; i++) STATUS_TRY(reader_varint64(&r, head[i]));
  if (m->format_version != TABLE_FORMAT_VERSION)
    return status_new(STRATA_NOT_SUPPORTED, "%s: table format version %llu (this build reads %d)", what,
                      (unsigned long long)m->format_version, TABLE_FORMAT_VERSION);
  slice mn, mx;
  STATUS_TRY(reader_prefixed(&r, &mn));
  STATUS_TRY(reader_prefixed(&r, &mx));
  uint64_t *sizes[] = {&m->data_size, &m->raw_data_size, &m->index_size, &m->filter_size};
  for (size_t i = 0; i < 4; i++) STATUS_TRY(reader_varint64(&r, sizes[i]));
  uint8_t comp;
  STATUS_TRY(reader_u8(&r, &comp));
  STATUS_TRY(compression_from_byte(comp, &m->compression));
  STATUS_TRY(reader_varint64(&r, &m->restart_interval));
  STATUS_TRY(reader_varint64(&r, &m->block_size));
  STATUS_TRY(reader_varint64(&r, &m->filter_hashes));
  STATUS_TRY(reader_varint64(&r, &m->filter_partition_count));
  if (reader_remaining(&r)) return status_new(STRATA_CORRUPTION, "%s: trailing bytes after metadata", what);
  if (mn.len > USER_KEY_MAX || mx.len > USER_KEY_MAX || m->min_seqno > m->max_seqno ||
      m->max_seqno > SEQNO_MAX ||
      m->tombstone_count + m->weak_tombstone_count + m->value_count != m->entry_count ||
      (m->entry_count && slice_compare(mn, mx) > 0) || (m->entry_count == 0) != (m->data_block_count == 0))
    return status_new(STRATA_CORRUPTION, "%s: inconsistent metadata", what);
  buffer_clear(&m->min_key);
  buffer_clear(&m->max_key);
  STATUS_TRY(buffer_append(&m->min_key, mn.data, mn.len));
  return buffer_append(&m->max_key, mx.data, mx.len);
}
