/*
 * Crash tests with real processes (kill -9 loops): a child writes and reports each acknowledged
 * write through a pipe; the parent kills it with SIGKILL at a random moment, reopens the
 * database and checks the state against the acknowledged history (ack_history.h): it must be
 * the history after some prefix k -- no reordering, nothing resurrected -- with every synced ack
 * inside k. kill -9 is not a power cut: the operating system keeps what the engine wrote, so an
 * unsynced ack must survive too; those losses are counted and fail the case as well
 * (STRATA_CRASH_ALLOW_UNSYNCED_LOSS=1 only counts them).
 *
 * The writes are a deterministic function of (round, index): puts, deletes and batches over a
 * fixed key space, so later rounds overwrite and delete what earlier rounds wrote. Modes: every
 * write synced with background flushes and compaction, no sync at all with background
 * compaction, every third write synced with the writer running maintenance steps itself, and
 * atomic batches. STRATA_CRASH_ROUNDS is the number of kills over all modes (default 52),
 * STRATA_CRASH_SEED the seed.
 */
#define _DEFAULT_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ack_history.h"
#include "harness.h"
#include "journal/journal_files.h"
#include "journal/journal_reader.h"
#include "strata.h"
#include "util/db_files.h"

#define CRASH_KEYS 2500

typedef struct crash_mode {
  const char *name;
  int sync_every;  /* 1: every write synced, 3: every third, 0: none */
  int background;  /* background flush and compaction threads */
  int batches;     /* writes are batches of several operations */
} crash_mode;

static strata_options *crash_options(const crash_mode *m) {
  strata_options *o = NULL;
  strata_status_free(strata_options_new(&o));
  if (!o) return NULL;
  /* rotations, flushes and compactions while writing */
  EXPECT_OK(strata_options_set_memtable_size(o, 32 << 10));
  EXPECT_OK(strata_options_set_table_target_size(o, 16 << 10));
  EXPECT_OK(strata_options_set_compaction_leveled(o, 2, 4));
  EXPECT_OK(strata_options_set_background_threads(o, m->background));
  return o;
}

static void key_for(uint32_t i, char *k, size_t cap) { snprintf(k, cap, "c%05u", i); }

/* One operation of write (round, index); `part` numbers the operations of a batch. */
typedef struct crash_op {
  uint32_t key;
  int del;
  char value[64];
} crash_op;

static int ops_for(const crash_mode *m, uint32_t round, uint32_t index, crash_op ops[4]) {
  harness_rng r = {((uint64_t)round << 32 | index) * 0x9E3779B97F4A7C15ull | 1};
  harness_rng_next(&r);
  int n = m->batches ? 1 + (int)(harness_rng_next(&r) % 4) : 1;
  for (int j = 0; j < n; j++) {
    ops[j].key = (uint32_t)(harness_rng_next(&r) % CRASH_KEYS);
    ops[j].del = harness_rng_next(&r) % 8 == 0;
    snprintf(ops[j].value, sizeof ops[j].value, "r%u-%u-%d-value-with-some-padding", round, index, j);
  }
  return n;
}

static int synced(const crash_mode *m, uint32_t index) { return m->sync_every && index % (uint32_t)m->sync_every == 0; }

/* The child: write until killed, acknowledging each write (its index) on ack_fd. */
static void child_writes(const char *dir, const crash_mode *m, uint32_t round, int ack_fd) {
  strata_options *o = crash_options(m);
  strata_db *db = NULL;
  if (!o || strata_open(dir, o, &db)) _exit(3);
  strata_batch *b = NULL;
  if (strata_batch_new(&b)) _exit(3);
  char k[16];
  crash_op ops[4];
  for (uint32_t i = 0;; i++) {
    int n = ops_for(m, round, i, ops);
    strata_batch_clear(b);
    for (int j = 0; j < n; j++) {
      key_for(ops[j].key, k, sizeof k);
      strata_status *st = ops[j].del ? strata_batch_delete(b, k, strlen(k))
                                     : strata_batch_put(b, k, strlen(k), ops[j].value, strlen(ops[j].value));
      if (st) _exit(4);
    }
    if (strata_write(db, b, synced(m, i))) _exit(4);
    if (write(ack_fd, &i, sizeof i) != sizeof i) _exit(5);
    if (!m->background && i % 64 == 63) { /* the host's maintenance: flushes and compactions */
      int more = 0;
      if (strata_maintenance_step(db, 1 << 20, &more)) _exit(6);
    }
  }
}

