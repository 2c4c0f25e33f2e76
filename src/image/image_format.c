/* image_format.c -- encoding and checking a database image (the layout: image_format.h). */
#include "image_format.h"

#include <stdlib.h>
#include <string.h>

#include "../journal/journal_format.h"
#include "../table/table_meta.h"
#include "../util/coding.h"
#include "../version/manifest.h"
#include "../version/version.h"
#include "strata.h"

void image_header_init(image_header *h) {
  memset(h, 0, sizeof *h);
  h->engine_version = (uint32_t)STRATA_VERSION_MAJOR << 16 | (uint32_t)STRATA_VERSION_MINOR << 8 |
                      (uint32_t)STRATA_VERSION_PATCH;
  h->manifest_format = MANIFEST_FORMAT;
  h->journal_format = JOURNAL_VERSION;
  h->table_format = TABLE_FORMAT_VERSION;
}

void image_header_encode(const image_header *h, uint8_t out[IMAGE_HEADER_SIZE]) {
  memset(out, 0, IMAGE_HEADER_SIZE);
  memcpy(out, IMAGE_MAGIC, 8);
  encode_fixed32(out + 8, IMAGE_FORMAT);
  encode_fixed32(out + 12, IMAGE_HEADER_SIZE);
  encode_fixed32(out + 16, h->engine_version);
  encode_fixed32(out + 20, h->manifest_format);
  encode_fixed32(out + 24, h->journal_format);
  encode_fixed32(out + 28, h->table_format);
  encode_fixed32(out + 32, h->level_count);
  encode_fixed32(out + 36, h->file_count);
  encode_fixed64(out + 40, h->image_length);
  encode_fixed64(out + 48, h->seqno);
  encode_fixed64(out + 72, checksum64(out, 72));
}

size_t image_entry_encode(db_file_kind kind, uint64_t number, uint64_t length, uint8_t *out, size_t cap) {
  char name[DB_FILE_NAME_MAX + 1];
  size_t n = db_files_relative_name(kind, number, name, sizeof name);
  if (n == 0 || cap < IMAGE_ENTRY_FIXED + n + IMAGE_ENTRY_SUM) return 0;
  encode_fixed32(out, (uint32_t)kind);
  encode_fixed32(out + 4, (uint32_t)n);
  encode_fixed64(out + 8, length);
  memcpy(out + IMAGE_ENTRY_FIXED, name, n);
  encode_fixed64(out + IMAGE_ENTRY_FIXED + n, checksum64(out, IMAGE_ENTRY_FIXED + n));
  return IMAGE_ENTRY_FIXED + n + IMAGE_ENTRY_SUM;
}

void image_trailer_encode(uint32_t file_count, uint64_t image_length, checksum128 sum,
                          uint8_t out[IMAGE_TRAILER_SIZE]) {
  memset(out, 0, IMAGE_TRAILER_SIZE);
  memcpy(out, IMAGE_TRAILER_MAGIC, 8);
  encode_fixed32(out + 8, file_count);
  encode_fixed64(out + 16, image_length);
  encode_fixed64(out + 24, sum.low);
  encode_fixed64(out + 32, sum.high);
}

/* --- the reader -------------------------------------------------------------------------- */

enum reader_state { R_HEADER, R_ENTRY_FIXED, R_ENTRY_REST, R_DATA, R_DATA_SUM, R_TRAILER, R_DONE, R_FAILED };

struct image_reader {
  image_reader_callbacks cb;
  void *ctx;
  enum reader_state state;
  uint8_t stage[128]; /* the fixed-size part being gathered (at most IMAGE_HEADER_SIZE bytes) */
  size_t staged, want;
  uint64_t offset;       /* image bytes consumed */
  uint64_t part_offset;  /* where the part being gathered (or the file's data) starts */
  image_header header;
  int have_header; /* the header verified */
  uint32_t entries_seen;
  image_entry entry;
  uint64_t data_left;
  db_file_kind last_kind;
  uint64_t last_number;
  checksum128_stream *image_sum;
  checksum128_stream *file_sum;
};

strata_status *image_reader_new(const image_reader_callbacks *cb, void *ctx, image_reader **out) {
  *out = NULL;
  image_reader *r = calloc(1, sizeof *r);
  if (!r) return status_no_memory();
  r->cb = *cb;
  r->ctx = ctx;
  r->state = R_HEADER;
  r->want = IMAGE_HEADER_SIZE;
  r->image_sum = checksum128_stream_new();
  r->file_sum = checksum128_stream_new();
  if (!r->image_sum || !r->file_sum) {
    image_reader_free(r);
    return status_no_memory();
  }
  *out = r;
  return NULL;
}

