/*
 * vfs_fault.c -- the fault-injecting wrapper (see vfs_fault.h).
 *
 * Crash model, per file written through the wrapper ("tracked"):
 *   synced_len  the length at its last successful sync (or when first seen);
 *   undo log    (offset, old bytes) for every write or truncation since that sync which touched
 *               bytes below synced_len, in order.
 * A crash replays the undo log backwards (restoring synced bytes), then truncates the file to
 * synced_len plus, in torn mode, a random part of what was appended after it. With volatile
 * removes, a removal keeps the file's synced contents aside until its folder is synced; a crash
 * writes them back. One mutex guards everything; the wrapper is for tests, so it holds the lock
 * across the inner call too.
 */
#include "vfs_fault.h"

#include <stdlib.h>
#include <string.h>

#include "../util/sync.h"

typedef struct fault_undo {
  uint64_t offset;
  uint8_t *bytes;
  size_t len;
} fault_undo;

typedef struct fault_tracked {
  char *path;
  uint64_t synced_len;
  int created_unsynced; /* created through us; its folder not synced since */
  fault_undo *undo;
  size_t undo_count, undo_cap;
} fault_tracked;

/* A file removed since its folder's last sync, with the contents a crash brings back. */
typedef struct fault_removed {
  char *path;
  uint8_t *bytes;
  size_t len;
} fault_removed;

typedef struct fault_file fault_file;

typedef struct fault_vfs {
  vfs base;
  vfs *inner;
  sync_mutex mu;
  /* the failure rule */
  unsigned rule_ops;
  uint64_t rule_countdown; /* matching operations to let pass first */
  int rule_armed, rule_sticky, rule_short;
  int rule_power; /* the rule is a power cut: power_off once it fires */
  int power_off;
  size_t rule_keep;
  int volatile_removes;
  enum vfs_fault_map_mode map_mode;
  fault_removed *removed;
  size_t removed_count, removed_cap;
  strata_code code;     /* of injected failures and the full disk (vfs_fault_set_code) */
  int full_armed;       /* vfs_fault_enospc */
  uint64_t full_left;   /* bytes that still fit */
  vfs_fault_counters counters;
  fault_tracked *tracked;
  size_t tracked_count, tracked_cap;
  fault_file **open_files;
  size_t open_count, open_cap;
} fault_vfs;

struct fault_file {
  vfs_file base;
  fault_vfs *owner;
  vfs_file *inner;
  int dead; /* open at a simulated crash */
  char path[];
};

static const vfs_ops fault_ops;

static fault_vfs *as_fault(vfs *v) {
  return v->ops == &fault_ops ? (fault_vfs *)v : NULL;
}

static uint64_t *counter_for(fault_vfs *f, unsigned op) {
  switch (op) {
    case VFS_FAULT_OPEN: return &f->counters.opens;
    case VFS_FAULT_READ: return &f->counters.reads;
    case VFS_FAULT_WRITE: return &f->counters.writes;
    case VFS_FAULT_SYNC: return &f->counters.syncs;
    case VFS_FAULT_TRUNCATE: return &f->counters.truncates;
    case VFS_FAULT_REMOVE: return &f->counters.removes;
    case VFS_FAULT_REPLACE: return &f->counters.replaces;
    default: return &f->counters.meta;
  }
}

/* Counts the operation and decides whether it fails. *short_write is set when a write should
 * land a prefix of *keep bytes before failing. Called with the lock held. */
static strata_status *fault_check_counting(fault_vfs *f, unsigned op, uint64_t *counter, const char *what,
                                           const char *path, int *short_write, size_t *keep) {
  sync_mutex_assert_held(&f->mu);
  (*counter)++;
  f->counters.operations++;
  if (short_write) *short_write = 0;
  if (f->power_off) {
    f->counters.injected++;
    return status_new(STRATA_IO, "power cut: %s %s", what, path);
  }
  if (!f->rule_armed || !(f->rule_ops & op)) return NULL;
  if (f->rule_countdown > 0) {
    f->rule_countdown--;
    return NULL;
  }
  if (!f->rule_sticky) f->rule_armed = 0;
  f->counters.injected++;
  if (f->rule_power) {
    f->power_off = 1;
    f->rule_armed = 0;
    return status_new(STRATA_IO, "power cut: %s %s", what, path);
  }
  if (f->rule_short && short_write) {
    *short_write = 1;
    *keep = f->rule_keep;
  }
  return status_new(f->code, "injected fault: %s %s", what, path);
}

