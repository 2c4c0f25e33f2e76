#include "version_history.h"

#include <stdlib.h>

#include "../util/check.h"

strata_status *version_history_init(version_history *h, super_version *initial) {
  h->entries = malloc(4 * sizeof *h->entries);
  if (!h->entries) return status_no_memory();
  strata_status *st = sync_rwlock_init(&h->lock);
  if (st) {
    free(h->entries);
    return st;
  }
  h->cap = 4;
  h->entries[0] = super_version_ref(initial);
  h->count = 1;
  return NULL;
}

void version_history_destroy(version_history *h) {
  for (size_t i = 0; i < h->count; i++) super_version_unref(h->entries[i]);
  free(h->entries);
  h->entries = NULL;
  h->count = 0;
  sync_rwlock_destroy(&h->lock);
}

super_version *version_history_current(version_history *h) {
  sync_rwlock_read(&h->lock);
  super_version *sv = super_version_ref(h->entries[h->count - 1]);
  sync_rwlock_unlock(&h->lock);
  return sv;
}

super_version *version_history_for_snapshot(version_history *h, uint64_t seqno) {
  sync_rwlock_read(&h->lock);
  size_t pick = 0;
  for (size_t i = h->count; i-- > 0;)
    if (h->entries[i]->installed_seqno <= seqno) {
      pick = i;
      break;
    }
  super_version *sv = super_version_ref(h->entries[pick]);
  sync_rwlock_unlock(&h->lock);
  return sv;
}

strata_status *version_history_reserve(version_history *h) {
  sync_rwlock_write(&h->lock);
  strata_status *st = NULL;
  if (h->count == h->cap) {
    super_version **grown = realloc(h->entries, 2 * h->cap * sizeof *grown);
    if (grown) {
      h->entries = grown;
      h->cap *= 2;
    } else {
      st = status_no_memory();
    }
  }
  sync_rwlock_unlock(&h->lock);
  return st;
}

void version_history_install(version_history *h, super_version *sv) {
  sync_rwlock_write(&h->lock);
  /* Drop entries only the history still holds (refs == 1 can only rise under our lock). */
  size_t kept = 0;
  for (size_t i = 0; i < h->count; i++) {
    if (atomic_u64_load(&h->entries[i]->refs) == 1) super_version_unref(h->entries[i]);
    else h->entries[kept++] = h->entries[i];
  }
  STRATA_TESTCASE(kept < h->count); /* an install drops an unpinned older super version */
  STRATA_TESTCASE(kept > 1);         /* ... and keeps pinned ones (a snapshot or a reader) */
  h->count = kept;
  STRATA_ASSERT(h->count < h->cap); /* version_history_reserve made room */
  h->entries[h->count++] = super_version_ref(sv);
  sync_rwlock_unlock(&h->lock);
}

size_t version_history_length(version_history *h) {
  sync_rwlock_read(&h->lock);
  size_t n = h->count;
  sync_rwlock_unlock(&h->lock);
  return n;
}
