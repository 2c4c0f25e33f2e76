/* journal: append, rotate, list, remove, sync policies, and recovery from torn, corrupt and
 * crashed files. Every case runs over the memory and the posix backend, through the fault VFS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "journal/journal_files.h"
#include "journal/journal_format.h"
#include "journal/journal_reader.h"
#include "journal/journal_writer.h"
#include "journal/write_batch.h"
#include "vfs/vfs.h"
#include "vfs/vfs_fault.h"

typedef strata_status *(*vfs_factory)(vfs **out);
static vfs_factory current_factory;
static vfs *inner; /* the real backend */
static vfs *fs;    /* the fault wrapper the journal runs on */
static char *root;
static char jdir[256]; /* root/journal */

static int setup(void) {
  inner = harness_open_fs(current_factory, "journal", &root);
  if (!inner) return 0;
  strata_status *st = vfs_fault_new(inner, &fs);
  if (st) {
    harness_fail(__FILE__, __LINE__, "fault backend: %s", strata_status_message(st));
    strata_status_free(st);
    return 0;
  }
  snprintf(jdir, sizeof jdir, "%s/journal", root);
  return 1;
}

static void teardown(void) {
  vfs_destroy(fs);
  harness_close_fs(inner, root);
  fs = inner = NULL;
  root = NULL;
}

/* --- test data: batch i has a fixed shape, so replay can be checked against it ---------------- */

static uint64_t seqno_of(uint64_t i) { return 1000 + 3 * i; }

static strata_status *make_batch(write_batch *b, uint64_t i) {
  write_batch_clear(b);
  char key[48], value[64];
  for (unsigned j = 0; j < 1 + i % 3; j++) {
    snprintf(key, sizeof key, "key-%llu-%u", (unsigned long long)i, j);
    size_t vlen = (size_t)((i * 37 + j * 11) % 40);
    for (size_t k = 0; k < vlen; k++) value[k] = (char)('a' + (i + k) % 26);
    strata_status *st = (i + j) % 5 == 4   ? write_batch_delete(b, slice_from_cstr(key))
                        : (i + j) % 7 == 6 ? write_batch_single_delete(b, slice_from_cstr(key))
                                           : write_batch_put(b, slice_from_cstr(key), slice_make(value, vlen));
    if (st) return st;
  }
  return NULL;
}

/* Replay collector: batch k must be exactly test batch `first + k` under its seqno. */
typedef struct replayed {
  uint64_t first;
  uint64_t count;
  int mismatch;
} replayed;

static strata_status *collect(void *ctx, uint64_t seqno, const write_batch *b) {
  replayed *r = ctx;
  uint64_t i = r->first + r->count;
  write_batch want;
  write_batch_init(&want);
  strata_status *st = make_batch(&want, i);
  if (!st && (seqno != seqno_of(i) || !slice_equal(write_batch_encoded(&want), write_batch_encoded(b)) ||
              write_batch_count(&want) != write_batch_count(b)))
    r->mismatch = 1;
  write_batch_free(&want);
  r->count++;
  return st;
}

/* Appends test batches [from, to) with the given sync flag. */
static strata_status *append_range(journal_writer *w, uint64_t from, uint64_t to, int sync) {
  write_batch b;
  write_batch_init(&b);
  strata_status *st = NULL;
  for (uint64_t i = from; !st && i < to; i++) {
    st = make_batch(&b, i);
    if (!st) st = journal_writer_append(w, seqno_of(i), &b, sync);
  }
  write_batch_free(&b);
  return st;
}

/* Writes journal 0 with batches [0, n), synced, closed; *sizes (n + 1 entries, may be NULL)
 * receives the file length before each batch and at the end. */
static strata_status *write_journal(uint64_t n, uint64_t *sizes) {
  journal_writer *w = NULL;
  STATUS_TRY(journal_writer_open(fs, jdir, 0, NULL, &w));
  strata_status *st = NULL;
  for (uint64_t i = 0; !st && i < n; i++) {
    if (sizes) sizes[i] = journal_writer_size(w);
    st = append_range(w, i, i + 1, 0);
  }
  if (sizes) sizes[n] = journal_writer_size(w);
  strata_status *cst = journal_writer_close(w);
  if (st) strata_status_free(cst);
  return st ? st : cst;
}

static char *jpath(uint64_t n) { return journal_path(jdir, n); }

static strata_status *file_bytes(uint64_t n, buffer *out) {
  char *p = jpath(n);
  strata_status *st = p ? vfs_read_file(inner, p, out) : status_no_memory();
  free(p);
  return st;
}

static strata_status *set_file_bytes(uint64_t n, const void *data, size_t len) {
  STATUS_TRY(vfs_mkdir(inner, jdir));
  char *p = jpath(n);
  strata_status *st = p ? vfs_replace(inner, p, data, len) : status_no_memory();
  free(p);
  return st;
}

static strata_status *file_size(uint64_t n, uint64_t *size) {
  buffer b;
  buffer_init(&b);
  strata_status *st = file_bytes(n, &b);
  *size = b.len;
  buffer_free(&b);
  return st;
}

/* --- cases ----------------------------------------------------------------------------------- */

