/* cache/file_cache: a bounded, reference-counted cache of open files, over the memory and the
 * posix VFS. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/file_cache.h"
#include "harness.h"
#include "util/sync.h"

/* Wraps the ready-made VFS callbacks and counts files open right now. */
typedef struct counting_dir {
  file_cache_vfs_dir dir;
  sync_mutex mu;
  int open_now;
  int most_open;
} counting_dir;

static strata_status *counting_open(void *ctx, uint64_t id, void **out) {
  counting_dir *d = ctx;
  STATUS_TRY(file_cache_vfs_open(&d->dir, id, out));
  sync_mutex_lock(&d->mu);
  if (++d->open_now > d->most_open) d->most_open = d->open_now;
  sync_mutex_unlock(&d->mu);
  return NULL;
}

static void counting_close(void *ctx, uint64_t id, void *object) {
  counting_dir *d = ctx;
  sync_mutex_lock(&d->mu);
  d->open_now--;
  sync_mutex_unlock(&d->mu);
  file_cache_vfs_close(&d->dir, id, object);
}

/* One backend, a temp folder with files 1..n whose contents are "file <id>". */
typedef struct fixture {
  vfs *fs;
  char *dir;
  counting_dir counter;
  file_cache *cache;
} fixture;

static strata_status *fixture_open(fixture *f, int posix, unsigned files, size_t max_open) {
  memset(f, 0, sizeof *f);
  STATUS_TRY(posix ? vfs_posix_new(&f->fs) : vfs_memory_new(&f->fs));
  f->dir = harness_temp_dir(f->fs, posix ? "fcache-posix" : "fcache-mem");
  if (!f->dir) return status_new(STRATA_IO, "no temp dir");
  for (unsigned id = 1; id <= files; id++) {
    char name[24], text[32];
    snprintf(name, sizeof name, "%u", id);
    int len = snprintf(text, sizeof text, "file %u", id);
    char *path = vfs_path_join(f->dir, name);
    if (!path) return status_no_memory();
    strata_status *st = vfs_replace(f->fs, path, text, (size_t)len);
    free(path);
    STATUS_TRY(st);
  }
  f->counter.dir.fs = f->fs;
  f->counter.dir.dir = f->dir;
  STATUS_TRY(sync_mutex_init(&f->counter.mu));
  return file_cache_new(max_open, counting_open, counting_close, &f->counter, &f->cache);
}

static void fixture_close(fixture *f) {
  file_cache_free(f->cache);
  sync_mutex_destroy(&f->counter.mu);
  harness_temp_dir_remove(f->fs, f->dir);
  vfs_destroy(f->fs);
}

/* 1 when the handle's file reads "file <id>". */
static int reads_as(file_cache_handle *h, uint64_t id) {
  char want[32], got[32];
  int len = snprintf(want, sizeof want, "file %" PRIu64, id);
  size_t n = 0;
  strata_status *st = vfs_file_read(file_cache_handle_object(h), 0, got, sizeof got, &n);
  if (st) {
    strata_status_free(st);
    return 0;
  }
  return n == (size_t)len && !memcmp(got, want, n);
}

/* get, read, release: 1 on success */
static int touch(fixture *f, uint64_t id) {
  file_cache_handle *h = NULL;
  strata_status *st = file_cache_get(f->cache, id, &h);
  if (st) {
    strata_status_free(st);
    return 0;
  }
  int ok = reads_as(h, id);
  file_cache_release(f->cache, h);
  return ok;
}

static void open_files_stay_within_the_bound_on(int posix) {
  fixture f;
  strata_status *st = fixture_open(&f, posix, 20, 5);
  if (st) fixture_close(&f);
  CHECK_OK(st);
  for (int round = 0; round < 3; round++) {
    for (uint64_t id = 1; id <= 20; id++) {
      CHECK(touch(&f, id));
      CHECK(f.counter.open_now <= 5);
    }
  }
  file_cache_stats s = file_cache_get_stats(f.cache);
  CHECK_EQ_U64(s.open, 5);
  CHECK_EQ_U64(f.counter.open_now, 5);
  CHECK_EQ_U64(f.counter.most_open, 5);
  CHECK_EQ_U64(s.opens - s.closes, 5);
  fixture_close(&f);
  CHECK_EQ_U64(f.counter.open_now, 0); /* free closed the rest */
}

