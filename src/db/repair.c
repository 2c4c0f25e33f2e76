/*
 * repair.c -- strata_repair: a new manifest from the files that verify (LevelDB's RepairDB idea).
 *
 * Under the database lock:
 *   1. every file of tables/ is read whole and checked (table_reader_open: trailer, TOC, meta,
 *      index, filter; table_reader_verify: the whole-file checksum; then every entry, which
 *      unframes and checks every data block and compares the entries with the metadata). A table
 *      that fails moves to lost/.
 *   2. every journal is salvaged (journal_salvage.h: intact batches, also after damage) into
 *      memtables that are written as new tables.
 *   3. the tables are grouped: two tables whose key ranges overlap must either be ordered by
 *      seqno (every entry of one newer than every entry of the other) or be merged, because a
 *      point read stops at the first run holding the key (tree_read.c). Groups that overlap that
 *      way are merged into one new run (the merge iterator orders by internal key, and exact
 *      duplicates -- a journal batch also flushed, a compaction's output beside its inputs --
 *      are written once).
 *   4. every group becomes one level-0 run, newest (highest seqno) first; the manifest is
 *      written into both slots with epochs above any found (a damaged slot moves to lost/
 *      first, and only one slot at a time, so a crash never leaves no manifest), with
 *      flushed_seqno above the highest seqno and journal_min above every journal.
 *   5. only then are the old journals moved to lost/ and the merged tables removed (their
 *      entries are in the new run). A crash before the manifest leaves extra tables a rerun
 *      merges again; a crash after it leaves journals the next open deletes as spent.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../blob/blob_file.h"
#include "../blob/blob_handle.h"
#include "../journal/journal_files.h"
#include "../journal/journal_salvage.h"
#include "../memtable/memtable.h"
#include "../table/table_chain.h"
#include "../table/table_reader.h"
#include "../table/table_writer.h"
#include "../tree/merge_iterator.h"
#include "../util/clock.h"
#include "../util/db_files.h"
#include "../version/lost_folder.h"
#include "../version/manifest.h"
#include "db_folder.h"
#include "db_internal.h"
#include "handle.h"

typedef struct repair_table {
  table_info *info; /* one reference */
  size_t group;     /* index of its group */
  int written;      /* written by this repair */
} repair_table;

/* Tables read as one run: a kept table alone, or tables merged into `run`. */
typedef struct repair_group {
  int alive;
  size_t members;
  slice key_min, key_max; /* point into member descriptors */
  uint64_t seqno_min, seqno_max;
  table_info **run; /* merge output, one reference each; NULL for a single kept table */
  size_t run_count;
} repair_group;

/* A blob file that verified (key-value separation): its descriptor and a reader for the handles. */
typedef struct repair_blob {
  blob_meta *meta; /* one reference */
  blob_file_reader *reader;
} repair_blob;

/* A table's references into blob files, gathered while its entries are read or written. */
typedef struct blob_refs {
  table_blob_ref *refs;
  size_t count, cap;
} blob_refs;

typedef struct repair {
  vfs *fs;
  char *dir, *tables_dir, *journal_dir, *blobs_dir;
  int separated;     /* key-value separated: the manifest says so, or there is a blobs/ folder */
  repair_blob *blobs; /* sorted by id */
  size_t blob_count;
  uint64_t *rewrite; /* tables whose handles point into missing or damaged blob files */
  size_t rewrite_count;
  buffer value;      /* a blob value read to check a handle */
  table_writer_options wo;
  uint64_t table_target_size;
  uint64_t memtable_size;
  unsigned level_count;
  int map_tables; /* the options' map_tables: how the tables are read */
  repair_table *tables;
  size_t count, cap;
  repair_group *groups;
  uint64_t next_id;       /* the next free file id */
  uint64_t highest_seqno;
  memtable *salvaged;     /* journal batches not yet written */
  /* The newest manifest, when it is certainly the newest (both slots intact, or only one ever
   * written): tables it does not list below its next_file_id are obsolete, and journals below
   * its journal_min hold only flushed writes. NULL otherwise. */
  version *trusted;
  uint64_t trusted_next_id, trusted_journal_min;
  write_batch_item *items;
  size_t items_cap;
  strata_repair_report *report;
  buffer log;
} repair;

/* A line for the report's log; best effort (the log is for people, the counters carry the facts). */
static void say(repair *r, const char *fmt, ...) STRATA_PRINTF(2, 3);
static void say(repair *r, const char *fmt, ...) {
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
  strata_status_free(buffer_append(&r->log, line, len));
  strata_status_free(buffer_append(&r->log, "\n", 1));
}

static char *table_path(const repair *r, uint64_t id) {
  char name[24];
  snprintf(name, sizeof name, "%llu", (unsigned long long)id);
  return vfs_path_join(r->tables_dir, name);
}

static strata_status *keep_in_lost(repair *r, const char *path, const char *kind, const char *why) {
  char *to = NULL;
  STATUS_TRY(lost_folder_keep(r->fs, r->dir, path, kind, &to));
  r->report->files_moved_to_lost++;
  say(r, "%s: moved to %s (%s)", path, to, why);
  free(to);
  return NULL;
}

/* Takes the reference to ti on success only. */
static strata_status *push_table(repair *r, table_info *ti, int written) {
  if (r->count == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 16;
    repair_table *grown = realloc(r->tables, cap * sizeof *grown);
    if (!grown) return status_no_memory();
    r->tables = grown;
    r->cap = cap;
  }
  r->tables[r->count++] = (repair_table){ti, 0, written};
  if (ti->seqno_max > r->highest_seqno) r->highest_seqno = ti->seqno_max;
  if (ti->id >= r->next_id) r->next_id = ti->id + 1;
  return NULL;
}

/* --- 1. verifying tables ------------------------------------------------------------------ */

/* --- blob files and handles ----------------------------------------------------------------- */

