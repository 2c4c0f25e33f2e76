/* vfs_fault: injected failures, short writes, counters and crash simulation, over the memory and
 * the posix backend. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "vfs/vfs.h"
#include "vfs/vfs_fault.h"

typedef strata_status *(*vfs_factory)(vfs **out);
static vfs_factory current_factory;
static vfs *inner; /* the real backend */
static vfs *fs;    /* the fault wrapper over it */
static char *root;

static int setup(void) {
  inner = harness_open_fs(current_factory, "fault", &root);
  if (!inner) return 0;
  strata_status *st = vfs_fault_new(inner, &fs);
  if (st) {
    harness_fail(__FILE__, __LINE__, "fault backend: %s", strata_status_message(st));
    strata_status_free(st);
    return 0;
  }
  return 1;
}

static void teardown(void) {
  vfs_destroy(fs);
  harness_close_fs(inner, root);
  fs = inner = NULL;
  root = NULL;
}

static char path_buf[4][256];
static const char *P(const char *name) {
  static int next;
  char *p = path_buf[next++ % 4];
  snprintf(p, sizeof path_buf[0], "%s/%s", root, name);
  return p;
}

/* The file's contents as the inner backend has them, or -1 length when missing. */
static long long read_back(const char *path, char *out, size_t cap) {
  int exists = 0;
  strata_status *st = vfs_exists(inner, path, &exists, NULL);
  strata_status_free(st);
  if (!exists) return -1;
  buffer b;
  buffer_init(&b);
  st = vfs_read_file(inner, path, &b);
  long long n = st ? -2 : (long long)b.len;
  if (!st && b.len <= cap) memcpy(out, b.data, b.len);
  strata_status_free(st);
  buffer_free(&b);
  return n;
}

/* Creates `name` through the wrapper with `text`, synced with its folder. */
static strata_status *create_synced(const char *name, const char *text, vfs_file **out) {
  vfs_file *f = NULL;
  STATUS_TRY(vfs_open(fs, P(name), VFS_OPEN_READ | VFS_OPEN_WRITE | VFS_OPEN_CREATE, &f));
  strata_status *st = vfs_file_append(f, text, strlen(text));
  if (!st) st = vfs_file_sync(f);
  if (!st) st = vfs_sync_dir(fs, root);
  if (st) {
    strata_status_free(vfs_file_close(f));
    return st;
  }
  *out = f;
  return NULL;
}

static void counters_count_each_kind_of_operation(void) {
  vfs_file *f = NULL;
  CHECK_OK(create_synced("a", "hello", &f)); /* open, append, sync, folder sync */
  char buf[8];
  size_t got = 0;
  CHECK_OK(vfs_file_read(f, 0, buf, 5, &got));
  CHECK_OK(vfs_file_write(f, 0, "J", 1));
  CHECK_OK(vfs_file_truncate(f, 3));
  CHECK_OK(vfs_file_close(f));
  CHECK_OK(vfs_replace(fs, P("b"), "xyz", 3));
  CHECK_OK(vfs_remove(fs, P("b")));
  vfs_fault_counters c;
  vfs_fault_get_counters(fs, &c);
  CHECK_EQ_U64(c.opens, 1);
  CHECK_EQ_U64(c.reads, 1);
  CHECK_EQ_U64(c.writes, 2);
  CHECK_EQ_U64(c.syncs, 1);
  CHECK_EQ_U64(c.dir_syncs, 1);
  CHECK_EQ_U64(c.truncates, 1);
  CHECK_EQ_U64(c.replaces, 1);
  CHECK_EQ_U64(c.removes, 1);
  CHECK_EQ_U64(c.bytes_written, 5 + 1 + 3);
  CHECK_EQ_U64(c.injected, 0);
  vfs_fault_reset_counters(fs);
  vfs_fault_get_counters(fs, &c);
  CHECK_EQ_U64(c.opens + c.writes + c.syncs + c.bytes_written, 0);
}

static void nth_write_fails_once_with_an_io_error(void) {
  vfs_file *f = NULL;
  CHECK_OK(vfs_open(fs, P("a"), VFS_OPEN_WRITE | VFS_OPEN_CREATE, &f));
  vfs_fault_fail_nth(fs, VFS_FAULT_WRITE, 2);
  strata_status *first = vfs_file_append(f, "one", 3);
  strata_status *second = vfs_file_append(f, "two", 3);
  strata_status *third = vfs_file_append(f, "six", 3);
  strata_status_free(vfs_file_close(f));
  CHECK_OK(first);
  CHECK_CODE(second, STRATA_IO);
  CHECK_OK(third);
  char buf[16];
  CHECK(read_back(P("a"), buf, sizeof buf) == 6 && !memcmp(buf, "onesix", 6)); /* nothing of "two" landed */
  vfs_fault_counters c;
  vfs_fault_get_counters(fs, &c);
  CHECK_EQ_U64(c.injected, 1);
}

