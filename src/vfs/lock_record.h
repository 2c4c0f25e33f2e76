/*
 * lock_record.h -- the contents of a database's LOCK file: who holds the folder.
 *
 * One codec for every C build (native, WASI, Emscripten); bindings/js/src/lock_record.js is the
 * same format in JS for the Node host, and tests/js/lock_matrix.test.mjs proves the two agree
 * byte for byte. The protocol that uses the record is described in posix_lock.c and
 * docs/LOCKING.md. A record is text, so `cat LOCK` tells a person who holds the database:
 *
 *   strata-lock 1\n
 *   runtime native\n            [a-z]{1,15}: native, node, wasi, emscripten
 *   pid 12345\n                 decimal u32, no leading zero; 0 = unknown (WASI without a host pid)
 *   start 6789012\n             decimal u64: the process start time, /proc/<pid>/stat field 22
 *                               (clock ticks since boot); 0 = unknown. Guards against pid reuse.
 *   host build-7\n              1..255 bytes 0x21..0x7e (other bytes of the host name become '_');
 *                               "?" = unknown
 *   since 1764580000123\n       decimal u64: Unix milliseconds when the lock was taken
 *   token 0123456789abcdef\n    16 lowercase hex digits: tells one acquisition from another
 *   crc32 89abcdef\n            CRC-32 (IEEE, as zlib) of every byte before this line, 8 lowercase hex
 *
 * Lines are in this order, each key followed by one space, nothing after the last newline.
 * Any other byte string is not a record (STRATA_CORRUPTION naming the offset): the CRC-32
 * catches every change of one byte, and the strict syntax every change of the checksum line.
 */
#ifndef STRATA_VFS_LOCK_RECORD_H
#define STRATA_VFS_LOCK_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "../util/status.h"

#define LOCK_RECORD_MAX 512     /* no encoded record is longer */
#define LOCK_RUNTIME_MAX 15
#define LOCK_HOST_MAX 255
#define LOCK_TOKEN_LEN 16

typedef struct lock_record {
  char runtime[LOCK_RUNTIME_MAX + 1];
  uint32_t pid;
  uint64_t start;
  char host[LOCK_HOST_MAX + 1];
  uint64_t since;
  char token[LOCK_TOKEN_LEN + 1];
} lock_record;

/* Writes the record into out (LOCK_RECORD_MAX bytes); STRATA_INVALID_ARGUMENT when a field is
 * outside the format (an empty or too long host, a runtime with other than a-z, a bad token). */
STRATA_MUST_USE strata_status *lock_record_encode(const lock_record *r, char out[LOCK_RECORD_MAX], size_t *len);
/* Parses len bytes; STRATA_CORRUPTION "<what>: not a lock record (<why> at offset N)" unless
 * they are exactly one encoded record. */
STRATA_MUST_USE strata_status *lock_record_decode(const void *data, size_t len, const char *what, lock_record *out);
/* Copies a host name into the record's alphabet: bytes outside 0x21..0x7e become '_', at most
 * LOCK_HOST_MAX bytes, "?" when empty. */
void lock_record_set_host(lock_record *r, const char *name);
/* "node process 1234 on host build-7, lock taken 2026-12-01 09:20:01 UTC" (NUL-terminated). */
void lock_record_describe(const lock_record *r, char *out, size_t cap);
/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32) of n bytes. */
uint32_t lock_record_crc32(const void *data, size_t n);

#endif
