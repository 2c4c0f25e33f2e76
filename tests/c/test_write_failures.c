/* Writes after a failed step: the handle keeps working once the failure is gone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "strata.h"
#include "util/status.h"
#include "vfs/vfs_fault.h"

/* A memory VFS under a fault VFS: the database runs on `fault`, whose refusals each test arms. */
typedef struct fault_fs {
  vfs *mem, *fault;
} fault_fs;

static strata_status *fault_fs_new(fault_fs *f) {
  f->mem = f->fault = NULL;
  STATUS_TRY(vfs_memory_new(&f->mem));
  strata_status *st = vfs_fault_new(f->mem, &f->fault);
  if (st) {
    vfs_destroy(f->mem);
    f->mem = NULL;
  }
  return st;
}

/* The wrapper first: it does not own the memory VFS. */
static void fault_fs_destroy(fault_fs *f) {
  vfs_destroy(f->fault);
  vfs_destroy(f->mem);
}

/* The nth file open from now (n >= 1) is refused with STRATA_BUSY ("would block"), once. */
static void refuse_nth_open(vfs *fault, uint64_t n) {
  vfs_fault_set_code(fault, STRATA_BUSY);
  vfs_fault_fail_nth(fault, VFS_FAULT_OPEN, n);
}

/* Closes db, then destroys f; returns the close's status. */
static strata_status *close_on(strata_db *db, fault_fs *f) {
  strata_status *st = strata_close(db);
  fault_fs_destroy(f);
  return st;
}

/* What a test's database is sized for (bits). Every one runs without background threads, so each
 * flush and compaction happens in the call that causes it. */
enum {
  DB_SMALL_MEMTABLE = 1, /* STRATA_MEMTABLE_SIZE_MIN: a rotation every few puts */
  DB_SMALL_TABLES = 2,   /* STRATA_TABLE_TARGET_SIZE_MIN: a table every ~20 entries */
  DB_SEPARATED = 4,      /* every value of 32 bytes or more in a blob file of ~1 KiB */
  /* a key-value separated database of ~1 KiB tables and blob files, rotations every few puts */
  DB_SMALL_SEPARATED = DB_SMALL_MEMTABLE | DB_SMALL_TABLES | DB_SEPARATED,
};

/* Opens "db" on v shaped as `shape` asks (0: the default sizes). */
static strata_status *open_db(vfs *v, unsigned shape, strata_db **db) {
  strata_options *o = NULL;
  STATUS_TRY(strata_options_new(&o));
  strata_status *st = strata_options_set_vfs(o, v);
  if (!st) st = strata_options_set_background_threads(o, 0);
  if (!st && (shape & DB_SMALL_MEMTABLE)) st = strata_options_set_memtable_size(o, STRATA_MEMTABLE_SIZE_MIN);
  if (!st && (shape & DB_SMALL_TABLES)) st = strata_options_set_table_target_size(o, STRATA_TABLE_TARGET_SIZE_MIN);
  if (!st && (shape & DB_SEPARATED))
    st = strata_options_set_kv_separation(o, 32, STRATA_BLOB_FILE_TARGET_SIZE_MIN, STRATA_COMPRESSION_NONE, 0.25, 0.25);
  if (!st) st = strata_open("db", o, db);
  strata_options_free(o);
  return st;
}

/* A database shaped `shape` on a new fault_fs (nothing armed yet). On failure nothing is left. */
static strata_status *fault_db_open(fault_fs *fs, unsigned shape, strata_db **db) {
  STATUS_TRY(fault_fs_new(fs));
  strata_status *st = open_db(fs->fault, shape, db);
  if (st) fault_fs_destroy(fs);
  return st;
}

/* Regression: a journal rotation that created the next journal but failed to write its header
 * left the file behind; every later rotation found it (exclusive create) and failed with
 * STRATA_EXISTS, so the handle took no write past a full memtable until it was reopened. */
