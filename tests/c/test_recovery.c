/* Journal recovery through the public API: torn tails are cut and reported, damage fails a strict
 * open with the journal, offset and later batches named, and point-in-time recovery opens at a
 * prefix of the history, sets the rest aside in lost/ and never lets it come back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "strata.h"
#include "util/buffer.h"
#include "util/coding.h"
#include "util/db_files.h"
#include "util/status.h"
#include "vfs/vfs_fault.h"

static vfs *fs;
static char *dir;

static int setup_posix(void) {
  fs = harness_open_fs(vfs_posix_new, "recovery", &dir);
  return fs != NULL;
}

static int setup_memory(void) {
  fs = harness_open_fs(vfs_memory_new, "recovery", &dir);
  return fs != NULL;
}

static void teardown(void) {
  harness_close_fs(fs, dir);
  fs = NULL;
  dir = NULL;
}

static strata_status *open_mode(strata_recovery_mode mode, strata_db **db) {
  strata_options *o = NULL;
  strata_status *st = strata_options_new(&o);
  if (st) return st;
  EXPECT_OK(strata_options_set_background_threads(o, 0));
  EXPECT_OK(strata_options_set_vfs(o, fs));
  st = strata_options_set_recovery_mode(o, mode);
  if (!st) st = strata_open(dir, o, db);
  strata_options_free(o);
  return st;
}

/* The history: batch i (1-based) puts b<i> = v<i> and counter = <i>, atomically. */
static strata_status *write_batches(strata_db *db, int from, int to) {
  strata_batch *b = NULL;
  strata_status *st = strata_batch_new(&b);
  for (int i = from; !st && i <= to; i++) {
    char k[16], v[16], c[16];
    snprintf(k, sizeof k, "b%03d", i);
    snprintf(v, sizeof v, "v%03d", i);
    snprintf(c, sizeof c, "%03d", i);
    strata_batch_clear(b);
    st = strata_batch_put(b, k, strlen(k), v, strlen(v));
    if (!st) st = strata_batch_put(b, "counter", 7, c, strlen(c));
    if (!st) st = strata_write(db, b, 1);
  }
  strata_batch_free(b);
  return st;
}

/* One session per journal: sessions[j] batches go to journal j (an open starts a new journal). */
static strata_status *make_history(const int *sessions, int count) {
  int next = 1;
  for (int s = 0; s < count; s++) {
    strata_db *db = NULL;
    strata_status *st = open_mode(STRATA_RECOVERY_STRICT, &db);
    if (st) return st;
    st = write_batches(db, next, next + sessions[s] - 1);
    next += sessions[s];
    strata_status *cst = strata_close(db);
    if (st) strata_status_free(cst);
    else st = cst;
    if (st) return st;
  }
  return NULL;
}

static int get_str(strata_db *db, const char *k, char *buf, size_t cap) {
  int found = 0;
  size_t vlen = 0;
  strata_status *st = strata_get_into(db, NULL, k, strlen(k), &found, buf, cap - 1, &vlen);
  if (st) {
    strata_status_free(st);
    return -1;
  }
  buf[found ? (vlen < cap - 1 ? vlen : cap - 1) : 0] = 0;
  return found;
}

/* The length of the history prefix the database holds (batches 1..p exactly, nothing later), or
 * -1 when it holds something that is not a prefix. check_counter: the counter key must say p. */
static int history_prefix(strata_db *db, int n, int check_counter) {
  int p = 0, ended = 0;
  for (int i = 1; i <= n + 2; i++) { /* two beyond the history: nothing may exist there either */
    char k[16], want[16], got[64];
    snprintf(k, sizeof k, "b%03d", i);
    snprintf(want, sizeof want, "v%03d", i);
    int found = get_str(db, k, got, sizeof got);
    if (found < 0) return -1;
    if (found && (ended || strcmp(got, want))) return -1;
    if (!found) ended = 1;
    else p = i;
  }
  if (check_counter) {
    char got[64], want[16];
    snprintf(want, sizeof want, "%03d", p);
    int found = get_str(db, "counter", got, sizeof got);
    if (found < 0 || found != (p > 0) || (found && strcmp(got, want))) return -1;
  }
  return p;
}

static char path_buf[512];
static const char *journal_file(int n) {
  snprintf(path_buf, sizeof path_buf, "%s/journal/%d", dir, n);
  return path_buf;
}

static int file_exists(const char *rel) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", dir, rel);
  int exists = 0;
  strata_status *st = vfs_exists(fs, p, &exists, NULL);
  strata_status_free(st);
  return exists;
}

static strata_status *read_journal(int n, buffer *out) { return vfs_read_file(fs, journal_file(n), out); }

/* The offset of batch `index` (0-based) inside an encoded journal. */
static uint64_t batch_offset(const buffer *j, int index) {
  uint64_t off = 8;
  for (int i = 0; i < index && off + 25 <= j->len; i++) off += 25 + decode_fixed64(j->data + off + 13) + 9;
  return off;
}

/* Replaces journal n by its first `len` bytes, byte `flip` (if < len) xor-ed with 0x5a. */
static strata_status *rewrite_journal(int n, const buffer *j, size_t len, size_t flip) {
  uint8_t *copy = malloc(len ? len : 1);
  if (!copy) return status_no_memory();
  memcpy(copy, j->data, len);
  if (flip < len) copy[flip] ^= 0x5a;
  strata_status *st = vfs_replace(fs, journal_file(n), copy, len);
  free(copy);
  return st;
}

#define CHECK_MSG_HAS(st, text)                                                                   \
  do {                                                                                            \
    if (!strstr(strata_status_message(st), (text))) {                                             \
      harness_fail(__FILE__, __LINE__, "message '%s' lacks '%s'", strata_status_message(st), text); \
      strata_status_free(st);                                                                     \
      return;                                                                                     \
    }                                                                                             \
  } while (0)

static const int three_sessions[3] = {10, 10, 10}; /* journals 0, 1, 2: batches 1-10, 11-20, 21-30 */

/* three_sessions written, then one byte of batch 5 of the middle journal (journal 1) flipped;
 * *off: that batch's offset, where the damage is reported. */