void image_reader_free(image_reader *r) {
  if (!r) return;
  checksum128_stream_free(r->image_sum);
  checksum128_stream_free(r->file_sum);
  free(r);
}

uint64_t image_reader_offset(const image_reader *r) { return r->offset; }
uint64_t image_reader_total(const image_reader *r) { return r->have_header ? r->header.image_length : 0; }

#define CORRUPT(r, ...) ((void)(r), status_new(STRATA_CORRUPTION, __VA_ARGS__))
#define ULL(x) ((unsigned long long)(x))

static strata_status *check_header(image_reader *r) {
  const uint8_t *p = r->stage;
  image_header *h = &r->header;
  if (memcmp(p, IMAGE_MAGIC, 8) != 0) return CORRUPT(r, "database image: bad magic at offset 0 (not a Strata image)");
  if (decode_fixed64(p + 72) != checksum64(p, 72))
    return CORRUPT(r, "database image: header checksum mismatch (bytes 0..80)");
  uint32_t format = decode_fixed32(p + 8);
  if (format != IMAGE_FORMAT)
    return status_new(STRATA_NOT_SUPPORTED, "database image: format %u at offset 8; this build reads format %u",
                      format, IMAGE_FORMAT);
  if (decode_fixed32(p + 12) != IMAGE_HEADER_SIZE)
    return CORRUPT(r, "database image: header size %u at offset 12, expected %u", decode_fixed32(p + 12),
                   IMAGE_HEADER_SIZE);
  h->engine_version = decode_fixed32(p + 16);
  h->manifest_format = decode_fixed32(p + 20);
  h->journal_format = decode_fixed32(p + 24);
  h->table_format = decode_fixed32(p + 28);
  h->level_count = decode_fixed32(p + 32);
  h->file_count = decode_fixed32(p + 36);
  h->image_length = decode_fixed64(p + 40);
  h->seqno = decode_fixed64(p + 48);
  if (h->manifest_format != MANIFEST_FORMAT || h->journal_format != JOURNAL_VERSION ||
      h->table_format != TABLE_FORMAT_VERSION)
    return status_new(STRATA_NOT_SUPPORTED,
                      "database image: its files are manifest format %u, journal format %u, table format %u; this "
                      "build reads %u, %u, %u",
                      h->manifest_format, h->journal_format, h->table_format, MANIFEST_FORMAT, JOURNAL_VERSION,
                      TABLE_FORMAT_VERSION);
  for (size_t i = 56; i < 72; i++)
    if (p[i]) return CORRUPT(r, "database image: reserved header byte at offset %zu is not zero", i);
  if (h->level_count < 1 || h->level_count > VERSION_MAX_LEVELS)
    return CORRUPT(r, "database image: level count %u at offset 32 is outside 1..%u", h->level_count,
                   VERSION_MAX_LEVELS);
  if (h->file_count < 1 || h->file_count > IMAGE_FILES_MAX)
    return CORRUPT(r, "database image: file count %u at offset 36 is outside 1..%u", h->file_count, IMAGE_FILES_MAX);
  uint64_t least = IMAGE_HEADER_SIZE + IMAGE_TRAILER_SIZE + (uint64_t)h->file_count * image_entry_overhead(1);
  if (h->image_length < least)
    return CORRUPT(r, "database image: length %llu at offset 40 is too small for %u files (at least %llu)",
                   ULL(h->image_length), h->file_count, ULL(least));
  return NULL;
}

/* The entry's fixed part: kind, name length, data length (bounds only; the checksum follows the name). */
static strata_status *check_entry_fixed(image_reader *r) {
  const uint8_t *p = r->stage;
  uint32_t kind = decode_fixed32(p), name_len = decode_fixed32(p + 4);
  if (name_len < 1 || name_len > DB_FILE_NAME_MAX)
    return CORRUPT(r, "database image: entry %u at offset %llu: name length %u is outside 1..%u", r->entries_seen,
                   ULL(r->part_offset), name_len, DB_FILE_NAME_MAX);
  r->entry.kind = (db_file_kind)kind;
  r->entry.name_len = name_len;
  r->entry.length = decode_fixed64(p + 8);
  r->want = name_len + IMAGE_ENTRY_SUM;
  return NULL;
}

