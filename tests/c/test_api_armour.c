/*
 * API armour (src/db/handle.h): misuse of the public API is an error return, never undefined
 * behaviour. NULL handles and out-parameters, handles of the wrong type, snapshots of another
 * database, reads of an invalid iterator, closed handles (through handle-shaped memory the
 * test owns: a real closed handle's memory is freed, and reading it is what ASan forbids).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/handle.h"
#include "harness.h"
#include "strata.h"

static vfs *fs;
static char *dir;

static int setup(void) {
  fs = harness_open_fs(vfs_memory_new, "armour", &dir);
  return fs != NULL;
}

static void teardown(void) {
  harness_close_fs(fs, dir);
  fs = NULL;
  dir = NULL;
}

/* Opens <dir>/<name> on the test's backend, without background threads. */
static strata_status *open_named(const char *name, strata_db **db) {
  strata_options *o = NULL;
  STATUS_TRY(strata_options_new(&o));
  EXPECT_OK(strata_options_set_vfs(o, fs));
  EXPECT_OK(strata_options_set_background_threads(o, 0));
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  strata_status *st = strata_open(path, o, db);
  strata_options_free(o);
  return st;
}

/* Expects `code` with a message containing `text`; frees the status. */
#define CHECK_MSG(expr, code, text)                                                                 \
  do {                                                                                              \
    strata_status *msg_st_ = (expr);                                                                \
    if (strata_status_code(msg_st_) != (code) || !strstr(strata_status_message(msg_st_), (text))) { \
      harness_fail(__FILE__, __LINE__, "%s: expected %s with \"%s\", got %s (%s)", #expr,           \
                   strata_code_name(code), text, strata_code_name(strata_status_code(msg_st_)),     \
                   strata_status_message(msg_st_));                                                 \
      strata_status_free(msg_st_);                                                                  \
      return;                                                                                       \
    }                                                                                               \
    strata_status_free(msg_st_);                                                                    \
  } while (0)

static strata_status *put_keys(strata_db *db, int n) {
  char k[16];
  for (int i = 0; i < n; i++) {
    snprintf(k, sizeof k, "key%03d", i);
    STATUS_TRY(strata_put(db, k, strlen(k), k, strlen(k), 0));
  }
  return NULL;
}

/* Regression: strata_iterator_key on an exhausted iterator read past the merge iterator's heap
 * (ASan heap-buffer-overflow in merge_key). Now: NULL, length 0, and the status says why. */
static void iterator_key_on_invalid_iterator_returns_null(void) {
  if (!setup()) return;
  strata_db *db = NULL;
  CHECK_OK(open_named("db", &db));
  CHECK_OK(put_keys(db, 50));
  CHECK_OK(strata_flush(db)); /* tables and memtable both under the merge */
  CHECK_OK(put_keys(db, 10));
  strata_iterator *it = NULL;
  CHECK_OK(strata_iterator_new(db, NULL, NULL, &it));
  size_t len = 99;
  CHECK(strata_iterator_key(it, &len) == NULL && len == 0); /* never positioned */
  int n = 0;
  for (strata_iterator_seek_first(it); strata_iterator_valid(it); strata_iterator_next(it)) n++;
  CHECK_EQ_U64(n, 50);
  len = 99;
  CHECK(strata_iterator_key(it, &len) == NULL && len == 0); /* past the end */
  len = 99;
  CHECK(strata_iterator_value(it, &len) == NULL && len == 0);
  strata_iterator_next(it); /* stepping an invalid iterator does nothing */
  CHECK(!strata_iterator_valid(it));
  CHECK_MSG(strata_iterator_status(it), STRATA_INVALID_ARGUMENT, "strata_iterator_key: the iterator is not valid");
  CHECK_OK(strata_iterator_status(it)); /* reported once */
  /* and before the first entry, going backwards */
  for (strata_iterator_seek_last(it); strata_iterator_valid(it); strata_iterator_prev(it)) n--;
  CHECK_EQ_U64(n, 0);
  CHECK(strata_iterator_key(it, &len) == NULL && len == 0);
  CHECK_MSG(strata_iterator_status(it), STRATA_INVALID_ARGUMENT, "not valid");
  /* a valid iterator still reads, and a NULL length is refused without moving it */
  strata_iterator_seek(it, "key010", 6);
  const void *k = strata_iterator_key(it, &len);
  CHECK(k && len == 6 && memcmp(k, "key010", 6) == 0);
  CHECK(strata_iterator_key(it, NULL) == NULL);
  CHECK(strata_iterator_valid(it));
  CHECK_MSG(strata_iterator_status(it), STRATA_INVALID_ARGUMENT, "klen is NULL");
  CHECK(strata_iterator_value(it, NULL) == NULL);
  CHECK_MSG(strata_iterator_status(it), STRATA_INVALID_ARGUMENT, "strata_iterator_value: vlen is NULL");
  k = strata_iterator_value(it, &len);
  CHECK(k && len == 6 && memcmp(k, "key010", 6) == 0);
  strata_iterator_close(it);
  /* an empty database */
  CHECK_OK(strata_iterator_new_prefix(db, NULL, "none", 4, &it));
  strata_iterator_seek_first(it);
  CHECK(!strata_iterator_valid(it) && strata_iterator_key(it, &len) == NULL && len == 0);
  strata_iterator_close(it);
  CHECK_OK(strata_close(db));
  teardown();
}

