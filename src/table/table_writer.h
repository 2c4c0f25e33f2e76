/*
 * table_writer.h -- streams sorted internal entries into a new table file through the VFS.
 *
 * Entries must come in strictly ascending internal-key order (user key ascending, seqno
 * descending); anything else is STRATA_INVALID_ARGUMENT and leaves the writer usable. A caller
 * that rotates tables by size must never split the versions of one user key across two tables:
 * rotate only when table_writer_would_split_key() says no for the next key.
 *
 * The file layout is drawn in table_trailer.h (sections), block_writer.c (blocks) and
 * block_header.h (the block envelope).
 */
#ifndef STRATA_TABLE_TABLE_WRITER_H
#define STRATA_TABLE_TABLE_WRITER_H

#include <stdint.h>

#include "../util/checksum.h"
#include "../util/internal_key.h"
#include "../util/slice.h"
#include "../util/status.h"
#include "../vfs/vfs.h"
#include "table_meta.h"
#include "table_options.h"

typedef struct table_writer table_writer;

/* Creates `path` (it must not exist). opts NULL = defaults. */
STRATA_MUST_USE strata_status *table_writer_open(vfs *v, const char *path, const table_writer_options *opts,
                                                 table_writer **out);

STRATA_MUST_USE strata_status *table_writer_add(table_writer *w, const internal_key *key, slice value);

/* 1 when user_key is the user key of the last entry added (rotating now would split it). */
int table_writer_would_split_key(const table_writer *w, slice user_key);
/* Bytes written so far plus the pending data block: what the finished file will roughly be. */
uint64_t table_writer_estimated_size(const table_writer *w);
uint64_t table_writer_entry_count(const table_writer *w);

/*
 * Writes index, filter, meta, TOC and trailer, syncs and closes the file, frees the writer.
 * meta_out (initialised by the caller, may be NULL) receives the table's metadata, checksum_out
 * (may be NULL) the whole-file checksum stored in the trailer.
 */
STRATA_MUST_USE strata_status *table_writer_finish(table_writer *w, table_meta *meta_out,
                                                   checksum128 *checksum_out);

/* Closes and removes the unfinished file and frees the writer (errors are swallowed). */
void table_writer_abandon(table_writer *w);

#endif
