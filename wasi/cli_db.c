/*
 * cli_db.c -- the commands on a database folder (put, get, del, scan, stats, check, compact,
 * flush; dump is cli_dump.c, load cli_load.c), repair, and xxh3. The command line has been
 * checked already (cli_args.c); only put and load may create the database.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob/blob_file.h"
#include "cli.h"
#include "table/table_reader.h"
#include "util/buffer.h"
#include "util/db_files.h"
#include "util/internal_key.h"
#include "util/kv_iterator.h"
#include "util/status.h"
#include "vfs/vfs.h"

/* Only put and load create a database: every other command opens without create_if_missing,
 * which refuses a missing folder and one that holds no database (`strata /tmp get k` leaves /tmp
 * as it was). */
strata_status *cli_open_db(const cli_args *a, int create, strata_db **db) {
  strata_options *o = NULL;
  STATUS_TRY(strata_options_new(&o));
  strata_status *st = strata_options_set_recovery_mode(o, a->recovery);
  if (!st) st = strata_options_set_create_if_missing(o, create);
  if (!st && a->kv_threshold) /* the other knobs: the engine's defaults */
    st = strata_options_set_kv_separation(o, a->kv_threshold, STRATA_DEFAULT_BLOB_FILE_TARGET_SIZE,
                                          STRATA_COMPRESSION_LZ4, STRATA_DEFAULT_BLOB_STALENESS,
                                          STRATA_DEFAULT_BLOB_AGE_CUTOFF);
  if (!st) st = strata_open(a->dir, o, db);
  strata_options_free(o);
  strata_status *hint = NULL;
  if (st && !create && strata_status_code(st) == STRATA_NOT_FOUND)
    hint = status_new(STRATA_NOT_FOUND, "%s; `put` creates one", strata_status_message(st));
  else if (st && a->kv_threshold && strata_status_code(st) == STRATA_INVALID_ARGUMENT) /* a plain database */
    hint = status_new(STRATA_INVALID_ARGUMENT, "%s (--kv-separation chooses the mode of a database put or load creates)",
                      strata_status_message(st));
  if (hint) {
    strata_status_free(st);
    st = hint;
  }
  return st;
}

/* --- scan ------------------------------------------------------------------------------------ */

typedef struct bound {
  strata_bound kind;
  const char *key;
  size_t len;
} bound;

static int key_compare(const char *a, size_t al, const char *b, size_t bl) {
  int c = memcmp(a, b, al < bl ? al : bl);
  return c ? c : (al > bl) - (al < bl);
}

/* Narrows *lo to the tighter of itself and (kind, key). upper: the bound is an upper one. */
static void tighten(bound *b, strata_bound kind, const char *key, size_t len, int upper) {
  if (kind == STRATA_UNBOUNDED) return;
  if (b->kind != STRATA_UNBOUNDED) {
    int c = key_compare(key, len, b->key, b->len);
    if (upper ? c > 0 : c < 0) return;
    if (c == 0 && b->kind == STRATA_EXCLUDED) return;
  }
  b->kind = kind;
  b->key = key;
  b->len = len;
}

/* The keys after every key starting with prefix: its last byte below 0xff, incremented. */
static char *prefix_successor(const char *prefix, size_t *len) {
  size_t n = strlen(prefix);
  while (n > 0 && (unsigned char)prefix[n - 1] == 0xff) n--;
  if (n == 0) return NULL; /* no upper bound */
  char *s = malloc(n);
  if (!s) return NULL;
  memcpy(s, prefix, n);
  s[n - 1] = (char)((unsigned char)s[n - 1] + 1);
  *len = n;
  return s;
}

