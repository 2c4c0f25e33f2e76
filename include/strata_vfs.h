/*
 * strata_vfs.h -- the storage contract: what a storage backend must do for Strata.
 *
 * Everything Strata stores goes through one `strata_vfs`: the posix backend (native and WASI),
 * the memory backend, the Node host of the JS package (bindings/js/c/vfs_js.c over
 * bindings/js/src/node_host.js) and any backend a binding plugs in with strata_options_set_vfs().
 * Nothing above this layer knows which backend runs. Every backend is checked by one conformance
 * suite (tests/c/vfs_conformance.h); a new backend adds one line to it.
 *
 * A backend is a struct whose first member is `const strata_vfs_ops *ops`, the table written
 * with designated initialisers:
 *
 *   static const strata_vfs_ops my_ops = {
 *     .version = STRATA_VFS_VERSION, .name = "posix",
 *     .open = my_open, .exists = my_exists, ..., .destroy = my_destroy,
 *   };
 *
 * Versions. `version` is the revision of this contract the table was written for. strata_open()
 * and strata_repair() refuse a table whose version is 0 or newer than STRATA_VFS_VERSION with
 * STRATA_NOT_SUPPORTED, and a table missing a method of its version with
 * STRATA_INVALID_ARGUMENT naming the method. Later revisions only add members at the end of the
 * tables, so a table of an older version stays valid. The file tables belong to the version of
 * their vfs table.
 *
 * Errors. Every method returns NULL on success or a status (build one with strata_vfs_error());
 * out-parameters are only meaningful on success. The codes mean the same in every backend:
 *   STRATA_NOT_FOUND         the file or folder named does not exist, or its parent folder does
 *                            not (for methods that create something);
 *   STRATA_EXISTS            an exclusive create found the file, or mkdir found a file;
 *   STRATA_INVALID_ARGUMENT  the path names a folder where a file is needed or the other way
 *                            round, or a handle is asked to do what it was not opened for;
 *   STRATA_LOCKED            lock(): another holder has the path;
 *   STRATA_NO_MEMORY         an allocation failed;
 *   STRATA_QUOTA             the storage refused to grow past its quota (a browser's
 *                            QuotaExceededError; the JS hosts keep it as the error's cause);
 *                            nothing the call was to write was stored, and the handle stays
 *                            usable (a later call may succeed once there is room);
 *   STRATA_BUSY              would block: the backend must do something asynchronous first
 *                            (the browser's OPFS host had no pre-opened file free for a
 *                            create). Nothing was done; the engine gives up the unit of work
 *                            cleanly (a write is not applied, a flush or compaction job leaves
 *                            nothing behind) and the caller retries once the backend is ready;
 *   STRATA_IO                any other platform failure (a folder not empty, a full disk, a
 *                            failing device), with the platform's own message in the status.
 * Messages name the operation and the path ("open db/journal/7: No such file or directory").
 *
 * Paths are '/'-separated strings in the backend's namespace, passed whole (the engine joins
 * them). Nothing is created implicitly: a file's or folder's parent must exist first.
 *
 * Durability. Writes, appends and truncations are durable once the file's `sync` returned OK;
 * a new file's name (and a removal) is durable once `sync_dir` of its folder returned OK;
 * `replace` is durable when it returns. After a power cut, unsynced bytes may be kept, lost or
 * torn (a prefix kept); synced bytes are never lost. Backends where storage is already durable
 * (or never is: memory) make sync and sync_dir succeed without doing anything. The fault wrapper
 * of the tests (src/vfs/vfs_fault.h) simulates power cuts by exactly these rules.
 *
 * Threads. The engine may call one backend from several threads at once, on different handles
 * and paths; it never uses one handle from two threads at once, and a file has at most one
 * handle writing it. Backends that must run on one thread (the JS hosts) proxy calls there.
 */
#ifndef STRATA_VFS_H
#define STRATA_VFS_H

#include <stddef.h>
#include <stdint.h>

#include "strata.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The contract revision this header describes. */
#define STRATA_VFS_VERSION 3 /* 2 added the optional file method map(), 3 the open hint JOURNAL */

typedef struct strata_vfs strata_vfs;
typedef struct strata_vfs_file strata_vfs_file;
typedef struct strata_vfs_lock strata_vfs_lock; /* defined by each backend */
typedef struct strata_vfs_ops strata_vfs_ops;
typedef struct strata_vfs_file_ops strata_vfs_file_ops;

