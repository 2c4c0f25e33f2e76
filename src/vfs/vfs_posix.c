/*
 * vfs_posix.c -- files through POSIX calls: native builds, WASI (wasi-libc) and Emscripten
 * (NODERAWFS in tests).
 *
 * Locking: the folder lock protocol of every runtime (a record published by an exclusive link,
 * natively also under flock), in posix_lock.c.
 */
#define _DEFAULT_SOURCE /* fsync, pread with -std=c11 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h> /* rename */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Native 64-bit builds map table files (map()); WASI and Emscripten have no real mmap (theirs
 * copies the file), and 32-bit address space is too small to map every open table. */
#if !defined(__wasi__) && !defined(__EMSCRIPTEN__) && UINTPTR_MAX > 0xFFFFFFFFu
#define POSIX_CAN_MAP 1
#include <sys/mman.h>
#else
#define POSIX_CAN_MAP 0
#endif

#include "posix_lock.h"
#include "vfs.h"


typedef struct posix_file {
  vfs_file base;
  int fd;
  int writable;
  uint64_t end; /* the file's length as this handle knows it: appends need no fstat */
  void *map;    /* map(): the first map_len bytes, read-only, unmapped by close; or NULL */
  size_t map_len;
  char path[];
} posix_file;

static strata_status *errno_status(int err, const char *op, const char *path) {
  strata_code code = STRATA_IO;
  if (err == ENOENT) code = STRATA_NOT_FOUND;
  else if (err == EEXIST) code = STRATA_EXISTS;
  else if (err == ENOMEM) code = STRATA_NO_MEMORY;
  else if (err == EINVAL || err == ENAMETOOLONG || err == ENOTDIR || err == EISDIR) code = STRATA_INVALID_ARGUMENT;
  return status_new(code, "%s %s: %s", op, path, strerror(err));
}

static strata_status *posix_vfs_read(vfs_file *f, uint64_t off, void *buf, size_t n, size_t *nread) {
  posix_file *pf = (posix_file *)f;
  size_t done = 0;
  while (done < n) {
    ssize_t r = pread(pf->fd, (char *)buf + done, n - done, (off_t)(off + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return errno_status(errno, "read", pf->path);
    }
    if (r == 0) break; /* end of file */
    done += (size_t)r;
  }
  *nread = done;
  return NULL;
}

static strata_status *read_only(const posix_file *pf, const char *op) {
  return status_new(STRATA_INVALID_ARGUMENT, "%s %s: opened read-only", op, pf->path);
}

static strata_status *posix_vfs_write(vfs_file *f, uint64_t off, const void *data, size_t n) {
  posix_file *pf = (posix_file *)f;
  if (!pf->writable) return read_only(pf, "write");
  size_t done = 0;
  while (done < n) {
    ssize_t w = pwrite(pf->fd, (const char *)data + done, n - done, (off_t)(off + done));
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno_status(errno, "write", pf->path);
    }
    done += (size_t)w;
  }
  if (off + n > pf->end) pf->end = off + n;
  return NULL;
}

static strata_status *posix_vfs_size(vfs_file *f, uint64_t *size) {
  posix_file *pf = (posix_file *)f;
  struct stat sb;
  if (fstat(pf->fd, &sb) != 0) return errno_status(errno, "stat", pf->path);
  *size = (uint64_t)sb.st_size;
  return NULL;
}

/* Appends at the end this handle tracks (the engine has one writer per file); no O_APPEND,
 * because pwrite ignores it on some platforms. */
static strata_status *posix_vfs_append(vfs_file *f, const void *data, size_t n) {
  posix_file *pf = (posix_file *)f;
  return posix_vfs_write(f, pf->end, data, n);
}

static strata_status *posix_vfs_sync(vfs_file *f) {
  posix_file *pf = (posix_file *)f;
#if defined(__APPLE__)
  if (fcntl(pf->fd, F_FULLFSYNC) == 0) return NULL; /* fsync alone does not flush the drive cache */
#endif
  if (fsync(pf->fd) != 0) return errno_status(errno, "sync", pf->path);
  return NULL;
}

static strata_status *posix_vfs_truncate(vfs_file *f, uint64_t size) {
  posix_file *pf = (posix_file *)f;
  if (!pf->writable) return read_only(pf, "truncate");
  if (ftruncate(pf->fd, (off_t)size) != 0) return errno_status(errno, "truncate", pf->path);
  pf->end = size;
  return NULL;
}

