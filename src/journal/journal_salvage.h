/*
 * journal_salvage.h -- reading every intact batch of a damaged journal, for `strata repair`.
 *
 * journal_recover() (journal_reader.h) stops at the first bad record, which is right for an
 * open: replaying batches after a gap would show a later write without an earlier one. Repair
 * has no such choice to make -- it rebuilds the database from whatever verifies -- so this
 * reader resynchronises after damage: it scans forward byte by byte for the next start record
 * whose start_check verifies, takes the batch when its end checksum verifies and its body
 * parses, and goes on from there. The file is only read.
 *
 * Guards against taking garbage for a batch: a batch found by scanning must also carry a seqno
 * above the last batch taken from the file (the writer appends seqnos in increasing order), so
 * a journal image stored inside a user value is not replayed out of order; and when a start
 * record verifies but its batch does not, its (checked) length is trusted to skip the batch
 * whole instead of scanning through its body.
 */
#ifndef STRATA_JOURNAL_JOURNAL_SALVAGE_H
#define STRATA_JOURNAL_JOURNAL_SALVAGE_H

#include <stdint.h>

#include "../util/status.h"
#include "../vfs/vfs.h"
#include "journal_reader.h"

typedef struct journal_salvage_report {
  uint64_t batches;         /* intact batches handed to the callback */
  uint64_t items;           /* items in them */
  uint64_t lowest_seqno;    /* of the batches handed over; 0 when none */
  uint64_t highest_seqno;
  uint64_t batches_lost;    /* batches whose start record verified but whose body did not */
  uint64_t damaged_regions; /* stretches of bytes skipped between intact batches */
  uint64_t bytes_lost;      /* bytes in those stretches (a torn or zero-filled tail not counted) */
  uint64_t first_damage;    /* offset of the first skipped byte, when damaged_regions > 0 */
  uint64_t torn_bytes;      /* an incomplete record at the end of the file (zeros after the last
                               nonzero byte, a journal's unused reserve, are not counted) */
  int header_damaged;       /* the file did not start with a journal header (scanned anyway) */
} journal_salvage_report;

/*
 * Reads the journal at `path` and hands each intact batch to fn, in file order. Errors are I/O,
 * memory, the callback's, and STRATA_NOT_SUPPORTED for a journal of a newer format version
 * (which this build must not take apart).
 */
STRATA_MUST_USE strata_status *journal_salvage(vfs *v, const char *path, journal_replay_fn fn, void *ctx,
                                               journal_salvage_report *report);

#endif
