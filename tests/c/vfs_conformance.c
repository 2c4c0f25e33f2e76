/*
 * vfs_conformance.c -- the cases of the storage conformance suite (see vfs_conformance.h).
 *
 * Each case gets a backend and an empty folder of its own and returns NULL when every check
 * held, or a status naming the first check that did not (the line and what was expected).
 * The cases follow include/strata_vfs.h, method by method; they assume nothing the contract
 * leaves open (list order, the names a backend uses for temporaries or lock files).
 */
#include "vfs_conformance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct vc {
  vfs *v;
  const char *dir;
  char paths[6][512];
  int next;
} vc;

/* dir/name, in one of six rotating buffers so a case can hold a few at once. */
static const char *P(vc *c, const char *name) {
  char *p = c->paths[c->next++ % 6];
  snprintf(p, sizeof c->paths[0], "%s/%s", c->dir, name);
  return p;
}

#define VC(cond)                                                                     \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      st = status_new(STRATA_IO, "line %d: check failed: %s", __LINE__, #cond);      \
      goto done;                                                                     \
    }                                                                                \
  } while (0)

#define VC_OK(expr)                                                                  \
  do {                                                                               \
    strata_status *vc_st_ = (expr);                                                  \
    if (vc_st_) {                                                                    \
      st = status_wrap(vc_st_, "line %d: %s", __LINE__, #expr);                      \
      goto done;                                                                     \
    }                                                                                \
  } while (0)

/* Expects the code, with a non-empty message. */
#define VC_CODE(expr, code)                                                                    \
  do {                                                                                         \
    strata_status *vc_st_ = (expr);                                                            \
    strata_code vc_got_ = strata_status_code(vc_st_);                                          \
    int vc_msg_ = vc_st_ && strata_status_message(vc_st_)[0] != 0;                             \
    if (vc_got_ != (code) || !vc_msg_) {                                                       \
      st = status_new(STRATA_IO, "line %d: %s: expected %s, got %s (%s)", __LINE__, #expr,     \
                      strata_code_name(code), strata_code_name(vc_got_),                       \
                      strata_status_message(vc_st_));                                          \
      strata_status_free(vc_st_);                                                              \
      goto done;                                                                               \
    }                                                                                          \
    strata_status_free(vc_st_);                                                                \
  } while (0)

static void close_quietly(vfs_file *f) { strata_status_free(vfs_file_close(f)); }

static strata_status *write_file(vfs *v, const char *path, const void *data, size_t n) {
  vfs_file *f = NULL;
  STATUS_TRY(vfs_open(v, path, VFS_OPEN_WRITE | VFS_OPEN_CREATE | VFS_OPEN_TRUNCATE, &f));
  strata_status *st = vfs_file_append(f, data, n);
  strata_status *cst = vfs_file_close(f);
  if (st) {
    strata_status_free(cst);
    return st;
  }
  return cst;
}

/* 1 when the file holds exactly these bytes. */
static strata_status *file_is(vfs *v, const char *path, const void *data, size_t n, int *same) {
  buffer b;
  buffer_init(&b);
  strata_status *st = vfs_read_file(v, path, &b);
  *same = !st && b.len == n && (n == 0 || !memcmp(b.data, data, n));
  buffer_free(&b);
  return st;
}

/* --- files: read, write, append, size ---------------------------------------------------- */

static strata_status *read_returns_what_was_written(vc *c) {
  strata_status *st = NULL;
  vfs_file *f = NULL;
  char buf[32] = {0};
  size_t got = 99;
  uint64_t size = 0;
  int same = 0;
  VC_OK(vfs_open(c->v, P(c, "a"), VFS_OPEN_READ | VFS_OPEN_WRITE | VFS_OPEN_CREATE, &f));
  VC_OK(vfs_file_size(f, &size));
  VC(size == 0);
  VC_OK(vfs_file_read(f, 0, buf, sizeof buf, &got)); /* an empty file reads 0 bytes */
  VC(got == 0);
  VC_OK(vfs_file_append(f, "hello ", 6));
  VC_OK(vfs_file_append(f, "world", 5));
  VC_OK(vfs_file_write(f, 0, "J", 1));
  VC_OK(vfs_file_sync(f));
  VC_OK(vfs_file_size(f, &size));
  VC(size == 11);
  VC_OK(vfs_file_read(f, 0, buf, sizeof buf, &got)); /* straddles the end: the bytes up to it */
  VC(got == 11 && !memcmp(buf, "Jello world", 11));
  VC_OK(vfs_file_read(f, 6, buf, 5, &got)); /* ends exactly at the end */
  VC(got == 5 && !memcmp(buf, "world", 5));
  VC_OK(vfs_file_read(f, 9, buf, 8, &got));
  VC(got == 2 && !memcmp(buf, "ld", 2));
  got = 99;
  VC_OK(vfs_file_read(f, 11, buf, 5, &got)); /* at the end */
  VC(got == 0);
  got = 99;
  VC_OK(vfs_file_read(f, 1000, buf, 5, &got)); /* past the end */
  VC(got == 0);
  VC_OK(vfs_file_read(f, 3, buf, 0, &got)); /* nothing asked */
  VC(got == 0);
  VC_CODE(vfs_file_read_exact(f, 8, buf, 5, "sample file"), STRATA_CORRUPTION);
  VC_OK(vfs_file_close(f));
  f = NULL;
  VC_OK(vfs_open(c->v, P(c, "a"), VFS_OPEN_READ, &f)); /* a new handle sees the same bytes */
  VC_OK(vfs_file_size(f, &size));
  VC(size == 11);
  VC_OK(vfs_file_read_exact(f, 0, buf, 11, "a"));
  VC(!memcmp(buf, "Jello world", 11));
  VC_OK(file_is(c->v, P(c, "a"), "Jello world", 11, &same));
  VC(same);
done:
  close_quietly(f);
  return st;
}

static strata_status *large_file_round_trips(vc *c) {
  enum { N = 1 << 20, CHUNK = 70000 };
  strata_status *st = NULL;
  vfs_file *f = NULL;
  uint8_t *data = malloc(N), *back = malloc(N);
  uint64_t size = 0;
  if (!data || !back) {
    st = status_no_memory();
    goto done;
  }
  for (size_t i = 0; i < N; i++) data[i] = (uint8_t)(i * 2654435761u >> 13);
  VC_OK(vfs_open(c->v, P(c, "big"), VFS_OPEN_WRITE | VFS_OPEN_CREATE, &f));
  VC_OK(vfs_file_append(f, data, N / 2));
  VC_OK(vfs_file_append(f, data + N / 2, N / 2));
  VC_OK(vfs_file_read_exact(f, 0, back, N, "big"));
  VC(!memcmp(data, back, N));
  /* positional writes of odd sizes at odd offsets, over and past the end */
  VC_OK(vfs_file_write(f, 12345, data, CHUNK));
  VC_OK(vfs_file_write(f, N - 100, data, CHUNK));
  VC_OK(vfs_file_size(f, &size));
  VC(size == N - 100 + CHUNK);
  VC_OK(vfs_file_sync(f));
  VC_OK(vfs_file_close(f));
  f = NULL;
  VC_OK(vfs_open(c->v, P(c, "big"), VFS_OPEN_READ, &f));
  VC_OK(vfs_file_read_exact(f, 12345, back, CHUNK, "big"));
  VC(!memcmp(back, data, CHUNK));
  VC_OK(vfs_file_read_exact(f, 0, back, 12345, "big"));
  VC(!memcmp(back, data, 12345));
  VC_OK(vfs_file_read_exact(f, N - 100, back, CHUNK, "big"));
  VC(!memcmp(back, data, CHUNK));
done:
  close_quietly(f);
  free(data);
  free(back);
  return st;
}

static strata_status *open_flags_and_errors(vc *c) {
  strata_status *st = NULL;
  vfs_file *f = NULL;
  int same = 0;
  VC_CODE(vfs_open(c->v, P(c, "missing"), VFS_OPEN_READ, &f), STRATA_NOT_FOUND);
  VC_CODE(vfs_open(c->v, P(c, "missing"), VFS_OPEN_WRITE, &f), STRATA_NOT_FOUND); /* no CREATE */
  VC_CODE(vfs_open(c->v, P(c, "nodir/file"), VFS_OPEN_WRITE | VFS_OPEN_CREATE, &f), STRATA_NOT_FOUND);
  VC_CODE(vfs_open(c->v, P(c, "nodir/file"), VFS_OPEN_WRITE | VFS_OPEN_CREATE | VFS_OPEN_EXCLUSIVE, &f),
          STRATA_NOT_FOUND);
  VC_OK(vfs_open(c->v, P(c, "x"), VFS_OPEN_WRITE | VFS_OPEN_CREATE | VFS_OPEN_EXCLUSIVE, &f));
  VC_OK(vfs_file_append(f, "keep", 4));
  VC_OK(vfs_file_close(f));
  f = NULL;
  VC_CODE(vfs_open(c->v, P(c, "x"), VFS_OPEN_WRITE | VFS_OPEN_CREATE | VFS_OPEN_EXCLUSIVE, &f), STRATA_EXISTS);
  VC_OK(file_is(c->v, P(c, "x"), "keep", 4, &same)); /* the refused create left it alone */
  VC(same);
  VC_OK(vfs_open(c->v, P(c, "x"), VFS_OPEN_WRITE | VFS_OPEN_CREATE, &f)); /* CREATE alone keeps it */
  VC_OK(vfs_file_close(f));
  f = NULL;
  VC_OK(file_is(c->v, P(c, "x"), "keep", 4, &same));
  VC(same);
  VC_OK(vfs_open(c->v, P(c, "x"), VFS_OPEN_WRITE | VFS_OPEN_TRUNCATE, &f));
  VC_OK(vfs_file_close(f));
  f = NULL;
  VC_OK(file_is(c->v, P(c, "x"), "", 0, &same));
  VC(same);
  VC_OK(vfs_mkdir(c->v, P(c, "sub")));
  VC_CODE(vfs_open(c->v, P(c, "sub"), VFS_OPEN_READ, &f), STRATA_INVALID_ARGUMENT);
  VC_CODE(vfs_open(c->v, P(c, "sub"), VFS_OPEN_WRITE | VFS_OPEN_CREATE, &f), STRATA_INVALID_ARGUMENT);
  buffer b;
  buffer_init(&b);
  strata_status *rst = vfs_read_file(c->v, P(c, "missing"), &b);
  buffer_free(&b);
  VC_CODE(rst, STRATA_NOT_FOUND);
done:
  close_quietly(f);
  return st;
}

static strata_status *append_goes_to_the_end_the_handle_knows(vc *c) {
  strata_status *st = NULL;
  vfs_file *f = NULL;
  int same = 0;
  uint64_t size = 0;
  VC_OK(write_file(c->v, P(c, "j"), "abc", 3));
  VC_OK(vfs_open(c->v, P(c, "j"), VFS_OPEN_WRITE, &f)); /* an existing file: append after it */
  VC_OK(vfs_file_append(f, "de", 2));
  VC_OK(vfs_file_write(f, 0, "A", 1)); /* inside the file: the end stays */
  VC_OK(vfs_file_append(f, "f", 1));
  VC_OK(vfs_file_write(f, 8, "z", 1)); /* past the end: the end moves, the gap is zeros */
  VC_OK(vfs_file_append(f, "!", 1));
  VC_OK(vfs_file_size(f, &size));
  VC(size == 10);
  VC_OK(vfs_file_truncate(f, 2)); /* the end follows a truncation */
  VC_OK(vfs_file_append(f, "Z", 1));
  VC_OK(vfs_file_close(f));
  f = NULL;
  VC_OK(file_is(c->v, P(c, "j"), "AbZ", 3, &same));
  VC(same);
  VC_OK(vfs_open(c->v, P(c, "j"), VFS_OPEN_WRITE | VFS_OPEN_TRUNCATE, &f)); /* TRUNCATE: from 0 */
  VC_OK(vfs_file_append(f, "new", 3));
  VC_OK(vfs_file_close(f));
  f = NULL;
  VC_OK(file_is(c->v, P(c, "j"), "new", 3, &same));
  VC(same);
  VC_OK(write_file(c->v, P(c, "h"), "012345", 6));
  VC_OK(vfs_open(c->v, P(c, "h"), VFS_OPEN_WRITE, &f));
  VC_OK(vfs_file_write(f, 8, "9", 1));
  VC_OK(vfs_file_close(f));
  f = NULL;
  VC_OK(file_is(c->v, P(c, "h"), "012345\0\0" "9", 9, &same));
  VC(same);
done:
  close_quietly(f);
  return st;
}

static strata_status *read_only_handle_refuses_writes_and_syncs(vc *c) {
  strata_status *st = NULL;
  vfs_file *f = NULL;
  int same = 0;
  uint64_t size = 0;
  VC_OK(write_file(c->v, P(c, "ro"), "data", 4));
  VC_OK(vfs_open(c->v, P(c, "ro"), VFS_OPEN_READ, &f));
  VC_CODE(vfs_file_append(f, "x", 1), STRATA_INVALID_ARGUMENT);
  VC_CODE(vfs_file_write(f, 0, "x", 1), STRATA_INVALID_ARGUMENT);
  VC_CODE(vfs_file_truncate(f, 0), STRATA_INVALID_ARGUMENT);
  VC_OK(vfs_file_sync(f)); /* nothing to make durable: succeeds */
  VC_OK(vfs_file_size(f, &size));
  VC(size == 4);
  VC_OK(vfs_file_close(f));
  f = NULL;
  VC_OK(file_is(c->v, P(c, "ro"), "data", 4, &same));
  VC(same);
done:
  close_quietly(f);
  return st;
}

static strata_status *truncate_shrinks_and_zero_fills(vc *c) {
  strata_status *st = NULL;
  vfs_file *f = NULL;
  char buf[8];
  size_t got = 0;
  uint64_t size = 1;
  VC_OK(write_file(c->v, P(c, "t"), "0123456789", 10));
  VC_OK(vfs_open(c->v, P(c, "t"), VFS_OPEN_WRITE, &f));
  VC_OK(vfs_file_truncate(f, 4));
  VC_OK(vfs_file_truncate(f, 6));
  VC_OK(vfs_file_read(f, 0, buf, sizeof buf, &got));
  VC(got == 6 && !memcmp(buf, "0123\0\0", 6));
  VC_OK(vfs_file_truncate(f, 6)); /* to its own size: nothing changes */
  VC_OK(vfs_file_size(f, &size));
  VC(size == 6);
  VC_OK(vfs_file_sync(f));
  VC_OK(vfs_file_truncate(f, 0));
  VC_OK(vfs_file_size(f, &size));
  VC(size == 0);
  VC_OK(vfs_file_close(f));
  f = NULL;
  VC_OK(vfs_open(c->v, P(c, "t"), VFS_OPEN_READ, &f));
  VC_OK(vfs_file_size(f, &size));
  VC(size == 0);
done:
  close_quietly(f);
  return st;
}

/* --- replace ----------------------------------------------------------------------------- */

typedef struct listing {
  char names[8][64];
  int dirs[8];
  int count;
  int dots; /* "." or ".." seen */
} listing;

static strata_status *collect(void *ctx, const char *name, int is_dir) {
  listing *l = ctx;
  if (!strcmp(name, ".") || !strcmp(name, "..")) l->dots++;
  if (l->count == 8) return status_new(STRATA_INVALID_ARGUMENT, "too many entries");
  snprintf(l->names[l->count], sizeof l->names[0], "%s", name);
  l->dirs[l->count++] = is_dir;
  return NULL;
}

/* 1 when `name` was listed exactly once, as a folder or not as asked. */
static int listed(const listing *l, const char *name, int is_dir) {
  int seen = 0, right = 0;
  for (int i = 0; i < l->count; i++)
    if (!strcmp(l->names[i], name)) seen++, right = l->dirs[i] == is_dir;
  return seen == 1 && right;
}

static strata_status *replace_swaps_whole_contents_and_leaves_no_other_name(vc *c) {
  strata_status *st = NULL;
  vfs_file *old = NULL;
  int same = 0;
  char buf[16];
  size_t got = 0;
  uint8_t big[20000];
  for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 7 + 3);
  VC_OK(vfs_replace(c->v, P(c, "manifest"), "version-1", 9)); /* creates */
  VC_OK(vfs_open(c->v, P(c, "manifest"), VFS_OPEN_READ, &old));
  VC_OK(vfs_replace(c->v, P(c, "manifest"), "v2", 2)); /* shorter: no old tail left */
  VC_OK(file_is(c->v, P(c, "manifest"), "v2", 2, &same));
  VC(same);
  /* a handle opened before the replace still sees the old contents */
  VC_OK(vfs_file_read(old, 0, buf, sizeof buf, &got));
  VC(got == 9 && !memcmp(buf, "version-1", 9));
  VC_OK(vfs_file_close(old));
  old = NULL;
  VC_OK(vfs_replace(c->v, P(c, "manifest"), big, sizeof big));
  VC_OK(file_is(c->v, P(c, "manifest"), big, sizeof big, &same));
  VC(same);
  VC_OK(vfs_replace(c->v, P(c, "manifest"), "", 0));
  VC_OK(file_is(c->v, P(c, "manifest"), "", 0, &same));
  VC(same);
  VC_CODE(vfs_replace(c->v, P(c, "nodir/m"), "x", 1), STRATA_NOT_FOUND);
  VC_OK(vfs_mkdir(c->v, P(c, "sub")));
  VC_CODE(vfs_replace(c->v, P(c, "sub"), "x", 1), STRATA_INVALID_ARGUMENT);
  listing l = {0};
  VC_OK(vfs_list(c->v, c->dir, collect, &l));
  VC(l.count == 2 && listed(&l, "manifest", 0) && listed(&l, "sub", 1)); /* no temporaries left */
done:
  close_quietly(old);
  return st;
}