#if POSIX_CAN_MAP
static strata_status *posix_vfs_map(vfs_file *f, uint64_t size, const void **addr) {
  posix_file *pf = (posix_file *)f;
  *addr = NULL;
  if (pf->writable) return status_new(STRATA_INVALID_ARGUMENT, "map %s: opened for writing", pf->path);
  if (pf->map) {
    if (size != pf->map_len)
      return status_new(STRATA_INVALID_ARGUMENT, "map %s: already mapped with %zu bytes", pf->path, pf->map_len);
    *addr = pf->map;
    return NULL;
  }
  struct stat sb;
  if (fstat(pf->fd, &sb) != 0) return errno_status(errno, "stat", pf->path);
  /* bytes past the end would fault (SIGBUS) when touched, not fail here */
  if (size == 0 || size > (uint64_t)sb.st_size || size > SIZE_MAX)
    return status_new(STRATA_INVALID_ARGUMENT, "map %s: %llu bytes of a file of %llu", pf->path,
                      (unsigned long long)size, (unsigned long long)sb.st_size);
  void *p = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, pf->fd, 0);
  if (p == MAP_FAILED) return errno_status(errno, "map", pf->path);
  pf->map = p;
  pf->map_len = (size_t)size;
  *addr = p;
  return NULL;
}
#endif

static strata_status *posix_vfs_close(vfs_file *f) {
  posix_file *pf = (posix_file *)f;
#if POSIX_CAN_MAP
  if (pf->map) munmap(pf->map, pf->map_len);
#endif
  strata_status *st = close(pf->fd) == 0 ? NULL : errno_status(errno, "close", pf->path);
  free(pf);
  return st;
}

static const vfs_file_ops posix_vfs_file_ops = {
    .read = posix_vfs_read,
    .write = posix_vfs_write,
    .append = posix_vfs_append,
    .sync = posix_vfs_sync,
    .truncate = posix_vfs_truncate,
    .size = posix_vfs_size,
    .close = posix_vfs_close,
#if POSIX_CAN_MAP
    .map = posix_vfs_map,
#endif
};

static strata_status *posix_vfs_open(vfs *v, const char *path, int flags, vfs_file **out) {
  (void)v;
  int oflags = (flags & VFS_OPEN_WRITE) ? O_RDWR : O_RDONLY;
  if (flags & VFS_OPEN_CREATE) oflags |= O_CREAT;
  if (flags & VFS_OPEN_EXCLUSIVE) oflags |= O_EXCL;
  if (flags & VFS_OPEN_TRUNCATE) oflags |= O_TRUNC;
#ifdef O_CLOEXEC
  oflags |= O_CLOEXEC;
#endif
  size_t len = strlen(path);
  posix_file *pf = malloc(sizeof *pf + len + 1);
  if (!pf) return status_no_memory();
  int fd;
  do fd = open(path, oflags, 0644);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    strata_status *st = errno_status(errno, "open", path);
    free(pf);
    return st;
  }
  struct stat sb;
  if (fstat(fd, &sb) != 0) {
    strata_status *st = errno_status(errno, "stat", path);
    close(fd);
    free(pf);
    return st;
  }
  if (S_ISDIR(sb.st_mode)) {
    close(fd);
    free(pf);
    return status_new(STRATA_INVALID_ARGUMENT, "open %s: is a folder", path);
  }
  pf->end = (uint64_t)sb.st_size;
  pf->base.ops = &posix_vfs_file_ops;
  pf->fd = fd;
  pf->writable = (flags & VFS_OPEN_WRITE) != 0;
  pf->map = NULL;
  pf->map_len = 0;
  memcpy(pf->path, path, len + 1);
  *out = &pf->base;
  return NULL;
}

static strata_status *posix_vfs_exists(vfs *v, const char *path, int *exists, int *is_dir) {
  (void)v;
  struct stat sb;
  if (stat(path, &sb) != 0) {
    if (errno != ENOENT && errno != ENOTDIR) return errno_status(errno, "stat", path);
    *exists = 0;
    if (is_dir) *is_dir = 0;
    return NULL;
  }
  *exists = 1;
  if (is_dir) *is_dir = S_ISDIR(sb.st_mode) ? 1 : 0;
  return NULL;
}

static strata_status *posix_vfs_remove(vfs *v, const char *path) {
  (void)v;
  if (unlink(path) != 0) return errno_status(errno, "remove", path);
  return NULL;
}

static strata_status *posix_vfs_mkdir(vfs *v, const char *path) {
  (void)v;
  if (mkdir(path, 0755) == 0) return NULL;
  int err = errno;
  struct stat sb;
  if (err == EEXIST && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) return NULL;
  if (err == EEXIST) return status_new(STRATA_EXISTS, "mkdir %s: a file of that name exists", path);
  return errno_status(err, "mkdir", path);
}

