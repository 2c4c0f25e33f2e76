/*
 * cli_dump.c -- `strata DIR dump [TABLE] [--limit N]`: without TABLE the table files of DIR/tables,
 * one line each; with TABLE one table's summary (its META block), its index (one line per data
 * block) and its entries of every version. The database is open (and locked) meanwhile, so no
 * compaction removes the file while it is read. Every block read is checksum-verified.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "table/table_index.h"
#include "table/table_reader.h"
#include "table/table_reader_internal.h"
#include "util/db_files.h"
#include "util/status.h"
#include "vfs/vfs.h"

#define KEY_SHOWN 40 /* bytes of a key in the listing and the index; longer ones end in "..." */

static void print_key_short(const buffer *k) {
  putchar('"');
  cli_print_escaped(stdout, k->data, k->len < KEY_SHOWN ? k->len : KEY_SHOWN);
  fputs(k->len > KEY_SHOWN ? "\"..." : "\"", stdout);
}

static int is_table_name(const char *name) {
  if (!*name || strlen(name) > 19) return 0;
  for (const char *p = name; *p; p++)
    if (*p < '0' || *p > '9') return 0;
  return 1;
}

typedef struct id_list {
  uint64_t *ids;
  size_t n, cap;
} id_list;

static strata_status *collect_id(void *ctx, const char *name, int is_dir) {
  id_list *l = ctx;
  if (is_dir || !is_table_name(name)) return NULL;
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 64;
    uint64_t *ids = realloc(l->ids, cap * sizeof *ids);
    if (!ids) return status_no_memory();
    l->ids = ids;
    l->cap = cap;
  }
  l->ids[l->n++] = strtoull(name, NULL, 10);
  return NULL;
}

