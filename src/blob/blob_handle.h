/* blob_handle.h -- the indirection a table entry holds instead of a separated value. */
#ifndef STRATA_BLOB_BLOB_HANDLE_H
#define STRATA_BLOB_BLOB_HANDLE_H

#include <stdint.h>

#include "../util/buffer.h"
#include "../util/slice.h"
#include "../util/status.h"
#include "blob_format.h"

typedef struct blob_handle {
  uint64_t blob_id;
  uint64_t offset;   /* of the record in the blob file */
  uint64_t size;     /* the record's bytes on disk (what GC counts) */
  uint64_t raw_size; /* the value's length, so size_of needs no blob read */
} blob_handle;

/* Encodes into out[BLOB_HANDLE_MAX_SIZE]; returns the length. */
size_t blob_handle_encode(const blob_handle *h, uint8_t *out);
STRATA_MUST_USE strata_status *blob_handle_append(const blob_handle *h, buffer *out);
/* Decodes exactly `s` (trailing bytes are corruption); `what` names the source for messages. */
STRATA_MUST_USE strata_status *blob_handle_decode(slice s, const char *what, blob_handle *out);

#endif