static void failed_journal_rotation_leaves_no_file_that_blocks_the_next(void) {
  uint64_t injected = 0;
  int failures_seen = 0;
  for (uint64_t n = 1; n <= 40 && !harness_case_failed(); n++) {
    fault_fs fs;
    strata_db *db = NULL;
    CHECK_OK(fault_db_open(&fs, DB_SMALL_MEMTABLE, &db));
    vfs *fault = fs.fault;
    strata_status *st = NULL;
    vfs_fault_fail_nth(fault, VFS_FAULT_WRITE, n);
    char k[32], v[400];
    int failed = 0;
    for (int i = 0; i < 30; i++) {
      snprintf(k, sizeof k, "before%03d", i);
      snprintf(v, sizeof v, "value-%03d-%0360d", i, i); /* ~400 bytes: a rotation every ~10 puts */
      strata_status *pst = strata_put(db, k, strlen(k), v, strlen(v), 0);
      failed |= pst != NULL;
      strata_status_free(pst);
    }
    vfs_fault_counters c;
    vfs_fault_get_counters(fault, &c);
    injected += c.injected;
    vfs_fault_clear(fault);
    for (int i = 0; !st && i < 60; i++) {
      snprintf(k, sizeof k, "after%03d", i);
      st = strata_put(db, k, strlen(k), "x", 1, 0);
      if (st) st = status_wrap(st, "fault at write %llu, then put %d", (unsigned long long)n, i);
    }
    strata_status *cst = close_on(db, &fs);
    CHECK_OK(st);
    CHECK_OK(cst);
    failures_seen += failed;
  }
  CHECK(injected >= 20); /* most n fire within the puts (on the old code, write 16 was a new journal's header) */
  CHECK(failures_seen > 0);
}

/* 1 when key is visible with value `want` (NULL: absent), else 0. */
static int holds(strata_db *db, const char *key, const char *want) {
  int found = 0;
  void *v = NULL;
  size_t vlen = 0;
  strata_status *st = strata_get(db, NULL, key, strlen(key), &found, &v, &vlen);
  int ok = !st && (want ? found && vlen == strlen(want) && memcmp(v, want, vlen) == 0 : !found);
  strata_status_free(st);
  strata_free(v);
  return ok;
}

typedef struct wanted {
  const char *key, *value; /* value NULL: absent */
} wanted;

/* Reopens the database on fs->fault, then closes it and destroys fs: 1 when the reopen and the
 * close succeed and each of the n keys holds its value, else fails the case naming the first
 * that does not. */
static int reopened_holds(fault_fs *fs, const wanted *w, size_t n) {
  strata_db *db = NULL;
  strata_status *st = open_db(fs->fault, 0, &db);
  size_t i = 0;
  while (!st && i < n && holds(db, w[i].key, w[i].value)) i++;
  if (!st) st = strata_close(db);
  fault_fs_destroy(fs);
  if (st || i < n) {
    harness_fail(__FILE__, __LINE__, "after reopening: %s", st ? strata_status_message(st) : w[i].key);
    strata_status_free(st);
    return 0;
  }
  return 1;
}

static const char REJECTED_VALUE[] = "rejected-value-that-does-not-fit-in-the-room-left-rejected-value-that-does-not-fit";

/* A put whose journal append the storage refuses with STRATA_QUOTA (a browser's full origin;
 * the append lands what fits, then fails) is reported failed and never applied: not visible,
 * not brought back by a later write once there is room, not found after reopening. */
static void quota_refused_write_is_not_visible_before_or_after_reopen(void) {
  fault_fs fs;
  strata_db *db = NULL;
  CHECK_OK(fault_db_open(&fs, 0, &db)); /* the default sizes: no rotation during the test */
  vfs *fault = fs.fault;
  CHECK_OK(strata_put(db, "kept", 4, "before", 6, 1));
  vfs_fault_set_code(fault, STRATA_QUOTA);
  vfs_fault_enospc(fault, 10); /* 10 bytes of the record land, then the quota is full */
  CHECK_CODE(strata_put(db, "rejected", 8, REJECTED_VALUE, sizeof REJECTED_VALUE - 1, 0), STRATA_QUOTA);
  CHECK(holds(db, "rejected", NULL));
  CHECK_CODE(strata_put(db, "also-rejected", 13, REJECTED_VALUE, sizeof REJECTED_VALUE - 1, 1), STRATA_QUOTA);
  CHECK(holds(db, "also-rejected", NULL));
  vfs_fault_clear(fault); /* room again: later writes work, the refused ones stay out */
  CHECK_OK(strata_put(db, "after", 5, "room", 4, 1));
  CHECK(holds(db, "rejected", NULL));
  CHECK(holds(db, "after", "room"));
  CHECK_OK(strata_close(db));
  static const wanted after_reopen[] = {{"kept", "before"}, {"after", "room"}, {"rejected", NULL}, {"also-rejected", NULL}};
  CHECK(reopened_holds(&fs, after_reopen, sizeof after_reopen / sizeof after_reopen[0]));
}

