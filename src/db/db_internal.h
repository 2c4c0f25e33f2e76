/* db_internal.h -- the database handle behind strata.h, shared by the files of src/db/. */
#ifndef STRATA_DB_DB_INTERNAL_H
#define STRATA_DB_DB_INTERNAL_H

#include <stddef.h>

#include "../compaction/compaction.h"
#include "../journal/journal_writer.h"
#include "../journal/write_batch.h"
#include "../tree/tree.h"
#include "../util/sync.h"
#include "handle.h"
#include "scheduler.h"
#include "strata.h"

/* Every handle begins with its tag (handle.h): HANDLE_OPTIONS, HANDLE_BATCH, ... */

struct strata_options {
  uint32_t tag;
  int create_if_missing;
  int error_if_exists;
  uint64_t memtable_size;
  uint64_t block_cache_size;
  int map_tables;
  int cache_written_blocks;
  uint32_t block_size;
  strata_compression compression;
  double bloom_bits_per_key;
  int sync;
  uint32_t sync_interval_ms;
  int background_threads;
  uint32_t max_sealed_memtables;
  struct strata_vfs *fs;
  compaction_options compaction;
  uint32_t l0_slowdown; /* level-0 tables at which writes slow down (default 20) */
  uint32_t l0_stop;     /* ... and stop until compaction catches up (default 30) */
  strata_compaction_filter filter_fn;
  void *filter_ctx;
  strata_recovery_mode recovery_mode; /* what an open does with a damaged journal (db_recovery.c) */
  uint32_t kv_threshold;              /* key-value separation: 0 = off */
  uint64_t blob_file_target_size;
  strata_compression blob_compression;
  double blob_staleness;
  double blob_age_cutoff;
};

struct strata_batch {
  uint32_t tag;
  write_batch batch;
};

struct strata_db {
  uint32_t tag;
  vfs *fs;
  int owns_fs;
  char *path;
  char *journal_dir;
  vfs_lock *lock;
  tree *tree;
  struct strata_options opts;
  strata_recovery_report recovery; /* what this open found and did (set once, at open; db_recovery.c) */
  int pit_report_file;             /* lost/ holds a point-in-time report: removed once the open completes */

  /* Writers: one at a time. Guards the journal, the seqno counter and rotation. */
  sync_mutex write_mu;
  journal_writer *journal;
  uint64_t next_seqno;       /* the seqno the next write gets */
  atomic_u64 visible_seqno;  /* every write below it is readable: the latest snapshot */
  write_batch_item *items;   /* a batch's (a group's) items, applied newest first */
  size_t items_cap;
  journal_batch *group;      /* the leader's group, for the journal (db_write.c) */
  size_t group_cap;

  /* The writer queue (db_write.c): writers line up here; the first is the leader, which takes
   * write_mu and commits the writers behind it with its own batch. Guards only the queue. */
  sync_mutex queue_mu;
  struct db_writer *queue_head, *queue_tail;

  /* Background work: the threads, their error, the write stalls, maintenance steps. */
  scheduler *sched;

  atomic_u64 bytes_written_user;

  /* The one bulk ingestion in progress, or NULL (guarded by write_mu; db_ingest.c). Closing the
   * database abandons it: a later handle on the folder must never see its install. */
  struct strata_ingest *ingest;
};

/* Holds the tree, not the database: a snapshot may outlive the handle that made it, and a later
 * handle on the same folder may read through it. The backend and folder say which database it
 * belongs to (reads through any other are refused). */
struct strata_snapshot {
  uint32_t tag;
  tree *tree;
  super_version *sv;
  uint64_t seqno;
  const vfs *fs;
  char path[]; /* the database folder, as the handle that made it holds it */
};

/* Bytes of a public iterator's region for its stack (see struct strata_iterator). */
#define DB_ITERATOR_REGION_BYTES 2048

