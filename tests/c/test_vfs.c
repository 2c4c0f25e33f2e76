/* vfs: every case runs identically against the posix backend (real files) and the memory one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "version/lost_folder.h"
#include "vfs/vfs.h"

typedef strata_status *(*vfs_factory)(vfs **out);
static vfs_factory current_factory;
static vfs *fs;
static char *root;

/* Each case gets a fresh backend and a fresh folder. */
static int setup(void) {
  strata_status *st = current_factory(&fs);
  if (st) {
    harness_fail(__FILE__, __LINE__, "backend: %s", strata_status_message(st));
    strata_status_free(st);
    return 0;
  }
  root = harness_temp_dir(fs, vfs_name(fs));
  return root != NULL;
}

static void teardown(void) {
  harness_temp_dir_remove(fs, root);
  root = NULL;
  vfs_destroy(fs);
  fs = NULL;
}

static char path_buf[4][256];
/* root/name, in one of four rotating buffers so a case can hold a few at once */
static const char *P(const char *name) {
  static int next;
  char *p = path_buf[next++ % 4];
  snprintf(p, sizeof path_buf[0], "%s/%s", root, name);
  return p;
}

static void write_file(const char *path, const char *text, strata_status **st) {
  vfs_file *f = NULL;
  *st = vfs_open(fs, path, VFS_OPEN_WRITE | VFS_OPEN_CREATE | VFS_OPEN_TRUNCATE, &f);
  if (!*st) *st = vfs_file_append(f, text, strlen(text));
  if (f) strata_status_free(vfs_file_close(f));
}

static void files_round_trip(void) {
  vfs_file *f = NULL;
  CHECK_OK(vfs_open(fs, P("a"), VFS_OPEN_WRITE | VFS_OPEN_CREATE, &f));
  CHECK_OK(vfs_file_append(f, "hello ", 6));
  CHECK_OK(vfs_file_append(f, "world", 5));
  CHECK_OK(vfs_file_write(f, 0, "J", 1));
  CHECK_OK(vfs_file_sync(f));
  uint64_t size = 0;
  CHECK_OK(vfs_file_size(f, &size));
  CHECK_EQ_U64(size, 11);
  char buf[32] = {0};
  size_t got = 0;
  CHECK_OK(vfs_file_read(f, 0, buf, sizeof buf, &got)); /* short read only at end of file */
  CHECK_EQ_U64(got, 11);
  CHECK(!memcmp(buf, "Jello world", 11));
  CHECK_OK(vfs_file_read(f, 6, buf, 5, &got));
  CHECK(got == 5 && !memcmp(buf, "world", 5));
  CHECK_OK(vfs_file_read(f, 100, buf, 5, &got));
  CHECK_EQ_U64(got, 0);
  CHECK_CODE(vfs_file_read_exact(f, 8, buf, 5, "sample file"), STRATA_CORRUPTION);
  CHECK_OK(vfs_file_close(f));
  buffer b;
  buffer_init(&b);
  CHECK_OK(vfs_read_file(fs, P("a"), &b));
  CHECK(b.len == 11 && !memcmp(b.data, "Jello world", 11));
  buffer_free(&b);
}

static void large_file_round_trips(void) {
  enum { N = 1 << 20 };
  uint8_t *data = malloc(N), *back = malloc(N);
  CHECK(data && back);
  for (size_t i = 0; i < N; i++) data[i] = (uint8_t)(i * 2654435761u >> 13);
  vfs_file *f = NULL;
  CHECK_OK(vfs_open(fs, P("big"), VFS_OPEN_WRITE | VFS_OPEN_CREATE, &f));
  CHECK_OK(vfs_file_append(f, data, N / 2));
  CHECK_OK(vfs_file_append(f, data + N / 2, N / 2));
  CHECK_OK(vfs_file_read_exact(f, 0, back, N, "big"));
  CHECK(!memcmp(data, back, N));
  CHECK_OK(vfs_file_close(f));
  free(data);
  free(back);
}