static strata_status *fault_check(fault_vfs *f, unsigned op, const char *what, const char *path, int *short_write,
                                  size_t *keep) {
  return fault_check_counting(f, op, counter_for(f, op), what, path, short_write, keep);
}

static char *copy_string(const char *s) {
  size_t n = strlen(s) + 1;
  char *c = malloc(n);
  if (c) memcpy(c, s, n);
  return c;
}

/* --- tracking ----------------------------------------------------------------------------- */

static fault_tracked *find_tracked(fault_vfs *f, const char *path) {
  for (size_t i = 0; i < f->tracked_count; i++)
    if (!strcmp(f->tracked[i].path, path)) return &f->tracked[i];
  return NULL;
}

static void drop_tracked(fault_vfs *f, fault_tracked *t) {
  for (size_t i = 0; i < t->undo_count; i++) free(t->undo[i].bytes);
  free(t->undo);
  free(t->path);
  *t = f->tracked[--f->tracked_count];
}

static strata_status *add_tracked(fault_vfs *f, const char *path, uint64_t synced_len, int created,
                                  fault_tracked **out) {
  if (f->tracked_count == f->tracked_cap) {
    size_t cap = f->tracked_cap ? f->tracked_cap * 2 : 8;
    fault_tracked *grown = realloc(f->tracked, cap * sizeof *grown);
    if (!grown) return status_no_memory();
    f->tracked = grown;
    f->tracked_cap = cap;
  }
  fault_tracked *t = &f->tracked[f->tracked_count];
  memset(t, 0, sizeof *t);
  t->path = copy_string(path);
  if (!t->path) return status_no_memory();
  t->synced_len = synced_len;
  t->created_unsynced = created;
  f->tracked_count++;
  *out = t;
  return NULL;
}

/* The tracking record of a file about to change, created on first use. */
static strata_status *tracked_for(fault_file *ff, fault_tracked **out) {
  fault_tracked *t = find_tracked(ff->owner, ff->path);
  if (t) {
    *out = t;
    return NULL;
  }
  uint64_t size = 0;
  STATUS_TRY(vfs_file_size(ff->inner, &size));
  return add_tracked(ff->owner, ff->path, size, 0, out);
}

/* Saves the synced bytes in [offset, offset + n) that are about to be overwritten or cut. */
static strata_status *save_undo(fault_file *ff, fault_tracked *t, uint64_t offset, uint64_t n) {
  uint64_t size = 0;
  STATUS_TRY(vfs_file_size(ff->inner, &size));
  uint64_t limit = t->synced_len < size ? t->synced_len : size; /* bytes past it are restored by older undo */
  if (offset >= limit || n == 0) return NULL;
  uint64_t end = offset + n < offset || offset + n > limit ? limit : offset + n;
  size_t len = (size_t)(end - offset);
  if (t->undo_count == t->undo_cap) {
    size_t cap = t->undo_cap ? t->undo_cap * 2 : 4;
    fault_undo *grown = realloc(t->undo, cap * sizeof *grown);
    if (!grown) return status_no_memory();
    t->undo = grown;
    t->undo_cap = cap;
  }
  uint8_t *bytes = malloc(len);
  if (!bytes) return status_no_memory();
  strata_status *st = vfs_file_read_exact(ff->inner, offset, bytes, len, ff->path);
  if (st) {
    free(bytes);
    return st;
  }
  t->undo[t->undo_count++] = (fault_undo){offset, bytes, len};
  return NULL;
}

static void forget_undo(fault_tracked *t) {
  for (size_t i = 0; i < t->undo_count; i++) free(t->undo[i].bytes);
  t->undo_count = 0;
}

/* --- files -------------------------------------------------------------------------------- */

static strata_status *dead_status(const fault_file *ff) {
  return status_new(STRATA_IO, "%s: handle was open at a simulated crash", ff->path);
}

static strata_status *fault_read(vfs_file *file, uint64_t off, void *buf, size_t n, size_t *nread) {
  fault_file *ff = (fault_file *)file;
  fault_vfs *f = ff->owner;
  sync_mutex_lock(&f->mu);
  strata_status *st = ff->dead ? dead_status(ff) : fault_check(f, VFS_FAULT_READ, "read", ff->path, NULL, NULL);
  if (!st) st = vfs_file_read(ff->inner, off, buf, n, nread);
  sync_mutex_unlock(&f->mu);
  return st;
}

