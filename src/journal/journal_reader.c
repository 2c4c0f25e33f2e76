/* journal_reader.c -- replay and torn-tail recovery of one journal file (format: journal_format.h). */
#include "journal_reader.h"

#include <stdlib.h>
#include <string.h>

#include "journal_files.h"
#include "journal_format.h"

typedef struct recovery {
  vfs_file *file;
  const char *path;
  uint64_t size;
  journal_recovery_report *report;
  buffer body;      /* the batch being read (body + end record) */
  write_batch batch; /* the batch handed to the callback; swaps buffers with `body` */
} recovery;

/* Stops replay at `offset`: everything from there on is dropped. */
static void stop_at(recovery *r, uint64_t offset, int corrupt, const char *reason) {
  r->report->valid_bytes = offset;
  r->report->corrupt = corrupt;
  r->report->torn = !corrupt;
  r->report->reason = reason;
}

/* *z = the start of the file's all-zero end at or after `offset` (r->size when the last byte is
 * not zero): what a journal's unwritten reserve, or a crash that kept a length but not the
 * bytes, leaves. Reads backwards from the end. */
static strata_status *zero_suffix(recovery *r, uint64_t offset, uint64_t *z) {
  uint8_t chunk[4096];
  uint64_t pos = r->size;
  while (pos > offset) {
    size_t n = pos - offset < sizeof chunk ? (size_t)(pos - offset) : sizeof chunk;
    STATUS_TRY(vfs_file_read_exact(r->file, pos - n, chunk, n, r->path));
    for (size_t i = n; i > 0; i--)
      if (chunk[i - 1]) {
        *z = pos - n + i;
        return NULL;
      }
    pos -= n;
  }
  *z = offset;
  return NULL;
}

/*
 * A record at `offset` that is not a good batch; `claimed_end` is where it says it ends (its
 * start record verified) or the end of its start record. Torn -- an append the process's death
 * or a crash interrupted, never acknowledged -- when the file ends inside it, when only zeros
 * follow, or when the file's all-zero end begins less than STRATA_VFS_TORN_WINDOW bytes past
 * it (a journal append into a reserve stores in order: strata_vfs.h); corrupt otherwise. The
 * zero end is not counted as torn data: it never held any.
 */
static strata_status *find_start(recovery *r, uint8_t *window, size_t cap, uint64_t from, uint64_t *at, int *found);
typedef struct batch_check batch_check;
static strata_status *check_batch(recovery *r, uint64_t off, batch_check *c);

#define SCAN_WINDOW (64u << 10)

/* 1 when intact batches found from `from` on end exactly at the end of the file: its zero end is
 * then the last bytes of a batch (a checksum ending in zeros), not an unwritten reserve. */
static strata_status *ends_with_a_batch(recovery *r, uint64_t from, int *yes);

static strata_status *stop_damaged(recovery *r, uint64_t offset, uint64_t claimed_end, int incomplete,
                                   const char *reason) {
  uint64_t z = r->size;
  STATUS_TRY(zero_suffix(r, offset, &z));
  int torn = incomplete || z <= offset;
  if (!torn && z < r->size && z < claimed_end + STRATA_VFS_TORN_WINDOW) {
    int batch_end = 0;
    STATUS_TRY(ends_with_a_batch(r, offset + 1, &batch_end));
    torn = !batch_end;
  }
  stop_at(r, offset, !torn, z <= offset ? "zero-filled tail after the last batch" : reason);
  /* the zero end is a reserve nothing wrote when the file ends there in zeros only or the window
   * rule applied; a file that ends inside a record ends with that record's bytes */
  if (torn && (z <= offset || !incomplete)) r->report->zero_bytes = r->size - z;
  return NULL;
}

