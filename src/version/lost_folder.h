/*
 * lost_folder.h -- the database's `lost/` folder: files recovery set aside instead of deleting.
 *
 * Recovery never deletes a file it cannot prove obsolete. A damaged journal, the journals after a
 * point-in-time cut, a table no chosen version references but that may hold newer data, a
 * damaged manifest slot: each is moved to `<db>/lost/<kind>-<name>` (a `.N` suffix when the name
 * is taken; a name that already starts with "<kind>-", as the manifest slots do, is kept as it
 * is), where a person or `strata repair` can look at it, and from where it is never read
 * back by an open.
 *
 *   lost/journal-9   lost/table-17   lost/manifest-1   lost/table-17.1
 */
#ifndef STRATA_VERSION_LOST_FOLDER_H
#define STRATA_VERSION_LOST_FOLDER_H

#include "../vfs/vfs.h"

/*
 * Moves `path` (a file inside the database folder `db_dir`) to lost/<kind>-<basename of path>,
 * durably: the copy is synced and the folder entry made durable before the original is removed.
 * *moved_to (optional) receives the new path, malloc'd. A missing `path` is STRATA_NOT_FOUND.
 */
STRATA_MUST_USE strata_status *lost_folder_keep(vfs *v, const char *db_dir, const char *path, const char *kind,
                                                char **moved_to);

/* The same without removing `path`: a durable copy in lost/, for a file recovery then changes in
 * place (a journal cut at the last consistent point keeps its whole original in lost/). */
STRATA_MUST_USE strata_status *lost_folder_copy(vfs *v, const char *db_dir, const char *path, const char *kind,
                                                char **copied_to);

/* lost_folder_copy unless lost/ already holds a copy of `path` with the same bytes (under its name
 * or a .N one): an open run again after a refusal sets the same file aside once. *copied (optional)
 * is 1 when this call made the copy. */
STRATA_MUST_USE strata_status *lost_folder_copy_once(vfs *v, const char *db_dir, const char *path, const char *kind,
                                                     int *copied);

#endif