static void many_batches_round_trip_over_rotation(void) {
  journal_writer *w = NULL;
  CHECK_OK(journal_writer_open(fs, jdir, 0, NULL, &w));
  for (uint64_t part = 0; part < 3; part++) {
    if (part) CHECK_OK(journal_writer_rotate(w));
    CHECK_EQ_U64(journal_writer_number(w), part);
    CHECK_OK(append_range(w, part * 100, part * 100 + 100, part == 2));
  }
  CHECK_OK(journal_writer_close(w));
  uint64_t *numbers = NULL;
  size_t count = 0;
  CHECK_OK(journal_list(fs, jdir, &numbers, &count));
  int listed = count == 3 && numbers[0] == 0 && numbers[1] == 1 && numbers[2] == 2;
  free(numbers);
  CHECK(listed);
  replayed r = {0, 0, 0};
  for (uint64_t n = 0; n < 3; n++) {
    journal_recovery_report rep;
    CHECK_OK(journal_recover(fs, jdir, n, 1, collect, &r, &rep));
    CHECK_EQ_U64(rep.batches, 100);
    CHECK(!rep.tail_cut && !rep.torn && !rep.corrupt && rep.dropped_bytes == 0);
    CHECK_EQ_U64(rep.last_seqno, seqno_of(n * 100 + 99));
    CHECK_EQ_U64(rep.valid_bytes, rep.file_bytes);
  }
  CHECK_EQ_U64(r.count, 300);
  CHECK(!r.mismatch);
}

static void empty_journal_recovers_nothing(void) {
  journal_writer *w = NULL;
  CHECK_OK(journal_writer_open(fs, jdir, 0, NULL, &w));
  write_batch empty;
  write_batch_init(&empty);
  CHECK_OK(journal_writer_append(w, 5, &empty, 1)); /* writes nothing */
  CHECK_OK(journal_writer_close(w));
  journal_recovery_report rep;
  replayed r = {0, 0, 0};
  CHECK_OK(journal_recover(fs, jdir, 0, 1, collect, &r, &rep));
  CHECK(rep.batches == 0 && r.count == 0 && !rep.tail_cut);
  CHECK(rep.file_bytes > 0 && rep.valid_bytes == rep.file_bytes);
  CHECK_OK(set_file_bytes(1, "", 0)); /* a zero-length file, as a crash right after creation leaves */
  CHECK_OK(journal_recover(fs, jdir, 1, 1, collect, &r, &rep));
  CHECK(rep.batches == 0 && rep.file_bytes == 0 && !rep.tail_cut);
  CHECK_OK(journal_writer_open(fs, jdir, 1, NULL, &w)); /* and it can be appended to */
  CHECK_OK(append_range(w, 0, 1, 1));
  CHECK_OK(journal_writer_close(w));
  CHECK_OK(journal_recover(fs, jdir, 1, 1, collect, &r, &rep));
  CHECK_EQ_U64(rep.batches, 1);
  CHECK(!r.mismatch);
}

static void missing_journal_is_not_found_and_missing_folder_lists_none(void) {
  journal_recovery_report rep;
  CHECK_CODE(journal_recover(fs, jdir, 7, 1, NULL, NULL, &rep), STRATA_NOT_FOUND);
  uint64_t *numbers = NULL;
  size_t count = 5;
  CHECK_OK(journal_list(fs, jdir, &numbers, &count));
  CHECK(count == 0 && numbers == NULL);
}

static void torn_tail_at_every_byte_of_the_last_batch_is_cut(void) {
  enum { N = 4 };
  uint64_t sizes[N + 1];
  CHECK_OK(write_journal(N, sizes));
  buffer full;
  buffer_init(&full);
  CHECK_OK(file_bytes(0, &full));
  uint64_t good = sizes[N - 1];
  for (uint64_t cut = good; cut < sizes[N]; cut++) {
    CHECK_OK(set_file_bytes(0, full.data, (size_t)cut));
    replayed r = {0, 0, 0};
    journal_recovery_report rep;
    CHECK_OK(journal_recover(fs, jdir, 0, 1, collect, &r, &rep));
    CHECK_EQ_U64(rep.batches, N - 1);
    CHECK(!r.mismatch);
    CHECK_EQ_U64(rep.valid_bytes, good);
    CHECK_EQ_U64(rep.dropped_bytes, cut - good);
    CHECK(rep.tail_cut == (cut > good) && rep.torn == (cut > good) && !rep.corrupt);
    uint64_t size = 0;
    CHECK_OK(file_size(0, &size));
    CHECK_EQ_U64(size, good); /* truncated to the last good batch */
    journal_writer *w = NULL; /* appending after recovery works */
    CHECK_OK(journal_writer_open(fs, jdir, 0, NULL, &w));
    CHECK_OK(append_range(w, N - 1, N + 1, 1));
    CHECK_OK(journal_writer_close(w));
    replayed again = {0, 0, 0};
    CHECK_OK(journal_recover(fs, jdir, 0, 1, collect, &again, &rep));
    CHECK(again.count == N + 1 && !again.mismatch && !rep.tail_cut);
  }
  buffer_free(&full);
}

static void torn_header_is_cut_and_rewritten(void) {
  for (size_t len = 1; len < 8; len++) {
    CHECK_OK(set_file_bytes(0, "SJNL\x01\x00\x00\x00", len));
    journal_recovery_report rep;
    CHECK_OK(journal_recover(fs, jdir, 0, 1, NULL, NULL, &rep));
    CHECK(rep.tail_cut && rep.torn && rep.valid_bytes == 0 && rep.dropped_bytes == len);
    journal_writer *w = NULL;
    CHECK_OK(journal_writer_open(fs, jdir, 0, NULL, &w));
    CHECK_OK(append_range(w, 0, 1, 1));
    CHECK_OK(journal_writer_close(w));
    replayed r = {0, 0, 0};
    CHECK_OK(journal_recover(fs, jdir, 0, 1, collect, &r, &rep));
    CHECK(r.count == 1 && !r.mismatch);
  }
}