static strata_status *history_with_middle_journal_damaged(uint64_t *off) {
  strata_status *st = make_history(three_sessions, 3);
  if (st) return st;
  buffer j;
  buffer_init(&j);
  st = read_journal(1, &j);
  if (!st) {
    *off = batch_offset(&j, 4);
    st = rewrite_journal(1, &j, j.len, (size_t)*off + 30);
  }
  buffer_free(&j);
  return st;
}

/* Byte flipped in batch 5 of the middle journal: the old code replayed 1-14 and silently dropped
 * 15-30 (and replayed journal 2 again on the next open). */
static void journal_damage_in_middle_fails_open_strict(void) {
  CHECK_OK(make_history(three_sessions, 3));
  buffer j;
  buffer_init(&j);
  CHECK_OK(read_journal(1, &j));
  uint64_t off = batch_offset(&j, 4);
  CHECK_OK(rewrite_journal(1, &j, j.len, (size_t)off + 30));
  strata_db *db = NULL;
  strata_status *st = open_mode(STRATA_RECOVERY_STRICT, &db);
  CHECK(st != NULL);
  CHECK_EQ_U64(strata_status_code(st), STRATA_CORRUPTION);
  char want[64];
  snprintf(want, sizeof want, "at offset %llu", (unsigned long long)off);
  CHECK_MSG_HAS(st, "journal/1");
  CHECK_MSG_HAS(st, want);
  CHECK_MSG_HAS(st, "15 intact batches after it"); /* 16-20 in journal 1 and 21-30 in journal 2 */
  CHECK_MSG_HAS(st, "up to seqno 30");
  strata_status_free(st);
  /* nothing was changed: the same open fails the same way, and the files are all there */
  st = open_mode(STRATA_RECOVERY_STRICT, &db);
  CHECK_EQ_U64(strata_status_code(st), STRATA_CORRUPTION);
  strata_status_free(st);
  CHECK(file_exists("journal/2"));
  CHECK(!file_exists("lost"));
  buffer again;
  buffer_init(&again);
  CHECK_OK(read_journal(1, &again));
  CHECK(again.len == j.len);
  buffer_free(&again);
  buffer_free(&j);
}

/* Point-in-time after the same damage opens at batches 1-14, sets 15-30 aside in lost/, and new
 * writes to the same keys win for good: the old code let 16,371 of 34,480 such writes lose to the
 * skipped journals on the next open. */
static void journal_damage_point_in_time_opens_at_prefix_and_never_resurrects(void) {
  uint64_t off = 0;
  CHECK_OK(history_with_middle_journal_damaged(&off));
  strata_db *db = NULL;
  CHECK_OK(open_mode(STRATA_RECOVERY_POINT_IN_TIME, &db));
  strata_recovery_report rep;
  CHECK_OK(strata_get_recovery_report(db, &rep));
  CHECK_EQ_U64(rep.damaged, 1);
  CHECK_EQ_U64(rep.damaged_journal, 1);
  CHECK_EQ_U64(rep.damaged_offset, off);
  CHECK_EQ_U64(rep.batches_replayed, 14);
  CHECK_EQ_U64(rep.journals_replayed, 2);
  CHECK_EQ_U64(rep.batches_discarded, 15);
  CHECK_EQ_U64(rep.highest_seqno_seen, 30);
  CHECK_EQ_U64(rep.files_moved_to_lost, 2);
  CHECK_EQ_U64(rep.torn_bytes_cut, 0);
  CHECK_EQ_U64(rep.manifest_fallback, 0);
  CHECK_EQ_U64(history_prefix(db, 30, 1), 14);
  CHECK(file_exists("lost/journal-1"));
  CHECK(file_exists("lost/journal-2"));
  CHECK(!file_exists("journal/2"));
  /* the whole original of the damaged journal is in lost/ */
  char lost[512];
  snprintf(lost, sizeof lost, "%s/lost/journal-1", dir);
  buffer kept;
  buffer_init(&kept);
  CHECK_OK(vfs_read_file(fs, lost, &kept));
  CHECK_EQ_U64(kept.len, 8 + 10 * (batch_offset(&kept, 1) - 8));
  buffer_free(&kept);
  /* new values for every key, in several sessions */
  for (int i = 1; i <= 30; i++) {
    char k[16], v[16];
    snprintf(k, sizeof k, "b%03d", i);
    snprintf(v, sizeof v, "new%03d", i);
    CHECK_OK(strata_put(db, k, strlen(k), v, strlen(v), 1));
  }
  CHECK_OK(strata_close(db));
  for (int round = 0; round < 3; round++) {
    CHECK_OK(open_mode(STRATA_RECOVERY_STRICT, &db)); /* nothing damaged is left to find */
    CHECK_OK(strata_get_recovery_report(db, &rep));
    CHECK_EQ_U64(rep.damaged, 0);
    CHECK_EQ_U64(rep.files_moved_to_lost, 0);
    for (int i = 1; i <= 30; i++) {
      char k[16], want[16], got[64];
      snprintf(k, sizeof k, "b%03d", i);
      snprintf(want, sizeof want, "new%03d", i);
      CHECK(get_str(db, k, got, sizeof got) == 1);
      if (strcmp(got, want)) {
        harness_fail(__FILE__, __LINE__, "round %d: %s = %s, want %s", round, k, got, want);
        strata_status_free(strata_close(db));
        return;
      }
    }
    char got[64];
    CHECK(get_str(db, "counter", got, sizeof got) == 1 && strcmp(got, "014") == 0);
    CHECK_OK(strata_put(db, "counter", 7, "later", 5, 1));
    CHECK_OK(strata_put(db, "counter", 7, "014", 3, 1));
    CHECK_OK(strata_close(db));
  }
}

/* A point-in-time open that the storage refuses with STRATA_BUSY ("would block": the browser's
 * OPFS pool had no file free) while it flushes the prefix changes nothing live, so the open run
 * again finds the same damage and reports it: every open of the recovery is refused in turn, and
 * each time one creating a table was refused, the next open reports damage at the same offset,
 * the same 15 batches set aside and the prefix 1-14. (It used to cut the journal first: the
 * open run again found an intact journal and reported nothing.) */