static void open_reports_missing_and_existing(void) {
  vfs_file *f = NULL;
  CHECK_CODE(vfs_open(fs, P("missing"), VFS_OPEN_READ, &f), STRATA_NOT_FOUND);
  CHECK_CODE(vfs_open(fs, P("nodir/file"), VFS_OPEN_WRITE | VFS_OPEN_CREATE, &f), STRATA_NOT_FOUND);
  CHECK_OK(vfs_open(fs, P("x"), VFS_OPEN_WRITE | VFS_OPEN_CREATE | VFS_OPEN_EXCLUSIVE, &f));
  CHECK_OK(vfs_file_close(f));
  CHECK_CODE(vfs_open(fs, P("x"), VFS_OPEN_WRITE | VFS_OPEN_CREATE | VFS_OPEN_EXCLUSIVE, &f), STRATA_EXISTS);
  CHECK_CODE(vfs_open(fs, root, VFS_OPEN_READ, &f), STRATA_INVALID_ARGUMENT);
  buffer b;
  buffer_init(&b);
  CHECK_CODE(vfs_read_file(fs, P("missing"), &b), STRATA_NOT_FOUND);
  buffer_free(&b);
}

static void read_only_handles_refuse_writes(void) {
  strata_status *st = NULL;
  write_file(P("ro"), "data", &st);
  CHECK_OK(st);
  vfs_file *f = NULL;
  CHECK_OK(vfs_open(fs, P("ro"), VFS_OPEN_READ, &f));
  CHECK_CODE(vfs_file_append(f, "x", 1), STRATA_INVALID_ARGUMENT);
  CHECK_CODE(vfs_file_truncate(f, 0), STRATA_INVALID_ARGUMENT);
  CHECK_OK(vfs_file_close(f));
}

static void truncate_shrinks_and_zero_fills(void) {
  strata_status *st = NULL;
  write_file(P("t"), "0123456789", &st);
  CHECK_OK(st);
  vfs_file *f = NULL;
  CHECK_OK(vfs_open(fs, P("t"), VFS_OPEN_WRITE, &f));
  CHECK_OK(vfs_file_truncate(f, 4));
  CHECK_OK(vfs_file_truncate(f, 6));
  char buf[8];
  size_t got = 0;
  CHECK_OK(vfs_file_read(f, 0, buf, sizeof buf, &got));
  CHECK(got == 6 && !memcmp(buf, "0123\0\0", 6));
  CHECK_OK(vfs_file_write(f, 8, "z", 1)); /* a write past the end leaves a zero hole */
  CHECK_OK(vfs_file_read(f, 0, buf, sizeof buf, &got));
  CHECK(got == 8 && buf[6] == 0 && buf[7] == 0);
  CHECK_OK(vfs_file_close(f));
  CHECK_OK(vfs_open(fs, P("t"), VFS_OPEN_WRITE | VFS_OPEN_TRUNCATE, &f));
  uint64_t size = 1;
  CHECK_OK(vfs_file_size(f, &size));
  CHECK_EQ_U64(size, 0);
  CHECK_OK(vfs_file_close(f));
}

static void replace_swaps_whole_contents(void) {
  CHECK_OK(vfs_replace(fs, P("manifest"), "version-1", 9));
  vfs_file *old = NULL;
  CHECK_OK(vfs_open(fs, P("manifest"), VFS_OPEN_READ, &old));
  CHECK_OK(vfs_replace(fs, P("manifest"), "v2", 2));
  buffer b;
  buffer_init(&b);
  CHECK_OK(vfs_read_file(fs, P("manifest"), &b));
  CHECK(b.len == 2 && !memcmp(b.data, "v2", 2));
  /* a handle opened before the replace still sees the old contents, as after rename(2) */
  char buf[16];
  size_t got = 0;
  CHECK_OK(vfs_file_read(old, 0, buf, sizeof buf, &got));
  CHECK(got == 9 && !memcmp(buf, "version-1", 9));
  CHECK_OK(vfs_file_close(old));
  CHECK_OK(vfs_replace(fs, P("manifest"), "", 0));
  CHECK_OK(vfs_read_file(fs, P("manifest"), &b));
  CHECK_EQ_U64(b.len, 0);
  buffer_free(&b);
  CHECK_CODE(vfs_replace(fs, P("nodir/m"), "x", 1), STRATA_NOT_FOUND);
  int exists = 1;
  CHECK_OK(vfs_exists(fs, P("manifest.tmp"), &exists, NULL));
  CHECK(!exists); /* no temporary left behind */
}

