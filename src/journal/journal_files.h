/*
 * journal_files.h -- naming, listing and removing the journal files of one tree.
 *
 * Journals live in one folder (the database passes "<tree>/journal"), named by their number in
 * plain decimal: "0", "1", ... The highest number is the active journal; the others belong to
 * sealed memtables and are removed once those are flushed to tables. Names that are not a
 * canonical decimal number (leading zeros, signs, other text) are not journals and are ignored.
 */
#ifndef STRATA_JOURNAL_JOURNAL_FILES_H
#define STRATA_JOURNAL_JOURNAL_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "../util/status.h"
#include "../vfs/vfs.h"

/* "<dir>/<number>", malloc'd; NULL when out of memory. */
char *journal_path(const char *dir, uint64_t number);

/* Parses a journal file name; 1 and *number on success, 0 for anything else. */
int journal_parse_name(const char *name, uint64_t *number);

/* The journal numbers in `dir`, ascending, in a malloc'd array (*numbers is NULL when there are
 * none). A missing folder holds no journals. */
STRATA_MUST_USE strata_status *journal_list(vfs *v, const char *dir, uint64_t **numbers, size_t *count);

/* Removes journal `number` (its memtable is flushed) and syncs the folder; STRATA_NOT_FOUND when
 * it does not exist. */
STRATA_MUST_USE strata_status *journal_remove(vfs *v, const char *dir, uint64_t number);

#endif