static void point_in_time_open_refused_while_flushing_reports_the_same_damage_again(void) {
  int tables_refused = 0;
  for (uint64_t n = 1; n < 200 && !harness_case_failed(); n++) {
    CHECK_OK(vfs_remove_tree(fs, dir));
    uint64_t off = 0;
    CHECK_OK(history_with_middle_journal_damaged(&off));
    vfs *fault = NULL;
    CHECK_OK(vfs_fault_new(fs, &fault));
    vfs_fault_set_code(fault, STRATA_BUSY);
    vfs_fault_fail_nth(fault, VFS_FAULT_OPEN, n);
    vfs *plain = fs;
    fs = fault;
    strata_db *db = NULL;
    strata_status *st = open_mode(STRATA_RECOVERY_POINT_IN_TIME, &db);
    fs = plain;
    vfs_fault_counters c;
    vfs_fault_get_counters(fault, &c);
    if (!st) { /* the nth open is past the last: every open of the recovery was refused once */
      strata_status_free(strata_close(db));
      vfs_destroy(fault);
      CHECK(c.injected == 0);
      break;
    }
    vfs_destroy(fault);
    CHECK_EQ_U64(strata_status_code(st), STRATA_BUSY);
    int table = strstr(strata_status_message(st), "tables/") != NULL;
    strata_status_free(st);
    CHECK_OK(open_mode(STRATA_RECOVERY_POINT_IN_TIME, &db));
    strata_recovery_report rep;
    CHECK_OK(strata_get_recovery_report(db, &rep));
    int prefix = history_prefix(db, 30, 1);
    CHECK_OK(strata_close(db));
    if (prefix != 14) harness_fail(__FILE__, __LINE__, "open %llu refused: the prefix is %d", (unsigned long long)n, prefix);
    if (!table) continue;
    tables_refused++;
    if (rep.damaged != 1 || rep.damaged_offset != off || rep.batches_discarded != 15 || rep.batches_replayed != 14)
      harness_fail(__FILE__, __LINE__, "open %llu (a table) refused: damaged %u at %llu, %llu set aside, %llu replayed",
                   (unsigned long long)n, (unsigned)rep.damaged, (unsigned long long)rep.damaged_offset,
                   (unsigned long long)rep.batches_discarded, (unsigned long long)rep.batches_replayed);
  }
  CHECK(tables_refused >= 1);
}

typedef struct lost_names {
  int journals, tables, other; /* journal-* entries; table-* and manifest-* ones; anything else */
  char list[256];
} lost_names;

static strata_status *count_lost(void *ctx, const char *name, int is_dir) {
  lost_names *l = ctx;
  (void)is_dir;
  size_t len = strlen(l->list);
  snprintf(l->list + len, sizeof l->list - len, " %s", name);
  if (strncmp(name, "journal-", 8) == 0) l->journals++;
  else if (strncmp(name, "table-", 6) == 0 || strncmp(name, "manifest-", 9) == 0) l->tables++;
  else l->other++;
  return NULL;
}

/* The report and the files a completed point-in-time recovery of history_with_middle_journal_damaged
 * leaves (damage in journal 1 at `off`, batches 1-14 kept, 15-30 set aside), whichever of its
 * opens were refused before; `orig`: journal 1 as damaged. 1 when all hold. */
static int recovered_once(strata_db *db, uint64_t off, const buffer *orig, int crashed, const char *what) {
  /* exactly one copy of each lost journal, and no report left; a crash may also have left a table
   * the recovery flush wrote before its install, or a torn manifest slot, which the next open set
   * aside (lost/table-N, lost/manifest-N) */
  char lost[512];
  snprintf(lost, sizeof lost, "%s/lost", dir);
  lost_names names = {0, 0, 0, ""};
  strata_status *st = vfs_list(fs, lost, count_lost, &names);
  int ok = 1;
  if (st || names.journals != 2 || names.other || (names.tables && !crashed) || !file_exists("lost/journal-1") ||
      !file_exists("lost/journal-2")) {
    harness_fail(__FILE__, __LINE__, "%s: lost/ holds%s (want journal-1 and journal-2)", what, names.list);
    ok = 0;
  }
  strata_status_free(st);
  strata_recovery_report rep;
  st = strata_get_recovery_report(db, &rep);
  if (st) ok = 0;
  strata_status_free(st);
  if (ok && (rep.damaged != 1 || rep.damaged_journal != 1 || rep.damaged_offset != off || rep.batches_discarded != 15 ||
             rep.batches_replayed != 14 || rep.journals_replayed != 2 || rep.highest_seqno_seen != 30 ||
             rep.files_moved_to_lost != 2 + (uint32_t)names.tables)) {
    harness_fail(__FILE__, __LINE__,
                 "%s: damaged %d (journal %llu at %llu), %llu set aside, %llu replayed from %u journals, highest %llu, "
                 "%u files to lost/",
                 what, rep.damaged, (unsigned long long)rep.damaged_journal, (unsigned long long)rep.damaged_offset,
                 (unsigned long long)rep.batches_discarded, (unsigned long long)rep.batches_replayed,
                 (unsigned)rep.journals_replayed, (unsigned long long)rep.highest_seqno_seen,
                 (unsigned)rep.files_moved_to_lost);
    ok = 0;
  }
  int prefix = history_prefix(db, 30, 1);
  if (prefix != 14) {
    harness_fail(__FILE__, __LINE__, "%s: the prefix is %d", what, prefix);
    ok = 0;
  }
  buffer kept;
  buffer_init(&kept);
  snprintf(lost, sizeof lost, "%s/lost/journal-1", dir);
  st = vfs_read_file(fs, lost, &kept);
  if (st || kept.len != orig->len || memcmp(kept.data, orig->data, kept.len)) {
    harness_fail(__FILE__, __LINE__, "%s: lost/journal-1 is not the damaged journal", what);
    ok = 0;
  }
  strata_status_free(st);
  buffer_free(&kept);
  return ok;
}