static int compare_ids(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

static strata_status *open_table(vfs *fs, const char *tables_dir, uint64_t id, table_reader **out) {
  char name[24];
  snprintf(name, sizeof name, "%" PRIu64, id);
  char *path = vfs_path_join(tables_dir, name);
  if (!path) return status_no_memory();
  strata_status *st = table_reader_open(fs, path, id, NULL, out);
  free(path);
  return st;
}

static strata_status *list_tables(vfs *fs, const char *tables_dir) {
  id_list l = {NULL, 0, 0};
  int exists = 0, is_dir = 0;
  strata_status *st = vfs_exists(fs, tables_dir, &exists, &is_dir);
  if (!st && exists && is_dir) st = vfs_list(fs, tables_dir, collect_id, &l);
  if (!st) qsort(l.ids, l.n, sizeof *l.ids, compare_ids);
  char a[32], b[32], c[32];
  if (!st) printf("%zu table files in %s\n", l.n, tables_dir);
  if (!st && l.n) printf("%8s  %10s  %10s  %7s  %s\n", "id", "bytes", "entries", "blocks", "keys");
  for (size_t i = 0; !st && i < l.n; i++) {
    table_reader *tr = NULL;
    st = open_table(fs, tables_dir, l.ids[i], &tr);
    if (status_is(st, STRATA_NOT_FOUND)) { /* removed since the listing */
      strata_status_free(st);
      st = NULL;
      continue;
    }
    if (st) break;
    const table_meta *m = table_reader_meta(tr);
    printf("%8" PRIu64 "  %10s  %10s  %7s  ", l.ids[i], cli_bytes(m->file_size, a), cli_num(m->entry_count, b),
           cli_num(m->data_block_count, c));
    print_key_short(&m->min_key);
    fputs(" .. ", stdout);
    print_key_short(&m->max_key);
    putchar('\n');
    table_reader_close(tr);
  }
  free(l.ids);
  return st;
}

static void print_summary(const table_reader *tr, const char *tables_dir) {
  const table_meta *m = table_reader_meta(tr);
  char a[32], b[32], c[32], d[32];
  printf("table %" PRIu64 " (%s/%" PRIu64 "): %s, format version %" PRIu64 "\n", table_reader_id(tr), tables_dir,
         table_reader_id(tr), cli_bytes(m->file_size, a), m->format_version);
  printf("entries      %s: %s values, %s tombstones, %s single-delete tombstones\n", cli_num(m->entry_count, a),
         cli_num(m->value_count, b), cli_num(m->tombstone_count, c), cli_num(m->weak_tombstone_count, d));
  printf("seqnos       %" PRIu64 " .. %" PRIu64 "\n", m->min_seqno, m->max_seqno);
  fputs("keys         \"", stdout);
  cli_print_escaped(stdout, m->min_key.data, m->min_key.len);
  fputs("\" .. \"", stdout);
  cli_print_escaped(stdout, m->max_key.data, m->max_key.len);
  fputs("\"\n", stdout);
  printf("data blocks  %s: %s stored, %s raw, %s compression, block size %s, restart interval %" PRIu64 "\n",
         cli_num(m->data_block_count, a), cli_bytes(m->data_size, b), cli_bytes(m->raw_data_size, c),
         compression_name(m->compression), cli_num(m->block_size, d), m->restart_interval);
  if (m->index_partition_count)
    printf("index        partitioned: %s partitions, %s\n", cli_num(m->index_partition_count, a),
           cli_bytes(m->index_size, b));
  else printf("index        one block, %s\n", cli_bytes(m->index_size, a));
  if (m->filter_size)
    printf("filter       bloom, %s, %" PRIu64 " keys%s\n", cli_bytes(m->filter_size, a), m->filter_hashes,
           m->filter_partition_count ? ", partitioned" : "");
  else puts("filter       none");
}

/* One index block's entries: a data block each (offset, stored size, last key). */
static strata_status *print_index_block(table_reader *tr, const block *idx, block_owner owner, uint64_t *n) {
  kv_iterator *it = NULL;
  STATUS_TRY(block_iterator_new(idx, owner, NULL, &it));
  strata_status *st = NULL;
  char a[32], b[32];
  for (kv_iterator_seek_first(it); !st && kv_iterator_valid(it); kv_iterator_next(it)) {
    block_handle h;
    st = index_value_decode(kv_iterator_value(it), tr->what, &h);
    if (st) break;
    internal_key k = kv_iterator_key(it);
    printf("%8" PRIu64 "  %12s  %10s  \"", (*n)++, cli_num(h.offset, a), cli_bytes(h.size, b));
    cli_print_escaped(stdout, k.user_key.data, k.user_key.len < KEY_SHOWN ? k.user_key.len : KEY_SHOWN);
    fputs(k.user_key.len > KEY_SHOWN ? "\"...\n" : "\"\n", stdout);
  }
  if (!st) st = kv_iterator_status(it);
  kv_iterator_destroy(it);
  return st;
}

static strata_status *print_index(table_reader *tr) {
  printf("\n%8s  %12s  %10s  %s\n", "block", "offset", "size", "last key");
  uint64_t n = 0;
  block_owner none = {NULL, NULL, NULL};
  if (!tr->meta.index_partition_count) return print_index_block(tr, tr->index, none, &n);
  kv_iterator *top = NULL; /* partitioned: the top level names the partitions */
  STATUS_TRY(block_iterator_new(tr->index, none, NULL, &top));
  strata_status *st = NULL;
  for (kv_iterator_seek_first(top); !st && kv_iterator_valid(top); kv_iterator_next(top)) {
    block_handle h;
    st = index_value_decode(kv_iterator_value(top), tr->what, &h);
    const block *part = NULL;
    block_owner owner = none;
    if (!st) st = table_reader_load_block(tr, h, BLOCK_TYPE_INDEX, &part, &owner);
    if (!st) st = print_index_block(tr, part, owner, &n);
  }
  if (!st) st = kv_iterator_status(top);
  kv_iterator_destroy(top);
  return st;
}

static strata_status *print_entries(table_reader *tr, uint64_t limit) {
  static const char *const kinds[] = {"value", "tombstone", "single-delete"};
  kv_iterator *it = NULL;
  STATUS_TRY(table_reader_iterator(tr, &(table_read_options){.snapshot = SEQNO_READ_ALL}, &it));
  printf("\nentries (key, seqno, kind, value):\n");
  uint64_t n = 0;
  for (kv_iterator_seek_first(it); n < limit && kv_iterator_valid(it); kv_iterator_next(it), n++) {
    internal_key k = kv_iterator_key(it);
    slice v = kv_iterator_value(it);
    cli_print_escaped(stdout, k.user_key.data, k.user_key.len);
    printf("\t%" PRIu64 "\t%s\t", k.seqno, kinds[k.type]);
    cli_print_escaped(stdout, v.data, v.len);
    putchar('\n');
    if (ferror(stdout)) break;
  }
  strata_status *st = kv_iterator_status(it);
  kv_iterator_destroy(it);
  char a[32], b[32];
  if (!st && n < table_reader_meta(tr)->entry_count)
    printf("(%s of %s entries shown: --limit)\n", cli_num(n, a), cli_num(table_reader_meta(tr)->entry_count, b));
  return st;
}

static strata_status *dump_table(vfs *fs, const char *tables_dir, const cli_args *a) {
  uint64_t id = 0;
  if (!is_table_name(a->table))
    return status_new(STRATA_INVALID_ARGUMENT, "dump: TABLE is a table id (a number), not \"%s\"; `dump` lists them",
                      a->table);
  id = strtoull(a->table, NULL, 10);
  table_reader *tr = NULL;
  strata_status *st = open_table(fs, tables_dir, id, &tr);
  if (status_is(st, STRATA_NOT_FOUND)) {
    strata_status_free(st);
    return status_new(STRATA_NOT_FOUND, "dump: there is no table %" PRIu64 " in %s; `dump` lists them", id, tables_dir);
  }
  if (st) return st;
  print_summary(tr, tables_dir);
  st = print_index(tr);
  if (!st) st = print_entries(tr, a->limit);
  table_reader_close(tr);
  return st;
}

int cli_run_dump(strata_db *db, const cli_args *a) {
  (void)db; /* held open: the lock keeps compactions of other processes away meanwhile */
  vfs *fs = NULL;
  strata_status *st = vfs_posix_new(&fs);
  char *tables_dir = st ? NULL : vfs_path_join(a->dir, DB_DIR_TABLES);
  if (!st && !tables_dir) st = status_no_memory();
  if (!st) st = a->table ? dump_table(fs, tables_dir, a) : list_tables(fs, tables_dir);
  free(tables_dir);
  vfs_destroy(fs);
  return st ? cli_report(st) : 0;
}
