/* journal_writer.c -- appending batches to the active journal (format: journal_format.h). */
#include "journal_writer.h"

#include <stdlib.h>
#include <string.h>

#include "journal_files.h"
#include "journal_format.h"

/* Batches up to this size are framed in one buffer and written with one append (one system
 * call, one torn-write window); larger ones go out in three appends without a copy. */
#define JOURNAL_COALESCE_MAX (64u * 1024u)

struct journal_writer {
  vfs *v;
  char *dir;
  uint64_t number;
  vfs_file *file;
  uint64_t size;        /* file length: where the next batch starts */
  uint64_t synced_size; /* file length at the last successful sync */
  journal_writer_options opts;
  uint64_t last_sync_ms;
  int poisoned;
  buffer scratch;
};

static uint64_t now_ms(const journal_writer *w) {
  return w->opts.clock ? w->opts.clock(w->opts.clock_ctx) : 0;
}

static strata_status *poisoned_status(const journal_writer *w) {
  return status_new(STRATA_IO, "journal %s/%llu: an earlier write or sync failed; close and recover it", w->dir,
                    (unsigned long long)w->number);
}

/* Checks the header of an existing journal, so we never append to a file we cannot read back. */
static strata_status *check_header(vfs_file *f, uint64_t size, const char *path) {
  if (size < JOURNAL_HEADER_SIZE)
    return status_new(STRATA_CORRUPTION, "journal %s: %llu bytes, shorter than its header (not recovered?)", path,
                      (unsigned long long)size);
  uint8_t got[JOURNAL_HEADER_SIZE], want[JOURNAL_HEADER_SIZE];
  STATUS_TRY(vfs_file_read_exact(f, 0, got, sizeof got, path));
  journal_encode_header(want);
  if (memcmp(got, want, sizeof got))
    return status_new(STRATA_CORRUPTION, "journal %s: bad header (not a Strata journal of version %u)", path,
                      JOURNAL_VERSION);
  return NULL;
}

/* Opens (or creates) `<dir>/<number>` ready for appending; a new file gets a synced header. */
static strata_status *open_journal_file(vfs *v, const char *dir, uint64_t number, int exclusive, vfs_file **out,
                                        uint64_t *size_out) {
  STATUS_TRY(vfs_mkdir(v, dir));
  char *path = journal_path(dir, number);
  if (!path) return status_no_memory();
  /* the journal hint: the backend may serve appends from a reserve past the end (strata_vfs.h) */
  int flags = VFS_OPEN_READ | VFS_OPEN_WRITE | VFS_OPEN_CREATE | (exclusive ? VFS_OPEN_EXCLUSIVE : 0) |
              vfs_journal_flag(v);
  vfs_file *f = NULL;
  uint64_t size = 0;
  strata_status *st = vfs_open(v, path, flags, &f);
  if (!st) st = vfs_file_size(f, &size);
  if (!st && size == 0) {
    uint8_t header[JOURNAL_HEADER_SIZE];
    journal_encode_header(header);
    st = vfs_file_append(f, header, sizeof header);
    if (!st) st = vfs_file_sync(f);
    if (!st) st = vfs_sync_dir(v, dir); /* the new name survives a crash */
    size = JOURNAL_HEADER_SIZE;
  } else if (!st) {
    st = check_header(f, size, path);
  }
  if (st) {
    strata_status_free(vfs_file_close(f));
    /* a file we created and could not finish would block the next creation: remove it (if
     * that fails too, journal_writer_rotate recognizes the empty leftover) */
    if (exclusive && f) strata_status_free(vfs_remove(v, path));
    st = status_wrap(st, "opening journal %s", path);
  } else {
    *out = f;
    *size_out = size;
  }
  free(path);
  return st;
}

