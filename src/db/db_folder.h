/*
 * db_folder.h -- what makes a folder a database: the one rule open (createIfMissing off) and
 * repair apply. A folder holds a database when it has a manifest slot, tables/ or journal/
 * (db_files.h names them); a fresh open writes the first manifest before it returns.
 */
#ifndef STRATA_DB_DB_FOLDER_H
#define STRATA_DB_DB_FOLDER_H

#include "../vfs/vfs.h"

/* *holds = 1 when folder `dir` (which exists) holds a database's files. */
STRATA_MUST_USE strata_status *db_folder_holds_database(vfs *fs, const char *dir, int *holds);

/* The words messages use for a folder without them: "no manifest, tables/ or journal/". */
#define DB_FOLDER_MARKS_TEXT "no manifest, tables/ or journal/"

#endif
