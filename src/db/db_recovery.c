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
 * The order keeps a crash or a failure at any step recoverable: until the flush is installed
 * nothing live has changed and the damage is still there to be found again (an open refused by a
 * backend that would block creating a table, STRATA_BUSY, runs again and reports the same damage;
 * lost/ may then hold a second copy, with a .N suffix); lost/ copies are durable before anything
 * live is changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../journal/journal_files.h"
#include "../journal/journal_format.h"
#include "../journal/journal_reader.h"
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

static strata_status *keep_in_lost(strata_db *db, uint64_t number, int copy_only) {
  char *path = journal_path(db->journal_dir, number);
  if (!path) return status_no_memory();
  strata_status *st = copy_only ? lost_folder_copy(db->fs, db->path, path, DB_LOST_KIND_JOURNAL, NULL)
                                : lost_folder_keep(db->fs, db->path, path, DB_LOST_KIND_JOURNAL, NULL);
  free(path);
  if (!st) db->recovery.files_moved_to_lost++;
  return st;
}

/* Point-in-time: sets aside everything from the damage on, flushes the prefix and records the new
 * watermarks (see the top of the file for why in this order). */
static strata_status *cut_at_damage(strata_db *db, const uint64_t *numbers, size_t count, const damage *d,
                                    const replay_state *r, uint64_t next_seqno, uint64_t next_journal) {
  /* copies only: until the flush is installed nothing live has changed, so an open that fails
   * before (a backend that would block creating a table, STRATA_BUSY, runs the open again) finds
   * the same damage and reports it again */
  /* numbers[index]: the damaged journal, or the first after a missing one; then every later one */
  for (size_t i = d->index; i < count; i++) STATUS_TRY(keep_in_lost(db, numbers[i], 1));
  int sealed = 0;
  STATUS_TRY(tree_rotate_memtable(db->tree, r->expected, next_journal, &sealed));
  for (int flushed = sealed; flushed;) STATUS_TRY(tree_flush_oldest(db->tree, &flushed));
  STATUS_TRY(tree_advance_watermarks(db->tree, next_seqno, next_journal));
  /* every live journal is spent now: its batches are in tables or set aside in lost/ */
  for (size_t i = 0; i < count; i++) {
    strata_status *st = journal_remove(db->fs, db->journal_dir, numbers[i]);
    if (status_is(st, STRATA_NOT_FOUND)) strata_status_free(st);
    else STATUS_TRY(st);
  }
  return NULL;
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
