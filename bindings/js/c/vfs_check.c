/*
 * vfs_check.c -- runs the storage conformance suite (tests/c/vfs_conformance.c) inside the real
 * wasm module, so the JS tests can hold the JS hosts (and the memory backend, for comparison)
 * to the same contract as the C backends: the backend itself, and the fault wrapper over it with
 * no fault armed.
 *
 * strata_js_vfs_check(v, dir) creates `dir` (its parent must exist), runs every case in a folder
 * of its own under it and removes it at the end. It returns NULL when every case passed, or an
 * error listing each failed case and why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strata_js.h"
#include "vfs/vfs_fault.h"
#include "vfs_conformance.h"

typedef struct check_report {
  int cases, failed;
  size_t len;
  char text[4096];
} check_report;

static void note_case(void *ctx, const char *label, const char *case_name, const strata_status *failure) {
  check_report *r = ctx;
  r->cases++;
  if (!failure) return;
  r->failed++;
  if (r->len + 1 >= sizeof r->text) return;
  int n = snprintf(r->text + r->len, sizeof r->text - r->len, "%s%s[%s]: %s", r->len ? "; " : "", case_name,
                   label, strata_status_message(failure));
  if (n > 0) r->len += (size_t)n < sizeof r->text - r->len ? (size_t)n : sizeof r->text - r->len - 1;
}

/* The backend under test is the caller's: every case gets it as it is, or wrapped. */
static strata_status *given(void *ctx, vfs **out) {
  *out = ctx;
  return NULL;
}

static strata_status *wrapped(void *ctx, vfs **out) { return vfs_fault_new(ctx, out); }
static void unwrap(void *ctx, vfs *v) {
  (void)ctx;
  vfs_destroy(v);
}

strata_status *strata_js_vfs_check(vfs *v, const char *dir) {
  STATUS_TRY(vfs_mkdir(v, dir));
  check_report r = {0, 0, 0, {0}};
  char fault_label[64];
  snprintf(fault_label, sizeof fault_label, "fault(%s)", vfs_name(v));
  char *plain_root = vfs_path_join(dir, "plain");
  char *fault_root = vfs_path_join(dir, "fault");
  strata_status *st = NULL;
  if (!plain_root || !fault_root) st = status_no_memory();
  if (!st) {
    vfs_conformance_backend plain = {vfs_name(v), given, NULL, v};
    vfs_conformance_backend fault = {fault_label, wrapped, unwrap, v};
    vfs_conformance_run(&plain, plain_root, note_case, &r);
    vfs_conformance_run(&fault, fault_root, note_case, &r);
    if (r.failed)
      st = status_new(STRATA_IO, "vfs conformance (%s): %d of %d cases failed: %s", vfs_name(v), r.failed,
                      r.cases, r.text);
  }
  strata_status *rst = vfs_remove_tree(v, dir);
  if (!st) st = rst;
  else strata_status_free(rst);
  free(plain_root);
  free(fault_root);
  return st;
}

#if STRATA_THREADS
#include <pthread.h>

typedef struct check_job {
  vfs *v;
  const char *dir;
  strata_status *st;
} check_job;

static void *check_thread(void *arg) {
  check_job *job = arg;
  job->st = strata_js_vfs_check(job->v, job->dir);
  return NULL;
}

/* The same walk on a background thread while this thread waits in pthread_join: in the wasm
 * pthreads build every backend call is proxied to the main thread, as the engine's flush and
 * compaction threads would do. */
strata_status *strata_js_vfs_check_threaded(vfs *v, const char *dir) {
  check_job job = {v, dir, NULL};
  pthread_t t;
  if (pthread_create(&t, NULL, check_thread, &job) != 0)
    return status_new(STRATA_IO, "vfs check: cannot start a thread");
  pthread_join(t, NULL);
  return job.st;
}
#else
strata_status *strata_js_vfs_check_threaded(vfs *v, const char *dir) {
  (void)v;
  (void)dir;
  return status_new(STRATA_NOT_SUPPORTED, "vfs check: this build has no threads");
}
#endif
