/*
 * tree.h -- the LSM tree with explicit seqnos (lsm-tree's Tree): memtables, tables, versions.
 *
 * The caller (the database layer) assigns seqnos, serializes writes and rotations, and decides
 * when to flush; the tree keeps the data structures right. Files of a tree in folder `dir`:
 *   dir/manifest-0, dir/manifest-1   the two manifest slots (version/manifest.h)
 *   dir/tables/<id>                  immutable tables
 *   dir/lost/                        files opening set aside instead of deleting (lost_folder.h)
 * (the names: util/db_files.h)
 *
 * Threads: reads (get, iterators) run concurrently with one writer, one flush and installs.
 * Flushes and other version changes serialize on an install mutex and go through one install
 * path, tree_apply_edit: the manifest is written and synced before the new version is installed
 * under the history's lock.
 *
 * The tree is reference counted: iterators and snapshots hold references, so they may outlive
 * the database handle that created them.
 */
#ifndef STRATA_TREE_TREE_H
#define STRATA_TREE_TREE_H

#include <stdint.h>

#include "../cache/block_cache.h"
#include "../table/table_options.h"
#include "../table/table_reader.h"
#include "../util/buffer.h"
#include "../version/manifest.h"
#include "../version/super_version.h"
#include "../vfs/vfs.h"
#include "key_range.h"
#include "mvcc_iterator.h"

typedef struct tree tree;

/*
 * Asked at open when the manifest slot chosen may be older than a newer one that is torn,
 * damaged or missing (a fallback), before anything on disk changes: returns NULL when the data
 * the chosen state leaves outside the tree (the database's journals numbered >= journal_min)
 * is all there, else an error saying what is missing, which fails the open.
 */
typedef strata_status *(*tree_fallback_check_fn)(void *ctx, uint64_t journal_min);

/* Key-value separation (lsm-tree's BlobTree): values of at least `threshold` bytes go to blob
 * files at flush and tables hold handles to them. threshold 0 = off. Fixed when the tree is
 * created (the manifest records it): a separating open of a tree created without separation is
 * refused; an open without separation of a tree created with it separates with
 * `adopted_threshold` and the other fields as given (0: refused too). */
typedef struct tree_blob_options {
  uint32_t threshold;
  uint32_t adopted_threshold; /* the threshold for a separated tree opened with threshold 0 */
  uint64_t file_target_size;  /* a blob file is finished once it holds this many bytes */
  int compression;            /* a `compression` (util/compress.h) for each value */
  double staleness_threshold; /* relocate a file once this share of its bytes is garbage ... */
  double age_cutoff;          /* ... if it is among this oldest fraction of the blob files */
} tree_blob_options;

typedef struct tree_options {
  unsigned level_count;            /* default 7 */
  size_t block_size;               /* default 4 KiB */
  table_level_policy level_policy; /* compression per level, partitioned index from level N */
  double bloom_bits_per_key;       /* default 10, 0 = none */
  uint64_t table_target_size;      /* flush and compaction split tables here (default 64 MiB) */
  size_t block_cache_bytes;        /* used when no shared cache is given (default 16 MiB) */
  block_cache *shared_cache;       /* optional, not owned */
  size_t max_open_tables;          /* default 1000 */
  int map_tables;                  /* map table files where the backend can (STRATA_DEFAULT_MAP_TABLES) */
  int cache_written_blocks;        /* flush and compaction warm the cache (strata_options; default off) */
  tree_blob_options blob;          /* key-value separation (threshold 0: off) */
  tree_fallback_check_fn fallback_check; /* NULL: the caller keeps nothing outside the tree */
  void *fallback_ctx;
} tree_options;

void tree_options_default(tree_options *o);

/* What opening found, for the database to report. */
typedef struct tree_open_info {
  int created;                /* no manifest existed */
  int manifest_fallback;      /* the other slot was torn, damaged or missing, so the slot used may be
                               * the older one; it was checked complete, and rewritten to both slots */
  uint64_t manifest_epoch;    /* of the slot used */
  uint64_t obsolete_removed;  /* unreferenced tables below next_file_id: obsoleted before the version */
  uint64_t moved_to_lost;     /* unreferenced tables at or above next_file_id (newer than the version)
                               * and a damaged manifest slot, set aside in lost/ */
  uint64_t strays_ignored;    /* files in tables/ (or blobs/) that are not tables (blob files) */
} tree_open_info;