/* --prefix and the four bounds intersect into one range. */
static strata_status *scan(strata_db *db, const cli_args *a) {
  bound lo = {STRATA_UNBOUNDED, NULL, 0}, hi = {STRATA_UNBOUNDED, NULL, 0};
  char *succ = NULL;
  if (a->prefix) {
    size_t sl = 0;
    tighten(&lo, STRATA_INCLUDED, a->prefix, strlen(a->prefix), 0);
    succ = prefix_successor(a->prefix, &sl);
    if (succ) tighten(&hi, STRATA_EXCLUDED, succ, sl, 1);
  }
  if (a->gte) tighten(&lo, STRATA_INCLUDED, a->gte, strlen(a->gte), 0);
  if (a->gt) tighten(&lo, STRATA_EXCLUDED, a->gt, strlen(a->gt), 0);
  if (a->lte) tighten(&hi, STRATA_INCLUDED, a->lte, strlen(a->lte), 1);
  if (a->lt) tighten(&hi, STRATA_EXCLUDED, a->lt, strlen(a->lt), 1);
  if (lo.kind != STRATA_UNBOUNDED && hi.kind != STRATA_UNBOUNDED) {
    int c = key_compare(lo.key, lo.len, hi.key, hi.len);
    if (c > 0 || (c == 0 && (lo.kind == STRATA_EXCLUDED || hi.kind == STRATA_EXCLUDED))) {
      free(succ);
      return NULL; /* an empty range */
    }
  }
  strata_range range = {lo.kind, lo.key, lo.len, hi.kind, hi.key, hi.len};
  strata_iterator *it = NULL;
  strata_status *st = strata_iterator_new(db, NULL, &range, &it);
  if (st) {
    free(succ);
    return st;
  }
  if (a->reverse) strata_iterator_seek_last(it);
  else strata_iterator_seek_first(it);
  for (uint64_t n = 0; n < a->limit && strata_iterator_valid(it); n++) {
    size_t kl, vl;
    const void *k = strata_iterator_key(it, &kl);
    const void *v = strata_iterator_value(it, &vl);
    cli_print_bytes(k, kl);
    putchar('\t');
    cli_print_bytes(v, vl);
    putchar('\n');
    if (ferror(stdout)) break; /* the reader went away (`strata DIR scan | head`) */
    if (a->reverse) strata_iterator_prev(it);
    else strata_iterator_next(it);
  }
  st = strata_iterator_status(it);
  strata_iterator_close(it);
  free(succ);
  return st;
}

/* --- check ----------------------------------------------------------------------------------- */

typedef struct table_check {
  vfs *fs;
  const char *tables_dir, *blobs_dir;
  uint64_t files, bytes, blocks, blocks_entries, damaged;
  uint64_t blob_files, blob_bytes, blob_records, blob_damaged;
  strata_status *error; /* the first I/O (not corruption) error */
} table_check;

static int is_table_name(const char *name) {
  if (!*name) return 0;
  for (const char *p = name; *p; p++)
    if (*p < '0' || *p > '9') return 0;
  return 1;
}

/* One table file, whole: the file checksum, then every entry (every block's checksum). */
static strata_status *verify_table(table_check *c, const char *path, uint64_t id) {
  table_reader *tr = NULL;
  STATUS_TRY(table_reader_open(c->fs, path, id, NULL, &tr));
  strata_status *st = table_reader_verify(tr);
  kv_iterator *it = NULL;
  if (!st) st = table_reader_iterator(tr, &(table_read_options){.snapshot = SEQNO_READ_ALL}, &it);
  if (!st) {
    uint64_t n = 0;
    for (kv_iterator_seek_first(it); kv_iterator_valid(it); kv_iterator_next(it)) n++;
    st = kv_iterator_status(it);
    kv_iterator_destroy(it);
    if (!st) c->blocks_entries += n;
  }
  if (!st) {
    c->bytes += table_reader_meta(tr)->file_size;
    c->blocks += table_reader_meta(tr)->data_block_count; /* each read, its checksum verified */
  }
  table_reader_close(tr);
  return st;
}

/* One file's verdict: counted (damage is reported and counted, the first other error kept);
 * returns 0 when the file went away since the listing (a compaction removed it). */
static int count_verdict(table_check *c, strata_status *st, uint64_t *damaged) {
  if (status_is(st, STRATA_NOT_FOUND)) {
    strata_status_free(st);
    return 0;
  }
  if (status_is(st, STRATA_CORRUPTION)) {
    (*damaged)++;
    fprintf(stderr, "strata: %s: %s\n", strata_code_name(strata_status_code(st)), strata_status_message(st));
    strata_status_free(st);
  } else if (st && !c->error) {
    c->error = st;
  } else {
    strata_status_free(st);
  }
  return 1;
}

static strata_status *check_one_table(void *ctx, const char *name, int is_dir) {
  table_check *c = ctx;
  if (is_dir || !is_table_name(name)) return NULL;
  char *path = vfs_path_join(c->tables_dir, name);
  if (!path) return status_no_memory();
  strata_status *st = verify_table(c, path, strtoull(name, NULL, 10));
  free(path);
  c->files += (uint64_t)count_verdict(c, st, &c->damaged);
  return NULL;
}

/* One blob file, whole: the trailer, every record's checksum, the count and the file checksum. */
static strata_status *check_one_blob(void *ctx, const char *name, int is_dir) {
  table_check *c = ctx;
  if (is_dir || !is_table_name(name)) return NULL;
  char *path = vfs_path_join(c->blobs_dir, name);
  if (!path) return status_no_memory();
  blob_file_summary sum;
  strata_status *st = blob_file_verify(c->fs, path, strtoull(name, NULL, 10), &sum);
  free(path);
  if (!st) {
    c->blob_bytes += sum.file_size;
    c->blob_records += sum.item_count;
  }
  c->blob_files += (uint64_t)count_verdict(c, st, &c->blob_damaged);
  return NULL;
}