/* The full-disk rule: n bytes are about to be written; *fit is how many of them fit. Lock held. */
static strata_status *space_check(fault_vfs *f, const char *what, const char *path, size_t n, size_t *fit) {
  *fit = n;
  if (!f->full_armed || n <= f->full_left) {
    if (f->full_armed) f->full_left -= n;
    return NULL;
  }
  *fit = (size_t)f->full_left;
  f->full_left = 0;
  f->counters.injected++;
  return status_new(f->code, "%s %s: %s (injected)", what, path,
                    f->code == STRATA_QUOTA ? "quota exceeded" : "No space left on device");
}

/* write (append = 0) or append (append = 1), with tracking and short writes. Lock held. */
static strata_status *write_locked(fault_file *ff, int append, uint64_t off, const void *data, size_t n) {
  fault_vfs *f = ff->owner;
  sync_mutex_assert_held(&f->mu);
  if (ff->dead) return dead_status(ff);
  int short_write = 0;
  size_t keep = 0;
  strata_status *injected = fault_check(f, VFS_FAULT_WRITE, append ? "append" : "write", ff->path, &short_write, &keep);
  if (!injected) { /* a full disk lands what fits, then fails like a short write */
    injected = space_check(f, append ? "append" : "write", ff->path, n, &keep);
    short_write = injected != NULL;
  }
  if (injected && !short_write) return injected;
  size_t len = injected ? (keep < n ? keep : n) : n;
  fault_tracked *t = NULL;
  strata_status *st = tracked_for(ff, &t);
  if (!st && append) st = vfs_file_size(ff->inner, &off);
  if (!st) st = save_undo(ff, t, off, len);
  if (!st && len) st = append ? vfs_file_append(ff->inner, data, len) : vfs_file_write(ff->inner, off, data, len);
  if (!st) f->counters.bytes_written += len;
  if (injected) {
    strata_status_free(st);
    return injected;
  }
  return st;
}

static strata_status *fault_write(vfs_file *file, uint64_t off, const void *data, size_t n) {
  fault_file *ff = (fault_file *)file;
  sync_mutex_lock(&ff->owner->mu);
  strata_status *st = write_locked(ff, 0, off, data, n);
  sync_mutex_unlock(&ff->owner->mu);
  return st;
}

static strata_status *fault_append(vfs_file *file, const void *data, size_t n) {
  fault_file *ff = (fault_file *)file;
  sync_mutex_lock(&ff->owner->mu);
  strata_status *st = write_locked(ff, 1, 0, data, n);
  sync_mutex_unlock(&ff->owner->mu);
  return st;
}

static strata_status *fault_sync(vfs_file *file) {
  fault_file *ff = (fault_file *)file;
  fault_vfs *f = ff->owner;
  sync_mutex_lock(&f->mu);
  strata_status *st = ff->dead ? dead_status(ff) : fault_check(f, VFS_FAULT_SYNC, "sync", ff->path, NULL, NULL);
  if (!st) st = vfs_file_sync(ff->inner);
  fault_tracked *t = st ? NULL : find_tracked(f, ff->path);
  if (t) { /* the file's contents are durable now; its name only once its folder is synced */
    uint64_t size = 0;
    st = vfs_file_size(ff->inner, &size);
    if (!st) {
      t->synced_len = size;
      forget_undo(t);
    }
  }
  sync_mutex_unlock(&f->mu);
  return st;
}

static strata_status *fault_truncate(vfs_file *file, uint64_t size) {
  fault_file *ff = (fault_file *)file;
  fault_vfs *f = ff->owner;
  sync_mutex_lock(&f->mu);
  strata_status *st = ff->dead ? dead_status(ff) : fault_check(f, VFS_FAULT_TRUNCATE, "truncate", ff->path, NULL, NULL);
  fault_tracked *t = NULL;
  if (!st) st = tracked_for(ff, &t);
  if (!st) st = save_undo(ff, t, size, UINT64_MAX - size);
  if (!st) st = vfs_file_truncate(ff->inner, size);
  sync_mutex_unlock(&f->mu);
  return st;
}

static strata_status *fault_size(vfs_file *file, uint64_t *size) {
  fault_file *ff = (fault_file *)file;
  fault_vfs *f = ff->owner;
  sync_mutex_lock(&f->mu);
  strata_status *st = ff->dead ? dead_status(ff) : fault_check(f, VFS_FAULT_META, "size", ff->path, NULL, NULL);
  if (!st) st = vfs_file_size(ff->inner, size);
  sync_mutex_unlock(&f->mu);
  return st;
}