/* A point-in-time open refused with STRATA_BUSY at any file it creates (lost/ copies, the
 * recovery's tables, the manifest, the new journal; each retry refused again at its own nth
 * open, up to 4 times), then run again, reports the damage exactly as one unrefused open does,
 * exactly once (the next open reports nothing), and leaves exactly one copy of each lost journal.
 * The old code lost the report when the refusal came after the recovery flush was installed (the
 * new journal's creation: the retried open found no damage left) and left lost/journal-1.1 when it
 * came before. */
static void point_in_time_open_refused_at_any_creation_reports_the_damage_exactly_once(void) {
  int journal_refused = 0, refused_opens = 0;
  for (uint64_t n = 1; n < 200 && !harness_case_failed(); n++) {
    CHECK_OK(vfs_remove_tree(fs, dir));
    uint64_t off = 0;
    CHECK_OK(history_with_middle_journal_damaged(&off));
    buffer orig;
    buffer_init(&orig);
    CHECK_OK(read_journal(1, &orig));
    int refused = 0, ok = 1;
    for (int attempt = 0; attempt < 5; attempt++) {
      vfs *fault = NULL;
      CHECK_OK(vfs_fault_new(fs, &fault));
      vfs_fault_set_code(fault, STRATA_BUSY);
      if (attempt < 4) vfs_fault_fail_nth(fault, VFS_FAULT_OPEN, n);
      vfs *plain = fs;
      fs = fault;
      strata_db *db = NULL;
      strata_status *st = open_mode(STRATA_RECOVERY_POINT_IN_TIME, &db);
      fs = plain;
      if (status_is(st, STRATA_BUSY)) {
        if (strstr(strata_status_message(st), "journal/3")) journal_refused++;
        refused++;
        strata_status_free(st);
        vfs_destroy(fault);
        continue;
      }
      if (st) {
        harness_fail(__FILE__, __LINE__, "open %llu, attempt %d: %s", (unsigned long long)n, attempt,
                     strata_status_message(st));
        strata_status_free(st);
        ok = 0;
      } else {
        vfs_fault_clear(fault); /* the checks read through it */
        char what[64];
        snprintf(what, sizeof what, "open %llu refused %d times", (unsigned long long)n, refused);
        ok = recovered_once(db, off, &orig, 0, what);
        strata_status *cst = strata_close(db);
        if (cst) ok = 0;
        strata_status_free(cst);
      }
      vfs_destroy(fault);
      break;
    }
    buffer_free(&orig);
    if (!ok) return;
    if (!refused) break; /* the nth open is past the last: every open of the recovery was refused */
    refused_opens += refused;
    /* reported once: the next open has nothing to report, and the same data */
    strata_db *db = NULL;
    CHECK_OK(open_mode(STRATA_RECOVERY_STRICT, &db));
    strata_recovery_report rep;
    CHECK_OK(strata_get_recovery_report(db, &rep));
    int prefix = history_prefix(db, 30, 1);
    CHECK_OK(strata_close(db));
    if (rep.damaged || rep.files_moved_to_lost || rep.batches_replayed || prefix != 14)
      harness_fail(__FILE__, __LINE__, "open %llu, then reopened: damaged %d, %u to lost/, %llu replayed, prefix %d",
                   (unsigned long long)n, rep.damaged, (unsigned)rep.files_moved_to_lost,
                   (unsigned long long)rep.batches_replayed, prefix);
  }
  CHECK(refused_opens >= 5);
  CHECK(journal_refused >= 1); /* the new journal's creation, after the flush, was among them */
}

/* A point-in-time open cut by a power failure at any operation (unsynced bytes and folder
 * entries lost or torn at the reboot), then run again: the open after the reboot holds the
 * prefix and reports the damage as an uncut open does, once, with one copy of each lost journal.
 * The old code reported nothing once the cut had reached the recovery flush's install. */
static void point_in_time_open_cut_by_a_crash_at_any_step_still_reports_the_damage(void) {
  int cuts = 0;
  for (uint64_t n = 1; n < 2000 && !harness_case_failed(); n++) {
    CHECK_OK(vfs_remove_tree(fs, dir));
    uint64_t off = 0;
    CHECK_OK(history_with_middle_journal_damaged(&off));
    buffer orig;
    buffer_init(&orig);
    CHECK_OK(read_journal(1, &orig));
    vfs *fault = NULL;
    CHECK_OK(vfs_fault_new(fs, &fault));
    vfs_fault_set_volatile_removes(fault, 1);
    vfs_fault_power_cut_at(fault, n);
    vfs *plain = fs;
    fs = fault;
    strata_db *db = NULL;
    strata_status *st = open_mode(STRATA_RECOVERY_POINT_IN_TIME, &db);
    int past_the_end = st == NULL;
    if (st) strata_status_free(st);
    else strata_status_free(strata_close(db));
    int ok = 1;
    if (!past_the_end) {
      st = vfs_fault_crash(fault, n * 0x9e3779b97f4a7c15ull | 1); /* torn tails too */
      if (!st) st = open_mode(STRATA_RECOVERY_POINT_IN_TIME, &db);
      if (st) {
        harness_fail(__FILE__, __LINE__, "cut at operation %llu, then reopened: %s", (unsigned long long)n,
                     strata_status_message(st));
        strata_status_free(st);
        ok = 0;
      } else {
        char what[64];
        snprintf(what, sizeof what, "cut at operation %llu", (unsigned long long)n);
        ok = recovered_once(db, off, &orig, 1, what);
        strata_status *cst = strata_close(db);
        if (cst) ok = 0;
        strata_status_free(cst);
      }
      strata_recovery_report rep;
      memset(&rep, 0, sizeof rep);
      if (ok) {
        CHECK_OK(open_mode(STRATA_RECOVERY_STRICT, &db));
        CHECK_OK(strata_get_recovery_report(db, &rep));
        CHECK_OK(strata_close(db));
      }
      if (rep.damaged || rep.files_moved_to_lost) {
        harness_fail(__FILE__, __LINE__, "cut at operation %llu: reported twice", (unsigned long long)n);
        ok = 0;
      }
      cuts++;
    }
    fs = plain;
    vfs_destroy(fault);
    buffer_free(&orig);
    if (!ok || past_the_end) break;
  }
  CHECK(cuts >= 20);
}

