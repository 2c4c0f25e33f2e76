/*
 * key_range.h -- bounds of a user-key range: each end included, excluded or open.
 */
#ifndef STRATA_TREE_KEY_RANGE_H
#define STRATA_TREE_KEY_RANGE_H

#include "../util/buffer.h"
#include "../util/slice.h"

typedef enum bound_kind { BOUND_UNBOUNDED = 0, BOUND_INCLUDED, BOUND_EXCLUDED } bound_kind;

typedef struct key_bound {
  bound_kind kind;
  slice key;
} key_bound;

typedef struct key_range {
  key_bound lo;
  key_bound hi;
} key_range;

static inline key_range key_range_all(void) {
  key_range r = {{BOUND_UNBOUNDED, {NULL, 0}}, {BOUND_UNBOUNDED, {NULL, 0}}};
  return r;
}

/* 1 if key is at or above the lower bound / at or below the upper bound. */
static inline int key_range_above_lo(const key_range *r, slice key) {
  if (r->lo.kind == BOUND_UNBOUNDED) return 1;
  int c = slice_compare(key, r->lo.key);
  return r->lo.kind == BOUND_INCLUDED ? c >= 0 : c > 0;
}

static inline int key_range_below_hi(const key_range *r, slice key) {
  if (r->hi.kind == BOUND_UNBOUNDED) return 1;
  int c = slice_compare(key, r->hi.key);
  return r->hi.kind == BOUND_INCLUDED ? c <= 0 : c < 0;
}

static inline int key_range_contains(const key_range *r, slice key) {
  return key_range_above_lo(r, key) && key_range_below_hi(r, key);
}

/*
 * The range of keys starting with `prefix`: [prefix, successor) where the successor is the prefix
 * with its last byte below 0xFF incremented and the rest cut; a prefix of only 0xFF bytes (or
 * empty) has no successor and the range is open above. `scratch` holds the successor's bytes.
 */
STRATA_MUST_USE strata_status *key_range_for_prefix(slice prefix, buffer *scratch, key_range *out);

#endif
