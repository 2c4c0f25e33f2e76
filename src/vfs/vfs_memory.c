/*
 * vfs_memory.c -- a file system in memory, for tests and ephemeral (':memory:') databases.
 *
 * It mirrors posix semantics where the engine depends on them: parents must exist, a removed
 * file stays readable through handles already open, `replace` swaps contents atomically, and a
 * lock is exclusive per path. Nodes live in a flat array searched linearly: a database has
 * tens to a few thousand files, and every lookup is on an open/list path, not on a read.
 */
#include <stdlib.h>
#include <string.h>

#include "../util/sync.h"
#include "vfs.h"

/* File contents, shared by the node and every handle open on it. */
typedef struct mem_data {
  size_t refs;
  uint8_t *bytes;
  size_t len;
  size_t cap;
} mem_data;

typedef struct mem_node {
  char *path;
  int is_dir;
  mem_data *data; /* NULL for folders */
} mem_node;

typedef struct mem_vfs {
  vfs base;
  sync_mutex mu; /* guards the node table, locks and every mem_data */
  mem_node *nodes;
  size_t count;
  size_t cap;
  char **locked; /* paths held by a vfs_lock */
  size_t locked_count;
} mem_vfs;

typedef struct mem_file {
  vfs_file base;
  mem_vfs *owner;
  mem_data *data;
  int writable;
  char path[];
} mem_file;

struct strata_vfs_lock {
  char *path;
};

static char *copy_string(const char *s) {
  size_t n = strlen(s) + 1;
  char *c = malloc(n);
  if (c) memcpy(c, s, n);
  return c;
}

static void data_release(mem_data *d) {
  if (d && --d->refs == 0) {
    free(d->bytes);
    free(d);
  }
}

static mem_data *data_new(void) {
  mem_data *d = calloc(1, sizeof *d);
  if (d) d->refs = 1;
  return d;
}

static strata_status *data_reserve(mem_data *d, uint64_t size) {
  if (size <= d->cap) return NULL;
  if (size > SIZE_MAX / 2) return status_new(STRATA_NO_MEMORY, "memory file would exceed the address space");
  size_t cap = d->cap ? d->cap : 256;
  while (cap < size) cap *= 2;
  uint8_t *grown = realloc(d->bytes, cap);
  if (!grown) return status_no_memory();
  d->bytes = grown;
  d->cap = cap;
  return NULL;
}

static mem_node *find_node(mem_vfs *m, const char *path) {
  for (size_t i = 0; i < m->count; i++)
    if (!strcmp(m->nodes[i].path, path)) return &m->nodes[i];
  return NULL;
}

/* The folder part of a path; "" for a bare name and "/" for a name under the root. */
static size_t parent_length(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return 0;
  return slash == path ? 1 : (size_t)(slash - path);
}

static int parent_exists(mem_vfs *m, const char *path) {
  size_t len = parent_length(path);
  if (len == 0 || (len == 1 && path[0] == '/')) return 1; /* the root always exists */
  if (len == 1 && path[0] == '.') return 1;
  for (size_t i = 0; i < m->count; i++) {
    mem_node *n = &m->nodes[i];
    if (n->is_dir && strlen(n->path) == len && !memcmp(n->path, path, len)) return 1;
  }
  return 0;
}

static strata_status *add_node(mem_vfs *m, const char *path, int is_dir, mem_data *data, mem_node **out) {
  if (m->count == m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 16;
    mem_node *grown = realloc(m->nodes, cap * sizeof *grown);
    if (!grown) return status_no_memory();
    m->nodes = grown;
    m->cap = cap;
  }
  char *copy = copy_string(path);
  if (!copy) return status_no_memory();
  mem_node *n = &m->nodes[m->count++];
  n->path = copy;
  n->is_dir = is_dir;
  n->data = data;
  if (out) *out = n;
  return NULL;
}

static void drop_node(mem_vfs *m, mem_node *n) {
  free(n->path);
  data_release(n->data);
  *n = m->nodes[--m->count];
}

/* --- files ------------------------------------------------------------------------------ */

static strata_status *mem_read(vfs_file *f, uint64_t off, void *buf, size_t n, size_t *nread) {
  mem_file *mf = (mem_file *)f;
  sync_mutex_lock(&mf->owner->mu);
  size_t len = mf->data->len, got = 0;
  if (off < len) {
    got = len - (size_t)off < n ? len - (size_t)off : n;
    memcpy(buf, mf->data->bytes + off, got);
  }
  sync_mutex_unlock(&mf->owner->mu);
  *nread = got;
  return NULL;
}