static strata_status *read_header(recovery *r, int *ok) {
  uint8_t got[JOURNAL_HEADER_SIZE], want[JOURNAL_HEADER_SIZE];
  journal_encode_header(want);
  size_t n = r->size < JOURNAL_HEADER_SIZE ? (size_t)r->size : JOURNAL_HEADER_SIZE;
  STATUS_TRY(vfs_file_read_exact(r->file, 0, got, n, r->path));
  *ok = 0;
  uint64_t z = r->size;
  if (got[0] == 0) STATUS_TRY(zero_suffix(r, 0, &z));
  if (z == 0) { /* a reserve, then a crash before the header was stored: nothing was written */
    stop_at(r, 0, 0, "zero-filled file");
    r->report->zero_bytes = r->size;
    return NULL;
  }
  if (n < JOURNAL_HEADER_SIZE) { /* created, then a crash before the header was durable */
    if (memcmp(got, want, n)) {
      r->report->bad_header = 1;
      return status_new(STRATA_CORRUPTION, "journal %s: %zu bytes that are not a journal header", r->path, n);
    }
    stop_at(r, 0, 0, "file ends inside its header");
    return NULL;
  }
  if (memcmp(got, want, 4)) {
    r->report->bad_header = 1;
    return status_new(STRATA_CORRUPTION, "journal %s: bad magic, not a Strata journal", r->path);
  }
  uint32_t version = decode_fixed32(got + 4);
  if (version != JOURNAL_VERSION)
    return status_new(STRATA_NOT_SUPPORTED, "journal %s: format version %u, this build reads version %u", r->path,
                      version, JOURNAL_VERSION);
  *ok = 1;
  return NULL;
}

typedef enum batch_verdict {
  BATCH_OK,         /* complete, both checks match, the items parse: r->batch holds it */
  BATCH_INCOMPLETE, /* the file ends inside the record */
  BATCH_DAMAGED,    /* a complete record that fails a check */
  BATCH_BAD_START   /* the start record itself fails (tag or start_check): maybe a zero tail */
} batch_verdict;

struct batch_check {
  batch_verdict verdict;
  const char *reason; /* static text, when not BATCH_OK */
  uint64_t seqno;
  uint32_t count;
  uint64_t next; /* BATCH_OK: the offset after the batch; otherwise where the record claims to
                    end (the end of its start record when that did not verify) */
};

/* Reads and checks the batch at `off` (read only). Errors are I/O or memory. */
static strata_status *check_batch(recovery *r, uint64_t off, batch_check *c) {
  uint64_t left = r->size - off;
  memset(c, 0, sizeof *c);
  c->verdict = BATCH_INCOMPLETE;
  if (left < JOURNAL_START_SIZE) {
    c->reason = "file ends inside a start record";
    return NULL;
  }
  uint8_t start[JOURNAL_START_SIZE];
  STATUS_TRY(vfs_file_read_exact(r->file, off, start, sizeof start, r->path));
  c->verdict = BATCH_BAD_START;
  c->next = off + JOURNAL_START_SIZE;
  if (start[0] != JOURNAL_TAG_START) {
    c->reason = "bad start record tag";
    return NULL;
  }
  if (decode_fixed32(start + JOURNAL_START_CHECKED) != (uint32_t)checksum64(start, JOURNAL_START_CHECKED)) {
    c->reason = "start record checksum mismatch";
    return NULL;
  }
  uint64_t seqno = decode_fixed64(start + 1);
  uint32_t count = decode_fixed32(start + 9);
  uint64_t body_len = decode_fixed64(start + 13);
  c->verdict = BATCH_DAMAGED;
  if (count == 0 || seqno > SEQNO_MAX || body_len < (uint64_t)count * WRITE_BATCH_ITEM_HEADER) {
    c->reason = "start record out of range";
    return NULL;
  }
  left -= JOURNAL_START_SIZE;
  c->next = body_len > UINT64_MAX - off - JOURNAL_START_SIZE - JOURNAL_END_SIZE
                ? UINT64_MAX - STRATA_VFS_TORN_WINDOW
                : off + JOURNAL_START_SIZE + body_len + JOURNAL_END_SIZE;
  if (left < JOURNAL_END_SIZE || body_len > left - JOURNAL_END_SIZE) {
    c->verdict = BATCH_INCOMPLETE; /* start was verified: the length is real */
    c->reason = "file ends inside a batch";
    return NULL;
  }
  if (body_len > SIZE_MAX - JOURNAL_END_SIZE)
    return status_new(STRATA_NO_MEMORY, "journal %s: batch of %llu bytes at offset %llu does not fit in memory",
                      r->path, (unsigned long long)body_len, (unsigned long long)off);
  size_t n = (size_t)body_len + JOURNAL_END_SIZE;
  buffer_clear(&r->body);
  STATUS_TRY(buffer_reserve(&r->body, n));
  STATUS_TRY(vfs_file_read_exact(r->file, off + JOURNAL_START_SIZE, r->body.data, n, r->path));
  const uint8_t *end = r->body.data + body_len;
  if (end[0] != JOURNAL_TAG_END || decode_fixed64(end + 1) != journal_batch_checksum(start, r->body.data, body_len)) {
    c->reason = "batch checksum mismatch";
    return NULL;
  }
  r->body.len = (size_t)body_len;
  strata_status *st = write_batch_adopt(&r->batch, &r->body, count);
  if (st) { /* checksum matched yet items are malformed: a writer bug or a forged file */
    strata_status_free(st);
    c->reason = "malformed items in a batch with a valid checksum";
    return NULL;
  }
  c->verdict = BATCH_OK;
  c->seqno = seqno;
  c->count = count;
  c->next = off + JOURNAL_START_SIZE + n;
  return NULL;
}

