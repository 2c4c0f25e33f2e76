/*
 * db_recovery.c -- journal replay at open: torn tails, damage, point-in-time recovery, the report.
 *
 * The live journals (numbers >= the manifest's journal_min) are replayed in order, checking the
 * continuity rule of journal_format.h: their batches carry the seqnos flushed_seqno,
 * flushed_seqno + 1, ... with no gap, and their numbers follow each other. Only an incomplete
 * record (or zeros) at the end of the newest journal is a torn append: it is cut and reported.
 * Anything else is damage, and the first damage decides:
 *  - strict mode: the open fails with STRATA_CORRUPTION naming the journal, the offset and the
 *    intact batches that lie after it (counted by resynchronising, journal_scan_intact); nothing
 *    on disk is changed, so a later open with another mode or `strata repair` sees it all;
 *  - point-in-time: the open keeps everything before the damage. The damaged journal's whole
 *    original and every later journal are copied to lost/. Then the replayed prefix is flushed to
 *    tables and the manifest records journal_min = the new journal, so every live journal is
 *    spent (and removed), and flushed_seqno = the highest seqno found in ANY journal + 1, so new
 *    writes get seqnos no set-aside batch has and the next open's continuity check starts exactly
 *    where the new writes do.
 * The order keeps a crash or a failure at any step recoverable:
 *  1. the lost/ copies, made once (an identical copy already there is the same file set aside by
 *     an earlier try of this recovery: no second copy);
 *  2. the report of the cut, durable in lost/point-in-time-report (pit_report below);
 *  3. the new journal, created empty (the manifest names it from 4 on: an open, and a fallback
 *     to the older manifest slot, need it there);
 *  4. the flush of the prefix, whose install moves journal_min to the new journal: the point of no
 *     return, after which the damage is no longer there to be found;
 *  5. the flushed seqno raised, the spent journals removed, and the report file removed as the
 *     open returns it (db_recovery_acknowledge, the open's last step).
 * An open that fails before 4 (a backend that would block creating a file, STRATA_BUSY, a crash)
 * changed nothing live: the open run again finds the same damage, reports it, finds its lost/
 * copies made, and takes the new journal it finds (empty, the newest, named by the report) as its
 * own rather than as one to set aside. One that fails after 4 (a manifest slot's creation refused,
 * a crash) leaves the report naming the installed journal_min: the open run again reports that
 * damage as its own and completes step 5. So every completed open of the recovery reports the
 * damage exactly once, and the next open reports nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../journal/journal_files.h"
#include "../journal/journal_format.h"
#include "../journal/journal_reader.h"
#include "../journal/journal_writer.h"
#include "../util/checksum.h"
#include "../util/coding.h"
#include "../util/db_files.h"
#include "../version/lost_folder.h"
#include "db_internal.h"

typedef struct replay_state {
  strata_db *db;
  const journal_recovery_report *cur; /* the journal being read: where the current batch is */
  uint64_t expected;                  /* the seqno the next batch must carry */
  uint64_t batches;                   /* replayed */
  uint64_t highest;                   /* the last seqno replayed; 0 when none */
  int gap;                            /* a batch did not carry `expected`: replay stopped before it */
  uint64_t gap_seqno;
  uint64_t gap_offset;
  int missing;             /* a journal number is absent and no batch since proved it held none */
  uint64_t missing_number; /* the first absent one */
} replay_state;

static strata_status *replay_batch(void *ctx, uint64_t seqno, const write_batch *batch) {
  replay_state *r = ctx;
  if (seqno != r->expected) { /* journal_recover stops here and leaves the file alone */
    r->gap = 1;
    r->gap_seqno = seqno;
    r->gap_offset = r->cur->batch_offset;
    return status_new(STRATA_CORRUPTION, "seqno %llu where %llu was due", (unsigned long long)seqno,
                      (unsigned long long)r->expected);
  }
  STATUS_TRY(db_apply_batch(r->db, batch, seqno));
  r->expected = seqno + 1;
  r->batches++;
  r->highest = seqno;
  r->missing = 0; /* the seqnos continued: whatever journal is absent held no batch */
  return NULL;
}

/* The first damage found: what is kept is every journal before `index` and, when the file
 * exists, the bytes of journal `journal` before `offset`. */
typedef struct damage {
  int found;
  size_t index;       /* numbers[index] is the damaged journal (or the first after a missing one) */
  uint64_t journal;   /* the damaged (or missing) journal's number */
  int file_exists;    /* 0: a missing journal */
  uint64_t offset;    /* the cut */
  uint64_t scan_from; /* where its later intact batches are counted from */
  char reason[200];
} damage;