static void snapshot_of_another_database_refused(void) {
  if (!setup()) return;
  strata_db *a = NULL, *b = NULL;
  CHECK_OK(open_named("a", &a));
  CHECK_OK(open_named("b", &b));
  CHECK_OK(strata_put(a, "k", 1, "from a", 6, 0));
  CHECK_OK(strata_put(b, "k", 1, "from b", 6, 0));
  strata_snapshot *snap = NULL;
  CHECK_OK(strata_snapshot_acquire(a, &snap));
  uint64_t seqno = strata_snapshot_seqno(snap);
  CHECK(seqno > 0);
  int found = 1;
  void *value = NULL;
  size_t vlen = 7;
  CHECK_MSG(strata_get(b, snap, "k", 1, &found, &value, &vlen), STRATA_INVALID_ARGUMENT, "another database");
  CHECK(!found && value == NULL && vlen == 0);
  char buf[16];
  CHECK_MSG(strata_get_into(b, snap, "k", 1, &found, buf, sizeof buf, &vlen), STRATA_INVALID_ARGUMENT,
            "another database");
  strata_iterator *it = (strata_iterator *)buf; /* must be reset to NULL on failure */
  CHECK_MSG(strata_iterator_new(b, snap, NULL, &it), STRATA_INVALID_ARGUMENT, "strata_iterator_new");
  CHECK(it == NULL);
  CHECK_MSG(strata_iterator_new_prefix(b, snap, "k", 1, &it), STRATA_INVALID_ARGUMENT, "another database");
  CHECK(it == NULL);
  /* its own database reads through it */
  CHECK_OK(strata_get(a, snap, "k", 1, &found, &value, &vlen));
  CHECK(found && vlen == 6 && memcmp(value, "from a", 6) == 0);
  strata_free(value);
  /* a later handle on the same folder may read through it (by design: it outlives its handle) */
  CHECK_OK(strata_put(a, "k", 1, "newer", 5, 0));
  CHECK_OK(strata_close(a));
  CHECK_OK(open_named("a", &a));
  CHECK_OK(strata_get_into(a, snap, "k", 1, &found, buf, sizeof buf, &vlen));
  CHECK(found && vlen == 6 && memcmp(buf, "from a", 6) == 0);
  CHECK_MSG(strata_get_into(b, snap, "k", 1, &found, buf, sizeof buf, &vlen), STRATA_INVALID_ARGUMENT,
            "another database");
  CHECK_EQ_U64(strata_snapshot_seqno(snap), seqno);
  strata_snapshot_release(snap);
  CHECK_OK(strata_close(a));
  CHECK_OK(strata_close(b));
  teardown();
}

