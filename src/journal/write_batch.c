/* write_batch.c -- the batch's item encoding (drawn in write_batch.h). */
#include "write_batch.h"

#include <assert.h>
#include <string.h>

#include "../util/coding.h"

void write_batch_init(write_batch *b) {
  buffer_init(&b->rep);
  b->count = 0;
}

void write_batch_free(write_batch *b) {
  buffer_free(&b->rep);
  b->count = 0;
}

void write_batch_clear(write_batch *b) {
  buffer_clear(&b->rep);
  b->count = 0;
}

/* Takes uint64_t so the comparison is meaningful where size_t is 32 bits (wasm32). */
static int value_fits(uint64_t len) { return len <= WRITE_BATCH_VALUE_MAX; }

static const char *type_name(value_type t) {
  switch (t) {
    case VALUE_TYPE_VALUE: return "put";
    case VALUE_TYPE_TOMBSTONE: return "delete";
    case VALUE_TYPE_WEAK_TOMBSTONE: return "single delete";
    case VALUE_TYPE_INDIRECTION: break; /* tables only, never in a batch */
  }
  return "unknown operation";
}

strata_status *write_batch_add(write_batch *b, value_type type, slice key, slice value) {
  if (!value_type_is_valid((uint64_t)type))
    return status_new(STRATA_INVALID_ARGUMENT, "write batch: unknown value type %d", (int)type);
  if (key.len > USER_KEY_MAX)
    return status_new(STRATA_INVALID_ARGUMENT, "write batch %s: key of %zu bytes exceeds the limit of %u bytes",
                      type_name(type), key.len, USER_KEY_MAX);
  if (!value_fits(value.len))
    return status_new(STRATA_INVALID_ARGUMENT,
                      "write batch %s: value of %llu bytes exceeds the limit of %llu bytes (4 GiB - 1)",
                      type_name(type), (unsigned long long)value.len, (unsigned long long)WRITE_BATCH_VALUE_MAX);
  if (value_type_is_tombstone(type) && value.len)
    return status_new(STRATA_INVALID_ARGUMENT, "write batch %s: a tombstone carries no value (got %zu bytes)",
                      type_name(type), value.len);
  if (b->count == UINT32_MAX)
    return status_new(STRATA_INVALID_ARGUMENT, "write batch: more than %u items", UINT32_MAX);
  if (key.len + (size_t)WRITE_BATCH_ITEM_HEADER > SIZE_MAX - value.len)
    return status_new(STRATA_INVALID_ARGUMENT, "write batch: item of %zu + %zu bytes exceeds the address space",
                      key.len, value.len);
  size_t need = write_batch_item_size(key.len, value.len);
  STATUS_TRY(buffer_reserve(&b->rep, need)); /* all or nothing: the encoding below cannot fail */
  write_batch_encode_item(b->rep.data + b->rep.len, type, key, value);
  b->rep.len += need;
  b->count++;
  return NULL;
}

void write_batch_encode_item(uint8_t *p, value_type type, slice key, slice value) {
  assert(value_type_is_valid((uint64_t)type) && key.len <= USER_KEY_MAX && value_fits(value.len));
  p[0] = (uint8_t)type;
  p[1] = (uint8_t)key.len;
  p[2] = (uint8_t)(key.len >> 8);
  encode_fixed32(p + 3, (uint32_t)value.len);
  if (key.len) memcpy(p + WRITE_BATCH_ITEM_HEADER, key.data, key.len);
  if (value.len) memcpy(p + WRITE_BATCH_ITEM_HEADER + key.len, value.data, value.len);
}

strata_status *write_batch_put(write_batch *b, slice key, slice value) {
  return write_batch_add(b, VALUE_TYPE_VALUE, key, value);
}

strata_status *write_batch_delete(write_batch *b, slice key) {
  return write_batch_add(b, VALUE_TYPE_TOMBSTONE, key, slice_empty());
}

strata_status *write_batch_single_delete(write_batch *b, slice key) {
  return write_batch_add(b, VALUE_TYPE_WEAK_TOMBSTONE, key, slice_empty());
}

/* Decodes one item at *pos, checking every length against end. NULL on malformed input. */
static const uint8_t *decode_item(const uint8_t *pos, const uint8_t *end, write_batch_item *out) {
  if ((size_t)(end - pos) < WRITE_BATCH_ITEM_HEADER) return NULL;
  uint8_t type = pos[0];
  size_t key_len = (size_t)pos[1] | (size_t)pos[2] << 8;
  uint32_t value_len = decode_fixed32(pos + 3);
  pos += WRITE_BATCH_ITEM_HEADER;
  size_t left = (size_t)(end - pos);
  if (!value_type_is_valid(type) || key_len > left || value_len > left - key_len) return NULL;
  if (value_type_is_tombstone((value_type)type) && value_len) return NULL;
  out->type = (value_type)type;
  out->key = slice_make(pos, key_len);
  out->value = slice_make(pos + key_len, value_len);
  return pos + key_len + value_len;
}

strata_status *write_batch_adopt(write_batch *b, buffer *encoded, uint32_t count) {
  /* no arithmetic on a NULL data pointer (an empty buffer has none) */
  const uint8_t *pos = encoded->data, *end = encoded->len ? encoded->data + encoded->len : encoded->data;
  write_batch_item item;
  for (uint32_t i = 0; i < count; i++) {
    const uint8_t *next = pos != end ? decode_item(pos, end, &item) : NULL;
    if (!next)
      return status_new(STRATA_CORRUPTION, "write batch: item %u of %u is malformed at byte %zu", i, count,
                        (size_t)(pos - encoded->data));
    pos = next;
  }
  if (pos != end)
    return status_new(STRATA_CORRUPTION, "write batch: %zu bytes left over after %u items",
                      (size_t)(end - pos), count);
  buffer old = b->rep;
  b->rep = *encoded;
  b->count = count;
  *encoded = old;
  buffer_clear(encoded);
  return NULL;
}

void write_batch_iter_init(write_batch_iter *it, const write_batch *b) {
  it->pos = b->rep.data;
  it->end = b->rep.len ? b->rep.data + b->rep.len : b->rep.data;
}

int write_batch_iter_next(write_batch_iter *it, write_batch_item *out) {
  if (it->pos == it->end) return 0;
  const uint8_t *next = decode_item(it->pos, it->end, out);
  assert(next && "a batch only ever holds items it encoded or validated");
  it->pos = next ? next : it->end;
  return next != NULL;
}