static void corrupt_byte_in_a_middle_batch_drops_it_and_all_after(void) {
  enum { N = 10, BAD = 5 };
  uint64_t sizes[N + 1];
  CHECK_OK(write_journal(N, sizes));
  char *p = jpath(0);
  CHECK(p);
  vfs_file *f = NULL;
  strata_status *st = vfs_open(inner, p, VFS_OPEN_READ | VFS_OPEN_WRITE, &f);
  free(p);
  CHECK_OK(st);
  /* every byte of the bad batch, one at a time: start record, items and end record */
  for (uint64_t off = sizes[BAD]; off < sizes[BAD + 1]; off++) {
    uint8_t byte = 0, flipped;
    CHECK_OK(vfs_file_read_exact(f, off, &byte, 1, "journal"));
    flipped = (uint8_t)(byte ^ 0x40);
    CHECK_OK(vfs_file_write(f, off, &flipped, 1));
    replayed r = {0, 0, 0};
    journal_recovery_report rep;
    st = journal_recover(fs, jdir, 0, 0, collect, &r, &rep); /* read-only: the file stays as is */
    strata_status *rst = vfs_file_write(f, off, &byte, 1);
    CHECK_OK(st);
    CHECK_OK(rst);
    CHECK_EQ_U64(rep.batches, BAD);
    CHECK(!r.mismatch);
    CHECK(rep.tail_cut && rep.corrupt && !rep.torn && rep.reason[0]);
    CHECK_EQ_U64(rep.valid_bytes, sizes[BAD]);
    CHECK_EQ_U64(rep.dropped_bytes, sizes[N] - sizes[BAD]);
  }
  /* with truncation the cut is made and reported once */
  uint8_t bad = 0xFF;
  CHECK_OK(vfs_file_write(f, sizes[BAD] + JOURNAL_START_SIZE, &bad, 1));
  CHECK_OK(vfs_file_close(f));
  journal_recovery_report rep;
  CHECK_OK(journal_recover(fs, jdir, 0, 1, NULL, NULL, &rep));
  CHECK(rep.corrupt && rep.batches == BAD);
  CHECK_OK(journal_recover(fs, jdir, 0, 1, NULL, NULL, &rep));
  CHECK(!rep.tail_cut && rep.batches == BAD && rep.file_bytes == sizes[BAD]);
}

static void zero_filled_tail_is_torn_not_corrupt(void) {
  uint64_t sizes[3];
  CHECK_OK(write_journal(2, sizes));
  buffer b;
  buffer_init(&b);
  CHECK_OK(file_bytes(0, &b));
  uint8_t zeros[100] = {0};
  CHECK_OK(buffer_append(&b, zeros, sizeof zeros));
  CHECK_OK(set_file_bytes(0, b.data, b.len));
  buffer_free(&b);
  journal_recovery_report rep;
  CHECK_OK(journal_recover(fs, jdir, 0, 1, NULL, NULL, &rep));
  CHECK(rep.batches == 2 && rep.tail_cut && rep.torn && !rep.corrupt && rep.dropped_bytes == 100);
}

static void random_damage_never_replays_a_partial_or_altered_batch(void) {
  enum { N = 12 };
  uint64_t sizes[N + 1];
  CHECK_OK(write_journal(N, sizes));
  buffer full, damaged;
  buffer_init(&full);
  buffer_init(&damaged);
  CHECK_OK(file_bytes(0, &full));
  harness_rng rng = {0x9E3779B97F4A7C15ull};
  for (int round = 0; round < 300; round++) {
    buffer_clear(&damaged);
    CHECK_OK(buffer_append(&damaged, full.data, full.len));
    int flips = 1 + (int)(harness_rng_next(&rng) % 3);
    for (int k = 0; k < flips; k++) damaged.data[harness_rng_next(&rng) % damaged.len] ^= (uint8_t)(1 + harness_rng_next(&rng) % 255);
    if (harness_rng_next(&rng) % 2) damaged.len = (size_t)(harness_rng_next(&rng) % (damaged.len + 1));
    CHECK_OK(set_file_bytes(0, damaged.data, damaged.len));
    replayed r = {0, 0, 0};
    journal_recovery_report rep;
    strata_status *st = journal_recover(fs, jdir, 0, 0, collect, &r, &rep);
    if (st) { /* only a damaged header may refuse the file, and then nothing was replayed */
      strata_code code = strata_status_code(st);
      strata_status_free(st);
      CHECK(code == STRATA_CORRUPTION || code == STRATA_NOT_SUPPORTED);
      CHECK_EQ_U64(r.count, 0);
      continue;
    }
    CHECK(!r.mismatch);
    CHECK(r.count <= N && rep.batches == r.count);
    CHECK_EQ_U64(rep.valid_bytes, r.count ? sizes[r.count] : (rep.valid_bytes ? 8 : 0));
  }
  buffer_free(&full);
  buffer_free(&damaged);
}

