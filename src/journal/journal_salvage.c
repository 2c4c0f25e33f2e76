/* journal_salvage.c -- every intact batch of a journal, resynchronising after damage (see journal_salvage.h). */
#include "journal_salvage.h"

#include <string.h>

#include "journal_format.h"

typedef enum found {
  FOUND_NOTHING,   /* no start record that verifies at this offset */
  FOUND_BATCH,     /* an intact batch, now in s->batch */
  FOUND_BAD,       /* a verified start record whose batch fails its checks; `next` skips it */
  FOUND_TRUNCATED  /* a verified start record whose batch runs past the end of the file */
} found;

typedef struct salvage {
  const uint8_t *data;
  size_t size;
  buffer scratch;    /* the body being checked */
  write_batch batch; /* the batch handed to the callback */
  uint64_t seqno;    /* of the record examined */
  size_t next;       /* offset after it (FOUND_BATCH, FOUND_BAD) */
  size_t zero_from;  /* where the file's all-zero end begins (size when it has none): a journal's
                        unused reserve after a crash, which held nothing and is never counted */
} salvage;

static found examine(salvage *s, size_t off) {
  if (s->size - off < JOURNAL_START_SIZE || s->data[off] != JOURNAL_TAG_START) return FOUND_NOTHING;
  const uint8_t *start = s->data + off;
  if (decode_fixed32(start + JOURNAL_START_CHECKED) != (uint32_t)checksum64(start, JOURNAL_START_CHECKED))
    return FOUND_NOTHING;
  uint64_t seqno = decode_fixed64(start + 1);
  uint32_t count = decode_fixed32(start + 9);
  uint64_t body_len = decode_fixed64(start + 13);
  /* a start record the writer cannot have written: its length is not to be trusted either */
  if (count == 0 || seqno > SEQNO_MAX || body_len < (uint64_t)count * WRITE_BATCH_ITEM_HEADER) return FOUND_NOTHING;
  s->seqno = seqno;
  size_t left = s->size - off - JOURNAL_START_SIZE;
  if (left < JOURNAL_END_SIZE || body_len > left - JOURNAL_END_SIZE) return FOUND_TRUNCATED;
  const uint8_t *body = start + JOURNAL_START_SIZE, *end = body + body_len;
  s->next = off + JOURNAL_START_SIZE + (size_t)body_len + JOURNAL_END_SIZE;
  if (end[0] != JOURNAL_TAG_END || decode_fixed64(end + 1) != journal_batch_checksum(start, body, (size_t)body_len))
    return FOUND_BAD;
  buffer_clear(&s->scratch);
  strata_status *st = buffer_append(&s->scratch, body, (size_t)body_len);
  if (!st) st = write_batch_adopt(&s->batch, &s->scratch, count);
  if (st) { /* out of memory copying counts as bad too: the caller loses the batch, and says so */
    strata_status_free(st);
    return FOUND_BAD;
  }
  return FOUND_BATCH;
}

/* Where the batches start: after a valid header; at 0 when the header is damaged. */
static strata_status *check_header(salvage *s, const char *path, journal_salvage_report *rep, size_t *first) {
  uint8_t want[JOURNAL_HEADER_SIZE];
  journal_encode_header(want);
  *first = JOURNAL_HEADER_SIZE;
  if (s->size == 0 || s->zero_from == 0) { /* created (and maybe reserved), nothing written */
    *first = s->size;
    return NULL;
  }
  if (s->size < JOURNAL_HEADER_SIZE && !memcmp(s->data, want, s->size)) { /* a crash right after creation */
    rep->torn_bytes = s->size;
    *first = s->size;
    return NULL;
  }
  if (s->size >= JOURNAL_HEADER_SIZE && !memcmp(s->data, want, 4)) {
    uint32_t version = decode_fixed32(s->data + 4);
    if (version != JOURNAL_VERSION)
      return status_new(STRATA_NOT_SUPPORTED, "journal %s: format version %u, this build reads version %u", path,
                        version, JOURNAL_VERSION);
    return NULL;
  }
  rep->header_damaged = 1;
  *first = 0;
  return NULL;
}