static const repair_blob *find_blob(const repair *r, uint64_t id) {
  size_t lo = 0, hi = r->blob_count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (r->blobs[mid].meta->id == id) return &r->blobs[mid];
    if (r->blobs[mid].meta->id < id) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

static strata_status *count_ref(blob_refs *l, const blob_handle *h) {
  size_t i = 0;
  while (i < l->count && l->refs[i].blob_id < h->blob_id) i++;
  if (i == l->count || l->refs[i].blob_id != h->blob_id) {
    if (l->count == l->cap) {
      size_t cap = l->cap ? l->cap * 2 : 4;
      table_blob_ref *grown = realloc(l->refs, cap * sizeof *grown);
      if (!grown) return status_no_memory();
      l->refs = grown;
      l->cap = cap;
    }
    memmove(&l->refs[i + 1], &l->refs[i], (l->count - i) * sizeof *l->refs);
    l->refs[i] = (table_blob_ref){h->blob_id, 0, 0};
    l->count++;
  }
  l->refs[i].count++;
  l->refs[i].bytes += h->size;
  return NULL;
}

/*
 * A table entry's value handle: *resolves = 1 (and the reference counted into refs) when it
 * points into a blob file that verified and the record there holds this key; 0 when the blob
 * file is missing or damaged, or the record is not the key's (its value is lost). A handle that
 * does not decode is the table's corruption.
 */
static strata_status *check_handle(repair *r, slice key, slice value, const char *path, blob_refs *refs,
                                   int *resolves) {
  *resolves = 0;
  blob_handle h;
  STATUS_TRY(blob_handle_decode(value, path, &h));
  const repair_blob *b = find_blob(r, h.blob_id);
  if (!b) return NULL;
  strata_status *st = blob_file_reader_read(b->reader, &h, key, &r->value);
  if (status_is(st, STRATA_CORRUPTION)) {
    strata_status_free(st);
    return NULL;
  }
  STATUS_TRY(st);
  *resolves = 1;
  return refs ? count_ref(refs, &h) : NULL;
}

/* Reads every entry and holds it against the metadata; any disagreement is corruption. Handles
 * are checked against the blob files: those that resolve are counted into refs, the others
 * into *dangling. */
static strata_status *check_entries(repair *r, table_reader *tr, const char *path, blob_refs *refs,
                                    uint64_t *dangling) {
  const table_meta *m = table_reader_meta(tr);
  kv_iterator *it = NULL;
  STATUS_TRY(table_reader_iterator(tr, &(table_read_options){.snapshot = SEQNO_READ_ALL}, &it));
  uint64_t entries = 0, tombstones = 0, smin = UINT64_MAX, smax = 0;
  buffer prev, first;
  buffer_init(&prev);
  buffer_init(&first);
  uint64_t prev_trailer = 0;
  strata_status *st = NULL;
  for (kv_iterator_seek_first(it); !st && kv_iterator_valid(it); kv_iterator_next(it)) {
    internal_key k = kv_iterator_key(it);
    uint64_t trailer = internal_key_trailer(&k);
    if (entries > 0) {
      int c = slice_compare(buffer_slice(&prev), k.user_key);
      if (c > 0 || (c == 0 && trailer >= prev_trailer))
        st = status_new(STRATA_CORRUPTION, "table %s: entry %llu is out of order", path,
                        (unsigned long long)entries);
    } else {
      st = buffer_append(&first, k.user_key.data, k.user_key.len);
    }
    if (!st) {
      buffer_clear(&prev);
      st = buffer_append(&prev, k.user_key.data, k.user_key.len);
    }
    prev_trailer = trailer;
    if (!st && k.type == VALUE_TYPE_INDIRECTION) {
      int resolves = 0;
      st = check_handle(r, k.user_key, kv_iterator_value(it), path, refs, &resolves);
      if (!st && !resolves) (*dangling)++;
    }
    entries++;
    if (value_type_is_tombstone(k.type)) tombstones++;
    if (k.seqno < smin) smin = k.seqno;
    if (k.seqno > smax) smax = k.seqno;
  }
  if (!st) st = kv_iterator_status(it);
  kv_iterator_destroy(it);
  if (!st && entries == 0) st = status_new(STRATA_CORRUPTION, "table %s holds no entries", path);
  if (!st && (entries != m->entry_count || tombstones != m->tombstone_count + m->weak_tombstone_count ||
              smin != m->min_seqno || smax != m->max_seqno ||
              slice_compare(buffer_slice(&first), buffer_slice(&m->min_key)) ||
              slice_compare(buffer_slice(&prev), buffer_slice(&m->max_key))))
    st = status_new(STRATA_CORRUPTION, "table %s: its entries disagree with its metadata", path);
  buffer_free(&prev);
  buffer_free(&first);
  return st;
}

static strata_status *describe(uint64_t id, const table_meta *m, checksum128 sum, const blob_refs *refs,
                               table_info **out) {
  table_info_fields f = {0};
  if (refs) {
    f.blob_refs = refs->refs;
    f.blob_ref_count = refs->count;
  }
  f.id = id;
  f.file_size = m->file_size;
  f.file_checksum = sum;
  f.entry_count = m->entry_count;
  f.tombstone_count = m->tombstone_count + m->weak_tombstone_count;
  f.seqno_min = m->min_seqno;
  f.seqno_max = m->max_seqno;
  f.created_unix_ms = clock_unix_ms(); /* the file's age is not recorded in it */
  f.key_min = buffer_slice(&m->min_key);
  f.key_max = buffer_slice(&m->max_key);
  return table_info_new(&f, out);
}

/* *out = NULL when the table is damaged (the reason in *why) or holds handles that do not
 * resolve (*dangling > 0: it is rewritten later); errors are I/O and memory. */
static strata_status *verify_table(repair *r, uint64_t id, const char *path, table_info **out,
                                   strata_status **why, uint64_t *dangling) {
  *out = NULL;
  *why = NULL;
  *dangling = 0;
  table_reader *tr = NULL;
  blob_refs refs = {NULL, 0, 0};
  strata_status *st = table_reader_open_mapping(r->fs, path, id, NULL, r->map_tables, &tr);
  if (!st) st = table_reader_verify(tr);
  if (!st) st = check_entries(r, tr, path, &refs, dangling);
  if (!st && !*dangling) st = describe(id, table_reader_meta(tr), table_reader_file_checksum(tr), &refs, out);
  table_reader_close(tr);
  free(refs.refs);
  if (status_is(st, STRATA_CORRUPTION)) {
    *why = st;
    return NULL;
  }
  return st;
}

static int parse_id(const char *name, uint64_t *id) {
  if (!*name || (name[0] == '0' && name[1])) return 0;
  uint64_t v = 0;
  for (const char *p = name; *p; p++) {
    if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9) / 10) return 0;
    v = v * 10 + (uint64_t)(*p - '0');
  }
  *id = v;
  return 1;
}