/* --- remove, exists, folders, list --------------------------------------------------------- */

static strata_status *removed_file_stays_readable_through_open_handle(vc *c) {
  strata_status *st = NULL;
  vfs_file *f = NULL;
  int exists = 1, same = 0;
  char buf[16];
  VC_OK(write_file(c->v, P(c, "r"), "still here", 10));
  VC_OK(vfs_open(c->v, P(c, "r"), VFS_OPEN_READ, &f));
  VC_OK(vfs_remove(c->v, P(c, "r")));
  VC_OK(vfs_exists(c->v, P(c, "r"), &exists, NULL));
  VC(!exists);
  VC_OK(write_file(c->v, P(c, "r"), "new", 3)); /* the name is free again */
  VC_OK(vfs_file_read_exact(f, 0, buf, 10, "r"));
  VC(!memcmp(buf, "still here", 10));
  VC_OK(vfs_file_close(f));
  f = NULL;
  VC_OK(file_is(c->v, P(c, "r"), "new", 3, &same));
  VC(same);
  VC_OK(vfs_remove(c->v, P(c, "r")));
  VC_CODE(vfs_remove(c->v, P(c, "r")), STRATA_NOT_FOUND);
  VC_CODE(vfs_remove(c->v, P(c, "nodir/r")), STRATA_NOT_FOUND);
  VC_OK(vfs_mkdir(c->v, P(c, "sub")));
  VC_CODE(vfs_remove(c->v, P(c, "sub")), STRATA_INVALID_ARGUMENT);
  VC_OK(vfs_exists(c->v, P(c, "sub"), &exists, NULL));
  VC(exists);
done:
  close_quietly(f);
  return st;
}

