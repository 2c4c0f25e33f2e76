/* db_internal.h -- the database handle behind strata.h, shared by the files of src/db/. */
#ifndef STRATA_DB_DB_INTERNAL_H
#define STRATA_DB_DB_INTERNAL_H

#include "../journal/journal_writer.h"
#include "../journal/write_batch.h"
#include "../tree/tree.h"
#include "../util/sync.h"
#include "strata.h"

struct strata_options {
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
  struct vfs *fs;
};

struct strata_batch {
  write_batch batch;
};

struct strata_db {
  vfs *fs;
  int owns_fs;
  char *path;
  char *journal_dir;
  vfs_lock *lock;
  tree *tree;
  struct strata_options opts;

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
  strata_status *bg_error; /* the first background failure; later writes report it */

  atomic_u64 bytes_written_user;
  atomic_u64 write_stalls;

  /* A value buffer reused by strata_get_into, so a point read allocates nothing; a reader that
   * finds it busy (another thread reading) uses a buffer of its own. */
  sync_mutex scratch_mu;
  buffer scratch;
};

/* Holds the tree, not the database: a snapshot may outlive the handle that made it. */
struct strata_snapshot {
  tree *tree;
  super_version *sv;
  uint64_t seqno;
};

struct strata_iterator {
  mvcc_iterator *it;
};

/* Validates a key / value size for the public API. */
strata_status *db_check_key(size_t klen);
strata_status *db_check_value(size_t vlen);

/* Flushes sealed memtables until none waits (caller holds no db lock), deleting spent journals. */
strata_status *db_flush_sealed(strata_db *db);

#endif
