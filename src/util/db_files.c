/* db_files.c -- the names of a database folder's files (see db_files.h). */
#include "db_files.h"

#include <stdio.h>
#include <string.h>

const char *db_files_manifest_slot(unsigned slot) {
  static const char *const names[DB_MANIFEST_SLOTS] = {DB_MANIFEST_PREFIX "-0", DB_MANIFEST_PREFIX "-1"};
  return names[slot & 1];
}

int db_files_parse_number(const char *s, size_t len, uint64_t *number) {
  if (len == 0 || len > 20 || (len > 1 && s[0] == '0')) return 0;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    uint64_t d = (uint64_t)(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return 0;
    v = v * 10 + d;
  }
  *number = v;
  return 1;
}

size_t db_files_relative_name(db_file_kind kind, uint64_t number, char *buf, size_t cap) {
  int n = -1;
  if (kind == DB_FILE_TABLE) n = snprintf(buf, cap, "%s/%llu", DB_DIR_TABLES, (unsigned long long)number);
  else if (kind == DB_FILE_JOURNAL) n = snprintf(buf, cap, "%s/%llu", DB_DIR_JOURNAL, (unsigned long long)number);
  else if (kind == DB_FILE_MANIFEST && number < DB_MANIFEST_SLOTS)
    n = snprintf(buf, cap, "%s", db_files_manifest_slot((unsigned)number));
  return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

static int has_prefix(const char *name, size_t len, const char *dir, size_t *skip) {
  size_t d = strlen(dir);
  if (len <= d + 1 || memcmp(name, dir, d) != 0 || name[d] != '/') return 0;
  *skip = d + 1;
  return 1;
}

int db_files_parse_relative(const char *name, size_t len, db_file_kind *kind, uint64_t *number) {
  size_t skip = 0;
  for (unsigned slot = 0; slot < DB_MANIFEST_SLOTS; slot++) {
    const char *m = db_files_manifest_slot(slot);
    if (len == strlen(m) && memcmp(name, m, len) == 0) {
      *kind = DB_FILE_MANIFEST;
      *number = slot;
      return 1;
    }
  }
  if (has_prefix(name, len, DB_DIR_TABLES, &skip)) *kind = DB_FILE_TABLE;
  else if (has_prefix(name, len, DB_DIR_JOURNAL, &skip)) *kind = DB_FILE_JOURNAL;
  else return 0;
  return db_files_parse_number(name + skip, len - skip, number);
}