/* Lists `dir` (when it exists) through `fn`. */
static strata_status *check_dir(table_check *c, const char *dir, vfs_list_fn fn) {
  int exists = 0, is_dir = 0;
  STATUS_TRY(vfs_exists(c->fs, dir, &exists, &is_dir));
  return exists && is_dir ? vfs_list(c->fs, dir, fn, c) : NULL;
}

/*
 * The open has verified the manifest slot and every journal record it replayed. Then every
 * table file in tables/ is read whole (its file checksum and every block's), every blob file in
 * blobs/ too (every record's checksum and the file's), and every live entry is read through the
 * database once. Exit 1 when anything failed.
 */
static int check(strata_db *db, const cli_args *a) {
  double t0 = cli_now_ms();
  table_check c;
  memset(&c, 0, sizeof c);
  char *tables_dir = vfs_path_join(a->dir, DB_DIR_TABLES), *blobs_dir = vfs_path_join(a->dir, DB_DIR_BLOBS);
  strata_status *st = tables_dir && blobs_dir ? vfs_posix_new(&c.fs) : status_no_memory();
  c.tables_dir = tables_dir;
  c.blobs_dir = blobs_dir;
  if (!st) {
    st = check_dir(&c, tables_dir, check_one_table);
    if (!st) st = check_dir(&c, blobs_dir, check_one_blob);
    if (!st) st = c.error;
    else strata_status_free(c.error);
    vfs_destroy(c.fs);
  }
  free(tables_dir);
  free(blobs_dir);
  if (st) return cli_report(st);

  uint64_t entries = 0, kv_bytes = 0;
  strata_iterator *it = NULL;
  st = strata_iterator_new(db, NULL, NULL, &it);
  if (!st) {
    for (strata_iterator_seek_first(it); strata_iterator_valid(it); strata_iterator_next(it)) {
      size_t kl, vl;
      strata_iterator_key(it, &kl);
      strata_iterator_value(it, &vl);
      entries++;
      kv_bytes += kl + vl;
    }
    st = strata_iterator_status(it);
    strata_iterator_close(it);
  }
  char n1[32], n2[32], n3[32], n4[32], n5[32];
  if (st) {
    fprintf(stderr, "strata: check failed after %s good entries\n", cli_num(entries, n1));
    return cli_report(st);
  }
  if (c.damaged || c.blob_damaged) {
    printf("check: FAILED: %s of %s table files and %s of %s blob files damaged\n", cli_num(c.damaged, n1),
           cli_num(c.files, n2), cli_num(c.blob_damaged, n3), cli_num(c.blob_files, n4));
    return 1;
  }
  printf("check: ok, %s entries (%s of keys and values) read in %s\n", cli_num(entries, n1), cli_bytes(kv_bytes, n2),
         cli_ms(cli_now_ms() - t0, n3));
  char n6[32];
  printf("tables: %s files (%s, %s data blocks, %s entries of every version) verified: every block and file checksum\n",
         cli_num(c.files, n4), cli_bytes(c.bytes, n5), cli_num(c.blocks, n6), cli_num(c.blocks_entries, n1));
  if (c.blob_files)
    printf("blob files: %s files (%s, %s records) verified: every record's and the file checksum\n",
           cli_num(c.blob_files, n4), cli_bytes(c.blob_bytes, n5), cli_num(c.blob_records, n6));
  strata_recovery_report r;
  st = strata_get_recovery_report(db, &r);
  if (st) return cli_report(st);
  printf("journals: %s batches in %s journals replayed by the open, every record's checksum verified\n",
         cli_num(r.batches_replayed, n1), cli_num(r.journals_replayed, n2));
  cli_print_recovery(&r);
  return 0;
}

/* --- the others ------------------------------------------------------------------------------ */

static strata_status *print_stats(strata_db *db, int with_recovery) {
  strata_stats s;
  STATUS_TRY(strata_get_stats(db, &s));
  cli_print_stats(&s);
  if (!with_recovery) return NULL;
  strata_recovery_report r;
  STATUS_TRY(strata_get_recovery_report(db, &r));
  putchar('\n');
  cli_print_recovery(&r);
  return NULL;
}

/* strata_compact_with_progress's reports, as the progress line. */
static void compact_progress(void *ctx, uint64_t done, uint64_t total) {
  cli_progress_update(ctx, done, total);
}