static void open_files_stay_within_the_bound_memory(void) { open_files_stay_within_the_bound_on(0); }
static void open_files_stay_within_the_bound_posix(void) { open_files_stay_within_the_bound_on(1); }

static void repeated_gets_reuse_one_open_file(void) {
  fixture f;
  strata_status *st = fixture_open(&f, 0, 3, 8);
  if (st) fixture_close(&f);
  CHECK_OK(st);
  file_cache_handle *a = NULL, *b = NULL;
  CHECK_OK(file_cache_get(f.cache, 2, &a));
  CHECK_OK(file_cache_get(f.cache, 2, &b));
  CHECK(file_cache_handle_object(a) == file_cache_handle_object(b));
  CHECK(reads_as(b, 2));
  file_cache_release(f.cache, a);
  file_cache_release(f.cache, b);
  CHECK(touch(&f, 2));
  file_cache_stats s = file_cache_get_stats(f.cache);
  CHECK_EQ_U64(s.opens, 1);
  CHECK_EQ_U64(s.hits, 2);
  CHECK_EQ_U64(s.misses, 1);
  CHECK_EQ_U64(f.counter.open_now, 1);
  fixture_close(&f);
}

static void files_in_use_are_never_closed(void) {
  fixture f;
  strata_status *st = fixture_open(&f, 1, 4, 2);
  if (st) fixture_close(&f);
  CHECK_OK(st);
  file_cache_handle *h[4] = {NULL};
  for (uint64_t id = 1; id <= 3; id++) CHECK_OK(file_cache_get(f.cache, id, &h[id]));
  CHECK_EQ_U64(f.counter.open_now, 3); /* over the bound: all three are in use */
  for (uint64_t id = 1; id <= 3; id++) CHECK(reads_as(h[id], id));
  file_cache_release(f.cache, h[1]); /* the excess goes once it is idle */
  CHECK_EQ_U64(f.counter.open_now, 2);
  CHECK(reads_as(h[2], 2) && reads_as(h[3], 3));
  file_cache_release(f.cache, h[2]);
  file_cache_release(f.cache, h[3]);
  CHECK_EQ_U64(f.counter.open_now, 2); /* within the bound: both stay open for reuse */
  CHECK(touch(&f, 3));
  CHECK_EQ_U64(file_cache_get_stats(f.cache).opens, 3);
  fixture_close(&f);
}

static void least_recently_used_idle_file_is_closed_first(void) {
  fixture f;
  strata_status *st = fixture_open(&f, 0, 5, 3);
  if (st) fixture_close(&f);
  CHECK_OK(st);
  for (uint64_t id = 1; id <= 3; id++) CHECK(touch(&f, id));
  CHECK(touch(&f, 1)); /* 2 is now the least recently used */
  CHECK(touch(&f, 4));
  uint64_t opens = file_cache_get_stats(f.cache).opens;
  CHECK(touch(&f, 1));
  CHECK(touch(&f, 3));
  CHECK(touch(&f, 4));
  CHECK_EQ_U64(file_cache_get_stats(f.cache).opens, opens); /* 1, 3, 4 were still open */
  CHECK(touch(&f, 2));
  CHECK_EQ_U64(file_cache_get_stats(f.cache).opens, opens + 1);
  fixture_close(&f);
}

static void missing_file_reports_not_found_on(int posix) {
  fixture f;
  strata_status *st = fixture_open(&f, posix, 1, 4);
  if (st) fixture_close(&f);
  CHECK_OK(st);
  file_cache_handle *h = NULL;
  st = file_cache_get(f.cache, 99, &h);
  int code_ok = status_is(st, STRATA_NOT_FOUND);
  int names_file = st && strstr(strata_status_message(st), "99") != NULL;
  strata_status_free(st);
  file_cache_stats s = file_cache_get_stats(f.cache);
  int open_now = f.counter.open_now;
  fixture_close(&f);
  CHECK(code_ok);
  CHECK(names_file);
  CHECK(h == NULL);
  CHECK_EQ_U64(s.open, 0);
  CHECK_EQ_U64(s.opens, 0);
  CHECK_EQ_U64(open_now, 0);
}

static void missing_file_reports_not_found_memory(void) { missing_file_reports_not_found_on(0); }
static void missing_file_reports_not_found_posix(void) { missing_file_reports_not_found_on(1); }