static void removed_file_stays_readable_through_open_handle(void) {
  strata_status *st = NULL;
  write_file(P("r"), "still here", &st);
  CHECK_OK(st);
  vfs_file *f = NULL;
  CHECK_OK(vfs_open(fs, P("r"), VFS_OPEN_READ, &f));
  CHECK_OK(vfs_remove(fs, P("r")));
  int exists = 1;
  CHECK_OK(vfs_exists(fs, P("r"), &exists, NULL));
  CHECK(!exists);
  char buf[16];
  CHECK_OK(vfs_file_read_exact(f, 0, buf, 10, "r"));
  CHECK(!memcmp(buf, "still here", 10));
  CHECK_OK(vfs_file_close(f));
  CHECK_CODE(vfs_remove(fs, P("r")), STRATA_NOT_FOUND);
}

typedef struct listing {
  char names[8][32];
  int dirs[8];
  int count;
} listing;

static strata_status *collect(void *ctx, const char *name, int is_dir) {
  listing *l = ctx;
  if (l->count == 8) return status_new(STRATA_INVALID_ARGUMENT, "too many entries");
  snprintf(l->names[l->count], sizeof l->names[0], "%s", name);
  l->dirs[l->count++] = is_dir;
  return NULL;
}

static int listed(const listing *l, const char *name, int is_dir) {
  for (int i = 0; i < l->count; i++)
    if (!strcmp(l->names[i], name)) return l->dirs[i] == is_dir;
  return 0;
}

static strata_status *stop_at_first(void *ctx, const char *name, int is_dir) {
  (void)ctx, (void)name, (void)is_dir;
  return status_new(STRATA_BUSY, "stop");
}

static void folders_list_create_and_remove(void) {
  CHECK_OK(vfs_mkdir(fs, P("tables")));
  CHECK_OK(vfs_mkdir(fs, P("tables"))); /* idempotent */
  strata_status *st = NULL;
  write_file(P("tables/1"), "t1", &st);
  CHECK_OK(st);
  write_file(P("journal"), "j", &st);
  CHECK_OK(st);
  CHECK_OK(vfs_mkdir(fs, P("tables/nested")));
  listing l = {0};
  CHECK_OK(vfs_list(fs, root, collect, &l));
  CHECK_EQ_U64(l.count, 2);
  CHECK(listed(&l, "tables", 1) && listed(&l, "journal", 0));
  listing t = {0};
  CHECK_OK(vfs_list(fs, P("tables"), collect, &t));
  CHECK_EQ_U64(t.count, 2);
  CHECK(listed(&t, "1", 0) && listed(&t, "nested", 1));
  CHECK_CODE(vfs_list(fs, root, stop_at_first, NULL), STRATA_BUSY);
  CHECK_CODE(vfs_list(fs, P("nope"), collect, &l), STRATA_NOT_FOUND);
  CHECK_CODE(vfs_mkdir(fs, P("journal")), STRATA_EXISTS);
  CHECK_CODE(vfs_mkdir(fs, P("a/b")), STRATA_NOT_FOUND);
  CHECK_CODE(vfs_rmdir(fs, P("tables")), STRATA_IO); /* not empty */
  CHECK_CODE(vfs_rmdir(fs, P("gone")), STRATA_NOT_FOUND);
  int exists = 0, is_dir = 0;
  CHECK_OK(vfs_exists(fs, P("tables"), &exists, &is_dir));
  CHECK(exists && is_dir);
  CHECK_OK(vfs_sync_dir(fs, P("tables")));
  CHECK_CODE(vfs_sync_dir(fs, P("gone")), STRATA_NOT_FOUND);
  CHECK_OK(vfs_remove_tree(fs, P("tables")));
  CHECK_OK(vfs_exists(fs, P("tables"), &exists, &is_dir));
  CHECK(!exists);
  CHECK_OK(vfs_remove_tree(fs, P("tables"))); /* missing: fine */
}