int cli_run_db_command(const cli_args *a) {
  strata_db *db = NULL;
  strata_status *st = cli_open_db(a, a->command == CLI_PUT, &db);
  if (st) return cli_report(st);
  int rc = 0;
  char t[32];
  switch (a->command) {
    case CLI_PUT:
      st = strata_put(db, a->key, strlen(a->key), a->value, strlen(a->value), 1);
      if (!st && a->kv_threshold) st = strata_flush(db); /* separated by N now: N is not stored (cli.h) */
      break;
    case CLI_DEL: st = strata_delete(db, a->key, strlen(a->key), 1); break;
    case CLI_GET: {
      int found = 0;
      void *v = NULL;
      size_t vl = 0;
      st = strata_get(db, NULL, a->key, strlen(a->key), &found, &v, &vl);
      if (!st && found) {
        cli_print_bytes(v, vl);
        putchar('\n');
      } else if (!st) {
        fprintf(stderr, "strata: STRATA_NOT_FOUND: key \"%s\" not found\n", a->key);
        rc = 1;
      }
      strata_free(v);
      break;
    }
    case CLI_SCAN: st = scan(db, a); break;
    case CLI_STATS: st = print_stats(db, 1); break;
    case CLI_CHECK: rc = check(db, a); break;
    case CLI_DUMP: rc = cli_run_dump(db, a); break;
    case CLI_FLUSH: {
      double t0 = cli_now_ms();
      st = strata_flush(db);
      if (!st) printf("flush: done in %s\n", cli_ms(cli_now_ms() - t0, t));
      break;
    }
    case CLI_COMPACT: {
      double t0 = cli_now_ms();
      cli_progress p;
      cli_progress_start(&p, "compact", "bytes", 0);
      st = strata_compact_with_progress(db, 1, compact_progress, &p);
      if (!st) cli_progress_end(&p, p.total);
      if (!st) {
        printf("compact: done in %s (major: every table merged into one run in the last level)\n\n",
               cli_ms(cli_now_ms() - t0, t));
        st = print_stats(db, 0);
      }
      break;
    }
    default: rc = 2; break; /* not a DIR command: cli_main.c never sends one */
  }
  if (st) rc = cli_report(st);
  fflush(stdout);
  st = strata_close(db);
  if (st) rc = cli_report(st);
  return rc;
}

/* strata_repair, then what it kept and lost. */
int cli_run_repair(const cli_args *a) {
  strata_repair_report r;
  strata_status *st = strata_repair(a->dir, NULL, &r);
  if (st) return cli_report(st);
  char n[8][32];
  if (r.log) fputs(r.log, stdout);
  printf("repair: %s tables found, %s kept, %s damaged and %s obsolete (moved to lost/), %s merged, %s written\n",
         cli_num(r.tables_found, n[0]), cli_num(r.tables_kept, n[1]), cli_num(r.tables_damaged, n[2]),
         cli_num(r.tables_obsolete, n[3]), cli_num(r.tables_merged, n[4]), cli_num(r.tables_written, n[5]));
  printf("journals: %s read, %s batches salvaged, %s damaged batches and %s damaged bytes lost, %s torn bytes\n",
         cli_num(r.journals_read, n[0]), cli_num(r.journal_batches_salvaged, n[1]), cli_num(r.journal_batches_lost, n[2]),
         cli_num(r.journal_bytes_lost, n[3]), cli_num(r.journal_torn_bytes, n[4]));
  printf("manifest slots damaged %s, files moved to lost/ %s\nentries %s, highest seqno %s\n",
         cli_num(r.manifest_slots_damaged, n[0]), cli_num(r.files_moved_to_lost, n[1]), cli_num(r.entries, n[2]),
         cli_num(r.highest_seqno, n[3]));
  if (r.blob_files_found || r.tables_rewritten)
    printf("blob files: %s found, %s kept, %s damaged, %s obsolete, %s unreferenced (moved to lost/); %s tables "
           "rewritten, %s values lost (now deletes)\n",
           cli_num(r.blob_files_found, n[0]), cli_num(r.blob_files_kept, n[1]), cli_num(r.blob_files_damaged, n[2]),
           cli_num(r.blob_files_obsolete, n[3]), cli_num(r.blob_files_unreferenced, n[4]),
           cli_num(r.tables_rewritten, n[5]), cli_num(r.blob_values_lost, n[6]));
  strata_repair_report_clear(&r);
  return 0;
}

/* xxh3-64 of each file, read through the VFS. */
int cli_run_xxh3(const cli_args *a) {
  vfs *fs = NULL;
  strata_status *st = vfs_posix_new(&fs);
  if (st) return cli_report(st);
  buffer contents;
  buffer_init(&contents);
  int rc = 0;
  for (int i = 0; i < a->file_count; i++) {
    buffer_clear(&contents);
    st = vfs_read_file(fs, a->files[i], &contents);
    if (st) {
      rc = cli_report(st);
      break;
    }
    printf("%016" PRIx64 "  %s\n", strata_xxh3_64(contents.data, contents.len), a->files[i]);
  }
  buffer_free(&contents);
  vfs_destroy(fs);
  return rc;
}
