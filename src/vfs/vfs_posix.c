/*
 * vfs_posix.c -- files through POSIX calls: native builds, WASI (wasi-libc) and Emscripten
 * (NODERAWFS in tests).
 *
 * Locking: the folder lock protocol of every runtime (a record published by an exclusive link,
 * natively also under flock), in posix_lock.c.
 *
 * Journals (open hint STRATA_VFS_OPEN_JOURNAL, native 64-bit only): appends are copied into a
 * shared writable mapping of space reserved past the end with posix_fallocate, JOURNAL_CHUNK
 * at a time, instead of one write(2) each. A store into a MAP_SHARED mapping is in the page
 * cache at once, so an acknowledged append survives the process's death as after write(2).
 * The reserve is allocated before anything of an append is stored, so a full disk is a clean
 * STRATA_IO, never a SIGBUS on a store. `end` is the logical size (what size() reports), `phys`
 * the file's real length; truncate and close cut the reserve off. sync = msync(MS_SYNC) of what
 * the current window dirtied + fdatasync (which also writes out pages dirtied through earlier,
 * unmapped windows: the page cache is unified on the platforms that map, and it makes the
 * reserve's size durable). A file system that cannot preallocate or map turns the handle back
 * into plain appends.
 *
 * Early writeback (Linux): every file the engine writes is synced whole in the end (a table when
 * it is finished, a journal when it is sealed), and that sync used to wait for all of the file's
 * bytes at once -- a rotation's journal sync stopped every writer for 60-100 ms per 64 MiB
 * memtable. Each WRITEBACK_CHUNK a writable handle completes is handed to the kernel to write out
 * at once (sync_file_range, SYNC_FILE_RANGE_WRITE: start, do not wait), so the I/O runs while the
 * file is written and the sync waits for the last chunk. It is the same I/O, started earlier; a
 * hint whose errors the sync reports.
 */
#define _DEFAULT_SOURCE /* fsync, pread with -std=c11 */
#ifdef __linux__
#define _GNU_SOURCE /* sync_file_range */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h> /* atomic_signal_fence: the order of a journal append's stores */
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
  int journal;        /* appends go through the reserve (see the top of the file) */
  uint64_t phys;      /* journal: the file's real length, end + the reserve */
  uint8_t *win;       /* journal: JOURNAL_CHUNK bytes of the file mapped from win_off, or NULL */
  uint64_t win_off;
  uint64_t dirty_lo;  /* journal: first byte stored into win since the last sync; UINT64_MAX: none */
  uint64_t written_back; /* bytes before this were handed to early writeback (see the top) */
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
  if (pf->journal) n = off >= pf->end ? 0 : (pf->end - off < n ? (size_t)(pf->end - off) : n); /* not the reserve */
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

/* Starts the kernel writing out the whole WRITEBACK_CHUNKs before `end` not yet handed over (see
 * the top of the file). Whole chunks only: a journal's current window -- the chunk holding `end`
 * -- is still being stored into, and a page under writeback can make a store wait. */
#if defined(__linux__) && defined(SYNC_FILE_RANGE_WRITE) && !defined(__wasi__) && !defined(__EMSCRIPTEN__)
#define WRITEBACK_CHUNK ((uint64_t)1 << 20)
static void start_writeback(posix_file *pf) {
  uint64_t to = pf->end / WRITEBACK_CHUNK * WRITEBACK_CHUNK;
  if (to <= pf->written_back) return;
  (void)sync_file_range(pf->fd, (off_t)pf->written_back, (off_t)(to - pf->written_back), SYNC_FILE_RANGE_WRITE);
  pf->written_back = to;
}
#else
static void start_writeback(posix_file *pf) { (void)pf; }
#endif

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
  if (pf->end > pf->phys) pf->phys = pf->end;
  return NULL;
}

static strata_status *posix_vfs_size(vfs_file *f, uint64_t *size) {
  posix_file *pf = (posix_file *)f;
  if (pf->journal) {
    *size = pf->end;
    return NULL;
  }
  struct stat sb;
  if (fstat(pf->fd, &sb) != 0) return errno_status(errno, "stat", pf->path);
  *size = (uint64_t)sb.st_size;
  return NULL;
}