static strata_status *exists_tells_files_folders_and_missing(vc *c) {
  strata_status *st = NULL;
  int exists = -1, is_dir = -1;
  VC_OK(write_file(c->v, P(c, "f"), "x", 1));
  VC_OK(vfs_mkdir(c->v, P(c, "d")));
  VC_OK(vfs_exists(c->v, P(c, "f"), &exists, &is_dir));
  VC(exists == 1 && is_dir == 0);
  VC_OK(vfs_exists(c->v, P(c, "d"), &exists, &is_dir));
  VC(exists == 1 && is_dir == 1);
  VC_OK(vfs_exists(c->v, c->dir, &exists, &is_dir));
  VC(exists == 1 && is_dir == 1);
  VC_OK(vfs_exists(c->v, P(c, "missing"), &exists, &is_dir));
  VC(exists == 0);
  exists = -1;
  VC_OK(vfs_exists(c->v, P(c, "nodir/missing"), &exists, NULL)); /* missing parent: just missing */
  VC(exists == 0);
  exists = -1;
  VC_OK(vfs_exists(c->v, P(c, "f"), &exists, NULL)); /* is_dir may be NULL */
  VC(exists == 1);
done:
  return st;
}

static strata_status *mkdir_and_rmdir_follow_the_contract(vc *c) {
  strata_status *st = NULL;
  int exists = 1, is_dir = 0;
  VC_OK(vfs_mkdir(c->v, P(c, "tables")));
  VC_OK(vfs_mkdir(c->v, P(c, "tables"))); /* already there: fine */
  VC_OK(vfs_mkdir(c->v, P(c, "tables/nested")));
  VC_OK(write_file(c->v, P(c, "journal"), "j", 1));
  VC_CODE(vfs_mkdir(c->v, P(c, "journal")), STRATA_EXISTS);
  VC_CODE(vfs_mkdir(c->v, P(c, "a/b")), STRATA_NOT_FOUND);
  VC_OK(vfs_exists(c->v, P(c, "a"), &exists, NULL));
  VC(!exists); /* nothing created on the way */
  VC_CODE(vfs_rmdir(c->v, P(c, "tables")), STRATA_IO); /* not empty */
  VC_CODE(vfs_rmdir(c->v, P(c, "gone")), STRATA_NOT_FOUND);
  VC_CODE(vfs_rmdir(c->v, P(c, "journal")), STRATA_INVALID_ARGUMENT);
  VC_OK(vfs_exists(c->v, P(c, "tables"), &exists, &is_dir));
  VC(exists && is_dir);
  VC_OK(vfs_rmdir(c->v, P(c, "tables/nested")));
  VC_OK(vfs_rmdir(c->v, P(c, "tables")));
  VC_OK(vfs_exists(c->v, P(c, "tables"), &exists, NULL));
  VC(!exists);
done:
  return st;
}

