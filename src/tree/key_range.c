#include "key_range.h"

strata_status *key_range_for_prefix(slice prefix, buffer *scratch, key_range *out) {
  *out = key_range_all();
  out->lo.kind = BOUND_INCLUDED;
  out->lo.key = prefix;
  size_t n = prefix.len;
  while (n > 0 && prefix.data[n - 1] == 0xFF) n--;
  if (n == 0) return NULL; /* "", "\xff", "\xff\xff"...: everything from the prefix on */
  buffer_clear(scratch);
  STATUS_TRY(buffer_append(scratch, prefix.data, n));
  scratch->data[n - 1]++;
  out->hi.kind = BOUND_EXCLUDED;
  out->hi.key = buffer_slice(scratch);
  return NULL;
}
