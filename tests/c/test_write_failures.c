/* Writes after a failed step: the handle keeps working once the failure is gone. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "strata.h"
#include "vfs/vfs_fault.h"

static strata_status *open_on(vfs *v, strata_db **db) {
  strata_options *o = NULL;
  strata_status *st = strata_options_new(&o);
  if (st) return st;
  st = strata_options_set_vfs(o, v);
  if (!st) st = strata_options_set_background_threads(o, 0);
  if (!st) st = strata_options_set_memtable_size(o, STRATA_MEMTABLE_SIZE_MIN); /* rotations every few puts */
  if (!st) st = strata_open("db", o, db);
  strata_options_free(o);
  return st;
}

/* Regression: a journal rotation that created the next journal but failed to write its header
 * left the file behind; every later rotation found it (exclusive create) and failed with
 * STRATA_EXISTS, so the handle took no write past a full memtable until it was reopened. */
static void failed_journal_rotation_leaves_no_file_that_blocks_the_next(void) {
  uint64_t injected = 0;
  int failures_seen = 0;
  for (uint64_t n = 1; n <= 40 && !harness_case_failed(); n++) {
    vfs *mem = NULL, *fault = NULL;
    CHECK_OK(vfs_memory_new(&mem));
    strata_status *st = vfs_fault_new(mem, &fault);
    strata_db *db = NULL;
    if (!st) st = open_on(fault, &db);
    if (st) {
      vfs_destroy(fault);
      vfs_destroy(mem);
      CHECK_OK(st);
    }
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
    strata_status *cst = strata_close(db);
    vfs_destroy(fault);
    vfs_destroy(mem);
    CHECK_OK(st);
    CHECK_OK(cst);
    failures_seen += failed;
  }
  CHECK(injected >= 20); /* most n fire within the puts (on the old code, write 16 was a new journal's header) */
  CHECK(failures_seen > 0);
}

int main(void) {
  RUN(failed_journal_rotation_leaves_no_file_that_blocks_the_next);
  return harness_finish();
}
