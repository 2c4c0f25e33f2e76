/*
 * Crash test with real processes: a child writes with sync on and reports each acknowledged
 * write through a pipe; the parent kills it with SIGKILL at a random moment, reopens the
 * database and checks that every acknowledged write survived and nothing after a gap did.
 * Fixed seeds in CI; STRATA_CRASH_SEED / STRATA_CRASH_ROUNDS for more locally.
 */
#define _DEFAULT_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "strata.h"

static strata_options *crash_options(void) {
  strata_options *o = NULL;
  strata_status_free(strata_options_new(&o));
  if (o) EXPECT_OK(strata_options_set_memtable_size(o, 32 << 10)); /* rotations and flushes while writing */
  return o;
}

static void key_for(uint32_t round, uint32_t i, char *k, size_t cap) {
  snprintf(k, cap, "r%02u-%06u", round, i);
}

/* The child: write until killed, acknowledging each synced write. */
static void child_writes(const char *dir, uint32_t round, int ack_fd) {
  strata_options *o = crash_options();
  strata_db *db = NULL;
  strata_status *st = strata_open(dir, o, &db);
  if (st) _exit(3);
  char k[32], v[64];
  for (uint32_t i = 0;; i++) {
    key_for(round, i, k, sizeof k);
    snprintf(v, sizeof v, "value-of-%s-with-some-padding", k);
    st = strata_put(db, k, strlen(k), v, strlen(v), i % 3 == 0); /* every third write synced */
    if (st) _exit(4);
    if (i % 3 == 0 && write(ack_fd, &i, sizeof i) != sizeof i) _exit(5);
  }
}

static void acknowledged_writes_survive_kill_9(void) {
  const char *env_seed = getenv("STRATA_CRASH_SEED"), *env_rounds = getenv("STRATA_CRASH_ROUNDS");
  uint64_t seed = env_seed ? strtoull(env_seed, NULL, 0) : 77;
  int rounds = env_rounds ? atoi(env_rounds) : 6;
  harness_rng rng = {seed | 1};
  vfs *fs = NULL;
  CHECK_OK(vfs_posix_new(&fs));
  char *dir = harness_temp_dir(fs, "crash");
  CHECK(dir != NULL);
  for (int round = 0; round < rounds; round++) {
    int fds[2];
    CHECK(pipe(fds) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
      close(fds[0]);
      child_writes(dir, (uint32_t)round, fds[1]);
    }
    close(fds[1]);
    /* read acknowledgements for a random while, then kill mid-write */
    uint32_t last_ack = 0, ack;
    int acked = 0;
    long wanted = 200 + (long)(harness_rng_next(&rng) % 3000);
    for (long n = 0; n < wanted && read(fds[0], &ack, sizeof ack) == sizeof ack; n++) {
      last_ack = ack;
      acked = 1;
    }
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    /* acknowledgements already in the pipe were written before the kill: count them too */
    while (read(fds[0], &ack, sizeof ack) == sizeof ack) {
      last_ack = ack;
      acked = 1;
    }
    close(fds[0]);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    CHECK(acked);
    strata_options *o = crash_options();
    strata_db *db = NULL;
    CHECK_OK(strata_open(dir, o, &db)); /* the lock of the dead process does not block */
    char k[32], v[64], got[64];
    int gap = 0;
    for (uint32_t i = 0; i <= last_ack + 64; i++) {
      key_for((uint32_t)round, i, k, sizeof k);
      snprintf(v, sizeof v, "value-of-%s-with-some-padding", k);
      int found = 0;
      size_t vlen = 0;
      CHECK_OK(strata_get_into(db, NULL, k, strlen(k), &found, got, sizeof got, &vlen));
      if (i <= last_ack) {
        if (!found || vlen != strlen(v) || memcmp(got, v, vlen)) {
          harness_fail(__FILE__, __LINE__, "round %d: acknowledged write %u of %u lost", round, i, last_ack);
          return;
        }
      } else if (!found) {
        gap = 1;
      } else if (gap) {
        harness_fail(__FILE__, __LINE__, "round %d: write %u survived after a lost one", round, i);
        return;
      }
    }
    CHECK_OK(strata_close(db));
    strata_options_free(o);
  }
  harness_temp_dir_remove(fs, dir);
  vfs_destroy(fs);
}

int main(void) {
  RUN(acknowledged_writes_survive_kill_9);
  return harness_finish();
}
