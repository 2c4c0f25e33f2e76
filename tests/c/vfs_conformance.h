/*
 * vfs_conformance.h -- one suite of cases for every storage backend, checking the contract in
 * include/strata_vfs.h method by method (results, error codes on bad input, EOF and append
 * semantics, replace, locks).
 *
 * It depends on nothing but the engine library, so it runs in the C tests (test_vfs: posix,
 * memory and the fault wrapper over both, native/asan/wasi builds) and inside the wasm module
 * against the JS hosts (strata_js_vfs_check, run by tests/js/vfs_node.test.mjs). A new backend
 * plugs in with one vfs_conformance_run() call.
 */
#ifndef STRATA_TESTS_VFS_CONFORMANCE_H
#define STRATA_TESTS_VFS_CONFORMANCE_H

#include "vfs/vfs.h"

/* How the suite gets a backend: make() gives a fresh one for each case (or the same one, for a
 * backend the caller owns), unmake() ends it (may be NULL: nothing to do). */
typedef struct vfs_conformance_backend {
  const char *label; /* "posix", "fault(memory)", "node", ... */
  strata_status *(*make)(void *ctx, vfs **out);
  void (*unmake)(void *ctx, vfs *v);
  void *ctx;
} vfs_conformance_backend;

/* Told the outcome of each case: failure is NULL when it passed, else what went wrong (a
 * message naming the check and the line). */
typedef void (*vfs_conformance_report)(void *ctx, const char *label, const char *case_name,
                                       const strata_status *failure);

/*
 * Runs every case against the backend, each in its own new folder root/<case>, removed after
 * the case. `root` is a folder that exists (or is created: its parent must exist); it is left
 * in place. Returns the number of failed cases.
 */
int vfs_conformance_run(const vfs_conformance_backend *b, const char *root, vfs_conformance_report report,
                        void *report_ctx);

/* The number of cases (each run reports this many outcomes). */
int vfs_conformance_case_count(void);

#endif