static strata_status *fault_close(vfs_file *file) {
  fault_file *ff = (fault_file *)file;
  fault_vfs *f = ff->owner;
  sync_mutex_lock(&f->mu);
  for (size_t i = 0; i < f->open_count; i++) {
    if (f->open_files[i] == ff) {
      f->open_files[i] = f->open_files[--f->open_count];
      break;
    }
  }
  sync_mutex_unlock(&f->mu);
  strata_status *st = vfs_file_close(ff->inner);
  free(ff);
  return st;
}

static strata_status *fault_map(vfs_file *file, uint64_t size, const void **addr) {
  fault_file *ff = (fault_file *)file;
  fault_vfs *f = ff->owner;
  *addr = NULL;
  sync_mutex_lock(&f->mu);
  f->counters.maps++;
  strata_status *st = NULL;
  if (ff->dead) {
    st = dead_status(ff);
  } else if (f->map_mode == VFS_FAULT_MAP_FAIL) {
    f->counters.injected++;
    st = status_new(f->code, "map %s: injected failure", ff->path);
  } else if (f->map_mode == VFS_FAULT_MAP_OFF || f->inner->ops->version < 2 || !ff->inner->ops->map) {
    st = status_new(STRATA_NOT_SUPPORTED, "map %s: not mapped through the fault wrapper", ff->path);
  } else {
    st = ff->inner->ops->map(ff->inner, size, addr);
  }
  sync_mutex_unlock(&f->mu);
  return st;
}

static const vfs_file_ops fault_file_ops = {
    .read = fault_read,
    .write = fault_write,
    .append = fault_append,
    .sync = fault_sync,
    .truncate = fault_truncate,
    .size = fault_size,
    .close = fault_close,
    .map = fault_map,
};

/* --- the file system ---------------------------------------------------------------------- */

static strata_status *open_locked(fault_vfs *f, const char *path, int flags, fault_file *ff) {
  STATUS_TRY(fault_check(f, VFS_FAULT_OPEN, "open", path, NULL, NULL));
  int exists = 0;
  STATUS_TRY(vfs_exists(f->inner, path, &exists, NULL));
  if (f->open_count == f->open_cap) {
    size_t cap = f->open_cap ? f->open_cap * 2 : 8;
    fault_file **grown = realloc(f->open_files, cap * sizeof *grown);
    if (!grown) return status_no_memory();
    f->open_files = grown;
    f->open_cap = cap;
  }
  /* Reads are needed to save undo bytes; truncation on open goes through tracking below. */
  int inner_flags = flags & ~VFS_OPEN_TRUNCATE;
  if (flags & VFS_OPEN_WRITE) inner_flags |= VFS_OPEN_READ;
  STATUS_TRY(vfs_open(f->inner, path, inner_flags, &ff->inner));
  strata_status *st = NULL;
  fault_tracked *t = find_tracked(f, path);
  if (!exists && t) { /* removed behind our back: start over */
    forget_undo(t);
    t->synced_len = 0;
    t->created_unsynced = 1;
  }
  if (!exists && !t) st = add_tracked(f, path, 0, 1, &t);
  if (!st && exists && (flags & VFS_OPEN_TRUNCATE)) {
    if (!t) st = tracked_for(ff, &t);
    if (!st) st = save_undo(ff, t, 0, UINT64_MAX);
    if (!st) st = vfs_file_truncate(ff->inner, 0);
  }
  if (st) {
    strata_status_free(vfs_file_close(ff->inner));
    return st;
  }
  f->open_files[f->open_count++] = ff;
  return NULL;
}

static strata_status *fault_open(vfs *v, const char *path, int flags, vfs_file **out) {
  fault_vfs *f = (fault_vfs *)v;
  size_t len = strlen(path);
  fault_file *ff = calloc(1, sizeof *ff + len + 1);
  if (!ff) return status_no_memory();
  ff->base.ops = &fault_file_ops;
  ff->owner = f;
  memcpy(ff->path, path, len + 1);
  sync_mutex_lock(&f->mu);
  strata_status *st = open_locked(f, path, flags, ff);
  sync_mutex_unlock(&f->mu);
  if (st) {
    free(ff);
    return st;
  }
  *out = &ff->base;
  return NULL;
}

