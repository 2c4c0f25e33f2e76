/*
 * journal_writer.h -- appends committed batches to the active journal file `<dir>/<n>`.
 *
 * The byte format is drawn in journal_format.h. Each append writes one whole batch (start, the
 * batch's encoded items, end) under the seqno the database assigned to it.
 *
 * Durability: an append with `sync` set is on stable storage when it returns. Besides that the
 * options choose a policy: JOURNAL_SYNC_NONE (only explicit syncs, rotation and close),
 * JOURNAL_SYNC_EVERY_APPEND, or JOURNAL_SYNC_INTERVAL (an append syncs when at least
 * sync_interval_ms passed since the last sync, by the caller's clock; the database also calls
 * journal_writer_sync_if_due() from its maintenance so an idle journal gets synced too).
 *
 * Failure: a failed append cuts the file back to where the batch began, so the batch never
 * reaches recovery half-written. If that cut fails, or a sync fails (after which the OS may have
 * dropped dirty pages: what is on disk is unknown), the writer is poisoned: every later append,
 * sync and rotation fails with STRATA_IO, and the database must close it and recover. A sync
 * refused with STRATA_QUOTA (a browser host that could not store what it had buffered) lost
 * nothing: the batch is cut off as after a failed append and the writer stays usable.
 *
 * Not thread-safe: the database serializes appends under its write lock (its writer queue hands
 * the batches that wait to one leader, which appends them as a group).
 */
#ifndef STRATA_JOURNAL_JOURNAL_WRITER_H
#define STRATA_JOURNAL_JOURNAL_WRITER_H

#include <stdint.h>

#include "../util/status.h"
#include "../vfs/vfs.h"
#include "write_batch.h"

typedef enum journal_sync_policy {
  JOURNAL_SYNC_NONE = 0,
  JOURNAL_SYNC_EVERY_APPEND = 1,
  JOURNAL_SYNC_INTERVAL = 2
} journal_sync_policy;

/* Milliseconds on any monotonic scale the caller likes. */
typedef uint64_t (*journal_clock_fn)(void *ctx);

typedef struct journal_writer_options {
  journal_sync_policy sync_policy;
  uint64_t sync_interval_ms; /* JOURNAL_SYNC_INTERVAL */
  journal_clock_fn clock;    /* required by JOURNAL_SYNC_INTERVAL */
  void *clock_ctx;
} journal_writer_options;

typedef struct journal_writer journal_writer;

/*
 * Opens journal `number` in `dir` for appending, creating the folder and the file when missing
 * (a new file gets its header and is synced with its folder). An existing file must have gone
 * through journal_recover() first, so that it ends at a batch boundary. opts may be NULL
 * (JOURNAL_SYNC_NONE).
 */
STRATA_MUST_USE strata_status *journal_writer_open(vfs *v, const char *dir, uint64_t number,
                                                   const journal_writer_options *opts, journal_writer **out);

/* Appends `batch` under `seqno` (<= SEQNO_MAX); sync = 1 makes it durable before returning.
 * An empty batch writes nothing. */
STRATA_MUST_USE strata_status *journal_writer_append(journal_writer *w, uint64_t seqno, const write_batch *batch,
                                                     int sync);

/* One batch of a group append: a write batch's encoded items, or (batch NULL) one item given
 * by its parts, which the writer encodes straight into the record -- a single put is then
 * copied once on its way to the journal, not into a batch first. The item's fields follow
 * write_batch_add's rules (checked by the caller). */
typedef struct journal_batch {
  const write_batch *batch;
  value_type type;
  slice key;
  slice value;
} journal_batch;

/*
 * Group commit: appends n >= 1 batches as consecutive records under seqnos first_seqno,
 * first_seqno + 1, ... (the same records n single appends would write, so recovery reads them
 * alike), in one write when the group fits in 64 KiB (a bigger batch goes out without a copy).
 * All or nothing: a failure cuts the whole group off again. sync as in journal_writer_append.
 */
STRATA_MUST_USE strata_status *journal_writer_append_group(journal_writer *w, uint64_t first_seqno,
                                                           const journal_batch *batches, size_t n, int sync);

/* Makes every append so far durable (nothing to do when all are). */
STRATA_MUST_USE strata_status *journal_writer_sync(journal_writer *w);

/* Syncs when the interval policy says a sync is due; *synced (may be NULL) tells whether it did. */
STRATA_MUST_USE strata_status *journal_writer_sync_if_due(journal_writer *w, int *synced);

/*
 * Seals the current journal (syncs it) and continues in a new, empty `<dir>/<n+1>` (created
 * exclusively, synced with its folder). The database rotates when it seals its memtable. On
 * failure the writer stays on the old journal when it can.
 */
STRATA_MUST_USE strata_status *journal_writer_rotate(journal_writer *w);

uint64_t journal_writer_number(const journal_writer *w);
/* The current file's length in bytes (header included). */
uint64_t journal_writer_size(const journal_writer *w);
/* Bytes appended since the last successful sync. */
uint64_t journal_writer_unsynced_bytes(const journal_writer *w);

/* Syncs what is unsynced, closes and frees w (also on error). NULL is a no-op. */
STRATA_MUST_USE strata_status *journal_writer_close(journal_writer *w);

#endif