static strata_status *stop_at_first(void *ctx, const char *name, int is_dir) {
  int *calls = ctx;
  (void)name, (void)is_dir;
  ++*calls;
  return status_new(STRATA_BUSY, "stop here");
}

static strata_status *list_reports_each_entry_once(vc *c) {
  strata_status *st = NULL;
  listing l = {0}, t = {0}, e = {0};
  int calls = 0;
  VC_OK(vfs_list(c->v, c->dir, collect, &e)); /* an empty folder */
  VC(e.count == 0);
  VC_OK(vfs_mkdir(c->v, P(c, "tables")));
  VC_OK(write_file(c->v, P(c, "tables/1"), "t1", 2));
  VC_OK(write_file(c->v, P(c, "journal"), "j", 1));
  VC_OK(write_file(c->v, P(c, "empty"), "", 0));
  VC_OK(vfs_mkdir(c->v, P(c, "tables/nested")));
  VC_OK(vfs_list(c->v, c->dir, collect, &l));
  VC(l.count == 3 && !l.dots);
  VC(listed(&l, "tables", 1) && listed(&l, "journal", 0) && listed(&l, "empty", 0));
  VC_OK(vfs_list(c->v, P(c, "tables"), collect, &t)); /* one level only */
  VC(t.count == 2 && listed(&t, "1", 0) && listed(&t, "nested", 1));
  strata_status *stop = vfs_list(c->v, c->dir, stop_at_first, &calls);
  int stopped = calls == 1 && strata_status_code(stop) == STRATA_BUSY &&
                !strcmp(strata_status_message(stop), "stop here"); /* fn's error, unchanged */
  strata_status_free(stop);
  VC(stopped);
  VC_CODE(vfs_list(c->v, P(c, "nope"), collect, &l), STRATA_NOT_FOUND);
  VC_CODE(vfs_list(c->v, P(c, "journal"), collect, &l), STRATA_INVALID_ARGUMENT);
done:
  return st;
}