static strata_status *write_locked(mem_file *mf, uint64_t off, const void *src, size_t n) {
  if (!mf->writable) return status_new(STRATA_INVALID_ARGUMENT, "write %s: opened read-only", mf->path);
  if (n == 0) return NULL;
  if (off > UINT64_MAX - n) return status_new(STRATA_INVALID_ARGUMENT, "write %s: offset overflows", mf->path);
  mem_data *d = mf->data;
  STATUS_TRY(data_reserve(d, off + n));
  if (off > d->len) memset(d->bytes + d->len, 0, (size_t)off - d->len); /* a hole reads as zeros */
  memcpy(d->bytes + off, src, n);
  if (off + n > d->len) d->len = (size_t)(off + n);
  return NULL;
}

static strata_status *mem_write(vfs_file *f, uint64_t off, const void *src, size_t n) {
  mem_file *mf = (mem_file *)f;
  sync_mutex_lock(&mf->owner->mu);
  strata_status *st = write_locked(mf, off, src, n);
  sync_mutex_unlock(&mf->owner->mu);
  return st;
}

static strata_status *mem_append(vfs_file *f, const void *src, size_t n) {
  mem_file *mf = (mem_file *)f;
  sync_mutex_lock(&mf->owner->mu);
  strata_status *st = write_locked(mf, mf->data->len, src, n);
  sync_mutex_unlock(&mf->owner->mu);
  return st;
}

static strata_status *mem_sync(vfs_file *f) {
  (void)f; /* memory is as durable as it gets */
  return NULL;
}

static strata_status *mem_truncate(vfs_file *f, uint64_t size) {
  mem_file *mf = (mem_file *)f;
  if (!mf->writable) return status_new(STRATA_INVALID_ARGUMENT, "truncate %s: opened read-only", mf->path);
  sync_mutex_lock(&mf->owner->mu);
  mem_data *d = mf->data;
  strata_status *st = data_reserve(d, size);
  if (!st) {
    if (size > d->len) memset(d->bytes + d->len, 0, (size_t)size - d->len);
    d->len = (size_t)size;
  }
  sync_mutex_unlock(&mf->owner->mu);
  return st;
}

static strata_status *mem_size(vfs_file *f, uint64_t *size) {
  mem_file *mf = (mem_file *)f;
  sync_mutex_lock(&mf->owner->mu);
  *size = mf->data->len;
  sync_mutex_unlock(&mf->owner->mu);
  return NULL;
}

static strata_status *mem_close(vfs_file *f) {
  mem_file *mf = (mem_file *)f;
  sync_mutex_lock(&mf->owner->mu);
  data_release(mf->data);
  sync_mutex_unlock(&mf->owner->mu);
  free(mf);
  return NULL;
}

static const vfs_file_ops mem_file_ops = {
    .read = mem_read,
    .write = mem_write,
    .append = mem_append,
    .sync = mem_sync,
    .truncate = mem_truncate,
    .size = mem_size,
    .close = mem_close,
};

/* --- the file system --------------------------------------------------------------------- */

static strata_status *open_locked(mem_vfs *m, const char *path, int flags, mem_data **out) {
  mem_node *n = find_node(m, path);
  if (n && n->is_dir) return status_new(STRATA_INVALID_ARGUMENT, "open %s: is a folder", path);
  if (n && (flags & VFS_OPEN_CREATE) && (flags & VFS_OPEN_EXCLUSIVE))
    return status_new(STRATA_EXISTS, "open %s: file exists", path);
  if (!n) {
    if (!(flags & VFS_OPEN_CREATE)) return status_new(STRATA_NOT_FOUND, "open %s: no such file", path);
    if (!parent_exists(m, path)) return status_new(STRATA_NOT_FOUND, "open %s: no such folder", path);
    mem_data *d = data_new();
    if (!d) return status_no_memory();
    strata_status *st = add_node(m, path, 0, d, &n);
    if (st) {
      data_release(d);
      return st;
    }
  }
  if (flags & VFS_OPEN_TRUNCATE) n->data->len = 0;
  n->data->refs++;
  *out = n->data;
  return NULL;
}

