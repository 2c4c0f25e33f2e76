#include "checksum.h"

#include "strata.h"

#ifdef STRATA_XXHASH_INLINE
#define XXH_INLINE_ALL /* wasm builds: header-only, no library to link */
#endif
#include <xxhash.h>

uint64_t checksum64(const void *data, size_t len) {
  return XXH3_64bits(data, len);
}

uint64_t checksum64_seeded(const void *data, size_t len, uint64_t seed) {
  return XXH3_64bits_withSeed(data, len, seed);
}

checksum128 checksum128_of(const void *data, size_t len) {
  XXH128_hash_t h = XXH3_128bits(data, len);
  checksum128 c = {h.low64, h.high64};
  return c;
}

/* checksum128_stream is never defined: the handle is xxhash's own state, cast. */
checksum128_stream *checksum128_stream_new(void) {
  XXH3_state_t *state = XXH3_createState();
  if (!state) return NULL;
  XXH3_128bits_reset(state);
  return (checksum128_stream *)state;
}

void checksum128_stream_update(checksum128_stream *s, const void *data, size_t len) {
  XXH3_128bits_update((XXH3_state_t *)s, data, len);
}

checksum128 checksum128_stream_digest(const checksum128_stream *s) {
  XXH128_hash_t h = XXH3_128bits_digest((const XXH3_state_t *)s);
  checksum128 c = {h.low64, h.high64};
  return c;
}

void checksum128_stream_free(checksum128_stream *s) {
  XXH3_freeState((XXH3_state_t *)s);
}

uint64_t strata_xxh3_64(const void *data, size_t len) {
  if (!data && len) return 0; /* API armour: nothing to read (no status to report it with) */
  return checksum64(data, len);
}