static strata_status *sync_dir_needs_a_folder(vc *c) {
  strata_status *st = NULL;
  VC_OK(vfs_mkdir(c->v, P(c, "tables")));
  VC_OK(write_file(c->v, P(c, "tables/1"), "t", 1));
  VC_OK(vfs_sync_dir(c->v, P(c, "tables")));
  VC_OK(vfs_sync_dir(c->v, c->dir));
  VC_CODE(vfs_sync_dir(c->v, P(c, "gone")), STRATA_NOT_FOUND);
done:
  return st;
}

/* --- locks ----------------------------------------------------------------------------------- */

static strata_status *lock_is_exclusive_until_released(vc *c) {
  strata_status *st = NULL;
  vfs_lock *a = NULL, *b = NULL;
  VC_OK(vfs_lock_acquire(c->v, P(c, "LOCK"), &a));
  VC_CODE(vfs_lock_acquire(c->v, P(c, "LOCK"), &b), STRATA_LOCKED);
  VC_OK(vfs_lock_acquire(c->v, P(c, "OTHER"), &b)); /* other paths are independent */
  VC_OK(vfs_lock_release(c->v, b));
  b = NULL;
  VC_OK(vfs_lock_release(c->v, a));
  a = NULL;
  VC_OK(vfs_lock_acquire(c->v, P(c, "LOCK"), &a)); /* released: free to take again */
  VC_OK(vfs_lock_release(c->v, a));
  a = NULL;
  VC_OK(vfs_lock_release(c->v, NULL));
  VC_CODE(vfs_lock_acquire(c->v, P(c, "nodir/LOCK"), &b), STRATA_NOT_FOUND);
done:
  strata_status_free(vfs_lock_release(c->v, a));
  strata_status_free(vfs_lock_release(c->v, b));
  return st;
}

