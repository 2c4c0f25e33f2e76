/*
 * version_history.h -- the super versions still in use, oldest to newest; the last is current.
 *
 * Readers pin a super version by reference; `version_history_for_snapshot(S)` gives the newest
 * one installed at or before seqno S, so a read at S sees exactly the memtables and tables that
 * held the writes below S. Entries are released by reference count: an install drops every
 * older entry nobody pins any more, so the history never grows past (pinned + 1) entries and
 * needs no watermark from the caller (lsm-tree's history grows without one).
 *
 * A reader-writer lock guards the list: reads take it shared, installs exclusively. In
 * single-threaded builds the lock compiles to nothing.
 */
#ifndef STRATA_VERSION_VERSION_HISTORY_H
#define STRATA_VERSION_VERSION_HISTORY_H

#include <stddef.h>

#include "super_version.h"

typedef struct version_history {
  sync_rwlock lock;
  super_version **entries; /* oldest first; each holds one reference */
  size_t count;
  size_t cap;
} version_history;

/* Starts the history with `initial` (a reference is taken). */
STRATA_MUST_USE strata_status *version_history_init(version_history *h, super_version *initial);
void version_history_destroy(version_history *h);

/* The current super version, referenced (release with super_version_unref). */
super_version *version_history_current(version_history *h);
/* The newest super version installed at or before `seqno` (the oldest kept one if none), referenced. */
super_version *version_history_for_snapshot(version_history *h, uint64_t seqno);

/* Makes room for one more entry: the part of an install that can fail. The caller serializes
 * reserve and install (the tree holds its mu across both), so the room is still there. */
STRATA_MUST_USE strata_status *version_history_reserve(version_history *h);
/* Makes `sv` current (a reference is taken) and drops unpinned older entries. Cannot fail after
 * version_history_reserve. */
void version_history_install(version_history *h, super_version *sv);

size_t version_history_length(version_history *h);

#endif
