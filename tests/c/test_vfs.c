/*
 * vfs: the storage conformance suite (tests/c/vfs_conformance.c) against every backend this
 * build has -- posix, memory, and the fault wrapper (no fault armed) over each -- plus the
 * contract's version check at strata_open and the engine-side helpers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "version/lost_folder.h"
#include "vfs/vfs.h"
#include "vfs/vfs_fault.h"
#include "vfs_conformance.h"

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

/* --- the conformance suite, one line per backend ------------------------------------------ */

static const strata_status *reported;
static int nothing_to_set_up(void) { return 1; }
static void nothing_to_tear_down(void) {}
static void replay_outcome(void) {
  if (reported) harness_fail(__FILE__, __LINE__, "%s", strata_status_message(reported));
}

/* Each case of the suite becomes one harness case, "case[backend]". */
static void report_case(void *ctx, const char *label, const char *case_name, const strata_status *failure) {
  (void)ctx;
  reported = failure;
  harness_run_variant(case_name, label, nothing_to_set_up, replay_outcome, nothing_to_tear_down);
  reported = NULL;
}

typedef struct backend {
  strata_status *(*inner_new)(vfs **out);
  int wrap_in_fault; /* the fault wrapper over the inner backend, no fault armed */
  vfs *inner;
} backend;

static strata_status *make_backend(void *ctx, vfs **out) {
  backend *b = ctx;
  STATUS_TRY(b->inner_new(&b->inner));
  if (!b->wrap_in_fault) {
    *out = b->inner;
    return NULL;
  }
  strata_status *st = vfs_fault_new(b->inner, out);
  if (st) {
    vfs_destroy(b->inner);
    b->inner = NULL;
  }
  return st;
}

static void unmake_backend(void *ctx, vfs *v) {
  backend *b = ctx;
  if (b->wrap_in_fault) vfs_destroy(v);
  vfs_destroy(b->inner);
  b->inner = NULL;
}

static void conformance(const char *label, strata_status *(*inner_new)(vfs **out), int wrap_in_fault) {
  backend b = {inner_new, wrap_in_fault, NULL};
  vfs_conformance_backend desc = {label, make_backend, unmake_backend, &b};
  /* the suite's root: a fresh folder (in the working folder for posix) */
  vfs *setup_fs = NULL;
  char *dir = NULL;
  if (!EXPECT_OK(inner_new(&setup_fs))) return;
  dir = harness_temp_dir(setup_fs, "conformance");
  if (dir) {
    int failed = vfs_conformance_run(&desc, dir, report_case, NULL);
    (void)failed; /* each failure is counted by the harness */
    harness_temp_dir_remove(setup_fs, dir);
  }
  vfs_destroy(setup_fs);
}

/* --- the contract's version, checked where a backend is plugged in ------------------------- */

typedef struct fake_backend {
  vfs base;
  vfs_ops ops;
} fake_backend;

static strata_status *open_with(vfs *v, const char *path) {
  strata_options *o = NULL;
  strata_db *db = NULL;
  strata_status *st = strata_options_new(&o);
  if (!st) st = strata_options_set_vfs(o, v);
  if (!st) st = strata_open(path, o, &db);
  strata_options_free(o);
  if (!st) st = strata_close(db);
  return st;
}

static void open_refuses_a_backend_of_an_unknown_contract_version(void) {
  vfs *mem = NULL;
  CHECK_OK(vfs_memory_new(&mem));
  fake_backend fake = {{NULL}, *mem->ops};
  fake.base.ops = &fake.ops;
  /* the fake forwards nothing itself: refused before any method is called */
  fake.ops.version = STRATA_VFS_VERSION + 1;
  strata_status *newer = open_with(&fake.base, "db");
  fake.ops.version = 0;
  strata_status *zero = open_with(&fake.base, "db");
  int exists = 1;
  strata_status *est = vfs_exists(mem, "db", &exists, NULL);
  vfs_destroy(mem);
  CHECK_CODE(newer, STRATA_NOT_SUPPORTED);
  CHECK_CODE(zero, STRATA_NOT_SUPPORTED);
  CHECK_OK(est);
  CHECK(!exists); /* nothing created through the refused table */
}

