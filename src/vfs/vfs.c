/* Backend-independent helpers built on the vfs tables. */
#include "vfs.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

strata_status *strata_vfs_error(strata_code code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  strata_status *st = status_newv(code, fmt, ap);
  va_end(ap);
  return st;
}

strata_status *vfs_check_table(const vfs *v) {
  if (!v || !v->ops) return status_new(STRATA_INVALID_ARGUMENT, "storage backend: no method table");
  const vfs_ops *o = v->ops;
  const char *name = o->name ? o->name : "(unnamed)";
  if (o->version < 1 || o->version > STRATA_VFS_VERSION)
    return status_new(STRATA_NOT_SUPPORTED,
                      "storage backend %s: contract version %d is not supported (this build knows 1..%d)",
                      name, o->version, STRATA_VFS_VERSION);
  const char *missing = !o->name      ? "name"
                        : !o->open    ? "open"
                        : !o->exists  ? "exists"
                        : !o->remove  ? "remove"
                        : !o->mkdir   ? "mkdir"
                        : !o->rmdir   ? "rmdir"
                        : !o->list    ? "list"
                        : !o->replace ? "replace"
                        : !o->sync_dir ? "sync_dir"
                        : !o->lock    ? "lock"
                        : !o->unlock  ? "unlock"
                        : !o->destroy ? "destroy"
                                      : NULL;
  if (missing)
    return status_new(STRATA_INVALID_ARGUMENT, "storage backend %s: method %s is missing", name, missing);
  return NULL;
}

strata_status *vfs_file_read_exact(vfs_file *f, uint64_t off, void *buf, size_t n, const char *what) {
  size_t got = 0;
  STATUS_TRY(vfs_file_read(f, off, buf, n, &got));
  if (got != n)
    return status_new(STRATA_CORRUPTION, "%s: short read at offset %llu (%zu of %zu bytes)", what,
                      (unsigned long long)off, got, n);
  return NULL;
}

void vfs_file_try_map(const vfs *v, vfs_file *f, uint64_t size, const void **addr) {
  *addr = NULL;
  if (v->ops->version < 2 || !f->ops->map || size == 0) return;
  const void *p = NULL;
  strata_status *st = f->ops->map(f, size, &p);
  if (st) strata_status_free(st); /* not fatal: reads serve instead */
  else *addr = p;
}

strata_status *vfs_read_file(vfs *v, const char *path, buffer *out) {
  vfs_file *f = NULL;
  STATUS_TRY(vfs_open(v, path, VFS_OPEN_READ, &f));
  uint64_t size = 0;
  strata_status *st = vfs_file_size(f, &size);
  if (!st && size > SIZE_MAX / 2) st = status_new(STRATA_NO_MEMORY, "%s: file too large to load", path);
  buffer_clear(out);
  if (!st) st = buffer_reserve(out, (size_t)size);
  if (!st) st = vfs_file_read_exact(f, 0, out->data, (size_t)size, path);
  if (!st) out->len = (size_t)size;
  strata_status *cst = vfs_file_close(f);
  if (st) {
    strata_status_free(cst);
    return st;
  }
  return cst;
}

strata_status *vfs_new_stateless(const vfs_ops *ops, vfs **out) {
  vfs *v = malloc(sizeof *v);
  if (!v) return status_no_memory();
  v->ops = ops;
  *out = v;
  return NULL;
}

void vfs_destroy_stateless(vfs *v) { free(v); }

char *vfs_path_join(const char *dir, const char *name) {
  size_t dl = strlen(dir), nl = strlen(name);
  int slash = dl > 0 && dir[dl - 1] != '/';
  char *p = malloc(dl + (size_t)slash + nl + 1);
  if (!p) return NULL;
  memcpy(p, dir, dl);
  if (slash) p[dl] = '/';
  memcpy(p + dl + slash, name, nl + 1);
  return p;
}

typedef struct remove_walk {
  vfs *v;
  const char *dir;
} remove_walk;

static strata_status *remove_entry(void *ctx, const char *name, int is_dir) {
  remove_walk *w = ctx;
  char *path = vfs_path_join(w->dir, name);
  if (!path) return status_no_memory();
  strata_status *st = is_dir ? vfs_remove_tree(w->v, path) : vfs_remove(w->v, path);
  free(path);
  return st;
}

static strata_status *count_one(void *ctx, const char *name, int is_dir) {
  (void)name, (void)is_dir;
  (*(size_t *)ctx)++;
  return NULL;
}

strata_status *vfs_count_entries(vfs *v, const char *dir, size_t *n) {
  *n = 0;
  return vfs_list(v, dir, count_one, n);
}

strata_status *vfs_remove_tree(vfs *v, const char *dir) {
  int exists = 0, is_dir = 0;
  STATUS_TRY(vfs_exists(v, dir, &exists, &is_dir));
  if (!exists) return NULL;
  if (!is_dir) return vfs_remove(v, dir);
  remove_walk w = {v, dir};
  STATUS_TRY(vfs_list(v, dir, remove_entry, &w));
  return vfs_rmdir(v, dir);
}

strata_status *vfs_copy_file(vfs *v, const char *from, const char *to) {
  enum { CHUNK = 1 << 16 };
  uint8_t *chunk = malloc(CHUNK);
  if (!chunk) return status_no_memory();
  vfs_file *in = NULL, *out = NULL;
  uint64_t size = 0;
  strata_status *st = vfs_open(v, from, VFS_OPEN_READ, &in);
  if (!st) st = vfs_file_size(in, &size);
  if (!st) st = vfs_open(v, to, VFS_OPEN_WRITE | VFS_OPEN_CREATE | VFS_OPEN_EXCLUSIVE, &out);
  for (uint64_t off = 0; !st && off < size;) {
    size_t n = size - off < CHUNK ? (size_t)(size - off) : CHUNK;
    st = vfs_file_read_exact(in, off, chunk, n, from);
    if (!st) st = vfs_file_append(out, chunk, n);
    off += n;
  }
  if (!st) st = vfs_file_sync(out);
  strata_status *cst = vfs_file_close(out);
  if (!st) st = cst;
  else strata_status_free(cst);
  strata_status_free(vfs_file_close(in));
  free(chunk);
  return st;
}
