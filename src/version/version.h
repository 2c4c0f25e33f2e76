/*
 * version.h -- one immutable state of the tree's table set.
 *
 * version = levels (7 by default) -> runs -> tables. A run is a list of tables with disjoint key
 * ranges, sorted by key. Level 0 holds one run per flush, newest first; the levels below hold
 * one run each under leveled compaction, several under tiered compaction (newest first too).
 * A version also lists the blob files of key-value separation.
 *
 * Versions are never changed after they are built: a flush or compaction builds the next one
 * with a version_builder, so readers holding a version need no lock.
 */
#ifndef STRATA_VERSION_VERSION_H
#define STRATA_VERSION_VERSION_H

#include <stddef.h>
#include <stdint.h>

#include "../util/sync.h"
#include "blob_meta.h"
#include "table_info.h"

#define VERSION_MAX_LEVELS 16
#define VERSION_DEFAULT_LEVELS 7

typedef struct version_run {
  table_info **tables; /* sorted by key_min, disjoint */
  size_t count;
} version_run;

typedef struct version_level {
  version_run *runs; /* newest first */
  size_t run_count;
} version_level;

/* A blob file in one version: the shared descriptor and how much of it is garbage (the
 * fragmentation map, counted by compaction as it drops handles; persisted in the manifest). */
typedef struct blob_file_info {
  blob_meta *file;
  uint64_t garbage_bytes; /* record bytes no table of this version points to any more */
  uint64_t garbage_count; /* ... and their records; the file is dead when this is item_count */
} blob_file_info;

typedef struct version {
  uint64_t id; /* increases by one per installed version */
  unsigned level_count;
  version_level levels[VERSION_MAX_LEVELS];
  /* The levels that hold a run, top down (set by version_builder_finish): a point read visits
   * only these (a settled tree has one; under WebAssembly each empty level cost a loop turn). */
  uint8_t run_levels[VERSION_MAX_LEVELS];
  unsigned run_level_count;
  blob_file_info *blobs; /* sorted by id, i.e. oldest first */
  size_t blob_count;
  int kv_separated; /* the tree separates values (fixed when the tree is created) */
  atomic_u64 refs;
} version;

/* An empty version with one reference. */
STRATA_MUST_USE strata_status *version_new_empty(unsigned level_count, version **out);
version *version_ref(version *v);
void version_unref(version *v);

size_t version_table_count(const version *v);
size_t version_level_table_count(const version *v, unsigned level);
uint64_t version_level_bytes(const version *v, unsigned level);
/* The table with this id, or NULL; *level_out receives its level. */
table_info *version_find_table(const version *v, uint64_t id, unsigned *level_out);
/* In a run sorted by key, the one table that may hold `key`, or NULL. */
table_info *version_run_find(const version_run *run, slice key);
/* Checks the invariants (runs sorted and disjoint, ids unique); a corruption status if broken. */
STRATA_MUST_USE strata_status *version_check(const version *v);

/* Builds the next version from a base: edits, then finish. */
typedef struct version_builder {
  version *next;
  strata_status *error; /* first failure; finish reports it */
} version_builder;

void version_builder_init(version_builder *b, const version *base);
/* Adds a run of tables (sorted by key, disjoint) at `level`, as its newest run. References taken. */
void version_builder_add_run(version_builder *b, unsigned level, table_info *const *tables, size_t n);
/* Adds a run as the level's oldest run (the bottom of a tiered level, or a leveled level's only run). */
void version_builder_add_run_oldest(version_builder *b, unsigned level, table_info *const *tables, size_t n);
/* Inserts tables into an existing run (leveled compaction's output); they must not overlap it. */
void version_builder_insert_into_run(version_builder *b, unsigned level, size_t run, table_info *const *tables,
                                     size_t n);
/* Removes a table wherever it is (its reference dropped); a missing id is an error. */
void version_builder_remove_table(version_builder *b, uint64_t id);
/* Replaces the blob list (sorted by id; references taken). */
void version_builder_set_blobs(version_builder *b, const blob_file_info *blobs, size_t n);
/*
 * After the tables are placed (version_blobs.c): adds the new blob files `added` (references
 * taken), moves the references of the tables that left (into) and came (out of) the garbage, and
 * drops the files left with no live record.
 */
void version_builder_update_blobs(version_builder *b, const version *base, blob_meta *const *added, size_t n);
/* The blob file with this id, or NULL. */
const blob_file_info *version_find_blob(const version *v, uint64_t id);
/* Drops empty runs, checks invariants, gives the new version (id = base id + 1) or the error. */
STRATA_MUST_USE strata_status *version_builder_finish(version_builder *b, version **out);
void version_builder_abandon(version_builder *b);

#endif
