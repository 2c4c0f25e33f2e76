/*
 * posix_lock.h -- the folder lock protocol on POSIX calls (native, WASI, Emscripten): the posix
 * backend's lock and unlock. The protocol and its reasons: posix_lock.c, docs/LOCKING.md.
 */
#ifndef STRATA_VFS_POSIX_LOCK_H
#define STRATA_VFS_POSIX_LOCK_H

#include "vfs.h"

/* Takes the lock file `path` (STRATA_LOCKED naming the holder when another has it). */
STRATA_MUST_USE strata_status *posix_lock_acquire(const char *path, vfs_lock **out);
/* Releases it; removes the file only while it still holds this lock's record. NULL is a no-op. */
strata_status *posix_lock_release(vfs_lock *lock);

#endif