static strata_status *mem_open(vfs *v, const char *path, int flags, vfs_file **out) {
  mem_vfs *m = (mem_vfs *)v;
  size_t len = strlen(path);
  mem_file *mf = malloc(sizeof *mf + len + 1);
  if (!mf) return status_no_memory();
  sync_mutex_lock(&m->mu);
  strata_status *st = open_locked(m, path, flags, &mf->data);
  sync_mutex_unlock(&m->mu);
  if (st) {
    free(mf);
    return st;
  }
  mf->base.ops = &mem_file_ops;
  mf->owner = m;
  mf->writable = (flags & VFS_OPEN_WRITE) != 0;
  memcpy(mf->path, path, len + 1);
  *out = &mf->base;
  return NULL;
}

static strata_status *mem_exists(vfs *v, const char *path, int *exists, int *is_dir) {
  mem_vfs *m = (mem_vfs *)v;
  sync_mutex_lock(&m->mu);
  mem_node *n = find_node(m, path);
  *exists = n != NULL;
  if (is_dir) *is_dir = n ? n->is_dir : 0;
  sync_mutex_unlock(&m->mu);
  return NULL;
}

static strata_status *mem_remove(vfs *v, const char *path) {
  mem_vfs *m = (mem_vfs *)v;
  strata_status *st = NULL;
  sync_mutex_lock(&m->mu);
  mem_node *n = find_node(m, path);
  if (!n) st = status_new(STRATA_NOT_FOUND, "remove %s: no such file", path);
  else if (n->is_dir) st = status_new(STRATA_INVALID_ARGUMENT, "remove %s: is a folder", path);
  else drop_node(m, n);
  sync_mutex_unlock(&m->mu);
  return st;
}

static strata_status *mem_mkdir(vfs *v, const char *path) {
  mem_vfs *m = (mem_vfs *)v;
  strata_status *st = NULL;
  sync_mutex_lock(&m->mu);
  mem_node *n = find_node(m, path);
  if (n && !n->is_dir) st = status_new(STRATA_EXISTS, "mkdir %s: a file of that name exists", path);
  else if (!n && !parent_exists(m, path)) st = status_new(STRATA_NOT_FOUND, "mkdir %s: no such folder", path);
  else if (!n) st = add_node(m, path, 1, NULL, NULL);
  sync_mutex_unlock(&m->mu);
  return st;
}

/* 1 when `path` lies directly inside folder `dir`; *name receives its last component. */
static int is_child(const char *dir, size_t dir_len, const char *path, const char **name) {
  size_t plen = parent_length(path);
  if (plen != dir_len || memcmp(path, dir, dir_len) != 0) return 0;
  *name = path + plen + (plen == 1 && path[0] == '/' ? 0 : 1);
  return 1;
}

static strata_status *mem_rmdir(vfs *v, const char *path) {
  mem_vfs *m = (mem_vfs *)v;
  strata_status *st = NULL;
  sync_mutex_lock(&m->mu);
  mem_node *n = find_node(m, path);
  const char *name;
  if (!n) st = status_new(STRATA_NOT_FOUND, "rmdir %s: no such folder", path);
  else if (!n->is_dir) st = status_new(STRATA_INVALID_ARGUMENT, "rmdir %s: not a folder", path);
  for (size_t i = 0; !st && i < m->count; i++)
    if (is_child(path, strlen(path), m->nodes[i].path, &name))
      st = status_new(STRATA_IO, "rmdir %s: folder not empty", path);
  if (!st) drop_node(m, n);
  sync_mutex_unlock(&m->mu);
  return st;
}

/* Collects the children under the lock, then calls back without it (callbacks may remove). */
static strata_status *mem_list(vfs *v, const char *dir, vfs_list_fn fn, void *ctx) {
  mem_vfs *m = (mem_vfs *)v;
  buffer names;
  buffer_init(&names);
  strata_status *st = NULL;
  size_t dlen = strlen(dir);
  const char *name;
  sync_mutex_lock(&m->mu);
  mem_node *d = find_node(m, dir);
  if (!d) st = status_new(STRATA_NOT_FOUND, "list %s: no such folder", dir);
  else if (!d->is_dir) st = status_new(STRATA_INVALID_ARGUMENT, "list %s: not a folder", dir);
  for (size_t i = 0; !st && i < m->count; i++) {
    if (!is_child(dir, dlen, m->nodes[i].path, &name)) continue;
    st = buffer_append_byte(&names, (uint8_t)m->nodes[i].is_dir);
    if (!st) st = buffer_append(&names, name, strlen(name) + 1);
  }
  sync_mutex_unlock(&m->mu);
  for (size_t pos = 0; !st && pos < names.len;) {
    int is_dir = names.data[pos];
    name = (const char *)names.data + pos + 1;
    pos += 1 + strlen(name) + 1;
    st = fn(ctx, name, is_dir);
  }
  buffer_free(&names);
  return st;
}