static void null_out_parameters_refused(void) {
  if (!setup()) return;
  CHECK_MSG(strata_options_new(NULL), STRATA_INVALID_ARGUMENT, "strata_options_new: out is NULL");
  CHECK_MSG(strata_batch_new(NULL), STRATA_INVALID_ARGUMENT, "strata_batch_new: out is NULL");
  CHECK_MSG(strata_open("x", NULL, NULL), STRATA_INVALID_ARGUMENT, "strata_open: out is NULL");
  strata_db *db = NULL;
  CHECK_OK(open_named("db", &db));
  CHECK_OK(strata_put(db, "k", 1, "v", 1, 0));
  int found = 0;
  void *value = NULL;
  size_t vlen = 0;
  char buf[8];
  CHECK_MSG(strata_get(db, NULL, "k", 1, NULL, &value, &vlen), STRATA_INVALID_ARGUMENT, "found is NULL");
  CHECK_MSG(strata_get(db, NULL, "k", 1, &found, NULL, &vlen), STRATA_INVALID_ARGUMENT, "value is NULL");
  CHECK_MSG(strata_get(db, NULL, "k", 1, &found, &value, NULL), STRATA_INVALID_ARGUMENT, "vlen is NULL");
  CHECK_MSG(strata_get_into(db, NULL, "k", 1, NULL, buf, sizeof buf, &vlen), STRATA_INVALID_ARGUMENT,
            "found is NULL");
  CHECK_MSG(strata_get_into(db, NULL, "k", 1, &found, buf, sizeof buf, NULL), STRATA_INVALID_ARGUMENT,
            "vlen is NULL");
  CHECK_MSG(strata_get_into(db, NULL, "k", 1, &found, NULL, 8, &vlen), STRATA_INVALID_ARGUMENT,
            "buf is NULL but cap is 8");
  CHECK_OK(strata_get_into(db, NULL, "k", 1, &found, NULL, 0, &vlen)); /* no buffer: the length only */
  CHECK(found && vlen == 1);
  CHECK_MSG(strata_snapshot_acquire(db, NULL), STRATA_INVALID_ARGUMENT, "out is NULL");
  CHECK_MSG(strata_iterator_new(db, NULL, NULL, NULL), STRATA_INVALID_ARGUMENT, "out is NULL");
  CHECK_MSG(strata_iterator_new_prefix(db, NULL, "k", 1, NULL), STRATA_INVALID_ARGUMENT, "out is NULL");
  CHECK_MSG(strata_maintenance_step(db, 1, NULL), STRATA_INVALID_ARGUMENT, "more is NULL");
  CHECK_MSG(strata_maintenance_events(db, NULL), STRATA_INVALID_ARGUMENT, "events is NULL");
  CHECK_MSG(strata_get_stats(db, NULL), STRATA_INVALID_ARGUMENT, "out is NULL");
  /* bytes given as NULL with a length */
  CHECK_MSG(strata_put(db, NULL, 3, "v", 1, 0), STRATA_INVALID_ARGUMENT, "key is NULL but klen is 3");
  CHECK_MSG(strata_put(db, "k", 1, NULL, 2, 0), STRATA_INVALID_ARGUMENT, "value is NULL but vlen is 2");
  CHECK_MSG(strata_delete(db, NULL, 1, 0), STRATA_INVALID_ARGUMENT, "strata_delete: key is NULL");
  CHECK_MSG(strata_single_delete(db, NULL, 1, 0), STRATA_INVALID_ARGUMENT, "strata_single_delete: key is NULL");
  CHECK_MSG(strata_get(db, NULL, NULL, 1, &found, &value, &vlen), STRATA_INVALID_ARGUMENT, "key is NULL");
  CHECK_OK(strata_put(db, NULL, 0, NULL, 0, 0)); /* NULL with length 0 is the empty key / value */
  CHECK_OK(strata_get(db, NULL, NULL, 0, &found, &value, &vlen));
  CHECK(found && vlen == 0);
  strata_free(value);
  strata_iterator *it = NULL;
  CHECK_MSG(strata_iterator_new_prefix(db, NULL, NULL, 2, &it), STRATA_INVALID_ARGUMENT, "prefix is NULL");
  strata_range r = {STRATA_INCLUDED, NULL, 4, STRATA_UNBOUNDED, NULL, 0};
  CHECK_MSG(strata_iterator_new(db, NULL, &r, &it), STRATA_INVALID_ARGUMENT, "range lo is NULL but lo_len is 4");
  CHECK_MSG(strata_drop_range(db, &r), STRATA_INVALID_ARGUMENT, "strata_drop_range: range lo is NULL");
  r.lo_kind = (strata_bound)7;
  CHECK_MSG(strata_iterator_new(db, NULL, &r, &it), STRATA_INVALID_ARGUMENT, "lo_kind 7 is not a strata_bound");
  r.lo_kind = STRATA_UNBOUNDED; /* an unbounded end ignores its key */
  CHECK_OK(strata_iterator_new(db, NULL, &r, &it));
  strata_iterator_seek(it, NULL, 5);
  CHECK_MSG(strata_iterator_status(it), STRATA_INVALID_ARGUMENT, "strata_iterator_seek: key is NULL");
  strata_iterator_seek_for_prev(it, NULL, 5);
  CHECK_MSG(strata_iterator_status(it), STRATA_INVALID_ARGUMENT, "strata_iterator_seek_for_prev: key is NULL");
  strata_iterator_seek(it, NULL, 0); /* the empty key: first entry */
  CHECK(strata_iterator_valid(it));
  CHECK_OK(strata_iterator_status(it));
  strata_iterator_close(it);
  strata_batch *b = NULL;
  CHECK_OK(strata_batch_new(&b));
  CHECK_MSG(strata_batch_put(b, NULL, 1, "v", 1), STRATA_INVALID_ARGUMENT, "strata_batch_put: key is NULL");
  CHECK_MSG(strata_batch_put(b, "k", 1, NULL, 1), STRATA_INVALID_ARGUMENT, "value is NULL");
  CHECK_MSG(strata_batch_delete(b, NULL, 1), STRATA_INVALID_ARGUMENT, "strata_batch_delete: key is NULL");
  CHECK_MSG(strata_batch_single_delete(b, NULL, 1), STRATA_INVALID_ARGUMENT, "key is NULL");
  CHECK_EQ_U64(strata_batch_count(b), 0);
  strata_batch_free(b);
  CHECK_OK(strata_close(db));
  teardown();
}

