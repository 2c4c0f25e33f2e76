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
#define HANDLE_INGEST HANDLE_TAG('S', 'T', 'I', 'N')
#define HANDLE_EXPORT HANDLE_TAG('S', 'T', 'E', 'X')
#define HANDLE_IMPORTER HANDLE_TAG('S', 'T', 'I', 'M')
/* A closed handle keeps its letters in lower case ("stdb"). */
#define HANDLE_CLOSED(tag) ((uint32_t)(tag) | 0x20202020u)

/*
 * Whether the `n` bytes at `p` lie inside the module's linear memory. In WebAssembly a pointer
 * past the end of memory traps when read, and a host calling the module's exports (the WASI
 * reactor, docs/WASI.md) can pass any number: such pointers are refused as NULL ones are, with
 * a status instead of a trap. Natively (and for NULL) it is always 1: a pointer is the caller's
 * promise there.
 */
static inline int arg_in_memory(const void *p, size_t n) {
#if defined(__wasm__)
  const uint64_t end = (uint64_t)__builtin_wasm_memory_size(0) << 16; /* pages of 64 KiB */
  const uint64_t at = (uint64_t)(uintptr_t)p;
  return !p || (at <= end && (uint64_t)n <= end - at);
#else
  (void)p;
  (void)n;
  return 1;
#endif
}

/* Whether the string at `s` ends with a NUL inside memory (always natively, and for NULL). */
static inline int arg_string_in_memory(const char *s) {
#if defined(__wasm__)
  const uint64_t end = (uint64_t)__builtin_wasm_memory_size(0) << 16;
  if (!s) return 1;
  if ((uint64_t)(uintptr_t)s >= end) return 0;
  return memchr(s, 0, (size_t)(end - (uint64_t)(uintptr_t)s)) != NULL;
#else
  (void)s;
  return 1;
#endif
}

/* The tag word at the start of a handle (every handle struct begins with `uint32_t tag`); 0 for
 * a pointer outside memory (arg_in_memory), which is then no handle. */
static inline uint32_t handle_tag_of(const void *h) {
  uint32_t t;
  if (!arg_in_memory(h, sizeof t)) return 0;
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

/* In a function returning strata_status *: returns the error for a bad handle. A live handle
 * passes on the inline test alone (no call: it runs on every get); handle_check, which names
 * what is wrong, runs for a bad one. `h` is evaluated twice. */
#define HANDLE_CHECK(h, tag)                                                   \
  do {                                                                         \
    if (!handle_is((h), (tag))) STATUS_TRY(handle_check((h), (tag), __func__)); \
  } while (0)
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

/* An out-parameter (or a buffer) the caller must supply, inside memory (arg_in_memory). */
#define ARG_NOT_NULL(p)                                                                         \
  do {                                                                                          \
    if (!(p)) return status_new(STRATA_INVALID_ARGUMENT, "%s: %s is NULL", __func__, #p);      \
    if (!arg_in_memory((p), sizeof *(p)))                                                       \
      return status_new(STRATA_INVALID_ARGUMENT, "%s: %s points outside the module's memory", \
                        __func__, #p);                                                          \
  } while (0)

/* Bytes given as pointer + length: the pointer may be NULL only when the length is 0. */
#define ARG_BYTES(p, len)                                                                              \
  do {                                                                                                 \
    if (!(p) && (len))                                                                                 \
      return status_new(STRATA_INVALID_ARGUMENT, "%s: %s is NULL but %s is %zu", __func__, #p, #len, \
                        (size_t)(len));                                                                \
  } while (0)

/* ... and lie inside memory (arg_in_memory). Checked after the size limits, so that a length over
 * a limit is reported as that, whatever the pointer. */
#define ARG_IN_MEMORY(p, len)                                                                         \
  do {                                                                                                \
    if (!arg_in_memory((p), (len)))                                                                   \
      return status_new(STRATA_INVALID_ARGUMENT, "%s: the %zu bytes of %s lie outside the module's " \
                        "memory", __func__, (size_t)(len), #p);                                       \
  } while (0)

/* A NUL-terminated path: starting and ending inside memory, then not NULL or empty (`what`). */
#define ARG_PATH(p, what)                                                                        \
  do {                                                                                           \
    if (!arg_in_memory((p), 1) || !arg_string_in_memory(p))                                      \
      return status_new(STRATA_INVALID_ARGUMENT, "%s: the path lies outside the module's memory", \
                        __func__);                                                               \
    if (!(p) || !*(p)) return status_new(STRATA_INVALID_ARGUMENT, "%s", (what));                 \
  } while (0)

#endif