/* Journal 1 cut inside batch 5: not the newest, so not torn but damage. */
static void non_newest_journal_truncated_mid_record_is_detected(void) {
  CHECK_OK(make_history(three_sessions, 3));
  buffer j;
  buffer_init(&j);
  CHECK_OK(read_journal(1, &j));
  uint64_t off = batch_offset(&j, 4);
  CHECK_OK(rewrite_journal(1, &j, (size_t)off + 20, SIZE_MAX));
  buffer_free(&j);
  strata_db *db = NULL;
  strata_status *st = open_mode(STRATA_RECOVERY_STRICT, &db);
  CHECK_EQ_U64(strata_status_code(st), STRATA_CORRUPTION);
  CHECK_MSG_HAS(st, "journal/1");
  CHECK_MSG_HAS(st, "not the newest");
  CHECK_MSG_HAS(st, "10 intact batches after it");
  strata_status_free(st);
  CHECK_OK(open_mode(STRATA_RECOVERY_POINT_IN_TIME, &db));
  strata_recovery_report rep;
  CHECK_OK(strata_get_recovery_report(db, &rep));
  CHECK_EQ_U64(rep.damaged_journal, 1);
  CHECK_EQ_U64(rep.damaged_offset, off);
  CHECK_EQ_U64(rep.batches_discarded, 10);
  CHECK_EQ_U64(history_prefix(db, 30, 1), 14);
  CHECK_OK(strata_close(db));
}

/* Journal 1 cut exactly before batch 5: every record left is whole, only the seqnos show it. */
static void non_newest_journal_truncated_at_record_boundary_is_detected(void) {
  CHECK_OK(make_history(three_sessions, 3));
  buffer j;
  buffer_init(&j);
  CHECK_OK(read_journal(1, &j));
  CHECK_OK(rewrite_journal(1, &j, (size_t)batch_offset(&j, 4), SIZE_MAX));
  buffer_free(&j);
  strata_db *db = NULL;
  strata_status *st = open_mode(STRATA_RECOVERY_STRICT, &db);
  CHECK_EQ_U64(strata_status_code(st), STRATA_CORRUPTION);
  CHECK_MSG_HAS(st, "journal/2");
  CHECK_MSG_HAS(st, "seqno 21 where 15 was due");
  CHECK_MSG_HAS(st, "at offset 8;");
  CHECK_MSG_HAS(st, "10 intact batches after it");
  strata_status_free(st);
  CHECK_OK(open_mode(STRATA_RECOVERY_POINT_IN_TIME, &db));
  strata_recovery_report rep;
  CHECK_OK(strata_get_recovery_report(db, &rep));
  CHECK_EQ_U64(rep.damaged_journal, 2);
  CHECK_EQ_U64(rep.damaged_offset, 8);
  CHECK_EQ_U64(rep.files_moved_to_lost, 1); /* journal 2, whole: nothing of it precedes the gap */
  CHECK_EQ_U64(rep.highest_seqno_seen, 30);
  CHECK_EQ_U64(history_prefix(db, 30, 1), 14);
  CHECK(file_exists("lost/journal-2"));
  CHECK_OK(strata_close(db));
  CHECK_OK(open_mode(STRATA_RECOVERY_STRICT, &db));
  CHECK_EQ_U64(history_prefix(db, 30, 1), 14);
  CHECK_OK(strata_close(db));
}

static void deleted_middle_journal_is_detected(void) {
  CHECK_OK(make_history(three_sessions, 3));
  CHECK_OK(vfs_remove(fs, journal_file(1)));
  strata_db *db = NULL;
  strata_status *st = open_mode(STRATA_RECOVERY_STRICT, &db);
  CHECK_EQ_U64(strata_status_code(st), STRATA_CORRUPTION);
  CHECK_MSG_HAS(st, "journal/2");
  CHECK_MSG_HAS(st, "seqno 21 where 11 was due");
  strata_status_free(st);
  CHECK_OK(open_mode(STRATA_RECOVERY_POINT_IN_TIME, &db));
  CHECK_EQ_U64(history_prefix(db, 30, 1), 10);
  CHECK_OK(strata_close(db));
}

/* The last journal holding batches deleted, with only an empty journal after it: no seqno can
 * show the loss, the missing journal number does. */
static void deleted_last_data_journal_before_an_empty_one_is_detected(void) {
  static const int sessions[3] = {10, 10, 0}; /* journal 2: opened and closed, empty */
  CHECK_OK(make_history(sessions, 3));
  CHECK_OK(vfs_remove(fs, journal_file(1)));
  strata_db *db = NULL;
  strata_status *st = open_mode(STRATA_RECOVERY_STRICT, &db);
  CHECK_EQ_U64(strata_status_code(st), STRATA_CORRUPTION);
  CHECK_MSG_HAS(st, "journal/1");
  CHECK_MSG_HAS(st, "missing");
  strata_status_free(st);
  CHECK_OK(open_mode(STRATA_RECOVERY_POINT_IN_TIME, &db));
  strata_recovery_report rep;
  CHECK_OK(strata_get_recovery_report(db, &rep));
  CHECK_EQ_U64(rep.damaged_journal, 1);
  CHECK_EQ_U64(history_prefix(db, 30, 1), 10);
  CHECK_OK(strata_close(db));
}

/* A crash mid-append leaves the newest journal ending inside a record: cut in strict mode too,
 * reported, and every batch before it kept. */
