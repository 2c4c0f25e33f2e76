/* db_internal.h -- the database handle behind strata.h, shared by the files of src/db/. */
#ifndef STRATA_DB_DB_INTERNAL_H
#define STRATA_DB_DB_INTERNAL_H

#include "../compaction/compaction.h"
#include "../journal/journal_writer.h"
#include "../journal/write_batch.h"
#include "../tree/tree.h"
#include "../util/sync.h"
#include "handle.h"
#include "strata.h"

/* Every handle begins with its tag (handle.h): HANDLE_OPTIONS, HANDLE_BATCH, ... */

struct strata_options {
  uint32_t tag;
  int create_if_missing;
  int error_if_exists;
  uint64_t memtable_size;
  uint64_t block_cache_size;
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

  /* Writers: one at a time. Guards the journal, the seqno counter and rotation. */
  sync_mutex write_mu;
  journal_writer *journal;
  uint64_t next_seqno;       /* the seqno the next write gets */
  atomic_u64 visible_seqno;  /* every write below it is readable: the latest snapshot */
  write_batch single;        /* reused by put/delete */
  write_batch_item *items;   /* a batch's items, applied newest first */
  size_t items_cap;

  /* Background flushing (threaded builds), and the write stall. */
  sync_mutex bg_mu;
  sync_cond bg_wake;   /* work for the flush thread */
  sync_cond bg_done;   /* a flush finished: stalled writers re-check */
  sync_thread bg_thread;
  int bg_running;
  int bg_stop;
  /* The background error (under bg_mu): while set, writes fail with it and the threads pause,
   * except the one that failed, which retries (db.c: db_bg_fail and friends). */
  strata_status *bg_error;
  int bg_error_source;     /* DB_BG_FLUSH or DB_BG_COMPACTION: whose work failed, and retries */
  int bg_error_sticky;     /* cannot heal by retrying (not STRATA_IO): stays until reopened */
  uint64_t bg_retry_at_ms; /* monotonic time of the next retry */
  uint64_t bg_backoff_ms;  /* the delay before it: DB_BG_BACKOFF_MIN_MS doubling to _MAX_MS */

  atomic_u64 bytes_written_user;
  atomic_u64 write_stalls;

  /* A value buffer reused by strata_get_into, so a point read allocates nothing; a reader that
   * finds it busy (another thread reading) uses a buffer of its own. */
  sync_mutex scratch_mu;
  buffer scratch;

  /* Compaction: a background thread next to the flusher, or maintenance steps (db_compaction.c). */
  compactor *compactor;
  sync_cond compact_wake; /* (under bg_mu) a flush or a manual compaction may have made work */
  sync_thread compact_thread;
  int compact_running;
  atomic_u64 l0_tables;   /* level-0 tables of the current version, for the write stall */
  atomic_u64 write_slowdowns;
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

struct strata_iterator {
  uint32_t tag;
  mvcc_iterator *it;
  strata_status *misuse; /* the first misuse (e.g. a key read while invalid), for strata_iterator_status */
};

/* Background work that can fail and be retried. */
enum { DB_BG_FLUSH = 1, DB_BG_COMPACTION = 2, DB_BG_FOREGROUND = 3 };
#define DB_BG_BACKOFF_MIN_MS 10u
#define DB_BG_BACKOFF_MAX_MS 1000u

/* Records a failure of `source`'s work (bg_mu held; takes st): the first error stays the
 * database's error until it heals, a failed retry replaces it and doubles the backoff. */
void db_bg_fail(strata_db *db, strata_status *st, int source);
/* `source`'s work succeeded (bg_mu held): clears its error and wakes writers and threads. */
void db_bg_healed(strata_db *db, int source);
/* 1 when `source` may run its work now (bg_mu held); else *wait_ms is how long to sleep, 0 for
 * "until woken" (another source's error, or one that cannot heal). */
int db_bg_may_run(strata_db *db, int source, uint64_t *wait_ms);

/* options.c: checks every option and the rules between them (strata_open). */
strata_status *options_validate(const strata_options *o);

/* db_limits.c: the limits of strata_limits.h at the API edge. Each looks at sizes only, never at
 * the bytes, so a caller's length is checked before its buffer is read. */
strata_status *db_check_key(size_t klen);
strata_status *db_check_value(size_t vlen);
/* Whether one more operation of klen + vlen bytes keeps batch `b` within the batch limits. */
strata_status *db_check_batch_room(const write_batch *b, size_t klen, size_t vlen);
/* Whether a whole batch is within the batch limits (strata_write). */
strata_status *db_check_batch(const write_batch *b);
/* Validates a caller's range (bound kinds, NULL keys with lengths); `fn` names the caller. */
strata_status *db_check_range(const strata_range *range, const char *fn);

/* Applies a batch to the active memtable under `seqno` (write_mu held, or the open replaying). */
strata_status *db_apply_batch(strata_db *db, const write_batch *b, uint64_t seqno);

/* Flushes sealed memtables until none waits, deleting spent journals. bg_mu not held; write_mu is
 * held when a writer without background threads flushes past the sealed limit itself. */
strata_status *db_flush_sealed(strata_db *db);

/* --- db_recovery.c ------------------------------------------------------------------------ */
/*
 * Replays the live journals into the active memtable at open (after tree_open, before the journal
 * writer exists), telling a torn tail from damage as journal_format.h says, and, by the recovery
 * mode, fails the open on damage or cuts at the last consistent point. Sets db->next_seqno,
 * db->recovery and *next_journal, the number the writer must open.
 */
strata_status *db_recover_journals(strata_db *db, uint64_t *next_journal);

/* --- db_compaction.c ---------------------------------------------------------------------- */
/* Creates the compactor and, with background threads, starts the compaction thread. */
strata_status *db_compaction_start(strata_db *db);
/* Aborts running compactions and joins the thread (safe on a partial open). */
void db_compaction_stop(strata_db *db);
/* Frees the compactor, once no thread can use it (the flush thread notifies it). */
void db_compaction_free(strata_db *db);
/* After a flush: refreshes the level-0 count and wakes the compaction thread (bg_mu not held). */
void db_compaction_notify(strata_db *db);
/* Before a write (write_mu held): slows down or stops while level 0 is over its limits. */
strata_status *db_compaction_stall(strata_db *db);
/* One unit of compaction for maintenance steps; *did = 0 when none was due. */
strata_status *db_compaction_step(strata_db *db, int *did, uint64_t *bytes);

#endif
