/*
 * image_format.h -- a whole database as one file: the layout, its encoders and the checking
 * reader. The layout is drawn here once; docs/IMAGE.md explains it. Every integer is little
 * endian and fixed width; every checksum is xxh3 as the engine's files use it (xxh3-64 for
 * headers, xxh3-128 for whole files and the whole image).
 *
 *   header (IMAGE_HEADER_SIZE = 80 bytes)
 *     0  8  magic "STRATAIM"
 *     8  4  image format (IMAGE_FORMAT = 1)
 *    12  4  header size (80)
 *    16  4  engine version: major << 16 | minor << 8 | patch (informative)
 *    20  4  manifest format | 24 4 journal format | 28 4 table format   (of the files inside)
 *    32  4  level count (the manifest's; an open must ask for the same)
 *    36  4  file count (entries that follow, >= 1)
 *    40  8  image length in bytes, header and trailer included
 *    48  8  seqno: every write below it, and none at or above it, is in the image (informative)
 *    56 16  reserved, zero
 *    72  8  xxh3-64 of bytes 0..72
 *   entries, file count of them, in this order: tables, journals (ascending), the manifest slot
 *     0  4  kind (db_file_kind: 1 table, 2 journal, 3 manifest)
 *     4  4  name length n (1 .. DB_FILE_NAME_MAX)
 *     8  8  data length
 *    16  n  name relative to the database folder ("tables/12", "journal/7", "manifest-1"; the
 *           rules of util/db_files.h; it must match the kind)
 *  16+n  8  xxh3-64 of the entry's bytes 0 .. 16+n
 *           then the file's bytes (data length), then 16 bytes: their xxh3-128 (low, high)
 *   trailer (IMAGE_TRAILER_SIZE = 40 bytes)
 *     0  8  magic "STRATAEN"
 *     8  4  file count (again) | 12 4 reserved, zero
 *    16  8  image length (again)
 *    24 16  xxh3-128 (low, high) of every image byte before this field
 *
 * The image holds one version: the manifest slot lists the tables (it is epoch 1, so a database
 * opened from it has no older state to fall back to) and the journals hold the writes not yet in
 * those tables, cut at a batch boundary. Exactly one manifest, and it comes last, so an importer
 * writes it -- the file that makes the folder a database -- only after everything verified.
 */
#ifndef STRATA_IMAGE_IMAGE_FORMAT_H
#define STRATA_IMAGE_IMAGE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "../util/checksum.h"
#include "../util/db_files.h"
#include "../util/status.h"

#define IMAGE_MAGIC "STRATAIM"
#define IMAGE_TRAILER_MAGIC "STRATAEN"
#define IMAGE_FORMAT 1u
#define IMAGE_HEADER_SIZE 80u
#define IMAGE_ENTRY_FIXED 16u /* an entry header before its name */
#define IMAGE_ENTRY_SUM 8u    /* the entry header's checksum, after the name */
#define IMAGE_DATA_SUM 16u    /* the file's checksum, after its bytes */
#define IMAGE_TRAILER_SIZE 40u
#define IMAGE_FILES_MAX (1u << 24) /* a bound for untrusted counts, far above any real database */

typedef struct image_header {
  uint32_t engine_version;
  uint32_t manifest_format, journal_format, table_format;
  uint32_t level_count;
  uint32_t file_count;
  uint64_t image_length;
  uint64_t seqno;
} image_header;

typedef struct image_entry {
  db_file_kind kind;
  uint64_t number; /* table id, journal number or manifest slot */
  uint64_t length;
  char name[DB_FILE_NAME_MAX + 1];
  size_t name_len;
} image_entry;

/* The header's fields for this build (formats, engine version); the caller fills the rest. */
void image_header_init(image_header *h);
void image_header_encode(const image_header *h, uint8_t out[IMAGE_HEADER_SIZE]);
/* Bytes of an entry header for (kind, number, length) into out (cap >= image_entry_size_max());
 * returns its length (0 for a kind or number that has no name). */
size_t image_entry_encode(db_file_kind kind, uint64_t number, uint64_t length, uint8_t *out, size_t cap);
#define IMAGE_ENTRY_HEADER_MAX (IMAGE_ENTRY_FIXED + DB_FILE_NAME_MAX + IMAGE_ENTRY_SUM)
/* Everything an entry adds to the image besides the file's bytes. */
static inline uint64_t image_entry_overhead(size_t name_len) {
  return IMAGE_ENTRY_FIXED + name_len + IMAGE_ENTRY_SUM + IMAGE_DATA_SUM;
}
void image_trailer_encode(uint32_t file_count, uint64_t image_length, checksum128 sum,
                          uint8_t out[IMAGE_TRAILER_SIZE]);

/*
 * The reader: fed an untrusted image in pieces of any size, it checks every field as it arrives
 * (bounds, order, names, checksums) and hands each file's bytes to the callbacks; a file's data
 * is verified only when file_end is called, and the image as a whole only by a successful
 * image_reader_finish. Any failure is STRATA_CORRUPTION naming what and the image offset (a
 * format this build does not know: STRATA_NOT_SUPPORTED), and the reader stays failed. A
 * callback's error is returned as it is.
 */
typedef struct image_reader_callbacks {
  strata_status *(*header)(void *ctx, const image_header *h);
  strata_status *(*file_begin)(void *ctx, const image_entry *e);
  strata_status *(*file_data)(void *ctx, const void *data, size_t len);
  strata_status *(*file_end)(void *ctx, const image_entry *e);
} image_reader_callbacks;

typedef struct image_reader image_reader;
STRATA_MUST_USE strata_status *image_reader_new(const image_reader_callbacks *cb, void *ctx, image_reader **out);
STRATA_MUST_USE strata_status *image_reader_feed(image_reader *r, const void *data, size_t len);
/* The image ended: STRATA_CORRUPTION unless it was complete and its trailer verified. */
STRATA_MUST_USE strata_status *image_reader_finish(image_reader *r);
/* Bytes consumed so far, and the image's length once the header was read (0 before). */
uint64_t image_reader_offset(const image_reader *r);
uint64_t image_reader_total(const image_reader *r);
void image_reader_free(image_reader *r);

#endif
