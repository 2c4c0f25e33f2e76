/*
 * vfs.h -- the engine's side of the storage seam: short names and helpers over the public
 * contract in include/strata_vfs.h, which says what every backend must do (errors, atomicity,
 * durability). This file adds no rules of its own.
 */
#ifndef STRATA_VFS_VFS_H
#define STRATA_VFS_VFS_H

#include <stddef.h>
#include <stdint.h>

#include "strata_vfs.h"
#include "../util/buffer.h"
#include "../util/status.h"

/* The engine's names for the contract's types. Backends define `struct strata_vfs_lock`. */
typedef strata_vfs vfs;
typedef strata_vfs_file vfs_file;
typedef strata_vfs_lock vfs_lock;
typedef strata_vfs_ops vfs_ops;
typedef strata_vfs_file_ops vfs_file_ops;
typedef strata_vfs_list_fn vfs_list_fn;

enum vfs_open_flags {
  VFS_OPEN_READ = STRATA_VFS_OPEN_READ,
  VFS_OPEN_WRITE = STRATA_VFS_OPEN_WRITE,
  VFS_OPEN_CREATE = STRATA_VFS_OPEN_CREATE,
  VFS_OPEN_EXCLUSIVE = STRATA_VFS_OPEN_EXCLUSIVE,
  VFS_OPEN_TRUNCATE = STRATA_VFS_OPEN_TRUNCATE,
  VFS_OPEN_JOURNAL = STRATA_VFS_OPEN_JOURNAL /* a hint: only pass it through vfs_journal_flag() */
};

/* VFS_OPEN_JOURNAL when the backend's table is of a version that knows the hint, else 0. */
static inline int vfs_journal_flag(const strata_vfs *v) { return v->ops->version >= 3 ? STRATA_VFS_OPEN_JOURNAL : 0; }

/* Checks a table a caller plugged in against the contract: STRATA_NOT_SUPPORTED for a version
 * this build does not know, STRATA_INVALID_ARGUMENT for a missing method. */
STRATA_MUST_USE strata_status *vfs_check_table(const vfs *v);

/* For backends without state of their own: a vfs that is just its table (freed by destroy). */
STRATA_MUST_USE strata_status *vfs_new_stateless(const vfs_ops *ops, vfs **out);
void vfs_destroy_stateless(vfs *v);

/* Backends */
STRATA_MUST_USE strata_status *vfs_posix_new(vfs **out);
STRATA_MUST_USE strata_status *vfs_memory_new(vfs **out);

/* Calls through the tables, so callers read like plain functions. */
static inline const char *vfs_name(const vfs *v) { return v->ops->name; }
static inline strata_status *vfs_open(vfs *v, const char *path, int flags, vfs_file **out) {
  return v->ops->open(v, path, flags, out);
}
static inline strata_status *vfs_exists(vfs *v, const char *path, int *exists, int *is_dir) {
  return v->ops->exists(v, path, exists, is_dir);
}
static inline strata_status *vfs_remove(vfs *v, const char *path) { return v->ops->remove(v, path); }
static inline strata_status *vfs_mkdir(vfs *v, const char *path) { return v->ops->mkdir(v, path); }
static inline strata_status *vfs_rmdir(vfs *v, const char *path) { return v->ops->rmdir(v, path); }
static inline strata_status *vfs_list(vfs *v, const char *dir, vfs_list_fn fn, void *ctx) {
  return v->ops->list(v, dir, fn, ctx);
}
static inline strata_status *vfs_replace(vfs *v, const char *path, const void *data, size_t len) {
  return v->ops->replace(v, path, data, len);
}
static inline strata_status *vfs_sync_dir(vfs *v, const char *dir) { return v->ops->sync_dir(v, dir); }
static inline strata_status *vfs_lock_acquire(vfs *v, const char *path, vfs_lock **out) {
  return v->ops->lock(v, path, out);
}
static inline strata_status *vfs_lock_release(vfs *v, vfs_lock *lock) { return v->ops->unlock(v, lock); }
static inline void vfs_destroy(vfs *v) {
  if (v) v->ops->destroy(v);
}

static inline strata_status *vfs_file_read(vfs_file *f, uint64_t off, void *buf, size_t n, size_t *nread) {
  return f->ops->read(f, off, buf, n, nread);
}
static inline strata_status *vfs_file_write(vfs_file *f, uint64_t off, const void *data, size_t n) {
  return f->ops->write(f, off, data, n);
}
static inline strata_status *vfs_file_append(vfs_file *f, const void *data, size_t n) {
  return f->ops->append(f, data, n);
}
static inline strata_status *vfs_file_sync(vfs_file *f) { return f->ops->sync(f); }
static inline strata_status *vfs_file_truncate(vfs_file *f, uint64_t size) { return f->ops->truncate(f, size); }
static inline strata_status *vfs_file_size(vfs_file *f, uint64_t *size) { return f->ops->size(f, size); }
static inline strata_status *vfs_file_close(vfs_file *f) { return f ? f->ops->close(f) : NULL; }

/* The file mapped read-only (see map() in strata_vfs.h): *addr = NULL, and no error, when the
 * backend `v` that opened f cannot map (a version-1 table or no map method) or the map fails --
 * the caller then reads. The mapping lives until the file is closed. */
void vfs_file_try_map(const vfs *v, vfs_file *f, uint64_t size, const void **addr);

/* Reads exactly n bytes at off; a short read is corruption naming `what` (a file, a block). */
STRATA_MUST_USE strata_status *vfs_file_read_exact(vfs_file *f, uint64_t off, void *buf, size_t n,
                                                   const char *what);
/* Reads a whole file into out (replacing its contents). */
STRATA_MUST_USE strata_status *vfs_read_file(vfs *v, const char *path, buffer *out);
/* Removes a folder and everything under it; a missing folder is not an error. */
STRATA_MUST_USE strata_status *vfs_remove_tree(vfs *v, const char *dir);
/* How many entries (files and folders) `dir` holds, not counting below them. */
STRATA_MUST_USE strata_status *vfs_count_entries(vfs *v, const char *dir, size_t *n);
/* Copies a file to a new path (STRATA_EXISTS if `to` exists) and syncs the copy; works on every
 * backend, since the contract has no rename. The caller syncs the folder. */
STRATA_MUST_USE strata_status *vfs_copy_file(vfs *v, const char *from, const char *to);
/* Joins a folder and a name with '/'; the result is malloc'd (NULL when out of memory). */
char *vfs_path_join(const char *dir, const char *name);

#endif