strata_status *journal_writer_open(vfs *v, const char *dir, uint64_t number, const journal_writer_options *opts,
                                   journal_writer **out) {
  journal_writer_options o = {JOURNAL_SYNC_NONE, 0, NULL, NULL};
  if (opts) o = *opts;
  if (o.sync_policy != JOURNAL_SYNC_NONE && o.sync_policy != JOURNAL_SYNC_EVERY_APPEND &&
      o.sync_policy != JOURNAL_SYNC_INTERVAL)
    return status_new(STRATA_INVALID_ARGUMENT, "journal: unknown sync policy %d", (int)o.sync_policy);
  if (o.sync_policy == JOURNAL_SYNC_INTERVAL && !o.clock)
    return status_new(STRATA_INVALID_ARGUMENT, "journal: the interval sync policy needs a clock");
  journal_writer *w = calloc(1, sizeof *w);
  if (!w) return status_no_memory();
  size_t dir_len = strlen(dir) + 1;
  w->dir = malloc(dir_len);
  if (!w->dir) {
    free(w);
    return status_no_memory();
  }
  memcpy(w->dir, dir, dir_len);
  w->v = v;
  w->number = number;
  w->opts = o;
  buffer_init(&w->scratch);
  strata_status *st = open_journal_file(v, dir, number, 0, &w->file, &w->size);
  if (st) {
    free(w->dir);
    free(w);
    return st;
  }
  w->synced_size = w->size; /* what we found on open counts as durable: recovery synced it */
  w->last_sync_ms = now_ms(w);
  *out = w;
  return NULL;
}

static strata_status *do_sync(journal_writer *w) {
  if (w->poisoned) return poisoned_status(w);
  if (w->synced_size == w->size) return NULL;
  strata_status *st = vfs_file_sync(w->file);
  if (st) {
    /* after a failed fsync the kernel may have dropped the dirty pages; a quota refusal stored
     * nothing and lost nothing (strata_vfs.h), so the journal stays usable */
    if (!status_is(st, STRATA_QUOTA)) w->poisoned = 1;
    return status_wrap(st, "syncing journal %s/%llu", w->dir, (unsigned long long)w->number);
  }
  w->synced_size = w->size;
  w->last_sync_ms = now_ms(w);
  return NULL;
}

static int sync_due(const journal_writer *w) {
  if (w->synced_size == w->size) return 0;
  switch (w->opts.sync_policy) {
    case JOURNAL_SYNC_EVERY_APPEND: return 1;
    case JOURNAL_SYNC_INTERVAL: {
      uint64_t now = now_ms(w);
      return now < w->last_sync_ms || now - w->last_sync_ms >= w->opts.sync_interval_ms; /* clock went back: sync */
    }
    case JOURNAL_SYNC_NONE: break;
  }
  return 0;
}

/* Bytes of one batch's body. */
static size_t batch_body_len(const journal_batch *b) {
  return b->batch ? write_batch_encoded(b->batch).len : write_batch_item_size(b->key.len, b->value.len);
}

static uint32_t batch_count(const journal_batch *b) { return b->batch ? write_batch_count(b->batch) : 1; }

/* Frames one record (start, body, end) at the end of the scratch buffer. */
static strata_status *frame_record(journal_writer *w, uint64_t seqno, const journal_batch *b) {
  size_t body_len = batch_body_len(b);
  STATUS_TRY(buffer_reserve(&w->scratch, JOURNAL_START_SIZE + body_len + JOURNAL_END_SIZE));
  uint8_t *start = w->scratch.data + w->scratch.len, *body = start + JOURNAL_START_SIZE;
  journal_encode_start(start, seqno, batch_count(b), (uint64_t)body_len);
  if (b->batch) memcpy(body, write_batch_encoded(b->batch).data, body_len);
  else write_batch_encode_item(body, b->type, b->key, b->value);
  uint8_t *end = body + body_len;
  end[0] = JOURNAL_TAG_END;
  encode_fixed64(end + 1, journal_batch_checksum(start, body, body_len));
  w->scratch.len += JOURNAL_START_SIZE + body_len + JOURNAL_END_SIZE;
  return NULL;
}

/* Writes out what the scratch buffer holds. */
static strata_status *flush_scratch(journal_writer *w) {
  if (!w->scratch.len) return NULL;
  strata_status *st = vfs_file_append(w->file, w->scratch.data, w->scratch.len);
  buffer_clear(&w->scratch);
  return st;
}

/* Writes the records; NULL or the first error. Records are framed into the scratch buffer and
 * written together; a batch body over JOURNAL_COALESCE_MAX goes out by itself, uncopied. */
