/*
 * vfs_js.c -- a VFS whose operations are carried out by JavaScript (the JS package's storage
 * backends: Node `fs` today, OPFS and IndexedDB later). Every JS backend implements the contract
 * of include/strata_vfs.h -- the same codes, EOF, append and replace semantics as the C backends --
 * and is held to it by the conformance suite (strata_js_vfs_check, tests/js/vfs_node.test.mjs).
 *
 * Each operation calls one import from library_strata_host.js, which forwards to the backend
 * object the package registered on the module under this vfs's host index
 * (`Module.strataHosts[host]`), so one module instance serves several databases, each on its
 * own backend. The imports are proxied to the
 * main runtime thread in the pthreads build, so background flush and compaction threads reach
 * the same backend (and the same file descriptors) as the thread that opened the database.
 *
 * Calling convention of the imports: numbers only. Offsets and sizes cross as doubles (exact up
 * to 2^53 bytes). A negative result is minus a strata_code; the backend then wrote a message of
 * at most JS_ERR_CAP bytes (UTF-8, NUL-terminated) into the caller's `err` buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "vfs/vfs.h"
#include "vfs_js.h"

#define JS_ERR_CAP 512

/* Imports (library_strata_host.js). `host` names the storage host of the vfs making the call
 * (Module.strataHosts[host]): one module instance may serve several databases, each on its own
 * host. `path` and `err` are NUL-terminated C strings. */
extern int strata_js_host_open(int host, const char *path, int flags, char *err);
extern double strata_js_host_read(int host, int fd, double off, void *buf, double n, char *err);
extern int strata_js_host_write(int host, int fd, double off, const void *data, double n, char *err);
extern int strata_js_host_append(int host, int fd, const void *data, double n, char *err);
extern int strata_js_host_sync(int host, int fd, char *err);
extern int strata_js_host_truncate(int host, int fd, double size, char *err);
extern double strata_js_host_size(int host, int fd, char *err);
extern int strata_js_host_close(int host, int fd, char *err);
extern int strata_js_host_exists(int host, const char *path, char *err); /* 0 none, 1 file, 2 folder */
extern int strata_js_host_remove(int host, const char *path, char *err);
extern int strata_js_host_mkdir(int host, const char *path, char *err);
extern int strata_js_host_rmdir(int host, const char *path, char *err);
/* Returns a malloc'd list (entries: is_dir byte, name, NUL) and stores its length in *len. */
extern int strata_js_host_list(int host, const char *dir, uint8_t **list, uint32_t *len, char *err);
extern int strata_js_host_replace(int host, const char *path, const void *data, double n, char *err);
extern int strata_js_host_sync_dir(int host, const char *dir, char *err);
extern int strata_js_host_lock(int host, const char *path, char *err); /* a lock id > 0 */
extern int strata_js_host_unlock(int host, int id, char *err);

typedef struct js_vfs {
  vfs base;
  int host;
} js_vfs;

typedef struct js_file {
  vfs_file base;
  int host;
  int fd;
} js_file;

struct strata_vfs_lock {
  int id;
};

static int host_of(vfs *v) {
  return ((js_vfs *)v)->host;
}

static strata_status *host_error(int negative_code, const char *err) {
  strata_code code = (strata_code)(-negative_code);
  /* a code strata_code_name does not know (the one list of codes) is a plain I/O error */
  if (code <= STRATA_OK || strcmp(strata_code_name(code), "STRATA_UNKNOWN") == 0) code = STRATA_IO;
  return status_new(code, "%s", err[0] ? err : "storage backend error");
}

#define HOST_CALL(call)                   \
  do {                                    \
    char err[JS_ERR_CAP];                 \
    err[0] = 0;                           \
    int r_ = (call);                      \
    if (r_ < 0) return host_error(r_, err); \
  } while (0)

static strata_status *js_file_read(vfs_file *f, uint64_t off, void *buf, size_t n, size_t *nread) {
  char err[JS_ERR_CAP];
  err[0] = 0;
  double r = strata_js_host_read(((js_file *)f)->host, ((js_file *)f)->fd, (double)off, buf, (double)n, err);
  if (r < 0) return host_error((int)r, err);
  *nread = (size_t)r;
  return NULL;
}

static strata_status *js_file_write(vfs_file *f, uint64_t off, const void *data, size_t n) {
  HOST_CALL(strata_js_host_write(((js_file *)f)->host, ((js_file *)f)->fd, (double)off, data, (double)n, err));
  return NULL;
}

static strata_status *js_file_append(vfs_file *f, const void *data, size_t n) {
  HOST_CALL(strata_js_host_append(((js_file *)f)->host, ((js_file *)f)->fd, data, (double)n, err));
  return NULL;
}

static strata_status *js_file_sync(vfs_file *f) {
  HOST_CALL(strata_js_host_sync(((js_file *)f)->host, ((js_file *)f)->fd, err));
  return NULL;
}

