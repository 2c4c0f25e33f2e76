/* db_files.c -- the names of a database folder's files (see db_files.h). */
#include "db_files.h"

const char *db_files_manifest_slot(unsigned slot) {
  static const char *const names[DB_MANIFEST_SLOTS] = {DB_MANIFEST_PREFIX "-0", DB_MANIFEST_PREFIX "-1"};
  return names[slot & 1];
}