static strata_status *check_entry_rest(image_reader *r) {
  image_entry *e = &r->entry;
  const uint8_t *p = r->stage;
  uint64_t at = r->part_offset;
  if (decode_fixed64(p + IMAGE_ENTRY_FIXED + e->name_len) != checksum64(p, IMAGE_ENTRY_FIXED + e->name_len))
    return CORRUPT(r, "database image: entry %u at offset %llu: header checksum mismatch", r->entries_seen, ULL(at));
  memcpy(e->name, p + IMAGE_ENTRY_FIXED, e->name_len);
  e->name[e->name_len] = '\0';
  db_file_kind kind;
  if (memchr(e->name, '\0', e->name_len) || !db_files_parse_relative(e->name, e->name_len, &kind, &e->number) ||
      kind != e->kind)
    return CORRUPT(r, "database image: entry %u at offset %llu: \"%s\" (kind %u) is not a database file name",
                   r->entries_seen, ULL(at), e->name, (unsigned)e->kind);
  int last = r->entries_seen + 1 == r->header.file_count;
  if ((e->kind == DB_FILE_MANIFEST) != last)
    return CORRUPT(r, "database image: entry %u at offset %llu: %s; the manifest must be the last of %u files, once",
                   r->entries_seen, ULL(at), e->name, r->header.file_count);
  if (r->entries_seen > 0 && (e->kind < r->last_kind || (e->kind == r->last_kind && e->number <= r->last_number)))
    return CORRUPT(r, "database image: entry %u at offset %llu: %s is out of order (tables, then journals, ascending)",
                   r->entries_seen, ULL(at), e->name);
  /* the data, its checksum, the trailer and every later entry must fit in the image */
  uint64_t after = r->offset; /* the first data byte */
  uint64_t later = (uint64_t)(r->header.file_count - r->entries_seen - 1) * image_entry_overhead(1);
  if (after > r->header.image_length)
    return CORRUPT(r, "database image: entry %u at offset %llu: %s ends past the image's %llu bytes", r->entries_seen,
                   ULL(at), e->name, ULL(r->header.image_length));
  uint64_t room = r->header.image_length - after;
  if (room < IMAGE_DATA_SUM + IMAGE_TRAILER_SIZE + later ||
      e->length > room - IMAGE_DATA_SUM - IMAGE_TRAILER_SIZE - later)
    return CORRUPT(r, "database image: entry %u at offset %llu: %s claims %llu bytes; the image has room for %llu",
                   r->entries_seen, ULL(at), e->name, ULL(e->length),
                   ULL(room > IMAGE_DATA_SUM + IMAGE_TRAILER_SIZE + later
                           ? room - IMAGE_DATA_SUM - IMAGE_TRAILER_SIZE - later
                           : 0));
  r->last_kind = e->kind;
  r->last_number = e->number;
  return NULL;
}

static strata_status *check_data_sum(image_reader *r) {
  checksum128 want = {decode_fixed64(r->stage), decode_fixed64(r->stage + 8)};
  checksum128 got = checksum128_stream_digest(r->file_sum);
  if (!checksum128_equal(want, got))
    return CORRUPT(r, "database image: %s (entry %u, %llu bytes at offset %llu): checksum mismatch", r->entry.name,
                   r->entries_seen, ULL(r->entry.length), ULL(r->part_offset - r->entry.length));
  return NULL;
}

static strata_status *check_trailer(image_reader *r) {
  const uint8_t *p = r->stage;
  uint64_t at = r->part_offset;
  if (memcmp(p, IMAGE_TRAILER_MAGIC, 8) != 0)
    return CORRUPT(r, "database image: bad trailer magic at offset %llu", ULL(at));
  if (decode_fixed32(p + 8) != r->header.file_count || decode_fixed32(p + 12) != 0 ||
      decode_fixed64(p + 16) != r->header.image_length)
    return CORRUPT(r, "database image: the trailer at offset %llu does not match the header (files, length)", ULL(at));
  checksum128 want = {decode_fixed64(p + 24), decode_fixed64(p + 32)};
  if (!checksum128_equal(want, checksum128_stream_digest(r->image_sum)))
    return CORRUPT(r, "database image: whole-image checksum mismatch (trailer at offset %llu)", ULL(at));
  return NULL;
}