#if POSIX_CAN_MAP
/* Reserve grain and mapping window of a journal; appends bigger than this go through pwrite
 * (into the reserve or past it), which stores in order too. */
#define JOURNAL_CHUNK ((uint64_t)1 << 20)

static void journal_unmap(posix_file *pf) {
  if (pf->win) munmap(pf->win, (size_t)JOURNAL_CHUNK);
  pf->win = NULL;
}

/* Cuts the reserve off: the file ends at its logical size again. */
static strata_status *journal_cut_reserve(posix_file *pf) {
  journal_unmap(pf);
  if (pf->phys == pf->end) return NULL;
  if (ftruncate(pf->fd, (off_t)pf->end) != 0) return errno_status(errno, "truncate", pf->path);
  pf->phys = pf->end;
  return NULL;
}

/* The file system cannot reserve or map (err): this handle appends with pwrite from now on. */
static strata_status *journal_give_up(posix_file *pf, int err) {
  (void)err; /* EOPNOTSUPP, ENODEV, ...: not a failure of the append */
  strata_status *st = journal_cut_reserve(pf);
  pf->journal = 0;
  return st;
}

static int reserve_unsupported(int err) { return err == EOPNOTSUPP || err == ENOSYS || err == EINVAL; }

/* Makes [0, want) part of the file, allocated (never a SIGBUS on a store), in whole chunks.
 * *gave_up = 1 when the file system cannot: the caller appends plainly. */
static strata_status *journal_reserve(posix_file *pf, uint64_t want, int *gave_up) {
  *gave_up = 0;
  if (want <= pf->phys) return NULL;
  uint64_t to = (want + JOURNAL_CHUNK - 1) / JOURNAL_CHUNK * JOURNAL_CHUNK;
  int err;
  do err = posix_fallocate(pf->fd, (off_t)pf->phys, (off_t)(to - pf->phys));
  while (err == EINTR);
  if (err == 0) {
    pf->phys = to;
    return NULL;
  }
  if (reserve_unsupported(err)) {
    *gave_up = 1;
    return journal_give_up(pf, err);
  }
  /* a full disk (ENOSPC), a quota, RLIMIT_FSIZE (EFBIG): the append fails, nothing stored; a
   * refusal may still have grown the file, which the reserve then includes */
  struct stat sb;
  if (fstat(pf->fd, &sb) == 0 && (uint64_t)sb.st_size > pf->phys) pf->phys = (uint64_t)sb.st_size;
  return errno_status(err, "reserve", pf->path);
}

/* Maps the chunk holding `off` (which lies in the reserve). */
static strata_status *journal_map_window(posix_file *pf, uint64_t off, int *gave_up) {
  *gave_up = 0;
  uint64_t at = off / JOURNAL_CHUNK * JOURNAL_CHUNK;
  if (pf->win && pf->win_off == at) return NULL;
  journal_unmap(pf); /* its dirty pages stay in the page cache; sync's fdatasync writes them */
  void *p = mmap(NULL, (size_t)JOURNAL_CHUNK, PROT_READ | PROT_WRITE, MAP_SHARED, pf->fd, (off_t)at);
  if (p == MAP_FAILED) {
    *gave_up = 1;
    return journal_give_up(pf, errno);
  }
  pf->win = p;
  pf->win_off = at;
  pf->dirty_lo = UINT64_MAX;
  return NULL;
}

/* Copies n bytes to file offset `off` through the windows, in order: piece by piece of at most
 * STRATA_VFS_TORN_WINDOW bytes (aligned on file offsets), so a process killed half-way leaves
 * every byte before the piece being copied stored and every byte after it zero. */
static strata_status *journal_store(posix_file *pf, uint64_t off, const uint8_t *data, size_t n, int *gave_up) {
  while (n > 0) {
    STATUS_TRY(journal_map_window(pf, off, gave_up));
    if (*gave_up) return NULL;
    uint64_t in_win = off - pf->win_off;
    size_t piece = (size_t)(STRATA_VFS_TORN_WINDOW - off % STRATA_VFS_TORN_WINDOW);
    if (piece > n) piece = n;
    memcpy(pf->win + in_win, data, piece);
    atomic_signal_fence(memory_order_seq_cst); /* the compiler keeps the pieces in order */
    if (off < pf->dirty_lo) pf->dirty_lo = off;
    off += piece;
    data += piece;
    n -= piece;
  }
  return NULL;
}

