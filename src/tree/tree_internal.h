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

/* Marks every table of `old` that `next` no longer lists as obsolete (deleted when unreferenced). */
void tree_retire_tables(tree *t, const version *old, const version *next);

/* tree_apply_edit with install_mu already held (a flush holds it across writing its tables). */
STRATA_MUST_USE strata_status *tree_apply_edit_locked(tree *t, const tree_edit *e, int *installed);

/* A table reader from the file cache; release with file_cache_release(t->tables, h). */
STRATA_MUST_USE strata_status *tree_table_reader(tree *t, uint64_t id, file_cache_handle **h, table_reader **r);

#endif
