/*
 * vfs_check.c -- a conformance walk over any VFS, exported so the JS tests can run it against
 * the JS backends (and the memory backend, for comparison) inside the real wasm module.
 *
 * strata_js_vfs_check(v, dir) uses `dir` (which must not exist yet) and removes it at the end.
 * It returns NULL when every step behaved as vfs.h promises, or an error naming the step.
 */
#include <stdlib.h>
#include <string.h>

#include "strata_js.h"
#include "util/db_files.h"

typedef struct listing {
  int files, dirs;
  int saw_data, saw_sub;
} listing;

static strata_status *count_entry(void *ctx, const char *name, int is_dir) {
  listing *l = ctx;
  if (is_dir) l->dirs++;
  else l->files++;
  if (!strcmp(name, "data") && !is_dir) l->saw_data = 1;
  if (!strcmp(name, "sub") && is_dir) l->saw_sub = 1;
  return NULL;
}

#define STEP(what, expr)                                                   \
  do {                                                                     \
    strata_status *step_st_ = (expr);                                      \
    if (step_st_) {                                                        \
      st = status_wrap(step_st_, "vfs check (%s): %s", vfs_name(v), what); \
      goto done;                                                           \
    }                                                                      \
  } while (0)

#define EXPECT(what, cond)                                                                   \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      st = status_new(STRATA_IO, "vfs check (%s): %s: expected %s", vfs_name(v), what, #cond); \
      goto done;                                                                             \
    }                                                                                        \
  } while (0)

#define EXPECT_CODE(what, expr, code)                                                             \
  do {                                                                                            \
    strata_status *code_st_ = (expr);                                                             \
    strata_code got_ = strata_status_code(code_st_);                                              \
    strata_status_free(code_st_);                                                                 \
    if (got_ != (code)) {                                                                         \
      st = status_new(STRATA_IO, "vfs check (%s): %s: expected %s, got %s", vfs_name(v), what,    \
                      strata_code_name(code), strata_code_name(got_));                            \
      goto done;                                                                                  \
    }                                                                                             \
  } while (0)