static void foreign_or_newer_file_is_refused_and_left_alone(void) {
  const char *text = "this is not a journal at all";
  CHECK_OK(set_file_bytes(0, text, strlen(text)));
  journal_recovery_report rep;
  CHECK_CODE(journal_recover(fs, jdir, 0, 1, NULL, NULL, &rep), STRATA_CORRUPTION);
  uint64_t size = 0;
  CHECK_OK(file_size(0, &size));
  CHECK_EQ_U64(size, strlen(text));
  CHECK_OK(set_file_bytes(1, "SJNL\x02\x00\x00\x00more", 12));
  CHECK_CODE(journal_recover(fs, jdir, 1, 1, NULL, NULL, &rep), STRATA_NOT_SUPPORTED);
  journal_writer *w = NULL;
  CHECK_CODE(journal_writer_open(fs, jdir, 0, NULL, &w), STRATA_CORRUPTION);
}

static strata_status *refuse_third(void *ctx, uint64_t seqno, const write_batch *b) {
  (void)b;
  int *seen = ctx;
  if (++*seen == 3) return status_new(STRATA_INVALID_ARGUMENT, "memtable refused seqno %llu", (unsigned long long)seqno);
  return NULL;
}

static void callback_error_stops_replay_and_keeps_the_file(void) {
  uint64_t sizes[6];
  CHECK_OK(write_journal(5, sizes));
  int seen = 0;
  journal_recovery_report rep;
  CHECK_CODE(journal_recover(fs, jdir, 0, 1, refuse_third, &seen, &rep), STRATA_INVALID_ARGUMENT);
  CHECK_EQ_U64(seen, 3);
  uint64_t size = 0;
  CHECK_OK(file_size(0, &size));
  CHECK_EQ_U64(size, sizes[5]);
}

static void append_rejects_a_seqno_over_the_maximum(void) {
  journal_writer *w = NULL;
  CHECK_OK(journal_writer_open(fs, jdir, 0, NULL, &w));
  write_batch b;
  write_batch_init(&b);
  strata_status *st = write_batch_put(&b, slice_from_cstr("k"), slice_from_cstr("v"));
  if (!st) st = journal_writer_append(w, SEQNO_MAX + 1, &b, 0);
  strata_status *max = journal_writer_append(w, SEQNO_MAX, &b, 1);
  write_batch_free(&b);
  CHECK_OK(journal_writer_close(w));
  CHECK_CODE(st, STRATA_INVALID_ARGUMENT);
  CHECK_OK(max);
  journal_recovery_report rep;
  CHECK_OK(journal_recover(fs, jdir, 0, 1, NULL, NULL, &rep));
  CHECK(rep.batches == 1 && rep.last_seqno == SEQNO_MAX);
}

/* --- sync policies ----------------------------------------------------------------------------- */

static uint64_t file_syncs(void) {
  vfs_fault_counters c;
  vfs_fault_get_counters(fs, &c);
  return c.syncs;
}

static void no_sync_policy_syncs_only_when_asked(void) {
  journal_writer *w = NULL;
  CHECK_OK(journal_writer_open(fs, jdir, 0, NULL, &w));
  vfs_fault_reset_counters(fs);
  CHECK_OK(append_range(w, 0, 10, 0));
  CHECK_EQ_U64(file_syncs(), 0);
  CHECK(journal_writer_unsynced_bytes(w) > 0);
  CHECK_OK(append_range(w, 10, 11, 1)); /* the per-append flag */
  CHECK_EQ_U64(file_syncs(), 1);
  CHECK_EQ_U64(journal_writer_unsynced_bytes(w), 0);
  CHECK_OK(journal_writer_sync(w)); /* nothing new: no system call */
  CHECK_EQ_U64(file_syncs(), 1);
  CHECK_OK(append_range(w, 11, 12, 0));
  CHECK_OK(journal_writer_sync(w));
  CHECK_EQ_U64(file_syncs(), 2);
  CHECK_OK(append_range(w, 12, 13, 0));
  CHECK_OK(journal_writer_close(w)); /* close makes the rest durable */
  CHECK_EQ_U64(file_syncs(), 3);
}

static void every_append_policy_syncs_each_batch(void) {
  journal_writer_options o = {JOURNAL_SYNC_EVERY_APPEND, 0, NULL, NULL};
  journal_writer *w = NULL;
  CHECK_OK(journal_writer_open(fs, jdir, 0, &o, &w));
  vfs_fault_reset_counters(fs);
  CHECK_OK(append_range(w, 0, 7, 0));
  CHECK_EQ_U64(file_syncs(), 7);
  CHECK_OK(journal_writer_close(w));
  CHECK_EQ_U64(file_syncs(), 7);
}

static uint64_t fake_clock(void *ctx) { return *(uint64_t *)ctx; }