static void set_damage(damage *d, size_t index, uint64_t journal, uint64_t offset, uint64_t scan_from,
                       const char *reason) {
  d->found = 1;
  d->index = index;
  d->journal = journal;
  d->file_exists = 1;
  d->offset = offset;
  d->scan_from = scan_from;
  snprintf(d->reason, sizeof d->reason, "%s", reason);
}

/* Cuts journal `number` to `length` bytes, durably, so appends and later opens see a clean end. */
static strata_status *cut_journal(strata_db *db, uint64_t number, uint64_t length) {
  char *path = journal_path(db->journal_dir, number);
  if (!path) return status_no_memory();
  vfs_file *f = NULL;
  strata_status *st = vfs_open(db->fs, path, VFS_OPEN_READ | VFS_OPEN_WRITE, &f);
  if (!st) st = vfs_file_truncate(f, length);
  if (!st) st = vfs_file_sync(f);
  strata_status *cst = vfs_file_close(f);
  if (st) strata_status_free(cst);
  else st = cst;
  if (st) st = status_wrap(st, "cutting journal %s at offset %llu", path, (unsigned long long)length);
  free(path);
  return st;
}

/* A torn tail of the newest journal, cut only once no damage was found (a failed strict open
 * changes nothing; a point-in-time one moves that journal to lost/ whole anyway). */
typedef struct torn_tail {
  int found;
  uint64_t journal;
  uint64_t keep; /* bytes before the tail */
  uint64_t cut;  /* bytes in it */
} torn_tail;

/* Replays numbers[0..count) until the first damage. */
static strata_status *replay_all(strata_db *db, const uint64_t *numbers, size_t count, replay_state *r,
                                 damage *d, torn_tail *torn) {
  strata_recovery_report *rep = &db->recovery;
  uint64_t expect_number = tree_journal_min(db->tree);
  for (size_t i = 0; i < count && !d->found; i++) {
    uint64_t n = numbers[i];
    if (n != expect_number && !r->missing) {
      r->missing = 1;
      r->missing_number = expect_number;
    }
    expect_number = n + 1;
    journal_recovery_report jr;
    r->cur = &jr;
    r->gap = 0;
    strata_status *st = journal_recover(db->fs, db->journal_dir, n, 0, replay_batch, r, &jr);
    if (st && r->gap) {
      char why[200];
      snprintf(why, sizeof why,
               "batch with seqno %llu where %llu was due (the batches between are missing: an earlier journal "
               "was truncated or deleted, or this one was altered)",
               (unsigned long long)r->gap_seqno, (unsigned long long)r->expected);
      set_damage(d, i, n, r->gap_offset, r->gap_offset, why);
      strata_status_free(st);
    } else if (st && jr.bad_header && status_is(st, STRATA_CORRUPTION)) {
      set_damage(d, i, n, 0, 1, "damaged journal header");
      strata_status_free(st);
    } else if (st) {
      return st;
    } else if (jr.tail_cut && jr.torn && i + 1 == count) { /* an interrupted append: never acknowledged */
      torn->found = 1;
      torn->journal = n;
      torn->keep = jr.valid_bytes;
      torn->cut = jr.dropped_bytes - jr.zero_bytes; /* a zero end (an unused reserve) held nothing */
    } else if (jr.tail_cut) {
      set_damage(d, i, n, jr.valid_bytes, jr.valid_bytes + 1,
                 jr.torn ? "incomplete record at the end of a journal that is not the newest" : jr.reason);
    }
    if (!d->found || d->offset > JOURNAL_HEADER_SIZE) rep->journals_replayed++;
  }
  if (!d->found && r->missing) { /* nothing after the absent journal proves it was empty */
    size_t i = 0;
    while (i < count && numbers[i] < r->missing_number) i++;
    d->found = 1;
    d->index = i;
    d->journal = r->missing_number;
    d->file_exists = 0;
    snprintf(d->reason, sizeof d->reason,
             "journal is missing (journal_min is %llu, the newest is %llu) and no later batch shows it held none",
             (unsigned long long)tree_journal_min(db->tree), (unsigned long long)numbers[count - 1]);
  }
  return NULL;
}