/* --- the helpers of vfs.h, which use only the contract ---------------------------------------- */

static strata_status *copy_file_duplicates_and_refuses_existing_target(vc *c) {
  strata_status *st = NULL;
  int same = 0;
  VC_OK(write_file(c->v, P(c, "src"), "some bytes", 10));
  VC_OK(vfs_copy_file(c->v, P(c, "src"), P(c, "dst")));
  VC_OK(file_is(c->v, P(c, "dst"), "some bytes", 10, &same));
  VC(same);
  VC_CODE(vfs_copy_file(c->v, P(c, "src"), P(c, "dst")), STRATA_EXISTS);
  VC_CODE(vfs_copy_file(c->v, P(c, "missing"), P(c, "other")), STRATA_NOT_FOUND);
  VC_OK(vfs_mkdir(c->v, P(c, "t")));
  VC_OK(vfs_remove_tree(c->v, P(c, "t")));
  VC_OK(vfs_remove_tree(c->v, P(c, "t"))); /* missing: fine */
done:
  return st;
}

/* --- the journal hint (STRATA_VFS_OPEN_JOURNAL): a backend may serve appends from a reserve - */

static uint8_t journal_byte(uint64_t i) { return (uint8_t)((i * 131u + (i >> 11)) % 255u + 1u); }