static void torn_tail_of_newest_journal_is_cut_and_reported(void) {
  CHECK_OK(make_history(three_sessions, 3));
  buffer j;
  buffer_init(&j);
  CHECK_OK(read_journal(2, &j));
  uint64_t off = batch_offset(&j, 9);
  size_t cut_len = (size_t)off + 40; /* batch 30, the last one, only partly on disk */
  CHECK_OK(rewrite_journal(2, &j, cut_len, SIZE_MAX));
  buffer_free(&j);
  strata_db *db = NULL;
  CHECK_OK(open_mode(STRATA_RECOVERY_STRICT, &db));
  strata_recovery_report rep;
  CHECK_OK(strata_get_recovery_report(db, &rep));
  CHECK_EQ_U64(rep.torn_bytes_cut, 40);
  CHECK_EQ_U64(rep.damaged, 0);
  CHECK_EQ_U64(rep.journals_replayed, 3);
  CHECK_EQ_U64(rep.batches_replayed, 29);
  CHECK_EQ_U64(rep.highest_seqno_seen, 29);
  CHECK_EQ_U64(history_prefix(db, 30, 1), 29);
  CHECK_OK(write_batches(db, 30, 30)); /* seqno 30 again, in a new journal */
  CHECK_OK(strata_close(db));
  CHECK_OK(read_journal(2, &j));
  CHECK_EQ_U64(j.len, off); /* cut on disk */
  buffer_free(&j);
  CHECK_OK(open_mode(STRATA_RECOVERY_STRICT, &db)); /* journal 2 is no longer the newest: fine */
  CHECK_EQ_U64(history_prefix(db, 30, 1), 30);
  CHECK_OK(strata_close(db));
}

/* Zeros after the last batch of the newest journal (a preallocated or zero-filled tail) are cut,
 * and not reported as torn bytes: they never held data. */
static void zero_filled_tail_of_newest_journal_is_cut(void) {
  CHECK_OK(make_history(three_sessions, 3));
  buffer j;
  buffer_init(&j);
  CHECK_OK(read_journal(2, &j));
  size_t len = j.len;
  CHECK_OK(buffer_reserve(&j, len + 100));
  memset(j.data + len, 0, 100);
  CHECK_OK(rewrite_journal(2, &j, len + 100, SIZE_MAX));
  strata_db *db = NULL;
  CHECK_OK(open_mode(STRATA_RECOVERY_STRICT, &db));
  strata_recovery_report rep;
  CHECK_OK(strata_get_recovery_report(db, &rep));
  CHECK_EQ_U64(rep.torn_bytes_cut, 0);
  CHECK(!rep.damaged);
  CHECK_EQ_U64(history_prefix(db, 30, 1), 30);
  CHECK_OK(strata_close(db));
  /* the same zeros at the end of journal 1, not the newest, are damage */
  CHECK_OK(read_journal(1, &j));
  len = j.len;
  CHECK_OK(buffer_reserve(&j, len + 100));
  memset(j.data + len, 0, 100);
  CHECK_OK(rewrite_journal(1, &j, len + 100, SIZE_MAX));
  buffer_free(&j);
  strata_status *st = open_mode(STRATA_RECOVERY_STRICT, &db);
  CHECK_EQ_U64(strata_status_code(st), STRATA_CORRUPTION);
  CHECK_MSG_HAS(st, "journal/1");
  strata_status_free(st);
}

static void damaged_journal_header_is_detected(void) {
  CHECK_OK(make_history(three_sessions, 3));
  buffer j;
  buffer_init(&j);
  CHECK_OK(read_journal(1, &j));
  CHECK_OK(rewrite_journal(1, &j, j.len, 1)); /* the magic */
  buffer_free(&j);
  strata_db *db = NULL;
  strata_status *st = open_mode(STRATA_RECOVERY_STRICT, &db);
  CHECK_EQ_U64(strata_status_code(st), STRATA_CORRUPTION);
  CHECK_MSG_HAS(st, "damaged journal header");
  CHECK_MSG_HAS(st, "at offset 0;");
  CHECK_MSG_HAS(st, "20 intact batches after it"); /* resynchronised past the bad header */
  strata_status_free(st);
  CHECK_OK(open_mode(STRATA_RECOVERY_POINT_IN_TIME, &db));
  strata_recovery_report rep;
  CHECK_OK(strata_get_recovery_report(db, &rep));
  CHECK_EQ_U64(rep.files_moved_to_lost, 2);
  CHECK_EQ_U64(rep.batches_discarded, 20);
  CHECK_EQ_U64(history_prefix(db, 30, 1), 10);
  CHECK_OK(strata_close(db));
}

static void recovery_mode_and_report_reject_bad_arguments(void) {
  strata_options *o = NULL;
  CHECK_OK(strata_options_new(&o));
  CHECK_CODE(strata_options_set_recovery_mode(o, (strata_recovery_mode)7), STRATA_INVALID_ARGUMENT);
  CHECK_CODE(strata_options_set_recovery_mode(o, (strata_recovery_mode)-1), STRATA_INVALID_ARGUMENT);
  CHECK_CODE(strata_options_set_recovery_mode(NULL, STRATA_RECOVERY_STRICT), STRATA_INVALID_ARGUMENT);
  CHECK_OK(strata_options_set_recovery_mode(o, STRATA_RECOVERY_POINT_IN_TIME));
  strata_recovery_report rep;
  CHECK_CODE(strata_get_recovery_report((strata_db *)(void *)o, &rep), STRATA_INVALID_ARGUMENT); /* not a db */
  strata_options_free(o);
  CHECK_CODE(strata_get_recovery_report(NULL, &rep), STRATA_NOT_OPEN);
  strata_db *db = NULL;
  CHECK_OK(open_mode(STRATA_RECOVERY_STRICT, &db));
  CHECK_CODE(strata_get_recovery_report(db, NULL), STRATA_INVALID_ARGUMENT);
  CHECK_OK(strata_get_recovery_report(db, &rep));
  CHECK_EQ_U64(rep.journals_replayed + rep.batches_replayed + rep.damaged + rep.files_moved_to_lost, 0);
  CHECK_OK(strata_close(db));
}

/*
 * Every byte of two small journals (3 batches each, ~200 bytes per file) flipped in turn: a strict
 * open fails with CORRUPTION (NOT_SUPPORTED for the version field: a newer format is possible) or
 * holds the whole history; a point-in-time open holds a prefix, and after a new write and a
 * reopen still exactly that prefix plus the new write.
 */
