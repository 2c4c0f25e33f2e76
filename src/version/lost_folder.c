/* lost_folder.c -- setting files aside in `lost/` (see lost_folder.h). */
#include "lost_folder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/db_files.h"

static const char *base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

static strata_status *sync_parent(vfs *v, const char *path) {
  size_t len = (size_t)(base_name(path) - path);
  char *parent = malloc(len + 2);
  if (!parent) return status_no_memory();
  if (len == 0) strcpy(parent, ".");
  else {
    memcpy(parent, path, len - 1 ? len - 1 : 1); /* drop the slash, keep a lone "/" */
    parent[len - 1 ? len - 1 : 1] = '\0';
  }
  strata_status *st = vfs_sync_dir(v, parent);
  free(parent);
  return st;
}

/* lost/<kind>-<name>, then .1, .2, ...: the nth candidate name, malloc'd into *out. */
static strata_status *candidate(const char *dir, const char *kind, const char *name, unsigned n, char **out) {
  size_t cap = strlen(kind) + strlen(name) + 24;
  char *leaf = malloc(cap);
  if (!leaf) return status_no_memory();
  size_t kind_len = strlen(kind);
  /* "manifest-1" stays "manifest-1": a name that already says its kind does not repeat it */
  const char *sep = strncmp(name, kind, kind_len) == 0 && name[kind_len] == '-' ? "" : "-";
  if (!*sep) kind = "";
  if (n == 0) snprintf(leaf, cap, "%s%s%s", kind, sep, name);
  else snprintf(leaf, cap, "%s%s%s.%u", kind, sep, name, n);
  *out = vfs_path_join(dir, leaf);
  free(leaf);
  return *out ? NULL : status_no_memory();
}

/* The lost/ names of `name` in use, in order, through fn (which stops the walk by setting *stop or
 * failing); *free_out (optional) receives the first free one, malloc'd. */
typedef strata_status *(*candidate_fn)(void *ctx, const char *path, int *stop);
static strata_status *walk_names(vfs *v, const char *dir, const char *kind, const char *name, candidate_fn fn,
                                 void *ctx, char **free_out) {
  if (free_out) *free_out = NULL;
  for (unsigned n = 0;; n++) {
    if (n == 100000) return status_new(STRATA_EXISTS, "%s: no free name for %s-%s", dir, kind, name);
    char *path = NULL;
    STATUS_TRY(candidate(dir, kind, name, n, &path));
    int exists = 0, stop = 0;
    strata_status *st = vfs_exists(v, path, &exists, NULL);
    if (!st && !exists) {
      if (free_out) *free_out = path;
      else free(path);
      return NULL;
    }
    if (!st && fn) st = fn(ctx, path, &stop);
    free(path);
    if (st || stop) return st;
  }
}

/* The first free lost/<kind>-<name>[.N]; malloc'd into *out. */
static strata_status *free_name(vfs *v, const char *dir, const char *kind, const char *name, char **out) {
  return walk_names(v, dir, kind, name, NULL, NULL, out);
}

/* Copies `path` to a free lost/<kind>-<name> and makes the copy and its folder entry durable. */
static strata_status *copy_to_lost(vfs *v, const char *db_dir, const char *path, const char *kind, char **out) {
  *out = NULL;
  int exists = 0;
  STATUS_TRY(vfs_exists(v, path, &exists, NULL));
  if (!exists) return status_new(STRATA_NOT_FOUND, "%s does not exist", path);
  char *dir = vfs_path_join(db_dir, DB_DIR_LOST);
  if (!dir) return status_no_memory();
  char *to = NULL;
  strata_status *st = vfs_mkdir(v, dir);
  if (!st) st = vfs_sync_dir(v, db_dir);
  if (!st) st = free_name(v, dir, kind, base_name(path), &to);
  if (!st) {
    st = vfs_copy_file(v, path, to);
    if (st) strata_status_free(vfs_remove(v, to)); /* no partial copy is left behind */
  }
  if (!st) st = vfs_sync_dir(v, dir);
  free(dir);
  if (st) free(to);
  else *out = to;
  return st;
}

strata_status *lost_folder_copy(vfs *v, const char *db_dir, const char *path, const char *kind, char **copied_to) {
  char *to = NULL;
  strata_status *st = copy_to_lost(v, db_dir, path, kind, &to);
  if (st) return status_wrap(st, "copying %s to the lost folder", path);
  if (copied_to) *copied_to = to;
  else free(to);
  return NULL;
}

strata_status *lost_folder_keep(vfs *v, const char *db_dir, const char *path, const char *kind, char **moved_to) {
  if (moved_to) *moved_to = NULL;
  char *to = NULL;
  strata_status *st = copy_to_lost(v, db_dir, path, kind, &to);
  if (status_is(st, STRATA_NOT_FOUND)) return st;
  if (!st) st = vfs_remove(v, path);
  if (!st) st = sync_parent(v, path);
  if (st) {
    free(to);
    return status_wrap(st, "moving %s to the lost folder", path);
  }
  if (moved_to) *moved_to = to;
  else free(to);
  return NULL;
}

/* 1 in *same when files a and b hold the same bytes. */
static strata_status *same_bytes(vfs *v, const char *a, const char *b, int *same) {
  *same = 0;
  vfs_file *fa = NULL, *fb = NULL;
  uint64_t la = 0, lb = 0;
  enum { CHUNK = 64 << 10 };
  char *buf = malloc(2 * CHUNK);
  strata_status *st = buf ? vfs_open(v, a, VFS_OPEN_READ, &fa) : status_no_memory();
  if (!st) st = vfs_open(v, b, VFS_OPEN_READ, &fb);
  if (!st) st = vfs_file_size(fa, &la);
  if (!st) st = vfs_file_size(fb, &lb);
  int differ = !st && la != lb;
  for (uint64_t off = 0; !st && !differ && off < la;) {
    size_t n = la - off < CHUNK ? (size_t)(la - off) : CHUNK;
    st = vfs_file_read_exact(fa, off, buf, n, a);
    if (!st) st = vfs_file_read_exact(fb, off, buf + CHUNK, n, b);
    differ = !st && memcmp(buf, buf + CHUNK, n) != 0;
    off += n;
  }
  if (!st) *same = !differ;
  strata_status_free(vfs_file_close(fa)); /* read only: nothing to lose */
  strata_status_free(vfs_file_close(fb));
  free(buf);
  return st;
}

typedef struct find_copy {
  vfs *v;
  const char *path;
  int found;
} find_copy;

static strata_status *check_copy(void *ctx, const char *candidate_path, int *stop) {
  find_copy *f = ctx;
  STATUS_TRY(same_bytes(f->v, f->path, candidate_path, &f->found));
  *stop = f->found;
  return NULL;
}

strata_status *lost_folder_copy_once(vfs *v, const char *db_dir, const char *path, const char *kind, int *copied) {
  if (copied) *copied = 0;
  char *dir = vfs_path_join(db_dir, DB_DIR_LOST);
  if (!dir) return status_no_memory();
  int exists = 0;
  strata_status *st = vfs_exists(v, dir, &exists, NULL);
  find_copy f = {v, path, 0};
  if (!st && exists) st = walk_names(v, dir, kind, base_name(path), check_copy, &f, NULL);
  free(dir);
  if (st) return status_wrap(st, "looking for a copy of %s in the lost folder", path);
  if (f.found) return NULL;
  STATUS_TRY(lost_folder_copy(v, db_dir, path, kind, NULL));
  if (copied) *copied = 1;
  return NULL;
}