/* Forwards a call that the wrapper only counts (and may fail). */
#define FORWARD(f, op, what, path, call)                                   \
  do {                                                                     \
    sync_mutex_lock(&(f)->mu);                                             \
    strata_status *fwd_st = fault_check((f), (op), (what), (path), NULL, NULL); \
    if (!fwd_st) fwd_st = (call);                                          \
    sync_mutex_unlock(&(f)->mu);                                           \
    return fwd_st;                                                         \
  } while (0)

static strata_status *fault_exists(vfs *v, const char *path, int *exists, int *is_dir) {
  fault_vfs *f = (fault_vfs *)v;
  FORWARD(f, VFS_FAULT_META, "exists", path, vfs_exists(f->inner, path, exists, is_dir));
}

static void drop_removed(fault_vfs *f, size_t i) {
  free(f->removed[i].path);
  free(f->removed[i].bytes);
  f->removed[i] = f->removed[--f->removed_count];
}

static fault_removed *find_removed(fault_vfs *f, const char *path) {
  for (size_t i = 0; i < f->removed_count; i++)
    if (!strcmp(f->removed[i].path, path)) return &f->removed[i];
  return NULL;
}

/* The contents of `path` a crash would leave: the file with its undo log replayed, cut to the
 * synced length (all of it when untracked). Lock held. */
static strata_status *durable_contents(fault_vfs *f, const char *path, fault_tracked *t, buffer *out) {
  STATUS_TRY(vfs_read_file(f->inner, path, out));
  if (!t) return NULL;
  for (size_t i = t->undo_count; i-- > 0;) {
    const fault_undo *u = &t->undo[i];
    if (u->offset + u->len > out->len) {
      size_t old = out->len, want = (size_t)(u->offset + u->len);
      STATUS_TRY(buffer_reserve(out, want - old));
      memset(out->data + old, 0, want - old);
      out->len = want;
    }
    memcpy(out->data + u->offset, u->bytes, u->len);
  }
  if (t->synced_len < out->len) out->len = (size_t)t->synced_len;
  return NULL;
}

/* Keeps the durable contents of a file about to be removed, for a crash to bring back. Lock held. */
static strata_status *keep_removed(fault_vfs *f, const char *path, fault_tracked *t) {
  if ((t && t->created_unsynced) || find_removed(f, path)) return NULL; /* the older entry is what survives */
  if (f->removed_count == f->removed_cap) {
    size_t cap = f->removed_cap ? f->removed_cap * 2 : 8;
    fault_removed *grown = realloc(f->removed, cap * sizeof *grown);
    if (!grown) return status_no_memory();
    f->removed = grown;
    f->removed_cap = cap;
  }
  buffer b;
  buffer_init(&b);
  strata_status *st = durable_contents(f, path, t, &b);
  char *copy = st ? NULL : copy_string(path);
  if (!st && !copy) st = status_no_memory();
  if (st) {
    buffer_free(&b);
    return st;
  }
  f->removed[f->removed_count++] = (fault_removed){copy, b.data, b.len};
  return NULL;
}

static strata_status *remove_locked(fault_vfs *f, const char *path) {
  STATUS_TRY(fault_check(f, VFS_FAULT_REMOVE, "remove", path, NULL, NULL));
  fault_tracked *t = find_tracked(f, path);
  if (f->volatile_removes) STATUS_TRY(keep_removed(f, path, t));
  STATUS_TRY(vfs_remove(f->inner, path));
  if (t) drop_tracked(f, t); /* the name is gone; a crash restores it from the removed list */
  return NULL;
}

static strata_status *fault_remove(vfs *v, const char *path) {
  fault_vfs *f = (fault_vfs *)v;
  sync_mutex_lock(&f->mu);
  strata_status *st = remove_locked(f, path);
  sync_mutex_unlock(&f->mu);
  return st;
}

static strata_status *fault_mkdir(vfs *v, const char *path) {
  fault_vfs *f = (fault_vfs *)v;
  FORWARD(f, VFS_FAULT_META, "mkdir", path, vfs_mkdir(f->inner, path));
}

static strata_status *fault_rmdir(vfs *v, const char *path) {
  fault_vfs *f = (fault_vfs *)v;
  FORWARD(f, VFS_FAULT_REMOVE, "rmdir", path, vfs_rmdir(f->inner, path));
}