/* Intact batches beyond the damage: in the damaged journal after the cut, and in every later one. */
static strata_status *count_later(strata_db *db, const uint64_t *numbers, size_t count, const damage *d,
                                  uint64_t *batches, uint64_t *highest) {
  *batches = 0;
  *highest = 0;
  size_t first_later = d->index + (d->file_exists ? 1 : 0);
  for (size_t i = d->file_exists ? d->index : first_later; i < count; i++) {
    uint64_t b = 0, h = 0;
    STATUS_TRY(journal_scan_intact(db->fs, db->journal_dir, numbers[i], i < first_later ? d->scan_from : 0, &b, &h));
    *batches += b;
    if (h > *highest) *highest = h;
  }
  return NULL;
}

static strata_status *keep_in_lost(strata_db *db, uint64_t number) {
  char *path = journal_path(db->journal_dir, number);
  if (!path) return status_no_memory();
  strata_status *st = lost_folder_copy_once(db->fs, db->path, path, DB_LOST_KIND_JOURNAL, NULL);
  free(path);
  if (!st) db->recovery.files_moved_to_lost++;
  return st;
}

/*
 * The report of a cut, kept in lost/point-in-time-report from before the cut's install until an
 * open returns it: 11 fixed64s, little-endian: PIT_MAGIC, the fields below in order, and
 * checksum64 of the 80 bytes before it. It describes an installed cut while the manifest's
 * journal_min is its journal_min (a later rotation moves journal_min on; repair removes the file).
 * An unreadable one (wrong size, magic or checksum) reports nothing and is removed like the others:
 * the data never depends on it.
 */
#define PIT_MAGIC 0x3174706f72545053ull /* "SPTropt1", little-endian */
enum { PIT_FIELDS = 9, PIT_SIZE = 8 * (PIT_FIELDS + 2) };

typedef struct pit_report {
  uint64_t journal_min; /* the new journal: the cut is installed once the manifest's journal_min is this */
  uint64_t next_seqno;  /* the flushed seqno the cut records */
  uint64_t damaged_journal, damaged_offset, batches_discarded, batches_replayed, highest_seqno_seen;
  uint64_t journals_replayed, journals_set_aside;
} pit_report;

static char *pit_report_path(const char *db_path) {
  return vfs_path_join(db_path, DB_DIR_LOST "/" DB_FILE_PIT_REPORT);
}

static strata_status *write_pit_report(strata_db *db, const pit_report *p) {
  const uint64_t f[PIT_FIELDS] = {p->journal_min,        p->next_seqno,         p->damaged_journal,
                                  p->damaged_offset,     p->batches_discarded,  p->batches_replayed,
                                  p->highest_seqno_seen, p->journals_replayed,  p->journals_set_aside};
  uint8_t bytes[PIT_SIZE];
  encode_fixed64(bytes, PIT_MAGIC);
  for (int i = 0; i < PIT_FIELDS; i++) encode_fixed64(bytes + 8 * (i + 1), f[i]);
  encode_fixed64(bytes + PIT_SIZE - 8, checksum64(bytes, PIT_SIZE - 8));
  char *path = pit_report_path(db->path);
  if (!path) return status_no_memory();
  strata_status *st = vfs_replace(db->fs, path, bytes, sizeof bytes); /* durable when it returns */
  if (st) st = status_wrap(st, "writing the point-in-time report %s", path);
  else db->pit_report_file = 1;
  free(path);
  return st;
}

/* *found = 1 and *p when lost/ holds a readable report; db->pit_report_file = 1 when it holds one. */
static strata_status *read_pit_report(strata_db *db, pit_report *p, int *found) {
  *found = 0;
  char *path = pit_report_path(db->path);
  if (!path) return status_no_memory();
  int exists = 0;
  strata_status *st = vfs_exists(db->fs, path, &exists, NULL);
  buffer b;
  buffer_init(&b);
  if (!st && exists) st = vfs_read_file(db->fs, path, &b);
  free(path);
  if (st || !exists) {
    buffer_free(&b);
    return st;
  }
  db->pit_report_file = 1;
  const uint8_t *d = b.data;
  if (b.len == PIT_SIZE && decode_fixed64(d) == PIT_MAGIC &&
      decode_fixed64(d + PIT_SIZE - 8) == checksum64(d, PIT_SIZE - 8)) {
    uint64_t f[PIT_FIELDS];
    for (int i = 0; i < PIT_FIELDS; i++) f[i] = decode_fixed64(d + 8 * (i + 1));
    *p = (pit_report){f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8]};
    *found = 1;
  }
  buffer_free(&b);
  return NULL;
}