static strata_status *posix_vfs_rmdir(vfs *v, const char *path) {
  (void)v;
  if (rmdir(path) != 0) return errno_status(errno, "rmdir", path);
  return NULL;
}

/* Names are collected first and reported after closedir, so callbacks may remove entries. */
static strata_status *posix_vfs_list(vfs *v, const char *dir, vfs_list_fn fn, void *ctx) {
  (void)v;
  DIR *d = opendir(dir);
  if (!d) return errno_status(errno, "list", dir);
  buffer names; /* NUL-separated names, each preceded by an is_dir byte */
  buffer_init(&names);
  strata_status *st = NULL;
  struct dirent *e;
  /* errno is reset before each readdir: only its own failure may end the walk with an error
   * (the stat below fails harmlessly when another thread removes an entry meanwhile) */
  while (!st && (errno = 0, e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char *full = vfs_path_join(dir, e->d_name);
    if (!full) {
      st = status_no_memory();
      break;
    }
    struct stat sb;
    int is_dir = stat(full, &sb) == 0 && S_ISDIR(sb.st_mode);
    free(full);
    st = buffer_append_byte(&names, (uint8_t)is_dir);
    if (!st) st = buffer_append(&names, e->d_name, strlen(e->d_name) + 1);
  }
  if (!st && errno != 0) st = errno_status(errno, "list", dir);
  closedir(d);
  for (size_t pos = 0; !st && pos < names.len;) {
    int is_dir = names.data[pos];
    const char *name = (const char *)names.data + pos + 1;
    pos += 1 + strlen(name) + 1;
    st = fn(ctx, name, is_dir);
  }
  buffer_free(&names);
  return st;
}

static strata_status *posix_vfs_sync_dir(vfs *v, const char *dir) {
  (void)v;
  int fd = open(dir, O_RDONLY);
  if (fd < 0) return errno_status(errno, "open folder", dir);
  /* Some file systems refuse fsync on folders (EINVAL); their metadata is durable already. */
  strata_status *st = (fsync(fd) == 0 || errno == EINVAL) ? NULL : errno_status(errno, "sync folder", dir);
  close(fd);
  return st;
}

static char *parent_dir(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return vfs_path_join(".", ""); /* "./" */
  size_t len = slash == path ? 1 : (size_t)(slash - path);
  char *p = malloc(len + 1);
  if (!p) return NULL;
  memcpy(p, path, len);
  p[len] = 0;
  return p;
}

/* Writes `path.tmp`, syncs it, renames it over `path` and syncs the folder. */
static strata_status *posix_vfs_replace(vfs *v, const char *path, const void *data, size_t len) {
  char *tmp = malloc(strlen(path) + sizeof ".tmp");
  char *dir = parent_dir(path);
  if (!tmp || !dir) {
    free(tmp);
    free(dir);
    return status_no_memory();
  }
  strcpy(tmp, path);
  strcat(tmp, ".tmp");
  vfs_file *f = NULL;
  strata_status *st = posix_vfs_open(v, tmp, VFS_OPEN_WRITE | VFS_OPEN_CREATE | VFS_OPEN_TRUNCATE, &f);
  if (!st) st = posix_vfs_write(f, 0, data, len);
  if (!st) st = posix_vfs_sync(f);
  if (f) {
    strata_status *cst = posix_vfs_close(f);
    if (!st) st = cst;
    else strata_status_free(cst);
  }
  if (!st && rename(tmp, path) != 0) st = errno_status(errno, "rename", tmp);
  if (st) unlink(tmp);
  if (!st) st = posix_vfs_sync_dir(v, dir);
  free(tmp);
  free(dir);
  return st;
}

static strata_status *posix_vfs_lock(vfs *v, const char *path, vfs_lock **out) {
  (void)v;
  return posix_lock_acquire(path, out);
}

static strata_status *posix_vfs_unlock(vfs *v, vfs_lock *lock) {
  (void)v;
  return posix_lock_release(lock);
}

static const vfs_ops posix_vfs_ops = {
    .version = STRATA_VFS_VERSION,
    .name = "posix",
    .open = posix_vfs_open,
    .exists = posix_vfs_exists,
    .remove = posix_vfs_remove,
    .mkdir = posix_vfs_mkdir,
    .rmdir = posix_vfs_rmdir,
    .list = posix_vfs_list,
    .replace = posix_vfs_replace,
    .sync_dir = posix_vfs_sync_dir,
    .lock = posix_vfs_lock,
    .unlock = posix_vfs_unlock,
    .destroy = vfs_destroy_stateless,
};

strata_status *vfs_posix_new(vfs **out) {
  return vfs_new_stateless(&posix_vfs_ops, out);
}
