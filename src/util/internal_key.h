/*
 * internal_key.h -- the key every layer below the database sorts by.
 *
 * Internal key = (user key, seqno, value type). Order: user key ascending (unsigned bytes), then
 * seqno descending, so the newest version of a key comes first. A read at snapshot S sees the
 * entries with seqno < S; reading at SEQNO_READ_ALL sees everything written.
 *
 * On disk seqno and type travel packed in one integer, the "trailer" = seqno << 8 | type; seqnos
 * therefore have 56 bits. Sorting by trailer descending is sorting by seqno descending.
 */
#ifndef STRATA_UTIL_INTERNAL_KEY_H
#define STRATA_UTIL_INTERNAL_KEY_H

#include <stdint.h>

#include "slice.h"
#include "strata_limits.h"

typedef enum value_type {
  VALUE_TYPE_VALUE = 0,
  VALUE_TYPE_TOMBSTONE = 1,      /* deletes every older version */
  VALUE_TYPE_WEAK_TOMBSTONE = 2, /* single delete: cancels exactly one older value */
  VALUE_TYPE_INDIRECTION = 3     /* a value kept in a blob file: the entry holds its handle (tables only) */
} value_type;

#define VALUE_TYPE_MAX VALUE_TYPE_WEAK_TOMBSTONE        /* the largest type a write (journal, memtable) has */
#define VALUE_TYPE_STORED_MAX VALUE_TYPE_INDIRECTION    /* ... and a table entry */
#define SEQNO_MAX ((UINT64_C(1) << 56) - 1)      /* the largest seqno a write can get */
#define SEQNO_READ_ALL (UINT64_C(1) << 56)       /* a snapshot that sees every write */
#define USER_KEY_MAX STRATA_KEY_MAX               /* keys are 0..65535 bytes; empty is valid */

typedef struct internal_key {
  slice user_key;
  uint64_t seqno;
  value_type type;
} internal_key;

static inline internal_key internal_key_make(slice user_key, uint64_t seqno, value_type type) {
  internal_key k = {user_key, seqno, type};
  return k;
}

static inline uint64_t internal_key_trailer(const internal_key *k) {
  return k->seqno << 8 | (uint64_t)k->type;
}

static inline int value_type_is_valid(uint64_t t) {
  return t <= VALUE_TYPE_MAX;
}

/* A type a table may hold. */
static inline int value_type_is_stored(uint64_t t) {
  return t <= VALUE_TYPE_STORED_MAX;
}

/* A value, inline or behind a handle. */
static inline int value_type_is_value(value_type t) {
  return t == VALUE_TYPE_VALUE || t == VALUE_TYPE_INDIRECTION;
}

static inline int value_type_is_tombstone(value_type t) {
  return t == VALUE_TYPE_TOMBSTONE || t == VALUE_TYPE_WEAK_TOMBSTONE;
}

/* <0, 0, >0 as a sorts before, with, after b. */
static inline int internal_key_compare(const internal_key *a, const internal_key *b) {
  int c = slice_compare(a->user_key, b->user_key);
  if (c) return c;
  uint64_t ta = internal_key_trailer(a), tb = internal_key_trailer(b);
  return (ta < tb) - (ta > tb);
}

/*
 * Seek targets: the first entry of `user_key` visible at snapshot S is the first entry at or
 * after (user_key, S - 1, VALUE_TYPE_STORED_MAX) -- the largest trailer a visible entry can have.
 */
static inline internal_key internal_key_seek_target(slice user_key, uint64_t snapshot_seqno) {
  return internal_key_make(user_key, snapshot_seqno ? snapshot_seqno - 1 : 0, VALUE_TYPE_STORED_MAX);
}

#endif