/* A sync write whose journal sync the storage refuses with STRATA_QUOTA (a browser host that
 * could not store the bytes it had buffered) is cut off and not applied, and the journal stays
 * usable: the next write succeeds, and after reopening the refused one is absent. (A sync that
 * fails with STRATA_IO still poisons the journal: the OS may have dropped dirty pages.) */
static void quota_refused_journal_sync_is_not_applied_and_the_journal_stays_usable(void) {
  fault_fs fs;
  strata_db *db = NULL;
  CHECK_OK(fault_db_open(&fs, 0, &db)); /* the default sizes: no rotation during the test */
  vfs *fault = fs.fault;
  CHECK_OK(strata_put(db, "kept", 4, "before", 6, 0));
  vfs_fault_set_code(fault, STRATA_QUOTA);
  vfs_fault_fail_nth(fault, VFS_FAULT_SYNC, 1);
  CHECK_CODE(strata_put(db, "rejected", 8, "v", 1, 1), STRATA_QUOTA);
  CHECK(holds(db, "rejected", NULL));
  CHECK_OK(strata_put(db, "after", 5, "room", 4, 1));
  CHECK(holds(db, "after", "room"));
  CHECK(holds(db, "kept", "before"));
  vfs_fault_set_code(fault, STRATA_IO);
  vfs_fault_fail_nth(fault, VFS_FAULT_SYNC, 1);
  CHECK_CODE(strata_put(db, "io-rejected", 11, "v", 1, 1), STRATA_IO);
  CHECK_CODE(strata_put(db, "poisoned", 8, "v", 1, 1), STRATA_IO);
  strata_status_free(strata_close(db));
  static const wanted after_reopen[] = {
      {"kept", "before"}, {"after", "room"}, {"rejected", NULL}, {"io-rejected", NULL}, {"poisoned", NULL}};
  CHECK(reopened_holds(&fs, after_reopen, sizeof after_reopen / sizeof after_reopen[0]));
}

/* The ingest tests' entries: key%05d, a value whose tail is `vwidth` digits. */
static void ingest_entry(int i, int vwidth, char *k, size_t kcap, char *v, size_t vcap) {
  snprintf(k, kcap, "key%05d", i);
  snprintf(v, vcap, "value-%05d-%0*d", i, vwidth, i);
}

/* Adds entries 0..n-1, adding a refused one (STRATA_BUSY) again once: the storage is ready
 * again. Counts the refusals, and those naming a blob file. */
static strata_status *ingest_entries_retrying_busy(strata_ingest *in, int n, int vwidth, int *refused,
                                                   int *blob_refusals) {
  char k[32], v[96];
  strata_status *st = NULL;
  for (int i = 0; i < n && !st; i++) {
    ingest_entry(i, vwidth, k, sizeof k, v, sizeof v);
    st = strata_ingest_add(in, k, strlen(k), v, strlen(v));
    if (status_is(st, STRATA_BUSY)) {
      (*refused)++;
      if (strstr(strata_status_message(st), "blob file")) (*blob_refusals)++;
      strata_status_free(st);
      st = strata_ingest_add(in, k, strlen(k), v, strlen(v));
    }
  }
  return st;
}

/* 1 when db holds entries 0..n-1 with their values; else fails the case naming `what`. */
static int holds_ingested(strata_db *db, int n, int vwidth, const char *what) {
  char k[32], v[96], got[96];
  for (int i = 0; i < n; i++) {
    int found = 0;
    size_t len = 0;
    ingest_entry(i, vwidth, k, sizeof k, v, sizeof v);
    strata_status *st = strata_get_into(db, NULL, k, strlen(k), &found, got, sizeof got, &len);
    int ok = !st && found && len == strlen(v) && memcmp(got, v, len) == 0;
    strata_status_free(st);
    if (!ok) {
      harness_fail(__FILE__, __LINE__, "%s: %s is wrong", what, k);
      return 0;
    }
  }
  return 1;
}

/* An ingest whose next table the storage refuses to create with STRATA_BUSY ("would block": the
 * browser's OPFS pool had no file free) stays usable: that entry was not taken, and adding it
 * again once the storage is ready goes on, so the finished ingest holds every entry once. */
