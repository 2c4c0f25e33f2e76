/*
 * handle.h -- API armour: the checks every public function of strata.h makes on its arguments
 * before it touches anything (SQLite's SQLITE_ENABLE_API_ARMOR, always on).
 *
 * Every handle (strata_db, strata_snapshot, strata_iterator, strata_batch, strata_options)
 * begins with a tag word, one per type. On entry a function checks each handle it is given:
 *   - NULL: a NULL database is STRATA_NOT_OPEN (the long-standing convention); any other NULL
 *     handle is STRATA_INVALID_ARGUMENT;
 *   - the type's closed tag: STRATA_NOT_OPEN. Closing or freeing a handle overwrites its tag with
 *     the closed tag just before the memory is freed;
 *   - any other tag (a handle of another type, or not a handle at all): STRATA_INVALID_ARGUMENT.
 * Functions with no status to return (void ones, strata_iterator_key, ...) do nothing and
 * return their neutral value instead; the header says which for each.
 *
 * A stale handle is caught only while its memory has not been reused (best effort, as in
 * SQLite: by then reading it is already undefined behaviour, and AddressSanitizer says so).
 * NULL and wrong-type handles are always caught.
 *
 * A new public function starts with HANDLE_CHECK(db, HANDLE_DB) (and one per other handle it
 * takes), then ARG_NOT_NULL / ARG_BYTES for its pointers, before anything else.
 */
#ifndef STRATA_DB_HANDLE_H
#define STRATA_DB_HANDLE_H

#include <stdint.h>
#include <string.h>

#include "../util/status.h"

#define HANDLE_TAG(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define HANDLE_DB HANDLE_TAG('S', 'T', 'D', 'B')
#define HANDLE_SNAPSHOT HANDLE_TAG('S', 'T', 'S', 'N')
#define HANDLE_ITERATOR HANDLE_TAG('S', 'T', 'I', 'T')
#define HANDLE_BATCH HANDLE_TAG('S', 'T', 'B', 'A')
#define HANDLE_OPTIONS HANDLE_TAG('S', 'T', 'O', 'P')
#define HANDLE_EXPORT HANDLE_TAG('S', 'T', 'E', 'X')
#define HANDLE_IMPORTER HANDLE_TAG('S', 'T', 'I', 'M')
/* A closed handle keeps its letters in lower case ("stdb"). */
#define HANDLE_CLOSED(tag) ((uint32_t)(tag) | 0x20202020u)

/* The tag word at the start of a handle (every handle struct begins with `uint32_t tag`). */
static inline uint32_t handle_tag_of(const void *h) {
  uint32_t t;
  memcpy(&t, h, sizeof t);
  return t;
}

static inline int handle_is(const void *h, uint32_t tag) {
  return h && handle_tag_of(h) == tag;
}

/* Marks a handle closed; called just before its memory is freed. The store is volatile: a
 * store into memory about to be freed is otherwise dead, and compilers remove it. */
static inline void handle_retire(uint32_t *tag) {
  *(volatile uint32_t *)tag = HANDLE_CLOSED(*tag);
}

/* NULL when `h` is a live handle of type `tag`; otherwise the error above, naming `fn`. */
strata_status *handle_check(const void *h, uint32_t tag, const char *fn);

/* In a function returning strata_status *: returns the error for a bad handle. */
#define HANDLE_CHECK(h, tag) STATUS_TRY(handle_check((h), (tag), __func__))
/* In a function with no status to return: returns `ret` (or nothing) for a bad handle. */
#define HANDLE_GUARD(h, tag, ret) \
  do {                            \
    if (!handle_is((h), (tag)))   \
      return ret;                 \
  } while (0)
#define HANDLE_GUARD_VOID(h, tag) \
  do {                            \
    if (!handle_is((h), (tag)))   \
      return;                     \
  } while (0)

/* An out-parameter (or a buffer) the caller must supply. */
#define ARG_NOT_NULL(p)                                                                     \
  do {                                                                                      \
    if (!(p)) return status_new(STRATA_INVALID_ARGUMENT, "%s: %s is NULL", __func__, #p);  \
  } while (0)

/* Bytes given as pointer + length: the pointer may be NULL only when the length is 0. */
#define ARG_BYTES(p, len)                                                                              \
  do {                                                                                                 \
    if (!(p) && (len))                                                                                 \
      return status_new(STRATA_INVALID_ARGUMENT, "%s: %s is NULL but %s is %zu", __func__, #p, #len, \
                        (size_t)(len));                                                                \
  } while (0)

#endif