static strata_status *file_matches_pattern(vfs_file *f, uint64_t from, uint64_t n, int *same) {
  uint8_t buf[4096];
  *same = 1;
  for (uint64_t off = from; off < from + n && *same;) {
    size_t want = from + n - off < sizeof buf ? (size_t)(from + n - off) : sizeof buf;
    STATUS_TRY(vfs_file_read_exact(f, off, buf, want, "journal"));
    for (size_t i = 0; i < want; i++)
      if (buf[i] != journal_byte(off + i)) *same = 0;
    off += want;
  }
  return NULL;
}

/* Appends crossing the posix backend's 1 MiB reserve chunks (and one bigger than a chunk) read
 * back at their logical size through the writing handle and others; truncate and reopen keep
 * it; a cleanly closed file has no zero tail. The truncate cuts into chunks already handed to
 * early writeback, and the appends after it cross chunks again. */
static strata_status *journal_hint_appends_read_back_at_their_logical_size(vc *c) {
  strata_status *st = NULL;
  vfs_file *f = NULL, *r = NULL;
  static const size_t pieces[] = {16, 1, 100, 4095, 4097, 70000, 300000, 1300000, 33, 511000};
  uint8_t *data = malloc(1300000);
  uint64_t total = 0, size = 0;
  size_t got = 0;
  int same = 0;
  uint8_t tail[8];
  if (!data) return status_no_memory();
  VC_OK(vfs_open(c->v, P(c, "journal"), VFS_OPEN_READ | VFS_OPEN_WRITE | VFS_OPEN_CREATE | vfs_journal_flag(c->v), &f));
  for (int round = 0; round < 2; round++)
    for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
      for (size_t j = 0; j < pieces[i]; j++) data[j] = journal_byte(total + j);
      VC_OK(vfs_file_append(f, data, pieces[i]));
      total += pieces[i];
      VC_OK(vfs_file_size(f, &size));
      VC(size == total);
    }
  VC(total > (4u << 20)); /* several chunks */
  VC_OK(file_matches_pattern(f, (1u << 20) - 100, 200, &same)); /* across a chunk boundary */
  VC(same);
  VC_OK(vfs_file_read(f, total - 5, tail, sizeof tail, &got)); /* the reserve is not read */
  VC(got == 5);
  VC_OK(vfs_file_read(f, total, tail, sizeof tail, &got));
  VC(got == 0);
  VC_OK(vfs_file_sync(f));
  VC_OK(vfs_open(c->v, P(c, "journal"), VFS_OPEN_READ, &r)); /* another handle, up to that size */
  VC_OK(file_matches_pattern(r, 0, total, &same));
  VC(same);
  close_quietly(r);
  r = NULL;
  total = (2u << 20) + 70001;
  VC_OK(vfs_file_truncate(f, total));
  VC_OK(vfs_file_size(f, &size));
  VC(size == total);
  for (int round = 0; round < 2; round++) {
    size_t n = round ? 1300000 : 5000;
    for (size_t j = 0; j < n; j++) data[j] = journal_byte(total + j);
    VC_OK(vfs_file_append(f, data, n));
    total += n;
  }
  VC_OK(vfs_file_close(f));
  f = NULL;
  VC_OK(vfs_open(c->v, P(c, "journal"), VFS_OPEN_READ, &r)); /* closed: exactly its bytes, no zeros */
  VC_OK(vfs_file_size(r, &size));
  VC(size == total);
  VC_OK(file_matches_pattern(r, 0, total, &same));
  VC(same);
  close_quietly(r);
  r = NULL;
  VC_OK(vfs_open(c->v, P(c, "journal"), VFS_OPEN_READ | VFS_OPEN_WRITE | vfs_journal_flag(c->v), &f));
  VC_OK(vfs_file_size(f, &size)); /* reopened for appending: continues at the end */
  VC(size == total);
  for (size_t j = 0; j < 3; j++) data[j] = journal_byte(total + j);
  VC_OK(vfs_file_append(f, data, 3));
  total += 3;
  VC_OK(vfs_file_close(f));
  f = NULL;
  VC_OK(vfs_open(c->v, P(c, "journal"), VFS_OPEN_READ, &r));
  VC_OK(vfs_file_size(r, &size));
  VC(size == total);
  VC_OK(file_matches_pattern(r, total - 6000, 6000, &same));
  VC(same);
