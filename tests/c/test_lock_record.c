/* lock_record + the folder lock protocol on the posix backend (posix_lock.c, docs/LOCKING.md):
 * the record's bytes, every damage refused, and the protocol's rules on real files. The
 * cross-runtime matrix (native, Node, WASI processes) is tests/js/lock_matrix.test.mjs. */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__EMSCRIPTEN__)
#include <emscripten.h>
#endif

#include "harness.h"
#include "vfs/lock_record.h"
#include "vfs/vfs.h"

#if !defined(__wasi__) && !defined(__EMSCRIPTEN__)
#define HAVE_FLOCK 1
#else
#define HAVE_FLOCK 0
#endif
/* Whether this build can always tell a dead process from a live one (WASI only when its host
 * preopened its /proc and named itself: can_check_processes). */
#if defined(__wasi__)
#define CAN_CHECK_PROCESSES 0
#else
#define CAN_CHECK_PROCESSES 1
#endif

/* Whether this run can tell a dead process from a live one. Under WASI the engine trusts the
 * host's /proc when it shows the host's process (src/vfs/posix_lock.c, wasi_sees_processes);
 * scripts/wasi-run.mjs preopens it unless --no-proc. */
static int can_check_processes(void) {
#if defined(__wasi__)
  const char *pid = getenv("STRATA_LOCK_PID");
  char name[64];
  struct stat sb;
  if (!pid || !*pid || !getenv("STRATA_LOCK_START")) return 0;
  snprintf(name, sizeof name, "/proc/%s/stat", pid);
  return stat(name, &sb) == 0;
#else
  return 1;
#endif
}

static const char golden[] =
  "strata-lock 1\nruntime native\npid 1234\nstart 5678\nhost host-1\nsince 1764580000123\n"
  "token 0123456789abcdef\ncrc32 1d8dd20e\n";

static lock_record sample(void) {
  lock_record r;
  memset(&r, 0, sizeof r);
  strcpy(r.runtime, "native");
  r.pid = 1234;
  r.start = 5678;
  lock_record_set_host(&r, "host-1");
  r.since = 1764580000123ull;
  strcpy(r.token, "0123456789abcdef");
  return r;
}

static void record_encodes_to_the_documented_bytes(void) {
  lock_record r = sample();
  char out[LOCK_RECORD_MAX];
  size_t len;
  CHECK_OK(lock_record_encode(&r, out, &len));
  CHECK_EQ_U64(len, strlen(golden));
  CHECK(memcmp(out, golden, len) == 0);
  CHECK_EQ_U64(lock_record_crc32("123456789", 9), 0xcbf43926u); /* the CRC-32 check value */
}

static void record_round_trips(void) {
  lock_record r = sample(), back;
  r.pid = UINT32_MAX;
  r.start = UINT64_MAX;
  r.since = 0;
  char host[LOCK_HOST_MAX + 1];
  memset(host, 'h', LOCK_HOST_MAX);
  host[LOCK_HOST_MAX] = 0;
  lock_record_set_host(&r, host);
  char out[LOCK_RECORD_MAX];
  size_t len;
  CHECK_OK(lock_record_encode(&r, out, &len));
  CHECK_OK(lock_record_decode(out, len, "LOCK", &back));
  CHECK(memcmp(&r, &back, sizeof r) == 0);
}

static void every_one_byte_change_of_a_record_is_refused(void) {
  size_t len = strlen(golden);
  char buf[sizeof golden];
  lock_record r;
  for (size_t i = 0; i < len; i++) {
    for (int v = 0; v < 256; v++) {
      if (v == (unsigned char)golden[i]) continue;
      memcpy(buf, golden, len);
      buf[i] = (char)v;
      strata_status *st = lock_record_decode(buf, len, "LOCK", &r);
      if (strata_status_code(st) != STRATA_CORRUPTION) {
        harness_fail(__FILE__, __LINE__, "byte %zu = 0x%02x decoded", i, v);
        strata_status_free(st);
        return;
      }
      strata_status_free(st);
    }
  }
  CHECK_OK(lock_record_decode(golden, len, "LOCK", &r));
}