static void interval_policy_syncs_when_the_interval_has_passed(void) {
  uint64_t now = 1000;
  journal_writer_options o = {JOURNAL_SYNC_INTERVAL, 100, fake_clock, &now};
  journal_writer *w = NULL;
  CHECK_OK(journal_writer_open(fs, jdir, 0, &o, &w)); /* last sync: t = 1000 */
  vfs_fault_reset_counters(fs);
  now = 1050;
  CHECK_OK(append_range(w, 0, 1, 0));
  now = 1099;
  CHECK_OK(append_range(w, 1, 2, 0));
  CHECK_EQ_U64(file_syncs(), 0);
  now = 1100;
  CHECK_OK(append_range(w, 2, 3, 0)); /* 100 ms since the last sync */
  CHECK_EQ_U64(file_syncs(), 1);
  now = 1150;
  CHECK_OK(append_range(w, 3, 4, 0));
  int synced = 1;
  CHECK_OK(journal_writer_sync_if_due(w, &synced));
  CHECK(!synced);
  now = 1200; /* idle journal: the maintenance tick syncs it */
  CHECK_OK(journal_writer_sync_if_due(w, &synced));
  CHECK(synced);
  CHECK_EQ_U64(file_syncs(), 2);
  now = 1500; /* nothing unsynced: nothing to do */
  CHECK_OK(journal_writer_sync_if_due(w, &synced));
  CHECK(!synced);
  CHECK_EQ_U64(file_syncs(), 2);
  CHECK_OK(journal_writer_close(w));
  journal_writer_options no_clock = {JOURNAL_SYNC_INTERVAL, 100, NULL, NULL};
  CHECK_CODE(journal_writer_open(fs, jdir, 1, &no_clock, &w), STRATA_INVALID_ARGUMENT);
}

static void rotation_syncs_the_sealed_journal_and_the_new_name(void) {
  journal_writer *w = NULL;
  CHECK_OK(journal_writer_open(fs, jdir, 4, NULL, &w));
  CHECK_OK(append_range(w, 0, 3, 0));
  vfs_fault_reset_counters(fs);
  CHECK_OK(journal_writer_rotate(w));
  vfs_fault_counters c;
  vfs_fault_get_counters(fs, &c);
  CHECK_EQ_U64(c.syncs, 2);     /* the old journal, the new one's header */
  CHECK_EQ_U64(c.dir_syncs, 1); /* the new name */
  CHECK_EQ_U64(journal_writer_number(w), 5);
  CHECK_EQ_U64(journal_writer_unsynced_bytes(w), 0);
  CHECK_OK(journal_writer_close(w));
}

/* --- crashes and injected errors ------------------------------------------------------------- */

static void crash_keeps_every_synced_batch_and_never_half_applies_others(void) {
  for (uint64_t seed = 0; seed < 40; seed++) {
    CHECK_OK(vfs_remove_tree(fs, jdir)); /* through the wrapper: it forgets the files */
    journal_writer *w = NULL;
    CHECK_OK(journal_writer_open(fs, jdir, 0, NULL, &w));
    uint64_t synced = 0; /* batches [0, synced) are durable */
    for (uint64_t i = 0; i < 20; i++) {
      int sync = (i + seed) % 4 == 0;
      CHECK_OK(append_range(w, i, i + 1, sync));
      if (sync) synced = i + 1;
    }
    CHECK_OK(vfs_fault_crash(fs, seed)); /* seed 0 drops every unsynced byte, others tear */
    strata_status_free(journal_writer_close(w));
    replayed r = {0, 0, 0};
    journal_recovery_report rep;
    CHECK_OK(journal_recover(fs, jdir, 0, 1, collect, &r, &rep));
    CHECK(!r.mismatch && !rep.corrupt);
    CHECK(r.count >= synced && r.count <= 20);
    if (seed == 0) CHECK_EQ_U64(r.count, synced);
    CHECK_OK(journal_writer_open(fs, jdir, 0, NULL, &w)); /* life goes on after the crash */
    CHECK_OK(append_range(w, r.count, r.count + 2, 1));
    CHECK_OK(journal_writer_close(w));
    replayed again = {0, 0, 0};
    CHECK_OK(journal_recover(fs, jdir, 0, 1, collect, &again, &rep));
    CHECK(again.count == r.count + 2 && !again.mismatch && !rep.tail_cut);
  }
}

static void crash_right_after_rotation_keeps_both_journals(void) {
  journal_writer *w = NULL;
  CHECK_OK(journal_writer_open(fs, jdir, 0, NULL, &w));
  CHECK_OK(append_range(w, 0, 5, 0));
  CHECK_OK(journal_writer_rotate(w)); /* seals journal 0: its batches are durable */
  CHECK_OK(append_range(w, 5, 7, 0));
  CHECK_OK(vfs_fault_crash(fs, 0));
  strata_status_free(journal_writer_close(w));
  replayed r = {0, 0, 0};
  journal_recovery_report rep;
  CHECK_OK(journal_recover(fs, jdir, 0, 1, collect, &r, &rep));
  CHECK_OK(journal_recover(fs, jdir, 1, 1, collect, &r, &rep)); /* exists, empty */
  CHECK(r.count == 5 && !r.mismatch);
}

static void failed_write_is_rolled_back_and_surfaces_as_io(void) {
  journal_writer *w = NULL;
  CHECK_OK(journal_writer_open(fs, jdir, 0, NULL, &w));
  CHECK_OK(append_range(w, 0, 2, 0));
  uint64_t before = journal_writer_size(w);
  vfs_fault_fail_nth(fs, VFS_FAULT_WRITE, 1);
  CHECK_CODE(append_range(w, 2, 3, 0), STRATA_IO);
  CHECK_EQ_U64(journal_writer_size(w), before);
  vfs_fault_short_write_nth(fs, 1, 10); /* a torn write in the middle of a live file */
  CHECK_CODE(append_range(w, 2, 3, 0), STRATA_IO);
  CHECK_EQ_U64(journal_writer_size(w), before);
  CHECK_OK(append_range(w, 2, 4, 1)); /* the writer carries on at a batch boundary */
  CHECK_OK(journal_writer_close(w));
  replayed r = {0, 0, 0};
  journal_recovery_report rep;
  CHECK_OK(journal_recover(fs, jdir, 0, 1, collect, &r, &rep));
  CHECK(r.count == 4 && !r.mismatch && !rep.tail_cut);
}