static strata_status *write_records(journal_writer *w, uint64_t first_seqno, const journal_batch *batches, size_t n,
                                    uint64_t *bytes) {
  buffer_clear(&w->scratch);
  *bytes = 0;
  for (size_t i = 0; i < n; i++) {
    const journal_batch *b = &batches[i];
    size_t body_len = batch_body_len(b);
    *bytes += JOURNAL_START_SIZE + (uint64_t)body_len + JOURNAL_END_SIZE;
    if (!b->batch || body_len <= JOURNAL_COALESCE_MAX) {
      STATUS_TRY(frame_record(w, first_seqno + i, b));
      if (w->scratch.len > JOURNAL_COALESCE_MAX) STATUS_TRY(flush_scratch(w));
      continue;
    }
    slice body = write_batch_encoded(b->batch);
    uint8_t start[JOURNAL_START_SIZE], end[JOURNAL_END_SIZE];
    journal_encode_start(start, first_seqno + i, write_batch_count(b->batch), (uint64_t)body.len);
    end[0] = JOURNAL_TAG_END;
    encode_fixed64(end + 1, journal_batch_checksum(start, body.data, body.len));
    STATUS_TRY(buffer_append(&w->scratch, start, JOURNAL_START_SIZE));
    STATUS_TRY(flush_scratch(w));
    STATUS_TRY(vfs_file_append(w->file, body.data, body.len));
    STATUS_TRY(buffer_append(&w->scratch, end, JOURNAL_END_SIZE));
  }
  return flush_scratch(w);
}

/* Cuts a failed batch off again, so it never reaches recovery; poisons the writer if it cannot. */
static void roll_back(journal_writer *w, uint64_t batch_start) {
  strata_status *st = vfs_file_truncate(w->file, batch_start);
  if (st) {
    strata_status_free(st);
    w->poisoned = 1;
  }
  w->size = batch_start;
  if (w->synced_size > batch_start) w->synced_size = batch_start;
}

strata_status *journal_writer_append_group(journal_writer *w, uint64_t first_seqno, const journal_batch *batches,
                                           size_t n, int sync) {
  if (w->poisoned) return poisoned_status(w);
  if (n == 0 || first_seqno > SEQNO_MAX || n - 1 > SEQNO_MAX - first_seqno)
    return status_new(STRATA_INVALID_ARGUMENT, "journal append: %zu batches from seqno %llu exceed the maximum %llu",
                      n, (unsigned long long)first_seqno, (unsigned long long)SEQNO_MAX);
  uint64_t group_start = w->size, bytes = 0;
  strata_status *st = write_records(w, first_seqno, batches, n, &bytes);
  if (st) {
    roll_back(w, group_start);
    if (n == 1)
      return status_wrap(st, "appending batch %llu to journal %s/%llu", (unsigned long long)first_seqno, w->dir,
                         (unsigned long long)w->number);
    return status_wrap(st, "appending batches %llu..%llu to journal %s/%llu", (unsigned long long)first_seqno,
                       (unsigned long long)(first_seqno + n - 1), w->dir, (unsigned long long)w->number);
  }
  w->size += bytes;
  if (!sync && !sync_due(w)) return NULL;
  st = do_sync(w);
  if (st) roll_back(w, group_start); /* the caller hears "failed": keep it out of recovery if we can */
  return st;
}

strata_status *journal_writer_append(journal_writer *w, uint64_t seqno, const write_batch *batch, int sync) {
  if (w->poisoned) return poisoned_status(w);
  if (seqno > SEQNO_MAX)
    return status_new(STRATA_INVALID_ARGUMENT, "journal append: seqno %llu exceeds the maximum %llu",
                      (unsigned long long)seqno, (unsigned long long)SEQNO_MAX);
  if (write_batch_is_empty(batch)) return sync ? do_sync(w) : NULL;
  journal_batch one = {batch, VALUE_TYPE_VALUE, {NULL, 0}, {NULL, 0}};
  return journal_writer_append_group(w, seqno, &one, 1, sync);
}

strata_status *journal_writer_sync(journal_writer *w) { return do_sync(w); }