static void failing_from_a_point_fails_every_later_sync(void) {
  vfs_file *f = NULL;
  CHECK_OK(vfs_open(fs, P("a"), VFS_OPEN_WRITE | VFS_OPEN_CREATE, &f));
  vfs_fault_fail_from(fs, VFS_FAULT_SYNC, 2);
  strata_status *s1 = vfs_file_sync(f);
  strata_status *s2 = vfs_file_sync(f);
  strata_status *s3 = vfs_sync_dir(fs, root);
  strata_status *w = vfs_file_append(f, "still writable", 14);
  vfs_fault_clear(fs);
  strata_status *s4 = vfs_file_sync(f);
  strata_status_free(vfs_file_close(f));
  CHECK_OK(s1);
  CHECK_CODE(s2, STRATA_IO);
  CHECK_CODE(s3, STRATA_IO);
  CHECK_OK(w);
  CHECK_OK(s4);
}

static void short_write_lands_a_prefix_then_fails(void) {
  vfs_file *f = NULL;
  CHECK_OK(vfs_open(fs, P("a"), VFS_OPEN_WRITE | VFS_OPEN_CREATE, &f));
  vfs_fault_short_write_nth(fs, 1, 4);
  strata_status *st = vfs_file_append(f, "abcdefgh", 8);
  strata_status_free(vfs_file_close(f));
  CHECK_CODE(st, STRATA_IO);
  char buf[16];
  CHECK(read_back(P("a"), buf, sizeof buf) == 4 && !memcmp(buf, "abcd", 4));
}

static void enospc_lands_what_fits_then_fails_until_cleared(void) {
  vfs_file *f = NULL;
  CHECK_OK(vfs_open(fs, P("a"), VFS_OPEN_READ | VFS_OPEN_WRITE | VFS_OPEN_CREATE, &f));
  vfs_fault_enospc(fs, 6);
  strata_status *fits = vfs_file_append(f, "abcd", 4);
  strata_status *over = vfs_file_append(f, "efgh", 4); /* 2 bytes fit */
  strata_status *full = vfs_file_append(f, "ijkl", 4);
  strata_status *replace = vfs_replace(fs, P("b"), "x", 1);
  vfs_file *g = NULL;
  strata_status *create = vfs_open(fs, P("c"), VFS_OPEN_WRITE | VFS_OPEN_CREATE, &g); /* a full disk still creates */
  strata_status *sync = vfs_file_sync(f);
  strata_status *cut = vfs_file_truncate(f, 5);
  vfs_fault_clear(fs);
  strata_status *again = vfs_file_append(f, "mn", 2);
  if (g) strata_status_free(vfs_file_close(g));
  strata_status_free(vfs_file_close(f));
  CHECK_OK(fits);
  CHECK(strata_status_code(over) == STRATA_IO && strstr(strata_status_message(over), "No space left on device"));
  strata_status_free(over);
  CHECK_CODE(full, STRATA_IO);
  CHECK_CODE(replace, STRATA_IO);
  CHECK_OK(create);
  CHECK_OK(sync);
  CHECK_OK(cut);
  CHECK_OK(again);
  char buf[16];
  CHECK(read_back(P("a"), buf, sizeof buf) == 7 && !memcmp(buf, "abcdemn", 7));
  CHECK(read_back(P("b"), buf, sizeof buf) == -1); /* the replace landed nothing */
  vfs_fault_counters c;
  vfs_fault_get_counters(fs, &c);
  CHECK_EQ_U64(c.injected, 3);
}

static void crash_drops_unsynced_appends_and_keeps_synced_ones(void) {
  vfs_file *f = NULL;
  CHECK_OK(create_synced("a", "durable|", &f));
  CHECK_OK(vfs_file_append(f, "volatile", 8));
  CHECK_EQ_U64(vfs_fault_unsynced_bytes(fs), 8);
  CHECK_OK(vfs_fault_crash(fs, 0));
  strata_status_free(vfs_file_close(f));
  char buf[32];
  CHECK(read_back(P("a"), buf, sizeof buf) == 8 && !memcmp(buf, "durable|", 8));
  CHECK_EQ_U64(vfs_fault_unsynced_bytes(fs), 0);
}