done:
  close_quietly(f);
  close_quietly(r);
  free(data);
  return st;
}

typedef struct vc_case {
  const char *name;
  strata_status *(*run)(vc *c);
} vc_case;

#define CASE(fn) {#fn, fn}
static const vc_case cases[] = {
    CASE(read_returns_what_was_written),
    CASE(large_file_round_trips),
    CASE(open_flags_and_errors),
    CASE(append_goes_to_the_end_the_handle_knows),
    CASE(read_only_handle_refuses_writes_and_syncs),
    CASE(truncate_shrinks_and_zero_fills),
    CASE(replace_swaps_whole_contents_and_leaves_no_other_name),
    CASE(removed_file_stays_readable_through_open_handle),
    CASE(exists_tells_files_folders_and_missing),
    CASE(mkdir_and_rmdir_follow_the_contract),
    CASE(list_reports_each_entry_once),
    CASE(sync_dir_needs_a_folder),
    CASE(lock_is_exclusive_until_released),
    CASE(copy_file_duplicates_and_refuses_existing_target),
    CASE(journal_hint_appends_read_back_at_their_logical_size),
};

int vfs_conformance_case_count(void) { return (int)(sizeof cases / sizeof cases[0]); }

int vfs_conformance_run(const vfs_conformance_backend *b, const char *root, vfs_conformance_report report,
                        void *report_ctx) {
  int failed = 0;
  for (int i = 0; i < vfs_conformance_case_count(); i++) {
    vc c = {0};
    char *dir = NULL;
    strata_status *st = b->make(b->ctx, &c.v);
    if (!st) st = vfs_mkdir(c.v, root);
    if (!st) {
      dir = vfs_path_join(root, cases[i].name);
      if (!dir) st = status_no_memory();
    }
    int exists = 0;
    if (!st) st = vfs_exists(c.v, dir, &exists, NULL);
    if (!st && exists) st = status_new(STRATA_EXISTS, "case folder %s exists already", dir);
    if (!st) st = vfs_mkdir(c.v, dir);
    if (!st) {
      c.dir = dir;
      st = cases[i].run(&c);
      strata_status *rst = vfs_remove_tree(c.v, dir);
      if (!st && rst) st = status_wrap(rst, "removing the case folder");
      else strata_status_free(rst);
    }
    if (st) failed++;
    report(report_ctx, b->label, cases[i].name, st);
    strata_status_free(st);
    free(dir);
    if (c.v && b->unmake) b->unmake(b->ctx, c.v);
  }
  return failed;
}