typedef struct id_list {
  uint64_t *ids;
  size_t count, cap;
} id_list;

static strata_status *collect_id(void *ctx, const char *name, int is_dir) {
  id_list *l = ctx;
  uint64_t id;
  if (is_dir || !parse_id(name, &id)) return NULL; /* not a table: left alone */
  if (l->count == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 64;
    uint64_t *grown = realloc(l->ids, cap * sizeof *grown);
    if (!grown) return status_no_memory();
    l->ids = grown;
    l->cap = cap;
  }
  l->ids[l->count++] = id;
  return NULL;
}

static int compare_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

static strata_status *verify_tables(repair *r) {
  id_list l = {NULL, 0, 0};
  strata_status *st = vfs_list(r->fs, r->tables_dir, collect_id, &l);
  if (!st && l.count) qsort(l.ids, l.count, sizeof *l.ids, compare_u64);
  for (size_t i = 0; i < l.count && !st; i++) {
    if (l.ids[i] >= r->next_id) r->next_id = l.ids[i] + 1; /* never reuse an id, damaged or not */
    char *path = table_path(r, l.ids[i]);
    if (!path) {
      st = status_no_memory();
      break;
    }
    table_info *ti = NULL;
    strata_status *why = NULL;
    r->report->tables_found++;
    if (r->trusted && l.ids[i] < r->trusted_next_id && !version_find_table(r->trusted, l.ids[i], NULL)) {
      /* compacted or dropped away (a snapshot kept it until a crash): reading it would resurrect */
      r->report->tables_obsolete++;
      st = keep_in_lost(r, path, DB_LOST_KIND_TABLE, "obsolete: the intact newest manifest no longer lists it");
      free(path);
      continue;
    }
    uint64_t dangling = 0;
    st = verify_table(r, l.ids[i], path, &ti, &why, &dangling);
    if (!st && ti && (st = push_table(r, ti, 0))) table_info_unref(ti);
    if (!st && !why && dangling) { /* rewritten once every id is known (new ids must not collide) */
      uint64_t *grown = realloc(r->rewrite, (r->rewrite_count + 1) * sizeof *grown);
      if (!grown) st = status_no_memory();
      else {
        r->rewrite = grown;
        r->rewrite[r->rewrite_count++] = l.ids[i];
        r->report->blob_values_lost += dangling;
      }
    }
    if (!st && why) {
      r->report->tables_damaged++;
      st = keep_in_lost(r, path, DB_LOST_KIND_TABLE, strata_status_message(why));
    }
    strata_status_free(why);
    free(path);
  }
  free(l.ids);
  return st;
}

/* --- 0. verifying blob files (key-value separation) ---------------------------------------- */

static char *blob_path(const repair *r, uint64_t id) {
  char name[24];
  snprintf(name, sizeof name, "%llu", (unsigned long long)id);
  return vfs_path_join(r->blobs_dir, name);
}

/* Every blob file is read whole (blob_file_verify); one that fails, or that an intact newest
 * manifest no longer lists, moves to lost/. The rest are what handles may point into. */
static strata_status *verify_blobs(repair *r) {
  int exists = 0, is_dir = 0;
  STATUS_TRY(vfs_exists(r->fs, r->blobs_dir, &exists, &is_dir));
  if (!exists || !is_dir) return NULL;
  r->separated = 1;
  id_list l = {NULL, 0, 0};
  strata_status *st = vfs_list(r->fs, r->blobs_dir, collect_id, &l);
  if (!st && l.count) qsort(l.ids, l.count, sizeof *l.ids, compare_u64);
  if (!st && l.count && !(r->blobs = calloc(l.count, sizeof *r->blobs))) st = status_no_memory();
  for (size_t i = 0; i < l.count && !st; i++) {
    uint64_t id = l.ids[i];
    if (id >= r->next_id) r->next_id = id + 1; /* ids of tables and blob files come from one counter */
    char *path = blob_path(r, id);
    if (!path) {
      st = status_no_memory();
      break;
    }
    r->report->blob_files_found++;
    if (r->trusted && id < r->trusted_next_id && !version_find_blob(r->trusted, id)) {
      r->report->blob_files_obsolete++;
      st = keep_in_lost(r, path, DB_LOST_KIND_BLOB, "obsolete: the intact newest manifest no longer lists it");
      free(path);
      continue;
    }
    blob_file_summary sum;
    strata_status *why = blob_file_verify(r->fs, path, id, &sum);
    repair_blob *b = &r->blobs[r->blob_count];
    if (!why) why = blob_file_reader_open(r->fs, path, id, &b->reader);
    if (status_is(why, STRATA_CORRUPTION)) {
      r->report->blob_files_damaged++;
      st = keep_in_lost(r, path, DB_LOST_KIND_BLOB, strata_status_message(why));
      strata_status_free(why);
    } else if (why) {
      st = why;
    } else {
      st = blob_meta_new(id, sum.file_size, sum.item_count, sum.records_end, sum.raw_value_bytes, &b->meta);
      if (st) blob_file_reader_close(b->reader);
      else r->blob_count++;
    }
    free(path);
  }
  free(l.ids);
  return st;
}

static strata_status *write_stream(repair *r, kv_iterator *it, table_info ***out, size_t *n);
static void remove_tables(repair *r, table_info **tables, size_t n);

/* The tables holding handles that do not resolve are written again with those entries as
 * tombstones (write_stream); the originals move to lost/ (the handles are still in them) once the
 * manifest that no longer lists them is durable, so a failure before it loses none of their
 * entries, and a rerun rewrites them again. */