static void crash_restores_synced_bytes_that_were_overwritten_or_cut(void) {
  vfs_file *f = NULL;
  CHECK_OK(create_synced("a", "0123456789", &f));
  CHECK_OK(vfs_file_write(f, 2, "AB", 2));
  CHECK_OK(vfs_file_truncate(f, 5));
  CHECK_OK(vfs_file_append(f, "xyz", 3));
  CHECK_OK(vfs_fault_crash(fs, 0));
  strata_status_free(vfs_file_close(f));
  char buf[32];
  CHECK(read_back(P("a"), buf, sizeof buf) == 10 && !memcmp(buf, "0123456789", 10));
}

static void crash_removes_files_whose_folder_was_never_synced(void) {
  vfs_file *g = NULL;
  CHECK_OK(create_synced("kept", "x", &g)); /* its folder is synced before "new" exists */
  CHECK_OK(vfs_file_close(g));
  vfs_file *f = NULL;
  CHECK_OK(vfs_open(fs, P("new"), VFS_OPEN_WRITE | VFS_OPEN_CREATE, &f));
  CHECK_OK(vfs_file_append(f, "data", 4));
  CHECK_OK(vfs_file_sync(f)); /* contents synced, but the name is not */
  CHECK_OK(vfs_file_close(f));
  CHECK_OK(vfs_fault_crash(fs, 0));
  char buf[8];
  CHECK(read_back(P("new"), buf, sizeof buf) == -1);
  CHECK(read_back(P("kept"), buf, sizeof buf) == 1);
}

static void torn_crash_keeps_a_prefix_of_the_unsynced_tail(void) {
  const char *tail = "abcdefghijklmnopqrstuvwxyz";
  int saw_partial = 0;
  for (uint64_t seed = 1; seed <= 20; seed++) {
    char name[16];
    snprintf(name, sizeof name, "f%llu", (unsigned long long)seed);
    vfs_file *f = NULL;
    CHECK_OK(create_synced(name, "SYNCED", &f));
    CHECK_OK(vfs_file_append(f, tail, 26));
    CHECK_OK(vfs_fault_crash(fs, seed));
    strata_status_free(vfs_file_close(f));
    char buf[64];
    long long n = read_back(P(name), buf, sizeof buf);
    CHECK(n >= 6 && n <= 32);
    CHECK(!memcmp(buf, "SYNCED", 6) && !memcmp(buf + 6, tail, (size_t)n - 6));
    if (n > 6 && n < 32) saw_partial = 1;
  }
  CHECK(saw_partial);
}

static void handles_open_at_a_crash_are_dead(void) {
  vfs_file *f = NULL;
  CHECK_OK(create_synced("a", "x", &f));
  CHECK_OK(vfs_fault_crash(fs, 0));
  char buf[4];
  size_t got = 0;
  CHECK_CODE(vfs_file_append(f, "y", 1), STRATA_IO);
  CHECK_CODE(vfs_file_sync(f), STRATA_IO);
  CHECK_CODE(vfs_file_read(f, 0, buf, 1, &got), STRATA_IO);
  CHECK_OK(vfs_file_close(f));
  vfs_file *g = NULL; /* a handle opened after the crash works */
  CHECK_OK(vfs_open(fs, P("a"), VFS_OPEN_READ | VFS_OPEN_WRITE, &g));
  CHECK_OK(vfs_file_append(g, "z", 1));
  CHECK_OK(vfs_file_close(g));
  CHECK(read_back(P("a"), buf, sizeof buf) == 2);
}

static void power_cut_fails_every_later_operation_until_reboot(void) {
  vfs_file *f = NULL;
  CHECK_OK(create_synced("a", "SYNCED", &f));
  vfs_fault_power_cut_at(fs, 3); /* the third operation from now */
  CHECK_OK(vfs_file_append(f, "-lost", 5));
  CHECK(!vfs_fault_power_is_off(fs));
  int exists = 0;
  CHECK_OK(vfs_exists(fs, P("a"), &exists, NULL));
  CHECK_CODE(vfs_file_sync(f), STRATA_IO); /* the cut: the sync never happens */
  CHECK(vfs_fault_power_is_off(fs));
  vfs_fault_clear(fs); /* clearing rules does not bring the power back */
  CHECK_CODE(vfs_exists(fs, P("a"), &exists, NULL), STRATA_IO);
  vfs_file *g = NULL;
  CHECK_CODE(vfs_open(fs, P("b"), VFS_OPEN_WRITE | VFS_OPEN_CREATE, &g), STRATA_IO);
  CHECK_CODE(vfs_sync_dir(fs, root), STRATA_IO);
  CHECK_OK(vfs_fault_crash(fs, 0)); /* reboot */
  CHECK(!vfs_fault_power_is_off(fs));
  strata_status_free(vfs_file_close(f));
  char buf[32];
  CHECK(read_back(P("a"), buf, sizeof buf) == 6 && !memcmp(buf, "SYNCED", 6));
  CHECK(read_back(P("b"), buf, sizeof buf) == -1);
  CHECK_OK(vfs_exists(fs, P("a"), &exists, NULL));
  CHECK(exists);
}