static strata_status *mem_replace(vfs *v, const char *path, const void *src, size_t len) {
  mem_vfs *m = (mem_vfs *)v;
  mem_data *d = data_new();
  if (!d) return status_no_memory();
  strata_status *st = data_reserve(d, len);
  if (!st && len) memcpy(d->bytes, src, len);
  d->len = len;
  sync_mutex_lock(&m->mu);
  mem_node *n = st ? NULL : find_node(m, path);
  if (st) {
  } else if (n && n->is_dir) {
    st = status_new(STRATA_INVALID_ARGUMENT, "replace %s: is a folder", path);
  } else if (n) { /* handles open on the old contents keep them, as after a posix rename */
    data_release(n->data);
    n->data = d;
    d = NULL;
  } else if (!parent_exists(m, path)) {
    st = status_new(STRATA_NOT_FOUND, "replace %s: no such folder", path);
  } else {
    st = add_node(m, path, 0, d, NULL);
    if (!st) d = NULL;
  }
  sync_mutex_unlock(&m->mu);
  data_release(d);
  return st;
}

static strata_status *mem_sync_dir(vfs *v, const char *dir) {
  int exists = 0, is_dir = 0;
  STATUS_TRY(mem_exists(v, dir, &exists, &is_dir));
  if (!exists || !is_dir) return status_new(STRATA_NOT_FOUND, "sync folder %s: no such folder", dir);
  return NULL;
}

static strata_status *mem_lock(vfs *v, const char *path, vfs_lock **out) {
  mem_vfs *m = (mem_vfs *)v;
  strata_status *st = NULL;
  sync_mutex_lock(&m->mu);
  if (!parent_exists(m, path)) st = status_new(STRATA_NOT_FOUND, "lock %s: no such folder", path);
  for (size_t i = 0; !st && i < m->locked_count; i++)
    if (!strcmp(m->locked[i], path)) st = status_new(STRATA_LOCKED, "%s is locked by another handle", path);
  vfs_lock *lock = NULL;
  char **grown = NULL;
  if (!st) {
    lock = malloc(sizeof *lock);
    grown = realloc(m->locked, (m->locked_count + 1) * sizeof *grown);
    if (grown) m->locked = grown;
    if (lock) lock->path = copy_string(path);
    if (!lock || !grown || !lock->path) st = status_no_memory();
  }
  if (!st) {
    m->locked[m->locked_count++] = lock->path;
    *out = lock;
  } else if (lock) {
    free(lock->path);
    free(lock);
  }
  sync_mutex_unlock(&m->mu);
  return st;
}

static strata_status *mem_unlock(vfs *v, vfs_lock *lock) {
  mem_vfs *m = (mem_vfs *)v;
  if (!lock) return NULL;
  sync_mutex_lock(&m->mu);
  for (size_t i = 0; i < m->locked_count; i++) {
    if (m->locked[i] == lock->path) {
      m->locked[i] = m->locked[--m->locked_count];
      break;
    }
  }
  sync_mutex_unlock(&m->mu);
  free(lock->path);
  free(lock);
  return NULL;
}

static void mem_destroy(vfs *v) {
  mem_vfs *m = (mem_vfs *)v;
  while (m->count) drop_node(m, &m->nodes[m->count - 1]);
  free(m->nodes);
  free(m->locked);
  sync_mutex_destroy(&m->mu);
  free(m);
}

static const vfs_ops mem_ops = {
    .version = STRATA_VFS_VERSION,
    .name = "memory",
    .open = mem_open,
    .exists = mem_exists,
    .remove = mem_remove,
    .mkdir = mem_mkdir,
    .rmdir = mem_rmdir,
    .list = mem_list,
    .replace = mem_replace,
    .sync_dir = mem_sync_dir,
    .lock = mem_lock,
    .unlock = mem_unlock,
    .destroy = mem_destroy,
};

strata_status *vfs_memory_new(vfs **out) {
  mem_vfs *m = calloc(1, sizeof *m);
  if (!m) return status_no_memory();
  strata_status *st = sync_mutex_init(&m->mu);
  if (st) {
    free(m);
    return st;
  }
  m->base.ops = &mem_ops;
  *out = &m->base;
  return NULL;
}