static strata_status *rewrite_dangling(repair *r) {
  strata_status *st = NULL;
  for (size_t i = 0; i < r->rewrite_count && !st; i++) {
    uint64_t id = r->rewrite[i];
    char *path = table_path(r, id);
    if (!path) return status_no_memory();
    table_reader *tr = NULL;
    kv_iterator *it = NULL;
    table_info **out = NULL;
    size_t n = 0;
    st = table_reader_open_mapping(r->fs, path, id, NULL, r->map_tables, &tr);
    if (!st) st = table_reader_iterator(tr, &(table_read_options){.snapshot = SEQNO_READ_ALL}, &it);
    if (!st) st = write_stream(r, it, &out, &n);
    kv_iterator_destroy(it);
    table_reader_close(tr);
    for (size_t k = 0; k < n && !st; k++)
      if (!(st = push_table(r, out[k], 1))) out[k] = NULL;
    for (size_t k = 0; k < n; k++)
      if (out[k]) {
        remove_tables(r, &out[k], 1);
        table_info_unref(out[k]);
      }
    free(out);
    if (!st) r->report->tables_rewritten++;
    free(path);
  }
  return st;
}

/* --- writing tables ----------------------------------------------------------------------- */

static strata_status *finish_table(repair *r, table_writer *w, uint64_t id, blob_refs *refs, table_info ***out,
                                   size_t *n) {
  table_meta meta;
  table_meta_init(&meta);
  checksum128 sum;
  strata_status *st = table_writer_finish(w, &meta, &sum);
  table_info *ti = NULL;
  if (!st) st = describe(id, &meta, sum, refs, &ti);
  refs->count = 0;
  table_meta_free(&meta);
  if (st) return st;
  table_info **grown = realloc(*out, (*n + 1) * sizeof *grown);
  if (!grown) {
    table_info_unref(ti);
    return status_no_memory();
  }
  *out = grown;
  (*out)[(*n)++] = ti;
  r->report->tables_written++;
  return NULL;
}

/*
 * Streams `it` into new tables (appended to *out, in key order, one reference each), rotating
 * at the target size but never between two versions of a key, and writing an entry that
 * repeats the previous one's key and seqno once. A value handle that does not resolve (its blob
 * file is missing or damaged) becomes a tombstone at its seqno: the value is lost, and an older
 * version of the key must not come back in its place. The files are synced; on failure the
 * caller removes those in *out.
 */
static strata_status *write_stream(repair *r, kv_iterator *it, table_info ***out, size_t *n) {
  table_writer *w = NULL;
  uint64_t id = 0, last_seqno = 0;
  buffer last;
  buffer_init(&last);
  blob_refs refs = {NULL, 0, 0};
  int have_last = 0;
  strata_status *st = NULL;
  for (kv_iterator_seek_first(it); !st && kv_iterator_valid(it); kv_iterator_next(it)) {
    internal_key k = kv_iterator_key(it);
    slice value = kv_iterator_value(it);
    if (have_last && k.seqno == last_seqno && !slice_compare(k.user_key, buffer_slice(&last))) continue;
    if (w && table_writer_estimated_size(w) >= r->table_target_size && !table_writer_would_split_key(w, k.user_key)) {
      st = finish_table(r, w, id, &refs, out, n);
      w = NULL;
      if (st) break;
    }
    if (!w) {
      id = r->next_id++;
      r->wo.table_id = id;
      char *path = table_path(r, id);
      st = path ? table_writer_open(r->fs, path, &r->wo, &w) : status_no_memory();
      free(path);
      if (st) break;
    }
    if (k.type == VALUE_TYPE_INDIRECTION) {
      int resolves = 0;
      st = check_handle(r, k.user_key, value, "repair", &refs, &resolves);
      if (st) break;
      if (!resolves) {
        k.type = VALUE_TYPE_TOMBSTONE;
        value = slice_make(NULL, 0);
      }
    }
    st = table_writer_add(w, &k, value);
    buffer_clear(&last);
    if (!st) st = buffer_append(&last, k.user_key.data, k.user_key.len);
    last_seqno = k.seqno;
    have_last = 1;
  }
  if (!st) st = kv_iterator_status(it);
  if (!st && w) {
    st = finish_table(r, w, id, &refs, out, n);
    w = NULL;
  }
  if (w) table_writer_abandon(w);
  buffer_free(&last);
  free(refs.refs);
  if (!st && *n) st = vfs_sync_dir(r->fs, r->tables_dir);
  return st;
}

static void remove_tables(repair *r, table_info **tables, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char *path = table_path(r, tables[i]->id);
    if (path) strata_status_free(vfs_remove(r->fs, path));
    free(path);
  }
}

static void unref_tables(table_info **tables, size_t n) {
  for (size_t i = 0; i < n; i++) table_info_unref(tables[i]);
  free(tables);
}

/* --- 2. salvaging journals ---------------------------------------------------------------- */

/* Writes the salvaged batches gathered so far as new tables. */
static strata_status *flush_salvaged(repair *r) {
  if (!r->salvaged || memtable_is_empty(r->salvaged)) return NULL;
  kv_iterator *it = NULL;
  STATUS_TRY(memtable_iterator_new(r->salvaged, NULL, &it));
  table_info **out = NULL;
  size_t n = 0;
  strata_status *st = write_stream(r, it, &out, &n);
  kv_iterator_destroy(it);
  for (size_t i = 0; i < n && !st; i++)
    if (!(st = push_table(r, out[i], 1))) out[i] = NULL;
  if (st) {
    for (size_t i = 0; i < n; i++)
      if (out[i]) {
        remove_tables(r, &out[i], 1);
        table_info_unref(out[i]);
      }
  }
  free(out);
  if (st) return st;
  memtable_unref(r->salvaged);
  r->salvaged = NULL;
  return memtable_new(&r->salvaged);
}