static void record_ops(ack_history *h, const crash_mode *m, uint32_t round, uint32_t index) {
  crash_op ops[4];
  int n = ops_for(m, round, index, ops);
  for (int j = 0; j < n; j++) {
    if (ops[j].del) ack_history_del(h, ops[j].key);
    else ack_history_put(h, ops[j].key, ops[j].value);
  }
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct crash_totals {
  long kills, acks, synced_acks, unsynced_lost, pending_applied;
} crash_totals;

static crash_totals totals; /* over all modes, printed at the end */

static void kill_loop(const crash_mode *m, int rounds, uint64_t seed) {
  harness_rng rng = {seed | 1};
  int strict_unsynced = !(getenv("STRATA_CRASH_ALLOW_UNSYNCED_LOSS") && atoi(getenv("STRATA_CRASH_ALLOW_UNSYNCED_LOSS")));
  vfs *fs = NULL;
  CHECK_OK(vfs_posix_new(&fs));
  char *dir = harness_temp_dir(fs, "crash");
  CHECK(dir != NULL);
  ack_history *h = ack_history_new(CRASH_KEYS);
  CHECK(h != NULL);
  static char *state[CRASH_KEYS];
  long lost_here = 0;
  for (int round = 0; round < rounds && !harness_case_failed(); round++) {
    int fds[2];
    CHECK(pipe(fds) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
      close(fds[0]);
      child_writes(dir, m, (uint32_t)round, fds[1]);
    }
    close(fds[1]);
    /* read acknowledgements until a random moment after the first, then kill mid-write */
    uint32_t ack = 0, next = 0;
    long long deadline = 0, wait_ms = 5 + (long long)(harness_rng_next(&rng) % 150);
    int child_gone = 0;
    for (;;) {
      long long left = deadline ? deadline - now_ms() : 10000;
      if (deadline && left <= 0) break;
      struct pollfd p = {fds[0], POLLIN, 0};
      if (poll(&p, 1, (int)left) <= 0) break;
      if (read(fds[0], &ack, sizeof ack) != sizeof ack) {
        child_gone = 1; /* it exited: an error in the writer */
        break;
      }
      if (ack != next) break;
      next++;
      if (!deadline) deadline = now_ms() + wait_ms;
    }
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    /* acknowledgements already in the pipe were written before the kill: count them too */
    while (read(fds[0], &ack, sizeof ack) == sizeof ack && ack == next) next++;
    close(fds[0]);
    if (child_gone || !WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
      harness_fail(__FILE__, __LINE__, "%s round %d: the writer exited by itself (status %d) after %u acks", m->name,
                   round, status, next);
      break;
    }
    CHECK(next > 0);
    for (uint32_t i = 0; i < next; i++) {
      record_ops(h, m, (uint32_t)round, i);
      ack_history_commit(h, synced(m, i));
      totals.acks++;
      totals.synced_acks += synced(m, i);
    }
    record_ops(h, m, (uint32_t)round, next); /* the write in flight may have happened */
    ack_history_commit_pending(h);
    totals.kills++;
    strata_options *o = crash_options(m);
    strata_db *db = NULL;
    CHECK_OK(strata_open(dir, o, &db)); /* the lock of the dead process does not block */
    char k[16];
    for (uint32_t i = 0; i < CRASH_KEYS; i++) {
      key_for(i, k, sizeof k);
      int found = 0;
      void *v = NULL;
      size_t vlen = 0;
      CHECK_OK(strata_get(db, NULL, k, strlen(k), &found, &v, &vlen));
      state[i] = NULL;
      if (found) {
        state[i] = malloc(vlen + 1);
        memcpy(state[i], v, vlen);
        state[i][vlen] = 0;
      }
      strata_free(v);
    }
    CHECK_OK(strata_close(db));
    strata_options_free(o);
    ack_match match;
    ack_history_match(h, (const char *const *)state, &match);
    for (uint32_t i = 0; i < CRASH_KEYS; i++) free(state[i]);
    if (!match.matched) {
      if (match.matches_below)
        harness_fail(__FILE__, __LINE__, "%s round %d: synced writes lost: the state is the history after %zu acks, "
                     "%zu were synced", m->name, round, match.below_k, ack_history_durable(h));
      else
        harness_fail(__FILE__, __LINE__, "%s round %d: the state is no prefix of the %zu acks (%zu keys differ, "
                     "first c%05zu)", m->name, round, ack_history_acks(h), match.diff_keys, match.first_key);
      break;
    }
    if (match.k < ack_history_acks(h)) {
      lost_here += (long)(ack_history_acks(h) - match.k);
      totals.unsynced_lost += (long)(ack_history_acks(h) - match.k);
    }
    if (match.k > ack_history_acks(h)) totals.pending_applied++;
    ack_history_rebase(h, match.k);
  }
  if (lost_here && strict_unsynced)
    harness_fail(__FILE__, __LINE__, "%s: %ld acknowledged unsynced writes lost to kill -9 (the OS had them)", m->name,
                 lost_here);
  ack_history_free(h);
  harness_temp_dir_remove(fs, dir);
  vfs_destroy(fs);
}

static int rounds_per_mode(void) {
  const char *env = getenv("STRATA_CRASH_ROUNDS");
  int total = env ? atoi(env) : 52;
  return total < 4 ? 1 : total / 4;
}

static uint64_t crash_seed(void) {
  const char *env = getenv("STRATA_CRASH_SEED");
  return env ? strtoull(env, NULL, 0) : 77;
}

static const crash_mode every_third = {"every third synced, maintenance steps", 3, 0, 0};
static const crash_mode all_synced = {"all synced, background compaction", 1, 1, 0};
static const crash_mode unsynced = {"no sync, background compaction", 0, 1, 0};
static const crash_mode batches = {"synced and unsynced batches, background compaction", 2, 1, 1};

static void acknowledged_writes_survive_kill_9(void) { kill_loop(&every_third, rounds_per_mode(), crash_seed()); }
static void synced_writes_survive_kill_9_during_background_compaction(void) {
  kill_loop(&all_synced, rounds_per_mode(), crash_seed() + 1);
}
static void unsynced_writes_survive_kill_9_during_background_compaction(void) {
  kill_loop(&unsynced, rounds_per_mode(), crash_seed() + 2);
}
static void batches_survive_kill_9_whole_or_not_at_all(void) { kill_loop(&batches, rounds_per_mode(), crash_seed() + 3); }


/* --- journals served from the posix backend's reserve (STRATA_VFS_OPEN_JOURNAL) ------------ */

#define FILL_VALUE 300 /* 5000 puts span more than one 1 MiB reserve chunk */

static void fill_value(uint32_t i, char *v) {
  for (int j = 0; j < FILL_VALUE; j++) v[j] = (char)('a' + (i * 7u + (uint32_t)j) % 26u);
}

static strata_options *fill_options(void) {
  strata_options *o = NULL;
  strata_status_free(strata_options_new(&o));
  if (o) EXPECT_OK(strata_options_set_memtable_size(o, 64u << 20)); /* one journal, no flush */
  return o;
}

/* The child: unsynced puts of keys from, from + 1, ... acknowledged on ack_fd until killed; with
 * stop_on_error, the first failed put is reported as UINT32_MAX followed by its code and ends it. */
static void child_fills(const char *dir, uint32_t from, int ack_fd, int stop_on_error) {
  strata_options *o = fill_options();
  strata_db *db = NULL;
  if (!o || strata_open(dir, o, &db)) _exit(3);
  char k[16], v[FILL_VALUE];
  for (uint32_t i = from;; i++) {
    key_for(i, k, sizeof k);
    fill_value(i, v);
    strata_status *st = strata_put(db, k, strlen(k), v, sizeof v, 0);
    if (st && stop_on_error) {
      uint32_t fail[2] = {UINT32_MAX, (uint32_t)strata_status_code(st)};
      fprintf(stderr, "the put failed as expected: %s\n", strata_status_message(st));
      if (write(ack_fd, fail, sizeof fail) != sizeof fail) _exit(5);
      _exit(0); /* no close: as a crash right after the refusal */
    }
    if (st) _exit(4);
    if (write(ack_fd, &i, sizeof i) != sizeof i) _exit(5);
  }
}

/* Reopens dir: the keys [0, acked) all hold their values, the open found no damage and cut at
 * most one record's worth of torn bytes (never the reserve's zeros). *present_out: the keys there. */
static void check_filled(const char *dir, uint32_t acked, uint32_t *present_out) {
  strata_options *o = fill_options();
  strata_db *db = NULL;
  CHECK_OK(strata_open(dir, o, &db)); /* strict: damage would fail it */
  strata_recovery_report rep;
  CHECK_OK(strata_get_recovery_report(db, &rep));
  CHECK(!rep.damaged);
  CHECK(rep.torn_bytes_cut < 2 * FILL_VALUE + 64); /* the put in flight at most */
  char k[16], v[FILL_VALUE];
  uint32_t present = 0;
  *present_out = 0;
  for (uint32_t i = 0; i < acked + 8; i++) {
    key_for(i, k, sizeof k);
    int found = 0;
    void *got = NULL;
    size_t len = 0;
    CHECK_OK(strata_get(db, NULL, k, strlen(k), &found, &got, &len));
    if (i < acked && !found) {
      harness_fail(__FILE__, __LINE__, "acknowledged put %u of %u lost", i, acked);
      strata_free(got);
      break;
    }
    if (found) {
      fill_value(i, v);
      CHECK(len == sizeof v && !memcmp(got, v, len));
      present++;
    }
    strata_free(got);
  }
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  *present_out = present;
}

/* After a clean close every journal ends at its last batch: no reserve, no zero tail. */
static void journals_end_at_their_last_batch(vfs *fs, const char *dir) {
  char *jdir = vfs_path_join(dir, DB_DIR_JOURNAL);
  CHECK(jdir != NULL);
  uint64_t *numbers = NULL;
  size_t count = 0;
  CHECK_OK(journal_list(fs, jdir, &numbers, &count));
  CHECK(count > 0);
  for (size_t i = 0; i < count; i++) {
    journal_recovery_report jr;
    CHECK_OK(journal_recover(fs, jdir, numbers[i], 0, NULL, NULL, &jr));
    CHECK(!jr.tail_cut);
    CHECK_EQ_U64(jr.zero_bytes, 0);
  }
  free(numbers);
  free(jdir);
}

/* Reads acks from fd until `want` arrived and then `extra_ms` passed (or the child ended);
 * returns how many consecutive acks from `from` came. */
static uint32_t read_acks(int fd, uint32_t from, uint32_t want, long long extra_ms, uint32_t fail[2]) {
  uint32_t next = from, ack = 0;
  long long deadline = 0;
  fail[0] = 0;
  for (;;) {
    long long left = deadline ? deadline - now_ms() : 20000;
    if (deadline && left <= 0) break;
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, (int)left) <= 0) break;
    if (read(fd, &ack, sizeof ack) != sizeof ack) break;
    if (ack == UINT32_MAX) {
      fail[0] = 1;
      if (read(fd, &fail[1], sizeof fail[1]) != sizeof fail[1]) fail[1] = 0;
      break;
    }
    if (ack != next) break;
    next++;
    if (!deadline && next - from >= want) deadline = now_ms() + extra_ms;
  }
  return next;
}

