/*
 * vfs.h -- the only seam between the engine and the platform's storage.
 *
 * Everything Strata stores goes through a `vfs`: the posix backend (native and WASI), the memory
 * backend (tests, ephemeral databases) and, from the JS binding, Node fs, OPFS and IndexedDB.
 * Nothing above this layer knows which backend runs.
 *
 * Paths are '/'-separated strings in the backend's namespace. A file's parent folder must exist
 * before the file is created. Reads return fewer bytes than asked only at end of file. A file
 * has at most one handle writing to it at a time (append may track the end in the handle).
 * `replace` writes a whole small file atomically and durably (old or new contents survive a
 * crash, never a mix); backends without atomic rename implement it their own way.
 */
#ifndef STRATA_VFS_VFS_H
#define STRATA_VFS_VFS_H

#include <stddef.h>
#include <stdint.h>

#include "../util/buffer.h"
#include "../util/status.h"

typedef struct vfs vfs;
typedef struct vfs_file vfs_file;
typedef struct vfs_lock vfs_lock;

enum vfs_open_flags {
  VFS_OPEN_READ = 1,
  VFS_OPEN_WRITE = 2,
  VFS_OPEN_CREATE = 4,    /* create when missing */
  VFS_OPEN_EXCLUSIVE = 8, /* with CREATE: fail with STRATA_EXISTS when present */
  VFS_OPEN_TRUNCATE = 16  /* empty the file on open */
};

/* Called once per entry of a folder ("." and ".." excluded); a non-NULL status stops the walk. */
typedef strata_status *(*vfs_list_fn)(void *ctx, const char *name, int is_dir);

typedef struct vfs_file_ops {
  strata_status *(*read)(vfs_file *f, uint64_t offset, void *buf, size_t n, size_t *nread);
  strata_status *(*write)(vfs_file *f, uint64_t offset, const void *data, size_t n);
  strata_status *(*append)(vfs_file *f, const void *data, size_t n);
  strata_status *(*sync)(vfs_file *f);
  strata_status *(*truncate)(vfs_file *f, uint64_t size);
  strata_status *(*size)(vfs_file *f, uint64_t *size);
  strata_status *(*close)(vfs_file *f); /* also frees f, even when it reports an error */
} vfs_file_ops;

struct vfs_file {
  const vfs_file_ops *ops;
};

typedef struct vfs_ops {
  const char *name; /* "posix", "memory", ... */
  strata_status *(*open)(vfs *v, const char *path, int flags, vfs_file **out);
  strata_status *(*exists)(vfs *v, const char *path, int *exists, int *is_dir);
  strata_status *(*remove)(vfs *v, const char *path);   /* a file */
  strata_status *(*mkdir)(vfs *v, const char *path);    /* succeeds if it already exists */
  strata_status *(*rmdir)(vfs *v, const char *path);    /* an empty folder */
  strata_status *(*list)(vfs *v, const char *dir, vfs_list_fn fn, void *ctx);
  strata_status *(*replace)(vfs *v, const char *path, const void *data, size_t len);
  strata_status *(*sync_dir)(vfs *v, const char *dir);
  /* One holder per path across processes, runtimes and handles of one process; on real files
   * by the folder lock protocol of docs/LOCKING.md (posix_lock.c, the Node host), so that every
   * runtime sees every other's lock. STRATA_LOCKED names the holder. */
  strata_status *(*lock)(vfs *v, const char *path, vfs_lock **out);
  strata_status *(*unlock)(vfs *v, vfs_lock *lock);
  void (*destroy)(vfs *v);
} vfs_ops;

struct vfs {
  const vfs_ops *ops;
};

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

/* Reads exactly n bytes at off; a short read is corruption naming `what` (a file, a block). */
STRATA_MUST_USE strata_status *vfs_file_read_exact(vfs_file *f, uint64_t off, void *buf, size_t n,
                                                   const char *what);
/* Reads a whole file into out (replacing its contents). */
STRATA_MUST_USE strata_status *vfs_read_file(vfs *v, const char *path, buffer *out);
/* Removes a folder and everything under it; a missing folder is not an error. */
STRATA_MUST_USE strata_status *vfs_remove_tree(vfs *v, const char *dir);
/* Copies a file to a new path (STRATA_EXISTS if `to` exists) and syncs the copy; works on every
 * backend, since the contract has no rename. The caller syncs the folder. */
STRATA_MUST_USE strata_status *vfs_copy_file(vfs *v, const char *from, const char *to);
/* Joins a folder and a name with '/'; the result is malloc'd (NULL when out of memory). */
char *vfs_path_join(const char *dir, const char *name);

#endif
