/*
 * table_trailer.h -- the end of a table file: a table of contents and a fixed trailer.
 *
 * A table file:
 *   [data block | index partition | filter partition]* [top-level index block]
 *   [filter block | filter index]? [meta block]
 *   [toc block] [trailer, 48 bytes]
 *
 * TOC block payload (in the block envelope of block_header.h, type TOC):
 *   count varint32, then per section: id u8, offset varint64, size varint64
 *   ids: 1 = top-level index block, 2 = filter block, 3 = meta block, 4 = filter index
 *   (each a block handle); index and meta are required; a table has no filter, one filter
 *   block (2), or a partitioned filter (4: an index block, in the format of table_index.h,
 *   whose entries name FILTER blocks, one per index partition, keyed by the partition's last
 *   key). Unknown ids are corruption, as are duplicates, both 2 and 4, and sections that do
 *   not end at or before the TOC.
 *
 * Trailer (last 48 bytes of the file):
 *   +-------------+-----------+-------------------+--------------------+-----------+-----------+--------+
 *   | toc_offset  | toc_size  | file_checksum low | file_checksum high | version   | trl_check | magic  |
 *   | fixed64     | fixed64   | fixed64           | fixed64            | fixed32   | fixed32   | 8 bytes|
 *   +-------------+-----------+-------------------+--------------------+-----------+-----------+--------+
 *   file_checksum = xxh3-128 of every byte before the trailer (streamed while writing);
 *   trl_check = low 32 bits of xxh3-64 of trailer bytes 0..35; magic = "STRATAT\x01";
 *   toc_offset + toc_size = file size - 48.
 */
#ifndef STRATA_TABLE_TABLE_TRAILER_H
#define STRATA_TABLE_TABLE_TRAILER_H

#include <stdint.h>

#include "../util/buffer.h"
#include "../util/checksum.h"
#include "../util/slice.h"
#include "../util/status.h"
#include "block_header.h"

#define TABLE_TRAILER_SIZE 48
#define TABLE_MAGIC "STRATAT\x01"

typedef struct table_trailer {
  uint64_t toc_offset, toc_size;
  checksum128 file_checksum;
  uint32_t format_version;
} table_trailer;

enum table_section {
  TABLE_SECTION_INDEX = 1,
  TABLE_SECTION_FILTER = 2,
  TABLE_SECTION_META = 3,
  TABLE_SECTION_FILTER_INDEX = 4
};

typedef struct table_toc {
  block_handle index, filter, meta, filter_index;
  int has_filter, has_filter_index;
} table_toc;

void table_trailer_encode(const table_trailer *t, uint8_t out[TABLE_TRAILER_SIZE]);
/* Checks magic, trailer checksum, format version and that the TOC sits just before it. */
STRATA_MUST_USE strata_status *table_trailer_decode(const uint8_t in[TABLE_TRAILER_SIZE], uint64_t file_size,
                                                    const char *what, table_trailer *out);

STRATA_MUST_USE strata_status *table_toc_encode(const table_toc *toc, buffer *out);
STRATA_MUST_USE strata_status *table_toc_decode(slice payload, uint64_t toc_offset, const char *what,
                                                table_toc *out);

#endif