/* Flags of open(). */
enum strata_vfs_open_flags {
  STRATA_VFS_OPEN_READ = 1,       /* reads allowed (every handle may read) */
  STRATA_VFS_OPEN_WRITE = 2,      /* write, append, truncate allowed */
  STRATA_VFS_OPEN_CREATE = 4,     /* create the file when missing (its folder must exist) */
  STRATA_VFS_OPEN_EXCLUSIVE = 8,  /* with CREATE: STRATA_EXISTS when the file exists */
  STRATA_VFS_OPEN_TRUNCATE = 16,  /* with WRITE: empty the file on open */
  /* Version 3, a hint any backend may ignore (the engine passes it only to tables of version 3
   * or later): with WRITE, the file is a journal -- appended to by this one handle, read by
   * other handles only up to a length this handle's size() reported, and synced often. A backend
   * may then serve appends from space it reserves past the end (the posix backend maps a
   * preallocated region and copies appends into it: no system call per append). Such a file is
   * longer than what was written while the handle is open, and after a crash it ends in zeros
   * where nothing was written yet; the engine's journal reader takes a zero tail as the unwritten
   * end, never as data. Rules a backend that honours the hint keeps: size() of this handle is
   * what was written (the logical size); truncate() and close() cut the reserve off, so a
   * cleanly closed file ends at its logical size; sync() also makes the reserve's size durable;
   * every byte append() stored is as safe as after write(2) -- in the page cache, surviving the
   * process's death -- and an append interrupted by the process's death leaves its bytes stored
   * in order, with at most the STRATA_VFS_TORN_WINDOW bytes after the last stored one partly
   * stored, and zeros after those; a reserve the storage refuses (a full disk) is a STRATA_IO
   * (or STRATA_QUOTA) from the append that needed it, with nothing of that append stored. */
  STRATA_VFS_OPEN_JOURNAL = 32
};

/* See STRATA_VFS_OPEN_JOURNAL: how far past the last fully stored byte an append interrupted by
 * the process's death may have stored bytes out of order. */
#define STRATA_VFS_TORN_WINDOW 4096

/* Called by list() once per entry of a folder; "." and ".." are never passed. A non-NULL status
 * stops the walk and is what list() returns. */
typedef strata_status *(*strata_vfs_list_fn)(void *ctx, const char *name, int is_dir);

/* An open file. Backends embed this as the first member of their own handle struct. */
struct strata_vfs_file {
  const strata_vfs_file_ops *ops;
};

struct strata_vfs_file_ops {
  /* Reads up to n bytes at offset into buf and sets *nread. Fewer than n only at end of file:
   * a read straddling the end returns the bytes up to it, a read at or past the end returns
   * 0 bytes and succeeds. Every handle may read, whatever its flags. */
  strata_status *(*read)(strata_vfs_file *f, uint64_t offset, void *buf, size_t n, size_t *nread);
  /* Writes all n bytes at offset. Writing past the end extends the file (and the append
   * position), the gap reading as zeros; a write inside the file leaves the append position at
   * the end. A read-only handle:
   * STRATA_INVALID_ARGUMENT. A failure may leave part of the bytes written. */
  strata_status *(*write)(strata_vfs_file *f, uint64_t offset, const void *data, size_t n);
  /* Writes all n bytes at the end of the file as this handle knows it: its size at open (0
   * after TRUNCATE) grown by this handle's writes, appends and truncations. (Only one handle
   * writes a file, so a backend may keep the end in the handle.) Read-only handle:
   * STRATA_INVALID_ARGUMENT. */
  strata_status *(*append)(strata_vfs_file *f, const void *data, size_t n);
  /* Makes every byte written through this handle, and its size, durable. Succeeds on a
   * read-only handle (nothing to do). */
  strata_status *(*sync)(strata_vfs_file *f);
  /* Sets the file's size: shrinking drops the tail, growing adds zeros; the append position
   * follows. Read-only handle: STRATA_INVALID_ARGUMENT. */
  strata_status *(*truncate)(strata_vfs_file *f, uint64_t size);
  /* The file's current size, including this handle's unsynced writes. */
  strata_status *(*size)(strata_vfs_file *f, uint64_t *size);
  /* Closes the handle and frees f, also when it reports an error (closing does not sync). */
  strata_status *(*close)(strata_vfs_file *f);