/*
 * Reads the batch at *offset. On success with *more set, it was replayed and *offset moved past
 * it; with *more clear, replay stopped (the report says why). Errors are I/O or the callback's.
 */
static strata_status *next_batch(recovery *r, uint64_t *offset, journal_replay_fn fn, void *ctx, int *more) {
  uint64_t off = *offset;
  *more = 0;
  batch_check c;
  STATUS_TRY(check_batch(r, off, &c));
  switch (c.verdict) {
    case BATCH_INCOMPLETE: return stop_damaged(r, off, c.next, 1, c.reason);
    case BATCH_BAD_START:
    case BATCH_DAMAGED: return stop_damaged(r, off, c.next, 0, c.reason);
    case BATCH_OK: break;
  }
  r->report->batch_offset = off;
  if (fn) {
    strata_status *st = fn(ctx, c.seqno, &r->batch);
    if (st) return status_wrap(st, "replaying batch %llu of journal %s", (unsigned long long)c.seqno, r->path);
  }
  if (r->report->batches == 0) r->report->first_seqno = c.seqno;
  r->report->batches++;
  r->report->items += c.count;
  r->report->last_seqno = c.seqno;
  *offset = c.next;
  *more = 1;
  return NULL;
}

static strata_status *replay(recovery *r, journal_replay_fn fn, void *ctx) {
  r->report->valid_bytes = r->size; /* until a damaged record says otherwise */
  if (r->size == 0) return NULL;
  int ok = 0;
  STATUS_TRY(read_header(r, &ok));
  if (!ok) return NULL;
  uint64_t offset = JOURNAL_HEADER_SIZE;
  int more = 1;
  while (more && offset < r->size) STATUS_TRY(next_batch(r, &offset, fn, ctx, &more));
  return NULL;
}

strata_status *journal_recover(vfs *v, const char *dir, uint64_t number, int truncate, journal_replay_fn fn,
                               void *ctx, journal_recovery_report *report) {
  memset(report, 0, sizeof *report);
  report->reason = "";
  char *path = journal_path(dir, number);
  if (!path) return status_no_memory();
  recovery r = {NULL, path, 0, report, {NULL, 0, 0, 0}, {{NULL, 0, 0, 0}, 0}};
  buffer_init(&r.body);
  write_batch_init(&r.batch);
  strata_status *st = vfs_open(v, path, VFS_OPEN_READ | (truncate ? VFS_OPEN_WRITE : 0), &r.file);
  if (!st) st = vfs_file_size(r.file, &r.size);
  if (!st) {
    report->file_bytes = r.size;
    st = replay(&r, fn, ctx);
  }
  if (!st) {
    report->dropped_bytes = r.size - report->valid_bytes;
    report->tail_cut = report->dropped_bytes > 0;
    if (report->tail_cut && truncate) {
      st = vfs_file_truncate(r.file, report->valid_bytes);
      if (!st) st = vfs_file_sync(r.file); /* the cut is durable before anything is appended */
      if (st) st = status_wrap(st, "cutting the damaged tail of journal %s", path);
    }
  }
  if (r.file) {
    strata_status *cst = vfs_file_close(r.file);
    if (st) strata_status_free(cst);
    else st = cst;
  }
  buffer_free(&r.body);
  write_batch_free(&r.batch);
  free(path);
  return st;
}