strata_status *journal_writer_sync_if_due(journal_writer *w, int *synced) {
  if (synced) *synced = 0;
  if (w->poisoned) return poisoned_status(w);
  if (w->opts.sync_policy != JOURNAL_SYNC_INTERVAL || !sync_due(w)) return NULL;
  STATUS_TRY(do_sync(w));
  if (synced) *synced = 1;
  return NULL;
}

/* Removes `<dir>/<number>` if it holds nothing but a prefix of a journal header: what a failed
 * creation of the next journal leaves when even removing it failed. Anything else (a batch,
 * foreign bytes) is left alone. */
static strata_status *remove_unused_journal(vfs *v, const char *dir, uint64_t number, int *removed) {
  *removed = 0;
  char *path = journal_path(dir, number);
  if (!path) return status_no_memory();
  vfs_file *f = NULL;
  uint64_t size = 0;
  strata_status *st = vfs_open(v, path, VFS_OPEN_READ, &f);
  if (!st) st = vfs_file_size(f, &size);
  int unused = 0;
  if (!st && size <= JOURNAL_HEADER_SIZE) {
    uint8_t got[JOURNAL_HEADER_SIZE], want[JOURNAL_HEADER_SIZE];
    journal_encode_header(want);
    st = vfs_file_read_exact(f, 0, got, (size_t)size, path);
    unused = !st && !memcmp(got, want, (size_t)size);
  }
  if (f) strata_status_free(vfs_file_close(f));
  if (!st && unused) {
    st = vfs_remove(v, path);
    *removed = st == NULL;
  }
  free(path);
  return st;
}

/* Seals the current file: it ends at its last batch (a reserve the backend kept past it for the
 * journal hint is cut off) and that is durable, so only the newest journal can ever end in a
 * zero tail or a torn record after a crash. */
static strata_status *seal(journal_writer *w) {
  if (w->poisoned) return poisoned_status(w);
  if (!vfs_journal_flag(w->v)) return do_sync(w);
  strata_status *st = vfs_file_truncate(w->file, w->size);
  if (!st) st = vfs_file_sync(w->file);
  if (st) {
    if (!status_is(st, STRATA_QUOTA)) w->poisoned = 1; /* as after a failed sync (do_sync) */
    return status_wrap(st, "sealing journal %s/%llu", w->dir, (unsigned long long)w->number);
  }
  w->synced_size = w->size;
  w->last_sync_ms = now_ms(w);
  return NULL;
}

strata_status *journal_writer_rotate(journal_writer *w) {
  STATUS_TRY(seal(w)); /* the sealed journal is complete on disk before the next one starts */
  vfs_file *next = NULL;
  uint64_t next_size = 0;
  strata_status *st = open_journal_file(w->v, w->dir, w->number + 1, 1, &next, &next_size);
  if (status_is(st, STRATA_EXISTS)) {
    /* nobody but this writer creates journals above its own: a leftover of our failed attempt */
    int removed = 0;
    strata_status *rst = remove_unused_journal(w->v, w->dir, w->number + 1, &removed);
    if (!rst && removed) {
      strata_status_free(st);
      st = open_journal_file(w->v, w->dir, w->number + 1, 1, &next, &next_size);
    } else {
      strata_status_free(rst);
    }
  }
  STATUS_TRY(st);
  strata_status_free(vfs_file_close(w->file)); /* synced above: a close error loses nothing */
  w->file = next;
  w->number++;
  w->size = w->synced_size = next_size;
  w->last_sync_ms = now_ms(w);
  return NULL;
}

uint64_t journal_writer_number(const journal_writer *w) { return w->number; }
uint64_t journal_writer_size(const journal_writer *w) { return w->size; }
uint64_t journal_writer_unsynced_bytes(const journal_writer *w) { return w->size - w->synced_size; }

strata_status *journal_writer_close(journal_writer *w) {
  if (!w) return NULL;
  strata_status *st = w->poisoned ? NULL : do_sync(w);
  strata_status *cst = vfs_file_close(w->file);
  if (st) strata_status_free(cst);
  else st = cst;
  buffer_free(&w->scratch);
  free(w->dir);
  free(w);
  return st;
}