static void short_write_of_a_large_batch_is_rolled_back(void) {
  journal_writer *w = NULL;
  CHECK_OK(journal_writer_open(fs, jdir, 0, NULL, &w));
  CHECK_OK(append_range(w, 0, 1, 0));
  write_batch big;
  write_batch_init(&big);
  uint8_t *value = calloc(1, 200000); /* over the coalescing limit: written in three appends */
  CHECK(value);
  strata_status *st = write_batch_put(&big, slice_from_cstr("big"), slice_make(value, 200000));
  free(value);
  if (!st) {
    vfs_fault_short_write_nth(fs, 2, 1000);
    st = journal_writer_append(w, 5000, &big, 0);
  }
  write_batch_free(&big);
  CHECK_CODE(st, STRATA_IO);
  CHECK_OK(append_range(w, 1, 2, 1));
  CHECK_OK(journal_writer_close(w));
  replayed r = {0, 0, 0};
  journal_recovery_report rep;
  CHECK_OK(journal_recover(fs, jdir, 0, 1, collect, &r, &rep));
  CHECK(r.count == 2 && !r.mismatch && !rep.tail_cut);
}

static void failed_sync_poisons_the_writer(void) {
  journal_writer *w = NULL;
  CHECK_OK(journal_writer_open(fs, jdir, 0, NULL, &w));
  CHECK_OK(append_range(w, 0, 2, 1));
  vfs_fault_fail_nth(fs, VFS_FAULT_SYNC, 1);
  CHECK_CODE(append_range(w, 2, 3, 1), STRATA_IO);
  CHECK_CODE(append_range(w, 2, 3, 0), STRATA_IO); /* poisoned, though the disk "works" again */
  CHECK_CODE(journal_writer_sync(w), STRATA_IO);
  CHECK_CODE(journal_writer_rotate(w), STRATA_IO);
  CHECK_OK(journal_writer_close(w));
  replayed r = {0, 0, 0};
  journal_recovery_report rep;
  CHECK_OK(journal_recover(fs, jdir, 0, 1, collect, &r, &rep));
  CHECK(r.count == 2 && !r.mismatch); /* the failed batch was cut back out */
}

static void failed_rollback_poisons_the_writer(void) {
  journal_writer *w = NULL;
  CHECK_OK(journal_writer_open(fs, jdir, 0, NULL, &w));
  CHECK_OK(append_range(w, 0, 1, 1));
  vfs_fault_short_write_nth(fs, 1, 5);
  strata_status *torn = append_range(w, 1, 2, 0);
  CHECK_CODE(torn, STRATA_IO);
  CHECK_OK(append_range(w, 1, 2, 0)); /* rollback worked: not poisoned */
  vfs_fault_fail_from(fs, VFS_FAULT_WRITE | VFS_FAULT_TRUNCATE, 1);
  CHECK_CODE(append_range(w, 2, 3, 0), STRATA_IO);
  vfs_fault_clear(fs);
  CHECK_CODE(append_range(w, 2, 3, 0), STRATA_IO); /* could not cut back: poisoned */
  strata_status_free(journal_writer_close(w));
  replayed r = {0, 0, 0};
  journal_recovery_report rep;
  CHECK_OK(journal_recover(fs, jdir, 0, 1, collect, &r, &rep));
  CHECK(r.count == 2 && !r.mismatch);
}

static void io_errors_on_open_and_recovery_surface_as_io(void) {
  CHECK_OK(write_journal(3, NULL));
  journal_writer *w = NULL;
  vfs_fault_fail_nth(fs, VFS_FAULT_OPEN, 1);
  CHECK_CODE(journal_writer_open(fs, jdir, 0, NULL, &w), STRATA_IO);
  vfs_fault_fail_nth(fs, VFS_FAULT_READ, 2);
  journal_recovery_report rep;
  CHECK_CODE(journal_recover(fs, jdir, 0, 1, NULL, NULL, &rep), STRATA_IO);
  vfs_fault_fail_nth(fs, VFS_FAULT_SYNC, 1); /* creating a journal syncs its header */
  CHECK_CODE(journal_writer_open(fs, jdir, 9, NULL, &w), STRATA_IO);
  vfs_fault_clear(fs);
  CHECK_OK(journal_recover(fs, jdir, 0, 1, NULL, NULL, &rep)); /* nothing was damaged */
  CHECK(rep.batches == 3 && !rep.tail_cut);
}

static void rotation_refuses_an_existing_next_journal(void) {
  CHECK_OK(vfs_mkdir(fs, jdir));
  CHECK_OK(set_file_bytes(1, "stale", 5));
  journal_writer *w = NULL;
  CHECK_OK(journal_writer_open(fs, jdir, 0, NULL, &w));
  CHECK_OK(append_range(w, 0, 1, 0));
  CHECK_CODE(journal_writer_rotate(w), STRATA_EXISTS);
  CHECK_EQ_U64(journal_writer_number(w), 0);
  CHECK_OK(append_range(w, 1, 2, 0)); /* still on journal 0 */
  CHECK_OK(journal_writer_close(w));
  replayed r = {0, 0, 0};
  journal_recovery_report rep;
  CHECK_OK(journal_recover(fs, jdir, 0, 1, collect, &r, &rep));
  CHECK(r.count == 2 && !r.mismatch);
}

