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

/*
 * Persists `next` with the counters, then makes it current (install_mu held, mu not; mu is taken
 * across the manifest write, so the install after it cannot fail). Takes `next`; on an error
 * nothing changed. With drop_oldest_sealed the flushed memtable leaves the sealed list in the same
 * install, so no reader ever sees neither it nor its tables. TREE_KEEP_INSTALLED_SEQNO keeps
 * the current super version's seqno (the data readers see did not change).
 */
#define TREE_KEEP_INSTALLED_SEQNO UINT64_MAX
STRATA_MUST_USE strata_status *tree_commit_version(tree *t, version *next, uint64_t flushed_seqno,
                                                   uint64_t journal_min, uint64_t installed_seqno,
                                                   int drop_oldest_sealed);

/* Marks every table of `old` that `next` no longer lists as obsolete (deleted when unreferenced). */
void tree_retire_tables(tree *t, const version *old, const version *next);

/* A table reader from the file cache; release with file_cache_release(t->tables, h). */
STRATA_MUST_USE strata_status *tree_table_reader(tree *t, uint64_t id, file_cache_handle **h, table_reader **r);

/* Tables a flush or compaction wrote, in key order; each holds one reference. */
typedef struct table_batch {
  table_info **tables;
  size_t count;
  size_t cap;
} table_batch;

void table_batch_free(table_batch *b);
/* Deletes the files of tables that never made it into a version (a failed flush or compaction). */
void table_batch_remove_files(tree *t, const table_batch *b);

/*
 * Streams `it` (sorted internal entries; seek_first/next/valid/key/value/status are used) into
 * new tables for `level`, starting a new table at `target_size` but never between two versions
 * of one user key, then syncs the tables folder. On failure the caller removes the files of the
 * tables in `out`. A set `abort` flag stops the work with STRATA_BUSY.
 */
STRATA_MUST_USE strata_status *tree_write_tables(tree *t, kv_iterator *it, unsigned level, uint64_t target_size,
                                                 const atomic_flag_int *abort, table_batch *out, uint64_t *bytes);

#endif