strata_status *db_recovery_forget(vfs *fs, const char *db_path) {
  char *path = pit_report_path(db_path);
  if (!path) return status_no_memory();
  strata_status *st = vfs_remove(fs, path);
  if (status_is(st, STRATA_NOT_FOUND)) {
    strata_status_free(st);
    st = NULL;
  } else if (!st) {
    char *dir = vfs_path_join(db_path, DB_DIR_LOST);
    st = dir ? vfs_sync_dir(fs, dir) : status_no_memory();
    free(dir);
  }
  if (st) st = status_wrap(st, "removing the point-in-time report %s", path);
  free(path);
  return st;
}

strata_status *db_recovery_acknowledge(strata_db *db) {
  if (!db->pit_report_file) return NULL;
  STATUS_TRY(db_recovery_forget(db->fs, db->path));
  db->pit_report_file = 0;
  return NULL;
}

/* Creates the new journal, empty, before the cut's install: from the install on, the manifest's
 * journal_min names it, and an open (or a fallback to the older manifest slot) needs it there. */
static strata_status *make_journal(strata_db *db, uint64_t number) {
  journal_writer *w = NULL;
  STATUS_TRY(journal_writer_open(db->fs, db->journal_dir, number, NULL, &w)); /* open_locked opens it again */
  return journal_writer_close(w);
}

/* *empty = 1 when journal `number` holds no batch (its header at most). */
static strata_status *journal_is_empty(strata_db *db, uint64_t number, int *empty) {
  *empty = 0;
  char *path = journal_path(db->journal_dir, number);
  if (!path) return status_no_memory();
  vfs_file *f = NULL;
  uint64_t size = 0;
  strata_status *st = vfs_open(db->fs, path, VFS_OPEN_READ, &f);
  if (!st) st = vfs_file_size(f, &size);
  strata_status_free(vfs_file_close(f)); /* read only */
  free(path);
  if (!st) *empty = size <= JOURNAL_HEADER_SIZE;
  return st;
}

/* Point-in-time: sets aside everything from the damage on, flushes the prefix and records the new
 * watermarks (see the top of the file for why in this order). */
static strata_status *cut_at_damage(strata_db *db, const uint64_t *numbers, size_t count, const damage *d,
                                    const replay_state *r, uint64_t next_seqno, uint64_t next_journal) {
  /* numbers[index]: the damaged journal, or the first after a missing one; then every later one */
  for (size_t i = d->index; i < count; i++) STATUS_TRY(keep_in_lost(db, numbers[i]));
  const strata_recovery_report *rep = &db->recovery;
  pit_report p = {next_journal,       next_seqno,           d->journal,
                  d->offset,          rep->batches_discarded, rep->batches_replayed,
                  rep->highest_seqno_seen, rep->journals_replayed, count - d->index};
  STATUS_TRY(write_pit_report(db, &p));
  STATUS_TRY(make_journal(db, next_journal));
  int sealed = 0;
  strata_status *st = tree_rotate_memtable(db->tree, r->expected, next_journal, &sealed);
  for (int flushed = sealed; !st && flushed;) st = tree_flush_oldest(db->tree, &flushed);
  if (st && tree_journal_min(db->tree) < next_journal) { /* not installed: the next try makes it again */
    strata_status_free(journal_remove(db->fs, db->journal_dir, next_journal)); /* else it is recognised */
    return st;
  }
  STATUS_TRY(st);
  STATUS_TRY(tree_advance_watermarks(db->tree, next_seqno, next_journal));
  /* every live journal is spent now: its batches are in tables or set aside in lost/ */
  for (size_t i = 0; i < count; i++) {
    st = journal_remove(db->fs, db->journal_dir, numbers[i]);
    if (status_is(st, STRATA_NOT_FOUND)) strata_status_free(st);
    else STATUS_TRY(st);
  }
  return NULL;
}

/* An installed cut whose open did not complete (pit_report; the caller checked that journal_min
 * is its journal and that nothing was written since): its report is this open's, and its last
 * step is completed (the flushed seqno raised, when the open stopped before). */
static strata_status *adopt_pit_report(strata_db *db, const pit_report *p, uint64_t *next_seqno) {
  strata_recovery_report *rep = &db->recovery;
  rep->damaged = 1;
  rep->damaged_journal = p->damaged_journal;
  rep->damaged_offset = p->damaged_offset;
  rep->batches_discarded = p->batches_discarded;
  /* what it replayed; this open replayed only the new journal it made, empty */
  rep->batches_replayed = p->batches_replayed;
  rep->journals_replayed = (uint32_t)p->journals_replayed;
  if (p->highest_seqno_seen > rep->highest_seqno_seen) rep->highest_seqno_seen = p->highest_seqno_seen;
  rep->files_moved_to_lost += (uint32_t)p->journals_set_aside;
  if (p->next_seqno > *next_seqno) *next_seqno = p->next_seqno;
  if (tree_flushed_seqno(db->tree) >= *next_seqno) return NULL;
  return tree_advance_watermarks(db->tree, *next_seqno, tree_journal_min(db->tree));
}