/* One batch into the memtable, its items newest first as the database applies them. */
static strata_status *salvage_batch(void *ctx, uint64_t seqno, const write_batch *b) {
  repair *r = ctx;
  uint32_t count = write_batch_count(b);
  if (count > r->items_cap) {
    write_batch_item *grown = realloc(r->items, count * sizeof *grown);
    if (!grown) return status_no_memory();
    r->items = grown;
    r->items_cap = count;
  }
  write_batch_iter it;
  write_batch_iter_init(&it, b);
  size_t n = 0;
  while (n < count && write_batch_iter_next(&it, &r->items[n])) n++;
  for (size_t i = n; i-- > 0;) {
    strata_status *st = memtable_insert(r->salvaged, r->items[i].key, seqno, r->items[i].type, r->items[i].value);
    if (status_is(st, STRATA_EXISTS)) strata_status_free(st); /* superseded within the batch, or seen before */
    else if (st) return st;
  }
  if (seqno > r->highest_seqno) r->highest_seqno = seqno;
  if (memtable_approximate_size(r->salvaged) >= r->memtable_size) return flush_salvaged(r);
  return NULL;
}

enum journal_state { JOURNAL_SALVAGED, JOURNAL_EMPTY, JOURNAL_SPENT };

/* (*state)[i]: what journal i held (JOURNAL_EMPTY: no batch, no damage, no torn bytes). */
static strata_status *salvage_journals(repair *r, uint64_t **numbers, size_t *count, unsigned char **state) {
  STATUS_TRY(journal_list(r->fs, r->journal_dir, numbers, count));
  STATUS_TRY(memtable_new(&r->salvaged));
  if (!(*state = calloc(*count ? *count : 1, 1))) return status_no_memory();
  uint64_t previous_highest = 0;
  for (size_t i = 0; i < *count; i++) {
    if (r->trusted && (*numbers)[i] < r->trusted_journal_min) {
      (*state)[i] = JOURNAL_SPENT; /* its writes are in tables the manifest lists */
      continue;
    }
    char *path = journal_path(r->journal_dir, (*numbers)[i]);
    if (!path) return status_no_memory();
    journal_salvage_report jr;
    strata_status *st = journal_salvage(r->fs, path, salvage_batch, r, &jr);
    if (!st) {
      strata_repair_report *rep = r->report;
      rep->journals_read++;
      rep->journal_batches_salvaged += jr.batches;
      rep->journal_batches_lost += jr.batches_lost;
      rep->journal_bytes_lost += jr.bytes_lost;
      rep->journal_torn_bytes += jr.torn_bytes;
      if (!jr.batches && !jr.batches_lost && !jr.damaged_regions && !jr.torn_bytes && !jr.header_damaged)
        (*state)[i] = JOURNAL_EMPTY;
      if (jr.damaged_regions || jr.batches_lost || jr.header_damaged)
        say(r, "%s: %llu batches salvaged; %llu damaged batches and %llu damaged bytes in %llu places lost, "
               "the first at offset %llu%s",
            path, (unsigned long long)jr.batches, (unsigned long long)jr.batches_lost,
            (unsigned long long)jr.bytes_lost, (unsigned long long)jr.damaged_regions,
            (unsigned long long)jr.first_damage, jr.header_damaged ? " (damaged header)" : "");
      else if (jr.batches)
        say(r, "%s: %llu batches salvaged", path, (unsigned long long)jr.batches);
      /* an open that skipped a journal once let new writes reuse its seqnos: an older batch may
       * then shadow a newer one, and nothing in the files tells them apart */
      if (jr.batches && jr.lowest_seqno <= previous_highest)
        say(r, "%s: warning: seqnos from %llu repeat those of earlier journals (up to %llu); where both wrote "
               "a key, the higher seqno wins",
            path, (unsigned long long)jr.lowest_seqno, (unsigned long long)previous_highest);
      if (jr.highest_seqno > previous_highest) previous_highest = jr.highest_seqno;
    }
    free(path);
    STATUS_TRY(st);
  }
  return flush_salvaged(r);
}

/* --- 3. grouping and merging -------------------------------------------------------------- */

static int key_ranges_overlap(const repair_group *a, const repair_group *b) {
  return slice_compare(a->key_min, b->key_max) <= 0 && slice_compare(b->key_min, a->key_max) <= 0;
}

/* Point reads need overlapping runs ordered: every entry of one newer than every entry of the other. */
static int must_merge(const repair_group *a, const repair_group *b) {
  if (!key_ranges_overlap(a, b)) return 0;
  return !(a->seqno_min >= b->seqno_max || b->seqno_min >= a->seqno_max);
}

static void absorb(repair *r, size_t into, size_t from) {
  repair_group *a = &r->groups[into], *b = &r->groups[from];
  if (slice_compare(b->key_min, a->key_min) < 0) a->key_min = b->key_min;
  if (slice_compare(b->key_max, a->key_max) > 0) a->key_max = b->key_max;
  if (b->seqno_min < a->seqno_min) a->seqno_min = b->seqno_min;
  if (b->seqno_max > a->seqno_max) a->seqno_max = b->seqno_max;
  a->members += b->members;
  b->alive = 0;
  for (size_t i = 0; i < r->count; i++)
    if (r->tables[i].group == from) r->tables[i].group = into;
}

static strata_status *group_tables(repair *r) {
  r->groups = calloc(r->count ? r->count : 1, sizeof *r->groups);
  if (!r->groups) return status_no_memory();
  for (size_t i = 0; i < r->count; i++) {
    const table_info *ti = r->tables[i].info;
    r->groups[i] = (repair_group){1, 1, ti->key_min, ti->key_max, ti->seqno_min, ti->seqno_max, NULL, 0};
    r->tables[i].group = i;
  }
  /* quadratic, and repeated while merges widen ranges: table counts are modest */
  for (size_t i = 0; i < r->count; i++) {
    if (!r->groups[i].alive) continue;
    for (size_t j = 0; j < r->count; j++) {
      if (j == i || !r->groups[j].alive || !must_merge(&r->groups[i], &r->groups[j])) continue;
      absorb(r, i, j);
      j = (size_t)-1; /* i grew: look at every group again */
    }
  }
  return NULL;
}

static int by_key_min(const void *a, const void *b) {
  const table_info *x = *(table_info *const *)a, *y = *(table_info *const *)b;
  return slice_compare(x->key_min, y->key_min);
}