static void list_orders_numbers_and_remove_deletes_flushed_journals(void) {
  journal_writer *w = NULL;
  CHECK_OK(journal_writer_open(fs, jdir, 0, NULL, &w));
  CHECK_OK(journal_writer_rotate(w));
  CHECK_OK(journal_writer_rotate(w));
  CHECK_OK(journal_writer_close(w));
  const char *others[] = {"10", "9", "007", "x1", "-3", "18446744073709551616"};
  for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
    char path[300];
    snprintf(path, sizeof path, "%s/%s", jdir, others[i]);
    CHECK_OK(vfs_replace(inner, path, "", 0));
  }
  uint64_t *n = NULL;
  size_t count = 0;
  CHECK_OK(journal_list(fs, jdir, &n, &count));
  int ordered = count == 5 && n[0] == 0 && n[1] == 1 && n[2] == 2 && n[3] == 9 && n[4] == 10;
  free(n);
  CHECK(ordered);
  CHECK_OK(journal_remove(fs, jdir, 1));
  CHECK_CODE(journal_remove(fs, jdir, 1), STRATA_NOT_FOUND);
  CHECK_OK(journal_list(fs, jdir, &n, &count));
  ordered = count == 4 && n[0] == 0 && n[1] == 2 && n[2] == 9 && n[3] == 10;
  free(n);
  CHECK(ordered);
  uint64_t parsed = 0;
  CHECK(journal_parse_name("18446744073709551615", &parsed) && parsed == UINT64_MAX);
  CHECK(!journal_parse_name("", &parsed) && !journal_parse_name("01", &parsed) && journal_parse_name("0", &parsed));
}

/* What an append into a journal reserve leaves when the process dies half-way (strata_vfs.h,
 * STRATA_VFS_OPEN_JOURNAL): the last batch stored up to a point, a window after it partly, then
 * the reserve's zeros. Each shape is a torn append; only its nonzero bytes count as torn. */
static void batch_cut_short_before_a_zero_end_is_torn_not_corrupt(void) {
  enum { N = 6 };
  uint64_t sizes[N + 1];
  CHECK_OK(write_journal(N, sizes));
  buffer orig, b;
  buffer_init(&orig);
  buffer_init(&b);
  CHECK_OK(file_bytes(0, &orig));
  size_t last = (size_t)sizes[N - 1], len = (size_t)sizes[N];
  /* stored up to `keep` bytes of the last batch; `hole`: a gap in the middle (stores out of order
   * within the window) with the batch's end stored */
  static const struct { size_t keep, hole; } shapes[] = {{1, 0}, {JOURNAL_START_SIZE - 1, 0}, {JOURNAL_START_SIZE + 3, 0},
                                                         {0, 0}, {SIZE_MAX, 2}};
  for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
    buffer_clear(&b);
    CHECK_OK(buffer_append(&b, orig.data, len));
    size_t keep = shapes[t].keep == SIZE_MAX ? len - last : shapes[t].keep;
    if (shapes[t].keep == 0) keep = len - last - 1; /* all but the last byte */
    memset(b.data + last + keep, 0, len - last - keep);
    if (shapes[t].hole) memset(b.data + last + JOURNAL_START_SIZE, 0, shapes[t].hole);
    CHECK_OK(buffer_reserve(&b, len + 70000));
    memset(b.data + len, 0, 70000);
    b.len = len + 70000;
    CHECK_OK(set_file_bytes(0, b.data, b.len));
    replayed r = {0, 0, 0};
    journal_recovery_report rep;
    CHECK_OK(journal_recover(fs, jdir, 0, 0, collect, &r, &rep));
    CHECK(!r.mismatch);
    CHECK_EQ_U64(rep.batches, N - 1);
    CHECK(rep.tail_cut && rep.torn && !rep.corrupt);
    CHECK_EQ_U64(rep.valid_bytes, last);
    CHECK(rep.zero_bytes >= 70000 && rep.zero_bytes < rep.dropped_bytes); /* the torn bytes are the rest */
  }
  buffer_free(&orig);
  buffer_free(&b);
}

/* Damage well before the zero end (further than STRATA_VFS_TORN_WINDOW) is corruption. */
static void damage_far_before_a_zero_end_is_corrupt(void) {
  enum { N = 200 };
  uint64_t sizes[N + 1];
  CHECK_OK(write_journal(N, sizes));
  buffer b;
  buffer_init(&b);
  CHECK_OK(file_bytes(0, &b));
  CHECK(sizes[N] - sizes[3] > STRATA_VFS_TORN_WINDOW);
  b.data[sizes[2] + JOURNAL_START_SIZE] ^= 0x20;
  uint8_t zeros[5000] = {0};
  CHECK_OK(buffer_append(&b, zeros, sizeof zeros));
  CHECK_OK(set_file_bytes(0, b.data, b.len));
  buffer_free(&b);
  journal_recovery_report rep;
  CHECK_OK(journal_recover(fs, jdir, 0, 0, NULL, NULL, &rep));
  CHECK_EQ_U64(rep.batches, 2);
  CHECK(rep.tail_cut && rep.corrupt && !rep.torn);
}

/* A small journal whose last batch happens to end in a zero byte: damage in an earlier batch is
 * within the window of that "zero end", yet intact batches reach the end of the file, so it is
 * corruption, not a torn append. */