static void every_truncation_and_extension_is_refused(void) {
  size_t len = strlen(golden);
  lock_record r;
  for (size_t n = 0; n < len; n++) CHECK_CODE(lock_record_decode(golden, n, "LOCK", &r), STRATA_CORRUPTION);
  char longer[sizeof golden + 1];
  memcpy(longer, golden, len);
  longer[len] = '\n';
  CHECK_CODE(lock_record_decode(longer, len + 1, "LOCK", &r), STRATA_CORRUPTION);
  char huge[LOCK_RECORD_MAX + 8];
  memset(huge, 'x', sizeof huge);
  CHECK_CODE(lock_record_decode(huge, sizeof huge, "LOCK", &r), STRATA_CORRUPTION);
}

/* Re-signs a hand-made body, so the decoder's field checks are reached past the checksum. */
static strata_status *decode_signed(const char *body) {
  char buf[2 * LOCK_RECORD_MAX];
  int n = snprintf(buf, sizeof buf, "%scrc32 %08lx\n", body, (unsigned long)lock_record_crc32(body, strlen(body)));
  lock_record r;
  return lock_record_decode(buf, (size_t)n, "LOCK", &r);
}

static void decoder_refuses_fields_out_of_range(void) {
  const char *t = "since 1\ntoken 0123456789abcdef\n";
  char body[1024];
  snprintf(body, sizeof body, "strata-lock 1\nruntime node\npid 4294967296\nstart 1\nhost h\n%s", t);
  CHECK_CODE(decode_signed(body), STRATA_CORRUPTION);
  snprintf(body, sizeof body, "strata-lock 1\nruntime node\npid 1\nstart 18446744073709551616\nhost h\n%s", t);
  CHECK_CODE(decode_signed(body), STRATA_CORRUPTION);
  snprintf(body, sizeof body, "strata-lock 1\nruntime node\npid 01\nstart 1\nhost h\n%s", t);
  CHECK_CODE(decode_signed(body), STRATA_CORRUPTION);
  snprintf(body, sizeof body, "strata-lock 1\nruntime Node\npid 1\nstart 1\nhost h\n%s", t);
  CHECK_CODE(decode_signed(body), STRATA_CORRUPTION);
  snprintf(body, sizeof body, "strata-lock 1\nruntime node\npid 1\nstart 1\nhost a b\n%s", t);
  CHECK_CODE(decode_signed(body), STRATA_CORRUPTION);
  char host[LOCK_HOST_MAX + 2];
  memset(host, 'h', LOCK_HOST_MAX + 1);
  host[LOCK_HOST_MAX + 1] = 0;
  snprintf(body, sizeof body, "strata-lock 1\nruntime node\npid 1\nstart 1\nhost %s\n%s", host, t);
  CHECK_CODE(decode_signed(body), STRATA_CORRUPTION);
  snprintf(body, sizeof body, "strata-lock 1\nruntime node\npid 1\nstart 1\nhost h\nsince 1\ntoken 0123456789ABCDEF\n");
  CHECK_CODE(decode_signed(body), STRATA_CORRUPTION);
  snprintf(body, sizeof body, "strata-lock 1\nruntime node\npid 1\nstart 1\nhost h\n%s", t);
  CHECK_OK(decode_signed(body)); /* the same body with good fields decodes */
}

static void encoder_refuses_fields_outside_the_format(void) {
  char out[LOCK_RECORD_MAX];
  size_t len;
  lock_record r = sample();
  strcpy(r.runtime, "Native");
  CHECK_CODE(lock_record_encode(&r, out, &len), STRATA_INVALID_ARGUMENT);
  r = sample();
  strcpy(r.token, "xyz");
  CHECK_CODE(lock_record_encode(&r, out, &len), STRATA_INVALID_ARGUMENT);
  r = sample();
  lock_record_set_host(&r, "a b\n\xc3\xa9");
  CHECK(strcmp(r.host, "a_b___") == 0);
  lock_record_set_host(&r, "");
  CHECK(strcmp(r.host, "?") == 0);
}

/* ---- the protocol on real files ---------------------------------------------------------------- */