static strata_status *fault_list(vfs *v, const char *dir, vfs_list_fn fn, void *ctx) {
  fault_vfs *f = (fault_vfs *)v;
  sync_mutex_lock(&f->mu);
  strata_status *st = fault_check(f, VFS_FAULT_META, "list", dir, NULL, NULL);
  sync_mutex_unlock(&f->mu);
  return st ? st : vfs_list(f->inner, dir, fn, ctx); /* unlocked: callbacks may call back in */
}

static strata_status *replace_locked(fault_vfs *f, const char *path, const void *data, size_t len) {
  STATUS_TRY(fault_check(f, VFS_FAULT_REPLACE, "replace", path, NULL, NULL));
  size_t fit = 0;
  STATUS_TRY(space_check(f, "replace", path, len, &fit)); /* atomic: nothing lands */
  STATUS_TRY(vfs_replace(f->inner, path, data, len));
  f->counters.bytes_written += len;
  fault_tracked *t = find_tracked(f, path);
  if (t) drop_tracked(f, t); /* atomic and durable by contract */
  fault_removed *r = find_removed(f, path);
  if (r) drop_removed(f, (size_t)(r - f->removed));
  return NULL;
}

static strata_status *fault_replace(vfs *v, const char *path, const void *data, size_t len) {
  fault_vfs *f = (fault_vfs *)v;
  sync_mutex_lock(&f->mu);
  strata_status *st = replace_locked(f, path, data, len);
  sync_mutex_unlock(&f->mu);
  return st;
}

/* 1 when `path` names an entry directly inside `dir`. */
static int is_in_dir(const char *path, const char *dir) {
  const char *slash = strrchr(path, '/');
  size_t plen = slash ? (size_t)(slash - path) : 0;
  size_t dlen = strlen(dir);
  while (dlen > 1 && dir[dlen - 1] == '/') dlen--;
  if (!slash) return dlen == 1 && dir[0] == '.';
  return plen == dlen && !memcmp(path, dir, dlen);
}

static strata_status *sync_dir_locked(fault_vfs *f, const char *dir) {
  /* counted apart from file syncs, so tests can count each */
  STATUS_TRY(fault_check_counting(f, VFS_FAULT_SYNC, &f->counters.dir_syncs, "sync folder", dir, NULL, NULL));
  STATUS_TRY(vfs_sync_dir(f->inner, dir));
  for (size_t i = 0; i < f->tracked_count; i++)
    if (is_in_dir(f->tracked[i].path, dir)) f->tracked[i].created_unsynced = 0;
  for (size_t i = f->removed_count; i-- > 0;)
    if (is_in_dir(f->removed[i].path, dir)) drop_removed(f, i);
  return NULL;
}

static strata_status *fault_sync_dir(vfs *v, const char *dir) {
  fault_vfs *f = (fault_vfs *)v;
  sync_mutex_lock(&f->mu);
  strata_status *st = sync_dir_locked(f, dir);
  sync_mutex_unlock(&f->mu);
  return st;
}

static strata_status *fault_lock(vfs *v, const char *path, vfs_lock **out) {
  fault_vfs *f = (fault_vfs *)v;
  FORWARD(f, VFS_FAULT_META, "lock", path, vfs_lock_acquire(f->inner, path, out));
}

static strata_status *fault_unlock(vfs *v, vfs_lock *lock) {
  fault_vfs *f = (fault_vfs *)v;
  return vfs_lock_release(f->inner, lock);
}

static void fault_destroy(vfs *v) {
  fault_vfs *f = (fault_vfs *)v;
  while (f->tracked_count) drop_tracked(f, &f->tracked[f->tracked_count - 1]);
  while (f->removed_count) drop_removed(f, f->removed_count - 1);
  free(f->tracked);
  free(f->removed);
  free(f->open_files);
  sync_mutex_destroy(&f->mu);
  free(f);
}

static const vfs_ops fault_ops = {
    .version = STRATA_VFS_VERSION,
    .name = "fault",
    .open = fault_open,
    .exists = fault_exists,
    .remove = fault_remove,
    .mkdir = fault_mkdir,
    .rmdir = fault_rmdir,
    .list = fault_list,
    .replace = fault_replace,
    .sync_dir = fault_sync_dir,
    .lock = fault_lock,
    .unlock = fault_unlock,
    .destroy = fault_destroy,
};