static strata_status *js_file_truncate(vfs_file *f, uint64_t size) {
  HOST_CALL(strata_js_host_truncate(((js_file *)f)->host, ((js_file *)f)->fd, (double)size, err));
  return NULL;
}

static strata_status *js_file_size(vfs_file *f, uint64_t *size) {
  char err[JS_ERR_CAP];
  err[0] = 0;
  double r = strata_js_host_size(((js_file *)f)->host, ((js_file *)f)->fd, err);
  if (r < 0) return host_error((int)r, err);
  *size = (uint64_t)r;
  return NULL;
}

static strata_status *js_file_close(vfs_file *f) {
  char err[JS_ERR_CAP];
  err[0] = 0;
  int r = strata_js_host_close(((js_file *)f)->host, ((js_file *)f)->fd, err);
  free(f);
  return r < 0 ? host_error(r, err) : NULL;
}

static const vfs_file_ops js_file_ops = {
    .read = js_file_read,
    .write = js_file_write,
    .append = js_file_append,
    .sync = js_file_sync,
    .truncate = js_file_truncate,
    .size = js_file_size,
    .close = js_file_close,
};

static strata_status *js_open(vfs *v, const char *path, int flags, vfs_file **out) {
  js_file *f = malloc(sizeof *f);
  if (!f) return status_no_memory();
  char err[JS_ERR_CAP];
  err[0] = 0;
  int fd = strata_js_host_open(host_of(v), path, flags, err);
  if (fd < 0) {
    free(f);
    return host_error(fd, err);
  }
  f->base.ops = &js_file_ops;
  f->host = host_of(v);
  f->fd = fd;
  *out = &f->base;
  return NULL;
}

static strata_status *js_exists(vfs *v, const char *path, int *exists, int *is_dir) {
  char err[JS_ERR_CAP];
  err[0] = 0;
  int r = strata_js_host_exists(host_of(v), path, err);
  if (r < 0) return host_error(r, err);
  *exists = r != 0;
  if (is_dir) *is_dir = r == 2;
  return NULL;
}

static strata_status *js_remove(vfs *v, const char *path) {
  HOST_CALL(strata_js_host_remove(host_of(v), path, err));
  return NULL;
}

static strata_status *js_mkdir(vfs *v, const char *path) {
  HOST_CALL(strata_js_host_mkdir(host_of(v), path, err));
  return NULL;
}

static strata_status *js_rmdir(vfs *v, const char *path) {
  HOST_CALL(strata_js_host_rmdir(host_of(v), path, err));
  return NULL;
}

/* The names arrive all at once, so callbacks may remove entries while the walk goes on. */
static strata_status *js_list(vfs *v, const char *dir, vfs_list_fn fn, void *ctx) {
  uint8_t *list = NULL;
  uint32_t len = 0;
  HOST_CALL(strata_js_host_list(host_of(v), dir, &list, &len, err));
  strata_status *st = NULL;
  for (uint32_t pos = 0; !st && pos < len;) {
    int is_dir = list[pos];
    const char *name = (const char *)list + pos + 1;
    pos += 1 + (uint32_t)strlen(name) + 1;
    st = fn(ctx, name, is_dir);
  }
  free(list);
  return st;
}

static strata_status *js_replace(vfs *v, const char *path, const void *data, size_t len) {
  HOST_CALL(strata_js_host_replace(host_of(v), path, data, (double)len, err));
  return NULL;
}

static strata_status *js_sync_dir(vfs *v, const char *dir) {
  HOST_CALL(strata_js_host_sync_dir(host_of(v), dir, err));
  return NULL;
}

static strata_status *js_lock(vfs *v, const char *path, vfs_lock **out) {
  vfs_lock *lock = malloc(sizeof *lock);
  if (!lock) return status_no_memory();
  char err[JS_ERR_CAP];
  err[0] = 0;
  int id = strata_js_host_lock(host_of(v), path, err);
  if (id < 0) {
    free(lock);
    return host_error(id, err);
  }
  lock->id = id;
  *out = lock;
  return NULL;
}

static strata_status *js_unlock(vfs *v, vfs_lock *lock) {
  if (!lock) return NULL;
  char err[JS_ERR_CAP];
  err[0] = 0;
  int r = strata_js_host_unlock(host_of(v), lock->id, err);
  free(lock);
  return r < 0 ? host_error(r, err) : NULL;
}

static const vfs_ops js_vfs_ops = {
    .version = STRATA_VFS_VERSION,
    .name = "js",
    .open = js_open,
    .exists = js_exists,
    .remove = js_remove,
    .mkdir = js_mkdir,
    .rmdir = js_rmdir,
    .list = js_list,
    .replace = js_replace,
    .sync_dir = js_sync_dir,
    .lock = js_lock,
    .unlock = js_unlock,
    .destroy = vfs_destroy_stateless,
};

strata_status *vfs_js_new(int host, vfs **out) {
  js_vfs *v = malloc(sizeof *v);
  if (!v) return status_no_memory();
  v->base.ops = &js_vfs_ops;
  v->host = host;
  *out = &v->base;
  return NULL;
}
