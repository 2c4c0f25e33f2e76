/*
 * strata.h -- the public C API of Strata, an LSM-tree key-value storage engine.
 *
 * Conventions:
 *   - Every fallible function returns a strata_status pointer: NULL means success, anything else
 *     is an error the caller owns and releases with strata_status_free().
 *   - Handles are opaque; each has one function that releases it.
 *   - No global state: everything hangs off the handles the caller creates.
 */
#ifndef STRATA_H
#define STRATA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define STRATA_VERSION_MAJOR 0
#define STRATA_VERSION_MINOR 1
#define STRATA_VERSION_PATCH 0

/* Stable error codes; the JS binding maps them to STRATA_<NAME> strings. */
typedef enum strata_code {
  STRATA_OK = 0,
  STRATA_NOT_FOUND = 1,        /* a key or file that does not exist */
  STRATA_CORRUPTION = 2,       /* bytes on disk fail a checksum or a bounds check */
  STRATA_IO = 3,               /* the operating system or storage backend failed */
  STRATA_INVALID_ARGUMENT = 4, /* the caller passed something the engine cannot accept */
  STRATA_NOT_SUPPORTED = 5,    /* the backend or build lacks the feature */
  STRATA_LOCKED = 6,           /* another writer holds the database's lock */
  STRATA_NO_MEMORY = 7,        /* an allocation failed */
  STRATA_EXISTS = 8,           /* something that must not exist already does */
  STRATA_NOT_OPEN = 9,         /* the handle was closed */
  STRATA_BUSY = 10             /* the operation would block and was asked not to */
} strata_code;

typedef struct strata_status strata_status;

strata_code strata_status_code(const strata_status *st);      /* STRATA_OK for NULL */
const char *strata_status_message(const strata_status *st);   /* "ok" for NULL */
const char *strata_code_name(strata_code code);               /* "STRATA_CORRUPTION", ... */
void strata_status_free(strata_status *st);                   /* accepts NULL */

const char *strata_version_string(void);

/* Checksums of the engine's file formats, exposed so tools can verify files. */
uint64_t strata_xxh3_64(const void *data, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* STRATA_H */
