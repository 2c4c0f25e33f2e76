/*
 * db_files.h -- the names of the files and folders inside a database folder, in one place.
 *
 *   <db>/LOCK                 the folder lock, held while a handle has the database open (vfs lock)
 *   <db>/LOCK.reclaim         beside it while a stale lock is reclaimed; LOCK.<token>.tmp while a
 *                             record is published, LOCK.<token>.stale while a stale one is set
 *                             aside (posix_lock.c, docs/LOCKING.md)
 *   <db>/manifest-0, -1       the two manifest slots (version/manifest.h)
 *   <db>/tables/<id>          immutable tables, named by id in decimal (tree.h)
 *   <db>/blobs/<id>           blob files of key-value separation, by id in decimal (blob/blob_format.h)
 *   <db>/journal/<n>          write-ahead journals, named by number in decimal (journal_files.h)
 *   <db>/lost/<kind>-<name>   files recovery set aside instead of deleting (lost_folder.h), the
 *                             kinds below: lost/journal-9, lost/table-17, lost/blob-18, lost/manifest-1
 *   <db>/lost/point-in-time-report  the report of a point-in-time cut, from before its install until
 *                             an open returns it (db_recovery.c)
 *
 * Every layer that names these files (the manifest, the tree, the database, repair, the bindings)
 * takes the names from here; nothing else in src/ spells them. Only names: callers join them to
 * their folder with vfs_path_join, so this sits below the VFS and depends on nothing.
 */
#ifndef STRATA_UTIL_DB_FILES_H
#define STRATA_UTIL_DB_FILES_H

#include <stddef.h>
#include <stdint.h>

#define DB_FILE_LOCK "LOCK"
/* Suffixes joined to the lock's path (posix_lock.c): DB_FILE_LOCK DB_LOCK_SUFFIX_RECLAIM, and
 * DB_FILE_LOCK "." token DB_LOCK_SUFFIX_TMP or DB_LOCK_SUFFIX_STALE. */
#define DB_LOCK_SUFFIX_RECLAIM ".reclaim"
#define DB_LOCK_SUFFIX_TMP ".tmp"
#define DB_LOCK_SUFFIX_STALE ".stale"
#define DB_DIR_TABLES "tables"
#define DB_DIR_BLOBS "blobs"
#define DB_DIR_JOURNAL "journal"
#define DB_DIR_LOST "lost"
#define DB_FILE_PIT_REPORT "point-in-time-report" /* inside DB_DIR_LOST */

/* Manifest slot files are DB_MANIFEST_PREFIX "-" slot, slot 0 or 1 (the epoch's parity). */
#define DB_MANIFEST_PREFIX "manifest"
#define DB_MANIFEST_SLOTS 2u

/* The kinds of files in lost/ (lost_folder_keep): the name is "<kind>-<original name>", except
 * a manifest slot, whose name already starts with its kind. */
#define DB_LOST_KIND_JOURNAL "journal"
#define DB_LOST_KIND_TABLE "table"
#define DB_LOST_KIND_BLOB "blob"
#define DB_LOST_KIND_MANIFEST DB_MANIFEST_PREFIX

/* "manifest-0" or "manifest-1" for slot & 1 (a static string). */
const char *db_files_manifest_slot(unsigned slot);

/*
 * A database file named relative to its folder, as a database image lists them (docs/IMAGE.md):
 * "tables/<id>", "blobs/<id>", "journal/<n>" (numbers in canonical decimal: digits only, no leading zero but
 * for "0") or "manifest-0" / "manifest-1". Nothing else is such a name: no other folder, no
 * "..", no separators beyond the one.
 */
typedef enum db_file_kind { DB_FILE_TABLE = 1, DB_FILE_JOURNAL = 2, DB_FILE_MANIFEST = 3, DB_FILE_BLOB = 4 } db_file_kind;
#define DB_FILE_NAME_MAX 32u /* the longest relative name: "journal/" and 20 digits fit */
/* Writes the relative name of (kind, number) into buf (cap >= DB_FILE_NAME_MAX + 1); returns
 * its length, 0 for an unknown kind or a manifest slot other than 0 or 1. */
size_t db_files_relative_name(db_file_kind kind, uint64_t number, char *buf, size_t cap);
/* Parses name[0..len) (not NUL-terminated) as above; 1 with *kind and *number on success. */
int db_files_parse_relative(const char *name, size_t len, db_file_kind *kind, uint64_t *number);
/* A canonical decimal file number of len bytes; 1 and *number on success, 0 on anything else. */
int db_files_parse_number(const char *s, size_t len, uint64_t *number);

#endif