static vfs *fs;
static char *dir;
static char lock_path[512];

static int setup(void) {
  fs = harness_open_fs(vfs_posix_new, "lock", &dir);
  if (fs) snprintf(lock_path, sizeof lock_path, "%s/LOCK", dir);
  return fs != NULL;
}

static void teardown(void) {
  harness_close_fs(fs, dir);
  fs = NULL;
  dir = NULL;
}

static int write_file(const char *path, const void *data, size_t n) {
  char tmp[600];
  snprintf(tmp, sizeof tmp, "%s.write", path);
  FILE *f = fopen(tmp, "wb");
  if (!f) return -1;
  size_t w = fwrite(data, 1, n, f);
  if (fclose(f) != 0 || w != n) return -1;
  return rename(tmp, path);
}

static int backdate(const char *path, int seconds) {
#if defined(__EMSCRIPTEN__)
  /* Emscripten 3.1.6's utimensat on NODERAWFS passes milliseconds where Node takes seconds. */
  char script[700];
  snprintf(script, sizeof script,
           "(function () { var t = Date.now() / 1000 - %d; require('fs').utimesSync(\"%s\", t, t); return 0; })()",
           seconds, path);
  return emscripten_run_script_int(script);
#else
  struct stat sb;
  if (stat(path, &sb) != 0) return -1;
  struct timespec times[2] = { { sb.st_mtime - seconds, 0 }, { sb.st_mtime - seconds, 0 } };
  return utimensat(AT_FDCWD, path, times, 0);
#endif
}

/* This process's record, as its own lock writes it. */
static int self_record(lock_record *out) {
  vfs_lock *l = NULL;
  buffer b;
  buffer_init(&b);
  strata_status *st = vfs_lock_acquire(fs, lock_path, &l);
  if (!st) st = vfs_read_file(fs, lock_path, &b);
  if (!st) st = lock_record_decode(b.data, b.len, lock_path, out);
  buffer_free(&b);
  strata_status *rst = vfs_lock_release(fs, l);
  int ok = !st && !rst;
  strata_status_free(st);
  strata_status_free(rst);
  return ok;
}

static int write_record(const lock_record *r) {
  char out[LOCK_RECORD_MAX];
  size_t len;
  strata_status *st = lock_record_encode(r, out, &len);
  if (st) {
    strata_status_free(st);
    return -1;
  }
  return write_file(lock_path, out, len);
}

static int message_has(strata_status *st, const char *a, const char *b) {
  const char *m = strata_status_message(st);
  int ok = strata_status_code(st) == STRATA_LOCKED && strstr(m, a) && (!b || strstr(m, b));
  if (!ok) harness_fail(__FILE__, __LINE__, "unexpected: %s %s", strata_code_name(strata_status_code(st)), m);
  strata_status_free(st);
  return ok;
}

static void lock_file_holds_our_record_and_unlock_removes_it(void) {
  lock_record self;
  CHECK(self_record(&self));
  CHECK(!strcmp(self.runtime, HAVE_FLOCK ? "native" : CAN_CHECK_PROCESSES ? "emscripten" : "wasi"));
  int exists = 1;
  CHECK_OK(vfs_exists(fs, lock_path, &exists, NULL));
  CHECK(!exists);
}

static void second_lock_in_this_process_names_this_process(void) {
  lock_record self;
  CHECK(self_record(&self));
  vfs_lock *a = NULL, *b = NULL;
  CHECK_OK(vfs_lock_acquire(fs, lock_path, &a));
  strata_status *st = vfs_lock_acquire(fs, lock_path, &b);
  /* WASI without a pid from its runner cannot tell itself from another process: still locked. */
  int ok = message_has(st, lock_path, self.pid ? "this process" : "remove");
  CHECK_OK(vfs_lock_release(fs, a));
  CHECK(ok);
  CHECK_OK(vfs_lock_acquire(fs, lock_path, &b));
  CHECK_OK(vfs_lock_release(fs, b));
}

