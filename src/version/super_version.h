/*
 * super_version.h -- everything a reader needs, pinned together: the active memtable, the
 * sealed memtables waiting for flush (newest first) and the table version, installed at a seqno.
 *
 * A super version is immutable and reference counted. Readers (point reads, snapshots,
 * iterators) take a reference and read without locks; a write that changes the set (memtable
 * rotation, flush, compaction) builds a new super version and installs it in the history.
 */
#ifndef STRATA_VERSION_SUPER_VERSION_H
#define STRATA_VERSION_SUPER_VERSION_H

#include <stddef.h>
#include <stdint.h>

#include "../memtable/memtable.h"
#include "version.h"

typedef struct super_version {
  memtable *active;
  memtable **sealed; /* newest first */
  size_t sealed_count;
  version *version;
  uint64_t installed_seqno; /* the first seqno a write could get after it was installed */
  atomic_u64 refs;
} super_version;

/* A new super version with one reference; takes new references on everything it lists. */
STRATA_MUST_USE strata_status *super_version_new(memtable *active, memtable *const *sealed, size_t sealed_count,
                                                 version *v, uint64_t installed_seqno, super_version **out);
/* (inline: every get takes one) */
static inline super_version *super_version_ref(super_version *sv) {
  atomic_u64_fetch_add(&sv->refs, 1);
  return sv;
}
void super_version_unref(super_version *sv);

/* Sum of the memtables' approximate sizes. */
uint64_t super_version_memtable_bytes(const super_version *sv);

#endif
