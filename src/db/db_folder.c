/*
 * db_folder.c -- whether a folder holds a database (db_folder.h).
 */
#include <stdlib.h>

#include "../util/db_files.h"
#include "db_folder.h"

strata_status *db_folder_holds_database(vfs *fs, const char *dir, int *holds) {
  *holds = 0;
  const char *marks[] = {db_files_manifest_slot(0), db_files_manifest_slot(1), DB_DIR_TABLES, DB_DIR_JOURNAL};
  for (size_t i = 0; i < sizeof marks / sizeof *marks && !*holds; i++) {
    char *p = vfs_path_join(dir, marks[i]);
    if (!p) return status_no_memory();
    strata_status *st = vfs_exists(fs, p, holds, NULL);
    free(p);
    STATUS_TRY(st);
  }
  return NULL;
}