static void lock_is_exclusive_until_released(void) {
  vfs_lock *a = NULL, *b = NULL;
  CHECK_OK(vfs_lock_acquire(fs, P("LOCK"), &a));
  CHECK_CODE(vfs_lock_acquire(fs, P("LOCK"), &b), STRATA_LOCKED);
  CHECK_OK(vfs_lock_acquire(fs, P("OTHER"), &b)); /* other paths are independent */
  CHECK_OK(vfs_lock_release(fs, b));
  CHECK_OK(vfs_lock_release(fs, a));
  CHECK_OK(vfs_lock_acquire(fs, P("LOCK"), &a));
  CHECK_OK(vfs_lock_release(fs, a));
  CHECK_OK(vfs_lock_release(fs, NULL));
}

static void copy_file_duplicates_and_refuses_existing_target(void) {
  strata_status *st = NULL;
  write_file(P("src"), "some bytes", &st);
  CHECK_OK(st);
  CHECK_OK(vfs_copy_file(fs, P("src"), P("dst")));
  buffer b;
  buffer_init(&b);
  strata_status *rst = vfs_read_file(fs, P("dst"), &b);
  int same = !rst && b.len == 10 && !memcmp(b.data, "some bytes", 10);
  buffer_free(&b);
  CHECK_OK(rst);
  CHECK(same);
  CHECK_CODE(vfs_copy_file(fs, P("src"), P("dst")), STRATA_EXISTS);
  CHECK_CODE(vfs_copy_file(fs, P("missing"), P("other")), STRATA_NOT_FOUND);
}

static void lost_folder_keeps_files_under_free_names(void) {
  strata_status *st = NULL;
  CHECK_OK(vfs_mkdir(fs, P("tables")));
  write_file(P("tables/17"), "first", &st);
  CHECK_OK(st);
  char *to = NULL;
  CHECK_OK(lost_folder_keep(fs, root, P("tables/17"), "table", &to));
  int ok = to && strstr(to, "/lost/table-17") && !strcmp(strstr(to, "/lost/"), "/lost/table-17");
  free(to);
  CHECK(ok);
  int exists = 1;
  CHECK_OK(vfs_exists(fs, P("tables/17"), &exists, NULL));
  CHECK(!exists);
  write_file(P("tables/17"), "second", &st); /* the same name again: kept beside the first */
  CHECK_OK(st);
  CHECK_OK(lost_folder_keep(fs, root, P("tables/17"), "table", NULL));
  buffer b;
  buffer_init(&b);
  strata_status *rst = vfs_read_file(fs, P("lost/table-17.1"), &b);
  int same = !rst && b.len == 6 && !memcmp(b.data, "second", 6);
  buffer_free(&b);
  CHECK_OK(rst);
  CHECK(same);
  CHECK_CODE(lost_folder_keep(fs, root, P("tables/17"), "table", NULL), STRATA_NOT_FOUND);
}

static void path_join_inserts_one_separator(void) {
  char *p = vfs_path_join("db", "tables");
  char *q = vfs_path_join("db/", "tables");
  CHECK(p && q && !strcmp(p, "db/tables") && !strcmp(q, "db/tables"));
  free(p);
  free(q);
}

#define CASE(fn) \
  harness_run_variant(#fn, current_factory == vfs_posix_new ? "posix" : "memory", setup, fn, teardown)

int main(void) {
  vfs_factory factories[] = {vfs_posix_new, vfs_memory_new};
  for (size_t i = 0; i < 2; i++) {
    current_factory = factories[i];
    CASE(files_round_trip);
    CASE(large_file_round_trips);
    CASE(open_reports_missing_and_existing);
    CASE(read_only_handles_refuse_writes);
    CASE(truncate_shrinks_and_zero_fills);
    CASE(replace_swaps_whole_contents);
    CASE(removed_file_stays_readable_through_open_handle);
    CASE(folders_list_create_and_remove);
    CASE(lock_is_exclusive_until_released);
    CASE(copy_file_duplicates_and_refuses_existing_target);
    CASE(lost_folder_keeps_files_under_free_names);
  }
  RUN(path_join_inserts_one_separator);
  return harness_finish();
}
