/* tree_internal.h -- the tree's state, shared by tree.c, tree_flush.c and tree_read.c. */
#ifndef STRATA_TREE_TREE_INTERNAL_H
#define STRATA_TREE_TREE_INTERNAL_H

#include "../cache/file_cache.h"
#include "../table/table_reader.h"
#include "../version/manifest.h"
#include "../version/version_history.h"
#include "tree.h"

struct tree {
  atomic_u64 refs;
  vfs *fs;
  char *dir;
  char *tables_dir;
  char *blobs_dir;
  file_cache *blob_files; /* open blob file readers by id (key-value separation) */
  file_cache_handle **kept_blobs; /* held for readers that outlive the handle (tree_keep_tables_open) */
  uint64_t *kept_blob_ids;
  size_t kept_blob_count;
  atomic_u64 blob_reads, blob_files_deleted, blob_bytes_reclaimed;
  tree_options opts;
  block_cache *cache;
  int owns_cache;
  file_cache *tables; /* open table readers by id */
  version_history history;

  /* Guarded by mu: the pieces the next super version is built from. */
  sync_mutex mu;
  memtable *active;
  memtable **sealed; /* newest first */
  uint64_t *sealed_tags;
  size_t sealed_count;
  size_t sealed_cap;
  version *version;
  uint64_t next_file_id;
  uint64_t flushed_seqno;
  uint64_t journal_min;
  tree_counters counters; /* but tables_deleted, counted below */
  atomic_u64 tables_deleted;

  /* Pinned snapshot seqnos, ascending (duplicates allowed). */
  sync_mutex snap_mu;
  uint64_t *snapshots;
  size_t snapshot_count;
  size_t snapshot_cap;

  /* Open tables held for readers that outlive the database handle (tree_keep_tables_open). */
  file_cache_handle **kept_open;
  size_t kept_open_count;

  /* Held across building, persisting and installing a new version (flush, drop, clear). */
  sync_mutex install_mu;
  uint64_t manifest_epoch;
};

/* Path of table `id` (malloc'd), NULL when out of memory. */
char *tree_table_path(const tree *t, uint64_t id);

/* An install in two steps, both with mu held throughout: prepare builds the super version readers
 * will see and makes room for it in the history (all that can fail; nothing changes), then
 * install_prepared makes it current (cannot fail) and drops the caller's reference. A change to
 * the fields under mu is made between the two, once prepare succeeded. */
STRATA_MUST_USE strata_status *tree_prepare_install(tree *t, memtable *active, memtable *const *sealed,
                                                   size_t sealed_count, version *v, uint64_t installed_seqno,
                                                   super_version **out);
void tree_install_prepared(tree *t, super_version *sv);

/* Marks every table of `old` that `next` no longer lists as obsolete (deleted when unreferenced). */
void tree_retire_tables(tree *t, const version *old, const version *next);

/* --- tree_blob.c -------------------------------------------------------------------------- */
char *tree_blob_path(const tree *t, uint64_t id);
/* The blob file cache and the folder's path (tree_open; only when separating). tree_open makes
 * the folder once the manifest agrees on the mode, so a refused open leaves nothing behind. */
STRATA_MUST_USE strata_status *tree_blob_open(tree *t);
/* Every blob file the version lists exists with its recorded size. */
STRATA_MUST_USE strata_status *tree_verify_blobs(tree *t, const version *v);
/* Marks every blob file of `old` that `next` no longer lists as obsolete. */
void tree_retire_blobs(tree *t, const version *old, const version *next);
void tree_blob_close(tree *t);
/* Opens every blob file `v` lists and holds it until the tree is freed (install_mu held). */
void tree_keep_blobs_open(tree *t, const version *v);

/* --- tree_blob_write.c: separation while tables are written ------------------------------ */
struct blob_file_writer;
typedef struct blob_sink {
  tree *t;
  struct blob_file_writer *w; /* the blob file being written, or NULL */
  const uint64_t *relocate;   /* blob ids being collected, ascending */
  size_t relocate_count;
  table_batch *out;           /* receives the finished blob files */
  table_blob_ref *refs;       /* the current table's references, by blob id */
  size_t ref_count, ref_cap;
  buffer handle, value;
} blob_sink;

void blob_sink_init(blob_sink *s, tree *t, const uint64_t *relocate, size_t relocate_count, table_batch *out);
/* Separates, relocates or counts one entry; *k and *value may change (valid until the next call). */
STRATA_MUST_USE strata_status *blob_sink_entry(blob_sink *s, internal_key *k, slice *value);
/* The references counted since the last call (malloc'd, the caller frees): a finished table's. */
void blob_sink_take_refs(blob_sink *s, table_blob_ref **refs, size_t *count);
/* Finishes the open blob file and syncs the folder. */
STRATA_MUST_USE strata_status *blob_sink_finish(blob_sink *s);
/* Removes an unfinished blob file; frees the sink (the batch keeps the finished ones). */
void blob_sink_free(blob_sink *s);

/* --- tree_flush.c: writing tables, shared with ingestion ---------------------------------- */
struct table_writer;
/* The writer options of a table for `level` (block size, filter, the level's compression). */
void tree_table_writer_options(const tree *t, unsigned level, table_writer_options *wo);
/* Finishes table `id`, describes it with the sink's references and adds it to `out` (*bytes grows). */
STRATA_MUST_USE strata_status *tree_finish_table(tree *t, struct table_writer *w, uint64_t id, blob_sink *sink,
                                                 table_batch *out, uint64_t *bytes);

/* tree_apply_edit with install_mu already held (a flush holds it across writing its tables). */
STRATA_MUST_USE strata_status *tree_apply_edit_locked(tree *t, const tree_edit *e, int *installed);

/* A table reader from the file cache; release with file_cache_release(t->tables, h). (Inline:
 * every get of a table takes one, and under WebAssembly each call level costs.) */
STRATA_MUST_USE static inline strata_status *tree_table_reader(tree *t, uint64_t id, file_cache_handle **h,
                                                               table_reader **r) {
  STATUS_TRY(file_cache_get(t->tables, id, h));
  *r = file_cache_handle_object(*h);
  return NULL;
}

#endif