static void null_handles_refused(void) {
  size_t len = 5;
  int more = 1;
  strata_stats stats;
  CHECK_MSG(strata_put(NULL, "k", 1, "v", 1, 0), STRATA_NOT_OPEN, "strata_put: database is not open");
  CHECK_MSG(strata_flush(NULL), STRATA_NOT_OPEN, "strata_flush");
  CHECK_MSG(strata_compact(NULL, 1), STRATA_NOT_OPEN, "strata_compact");
  CHECK_MSG(strata_drop_range(NULL, NULL), STRATA_NOT_OPEN, "strata_drop_range");
  CHECK_MSG(strata_maintenance_step(NULL, 1, &more), STRATA_NOT_OPEN, "strata_maintenance_step");
  uint64_t events = 0;
  CHECK_MSG(strata_maintenance_events(NULL, &events), STRATA_NOT_OPEN, "strata_maintenance_events");
  CHECK(more == 0);
  CHECK_MSG(strata_get_stats(NULL, &stats), STRATA_NOT_OPEN, "strata_get_stats");
  CHECK_MSG(strata_batch_put(NULL, "k", 1, "v", 1), STRATA_INVALID_ARGUMENT, "the batch handle is NULL");
  CHECK_MSG(strata_iterator_status(NULL), STRATA_INVALID_ARGUMENT, "the iterator handle is NULL");
  CHECK(strata_iterator_key(NULL, &len) == NULL && len == 0);
  CHECK(strata_iterator_valid(NULL) == 0);
  CHECK_EQ_U64(strata_snapshot_seqno(NULL), 0);
  CHECK_EQ_U64(strata_batch_count(NULL), 0);
  /* the void functions do nothing; the releasing ones accept NULL as free() does */
  strata_iterator_seek_first(NULL);
  strata_iterator_next(NULL);
  strata_iterator_close(NULL);
  strata_snapshot_release(NULL);
  strata_batch_clear(NULL);
  strata_batch_free(NULL);
  strata_options_free(NULL);
  CHECK_OK(strata_close(NULL));
  CHECK_MSG(strata_options_set_sync(NULL, 1), STRATA_INVALID_ARGUMENT, "the options handle is NULL");
  CHECK_MSG(strata_options_set_map_tables(NULL, 0), STRATA_INVALID_ARGUMENT, "the options handle is NULL");
  CHECK_EQ_U64(strata_xxh3_64(NULL, 10), 0);
  CHECK(strata_xxh3_64(NULL, 0) == strata_xxh3_64("", 0));
  if (!setup()) return;
  strata_db *db = NULL;
  CHECK_OK(open_named("db", &db));
  CHECK_MSG(strata_write(db, NULL, 0), STRATA_INVALID_ARGUMENT, "strata_write: the batch handle is NULL");
  CHECK_OK(strata_close(db));
  teardown();
}