/*
 * Opens or creates the tree in `dir` (which must exist). `fs` must outlive the tree.
 *
 * Opening trusts nothing it can check cheaply: every table the version lists must exist with
 * its recorded size, and a fallback to the older manifest slot is taken only when that slot's
 * tables are all there and opts->fallback_check agrees; otherwise the open fails with
 * STRATA_CORRUPTION naming the slot, why it is invalid and what the older one would miss, and
 * nothing on disk is changed. Then table files the version does not list are cleaned up: one
 * numbered below the manifest's next_file_id was obsoleted before that version and is deleted;
 * one at or above it was written after (by an install that did not survive) and is moved to
 * lost/, never deleted. A damaged (not merely torn) slot is kept in lost/ too.
 */
STRATA_MUST_USE strata_status *tree_open(vfs *fs, const char *dir, const tree_options *opts, tree_open_info *info,
                                         tree **out);
tree *tree_ref(tree *t);
void tree_unref(tree *t);

/* Persisted counters the database keeps in the manifest. */
uint64_t tree_flushed_seqno(tree *t);   /* every seqno below is in a table */
uint64_t tree_journal_min(tree *t);     /* journals below this number hold only flushed data */
uint64_t tree_allocate_file_id(tree *t);

/* --- writes (serialized by the caller) --------------------------------------------------- */
STRATA_MUST_USE strata_status *tree_insert(tree *t, slice key, slice value, uint64_t seqno);
STRATA_MUST_USE strata_status *tree_remove(tree *t, slice key, uint64_t seqno);
STRATA_MUST_USE strata_status *tree_remove_weak(tree *t, slice key, uint64_t seqno);
/* Reserves `bytes` (a sum of memtable_entry_bound) in the active memtable, so the writes that
 * follow cannot fail for memory; the active memtable does not change in between (one writer). */
STRATA_MUST_USE strata_status *tree_reserve(tree *t, size_t bytes);
/* Low level: any value type; STRATA_EXISTS if the key already has a version at this seqno. */
STRATA_MUST_USE strata_status *tree_write(tree *t, slice key, uint64_t seqno, value_type type, slice value);

uint64_t tree_active_memtable_bytes(tree *t);
size_t tree_sealed_count(tree *t);
/*
 * Seals the active memtable (if it holds anything) and starts a new one; installed at seqno
 * `next_seqno`. `journal_tag` is remembered with the sealed memtable: once it is flushed the
 * manifest records journal_min = journal_tag. Returns 1 in *sealed if a memtable was sealed.
 */
STRATA_MUST_USE strata_status *tree_rotate_memtable(tree *t, uint64_t next_seqno, uint64_t journal_tag, int *sealed);
/* Writes the oldest sealed memtable to level-0 tables; *flushed = 0 if none was waiting. */
STRATA_MUST_USE strata_status *tree_flush_oldest(tree *t, int *flushed);

/* --- reads ------------------------------------------------------------------------------- */
super_version *tree_current(tree *t);                     /* referenced */
super_version *tree_for_snapshot(tree *t, uint64_t seqno); /* referenced */

/* The newest live value of key below `snapshot`, read from sv (NULL: the version for the snapshot). */
STRATA_MUST_USE strata_status *tree_get(tree *t, super_version *sv, slice key, uint64_t snapshot, int *found,
                                        buffer *value);
STRATA_MUST_USE strata_status *tree_contains_key(tree *t, slice key, uint64_t snapshot, int *found);
/* Size in bytes of the live value, read from sv (NULL: the version for the snapshot), without
 * copying it and without reading a blob file (the handle holds the size). */
STRATA_MUST_USE strata_status *tree_size_of(tree *t, super_version *sv, slice key, uint64_t snapshot, int *found,
                                            uint64_t *size);

/*
 * An iterator over the live keys of `range` at `snapshot`, reading sv (NULL: the version for the
 * snapshot). It holds references to the tree and the super version until destroyed. Its stack
 * of iterators comes from `arena` while it has room (util/iter_arena.h; NULL: malloc), which
 * must outlive it.
 */
STRATA_MUST_USE strata_status *tree_iterator(tree *t, super_version *sv, uint64_t snapshot, const key_range *range,
                                             iter_arena *arena, mvcc_iterator **out);
/* --- key-value separation --------------------------------------------------------------- */
/* Whether the tree separates values (as created). */
int tree_kv_separated(tree *t);
/* How a compaction reads its inputs: every block once, so a block read is not cached; with
 * cache_written_blocks the cached ones move to the output (table_read_options.take_cached). */
table_read_options tree_compaction_read_options(const tree *t);
/* The value behind handle `handle` (a VALUE_TYPE_INDIRECTION entry's value) of `key`, read
 * through the blob cache (the block cache) and the blob file cache; `out` is replaced. With
 * fill_cache = 0 (compaction: relocation and the filter) a value read from the file is not
 * cached, as table_read_options.fill_cache. */
