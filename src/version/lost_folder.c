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

/* The first free lost/<kind>-<name>[.N]; malloc'd into *out. */
static strata_status *free_name(vfs *v, const char *dir, const char *kind, const char *name, char **out) {
  size_t cap = strlen(kind) + strlen(name) + 24;
  char *leaf = malloc(cap);
  if (!leaf) return status_no_memory();
  strata_status *st = NULL;
  size_t kind_len = strlen(kind);
  /* "manifest-1" stays "manifest-1": a name that already says its kind does not repeat it */
  const char *sep = strncmp(name, kind, kind_len) == 0 && name[kind_len] == '-' ? "" : "-";
  if (!*sep) kind = "";
  for (unsigned n = 0; !st; n++) {
    if (n == 0) snprintf(leaf, cap, "%s%s%s", kind, sep, name);
    else snprintf(leaf, cap, "%s%s%s.%u", kind, sep, name, n);
    char *path = vfs_path_join(dir, leaf);
    if (!path) {
      st = status_no_memory();
      break;
    }
    int exists = 0;
    st = vfs_exists(v, path, &exists, NULL);
    if (!st && !exists) {
      *out = path;
      break;
    }
    free(path);
    if (!st && n == 100000) st = status_new(STRATA_EXISTS, "%s: no free name for %s", dir, leaf);
  }
  free(leaf);
  return st;
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