static void wrong_type_handle_refused(void) {
  if (!setup()) return;
  strata_db *db = NULL;
  CHECK_OK(open_named("db", &db));
  CHECK_OK(strata_put(db, "k", 1, "v", 1, 0));
  strata_snapshot *snap = NULL;
  strata_iterator *it = NULL;
  strata_batch *b = NULL;
  strata_options *o = NULL;
  CHECK_OK(strata_snapshot_acquire(db, &snap));
  CHECK_OK(strata_iterator_new(db, NULL, NULL, &it));
  CHECK_OK(strata_batch_new(&b));
  CHECK_OK(strata_options_new(&o));
  int found = 0;
  char buf[8];
  size_t len = 0;
  CHECK_MSG(strata_put((strata_db *)snap, "k", 1, "v", 1, 0), STRATA_INVALID_ARGUMENT,
            "strata_put: expected a database handle, got a snapshot handle");
  CHECK_MSG(strata_write((strata_db *)b, b, 0), STRATA_INVALID_ARGUMENT, "got a batch handle");
  CHECK_MSG(strata_write(db, (strata_batch *)db, 0), STRATA_INVALID_ARGUMENT,
            "expected a batch handle, got a database handle");
  CHECK_MSG(strata_get_into(db, (strata_snapshot *)it, "k", 1, &found, buf, sizeof buf, &len),
            STRATA_INVALID_ARGUMENT, "expected a snapshot handle, got an iterator handle");
  strata_db *other = db;
  CHECK_MSG(strata_open(dir, (strata_options *)db, &other), STRATA_INVALID_ARGUMENT,
            "expected an options handle, got a database handle");
  CHECK(other == NULL); /* a failed open resets its out-parameter */
  strata_snapshot *snap2 = snap;
  CHECK_MSG(strata_snapshot_acquire((strata_db *)o, &snap2), STRATA_INVALID_ARGUMENT, "got an options handle");
  CHECK(snap2 == NULL);
  uint64_t seqno = strata_snapshot_seqno(snap);
  CHECK(seqno > 0);
  CHECK_MSG(strata_batch_put((strata_batch *)it, "k", 1, "v", 1), STRATA_INVALID_ARGUMENT, "expected a batch");
  CHECK_MSG(strata_iterator_status((strata_iterator *)snap), STRATA_INVALID_ARGUMENT, "expected an iterator");
  CHECK(strata_iterator_valid((strata_iterator *)b) == 0);
  CHECK(strata_iterator_key((strata_iterator *)b, &len) == NULL && len == 0);
  CHECK_EQ_U64(strata_snapshot_seqno((strata_snapshot *)db), 0);
  CHECK_EQ_U64(strata_batch_count((strata_batch *)o), 0);
  /* not a handle at all */
  char junk[64] = "definitely not a database";
  CHECK_MSG(strata_flush((strata_db *)junk), STRATA_INVALID_ARGUMENT, "not a database handle");
  /* the releasing functions leave a foreign handle alone: each still works afterwards */
  strata_iterator_close((strata_iterator *)snap);
  strata_snapshot_release((strata_snapshot *)it);
  strata_batch_free((strata_batch *)db);
  strata_options_free((strata_options *)b);
  CHECK_MSG(strata_close((strata_db *)it), STRATA_INVALID_ARGUMENT, "strata_close: expected a database handle");
  CHECK_EQ_U64(strata_snapshot_seqno(snap), seqno);
  strata_iterator_seek_first(it);
  CHECK(strata_iterator_valid(it));
  CHECK_OK(strata_batch_put(b, "b", 1, "1", 1));
  CHECK_OK(strata_options_set_sync(o, 1));
  CHECK_MSG(strata_options_set_sync((strata_options *)snap, 1), STRATA_INVALID_ARGUMENT, "expected an options handle");
  CHECK_OK(strata_write(db, b, 0));
  strata_iterator_close(it);
  strata_snapshot_release(snap);
  strata_batch_free(b);
  strata_options_free(o);
  CHECK_OK(strata_close(db));
  teardown();
}

/* A closed handle's tag is the closed tag (handle.h). A real one lives in freed memory, which no
 * test may read, so the checks are driven through memory shaped like a closed handle. */
