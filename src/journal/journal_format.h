/*
 * journal_format.h -- the bytes of a journal file, shared by journal_writer.c and journal_reader.c.
 *
 * A journal file `<dir>/<n>` is a header followed by batch records, appended and never rewritten:
 *
 *   file   = header batch*
 *
 *   header = +-----------------+-------------------+
 *            | magic "SJNL"    | version fixed32=1 |                          8 bytes
 *            +-----------------+-------------------+
 *
 *   batch  = start body end
 *
 *   start  = +------+-------------+-------------+--------------+-------------------+
 *            | 0x01 | seqno       | count       | body_len     | start_check       |  25 bytes
 *            | u8   | fixed64     | fixed32     | fixed64      | fixed32           |
 *            +------+-------------+-------------+--------------+-------------------+
 *            start_check = low 32 bits of xxh3-64 over the 21 bytes before it, so a damaged
 *            seqno, count or length is caught before body_len is trusted.
 *
 *   body   = count items, body_len bytes in all, each item as write_batch.h draws it:
 *            type u8 | key_len fixed16 | value_len fixed32 | key | value
 *
 *   end    = +------+------------------------------------------------+
 *            | 0x03 | checksum fixed64                               |         9 bytes
 *            +------+------------------------------------------------+
 *            checksum = xxh3-64 of the body seeded with xxh3-64 of the 25 start bytes: it covers
 *            the seqno and count too (fjall's checksum covers only the items).
 *
 * All integers little-endian. count >= 1: the writer never writes an empty batch.
 * A batch is replayed only when all of its bytes are present, both checks match and its body
 * parses into exactly `count` items; recovery stops at the first batch that is not.
 *
 * Continuity (what recovery checks across files, src/db/db_recovery.c): every write takes the
 * database's next seqno and the next write gets seqno + 1, across rotation, flush and reopen, so
 * the batches of the live journals (numbers >= the manifest's journal_min, ascending, in file
 * order) carry exactly the seqnos flushed_seqno, flushed_seqno + 1, ... (1, ... in a new
 * database). Journal numbers are consecutive too (the writer creates n + 1 after n, an open
 * creates the highest + 1), though a journal without batches may be absent without loss. So:
 *  - an incomplete last record (or a zero-filled tail) at the end of the NEWEST journal is a torn
 *    append: cut. So is a last record that fails its checks when the file's all-zero end begins
 *    within STRATA_VFS_TORN_WINDOW bytes after it: a journal append into the backend's reserve
 *    interrupted by the process's death (strata_vfs.h, STRATA_VFS_OPEN_JOURNAL); the zero end
 *    itself is the unused reserve and held no data. The same at the end of an older journal is
 *    damage: it was cut to its last batch and synced whole when the next one was created;
 *  - a bad tag or checksum anywhere, a damaged header, and a batch whose seqno is not the one
 *    expected (a journal before it truncated at a record boundary or deleted) are damage;
 *  - a journal number missing between journal_min and the newest is damage unless a later batch
 *    proves, by continuing the seqnos, that the missing file held none.
 * A point-in-time recovery keeps the seqno rule true afterwards by recording in the manifest
 * (flushed_seqno) that every seqno up to the highest found in any journal is accounted for.
 * Not detectable: losing the very last batches when no later batch or journal exists.
 */
#ifndef STRATA_JOURNAL_JOURNAL_FORMAT_H
#define STRATA_JOURNAL_JOURNAL_FORMAT_H

#include <stdint.h>

#include "../util/checksum.h"
#include "../util/coding.h"

#define JOURNAL_MAGIC "SJNL"
#define JOURNAL_VERSION 1u
#define JOURNAL_HEADER_SIZE 8u
#define JOURNAL_TAG_START 0x01
#define JOURNAL_TAG_END 0x03
#define JOURNAL_START_SIZE 25u
#define JOURNAL_START_CHECKED 21u /* the start bytes start_check covers */
#define JOURNAL_END_SIZE 9u

static inline void journal_encode_header(uint8_t out[JOURNAL_HEADER_SIZE]) {
  out[0] = 'S';
  out[1] = 'J';
  out[2] = 'N';
  out[3] = 'L';
  encode_fixed32(out + 4, JOURNAL_VERSION);
}

static inline void journal_encode_start(uint8_t out[JOURNAL_START_SIZE], uint64_t seqno, uint32_t count,
                                        uint64_t body_len) {
  out[0] = JOURNAL_TAG_START;
  encode_fixed64(out + 1, seqno);
  encode_fixed32(out + 9, count);
  encode_fixed64(out + 13, body_len);
  encode_fixed32(out + 21, (uint32_t)checksum64(out, JOURNAL_START_CHECKED));
}

/* The batch checksum stored in the end record. */
static inline uint64_t journal_batch_checksum(const uint8_t start[JOURNAL_START_SIZE], const void *body,
                                              size_t body_len) {
  return checksum64_seeded(body, body_len, checksum64(start, JOURNAL_START_SIZE));
}

#endif