static strata_status *journal_append(posix_file *pf, const void *data, size_t n, int *gave_up) {
  *gave_up = 0;
  if (n > JOURNAL_CHUNK) return posix_vfs_write(&pf->base, pf->end, data, n);
  STATUS_TRY(journal_reserve(pf, pf->end + n, gave_up));
  if (*gave_up) return NULL;
  STATUS_TRY(journal_store(pf, pf->end, data, n, gave_up));
  if (*gave_up) return NULL; /* nothing of the append was stored when the first map failed; a later
                                one (the append crossed a chunk) lost its window: rewrite it all */
  pf->end += n;
  return NULL;
}

static strata_status *journal_sync(posix_file *pf) {
  if (pf->win && pf->dirty_lo != UINT64_MAX) {
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    uint64_t from = (pf->dirty_lo - pf->win_off) / page * page;
    uint64_t to = pf->end < pf->win_off + JOURNAL_CHUNK ? pf->end - pf->win_off : JOURNAL_CHUNK;
    if (to > from && msync(pf->win + from, (size_t)(to - from), MS_SYNC) != 0)
      return errno_status(errno, "sync", pf->path);
    pf->dirty_lo = UINT64_MAX;
  }
#if defined(__APPLE__)
  if (fcntl(pf->fd, F_FULLFSYNC) == 0) return NULL;
  if (fsync(pf->fd) != 0) return errno_status(errno, "sync", pf->path);
#else
  if (fdatasync(pf->fd) != 0) return errno_status(errno, "sync", pf->path);
#endif
  return NULL;
}
#endif

/* Appends at the end this handle tracks (the engine has one writer per file); no O_APPEND,
 * because pwrite ignores it on some platforms. */
static strata_status *posix_vfs_append(vfs_file *f, const void *data, size_t n) {
  posix_file *pf = (posix_file *)f;
  strata_status *st = NULL;
  int appended = 0;
#if POSIX_CAN_MAP
  if (pf->journal) {
    int gave_up = 0;
    st = journal_append(pf, data, n, &gave_up);
    appended = st || !gave_up;
  }
#endif
  if (!appended) st = posix_vfs_write(f, pf->end, data, n);
  if (!st) start_writeback(pf);
  return st;
}

static strata_status *posix_vfs_sync(vfs_file *f) {
  posix_file *pf = (posix_file *)f;
#if POSIX_CAN_MAP
  if (pf->journal) return journal_sync(pf);
#endif
#if defined(__APPLE__)
  if (fcntl(pf->fd, F_FULLFSYNC) == 0) return NULL; /* fsync alone does not flush the drive cache */
#endif
  if (fsync(pf->fd) != 0) return errno_status(errno, "sync", pf->path);
  return NULL;
}

static strata_status *posix_vfs_truncate(vfs_file *f, uint64_t size) {
  posix_file *pf = (posix_file *)f;
  if (!pf->writable) return read_only(pf, "truncate");
#if POSIX_CAN_MAP
  journal_unmap(pf); /* the window may lie past the new end: remapped by the next append */
#endif
  if (ftruncate(pf->fd, (off_t)size) != 0) return errno_status(errno, "truncate", pf->path);
  pf->end = pf->phys = size;
  if (pf->written_back > size) pf->written_back = size;
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
  strata_status *st = pf->journal ? journal_cut_reserve(pf) : NULL;
#else
  strata_status *st = NULL;
#endif
  if (close(pf->fd) != 0 && !st) st = errno_status(errno, "close", pf->path);
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
  pf->journal = POSIX_CAN_MAP && (flags & VFS_OPEN_JOURNAL) && (flags & VFS_OPEN_WRITE);
  pf->phys = pf->end;
  pf->win = NULL;
  pf->win_off = 0;
  pf->dirty_lo = UINT64_MAX;
  pf->written_back = pf->end; /* what an earlier handle wrote is that handle's business */
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