static void closed_handles_report_not_open(void) {
  if (!setup()) return;
  strata_db *db = NULL;
  CHECK_OK(open_named("db", &db));
  uint64_t closed_db[8] = {0}, closed_it[8] = {0}, closed_snap[8] = {0}, closed_batch[8] = {0};
  uint32_t tag = HANDLE_CLOSED(HANDLE_DB);
  memcpy(closed_db, &tag, sizeof tag);
  tag = HANDLE_CLOSED(HANDLE_ITERATOR);
  memcpy(closed_it, &tag, sizeof tag);
  tag = HANDLE_CLOSED(HANDLE_SNAPSHOT);
  memcpy(closed_snap, &tag, sizeof tag);
  tag = HANDLE_CLOSED(HANDLE_BATCH);
  memcpy(closed_batch, &tag, sizeof tag);
  CHECK_MSG(strata_put((strata_db *)closed_db, "k", 1, "v", 1, 0), STRATA_NOT_OPEN,
            "strata_put: the database handle was already closed");
  CHECK_MSG(strata_close((strata_db *)closed_db), STRATA_NOT_OPEN, "already closed");
  strata_iterator *it = (strata_iterator *)closed_it;
  size_t len = 3;
  CHECK(strata_iterator_key(it, &len) == NULL && len == 0);
  CHECK(!strata_iterator_valid(it));
  strata_iterator_next(it);
  strata_iterator_close(it); /* a second close does nothing */
  CHECK_MSG(strata_iterator_status(it), STRATA_NOT_OPEN, "the iterator handle was already closed");
  int found = 0;
  char buf[4];
  CHECK_MSG(strata_get_into(db, (strata_snapshot *)closed_snap, "k", 1, &found, buf, 4, &len), STRATA_NOT_OPEN,
            "the snapshot handle was already released");
  strata_snapshot_release((strata_snapshot *)closed_snap);
  CHECK_MSG(strata_batch_put((strata_batch *)closed_batch, "k", 1, "v", 1), STRATA_NOT_OPEN, "already freed");
  CHECK_MSG(strata_write(db, (strata_batch *)closed_batch, 0), STRATA_NOT_OPEN, "already freed");
  strata_batch_free((strata_batch *)closed_batch);
  /* a closed handle of one type where another is expected is still a wrong type */
  CHECK_MSG(strata_write(db, (strata_batch *)closed_it, 0), STRATA_INVALID_ARGUMENT, "iterator handle (closed)");
  /* nothing above was touched beyond its tag */
  CHECK(closed_db[1] == 0 && closed_it[1] == 0 && closed_snap[1] == 0 && closed_batch[1] == 0);
  CHECK_OK(strata_close(db));
  teardown();
}

/* The armour keeps the by-design lifetimes: iterators and snapshots outlive their database. */
static void iterator_and_snapshot_outlive_their_database(void) {
  if (!setup()) return;
  strata_db *db = NULL;
  CHECK_OK(open_named("db", &db));
  CHECK_OK(put_keys(db, 20));
  strata_snapshot *snap = NULL;
  CHECK_OK(strata_snapshot_acquire(db, &snap));
  uint64_t seqno = strata_snapshot_seqno(snap);
  CHECK_OK(put_keys(db, 30));
  strata_iterator *it = NULL;
  CHECK_OK(strata_iterator_new(db, snap, NULL, &it));
  CHECK_OK(strata_close(db));
  int n = 0;
  for (strata_iterator_seek_first(it); strata_iterator_valid(it); strata_iterator_next(it)) {
    size_t len = 0;
    CHECK(strata_iterator_key(it, &len) != NULL && len == 6);
    n++;
  }
  CHECK_EQ_U64(n, 20);
  CHECK_OK(strata_iterator_status(it));
  CHECK(seqno > 20);
  CHECK_EQ_U64(strata_snapshot_seqno(snap), seqno);
  strata_iterator_close(it);
  strata_snapshot_release(snap);
  teardown();
}

int main(void) {
  RUN(iterator_key_on_invalid_iterator_returns_null);
  RUN(snapshot_of_another_database_refused);
  RUN(null_out_parameters_refused);
  RUN(null_handles_refused);
  RUN(wrong_type_handle_refused);
  RUN(closed_handles_report_not_open);
  RUN(iterator_and_snapshot_outlive_their_database);
  return harness_finish();
}