static void unlock_leaves_the_lock_file_of_another_holder(void) {
  lock_record self;
  CHECK(self_record(&self));
  vfs_lock *a = NULL;
  CHECK_OK(vfs_lock_acquire(fs, lock_path, &a));
  lock_record other = self; /* what a Node holder's file looks like, once it replaced ours */
  strcpy(other.runtime, "node");
  other.pid = 77;
  strcpy(other.token, "00000000000000aa");
  CHECK(write_record(&other) == 0);
  CHECK_OK(vfs_lock_release(fs, a));
  int exists = 0;
  CHECK_OK(vfs_exists(fs, lock_path, &exists, NULL));
  CHECK(exists);
}

static void a_record_of_a_dead_process_is_taken_over(void) {
  lock_record self;
  CHECK(self_record(&self));
  lock_record dead = self;
  strcpy(dead.runtime, "node");
  dead.pid = 2147483647; /* above any pid_max: no such process */
  dead.start = 1;
  CHECK(write_record(&dead) == 0);
  vfs_lock *l = NULL;
  strata_status *st = vfs_lock_acquire(fs, lock_path, &l);
  if (can_check_processes() && self.pid) {
    CHECK_OK(st);
    CHECK_OK(vfs_lock_release(fs, l));
  } else {
    CHECK(message_has(st, "process 2147483647", "remove"));
  }
}

static void a_record_of_another_host_is_locked_with_a_hint(void) {
  lock_record self;
  CHECK(self_record(&self));
  lock_record far = self;
  lock_record_set_host(&far, "elsewhere.invalid");
  CHECK(write_record(&far) == 0);
  CHECK(backdate(lock_path, 3600) == 0);
  vfs_lock *l = NULL;
  CHECK(message_has(vfs_lock_acquire(fs, lock_path, &l), "host elsewhere.invalid", "remove"));
}

static void a_fresh_damaged_lock_is_locked_and_an_old_one_taken_over(void) {
  CHECK(write_file(lock_path, "{\"pid\":1", 8) == 0);
  vfs_lock *l = NULL;
  CHECK(message_has(vfs_lock_acquire(fs, lock_path, &l), "damaged", "remove"));
  CHECK(backdate(lock_path, 11) == 0);
  CHECK_OK(vfs_lock_acquire(fs, lock_path, &l));
  CHECK_OK(vfs_lock_release(fs, l));
  CHECK(write_file(lock_path, "", 0) == 0); /* what the flock-only lock left behind */
  CHECK(backdate(lock_path, 3600) == 0);
  CHECK_OK(vfs_lock_acquire(fs, lock_path, &l));
  CHECK_OK(vfs_lock_release(fs, l));
}

/* Every one-byte change of a stale lock file: the next open takes it over (nobody held it). */
static void every_one_byte_change_of_a_stale_lock_is_taken_over(void) {
  lock_record self;
  CHECK(self_record(&self));
  lock_record dead = self;
  strcpy(dead.runtime, "node");
  dead.pid = 2147483647;
  char rec[LOCK_RECORD_MAX];
  size_t len;
  CHECK_OK(lock_record_encode(&dead, rec, &len));
  static const unsigned char values[] = { 0x00, '0', '\n', ' ' };
  for (size_t i = 0; i < len; i++) {
    for (size_t k = 0; k < sizeof values + 1; k++) {
      char buf[LOCK_RECORD_MAX];
      memcpy(buf, rec, len);
      buf[i] = k < sizeof values ? (char)values[k] : (char)(rec[i] ^ 0x20);
      if (buf[i] == rec[i]) continue;
      CHECK(write_file(lock_path, buf, len) == 0);
      CHECK(backdate(lock_path, 60) == 0);
      vfs_lock *l = NULL;
      strata_status *st = vfs_lock_acquire(fs, lock_path, &l);
      if (st) {
        harness_fail(__FILE__, __LINE__, "byte %zu: %s", i, strata_status_message(st));
        strata_status_free(st);
        return;
      }
      CHECK_OK(vfs_lock_release(fs, l));
    }
  }
}