/* One chain of key-disjoint tables as a stream: a merge holds one open table per chain. */
static strata_status *chain_iterator(repair *r, table_info **tables, size_t n, kv_iterator **out) {
  char **paths = calloc(n, sizeof *paths);
  uint64_t *ids = calloc(n, sizeof *ids);
  strata_status *st = paths && ids ? NULL : status_no_memory();
  for (size_t i = 0; i < n && !st; i++) {
    ids[i] = tables[i]->id;
    if (!(paths[i] = table_path(r, ids[i]))) st = status_no_memory();
  }
  if (!st) st = table_chain_iterator_new(r->fs, (const char *const *)paths, ids, n, r->map_tables, out);
  for (size_t i = 0; paths && i < n; i++) free(paths[i]);
  free(paths);
  free(ids);
  return st;
}

/*
 * Merges the members of group g into a new run. The members are dealt into chains of tables
 * with disjoint key ranges (by smallest key, each into the first chain it fits), so the merge
 * opens as many tables at once as the deepest overlap, not all of them.
 */
static strata_status *merge_group(repair *r, size_t g) {
  repair_group *grp = &r->groups[g];
  size_t n = 0, chains = 0;
  table_info **members = calloc(grp->members, sizeof *members);
  size_t *chain_of = calloc(grp->members, sizeof *chain_of);
  table_info **last = calloc(grp->members, sizeof *last); /* each chain's last table */
  table_info **dealt = calloc(grp->members, sizeof *dealt);
  kv_iterator **kids = calloc(grp->members, sizeof *kids);
  strata_status *st = members && chain_of && last && dealt && kids ? NULL : status_no_memory();
  for (size_t i = 0; i < r->count && !st; i++)
    if (r->tables[i].group == g) members[n++] = r->tables[i].info;
  if (!st) qsort(members, n, sizeof *members, by_key_min);
  for (size_t i = 0; i < n && !st; i++) {
    size_t c = 0;
    while (c < chains && slice_compare(last[c]->key_max, members[i]->key_min) >= 0) c++;
    if (c == chains) chains++;
    last[c] = members[i];
    chain_of[i] = c;
  }
  for (size_t c = 0; c < chains && !st; c++) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
      if (chain_of[i] == c) dealt[k++] = members[i];
    st = chain_iterator(r, dealt, k, &kids[c]);
  }
  kv_iterator *merged = NULL;
  if (!st) {
    st = merge_iterator_new(kids, chains, NULL, &merged);
    memset(kids, 0, grp->members * sizeof *kids); /* the merge owns the children now, also on failure */
  }
  if (!st) st = write_stream(r, merged, &grp->run, &grp->run_count);
  kv_iterator_destroy(merged);
  for (size_t c = 0; kids && c < chains; c++) kv_iterator_destroy(kids[c]);
  free(members);
  free(chain_of);
  free(last);
  free(dealt);
  free(kids);
  return st;
}

static strata_status *merge_groups(repair *r) {
  for (size_t g = 0; g < r->count; g++) {
    if (!r->groups[g].alive || r->groups[g].members < 2) continue;
    STATUS_TRY(merge_group(r, g));
    for (size_t i = 0; i < r->count; i++)
      if (r->tables[i].group == g && !r->tables[i].written) r->report->tables_merged++;
    say(r, "merged %zu tables whose keys and seqnos overlap into %zu new ones", r->groups[g].members,
        r->groups[g].run_count);
  }
  for (size_t i = 0; i < r->count; i++)
    if (!r->tables[i].written && r->groups[r->tables[i].group].members == 1) r->report->tables_kept++;
  return NULL;
}

/* --- 4. the version and the manifest ------------------------------------------------------- */

typedef struct run_order {
  size_t group;
  uint64_t seqno_max, seqno_min;
} run_order;

static int newest_first(const void *a, const void *b) {
  const run_order *x = a, *y = b;
  if (x->seqno_max != y->seqno_max) return x->seqno_max < y->seqno_max ? 1 : -1;
  return (x->seqno_min < y->seqno_min) - (x->seqno_min > y->seqno_min);
}

static strata_status *build_version(repair *r, version **out) {
  size_t n = 0;
  run_order *order = calloc(r->count ? r->count : 1, sizeof *order);
  if (!order) return status_no_memory();
  for (size_t g = 0; g < r->count; g++)
    if (r->groups[g].alive) order[n++] = (run_order){g, r->groups[g].seqno_max, r->groups[g].seqno_min};
  qsort(order, n, sizeof *order, newest_first);
  version *base = NULL;
  strata_status *st = version_new_empty(r->level_count, &base);
  if (st) {
    free(order);
    return st;
  }
  base->kv_separated = r->separated;
  version_builder b;
  version_builder_init(&b, base);
  for (size_t k = 0; k < n; k++) {
    repair_group *grp = &r->groups[order[k].group];
    if (grp->run) {
      version_builder_add_run_oldest(&b, 0, grp->run, grp->run_count);
      for (size_t i = 0; i < grp->run_count; i++) r->report->entries += grp->run[i]->entry_count;
      continue;
    }
    for (size_t i = 0; i < r->count; i++)
      if (r->tables[i].group == order[k].group) {
        version_builder_add_run_oldest(&b, 0, &r->tables[i].info, 1);
        r->report->entries += r->tables[i].info->entry_count;
      }
  }
  free(order);
  if (r->blob_count) { /* each blob file with the garbage its tables leave (version_blobs.c) */
    blob_meta **metas = malloc(r->blob_count * sizeof *metas);
    if (!metas) {
      version_unref(base);
      version_builder_abandon(&b);
      return status_no_memory();
    }
    for (size_t i = 0; i < r->blob_count; i++) metas[i] = r->blobs[i].meta;
    version_builder_update_blobs(&b, base, metas, r->blob_count);
    free(metas);
  }
  version_unref(base);
  return version_builder_finish(&b, out);
}

