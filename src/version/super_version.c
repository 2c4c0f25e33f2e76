#include "super_version.h"

#include <stdlib.h>

strata_status *super_version_new(memtable *active, memtable *const *sealed, size_t sealed_count, version *v,
                                 uint64_t installed_seqno, super_version **out) {
  super_version *sv = calloc(1, sizeof *sv);
  memtable **copy = sealed_count ? malloc(sealed_count * sizeof *copy) : NULL;
  if (!sv || (sealed_count && !copy)) {
    free(sv);
    free(copy);
    return status_no_memory();
  }
  memtable_ref(active);
  sv->active = active;
  for (size_t i = 0; i < sealed_count; i++) {
    memtable_ref(sealed[i]);
    copy[i] = sealed[i];
  }
  sv->sealed = copy;
  sv->sealed_count = sealed_count;
  sv->version = version_ref(v);
  sv->installed_seqno = installed_seqno;
  atomic_u64_init(&sv->refs, 1);
  *out = sv;
  return NULL;
}

void super_version_unref(super_version *sv) {
  if (!sv || atomic_u64_fetch_sub(&sv->refs, 1) != 1) return;
  memtable_unref(sv->active);
  for (size_t i = 0; i < sv->sealed_count; i++) memtable_unref(sv->sealed[i]);
  free(sv->sealed);
  version_unref(sv->version);
  free(sv);
}

uint64_t super_version_memtable_bytes(const super_version *sv) {
  uint64_t n = memtable_approximate_size(sv->active);
  for (size_t i = 0; i < sv->sealed_count; i++) n += memtable_approximate_size(sv->sealed[i]);
  return n;
}