static void a_leftover_reclaim_mutex_blocks_only_while_young(void) {
  char mutex[600];
  snprintf(mutex, sizeof mutex, "%s.reclaim", lock_path);
  CHECK(write_file(mutex, "", 0) == 0);
  CHECK(write_file(lock_path, "damaged", 7) == 0);
  CHECK(backdate(lock_path, 60) == 0);
  vfs_lock *l = NULL;
  CHECK(message_has(vfs_lock_acquire(fs, lock_path, &l), "contended", NULL));
  CHECK(backdate(mutex, 60) == 0);
  CHECK_OK(vfs_lock_acquire(fs, lock_path, &l));
  CHECK_OK(vfs_lock_release(fs, l));
  int exists = 1;
  CHECK_OK(vfs_exists(fs, mutex, &exists, NULL));
  CHECK(!exists);
}

#if HAVE_FLOCK
static void a_native_holder_is_seen_even_with_a_damaged_record(void) {
  vfs_lock *a = NULL, *b = NULL;
  CHECK_OK(vfs_lock_acquire(fs, lock_path, &a));
  int fd = open(lock_path, O_WRONLY);
  CHECK(fd >= 0);
  CHECK(pwrite(fd, "XX", 2, 3) == 2); /* in place: the same file, under the holder's flock */
  close(fd);
  CHECK(backdate(lock_path, 3600) == 0);
  strata_status *st = vfs_lock_acquire(fs, lock_path, &b);
  int ok = message_has(st, "native process", "damaged");
  CHECK_OK(vfs_lock_release(fs, a));
  CHECK(ok);
  int exists = 1;
  CHECK_OK(vfs_exists(fs, lock_path, &exists, NULL));
  CHECK(!exists); /* its own file, damaged, still goes */
}
#endif

#if HAVE_FLOCK
/* The parent process runs: its record holds the lock, unless the start time says the pid was
 * reused by a newer process. */
static void a_live_pid_holds_unless_its_start_time_differs(void) {
  lock_record self;
  CHECK(self_record(&self));
  lock_record parent = self;
  strcpy(parent.runtime, "node");
  parent.pid = (uint32_t)getppid();
  char name[64], buf[1024];
  snprintf(name, sizeof name, "/proc/%lu/stat", (unsigned long)parent.pid);
  FILE *f = fopen(name, "r");
  CHECK(f != NULL);
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  CHECK(p != NULL);
  for (int field = 2; field < 22 && p; field++) p = strchr(p + 1, ' ');
  CHECK(p != NULL);
  parent.start = strtoull(p + 1, NULL, 10);
  CHECK(write_record(&parent) == 0);
  vfs_lock *l = NULL;
  char who[64];
  snprintf(who, sizeof who, "node process %lu", (unsigned long)parent.pid);
  CHECK(message_has(vfs_lock_acquire(fs, lock_path, &l), who, "lock taken"));
  parent.start += 1; /* the same pid, another process */
  CHECK(write_record(&parent) == 0);
  CHECK_OK(vfs_lock_acquire(fs, lock_path, &l));
  CHECK_OK(vfs_lock_release(fs, l));
}
#endif

#define CASE(fn) harness_run_variant(#fn, "posix", setup, fn, teardown)

int main(void) {
  RUN(record_encodes_to_the_documented_bytes);
  RUN(record_round_trips);
  RUN(every_one_byte_change_of_a_record_is_refused);
  RUN(every_truncation_and_extension_is_refused);
  RUN(decoder_refuses_fields_out_of_range);
  RUN(encoder_refuses_fields_outside_the_format);
  CASE(lock_file_holds_our_record_and_unlock_removes_it);
  CASE(second_lock_in_this_process_names_this_process);
  CASE(unlock_leaves_the_lock_file_of_another_holder);
  CASE(a_record_of_a_dead_process_is_taken_over);
  CASE(a_record_of_another_host_is_locked_with_a_hint);
  CASE(a_fresh_damaged_lock_is_locked_and_an_old_one_taken_over);
  CASE(every_one_byte_change_of_a_stale_lock_is_taken_over);
  CASE(a_leftover_reclaim_mutex_blocks_only_while_young);
#if HAVE_FLOCK
  CASE(a_native_holder_is_seen_even_with_a_damaged_record);
  CASE(a_live_pid_holds_unless_its_start_time_differs);
#endif
  return harness_finish();
}