/* Writes the state into both slots, newer epochs than any found, one slot at a time. */
static strata_status *write_manifests(repair *r, const manifest_state *m, manifest_slot_probe slots[2],
                                      int *committed) {
  uint64_t epoch = 0;
  for (int i = 0; i < 2; i++)
    if (slots[i].exists && (slots[i].valid || slots[i].epoch < (UINT64_C(1) << 62)) && slots[i].epoch > epoch)
      epoch = slots[i].epoch;
  for (int pass = 0; pass < 2; pass++) {
    manifest_slot_probe *slot = &slots[(epoch + 1) & 1];
    if (slot->exists && !slot->valid) {
      STATUS_TRY(keep_in_lost(r, slot->path, DB_LOST_KIND_MANIFEST, "a damaged manifest slot"));
      slot->exists = 0;
    }
    STATUS_TRY(manifest_write(r->fs, r->dir, &epoch, m));
    *committed = 1;
    STATUS_TRY(vfs_sync_dir(r->fs, r->dir)); /* the slot file may be new */
  }
  say(r, "manifest written (epoch %llu): %llu entries, seqnos continue above %llu", (unsigned long long)epoch,
      (unsigned long long)r->report->entries, (unsigned long long)r->highest_seqno);
  return NULL;
}

/* An empty journal numbered journal_min, as a database that was closed cleanly has. */
static strata_status *start_journal(repair *r, uint64_t number) {
  STATUS_TRY(vfs_mkdir(r->fs, r->journal_dir));
  journal_writer_options jo = {JOURNAL_SYNC_NONE, 0, NULL, NULL};
  journal_writer *w = NULL;
  STATUS_TRY(journal_writer_open(r->fs, r->journal_dir, number, &jo, &w));
  STATUS_TRY(journal_writer_close(w));
  return vfs_sync_dir(r->fs, r->journal_dir);
}

/* After a failure before any manifest: the tables this repair wrote are nobody's. */
static void remove_written(repair *r) {
  for (size_t i = 0; i < r->count; i++)
    if (r->tables[i].written) remove_tables(r, &r->tables[i].info, 1);
  if (r->groups)
    for (size_t g = 0; g < r->count; g++) remove_tables(r, r->groups[g].run, r->groups[g].run_count);
}

/* --- the whole repair --------------------------------------------------------------------- */

/* Counters of the newest valid slot, if one is left: ids and seqnos must not go below them. */
static void read_hints(repair *r, manifest_slot_probe slots[2], uint64_t *journal_min) {
  if (!slots[0].valid && !slots[1].valid) return;
  manifest_state m = {0};
  manifest_read_info info;
  memset(&info, 0, sizeof info);
  int found = 0;
  strata_status *st = manifest_read(r->fs, r->dir, &m, &found, &info);
  if (!st && found) {
    if (m.next_file_id > r->next_id) r->next_id = m.next_file_id;
    if (m.flushed_seqno > 0 && m.flushed_seqno - 1 > r->highest_seqno) r->highest_seqno = m.flushed_seqno - 1;
    *journal_min = m.journal_min;
    r->level_count = m.version->level_count;
    if (m.version->kv_separated) r->separated = 1;
    /* a damaged other slot may have been the newer one: then nothing it dropped is provably gone */
    const manifest_slot_probe *other = &slots[info.slot ^ 1];
    if (other->valid || (!other->exists && info.epoch <= 1)) {
      r->trusted = version_ref(m.version);
      r->trusted_next_id = m.next_file_id;
      r->trusted_journal_min = m.journal_min;
    }
  }
  if (found) manifest_state_clear(&m);
  strata_status_free(st);
}

static strata_status *check_folder(repair *r) {
  int exists = 0, is_dir = 0;
  STATUS_TRY(vfs_exists(r->fs, r->dir, &exists, &is_dir));
  if (!exists) return status_new(STRATA_NOT_FOUND, "database %s does not exist", r->dir);
  if (!is_dir) return status_new(STRATA_INVALID_ARGUMENT, "%s is a file, not a database folder", r->dir);
  int holds = 0;
  STATUS_TRY(db_folder_holds_database(r->fs, r->dir, &holds));
  if (!holds) return status_new(STRATA_NOT_FOUND, "%s holds no database (" DB_FOLDER_MARKS_TEXT ")", r->dir);
  return NULL;
}

static int blob_listed(const uint64_t *ids, size_t n, uint64_t id) {
  for (size_t i = 0; i < n; i++)
    if (ids[i] == id) return 1;
  return 0;
}

static strata_status *run_repair(repair *r) {
  manifest_slot_probe slots[2];
  for (unsigned i = 0; i < 2; i++) {
    STATUS_TRY(manifest_probe_slot(r->fs, r->dir, i, &slots[i]));
    if (slots[i].exists && !slots[i].valid) r->report->manifest_slots_damaged++;
  }
  uint64_t journal_min = 0;
  read_hints(r, slots, &journal_min);
  /* a point-in-time report describes a manifest this repair replaces (its journal_min may match) */
  STATUS_TRY(db_recovery_forget(r->fs, r->dir));
  STATUS_TRY(vfs_mkdir(r->fs, r->tables_dir));
  STATUS_TRY(verify_blobs(r));
  STATUS_TRY(verify_tables(r));
  STATUS_TRY(rewrite_dangling(r));
  uint64_t *journals = NULL;
  size_t journal_count = 0;
  int committed = 0;
  unsigned char *state = NULL;
  strata_status *st = salvage_journals(r, &journals, &journal_count, &state);
  if (journal_count && journals[journal_count - 1] >= journal_min) journal_min = journals[journal_count - 1] + 1;
  if (!st) st = group_tables(r);
  if (!st) st = merge_groups(r);
  version *v = NULL;
  if (!st) st = build_version(r, &v);
  /* the blob files the new version lists (the others are unreferenced: lost/ once it is durable) */
  uint64_t *listed_blobs = NULL;
  size_t listed_blob_count = 0;
  int v_blobs_known = 0;
  if (!st) {
    listed_blobs = malloc((v->blob_count ? v->blob_count : 1) * sizeof *listed_blobs);
    if (!listed_blobs) st = status_no_memory();
    for (size_t i = 0; !st && i < v->blob_count; i++) listed_blobs[listed_blob_count++] = v->blobs[i].file->id;
    v_blobs_known = !st;
  }
  if (!st) st = start_journal(r, journal_min);
  if (!st) {
    manifest_state m = {r->next_id, r->highest_seqno + 1, journal_min, v};
    st = write_manifests(r, &m, slots, &committed);
  }
  version_unref(v);
  if (st && !committed) remove_written(r); /* the database is as it was, but for lost/ */
  /* the manifest is durable: what it replaced can go */
  for (size_t i = 0; i < journal_count && !st; i++) {
    if (journals[i] >= journal_min) continue;
    if (state[i] == JOURNAL_EMPTY) { /* nothing to keep */
      st = journal_remove(r->fs, r->journal_dir, journals[i]);
      continue;
    }
    char *path = journal_path(r->journal_dir, journals[i]);
    st = !path ? status_no_memory()
               : keep_in_lost(r, path, DB_LOST_KIND_JOURNAL,
                              state[i] == JOURNAL_SPENT ? "spent: below the manifest's journal_min"
                                                        : "salvaged into tables");
    free(path);
  }
  free(journals);
  free(state);
  for (size_t i = 0; i < r->blob_count && !st && v_blobs_known; i++) {
    uint64_t id = r->blobs[i].meta->id;
    if (blob_listed(listed_blobs, listed_blob_count, id)) {
      r->report->blob_files_kept++;
      continue;
    }
    char *path = blob_path(r, id);
    r->report->blob_files_unreferenced++;
    st = !path ? status_no_memory()
               : keep_in_lost(r, path, DB_LOST_KIND_BLOB, "no table that verified points into it");
    free(path);
  }
  free(listed_blobs);
  for (size_t i = 0; i < r->rewrite_count && !st; i++) {
    char *path = table_path(r, r->rewrite[i]);
    st = !path ? status_no_memory()
               : keep_in_lost(r, path, DB_LOST_KIND_TABLE,
                              "it points into missing or damaged blob files: rewritten with those values as deletes");
    free(path);
  }
  int removed = 0;
  for (size_t i = 0; i < r->count && !st; i++)
    if (r->groups[r->tables[i].group].members > 1) {
      remove_tables(r, &r->tables[i].info, 1);
      removed = 1;
    }
  if (!st && removed) st = vfs_sync_dir(r->fs, r->tables_dir);
  r->report->highest_seqno = r->highest_seqno;
  return st;
}