strata_status *vfs_fault_new(vfs *inner, vfs **out) {
  fault_vfs *f = calloc(1, sizeof *f);
  if (!f) return status_no_memory();
  strata_status *st = sync_mutex_init(&f->mu);
  if (st) {
    free(f);
    return st;
  }
  f->base.ops = &fault_ops;
  f->inner = inner;
  f->code = STRATA_IO;
  *out = &f->base;
  return NULL;
}

/* --- control ------------------------------------------------------------------------------ */

static void set_rule_power(vfs *v, unsigned ops, uint64_t n, int sticky, int short_write, size_t keep, int power) {
  fault_vfs *f = as_fault(v);
  if (!f) return;
  sync_mutex_lock(&f->mu);
  f->rule_power = power;
  f->rule_ops = ops;
  f->rule_countdown = n ? n - 1 : 0;
  f->rule_armed = ops != 0;
  f->rule_sticky = sticky;
  f->rule_short = short_write;
  f->rule_keep = keep;
  sync_mutex_unlock(&f->mu);
}

static void set_rule(vfs *v, unsigned ops, uint64_t n, int sticky, int short_write, size_t keep) {
  set_rule_power(v, ops, n, sticky, short_write, keep, 0);
}

void vfs_fault_fail_nth(vfs *v, unsigned ops, uint64_t n) { set_rule(v, ops, n, 0, 0, 0); }
void vfs_fault_fail_from(vfs *v, unsigned ops, uint64_t n) { set_rule(v, ops, n, 1, 0, 0); }
void vfs_fault_short_write_nth(vfs *v, uint64_t n, size_t keep) { set_rule(v, VFS_FAULT_WRITE, n, 0, 1, keep); }
void vfs_fault_clear(vfs *v) {
  set_rule(v, 0, 0, 0, 0, 0);
  vfs_fault_enospc(v, UINT64_MAX);
}

void vfs_fault_set_code(vfs *v, strata_code code) {
  fault_vfs *f = as_fault(v);
  if (!f) return;
  sync_mutex_lock(&f->mu);
  f->code = code;
  sync_mutex_unlock(&f->mu);
}

void vfs_fault_enospc(vfs *v, uint64_t bytes_left) {
  fault_vfs *f = as_fault(v);
  if (!f) return;
  sync_mutex_lock(&f->mu);
  f->full_armed = bytes_left != UINT64_MAX;
  f->full_left = bytes_left;
  sync_mutex_unlock(&f->mu);
}

void vfs_fault_power_cut_at(vfs *v, uint64_t n) { set_rule_power(v, VFS_FAULT_ALL, n, 1, 0, 0, 1); }

void vfs_fault_power_cut(vfs *v) {
  fault_vfs *f = as_fault(v);
  if (!f) return;
  sync_mutex_lock(&f->mu);
  f->rule_armed = 0;
  f->power_off = 1;
  sync_mutex_unlock(&f->mu);
}

int vfs_fault_power_is_off(vfs *v) {
  fault_vfs *f = as_fault(v);
  if (!f) return 0;
  sync_mutex_lock(&f->mu);
  int off = f->power_off;
  sync_mutex_unlock(&f->mu);
  return off;
}

void vfs_fault_set_volatile_removes(vfs *v, int on) {
  fault_vfs *f = as_fault(v);
  if (!f) return;
  sync_mutex_lock(&f->mu);
  f->volatile_removes = on;
  sync_mutex_unlock(&f->mu);
}

void vfs_fault_set_maps(vfs *v, enum vfs_fault_map_mode mode) {
  fault_vfs *f = as_fault(v);
  if (!f) return;
  sync_mutex_lock(&f->mu);
  f->map_mode = mode;
  sync_mutex_unlock(&f->mu);
}

void vfs_fault_get_counters(vfs *v, vfs_fault_counters *out) {
  fault_vfs *f = as_fault(v);
  memset(out, 0, sizeof *out);
  if (!f) return;
  sync_mutex_lock(&f->mu);
  *out = f->counters;
  sync_mutex_unlock(&f->mu);
}

void vfs_fault_reset_counters(vfs *v) {
  fault_vfs *f = as_fault(v);
  if (!f) return;
  sync_mutex_lock(&f->mu);
  memset(&f->counters, 0, sizeof f->counters);
  sync_mutex_unlock(&f->mu);
}

