/*
 * journal_reader.h -- replaying a journal file at recovery, and cutting off its damaged tail.
 *
 * journal_recover() reads `<dir>/<n>` (format: journal_format.h) from the start and hands every
 * complete, checksum-valid batch to a callback, in file order. It stops at the first batch that
 * is incomplete or fails a check: that batch and everything after it are dropped (with
 * `truncate`, cut from the file and the cut synced, so appends continue at a batch boundary).
 * A batch is never replayed in part. The report says what was dropped so the database can log it.
 *
 * A cut tail is `torn` when it looks like an interrupted append -- the file ends inside a record,
 * or the rest of the file is zeros -- and `corrupt` when a complete record fails its checks. A
 * corrupt journal in the middle of the sequence means later journals would replay on top of a
 * gap; the database should stop replaying there (point-in-time recovery).
 *
 * Every byte is untrusted. A file whose header is not a Strata journal is an error
 * (STRATA_CORRUPTION; STRATA_NOT_SUPPORTED for a newer version) and is left untouched: it may
 * hold data this build cannot read.
 */
#ifndef STRATA_JOURNAL_JOURNAL_READER_H
#define STRATA_JOURNAL_JOURNAL_READER_H

#include <stdint.h>

#include "../util/status.h"
#include "../vfs/vfs.h"
#include "write_batch.h"

/* Receives each complete batch; the batch is valid only during the call. An error stops the
 * replay and is returned from journal_recover() (the file is then left as it was). */
typedef strata_status *(*journal_replay_fn)(void *ctx, uint64_t seqno, const write_batch *batch);

typedef struct journal_recovery_report {
  uint64_t batches;       /* complete batches replayed */
  uint64_t items;         /* items in them */
  uint64_t last_seqno;    /* seqno of the last batch replayed; 0 when none */
  uint64_t file_bytes;    /* the file's length as found */
  uint64_t valid_bytes;   /* header + complete batches: the file's length after a cut */
  uint64_t dropped_bytes; /* file_bytes - valid_bytes */
  int tail_cut;           /* bytes after the last good batch were dropped */
  int torn;               /* ... and they look like an interrupted append */
  int corrupt;            /* ... and a complete record in them failed its checks */
  const char *reason;     /* why the tail was cut (static text), "" when nothing was */
} journal_recovery_report;

/* fn may be NULL (only validate and cut). With truncate = 0 the file is only read. */
STRATA_MUST_USE strata_status *journal_recover(vfs *v, const char *dir, uint64_t number, int truncate,
                                               journal_replay_fn fn, void *ctx, journal_recovery_report *report);

#endif
