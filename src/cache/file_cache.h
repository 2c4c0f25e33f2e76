/*
 * file_cache.h -- a bounded cache of open files (or any objects opened by id), shared by tables.
 *
 * A database may hold more tables than the platform allows open files (and OPFS hands out a
 * limited pool of sync access handles), so table readers borrow open files from here. Objects
 * are opened through the caller's open callback on a miss and closed through its close callback
 * when the least recently used idle one must make room. Handles are reference-counted: a file
 * in use is never closed under its reader. When more files are in use than the bound allows,
 * the cache goes over it and closes the excess as they are released.
 *
 * Every call is thread-safe. Open and close callbacks run without the cache's lock held, so a
 * slow open does not stall readers of other files; two threads missing the same id at once may
 * both open it, and the loser's object is closed again.
 */
#ifndef STRATA_CACHE_FILE_CACHE_H
#define STRATA_CACHE_FILE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "../util/status.h"
#include "../vfs/vfs.h"

typedef struct file_cache file_cache;
typedef struct file_cache_handle file_cache_handle;

/* Opens the object for file_id into *out; errors (STRATA_NOT_FOUND, ...) reach file_cache_get. */
typedef strata_status *(*file_cache_open_fn)(void *ctx, uint64_t file_id, void **out);
typedef void (*file_cache_close_fn)(void *ctx, uint64_t file_id, void *object);

typedef struct file_cache_stats {
  uint64_t hits;
  uint64_t misses;
  uint64_t opens;  /* successful open callbacks */
  uint64_t closes; /* close callbacks */
  size_t open;     /* objects open now, in the cache or held after evict */
  size_t capacity;
} file_cache_stats;

#define FILE_CACHE_DEFAULT_CAPACITY 512

/* max_open 0 keeps nothing: every get opens, every last release closes. */
STRATA_MUST_USE strata_status *file_cache_new(size_t max_open, file_cache_open_fn open_fn,
                                              file_cache_close_fn close_fn, void *ctx, file_cache **out);
/* Closes everything; every handle must have been released. */
void file_cache_free(file_cache *c);

/* A referenced handle to the open object for file_id, opening it on a miss. */
STRATA_MUST_USE strata_status *file_cache_get(file_cache *c, uint64_t file_id, file_cache_handle **out);
void *file_cache_handle_object(const file_cache_handle *h);
void file_cache_release(file_cache *c, file_cache_handle *h);

/* Forgets file_id (its file was deleted): closed now if idle, else on its last release. */
void file_cache_evict(file_cache *c, uint64_t file_id);

file_cache_stats file_cache_get_stats(file_cache *c);

/*
 * Ready-made callbacks over a VFS: ctx points to a file_cache_vfs_dir, file id N is the file
 * "<dir>/<N>" opened read-only, the object is its vfs_file *.
 */
typedef struct file_cache_vfs_dir {
  vfs *fs;
  const char *dir;
} file_cache_vfs_dir;
STRATA_MUST_USE strata_status *file_cache_vfs_open(void *ctx, uint64_t file_id, void **out);
void file_cache_vfs_close(void *ctx, uint64_t file_id, void *object);

#endif
