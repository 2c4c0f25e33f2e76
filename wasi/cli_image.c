/*
 * cli_image.c -- strata export DIR FILE and strata import FILE DIR: a database as one image file
 * (docs/IMAGE.md), the same bytes in every build, so an image made natively imports under WASI,
 * in Node or in a browser and back.
 *
 * export opens DIR (it must hold a database), pins it and writes FILE (which must not exist).
 * import creates DIR (missing or empty) from FILE, verifying every byte; then it opens the new
 * database once, which replays its journal, and reports what it holds.
 */
#include <stdio.h>

#include "cli.h"

int cli_run_export(const cli_args *a) {
  strata_db *db = NULL;
  strata_status *st = cli_open_db(a, 0, &db);
  if (st) return cli_report(st);
  strata_stats s;
  st = strata_get_stats(db, &s);
  if (!st) st = strata_export_file(db, a->file);
  strata_status *cst = strata_close(db);
  if (!st) st = cst;
  else strata_status_free(cst);
  if (st) return cli_report(st);
  printf("exported %s to %s (every write below seqno %llu)\n", a->dir, a->file, (unsigned long long)s.seqno);
  return 0;
}

int cli_run_import(const cli_args *a) {
  strata_status *st = strata_import_file(a->file, a->dir, NULL);
  if (st) return cli_report(st);
  strata_db *db = NULL;
  st = cli_open_db(a, 0, &db);
  strata_stats s;
  if (!st) st = strata_get_stats(db, &s);
  strata_status *cst = strata_close(db);
  if (!st) st = cst;
  else strata_status_free(cst);
  if (st) return cli_report(st);
  uint64_t tables = 0;
  for (uint32_t l = 0; l < s.level_count && l < 16; l++) tables += s.levels[l].tables;
  char n[32];
  printf("imported %s into %s (%s tables; writes continue at seqno %llu)\n", a->file, a->dir, cli_num(tables, n),
         (unsigned long long)s.seqno);
  return 0;
}