/* A fixed-size part is complete: check it and move on. */
static strata_status *part_done(image_reader *r) {
  switch (r->state) {
  case R_HEADER:
    STATUS_TRY(check_header(r));
    r->have_header = 1;
    STATUS_TRY(r->cb.header ? r->cb.header(r->ctx, &r->header) : NULL);
    r->state = R_ENTRY_FIXED;
    r->want = IMAGE_ENTRY_FIXED;
    return NULL;
  case R_ENTRY_FIXED:
    STATUS_TRY(check_entry_fixed(r));
    r->state = R_ENTRY_REST;
    r->staged = IMAGE_ENTRY_FIXED; /* the rest is gathered after the fixed part, for the checksum */
    r->want = IMAGE_ENTRY_FIXED + r->entry.name_len + IMAGE_ENTRY_SUM;
    return NULL;
  case R_ENTRY_REST:
    STATUS_TRY(check_entry_rest(r));
    STATUS_TRY(r->cb.file_begin(r->ctx, &r->entry));
    checksum128_stream_free(r->file_sum);
    r->file_sum = checksum128_stream_new();
    if (!r->file_sum) return status_no_memory();
    r->data_left = r->entry.length;
    r->state = R_DATA;
    if (r->data_left == 0) { /* an empty file: its checksum follows at once */
      r->state = R_DATA_SUM;
      r->want = IMAGE_DATA_SUM;
    }
    return NULL;
  case R_DATA_SUM:
    STATUS_TRY(check_data_sum(r));
    STATUS_TRY(r->cb.file_end(r->ctx, &r->entry));
    r->entries_seen++;
    if (r->entries_seen == r->header.file_count) {
      if (r->offset != r->header.image_length - IMAGE_TRAILER_SIZE)
        return CORRUPT(r, "database image: the files end at offset %llu, the header puts the trailer at %llu",
                       ULL(r->offset), ULL(r->header.image_length - IMAGE_TRAILER_SIZE));
      r->state = R_TRAILER;
      r->want = IMAGE_TRAILER_SIZE;
    } else {
      r->state = R_ENTRY_FIXED;
      r->want = IMAGE_ENTRY_FIXED;
    }
    return NULL;
  case R_TRAILER:
    STATUS_TRY(check_trailer(r));
    r->state = R_DONE;
    return NULL;
  default:
    return status_new(STRATA_CORRUPTION, "database image: internal reader state");
  }
}

static strata_status *feed(image_reader *r, const uint8_t *p, size_t len) {
  while (len > 0) {
    if (r->state == R_DONE)
      return CORRUPT(r, "database image: %zu bytes after the trailer (offset %llu)", len, ULL(r->offset));
    if (r->state == R_DATA) {
      size_t n = r->data_left < len ? (size_t)r->data_left : len;
      if (n > 0) {
        checksum128_stream_update(r->file_sum, p, n);
        checksum128_stream_update(r->image_sum, p, n);
        STATUS_TRY(r->cb.file_data(r->ctx, p, n));
        r->data_left -= n;
        r->offset += n;
        p += n;
        len -= n;
      }
      if (r->data_left == 0) {
        r->state = R_DATA_SUM;
        r->staged = 0;
        r->want = IMAGE_DATA_SUM;
        r->part_offset = r->offset;
      }
      continue;
    }
    if (r->staged == 0) r->part_offset = r->offset;
    size_t n = r->want - r->staged < len ? r->want - r->staged : len;
    memcpy(r->stage + r->staged, p, n);
    /* the whole-image checksum covers every byte but the trailer's own checksum field */
    if (r->state != R_TRAILER) checksum128_stream_update(r->image_sum, p, n);
    else if (r->staged < 24) checksum128_stream_update(r->image_sum, p, (r->staged + n <= 24 ? n : 24 - r->staged));
    r->staged += n;
    r->offset += n;
    p += n;
    len -= n;
    if (r->staged == r->want) {
      enum reader_state was = r->state;
      STATUS_TRY(part_done(r));
      if (was != R_ENTRY_FIXED) r->staged = 0;
    }
  }
  return NULL;
}

strata_status *image_reader_feed(image_reader *r, const void *data, size_t len) {
  if (r->state == R_FAILED) return status_new(STRATA_CORRUPTION, "database image: the reader failed before");
  if (len == 0) return NULL;
  strata_status *st = feed(r, data, len);
  if (st) r->state = R_FAILED;
  return st;
}

strata_status *image_reader_finish(image_reader *r) {
  if (r->state == R_DONE) return NULL;
  if (r->state == R_FAILED) return status_new(STRATA_CORRUPTION, "database image: the reader failed before");
  r->state = R_FAILED;
  if (r->offset < IMAGE_HEADER_SIZE)
    return CORRUPT(r, "database image: truncated at %llu bytes, inside the %u-byte header", ULL(r->offset),
                   IMAGE_HEADER_SIZE);
  return CORRUPT(r, "database image: truncated at %llu bytes; the header says %llu", ULL(r->offset),
                 ULL(r->header.image_length));
}