STRATA_MUST_USE strata_status *tree_resolve_value(tree *t, slice key, slice handle, int fill_cache, buffer *out);
/* The blob files of the current version (sorted by id) that garbage collection should relocate
 * now (blob options: stale share and age cutoff); malloc'd, NULL when none. */
STRATA_MUST_USE strata_status *tree_blob_gc_candidates(tree *t, const version *v, uint64_t **ids, size_t *count);

/* first/last live entry; *found = 0 for an empty tree. */
STRATA_MUST_USE strata_status *tree_first_key_value(tree *t, uint64_t snapshot, int *found, buffer *key,
                                                    buffer *value);
STRATA_MUST_USE strata_status *tree_last_key_value(tree *t, uint64_t snapshot, int *found, buffer *key,
                                                   buffer *value);
/* Live keys at the snapshot (a full scan) and a cheap estimate (entries incl. old versions). */
STRATA_MUST_USE strata_status *tree_len(tree *t, uint64_t snapshot, uint64_t *out);
uint64_t tree_approximate_len(tree *t);

/* --- version edits: the one install path ------------------------------------------------ */
/*
 * Every change of the tree's version -- a flush, a compaction, drop_range, clear, the recovery
 * watermarks -- is an edit applied by tree_apply_edit, LevelDB's LogAndApply: under the install
 * mutex (edits serialize) the next version is built from the *current* one, the manifest holding
 * it and the new counters is written and synced (outside the version history's lock, so readers go
 * on meanwhile; under the tree's mu, so the writer's rotations wait), then the version, the
 * counters and the memtable change are swapped in together, so no reader ever sees one without the
 * other. Everything that can fail (the next version, the super version readers will see, room in
 * the history) happens before the manifest write: nothing can fail after it. Tables the
 * new version no longer lists are retired (their files go when the last reader lets go).
 *
 * A failure before the manifest write changes nothing (the caller deletes the tables it wrote for
 * the edit); an edit that changes nothing (no table, counter or memtable) writes and installs
 * nothing.
 */
typedef enum tree_placement {
  TREE_PLACE_NEWEST_RUN, /* a new run, the level's newest (a flush, tiered compaction) */
  TREE_PLACE_OLDEST_RUN, /* a new run, the level's oldest (tiered compaction into the last level) */
  TREE_PLACE_INTO_RUN    /* into the level's one non-empty run, or as its first (leveled compaction) */
} tree_placement;

#define TREE_EDIT_KEEP UINT64_MAX /* a counter or the installed seqno stays as it is */

typedef struct tree_edit {
  /* Tables: removed from the next version, then added to it. */
  int remove_all;                 /* every table (clear) */
  const uint64_t *remove_ids;     /* each must be in the current version, else the edit fails */
  size_t remove_count;
  const key_range *remove_inside; /* also every table whose keys all lie inside (drop_range) */
  table_info *const *add;         /* sorted by key and disjoint; the version takes references */
  size_t add_count;
  blob_meta *const *add_blobs;    /* blob files written for the added tables (the version takes references) */
  size_t add_blob_count;
  unsigned add_level;
  tree_placement add_placement;
  /* Memtables, changed in the same swap. */
  int drop_oldest_sealed; /* a flush: its memtable leaves the sealed list as its tables arrive */
  int replace_memtables;  /* clear: every memtable leaves, a fresh active one comes */
  /* The manifest's counters (TREE_EDIT_KEEP or the new value); with raise_only a value lower than
   * the current one keeps the current one. */
  uint64_t flushed_seqno;
  uint64_t journal_min;
  int raise_only;
  /* The seqno readers of the new super version see (TREE_EDIT_KEEP: the current one's). */
  uint64_t installed_seqno;
} tree_edit;

/* An edit that changes nothing and keeps every counter. */
void tree_edit_init(tree_edit *e);
/* Applies `e` as described above; *installed (optional) = 1 when a new version was installed. */
STRATA_MUST_USE strata_status *tree_apply_edit(tree *t, const tree_edit *e, int *installed);

/* Tables written for an edit (a flush's, a compaction's output), in key order; each holds one
 * reference. */