static void unsynced_puts_survive_kill_9_across_journal_reserve_chunks(void) {
  harness_rng rng = {crash_seed() * 31 | 1};
  vfs *fs = NULL;
  CHECK_OK(vfs_posix_new(&fs));
  char *dir = harness_temp_dir(fs, "fill");
  CHECK(dir != NULL);
  uint32_t acked = 0;
  for (int round = 0; round < 3 && !harness_case_failed(); round++) {
    int fds[2];
    CHECK(pipe(fds) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
      close(fds[0]);
      child_fills(dir, acked, fds[1], 0);
    }
    close(fds[1]);
    uint32_t fail[2];
    /* 5000 puts of 300 bytes: past a chunk boundary of the reserve; then kill mid-put */
    uint32_t next = read_acks(fds[0], acked, 5000 + (uint32_t)(harness_rng_next(&rng) % 2000),
                              (long long)(harness_rng_next(&rng) % 20), fail);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    uint32_t ack = 0;
    while (read(fds[0], &ack, sizeof ack) == sizeof ack && ack == next) next++;
    close(fds[0]);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    CHECK(next >= acked + 5000);
    uint32_t present = 0;
    check_filled(dir, next, &present);
    CHECK(present == next || present == next + 1); /* + the put in flight, if it made it */
    acked = present;
    journals_end_at_their_last_batch(fs, dir);
  }
  harness_temp_dir_remove(fs, dir);
  vfs_destroy(fs);
}