static void ingest_refused_with_busy_creating_a_table_takes_the_entry_again(void) {
  fault_fs fs;
  strata_db *db = NULL;
  strata_ingest *in = NULL;
  CHECK_OK(fault_db_open(&fs, DB_SMALL_TABLES, &db));
  CHECK_OK(strata_ingest_begin(db, &in));
  refuse_nth_open(fs.fault, 3); /* the third table's creation */
  int refused = 0, blob_refused = 0;
  strata_status *st = ingest_entries_retrying_busy(in, 200, 30, &refused, &blob_refused);
  uint64_t entries = 0;
  if (!st) st = strata_ingest_finish(in, &entries);
  else strata_ingest_abandon(in);
  CHECK_OK(st);
  CHECK_EQ_U64(refused, 1);
  CHECK_EQ_U64(blob_refused, 0);
  CHECK_EQ_U64(entries, 200);
  int ok = holds_ingested(db, 200, 30, "a table's creation refused");
  strata_status *cst = close_on(db, &fs);
  CHECK_OK(cst);
  CHECK(ok);
}

/* An ingest into a key-value separated database refused with STRATA_BUSY at any file it creates
 * (each table and each blob file: swept over every creation) stays usable exactly as at a table:
 * the refused entry was not taken, adding it again goes on, and the finished ingest holds every
 * entry once with its value. The old code ended the ingest at a blob file ("ingest failed before"
 * for every later entry). */
static void ingest_with_separation_refused_with_busy_creating_a_blob_file_takes_the_entry_again(void) {
  int blob_refusals = 0, table_refusals = 0;
  enum { N = 300 };
  for (uint64_t n = 1; n < 500 && !harness_case_failed(); n++) {
    fault_fs fs;
    strata_db *db = NULL;
    strata_ingest *in = NULL;
    CHECK_OK(fault_db_open(&fs, DB_SMALL_TABLES | DB_SEPARATED, &db)); /* every value separated */
    CHECK_OK(strata_ingest_begin(db, &in));
    refuse_nth_open(fs.fault, n);
    int refused = 0, blob_refused = 0;
    strata_status *st = ingest_entries_retrying_busy(in, N, 60, &refused, &blob_refused);
    blob_refusals += blob_refused;
    table_refusals += refused - blob_refused;
    vfs_fault_clear(fs.fault);
    uint64_t entries = 0;
    if (!st) st = strata_ingest_finish(in, &entries);
    else strata_ingest_abandon(in);
    int ok = 1;
    if (st) {
      harness_fail(__FILE__, __LINE__, "creation %llu refused: %s", (unsigned long long)n, strata_status_message(st));
      strata_status_free(st);
      ok = 0;
    }
    char what[64];
    snprintf(what, sizeof what, "creation %llu refused", (unsigned long long)n);
    if (ok) ok = holds_ingested(db, N, 60, what);
    strata_status *cst = close_on(db, &fs);
    CHECK_OK(cst);
    if (ok && entries != N) harness_fail(__FILE__, __LINE__, "creation %llu refused: %llu entries", (unsigned long long)n,
                                         (unsigned long long)entries);
    if (!refused) break; /* past the ingest's last creation */
  }
  CHECK(blob_refusals >= 10);
  CHECK(table_refusals >= 3);
}

/* --- a refusal at any file an open or an import creates ----------------------------------- */

enum { SEP_N = 200 };

static void sep_kv(int i, char *k, size_t kcap, char *v, size_t vcap) {
  snprintf(k, kcap, "key%05d", i);
  snprintf(v, vcap, "value-%05d-%060d", i, i);
}

/* SEP_N puts, some flushed to tables and blob files, the rest in the journal. */
static strata_status *write_separated(vfs *v) {
  strata_db *db = NULL;
  STATUS_TRY(open_db(v, DB_SMALL_SEPARATED, &db));
  strata_status *st = NULL;
  char k[32], val[96];
  for (int i = 0; i < SEP_N && !st; i++) {
    sep_kv(i, k, sizeof k, val, sizeof val);
    st = strata_put(db, k, strlen(k), val, strlen(val), 0);
    if (!st && i == SEP_N / 2) st = strata_flush(db);
  }
  strata_status *cst = strata_close(db);
  if (st) strata_status_free(cst);
  else st = cst;
  return st;
}

/* 1 when the database on `v` holds the first `keys` entries write_separated writes (and `extra` =
 * "x" when set). */