static void repair_free(repair *r) {
  for (size_t i = 0; i < r->count; i++) table_info_unref(r->tables[i].info);
  free(r->tables);
  if (r->groups)
    for (size_t g = 0; g < r->count; g++) unref_tables(r->groups[g].run, r->groups[g].run_count);
  free(r->groups);
  memtable_unref(r->salvaged);
  version_unref(r->trusted);
  free(r->items);
  free(r->dir);
  free(r->tables_dir);
  free(r->journal_dir);
  free(r->blobs_dir);
  for (size_t i = 0; i < r->blob_count; i++) {
    blob_file_reader_close(r->blobs[i].reader);
    blob_meta_unref(r->blobs[i].meta);
  }
  free(r->blobs);
  free(r->rewrite);
  buffer_free(&r->value);
  buffer_free(&r->log);
}

strata_status *strata_repair(const char *path, const strata_options *opts, strata_repair_report *out) {
  ARG_NOT_NULL(out);
  memset(out, 0, sizeof *out);
  ARG_PATH(path, "strata_repair: the database path is empty");
  if (opts) HANDLE_CHECK(opts, HANDLE_OPTIONS);
  if (opts) STATUS_TRY(options_validate(opts));
  strata_options *defaults = NULL;
  if (!opts) {
    STATUS_TRY(strata_options_new(&defaults));
    opts = defaults;
  }
  repair r;
  memset(&r, 0, sizeof r);
  r.report = out;
  buffer_init(&r.log);
  tree_options to;
  tree_options_default(&to);
  r.level_count = to.level_count;
  r.table_target_size = opts->compaction.table_target_size ? opts->compaction.table_target_size
                                                            : to.table_target_size;
  r.memtable_size = opts->memtable_size ? opts->memtable_size : STRATA_DEFAULT_MEMTABLE_SIZE;
  r.map_tables = opts->map_tables;
  if (opts->compression == STRATA_COMPRESSION_NONE) to.level_policy.compression_count = 0;
  table_writer_options_default(&r.wo);
  r.wo.block_size = opts->block_size;
  r.wo.filter_bits_per_key = opts->bloom_bits_per_key;
  table_writer_options_for_level(&to.level_policy, 0, &r.wo);
  r.next_id = 1;
  r.dir = vfs_path_join(path, "");
  r.tables_dir = vfs_path_join(path, DB_DIR_TABLES);
  r.journal_dir = vfs_path_join(path, DB_DIR_JOURNAL);
  r.blobs_dir = vfs_path_join(path, DB_DIR_BLOBS);
  buffer_init(&r.value);
  strata_status *st = r.dir && r.tables_dir && r.journal_dir && r.blobs_dir ? NULL : status_no_memory();
  if (!st) {
    size_t len = strlen(r.dir);
    if (len > 1) r.dir[len - 1] = '\0'; /* drop the '/' the join added */
  }
  int owns_fs = 0;
  if (!st && opts->fs) r.fs = opts->fs;
  else if (!st) {
    st = vfs_posix_new(&r.fs);
    owns_fs = st == NULL;
  }
  if (!st) st = table_writer_options_validate(&r.wo);
  if (!st) st = check_folder(&r);
  vfs_lock *lock = NULL;
  char *lock_path = st ? NULL : vfs_path_join(r.dir, DB_FILE_LOCK);
  if (!st && !lock_path) st = status_no_memory();
  if (!st) st = vfs_lock_acquire(r.fs, lock_path, &lock);
  free(lock_path);
  if (!st) st = run_repair(&r);
  if (lock) {
    strata_status *ust = vfs_lock_release(r.fs, lock);
    if (st) strata_status_free(ust);
    else st = ust;
  }
  if (r.log.len && !st) {
    out->log = malloc(r.log.len + 1);
    if (out->log) {
      memcpy(out->log, r.log.data, r.log.len);
      out->log[r.log.len] = '\0';
    }
  }
  repair_free(&r);
  if (owns_fs) vfs_destroy(r.fs);
  strata_options_free(defaults);
  return st ? status_wrap(st, "repairing %s", path) : NULL;
}

void strata_repair_report_clear(strata_repair_report *r) {
  if (!r) return;
  free(r->log);
  memset(r, 0, sizeof *r);
}