  /* Version 2, optional (NULL, or any error: the engine reads through read() instead; a failed
   * map is never fatal). Maps bytes [0, size) of a file opened read-only into memory, read-only,
   * and sets *addr; size must be 1 .. the file's size. The mapping lives until close() (asking
   * again for the same size returns it). The engine maps only files it never writes again (its
   * tables) and bounds-checks every access against the size it mapped; a file shortened by
   * someone else while mapped is outside this contract (POSIX raises SIGBUS on such an access). */
  strata_status *(*map)(strata_vfs_file *f, uint64_t size, const void **addr);
};

/* A backend. Backends embed this as the first member of their own struct. */
struct strata_vfs {
  const strata_vfs_ops *ops;
};

struct strata_vfs_ops {
  int version;      /* STRATA_VFS_VERSION the table was written for */
  const char *name; /* "posix", "memory", "node", ...: shown in messages */

  /* Opens a file (flags above). Missing file without CREATE, or missing parent folder:
   * STRATA_NOT_FOUND. CREATE|EXCLUSIVE and the file exists: STRATA_EXISTS. The path is a
   * folder: STRATA_INVALID_ARGUMENT. A file removed or replaced while a handle is open stays
   * readable, with its old contents, through that handle until it is closed (as on POSIX; a
   * backend whose platform cannot do this must emulate it, e.g. by deferring the removal). */
  strata_status *(*open)(strata_vfs *v, const char *path, int flags, strata_vfs_file **out);
  /* Sets *exists, and *is_dir when is_dir is not NULL. A missing path, even one whose parent
   * is missing, is not an error: *exists = 0. */
  strata_status *(*exists)(strata_vfs *v, const char *path, int *exists, int *is_dir);
  /* Removes a file. Missing: STRATA_NOT_FOUND. A folder: STRATA_INVALID_ARGUMENT. */
  strata_status *(*remove)(strata_vfs *v, const char *path);
  /* Creates a folder; succeeds when the folder already exists. A file of that name:
   * STRATA_EXISTS. Missing parent: STRATA_NOT_FOUND. */
  strata_status *(*mkdir)(strata_vfs *v, const char *path);
  /* Removes an empty folder. Missing: STRATA_NOT_FOUND. Not empty: STRATA_IO. A file:
   * STRATA_INVALID_ARGUMENT. */
  strata_status *(*rmdir)(strata_vfs *v, const char *dir);
  /* Calls fn once for each entry of the folder, in no particular order. Missing:
   * STRATA_NOT_FOUND. A file: STRATA_INVALID_ARGUMENT. fn's error is returned unchanged. */
  strata_status *(*list)(strata_vfs *v, const char *dir, strata_vfs_list_fn fn, void *ctx);
  /* Sets the whole contents of a small file (created when missing) atomically and durably:
   * after a crash at any point the file holds the old contents or the new, never a mix or
   * nothing, and no other name is left in the folder. Handles opened before keep reading the
   * old contents. Missing parent: STRATA_NOT_FOUND. A folder: STRATA_INVALID_ARGUMENT. */
  strata_status *(*replace)(strata_vfs *v, const char *path, const void *data, size_t len);
  /* Makes the folder's entries (names created or removed in it) durable. Missing:
   * STRATA_NOT_FOUND. */
  strata_status *(*sync_dir)(strata_vfs *v, const char *dir);
  /* Takes the lock on `path` (a file the backend may create in an existing folder): one holder
   * per path, whoever asks (another process, another runtime, another handle of this backend).
   * Held by another: STRATA_LOCKED with a message naming the holder where known and how to
   * clear a stale lock. Missing folder: STRATA_NOT_FOUND. A lock whose holder provably died is
   * taken over. The protocol every backend follows (what the file holds, when it is stale) is
   * in docs/LOCKING.md. Different paths are independent. */
  strata_status *(*lock)(strata_vfs *v, const char *path, strata_vfs_lock **out);
  /* Releases a lock from lock() and frees it; NULL is a no-op. */
  strata_status *(*unlock)(strata_vfs *v, strata_vfs_lock *lock);
  /* Frees the backend. Handles and locks must be closed first. */
  void (*destroy)(strata_vfs *v);
};

/* A status for a backend to return (the message is formatted as printf does). */
strata_status *strata_vfs_error(strata_code code, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#ifdef __cplusplus
}
#endif

#endif