static void evict_closes_an_idle_file_and_defers_a_busy_one(void) {
  fixture f;
  strata_status *st = fixture_open(&f, 1, 2, 8);
  if (st) fixture_close(&f);
  CHECK_OK(st);
  CHECK(touch(&f, 2));
  file_cache_handle *busy = NULL;
  CHECK_OK(file_cache_get(f.cache, 1, &busy));
  CHECK_EQ_U64(f.counter.open_now, 2);
  file_cache_evict(f.cache, 2);
  CHECK_EQ_U64(f.counter.open_now, 1);
  file_cache_evict(f.cache, 1);
  CHECK_EQ_U64(f.counter.open_now, 1); /* still in use */
  CHECK(reads_as(busy, 1));
  CHECK_EQ_U64(file_cache_get_stats(f.cache).open, 1);
  file_cache_release(f.cache, busy);
  CHECK_EQ_U64(f.counter.open_now, 0);
  CHECK(touch(&f, 1)); /* a later get opens it afresh */
  CHECK_EQ_U64(file_cache_get_stats(f.cache).opens, 3);
  file_cache_evict(f.cache, 42); /* unknown ids are ignored */
  fixture_close(&f);
}

static void zero_bound_closes_on_last_release(void) {
  fixture f;
  strata_status *st = fixture_open(&f, 0, 1, 0);
  if (st) fixture_close(&f);
  CHECK_OK(st);
  file_cache_handle *a = NULL, *b = NULL;
  CHECK_OK(file_cache_get(f.cache, 1, &a));
  CHECK_OK(file_cache_get(f.cache, 1, &b)); /* shared while in use */
  CHECK(a == b);
  CHECK_EQ_U64(f.counter.open_now, 1);
  file_cache_release(f.cache, a);
  CHECK_EQ_U64(f.counter.open_now, 1);
  file_cache_release(f.cache, b);
  CHECK_EQ_U64(f.counter.open_now, 0);
  fixture_close(&f);
}

typedef struct reader_thread {
  fixture *f;
  uint64_t seed;
  unsigned failures;
} reader_thread;

static void *reader_run(void *arg) {
  reader_thread *r = arg;
  harness_rng rng = {r->seed};
  for (int i = 0; i < 3000; i++) {
    uint64_t x = harness_rng_next(&rng), id = 1 + x % 12;
    if (x % 97 == 0) file_cache_evict(r->f->cache, id);
    else if (!touch(r->f, id)) r->failures++;
  }
  return NULL;
}

static void concurrent_readers_share_a_bounded_set_of_files(void) {
  enum { THREADS = 4 };
  fixture f;
  strata_status *st = fixture_open(&f, 0, 12, 4);
  if (st) fixture_close(&f);
  CHECK_OK(st);
  reader_thread r[THREADS];
  sync_thread t[THREADS];
  int started[THREADS] = {0};
  for (int i = 0; i < THREADS; i++) {
    r[i] = (reader_thread){&f, 0xfeedull * (uint64_t)(i + 3), 0};
    if (sync_threads_available()) {
      strata_status *ts = sync_thread_start(&t[i], reader_run, &r[i]);
      started[i] = ts == NULL;
      strata_status_free(ts);
    }
    if (!started[i]) reader_run(&r[i]);
  }
  for (int i = 0; i < THREADS; i++) {
    if (started[i]) sync_thread_join(&t[i]);
  }
  unsigned failures = 0;
  for (int i = 0; i < THREADS; i++) failures += r[i].failures;
  int most_open = f.counter.most_open, open_now = f.counter.open_now;
  fixture_close(&f);
  CHECK_EQ_U64(failures, 0);
  CHECK(open_now <= 4);
  CHECK(most_open <= 4 + 2 * THREADS); /* in use by a thread, or opened twice in a race */
}

int main(void) {
  RUN(open_files_stay_within_the_bound_memory);
  RUN(open_files_stay_within_the_bound_posix);
  RUN(repeated_gets_reuse_one_open_file);
  RUN(files_in_use_are_never_closed);
  RUN(least_recently_used_idle_file_is_closed_first);
  RUN(missing_file_reports_not_found_memory);
  RUN(missing_file_reports_not_found_posix);
  RUN(evict_closes_an_idle_file_and_defers_a_busy_one);
  RUN(zero_bound_closes_on_last_release);
  RUN(concurrent_readers_share_a_bounded_set_of_files);
  return harness_finish();
}