static int all_zero(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i]) return 0;
  return 1;
}

/* The stretch [from, to) held nothing intact. At the end of the file, zeros or an incomplete
 * record right after the last batch are a torn tail; anything else is damage. */
static void close_region(salvage *s, journal_salvage_report *rep, size_t from, size_t to, int at_end) {
  if (to <= from) return;
  if (at_end && (all_zero(s->data + from, to - from) ||
                 (to - from < JOURNAL_START_SIZE && s->data[from] == JOURNAL_TAG_START))) {
    rep->torn_bytes += s->zero_from > from ? (to < s->zero_from ? to : s->zero_from) - from : 0;
    return;
  }
  if (rep->damaged_regions++ == 0) rep->first_damage = from;
  rep->bytes_lost += to - from;
}

static strata_status *scan(salvage *s, const char *path, journal_replay_fn fn, void *ctx,
                           journal_salvage_report *rep) {
  size_t off = 0;
  STATUS_TRY(check_header(s, path, rep, &off));
  size_t region = SIZE_MAX; /* start of the bytes skipped since the last intact batch */
  int have_last = 0;
  uint64_t last = 0;
  while (off < s->size) {
    found f = examine(s, off);
    /* after damage, a record out of seqno order is more likely a journal image inside a value */
    int in_order = region == SIZE_MAX || !have_last || s->seqno > last;
    if (f == FOUND_BATCH && in_order) {
      close_region(s, rep, region == SIZE_MAX ? off : region, off, 0);
      region = SIZE_MAX;
      if (fn) {
        strata_status *st = fn(ctx, s->seqno, &s->batch);
        if (st)
          return status_wrap(st, "salvaging batch %llu of journal %s", (unsigned long long)s->seqno, path);
      }
      rep->batches++;
      rep->items += write_batch_count(&s->batch);
      if (s->seqno > rep->highest_seqno) rep->highest_seqno = s->seqno;
      if (rep->batches == 1 || s->seqno < rep->lowest_seqno) rep->lowest_seqno = s->seqno;
      have_last = 1;
      last = s->seqno;
      off = s->next;
    } else if (f == FOUND_BAD && in_order && s->zero_from < s->size &&
               s->zero_from < s->next + STRATA_VFS_TORN_WINDOW) {
      /* an append into a journal reserve the process's death interrupted (journal_format.h) */
      close_region(s, rep, region == SIZE_MAX ? off : region, off, 0);
      rep->torn_bytes += s->zero_from - off;
      return NULL;
    } else if (f == FOUND_BAD && in_order) {
      rep->batches_lost++;
      if (region == SIZE_MAX) region = off;
      off = s->next;
    } else if (f == FOUND_TRUNCATED && in_order) {
      close_region(s, rep, region == SIZE_MAX ? off : region, off, 0);
      rep->torn_bytes += (s->zero_from > off ? s->zero_from : s->size) - off;
      return NULL;
    } else {
      if (region == SIZE_MAX) region = off;
      off++;
    }
  }
  if (region != SIZE_MAX) close_region(s, rep, region, s->size, 1);
  return NULL;
}

strata_status *journal_salvage(vfs *v, const char *path, journal_replay_fn fn, void *ctx,
                               journal_salvage_report *report) {
  memset(report, 0, sizeof *report);
  buffer file;
  buffer_init(&file);
  salvage s;
  memset(&s, 0, sizeof s);
  buffer_init(&s.scratch);
  write_batch_init(&s.batch);
  strata_status *st = vfs_read_file(v, path, &file);
  if (!st) {
    s.data = file.data;
    s.size = file.len;
    s.zero_from = s.size;
    while (s.zero_from > 0 && s.data[s.zero_from - 1] == 0) s.zero_from--;
    st = scan(&s, path, fn, ctx, report);
  }
  buffer_free(&file);
  buffer_free(&s.scratch);
  write_batch_free(&s.batch);
  return st;
}