static int holds_separated(vfs *v, int keys, int extra, const char *what) {
  strata_db *db = NULL;
  strata_status *st = open_db(v, DB_SMALL_SEPARATED, &db);
  int ok = st == NULL;
  for (int i = 0; i < keys && ok; i++) {
    char k[32], want[96], got[96];
    sep_kv(i, k, sizeof k, want, sizeof want);
    int found = 0;
    size_t len = 0;
    st = strata_get_into(db, NULL, k, strlen(k), &found, got, sizeof got, &len);
    ok = !st && found && len == strlen(want) && memcmp(got, want, len) == 0;
  }
  if (ok && extra) ok = holds(db, "extra", "x");
  if (!ok) harness_fail(__FILE__, __LINE__, "%s: the data is wrong%s%s", what, st ? ": " : "", st ? strata_status_message(st) : "");
  strata_status_free(st);
  if (db) strata_status_free(strata_close(db));
  return ok;
}

typedef strata_status *(*attempt_fn)(vfs *v, void *ctx);

static vfs *armed; /* the fault wrapper of the sweep: refusals only during the attempt's own open */

static strata_status *attempt_open(vfs *v, void *ctx) {
  (void)ctx;
  strata_db *db = NULL;
  STATUS_TRY(open_db(v, DB_SMALL_SEPARATED, &db));
  if (v == armed) vfs_fault_clear(v);
  strata_status *st = strata_put(db, "extra", 5, "x", 1, 1); /* the opened database takes writes */
  strata_status *cst = strata_close(db);
  if (st) strata_status_free(cst);
  else st = cst;
  return st;
}

typedef struct image {
  unsigned char *data;
  size_t len, cap;
} image;

static int image_sink(void *ctx, const void *data, size_t len) {
  image *im = ctx;
  if (im->len + len > im->cap) {
    size_t cap = (im->len + len) * 2;
    unsigned char *grown = realloc(im->data, cap);
    if (!grown) return 1;
    im->data = grown;
    im->cap = cap;
  }
  memcpy(im->data + im->len, data, len);
  im->len += len;
  return 0;
}

static strata_status *attempt_import(vfs *v, void *ctx) {
  const image *im = ctx;
  strata_options *o = NULL;
  STATUS_TRY(strata_options_new(&o));
  strata_status *st = strata_options_set_vfs(o, v);
  if (!st) st = strata_import("db", o, im->data, im->len);
  strata_options_free(o);
  return st;
}

/* The attempt on a fresh copy made by `setup`, refused with STRATA_BUSY at its nth file open (every
 * n up to past its last), then run again on the plain backend: each refusal is STRATA_BUSY, the
 * run again completes, and the database holds what it should. Returns the refusals. */
static int sweep_refusals(strata_status *(*setup)(vfs *v), attempt_fn attempt, void *ctx, int extra, const char *what) {
  int refusals = 0;
  for (uint64_t n = 1; n < 1000 && !harness_case_failed(); n++) {
    fault_fs fs;
    strata_status *st = fault_fs_new(&fs);
    if (!st && setup) st = setup(fs.mem);
    if (st) {
      harness_fail(__FILE__, __LINE__, "%s: setup: %s", what, strata_status_message(st));
      strata_status_free(st);
      fault_fs_destroy(&fs);
      return refusals;
    }
    refuse_nth_open(fs.fault, n);
    armed = fs.fault;
    st = attempt(fs.fault, ctx);
    armed = NULL;
    vfs_fault_counters c;
    vfs_fault_get_counters(fs.fault, &c);
    vfs_destroy(fs.fault); /* the run again goes to the plain backend */
    fs.fault = NULL;
    int refused = c.injected > 0, ok = 1;
    char label[96];
    snprintf(label, sizeof label, "%s, open %llu refused", what, (unsigned long long)n);
    if (refused && !status_is(st, STRATA_BUSY)) {
      harness_fail(__FILE__, __LINE__, "%s: %s", label, st ? strata_status_message(st) : "no error");
      ok = 0;
    }
    strata_status_free(st);
    st = NULL;
    if (ok && refused) {
      refusals++;
      st = attempt(fs.mem, ctx);
      if (st) {
        harness_fail(__FILE__, __LINE__, "%s, then run again: %s", label, strata_status_message(st));
        strata_status_free(st);
        ok = 0;
      }
    }
    if (ok) ok = holds_separated(fs.mem, setup ? SEP_N : 0, extra, label);
    fault_fs_destroy(&fs);
    if (!ok || !refused) break;
  }
  return refusals;
}

/* An open (journal replay, a new journal, a torn-free restart of a separated database), the open
 * that creates a database (folder, manifest slot, journal), and an import (tables, blob files,
 * journal, manifest slot), each refused with STRATA_BUSY at any file it opens or creates, leave
 * nothing half done: run again on the same folder, each completes with the same result. */