/* The file size limit makes the reserve's posix_fallocate fail (EFBIG) in the child, as a full
 * disk would (ENOSPC): the put that needed it fails with STRATA_IO and nothing acknowledged is
 * lost. */
static void refused_journal_reserve_fails_the_put_and_loses_nothing(void) {
  vfs *fs = NULL;
  CHECK_OK(vfs_posix_new(&fs));
  char *dir = harness_temp_dir(fs, "full");
  CHECK(dir != NULL);
  int fds[2];
  CHECK(pipe(fds) == 0);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    signal(SIGXFSZ, SIG_IGN); /* the limit then fails the call with EFBIG */
    struct rlimit lim = {(rlim_t)(2u << 20) + 4096, (rlim_t)(2u << 20) + 4096};
    if (setrlimit(RLIMIT_FSIZE, &lim) != 0) _exit(7);
    child_fills(dir, 0, fds[1], 1);
  }
  close(fds[1]);
  uint32_t fail[2];
  uint32_t next = read_acks(fds[0], 0, UINT32_MAX, 0, fail);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(fail[0] == 1);
  CHECK_EQ_U64(fail[1], STRATA_IO);
  CHECK(next > 3000); /* the first chunks were served; the third was refused */
  uint32_t present = 0;
  check_filled(dir, next, &present);
  CHECK(present == next);
  journals_end_at_their_last_batch(fs, dir);
  harness_temp_dir_remove(fs, dir);
  vfs_destroy(fs);
}

int main(void) {
  RUN(acknowledged_writes_survive_kill_9);
  RUN(synced_writes_survive_kill_9_during_background_compaction);
  RUN(unsynced_writes_survive_kill_9_during_background_compaction);
  RUN(batches_survive_kill_9_whole_or_not_at_all);
  RUN(unsynced_puts_survive_kill_9_across_journal_reserve_chunks);
  RUN(refused_journal_reserve_fails_the_put_and_loses_nothing);
  printf("kill -9: %ld kills, %ld acks (%ld synced), %ld unsynced acks lost, %ld in-flight writes applied\n",
         totals.kills, totals.acks, totals.synced_acks, totals.unsynced_lost, totals.pending_applied);
  return harness_finish();
}