static void byte_flip_sweep_never_yields_a_wrong_state(void) {
  static const int sessions[2] = {3, 3};
  CHECK_OK(make_history(sessions, 2));
  buffer orig[2];
  for (int n = 0; n < 2; n++) {
    buffer_init(&orig[n]);
    CHECK_OK(read_journal(n, &orig[n]));
  }
  /* the folder as the history left it, restored before each trial */
  char *base = strdup(dir);
  int trials = 0, strict_detected = 0, pit_prefix = 0, failed = 0;
  for (int n = 0; n < 2 && !failed; n++) {
    for (size_t pos = 0; pos < orig[n].len && !failed; pos++) {
      for (int mode = 0; mode < 2 && !failed; mode++) {
        strata_status_free(vfs_remove_tree(fs, base));
        strata_status *st = vfs_mkdir(fs, base);
        if (!st) st = make_history(sessions, 2);
        if (!st) st = rewrite_journal(n, &orig[n], orig[n].len, pos);
        if (st) {
          harness_fail(__FILE__, __LINE__, "setup: %s", strata_status_message(st));
          strata_status_free(st);
          failed = 1;
          break;
        }
        trials++;
        strata_db *db = NULL;
        st = open_mode(mode ? STRATA_RECOVERY_POINT_IN_TIME : STRATA_RECOVERY_STRICT, &db);
        strata_code code = strata_status_code(st);
        strata_status_free(st);
        int in_version = pos >= 4 && pos < 8;
        if (code == STRATA_CORRUPTION || (code == STRATA_NOT_SUPPORTED && in_version)) {
          if (!mode) strict_detected++;
          else if (code != STRATA_NOT_SUPPORTED) {
            harness_fail(__FILE__, __LINE__, "journal %d byte %zu: point-in-time open failed (%s)", n, pos,
                         strata_code_name(code));
            failed = 1;
          }
          continue;
        }
        if (code != STRATA_OK) {
          harness_fail(__FILE__, __LINE__, "journal %d byte %zu: open failed with %s", n, pos, strata_code_name(code));
          failed = 1;
          continue;
        }
        int p = history_prefix(db, 6, 1);
        if (p < 0 || (!mode && p != 6)) {
          harness_fail(__FILE__, __LINE__, "journal %d byte %zu, %s: state is not %s (prefix %d)", n, pos,
                       mode ? "point-in-time" : "strict", mode ? "a prefix" : "the whole history", p);
          failed = 1;
        }
        if (mode) pit_prefix++;
        st = failed ? NULL : strata_put(db, "after", 5, "1", 1, 1);
        strata_status *cst = strata_close(db);
        if (!st) st = cst;
        else strata_status_free(cst);
        if (!st && !failed) st = open_mode(STRATA_RECOVERY_STRICT, &db);
        if (st) {
          harness_fail(__FILE__, __LINE__, "journal %d byte %zu: reopen: %s", n, pos, strata_status_message(st));
          strata_status_free(st);
          failed = 1;
          continue;
        }
        if (failed) continue;
        char got[16];
        int again = history_prefix(db, 6, 1);
        if (again != p || get_str(db, "after", got, sizeof got) != 1) {
          harness_fail(__FILE__, __LINE__, "journal %d byte %zu: after reopen prefix %d (was %d)", n, pos, again, p);
          failed = 1;
        }
        strata_status_free(strata_close(db));
      }
    }
  }
  printf("  sweep: %d trials, %d strict opens detected the damage, %d point-in-time opens held a prefix\n", trials,
         strict_detected, pit_prefix);
  CHECK(!failed);
  CHECK_EQ_U64(trials, 2 * (orig[0].len + orig[1].len));
  CHECK(strict_detected * 2 == trials); /* no flip goes unnoticed by a strict open */
  free(base);
  buffer_free(&orig[0]);
  buffer_free(&orig[1]);
}

/* A strict open that fails changes nothing, not even the torn tail it would otherwise cut. */
static void failed_strict_open_leaves_a_torn_newest_journal_uncut(void) {
  static const int sessions[3] = {10, 10, 1};
  CHECK_OK(make_history(sessions, 3));
  buffer j;
  buffer_init(&j);
  CHECK_OK(read_journal(2, &j));
  size_t torn_len = j.len - 10; /* batch 21 only partly there */
  CHECK_OK(rewrite_journal(2, &j, torn_len, SIZE_MAX));
  CHECK_OK(vfs_remove(fs, journal_file(1))); /* and journal 1 gone: nothing later shows the gap */
  strata_db *db = NULL;
  strata_status *st = open_mode(STRATA_RECOVERY_STRICT, &db);
  CHECK_EQ_U64(strata_status_code(st), STRATA_CORRUPTION);
  CHECK_MSG_HAS(st, "journal/1");
  CHECK_MSG_HAS(st, "missing");
  strata_status_free(st);
  CHECK_OK(read_journal(2, &j));
  CHECK_EQ_U64(j.len, torn_len);
  buffer_free(&j);
  CHECK_OK(open_mode(STRATA_RECOVERY_POINT_IN_TIME, &db));
  strata_recovery_report rep;
  CHECK_OK(strata_get_recovery_report(db, &rep));
  CHECK_EQ_U64(rep.damaged_journal, 1);
  CHECK_EQ_U64(rep.files_moved_to_lost, 1); /* journal 2, torn tail and all */
  CHECK_EQ_U64(history_prefix(db, 21, 1), 10);
  CHECK_OK(strata_close(db));
}

/* The continuity rule strict recovery relies on: the batches of the live journals carry every
 * seqno from flushed_seqno on, across memtable rotation, background flushes, explicit flushes and
 * reopens, so no legitimate history trips the seqno check. */
