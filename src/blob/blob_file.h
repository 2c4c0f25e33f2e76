/*
 * blob_file.h -- writing and reading blob files (the layout: blob_format.h).
 *
 * A writer appends records, handing back the handle of each, and finishes with the trailer, a
 * sync and a close. A reader checks the trailer at open and each record it reads (its checksum,
 * its bounds, and that it holds the key the table asked for); blob_file_verify reads everything.
 * Every decoder treats the file as untrusted.
 */
#ifndef STRATA_BLOB_BLOB_FILE_H
#define STRATA_BLOB_BLOB_FILE_H

#include <stdint.h>

#include "../util/buffer.h"
#include "../util/compress.h"
#include "../util/slice.h"
#include "../util/status.h"
#include "../vfs/vfs.h"
#include "blob_handle.h"

/* What the trailer says about a finished file. */
typedef struct blob_file_summary {
  uint64_t id;
  uint64_t item_count;
  uint64_t records_end;     /* bytes of records (what handles can point into) */
  uint64_t raw_value_bytes; /* the values uncompressed */
  uint64_t seqno_min, seqno_max;
  uint64_t file_size;
} blob_file_summary;

/* --- writing ---------------------------------------------------------------------------- */
typedef struct blob_file_writer blob_file_writer;

/* Creates `path` (it must not exist) for blob file `id`. */
STRATA_MUST_USE strata_status *blob_file_writer_open(vfs *fs, const char *path, uint64_t id, compression c,
                                                     blob_file_writer **out);
/* Appends one record; *handle receives where it went. */
STRATA_MUST_USE strata_status *blob_file_writer_add(blob_file_writer *w, slice key, uint64_t seqno, slice value,
                                                    blob_handle *handle);
uint64_t blob_file_writer_size(const blob_file_writer *w);
uint64_t blob_file_writer_id(const blob_file_writer *w);
/* Writes the trailer, syncs and closes the file, frees the writer (also on failure). */
STRATA_MUST_USE strata_status *blob_file_writer_finish(blob_file_writer *w, blob_file_summary *out);
/* Closes and removes the unfinished file, frees the writer. */
void blob_file_writer_abandon(blob_file_writer *w);

/* --- reading ---------------------------------------------------------------------------- */
typedef struct blob_file_reader blob_file_reader;

/* Opens `path` as blob file `id` and checks its trailer. */
STRATA_MUST_USE strata_status *blob_file_reader_open(vfs *fs, const char *path, uint64_t id, blob_file_reader **out);
void blob_file_reader_close(blob_file_reader *r);
const blob_file_summary *blob_file_reader_summary(const blob_file_reader *r);
/* Reads the value `h` points to into `value` (replaced); the record must hold `key`. */
STRATA_MUST_USE strata_status *blob_file_reader_read(blob_file_reader *r, const blob_handle *h, slice key,
                                                     buffer *value);

/* One record decoded from `bytes` (exactly one record, checksum included). */
typedef struct blob_record {
  slice key;
  uint64_t seqno;
  compression compression;
  uint64_t raw_len;
  slice stored;
} blob_record;
/* Decodes and checks the record at the start of `bytes`; *len receives its size. */
STRATA_MUST_USE strata_status *blob_record_decode(slice bytes, const char *what, blob_record *out, size_t *len);
/* The record's value, decompressed into `value` (replaced). */
STRATA_MUST_USE strata_status *blob_record_value(const blob_record *rec, const char *what, buffer *value);

/*
 * Reads the whole file: trailer, every record in order (checksums, seqnos within the trailer's
 * range, the count) and the file checksum. *out (optional) receives the summary.
 */
STRATA_MUST_USE strata_status *blob_file_verify(vfs *fs, const char *path, uint64_t id, blob_file_summary *out);
/* The same over bytes already in memory (the fuzz target). */
STRATA_MUST_USE strata_status *blob_file_verify_bytes(slice file, uint64_t id, const char *what,
                                                      blob_file_summary *out);

#endif