static void damage_before_intact_batches_ending_in_a_zero_byte_is_corrupt(void) {
  write_batch wb;
  write_batch_init(&wb);
  int found = 0;
  for (int attempt = 0; attempt < 5000 && !found && !harness_case_failed(); attempt++) {
    journal_writer *w = NULL;
    CHECK_OK(set_file_bytes(0, "", 0));
    char *p = jpath(0);
    CHECK_OK(vfs_remove(inner, p));
    free(p);
    CHECK_OK(journal_writer_open(fs, jdir, 0, NULL, &w));
    CHECK_OK(append_range(w, 0, 3, 0));
    char value[32];
    snprintf(value, sizeof value, "attempt-%d", attempt);
    write_batch_clear(&wb);
    CHECK_OK(write_batch_put(&wb, slice_from_cstr("last"), slice_from_cstr(value)));
    CHECK_OK(journal_writer_append(w, seqno_of(3), &wb, 0));
    CHECK_OK(journal_writer_close(w));
    buffer b;
    buffer_init(&b);
    CHECK_OK(file_bytes(0, &b));
    if (b.data[b.len - 1] == 0) {
      found = 1;
      b.data[JOURNAL_HEADER_SIZE + JOURNAL_START_SIZE + 1] ^= 0x04; /* inside batch 0 */
      CHECK_OK(set_file_bytes(0, b.data, b.len));
      journal_recovery_report rep;
      CHECK_OK(journal_recover(fs, jdir, 0, 0, NULL, NULL, &rep));
      CHECK_EQ_U64(rep.batches, 0);
      CHECK(rep.tail_cut && rep.corrupt && !rep.torn);
    }
    buffer_free(&b);
  }
  CHECK(found);
  write_batch_free(&wb);
}

/* A journal reserved and never written (a crash before its header was stored) is torn, empty. */
static void all_zero_journal_is_torn_and_empty(void) {
  uint8_t zeros[3000] = {0};
  CHECK_OK(set_file_bytes(0, zeros, sizeof zeros));
  journal_recovery_report rep;
  CHECK_OK(journal_recover(fs, jdir, 0, 1, NULL, NULL, &rep));
  CHECK(rep.tail_cut && rep.torn && !rep.corrupt && !rep.bad_header);
  CHECK_EQ_U64(rep.zero_bytes, sizeof zeros);
  CHECK_EQ_U64(rep.valid_bytes, 0);
  journal_writer *w = NULL; /* cut to nothing: the writer starts it again */
  CHECK_OK(journal_writer_open(fs, jdir, 0, NULL, &w));
  CHECK_OK(append_range(w, 0, 2, 1));
  CHECK_OK(journal_writer_close(w));
  replayed r = {0, 0, 0};
  CHECK_OK(journal_recover(fs, jdir, 0, 0, collect, &r, &rep));
  CHECK(!r.mismatch && r.count == 2 && !rep.tail_cut);
}

#define CASE(fn) \
  harness_run_variant(#fn, current_factory == vfs_posix_new ? "posix" : "memory", setup, fn, teardown)
#define CASES(X)                                                    \
  X(many_batches_round_trip_over_rotation)                          \
  X(empty_journal_recovers_nothing)                                 \
  X(missing_journal_is_not_found_and_missing_folder_lists_none)     \
  X(torn_tail_at_every_byte_of_the_last_batch_is_cut)               \
  X(torn_header_is_cut_and_rewritten)                               \
  X(corrupt_byte_in_a_middle_batch_drops_it_and_all_after)          \
  X(zero_filled_tail_is_torn_not_corrupt)                           \
  X(batch_cut_short_before_a_zero_end_is_torn_not_corrupt)          \
  X(damage_far_before_a_zero_end_is_corrupt)                        \
  X(damage_before_intact_batches_ending_in_a_zero_byte_is_corrupt)  \
  X(all_zero_journal_is_torn_and_empty)                             \
  X(random_damage_never_replays_a_partial_or_altered_batch)         \
  X(foreign_or_newer_file_is_refused_and_left_alone)                \
  X(callback_error_stops_replay_and_keeps_the_file)                 \
  X(append_rejects_a_seqno_over_the_maximum)                        \
  X(no_sync_policy_syncs_only_when_asked)                           \
  X(every_append_policy_syncs_each_batch)                           \
  X(interval_policy_syncs_when_the_interval_has_passed)             \
  X(rotation_syncs_the_sealed_journal_and_the_new_name)             \
  X(crash_keeps_every_synced_batch_and_never_half_applies_others)   \
  X(crash_right_after_rotation_keeps_both_journals)                 \
  X(failed_write_is_rolled_back_and_surfaces_as_io)                 \
  X(short_write_of_a_large_batch_is_rolled_back)                    \
  X(failed_sync_poisons_the_writer)                                 \
  X(failed_rollback_poisons_the_writer)                             \
  X(io_errors_on_open_and_recovery_surface_as_io)                   \
  X(rotation_refuses_an_existing_next_journal)                      \
  X(list_orders_numbers_and_remove_deletes_flushed_journals)

#define RUN_CASE(fn) CASE(fn);
int main(void) {
  vfs_factory factories[] = {vfs_memory_new, vfs_posix_new};
  for (size_t i = 0; i < 2; i++) {
    current_factory = factories[i];
    CASES(RUN_CASE)
  }
  return harness_finish();
}