uint64_t vfs_fault_unsynced_bytes(vfs *v) {
  fault_vfs *f = as_fault(v);
  uint64_t total = 0;
  if (!f) return 0;
  sync_mutex_lock(&f->mu);
  for (size_t i = 0; i < f->tracked_count; i++) {
    uint64_t size = 0;
    vfs_file *file = NULL;
    strata_status *st = vfs_open(f->inner, f->tracked[i].path, VFS_OPEN_READ, &file);
    if (!st) st = vfs_file_size(file, &size);
    if (file) strata_status_free(vfs_file_close(file));
    strata_status_free(st);
    if (size > f->tracked[i].synced_len) total += size - f->tracked[i].synced_len;
  }
  sync_mutex_unlock(&f->mu);
  return total;
}

static uint64_t next_random(uint64_t *state) { /* xorshift64* */
  *state ^= *state >> 12;
  *state ^= *state << 25;
  *state ^= *state >> 27;
  return *state * UINT64_C(2685821657736338717);
}

/* Puts one tracked file back to its synced state (plus a torn prefix when rng is set). */
static strata_status *restore_file(fault_vfs *f, fault_tracked *t, uint64_t *rng) {
  if (t->created_unsynced) { /* its name never reached the disk */
    strata_status *st = vfs_remove(f->inner, t->path);
    if (status_is(st, STRATA_NOT_FOUND)) {
      strata_status_free(st);
      st = NULL;
    }
    return st;
  }
  vfs_file *file = NULL;
  STATUS_TRY(vfs_open(f->inner, t->path, VFS_OPEN_READ | VFS_OPEN_WRITE, &file));
  strata_status *st = NULL;
  for (size_t i = t->undo_count; !st && i-- > 0;)
    st = vfs_file_write(file, t->undo[i].offset, t->undo[i].bytes, t->undo[i].len);
  uint64_t size = 0, target = t->synced_len;
  if (!st) st = vfs_file_size(file, &size);
  if (!st && rng && size > target) target += next_random(rng) % (size - target + 1);
  if (!st) st = vfs_file_truncate(file, target);
  strata_status *cst = vfs_file_close(file);
  if (st) strata_status_free(cst);
  else st = cst;
  return st;
}

/* Writes a removed file back (its folder recreated if it went too). */
static strata_status *restore_removed(fault_vfs *f, const fault_removed *r) {
  const char *slash = strrchr(r->path, '/');
  if (slash && slash != r->path) {
    char *parent = copy_string(r->path);
    if (!parent) return status_no_memory();
    parent[slash - r->path] = '\0';
    strata_status *st = vfs_mkdir(f->inner, parent);
    free(parent);
    STATUS_TRY(st);
  }
  vfs_file *file = NULL;
  STATUS_TRY(vfs_open(f->inner, r->path, VFS_OPEN_WRITE | VFS_OPEN_CREATE | VFS_OPEN_TRUNCATE, &file));
  strata_status *st = r->len ? vfs_file_write(file, 0, r->bytes, r->len) : NULL;
  strata_status *cst = vfs_file_close(file);
  if (st) strata_status_free(cst);
  else st = cst;
  return st;
}

strata_status *vfs_fault_crash(vfs *v, uint64_t torn_seed) {
  fault_vfs *f = as_fault(v);
  if (!f) return status_new(STRATA_INVALID_ARGUMENT, "vfs_fault_crash: %s is not a fault VFS", vfs_name(v));
  uint64_t rng = torn_seed;
  sync_mutex_lock(&f->mu);
  f->rule_armed = 0;
  f->full_armed = 0;
  for (size_t i = 0; i < f->open_count; i++) f->open_files[i]->dead = 1;
  strata_status *st = NULL;
  f->power_off = 0;
  for (size_t i = 0; !st && i < f->tracked_count; i++) {
    st = restore_file(f, &f->tracked[i], torn_seed ? &rng : NULL);
    if (st) st = status_wrap(st, "simulated crash, restoring %s", f->tracked[i].path);
  }
  for (size_t i = 0; !st && i < f->removed_count; i++) { /* after the above: a newer file of that name was unsynced */
    st = restore_removed(f, &f->removed[i]);
    if (st) st = status_wrap(st, "simulated crash, bringing back removed %s", f->removed[i].path);
  }
  while (f->tracked_count) drop_tracked(f, &f->tracked[f->tracked_count - 1]); /* all durable now */
  while (f->removed_count) drop_removed(f, f->removed_count - 1);
  sync_mutex_unlock(&f->mu);
  return st;
}