struct strata_iterator {
  uint32_t tag;
  mvcc_iterator *it;
  tree *tree;               /* resolves blob handles (key-value separation) */
  buffer value;             /* the current value when it came from a blob file */
  strata_status *read_error; /* the first failed blob read, for strata_iterator_status */
  strata_status *misuse; /* the first misuse (e.g. a key read while invalid), for strata_iterator_status */
  iter_arena arena;      /* the free part of `region` */
  /* The iterator stack's objects (util/iter_arena.h), in the handle's own allocation. A settled
   * tree's stack (MVCC, run, two-level, block loader, two block iterators) takes about 1 KiB;
   * each further run or memtable takes its share, and what does not fit comes from malloc. */
  union {
    max_align_t align;
    unsigned char bytes[DB_ITERATOR_REGION_BYTES];
  } region;
};

/* options.c: checks every option and the rules between them (strata_open). */
strata_status *options_validate(const strata_options *o);
/* The compactor's options, with the public compaction filter behind the internal one (its
 * context is `o`, which must outlive the compactor: the handle's copy). */
compaction_options options_compaction(const strata_options *o);

/* db_limits.c: the limits of strata_limits.h at the API edge. Each looks at sizes only, never at
 * the bytes, so a caller's length is checked before its buffer is read. */
strata_status *db_key_too_long(size_t klen); /* the error of db_check_key */
/* Inline: every get and write checks a key, and under WebAssembly the call cost more than the test. */
static inline strata_status *db_check_key(size_t klen) {
  return klen > STRATA_KEY_MAX ? db_key_too_long(klen) : NULL;
}
strata_status *db_check_value(size_t vlen);
/* Whether one more operation of klen + vlen bytes keeps batch `b` within the batch limits. */
strata_status *db_check_batch_room(const write_batch *b, size_t klen, size_t vlen);
/* Whether a whole batch is within the batch limits (strata_write). */
strata_status *db_check_batch(const write_batch *b);
/* Validates a caller's range (bound kinds, NULL keys with lengths); `fn` names the caller. */
strata_status *db_check_range(const strata_range *range, const char *fn);

/* --- db_apply.c ---------------------------------------------------------------------------- */
/* Decodes a batch into db->items (write_mu held, or the open replaying); *n = its item count. */
strata_status *db_gather_items(strata_db *db, const write_batch *b, size_t *n);
/* Applies the n gathered items to the active memtable under `seqno`, newest first: an older
 * operation on the same key in the batch is superseded. */
strata_status *db_apply_items(strata_db *db, size_t n, uint64_t seqno);
/* Everything of applying a batch that can fail: db_gather_items, then memtable room reserved for
 * the items (tree_reserve), so the db_apply_items after it cannot fail for memory. */
strata_status *db_prepare_batch(strata_db *db, const write_batch *b, size_t *n);
/* The same at an offset: items first.. of db->items (a group's batches lie back to back). */
strata_status *db_gather_items_at(strata_db *db, const write_batch *b, size_t first, size_t *n);
strata_status *db_apply_item_range(strata_db *db, size_t first, size_t n, uint64_t seqno);
/* Grows db->items to hold `count` items. */
strata_status *db_reserve_items(strata_db *db, size_t count);
/* Prepare and apply: a batch replayed from the journal. */
strata_status *db_apply_batch(strata_db *db, const write_batch *b, uint64_t seqno);

/* db_write.c: writers waiting in the queue, the leader included (takes queue_mu; lets a test
 * line writers up behind a leader it holds back). */
size_t db_write_queue_length(strata_db *db);

/* db_ingest.c: abandons the ingestion in progress, if any (strata_close). */
void db_abandon_ingest(strata_db *db);

/* --- db_recovery.c ------------------------------------------------------------------------ */
/*
 * Replays the live journals into the active memtable at open (after tree_open, before the journal
 * writer exists), telling a torn tail from damage as journal_format.h says, and, by the recovery
 * mode, fails the open on damage or cuts at the last consistent point. Sets db->next_seqno,
 * db->recovery and *next_journal, the number the writer must open.
 */
strata_status *db_recover_journals(strata_db *db, uint64_t *next_journal);
/* The last step of an open: the point-in-time report it returns (made by it, or by an open of the
 * same recovery that was refused after the cut was installed) leaves lost/, so no later open
 * reports it again. */
strata_status *db_recovery_acknowledge(strata_db *db);
/* Removes a point-in-time report left in the folder `db_path` (repair: the state it describes is
 * gone). */
strata_status *db_recovery_forget(vfs *fs, const char *db_path);

#endif