typedef struct table_batch {
  table_info **tables;
  size_t count;
  size_t cap;
  blob_meta **blobs; /* blob files written beside them (key-value separation), one reference each */
  size_t blob_count;
  size_t blob_cap;
  uint64_t blob_bytes;      /* bytes of blob files written */
  uint64_t relocated_bytes; /* record bytes copied out of files being collected */
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
/*
 * The same, with key-value separation at work (the tree's blob options): a value of at least the
 * threshold goes to a blob file written beside the tables (out->blobs) and the table gets its
 * handle; a handle into one of the `relocate` blob files (ids, ascending) is resolved and its
 * value copied to the new blob file (garbage collection). tree_write_tables is this with none.
 */
STRATA_MUST_USE strata_status *tree_write_tables_relocating(tree *t, kv_iterator *it, unsigned level,
                                                            uint64_t target_size, const atomic_flag_int *abort,
                                                            const uint64_t *relocate, size_t relocate_count,
                                                            table_batch *out, uint64_t *bytes);

/* --- bulk ingestion (tree_ingest.c) ------------------------------------------------------ */
/*
 * A sorted stream (keys strictly ascending) written straight into last-level tables and blob
 * files at seqno 0, without journal or memtable, installed by finish in one edit; writes made
 * meanwhile are newer and win. begin refuses a tree holding any table. An out-of-order key is
 * STRATA_INVALID_ARGUMENT and leaves the ingest usable, as does a backend's "would block"
 * (STRATA_BUSY) creating the next table or blob file (the entry was not taken: add it again once
 * the backend is ready); any other failure ends it (finish then reports it). finish and abandon
 * free the ingest and remove what was written unless installed, except a finish whose install
 * the backend refused with "would block" (creating a manifest slot): *kept = 1, the ingest is as
 * it was, to be finished again or abandoned.
 */
typedef struct tree_ingest tree_ingest;
STRATA_MUST_USE strata_status *tree_ingest_begin(tree *t, tree_ingest **out);
STRATA_MUST_USE strata_status *tree_ingest_add(tree_ingest *g, slice key, slice value);
uint64_t tree_ingest_count(const tree_ingest *g);
STRATA_MUST_USE strata_status *tree_ingest_finish(tree_ingest *g, uint64_t *entries, int *kept);
void tree_ingest_abandon(tree_ingest *g);

/* --- whole-tree operations --------------------------------------------------------------- */
/* Removes every table fully inside `range` (memtables are untouched); snapshots keep reading them. */
STRATA_MUST_USE strata_status *tree_drop_range(tree *t, const key_range *range, uint64_t next_seqno);
/*
 * Empties the tree, memtables and tables, installed at `next_seqno`; snapshots keep reading what
 * they saw. Journals numbered below `journal_min` hold nothing that survives and may be deleted.
 */
STRATA_MUST_USE strata_status *tree_clear(tree *t, uint64_t next_seqno, uint64_t journal_min);
/*
 * Raises the manifest's flushed_seqno and journal_min (never lowers them), tables unchanged: for a
 * recovery that set journal data aside for good, so the seqnos and journals it held count as
 * spent. Every memtable must be empty (flushed first): STRATA_INVALID_ARGUMENT otherwise.
 */
STRATA_MUST_USE strata_status *tree_advance_watermarks(tree *t, uint64_t flushed_seqno, uint64_t journal_min);

/*
 * Live snapshots: compaction keeps, for each, the versions it can see. Pins are counted per
 * seqno; the oldest pinned seqno is the garbage-collection watermark.
 */
STRATA_MUST_USE strata_status *tree_snapshot_pin(tree *t, uint64_t seqno);
void tree_snapshot_unpin(tree *t, uint64_t seqno);
size_t tree_snapshot_count(tree *t);
/* The distinct pinned seqnos, ascending (malloc'd; NULL when none). */
STRATA_MUST_USE strata_status *tree_snapshot_list(tree *t, uint64_t **out, size_t *count);
/* The oldest pinned seqno, or `fallback` when none is pinned. */
uint64_t tree_oldest_snapshot(tree *t, uint64_t fallback);

/*
 * For a database handle closing while snapshots or iterators still read this tree: opens every
 * table (and blob file) a live super version lists and keeps it open until the tree is freed. A later handle on
 * the same folder may compact those tables away and delete their files; open files stay
 * readable (posix and the memory VFS keep a removed file's data for its open handles). Best
 * effort: a table that fails to open is skipped. Does nothing when the caller holds the only
 * reference. Returns the number of tables kept open.
 */
size_t tree_keep_tables_open(tree *t);

/*
 * The state a manifest written now would hold, consistent with itself (read under the tree's
 * mu): the current version, referenced (release with manifest_state_clear), and the counters.
 * A database image is this state and its files (src/db/db_export.c).
 */
void tree_current_state(tree *t, manifest_state *out);
/* Counters for stats. */
typedef struct tree_counters {
  uint64_t flushes;
  uint64_t bytes_flushed;
  uint64_t tables_deleted;
  uint64_t blob_reads;          /* values read from blob files (cache misses) */
  uint64_t blob_files_deleted;  /* dead blob files deleted */
  uint64_t blob_bytes_reclaimed; /* their sizes */
} tree_counters;
tree_counters tree_get_counters(tree *t);
/* Super versions still held (the current one and every pinned older one). */
size_t tree_versions_alive(tree *t);
block_cache *tree_block_cache(tree *t);

#endif
