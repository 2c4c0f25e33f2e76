/*
 * vfs_fault.h -- a VFS wrapper for tests that fails, tears and forgets on command.
 *
 * It forwards every call to an inner VFS and can:
 *  - fail operations with STRATA_IO: the Nth matching operation from now (once), or the Nth and
 *    every later one until cleared ("the disk is gone");
 *  - short-write: the Nth write lands only its first `keep` bytes, then fails;
 *  - simulate a crash: it remembers, per file written through it, the length at the last sync
 *    and the synced bytes that unsynced writes or truncations overwrote. vfs_fault_crash() puts
 *    every file back to its synced state -- optionally keeping a random prefix of the unsynced
 *    tail, as a torn write leaves it -- and removes files created since their folder was last
 *    synced. Handles open at the crash are dead: every call on them fails, close only frees.
 *  - cut the power: at the Nth operation from now (any kind), that operation and every later
 *    one fail with STRATA_IO until vfs_fault_crash() "reboots" onto what survived;
 *  - count operations by kind.
 *
 * Removals are durable at once unless vfs_fault_set_volatile_removes() is on: then a file removed
 * since its folder was last synced comes back, with its synced contents, at a crash. `replace`
 * is atomic and durable by contract. Files the wrapper never wrote are taken as durable as they
 * are. Folders (mkdir, rmdir) are durable at once.
 */
#ifndef STRATA_VFS_VFS_FAULT_H
#define STRATA_VFS_VFS_FAULT_H

#include <stddef.h>
#include <stdint.h>

#include "vfs.h"

/* Operation kinds, for fault masks and counters. */
enum vfs_fault_op {
  VFS_FAULT_OPEN = 1,
  VFS_FAULT_READ = 2,
  VFS_FAULT_WRITE = 4, /* write and append */
  VFS_FAULT_SYNC = 8,  /* file sync and folder sync */
  VFS_FAULT_TRUNCATE = 16,
  VFS_FAULT_REMOVE = 32, /* remove and rmdir */
  VFS_FAULT_REPLACE = 64,
  VFS_FAULT_META = 128, /* mkdir, list, exists, size, lock */
  VFS_FAULT_ALL = 255
};

typedef struct vfs_fault_counters {
  uint64_t opens, reads, writes, truncates, removes, replaces, meta;
  uint64_t syncs;     /* file syncs */
  uint64_t dir_syncs; /* folder syncs (both match VFS_FAULT_SYNC) */
  uint64_t bytes_written; /* bytes that reached the inner VFS */
  uint64_t injected;      /* operations failed on purpose */
  uint64_t operations;    /* every counted operation, of all kinds (the clock of power cuts) */
  uint64_t maps;          /* map() calls (not operations: they never advance the clock) */
} vfs_fault_counters;

/* Wraps `inner`, which it does not own: destroy the wrapper before the inner VFS. */
STRATA_MUST_USE strata_status *vfs_fault_new(vfs *inner, vfs **out);

/* The functions below take a VFS made by vfs_fault_new(). */

/* The nth operation (n >= 1) of a kind in `ops` from now fails, once. Replaces any earlier rule. */
void vfs_fault_fail_nth(vfs *v, unsigned ops, uint64_t n);
/* The nth operation of a kind in `ops` from now and every later one fail, until cleared. */
void vfs_fault_fail_from(vfs *v, unsigned ops, uint64_t n);
/* The nth write or append from now writes its first `keep` bytes (at most all), then fails. */
void vfs_fault_short_write_nth(vfs *v, uint64_t n, size_t keep);
/* A disk that fills up: writes, appends and replaces go through until `bytes_left` more bytes
 * are written, then fail with STRATA_IO "No space left on device" (a write that does not fit
 * lands the part that does, as a real short write would) until cleared. Reads, opens, syncs,
 * truncations and removals keep working, as they do on a full disk. Independent of the rule
 * above; vfs_fault_clear() and vfs_fault_crash() end it too. */
/* (bytes_left = UINT64_MAX: room again.) */
void vfs_fault_enospc(vfs *v, uint64_t bytes_left);
/* The code of the failures above (STRATA_IO unless set; e.g. STRATA_QUOTA for a browser's full
 * quota); power cuts are always STRATA_IO. Kept until set again. */
void vfs_fault_set_code(vfs *v, strata_code code);
/* No more injected failures, and the disk has room again (a power cut stays until vfs_fault_crash). */
void vfs_fault_clear(vfs *v);

/*
 * Power-cut mode: the nth operation (n >= 1, of any kind, counted as `operations` counts them)
 * from now cuts the power. It and every later operation fail with STRATA_IO ("power cut"), so
 * nothing more reaches the disk, until vfs_fault_crash() reboots: every byte not covered by a
 * sync (and, with volatile removes, every folder entry not covered by a folder sync) is then
 * dropped. vfs_fault_power_cut() cuts at once. Replaces any other failure rule.
 */
void vfs_fault_power_cut_at(vfs *v, uint64_t n);
void vfs_fault_power_cut(vfs *v);
/* 1 once the power is cut, until the next vfs_fault_crash(). */
int vfs_fault_power_is_off(vfs *v);
/* on = 1: removing a file is undone by a crash unless its folder was synced after the removal. */
void vfs_fault_set_volatile_removes(vfs *v, int on);

/*
 * Files' map() (contract version 2). Off by default: map() answers STRATA_NOT_SUPPORTED, so
 * every read goes through read() and its failure rules, and a simulated crash never shortens a
 * mapped file. VFS_FAULT_MAP_PASS maps through the inner backend (reads of the mapping then
 * bypass the wrapper); VFS_FAULT_MAP_FAIL fails every map() with the failure code (STRATA_IO
 * unless set), for tests of the fallback to read().
 */
enum vfs_fault_map_mode { VFS_FAULT_MAP_OFF, VFS_FAULT_MAP_PASS, VFS_FAULT_MAP_FAIL };
void vfs_fault_set_maps(vfs *v, enum vfs_fault_map_mode mode);

void vfs_fault_get_counters(vfs *v, vfs_fault_counters *out);
void vfs_fault_reset_counters(vfs *v);

/* Bytes written through the wrapper and not yet synced, over all files. */
uint64_t vfs_fault_unsynced_bytes(vfs *v);

/*
 * Simulates a power cut and the reboot after it: every file written through the wrapper returns
 * to its last synced contents, files created since their folder's last sync disappear and (with
 * volatile removes) files removed since then come back. torn_seed = 0 drops all unsynced bytes;
 * any other value keeps a pseudo-random prefix of each file's unsynced tail (deterministic per
 * seed). Injected-failure rules are cleared and the power is back on.
 */
STRATA_MUST_USE strata_status *vfs_fault_crash(vfs *v, uint64_t torn_seed);

#endif