strata_status *strata_js_vfs_check(vfs *v, const char *dir) {
  strata_status *st = NULL;
  vfs_file *f = NULL, *g = NULL;
  vfs_lock *lock = NULL;
  char *data = vfs_path_join(dir, "data");
  char *sub = vfs_path_join(dir, "sub");
  char *manifest = vfs_path_join(dir, "manifest");
  char *lockp = vfs_path_join(dir, DB_FILE_LOCK);
  char *missing = vfs_path_join(dir, "missing");
  uint8_t big[70000];
  uint8_t back[70000];
  size_t n = 0;
  uint64_t size = 0;
  int exists = 0, is_dir = 0;
  if (!data || !sub || !manifest || !lockp || !missing) {
    st = status_no_memory();
    goto done;
  }
  for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 31 + (i >> 8));

  STEP("mkdir", vfs_mkdir(v, dir));
  STEP("mkdir again", vfs_mkdir(v, dir));
  STEP("mkdir sub", vfs_mkdir(v, sub));
  STEP("exists dir", vfs_exists(v, dir, &exists, &is_dir));
  EXPECT("exists dir", exists && is_dir);
  STEP("exists missing", vfs_exists(v, missing, &exists, &is_dir));
  EXPECT("exists missing", !exists);
  EXPECT_CODE("open missing", vfs_open(v, missing, VFS_OPEN_READ, &g), STRATA_NOT_FOUND);

  STEP("create", vfs_open(v, data, VFS_OPEN_READ | VFS_OPEN_WRITE | VFS_OPEN_CREATE | VFS_OPEN_EXCLUSIVE, &f));
  EXPECT_CODE("exclusive create of an existing file",
              vfs_open(v, data, VFS_OPEN_WRITE | VFS_OPEN_CREATE | VFS_OPEN_EXCLUSIVE, &g), STRATA_EXISTS);
  STEP("append", vfs_file_append(f, big, 1000));
  STEP("append more", vfs_file_append(f, big + 1000, sizeof big - 1000));
  STEP("size", vfs_file_size(f, &size));
  EXPECT("size after appends", size == sizeof big);
  STEP("write at offset", vfs_file_write(f, 10, "0123456789", 10));
  STEP("sync", vfs_file_sync(f));
  STEP("read all", vfs_file_read(f, 0, back, sizeof back, &n));
  EXPECT("read all length", n == sizeof back);
  EXPECT("read head", !memcmp(back, big, 10) && !memcmp(back + 10, "0123456789", 10));
  EXPECT("read tail", !memcmp(back + 20, big + 20, sizeof big - 20));
  STEP("read past end", vfs_file_read(f, sizeof big - 5, back, 100, &n));
  EXPECT("short read at end of file", n == 5 && !memcmp(back, big + sizeof big - 5, 5));
  STEP("read beyond end", vfs_file_read(f, sizeof big + 100, back, 100, &n));
  EXPECT("empty read beyond end", n == 0);
  STEP("truncate", vfs_file_truncate(f, 500));
  STEP("size after truncate", vfs_file_size(f, &size));
  EXPECT("size after truncate", size == 500);
  STEP("close", vfs_file_close(f));
  f = NULL;

  STEP("reopen read-only", vfs_open(v, data, VFS_OPEN_READ, &f));
  STEP("read after reopen", vfs_file_read(f, 0, back, 1000, &n));
  EXPECT("contents survive reopen", n == 500 && !memcmp(back + 20, big + 20, 480));
  STEP("close read-only", vfs_file_close(f));
  f = NULL;

  STEP("open with truncate", vfs_open(v, data, VFS_OPEN_WRITE | VFS_OPEN_TRUNCATE, &f));
  STEP("size after open with truncate", vfs_file_size(f, &size));
  EXPECT("open with truncate empties", size == 0);
  STEP("close truncated", vfs_file_close(f));
  f = NULL;

  STEP("replace (new)", vfs_replace(v, manifest, "first", 5));
  STEP("replace (over)", vfs_replace(v, manifest, "second!", 7));
  {
    buffer b;
    buffer_init(&b);
    strata_status *rst = vfs_read_file(v, manifest, &b);
    int ok = !rst && b.len == 7 && !memcmp(b.data, "second!", 7);
    buffer_free(&b);
    STEP("read replaced", rst);
    EXPECT("replace swapped the contents", ok);
  }

  {
    listing l = {0, 0, 0, 0};
    STEP("list", vfs_list(v, dir, count_entry, &l));
    EXPECT("list sees two files and a folder", l.files == 2 && l.dirs == 1 && l.saw_data && l.saw_sub);
  }

  STEP("lock", vfs_lock_acquire(v, lockp, &lock));
  {
    vfs_lock *second = NULL;
    strata_status *lst = vfs_lock_acquire(v, lockp, &second);
    if (!lst) strata_status_free(vfs_lock_release(v, second));
    EXPECT_CODE("second lock of the same path", lst, STRATA_LOCKED);
  }
  STEP("unlock", vfs_lock_release(v, lock));
  lock = NULL;
  STEP("lock after unlock", vfs_lock_acquire(v, lockp, &lock));
  STEP("unlock again", vfs_lock_release(v, lock));
  lock = NULL;

  EXPECT_CODE("rmdir of a non-empty folder", vfs_rmdir(v, dir), STRATA_IO);
  STEP("remove", vfs_remove(v, data));
  EXPECT_CODE("remove missing", vfs_remove(v, data), STRATA_NOT_FOUND);
  STEP("remove tree", vfs_remove_tree(v, dir));
  STEP("exists after remove tree", vfs_exists(v, dir, &exists, &is_dir));
  EXPECT("folder gone", !exists);

done:
  if (f) strata_status_free(vfs_file_close(f));
  if (g) strata_status_free(vfs_file_close(g));
  if (lock) strata_status_free(vfs_lock_release(v, lock));
  if (st) strata_status_free(vfs_remove_tree(v, dir));
  free(data);
  free(sub);
  free(manifest);
  free(lockp);
  free(missing);
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
