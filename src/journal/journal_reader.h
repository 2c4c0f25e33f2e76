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
 * the rest of the file is zeros, or the file's all-zero end starts within
 * STRATA_VFS_TORN_WINDOW bytes of the end of the record that failed (what an append into a
 * journal reserve interrupted by the process's death leaves, strata_vfs.h) -- and `corrupt`
 * when a complete record fails its checks. The all-zero end (`zero_bytes`: a reserve the
 * backend had not written yet) is cut with the tail but held no data. Only
 * the database knows whether a torn tail is harmless: it is for the newest journal only (the
 * rule is in journal_format.h). It reads with truncate = 0, decides, and cuts itself.
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
  uint64_t zero_bytes;    /* of dropped_bytes, when torn: the file's all-zero end, which held nothing */
  int tail_cut;           /* bytes after the last good batch were dropped */
  int torn;               /* ... and they look like an interrupted append */
  int corrupt;            /* ... and a complete record in them failed its checks */
  int bad_header;         /* the header is not a journal's (journal_recover also fails, CORRUPTION) */
  const char *reason;     /* why the tail was cut (static text), "" when nothing was */
  uint64_t first_seqno;   /* seqno of the first batch replayed; 0 when none */
  uint64_t batch_offset;  /* while the callback runs: the offset of the batch it was handed */
} journal_recovery_report;

/* fn may be NULL (only validate and cut). With truncate = 0 the file is only read. */
STRATA_MUST_USE strata_status *journal_recover(vfs *v, const char *dir, uint64_t number, int truncate,
                                               journal_replay_fn fn, void *ctx, journal_recovery_report *report);

/*
 * Counts the intact batches of journal `number` from `offset` on, read only, for a report of what
 * lies beyond damage: where a record fails, it resynchronises by looking forward byte by byte for
 * a start record whose start_check verifies and whose batch checksum verifies (a whole batch: the
 * chance that damage forges one is about 2^-96). *highest_seqno is 0 when none was found.
 */
STRATA_MUST_USE strata_status *journal_scan_intact(vfs *v, const char *dir, uint64_t number, uint64_t offset,
                                                   uint64_t *batches, uint64_t *highest_seqno);

#endif