strata_status *db_recover_journals(strata_db *db, uint64_t *next_journal) {
  strata_recovery_report *rep = &db->recovery; /* zeroed with the handle; others fill their fields */
  uint64_t *numbers = NULL;
  size_t count = 0;
  STATUS_TRY(journal_list(db->fs, db->journal_dir, &numbers, &count));
  uint64_t min = tree_journal_min(db->tree), flushed = tree_flushed_seqno(db->tree);
  strata_status *st = NULL;
  size_t live = 0;
  *next_journal = min;
  for (size_t i = 0; i < count && !st; i++) {
    if (numbers[i] >= *next_journal) *next_journal = numbers[i] + 1; /* numbers are never reused */
    if (numbers[i] < min) st = journal_remove(db->fs, db->journal_dir, numbers[i]); /* spent */
    else numbers[live++] = numbers[i];
  }
  replay_state r = {db, NULL, flushed ? flushed : 1, 0, 0, 0, 0, 0, 0, 0};
  damage d;
  memset(&d, 0, sizeof d);
  torn_tail torn = {0, 0, 0, 0};
  pit_report pending = {0, 0, 0, 0, 0, 0, 0, 0, 0};
  int have_report = 0;
  if (!st) st = read_pit_report(db, &pending, &have_report);
  /* a try of this recovery that stopped before its install made the new journal: empty, the
   * newest, named by the report; not a journal after the damage to set aside, but this try's too */
  if (!st && have_report && pending.journal_min > min && live && numbers[live - 1] == pending.journal_min) {
    int empty = 0;
    st = journal_is_empty(db, pending.journal_min, &empty);
    if (!st && empty) {
      live--;
      *next_journal = pending.journal_min;
    }
  }
  if (!st) st = replay_all(db, numbers, live, &r, &d, &torn);
  if (!st && !d.found && torn.found) {
    st = cut_journal(db, torn.journal, torn.keep);
    if (!st) rep->torn_bytes_cut = torn.cut;
  }
  rep->batches_replayed = r.batches;
  rep->highest_seqno_seen = r.highest;
  uint64_t later = 0, later_highest = 0;
  if (!st && d.found) st = count_later(db, numbers, live, &d, &later, &later_highest);
  if (later_highest > rep->highest_seqno_seen) rep->highest_seqno_seen = later_highest;
  uint64_t next_seqno = rep->highest_seqno_seen + 1 > r.expected ? rep->highest_seqno_seen + 1 : r.expected;
  if (!st && d.found && db->opts.recovery_mode != STRATA_RECOVERY_POINT_IN_TIME) {
    char *path = journal_path(db->journal_dir, d.journal);
    st = status_new(STRATA_CORRUPTION,
                    "journal %s: %s, at offset %llu; %llu intact batches after it (up to seqno %llu) were not "
                    "replayed. Nothing was changed: open in point-in-time recovery mode to keep what precedes "
                    "the damage and set the rest aside in lost/",
                    path ? path : "?", d.reason, (unsigned long long)d.offset, (unsigned long long)later,
                    (unsigned long long)later_highest);
    free(path);
  } else if (!st && d.found) {
    rep->damaged = 1;
    rep->damaged_journal = d.journal;
    rep->damaged_offset = d.offset;
    rep->batches_discarded = later;
    st = cut_at_damage(db, numbers, live, &d, &r, next_seqno, *next_journal);
    if (st) st = status_wrap(st, "point-in-time recovery at journal %llu, offset %llu", (unsigned long long)d.journal,
                             (unsigned long long)d.offset);
  }
  /* the cut the report describes is installed, and nothing was written since (the open that
   * installed it did not complete) */
  if (!st && !d.found && have_report && pending.journal_min == min && r.batches == 0)
    st = adopt_pit_report(db, &pending, &next_seqno);
  free(numbers);
  if (st) return st;
  db->next_seqno = next_seqno;
  return NULL;
}

strata_status *strata_get_recovery_report(strata_db *db, strata_recovery_report *out) {
  HANDLE_CHECK(db, HANDLE_DB);
  ARG_NOT_NULL(out);
  *out = db->recovery;
  return NULL;
}