static void seqnos_stay_contiguous_across_rotation_flush_and_reopen(void) {
  uint64_t written = 0;
  for (int session = 0; session < 6; session++) {
    strata_options *o = NULL;
    CHECK_OK(strata_options_new(&o));
    EXPECT_OK(strata_options_set_memtable_size(o, 8 << 10)); /* rotates every ~100 writes */
    EXPECT_OK(strata_options_set_background_threads(o, session % 2));
    EXPECT_OK(strata_options_set_vfs(o, fs));
    strata_db *db = NULL;
    strata_status *st = strata_open(dir, o, &db);
    strata_options_free(o);
    CHECK_OK(st);
    strata_recovery_report rep;
    CHECK_OK(strata_get_recovery_report(db, &rep));
    CHECK_EQ_U64(rep.damaged, 0);
    CHECK_EQ_U64(rep.torn_bytes_cut, 0);
    CHECK(rep.highest_seqno_seen <= written); /* flushed batches are no longer in journals */
    if (session > 0) CHECK(rep.journals_replayed > 0);
    for (int i = 0; i < 400; i++) {
      char k[32], v[64];
      snprintf(k, sizeof k, "s%d-%03d", session, i);
      snprintf(v, sizeof v, "value-%d-%03d-padding-padding-padding", session, i);
      CHECK_OK(strata_put(db, k, strlen(k), v, strlen(v), 0));
      written++;
      if (i == 150 && session % 3 == 0) CHECK_OK(strata_flush(db));
    }
    strata_stats s;
    CHECK_OK(strata_get_stats(db, &s));
    CHECK_EQ_U64(s.seqno, written + 1); /* the next seqno: one per write, none skipped */
    CHECK_OK(strata_close(db));
  }
  strata_db *db = NULL;
  CHECK_OK(open_mode(STRATA_RECOVERY_STRICT, &db));
  char got[64];
  CHECK(get_str(db, "s0-000", got, sizeof got) == 1 && !strcmp(got, "value-0-000-padding-padding-padding"));
  CHECK(get_str(db, "s5-399", got, sizeof got) == 1 && !strcmp(got, "value-5-399-padding-padding-padding"));
  CHECK_OK(strata_close(db));
}

/*
 * Every length of each of two small journals: cutting the older one anywhere is detected by a
 * strict open (an incomplete record, or the seqno gap before the next journal's first batch);
 * cutting the newest one is a torn tail, and the open holds exactly the batches still whole.
 */
static void truncation_sweep_detects_older_and_cuts_newest(void) {
  static const int sessions[2] = {3, 3};
  CHECK_OK(make_history(sessions, 2));
  buffer orig[2];
  for (int n = 0; n < 2; n++) {
    buffer_init(&orig[n]);
    CHECK_OK(read_journal(n, &orig[n]));
  }
  char *base = strdup(dir);
  int trials = 0;
  for (int n = 0; n < 2; n++) {
    for (size_t len = 0; len < orig[n].len; len++) {
      strata_status_free(vfs_remove_tree(fs, base));
      CHECK_OK(vfs_mkdir(fs, base));
      CHECK_OK(make_history(sessions, 2));
      CHECK_OK(rewrite_journal(n, &orig[n], len, SIZE_MAX));
      trials++;
      strata_db *db = NULL;
      strata_status *st = open_mode(STRATA_RECOVERY_STRICT, &db);
      if (n == 0) {
        if (strata_status_code(st) != STRATA_CORRUPTION)
          harness_fail(__FILE__, __LINE__, "journal 0 cut to %zu bytes: strict open gave %s", len,
                       strata_code_name(strata_status_code(st)));
        strata_status_free(st);
        if (!st) strata_status_free(strata_close(db));
        if (harness_case_failed()) break;
        continue;
      }
      CHECK_OK(st);
      int whole = 0; /* batches of journal 1 entirely inside the first len bytes */
      for (int b = 1; b <= 3; b++)
        if (batch_offset(&orig[1], b) <= len) whole = b;
      strata_recovery_report rep;
      CHECK_OK(strata_get_recovery_report(db, &rep));
      int p = history_prefix(db, 6, 1);
      strata_status_free(strata_close(db));
      if (p != 3 + whole || rep.damaged ||
          rep.torn_bytes_cut != (len > 8 ? len - batch_offset(&orig[1], whole) : len == 8 ? 0 : len)) {
        harness_fail(__FILE__, __LINE__, "journal 1 cut to %zu bytes: prefix %d (want %d), torn %llu", len, p,
                     3 + whole, (unsigned long long)rep.torn_bytes_cut);
        break;
      }
    }
  }
  CHECK_EQ_U64(trials, orig[0].len + orig[1].len);
  free(base);
  buffer_free(&orig[0]);
  buffer_free(&orig[1]);
}

#define BOTH(fn)                                                       \
  harness_run_variant(#fn, "posix", setup_posix, fn, teardown);        \
  harness_run_variant(#fn, "memory", setup_memory, fn, teardown)

int main(void) {
  BOTH(journal_damage_in_middle_fails_open_strict);
  BOTH(journal_damage_point_in_time_opens_at_prefix_and_never_resurrects);
  BOTH(point_in_time_open_refused_while_flushing_reports_the_same_damage_again);
  BOTH(point_in_time_open_refused_at_any_creation_reports_the_damage_exactly_once);
  harness_run_variant("point_in_time_open_cut_by_a_crash_at_any_step_still_reports_the_damage", "memory", setup_memory,
                      point_in_time_open_cut_by_a_crash_at_any_step_still_reports_the_damage, teardown);
  BOTH(non_newest_journal_truncated_mid_record_is_detected);
  BOTH(non_newest_journal_truncated_at_record_boundary_is_detected);
  BOTH(deleted_middle_journal_is_detected);
  BOTH(deleted_last_data_journal_before_an_empty_one_is_detected);
  BOTH(torn_tail_of_newest_journal_is_cut_and_reported);
  BOTH(zero_filled_tail_of_newest_journal_is_cut);
  BOTH(damaged_journal_header_is_detected);
  BOTH(failed_strict_open_leaves_a_torn_newest_journal_uncut);
  BOTH(recovery_mode_and_report_reject_bad_arguments);
  BOTH(seqnos_stay_contiguous_across_rotation_flush_and_reopen);
  harness_run_variant("truncation_sweep_detects_older_and_cuts_newest", "memory", setup_memory,
                      truncation_sweep_detects_older_and_cuts_newest, teardown);
  harness_run_variant("byte_flip_sweep_never_yields_a_wrong_state", "memory", setup_memory,
                      byte_flip_sweep_never_yields_a_wrong_state, teardown);
  return harness_finish();
}