static void repair_refuses_a_backend_of_an_unknown_contract_version(void) {
  vfs *mem = NULL;
  CHECK_OK(vfs_memory_new(&mem));
  fake_backend fake = {{NULL}, *mem->ops};
  fake.base.ops = &fake.ops;
  fake.ops.version = STRATA_VFS_VERSION + 1;
  strata_options *o = NULL;
  strata_status *st = strata_options_new(&o);
  if (!st) st = strata_options_set_vfs(o, &fake.base);
  strata_repair_report report;
  memset(&report, 0, sizeof report);
  if (!st) st = strata_repair("db", o, &report);
  strata_options_free(o);
  vfs_destroy(mem);
  CHECK_CODE(st, STRATA_NOT_SUPPORTED);
}

static void open_refuses_a_backend_table_missing_a_method(void) {
  vfs *mem = NULL;
  CHECK_OK(vfs_memory_new(&mem));
  fake_backend fake = {{NULL}, *mem->ops};
  fake.base.ops = &fake.ops;
  fake.ops.sync_dir = NULL;
  strata_status *st = open_with(&fake.base, "db");
  int names_it = st && strstr(strata_status_message(st), "sync_dir") != NULL;
  vfs_destroy(mem);
  CHECK(names_it);
  CHECK_CODE(st, STRATA_INVALID_ARGUMENT);
}

static void open_accepts_a_backend_of_the_current_version(void) {
  vfs *mem = NULL;
  CHECK_OK(vfs_memory_new(&mem));
  CHECK_EQ_U64(mem->ops->version, STRATA_VFS_VERSION);
  strata_status *st = open_with(mem, "db");
  int exists = 0, is_dir = 0;
  strata_status *est = vfs_exists(mem, "db", &exists, &is_dir);
  vfs_destroy(mem);
  CHECK_OK(st);
  CHECK_OK(est);
  CHECK(exists && is_dir); /* the database was made through the backend */
}

/* --- map() (contract version 2) ------------------------------------------------------------ */

#if defined(__wasi__) || defined(__EMSCRIPTEN__) || UINTPTR_MAX <= 0xFFFFFFFFu
#define EXPECT_POSIX_MAP 0
#else
#define EXPECT_POSIX_MAP 1
#endif

/* The posix backend maps natively on 64-bit (WASI and Emscripten leave map NULL): the bytes are
 * the file's, the size must be 1 .. the file's, a writable handle is refused, and asking again
 * for the same size returns the same mapping. The memory backend never maps. */
static void posix_map_gives_the_file_read_only_within_its_size(void) {
  vfs *v = NULL, *mem = NULL;
  CHECK_OK(vfs_posix_new(&v));
  CHECK_OK(vfs_memory_new(&mem));
  char *dir = harness_temp_dir(v, "map");
  CHECK(dir);
  if (!dir) return;
  char *path = vfs_path_join(dir, "f");
  uint8_t data[5000];
  for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 7 + 1);
  CHECK_OK(vfs_replace(v, path, data, sizeof data));
  vfs_file *w = NULL, *r = NULL, *mf = NULL;
  CHECK_OK(vfs_open(v, path, VFS_OPEN_READ | VFS_OPEN_WRITE, &w));
  CHECK_OK(vfs_open(v, path, VFS_OPEN_READ, &r));
  const void *p = NULL, *again = NULL;
  CHECK_EQ_U64(r->ops->map != NULL, EXPECT_POSIX_MAP);
  if (r->ops->map) {
    CHECK_CODE(w->ops->map(w, sizeof data, &p), STRATA_INVALID_ARGUMENT);
    CHECK_CODE(r->ops->map(r, sizeof data + 1, &p), STRATA_INVALID_ARGUMENT);
    CHECK_CODE(r->ops->map(r, 0, &p), STRATA_INVALID_ARGUMENT);
    CHECK_OK(r->ops->map(r, sizeof data, &p));
    CHECK(p && memcmp(p, data, sizeof data) == 0);
    CHECK_OK(r->ops->map(r, sizeof data, &again));
    CHECK(again == p);
    CHECK_CODE(r->ops->map(r, 10, &again), STRATA_INVALID_ARGUMENT);
  }
  vfs_file_try_map(v, r, sizeof data, &again);
  CHECK(again == p); /* the engine's helper: the mapping, or NULL where there is none */
  vfs_file_try_map(v, r, sizeof data + 1, &again);
  CHECK(again == NULL); /* a failed map is no error, just no mapping */
  CHECK_OK(vfs_replace(mem, "f", data, sizeof data));
  CHECK_OK(vfs_open(mem, "f", VFS_OPEN_READ, &mf));
  vfs_file_try_map(mem, mf, sizeof data, &again);
  CHECK(again == NULL);
  CHECK_OK(vfs_file_close(mf));
  CHECK_OK(vfs_file_close(w));
  CHECK_OK(vfs_file_close(r));
  free(path);
  harness_temp_dir_remove(v, dir);
  vfs_destroy(mem);
  vfs_destroy(v);
}

