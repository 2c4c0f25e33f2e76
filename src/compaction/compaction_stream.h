/*
 * compaction_stream.h -- garbage collection of the entries a compaction rewrites.
 *
 * Wraps a sorted stream of internal entries (the merged input tables) and yields the entries worth
 * keeping. The rules, per user key, its versions newest first:
 *
 *  - Snapshots cut the seqno axis into bands: with live snapshots S1 < S2 < ... < Sk and the
 *    latest snapshot L (every committed write is below it), band 0 is [0, S1), band 1 [S1, S2),
 *    ..., the last [max(Sk, L), inf). A reader at snapshot S sees the newest version below S,
 *    which is always the newest version of some band; every other version is invisible to every
 *    reader. So the newest version of each band is kept, the rest dropped. (lsm-tree #321 kept
 *    only versions above the oldest snapshot and so could drop the one it needed.) One more is
 *    kept unless evicting: the delete directly beneath a band's surviving value, because a weak
 *    tombstone may later cancel that value and the delete must then still hide older data (found
 *    by the model test: delete, put, single delete resurrected a value from a deeper level).
 *  - A weak tombstone in band 0 whose next older version is a value in band 0 cancels exactly
 *    that value: both go, and the version after them is band 0's survivor again (a tombstone
 *    beneath the pair still hides what lies further down).
 *  - With evict_tombstones (nothing older for these keys exists outside the inputs, e.g. the
 *    output goes to the last level), a tombstone that is the oldest surviving version hides
 *    nothing and goes too; repeatedly, so trailing tombstones of several bands all go.
 *  - The filter sees every surviving value (never a tombstone): keep, remove (no tombstone is
 *    left, so an older surviving version of the key reappears), or replace the value. A value in
 *    a blob file is resolved for it first; a replacement is written inline (the table writer may
 *    separate it again).
 *
 * The stream implements kv_iterator forward only: seek_first, next, valid, key, value, status.
 */
#ifndef STRATA_COMPACTION_COMPACTION_STREAM_H
#define STRATA_COMPACTION_COMPACTION_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "../util/buffer.h"
#include "../util/kv_iterator.h"

typedef enum compaction_filter_verdict {
  COMPACTION_FILTER_KEEP = 0,
  COMPACTION_FILTER_REMOVE = 1,
  COMPACTION_FILTER_REPLACE = 2 /* the new value was written into `replacement` */
} compaction_filter_verdict;

/* Called for each surviving value; must not fail (return KEEP when unsure). */
typedef compaction_filter_verdict (*compaction_filter_fn)(void *ctx, slice user_key, uint64_t seqno, slice value,
                                                          buffer *replacement);

typedef struct compaction_stream_options {
  const uint64_t *snapshots; /* live snapshot seqnos, ascending (copied) */
  size_t snapshot_count;
  uint64_t visible_seqno;    /* the latest snapshot */
  int evict_tombstones;
  compaction_filter_fn filter; /* NULL = keep everything */
  void *filter_ctx;
  /* Key-value separation: the value behind a handle (VALUE_TYPE_INDIRECTION), so the filter sees
   * values, never handles. NULL = handles are kept unfiltered (a tree that does not separate has none). */
  strata_status *(*resolve)(void *ctx, slice user_key, slice handle, buffer *value);
  void *resolve_ctx;
} compaction_stream_options;

typedef struct compaction_stream_counters {
  uint64_t entries_in;
  uint64_t entries_out;
  uint64_t versions_dropped;   /* shadowed in their band */
  uint64_t tombstones_dropped; /* evicted, or weak tombstones with their value */
  uint64_t filtered;           /* values the filter removed or replaced */
} compaction_stream_counters;

/* Takes ownership of `source` (destroyed with the stream, also on failure). */
STRATA_MUST_USE strata_status *compaction_stream_new(kv_iterator *source, const compaction_stream_options *o,
                                                     kv_iterator **out);
/* The counters of a stream made by compaction_stream_new. */
compaction_stream_counters compaction_stream_get_counters(const kv_iterator *stream);

#endif