/* The first offset >= from where a start record verifies (tag and start_check), reading in
 * windows of `cap` bytes through `window`; *found = 0 when there is none. */
static strata_status *find_start(recovery *r, uint8_t *window, size_t cap, uint64_t from, uint64_t *at, int *found) {
  *found = 0;
  while (from < r->size && r->size - from >= JOURNAL_START_SIZE) {
    uint64_t avail = r->size - from;
    size_t n = avail < cap ? (size_t)avail : cap;
    STATUS_TRY(vfs_file_read_exact(r->file, from, window, n, r->path));
    for (size_t i = 0; i + JOURNAL_START_SIZE <= n; i++) {
      const uint8_t *p = window + i;
      if (p[0] != JOURNAL_TAG_START) continue;
      if (decode_fixed32(p + JOURNAL_START_CHECKED) != (uint32_t)checksum64(p, JOURNAL_START_CHECKED)) continue;
      *at = from + i;
      *found = 1;
      return NULL;
    }
    from += n - JOURNAL_START_SIZE + 1; /* the next window starts at the first position not tried */
  }
  return NULL;
}

static strata_status *ends_with_a_batch(recovery *r, uint64_t from, int *yes) {
  *yes = 0;
  uint8_t *window = malloc(SCAN_WINDOW);
  if (!window) return status_no_memory();
  strata_status *st = NULL;
  uint64_t pos = from;
  int found = 1;
  while (!st && !*yes && pos < r->size) {
    st = find_start(r, window, SCAN_WINDOW, pos, &pos, &found);
    if (st || !found) break;
    batch_check c;
    st = check_batch(r, pos, &c);
    while (!st && c.verdict == BATCH_OK && c.next < r->size) st = check_batch(r, pos = c.next, &c);
    if (!st && c.verdict == BATCH_OK) *yes = 1; /* c.next == r->size */
    else pos++;
  }
  free(window);
  return st;
}

strata_status *journal_scan_intact(vfs *v, const char *dir, uint64_t number, uint64_t offset, uint64_t *batches,
                                   uint64_t *highest_seqno) {
  *batches = 0;
  *highest_seqno = 0;
  char *path = journal_path(dir, number);
  uint8_t *window = malloc(SCAN_WINDOW);
  if (!path || !window) {
    free(path);
    free(window);
    return status_no_memory();
  }
  journal_recovery_report unused;
  memset(&unused, 0, sizeof unused);
  recovery r = {NULL, path, 0, &unused, {NULL, 0, 0, 0}, {{NULL, 0, 0, 0}, 0}};
  buffer_init(&r.body);
  write_batch_init(&r.batch);
  strata_status *st = vfs_open(v, path, VFS_OPEN_READ, &r.file);
  if (!st) st = vfs_file_size(r.file, &r.size);
  uint64_t pos = offset;
  while (!st && pos < r.size) {
    batch_check c;
    st = check_batch(&r, pos, &c); /* batches usually follow each other: try in place first */
    if (st) break;
    if (c.verdict == BATCH_OK) {
      (*batches)++;
      if (c.seqno > *highest_seqno) *highest_seqno = c.seqno;
      pos = c.next;
      continue;
    }
    int found = 0;
    st = find_start(&r, window, SCAN_WINDOW, pos + 1, &pos, &found);
    if (!found) break;
  }
  if (st) st = status_wrap(st, "scanning journal %s for intact batches", path);
  strata_status *cst = vfs_file_close(r.file);
  if (st) strata_status_free(cst);
  else st = cst;
  buffer_free(&r.body);
  write_batch_free(&r.batch);
  free(window);
  free(path);
  return st;
}