/* A table written for version 1 (no map member) still opens a database, and its files are never
 * mapped even where the backend could: the member is not part of its version. */
static void a_version_1_backend_opens_a_database_and_is_never_mapped(void) {
  vfs *posix = NULL;
  CHECK_OK(vfs_posix_new(&posix));
  char *dir = harness_temp_dir(posix, "v1");
  CHECK(dir);
  if (!dir) return;
  fake_backend fake = {{NULL}, *posix->ops};
  fake.base.ops = &fake.ops;
  fake.ops.version = 1;
  char *db = vfs_path_join(dir, "db"), *path = vfs_path_join(dir, "f");
  CHECK_OK(open_with(&fake.base, db));
  CHECK_OK(vfs_replace(posix, path, "abc", 3));
  vfs_file *f = NULL;
  CHECK_OK(vfs_open(&fake.base, path, VFS_OPEN_READ, &f));
  const void *p = (const void *)1;
  vfs_file_try_map(&fake.base, f, 3, &p);
  CHECK(p == NULL);
  CHECK_OK(vfs_file_close(f));
  free(db);
  free(path);
  harness_temp_dir_remove(posix, dir);
  vfs_destroy(posix);
}

static void every_backend_table_carries_the_version(void) {
  strata_status *(*news[])(vfs **) = {vfs_posix_new, vfs_memory_new};
  for (size_t i = 0; i < 2; i++) {
    vfs *v = NULL, *w = NULL;
    CHECK_OK(news[i](&v));
    strata_status *st = vfs_check_table(v);
    strata_status *wst = vfs_fault_new(v, &w);
    strata_status *fst = wst ? NULL : vfs_check_table(w);
    vfs_destroy(w);
    vfs_destroy(v);
    CHECK_OK(st);
    CHECK_OK(wst);
    CHECK_OK(fst);
  }
}

#define CASE(fn) \
  harness_run_variant(#fn, current_factory == vfs_posix_new ? "posix" : "memory", setup, fn, teardown)

int main(void) {
  conformance("posix", vfs_posix_new, 0);
  conformance("memory", vfs_memory_new, 0);
  conformance("fault(posix)", vfs_posix_new, 1);
  conformance("fault(memory)", vfs_memory_new, 1);
  vfs_factory factories[] = {vfs_posix_new, vfs_memory_new};
  for (size_t i = 0; i < 2; i++) {
    current_factory = factories[i];
    CASE(lost_folder_keeps_files_under_free_names);
  }
  RUN(open_refuses_a_backend_of_an_unknown_contract_version);
  RUN(repair_refuses_a_backend_of_an_unknown_contract_version);
  RUN(open_refuses_a_backend_table_missing_a_method);
  RUN(open_accepts_a_backend_of_the_current_version);
  RUN(every_backend_table_carries_the_version);
  RUN(posix_map_gives_the_file_read_only_within_its_size);
  RUN(a_version_1_backend_opens_a_database_and_is_never_mapped);
  RUN(path_join_inserts_one_separator);
  return harness_finish();
}