static void power_cut_now_stops_even_reads(void) {
  vfs_file *f = NULL;
  CHECK_OK(create_synced("a", "x", &f));
  vfs_fault_power_cut(fs);
  char buf[4];
  size_t got = 0;
  CHECK_CODE(vfs_file_read(f, 0, buf, 1, &got), STRATA_IO);
  vfs_fault_counters c;
  vfs_fault_get_counters(fs, &c);
  CHECK(c.injected >= 1 && c.operations >= 1);
  CHECK_OK(vfs_fault_crash(fs, 0));
  strata_status_free(vfs_file_close(f));
  CHECK(read_back(P("a"), buf, sizeof buf) == 1);
}

static void volatile_remove_comes_back_unless_its_folder_was_synced(void) {
  vfs_fault_set_volatile_removes(fs, 1);
  vfs_file *f = NULL;
  CHECK_OK(create_synced("back", "DURABLE", &f));
  CHECK_OK(vfs_file_append(f, "+unsynced", 9)); /* not part of what comes back */
  CHECK_OK(vfs_file_close(f));
  CHECK_OK(create_synced("gone", "x", &f));
  CHECK_OK(vfs_file_close(f));
  CHECK_OK(vfs_remove(fs, P("gone")));
  CHECK_OK(vfs_sync_dir(fs, root)); /* "gone" is removed for good */
  CHECK_OK(vfs_remove(fs, P("back")));
  vfs_file *n = NULL; /* a new, never-synced file of the same name does not shadow it */
  CHECK_OK(vfs_open(fs, P("back"), VFS_OPEN_WRITE | VFS_OPEN_CREATE, &n));
  CHECK_OK(vfs_file_append(n, "new", 3));
  CHECK_OK(vfs_file_close(n));
  CHECK_OK(vfs_remove(fs, P("back")));
  char buf[32];
  CHECK(read_back(P("back"), buf, sizeof buf) == -1);
  CHECK_OK(vfs_fault_crash(fs, 0));
  CHECK(read_back(P("back"), buf, sizeof buf) == 7 && !memcmp(buf, "DURABLE", 7));
  CHECK(read_back(P("gone"), buf, sizeof buf) == -1);
}

static void removes_are_durable_at_once_by_default(void) {
  vfs_file *f = NULL;
  CHECK_OK(create_synced("a", "x", &f));
  CHECK_OK(vfs_file_close(f));
  CHECK_OK(vfs_remove(fs, P("a")));
  CHECK_OK(vfs_fault_crash(fs, 0));
  char buf[4];
  CHECK(read_back(P("a"), buf, sizeof buf) == -1);
}

static void crash_on_a_plain_vfs_is_refused(void) {
  CHECK_CODE(vfs_fault_crash(inner, 0), STRATA_INVALID_ARGUMENT);
}

#define CASE(fn) \
  harness_run_variant(#fn, current_factory == vfs_posix_new ? "posix" : "memory", setup, fn, teardown)

int main(void) {
  vfs_factory factories[] = {vfs_memory_new, vfs_posix_new};
  for (size_t i = 0; i < 2; i++) {
    current_factory = factories[i];
    CASE(counters_count_each_kind_of_operation);
    CASE(nth_write_fails_once_with_an_io_error);
    CASE(failing_from_a_point_fails_every_later_sync);
    CASE(short_write_lands_a_prefix_then_fails);
    CASE(enospc_lands_what_fits_then_fails_until_cleared);
    CASE(crash_drops_unsynced_appends_and_keeps_synced_ones);
    CASE(crash_restores_synced_bytes_that_were_overwritten_or_cut);
    CASE(crash_removes_files_whose_folder_was_never_synced);
    CASE(torn_crash_keeps_a_prefix_of_the_unsynced_tail);
    CASE(handles_open_at_a_crash_are_dead);
    CASE(crash_on_a_plain_vfs_is_refused);
    CASE(power_cut_fails_every_later_operation_until_reboot);
    CASE(power_cut_now_stops_even_reads);
    CASE(volatile_remove_comes_back_unless_its_folder_was_synced);
    CASE(removes_are_durable_at_once_by_default);
  }
  return harness_finish();
}