static void busy_at_any_creation_of_an_open_or_an_import_is_taken_back_and_runs_again(void) {
  CHECK(sweep_refusals(write_separated, attempt_open, NULL, 1, "open of a database") >= 3);
  CHECK(sweep_refusals(NULL, attempt_open, NULL, 1, "open creating a database") >= 2);
  vfs *mem = NULL;
  CHECK_OK(vfs_memory_new(&mem));
  CHECK_OK(write_separated(mem));
  strata_db *db = NULL;
  image im = {NULL, 0, 0};
  CHECK_OK(open_db(mem, DB_SMALL_SEPARATED, &db));
  strata_status *st = strata_export_to(db, image_sink, &im);
  strata_status_free(strata_close(db));
  vfs_destroy(mem);
  CHECK_OK(st);
  CHECK(sweep_refusals(NULL, attempt_import, &im, 0, "import") >= 10);
  free(im.data);
}

/* An ingest's finish refused with STRATA_BUSY at any file it opens (the manifest slot the install
 * writes, swept over every open of the finish) installs nothing and keeps the ingest: the entries
 * stay invisible, and the finish run again installs every entry once. The old code ended the
 * ingest there (its files removed: the whole load to do again). */
static void ingest_finish_refused_with_busy_installs_nothing_and_runs_again(void) {
  int refusals = 0;
  for (uint64_t n = 1; n < 100 && !harness_case_failed(); n++) {
    fault_fs fs;
    strata_db *db = NULL;
    strata_ingest *in = NULL;
    CHECK_OK(fault_db_open(&fs, DB_SMALL_SEPARATED, &db));
    CHECK_OK(strata_ingest_begin(db, &in));
    vfs *fault = fs.fault;
    char k[32], v[96];
    strata_status *st = NULL;
    for (int i = 0; i < SEP_N && !st; i++) {
      sep_kv(i, k, sizeof k, v, sizeof v);
      st = strata_ingest_add(in, k, strlen(k), v, strlen(v));
    }
    CHECK_OK(st);
    refuse_nth_open(fault, n);
    uint64_t entries = 0;
    st = strata_ingest_finish(in, &entries);
    vfs_fault_counters c;
    vfs_fault_get_counters(fault, &c);
    vfs_fault_clear(fault);
    int refused = c.injected > 0, ok = 1;
    if (refused) {
      refusals++;
      ok = status_is(st, STRATA_BUSY) && holds(db, "key00000", NULL); /* nothing installed */
      if (!ok) harness_fail(__FILE__, __LINE__, "finish, open %llu refused: %s", (unsigned long long)n,
                            st ? strata_status_message(st) : "no error");
      strata_status_free(st);
      st = ok ? strata_ingest_finish(in, &entries) : NULL; /* the ingest is as it was */
      if (!ok) strata_ingest_abandon(in);
    }
    if (st) {
      harness_fail(__FILE__, __LINE__, "finish, open %llu refused, then again: %s", (unsigned long long)n,
                   strata_status_message(st));
      strata_status_free(st);
      ok = 0;
    }
    if (ok && entries != SEP_N) {
      harness_fail(__FILE__, __LINE__, "finish, open %llu refused: %llu entries", (unsigned long long)n,
                   (unsigned long long)entries);
      ok = 0;
    }
    CHECK_OK(strata_close(db));
    char label[64];
    snprintf(label, sizeof label, "finish, open %llu refused", (unsigned long long)n);
    if (ok) ok = holds_separated(fault, SEP_N, 0, label); /* and after a reopen */
    fault_fs_destroy(&fs);
    if (!ok || !refused) break;
  }
  CHECK(refusals >= 1);
}

int main(void) {
  RUN(failed_journal_rotation_leaves_no_file_that_blocks_the_next);
  RUN(quota_refused_write_is_not_visible_before_or_after_reopen);
  RUN(quota_refused_journal_sync_is_not_applied_and_the_journal_stays_usable);
  RUN(ingest_refused_with_busy_creating_a_table_takes_the_entry_again);
  RUN(ingest_with_separation_refused_with_busy_creating_a_blob_file_takes_the_entry_again);
  RUN(busy_at_any_creation_of_an_open_or_an_import_is_taken_back_and_runs_again);
  RUN(ingest_finish_refused_with_busy_installs_nothing_and_runs_again);
  return harness_finish();
}
