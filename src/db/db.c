/*
 * db.c -- the database: folder lock, journal (its recovery: db_recovery.c), seqnos, writes,
 * rotation; flushing, compaction, their errors and the write stalls are the scheduler's
 * (scheduler.h, which also draws the call graph of src/db/).
 *
 * Files in the database folder (their names: util/db_files.h):
 *   LOCK                   held while open (vfs lock)
 *   manifest-0/1, tables/  the tree (tree.h)
 *   journal/<n>            write-ahead journals; journals below the manifest's journal_min are spent
 *   lost/                  what recovery set aside (lost_folder.h)
 *
 * Writes (put, delete, batches) are db_write.c's: queued writers committed in groups under
 * write_mu, one journal append per group, published through visible_seqno after the memtable:
 * readers never see half a batch.
 */
#include <stdlib.h>
#include <string.h>

#include "../journal/journal_files.h"
#include "../util/check.h"
#include "../util/clock.h"
#include "../util/db_files.h"
#include "db_folder.h"
#include "db_internal.h"

strata_status *strata_resume(strata_db *db) {
  HANDLE_CHECK(db, HANDLE_DB);
  return scheduler_resume(db->sched);
}

strata_status *strata_flush(strata_db *db) {
  HANDLE_CHECK(db, HANDLE_DB);
  sync_mutex_lock(&db->write_mu);
  int sealed = 0;
  strata_status *st = scheduler_error(db->sched, 0);
  if (!st && tree_active_memtable_bytes(db->tree) > 0) {
    st = journal_writer_rotate(db->journal);
    if (!st) st = tree_rotate_memtable(db->tree, db->next_seqno, journal_writer_number(db->journal), &sealed);
  }
  sync_mutex_unlock(&db->write_mu);
  if (!st) st = scheduler_flush(db->sched);
  return st;
}

strata_status *strata_maintenance_step(strata_db *db, uint64_t budget_bytes, int *more) {
  ARG_NOT_NULL(more);
  *more = 0;
  HANDLE_CHECK(db, HANDLE_DB);
  STATUS_TRY(scheduler_error(db->sched, 1)); /* a step does not retry what cannot succeed */
  sync_mutex_lock(&db->write_mu); /* an idle database still gets its interval sync */
  strata_status *sync_st = journal_writer_sync_if_due(db->journal, NULL);
  sync_mutex_unlock(&db->write_mu);
  STATUS_TRY(sync_st);
  return scheduler_step(db->sched, budget_bytes, more);
}

strata_status *strata_maintenance_events(strata_db *db, uint64_t *events) {
  HANDLE_CHECK(db, HANDLE_DB);
  ARG_NOT_NULL(events);
  *events = scheduler_work_events(db->sched);
  return NULL;
}

/* --- open and close ---------------------------------------------------------------------- */

static uint64_t monotonic_clock(void *ctx) {
  (void)ctx;
  return clock_monotonic_ms();
}

static void db_free(strata_db *db) {
  scheduler_free(db->sched); /* stops the threads and drops the compactor's tree reference */
  tree_unref(db->tree);
  if (db->lock) strata_status_free(vfs_lock_release(db->fs, db->lock));
  if (db->owns_fs) vfs_destroy(db->fs);
  free(db->items);
  free(db->group);
  sync_mutex_destroy(&db->write_mu);
  sync_mutex_destroy(&db->queue_mu);
  free(db->path);
  free(db->journal_dir);
  handle_retire(&db->tag);
  free(db);
}

static strata_status *prepare_folder(strata_db *db) {
  int exists = 0, is_dir = 0;
  STATUS_TRY(vfs_exists(db->fs, db->path, &exists, &is_dir));
  if (exists && !is_dir) return status_new(STRATA_INVALID_ARGUMENT, "%s is a file, not a database folder", db->path);
  if (!exists && !db->opts.create_if_missing)
    return status_new(STRATA_NOT_FOUND, "database %s does not exist (createIfMissing is off)", db->path);
  if (!exists) return vfs_mkdir(db->fs, db->path);
  if (db->opts.create_if_missing) return NULL;
  /* an existing folder is only opened without createIfMissing when a database is in it */
  int holds = 0;
  STATUS_TRY(db_folder_holds_database(db->fs, db->path, &holds));
  if (!holds)
    return status_new(STRATA_NOT_FOUND,
                      "database %s does not exist: the folder holds no database (" DB_FOLDER_MARKS_TEXT
                      "; createIfMissing is off)",
                      db->path);
  return NULL;
}

/*
 * The tree falls back to the older manifest slot: its journals, journal_min through the newest,
 * must all be there. The newer slot may record a flush whose install ended by removing the
 * journals below its own journal_min; those hold writes only its tables have, and the older
 * slot does not list those tables. Journal numbers are consecutive (each rotation adds one), so
 * a gap or a missing first journal is such a removal. (A journal that recovery set aside in
 * lost/ counts as missing too: its number may have been used again since, so its absence from
 * journal/ proves nothing.)
 */
static strata_status *check_fallback_journals(void *ctx, uint64_t journal_min) {
  strata_db *db = ctx;
  uint64_t *numbers = NULL;
  size_t count = 0;
  STATUS_TRY(journal_list(db->fs, db->journal_dir, &numbers, &count));
  uint64_t want = journal_min;
  strata_status *st = NULL;
  for (size_t i = 0; i < count && !st; i++) {
    if (numbers[i] < journal_min) continue;
    if (numbers[i] != want)
      st = status_new(STRATA_CORRUPTION,
                      "journal %s/%llu is missing (the older state needs every journal from %llu on; the next one "
                      "left is %llu)",
                      db->journal_dir, (unsigned long long)want, (unsigned long long)journal_min,
                      (unsigned long long)numbers[i]);
    want = numbers[i] + 1;
  }
  if (!st && want == journal_min)
    st = status_new(STRATA_CORRUPTION,
                    "journal %s/%llu is missing (the older state needs every journal from %llu on; none is left)",
                    db->journal_dir, (unsigned long long)journal_min, (unsigned long long)journal_min);
  free(numbers);
  return st;
}

static strata_status *open_locked(strata_db *db) {
  char *manifest = vfs_path_join(db->path, db_files_manifest_slot(1));
  if (!manifest) return status_no_memory();
  int exists = 0;
  strata_status *st = vfs_exists(db->fs, manifest, &exists, NULL);
  free(manifest);
  STATUS_TRY(st);
  if (exists && db->opts.error_if_exists)
    return status_new(STRATA_EXISTS, "database %s already exists (errorIfExists is on)", db->path);
  tree_options to;
  tree_options_default(&to);
  to.block_size = db->opts.block_size;
  to.bloom_bits_per_key = db->opts.bloom_bits_per_key;
  to.block_cache_bytes = (size_t)db->opts.block_cache_size;
  to.map_tables = db->opts.map_tables;
  to.cache_written_blocks = db->opts.cache_written_blocks;
  to.table_target_size = db->opts.compaction.table_target_size;
  if (db->opts.compression == STRATA_COMPRESSION_NONE) to.level_policy.compression_count = 0;
  to.blob.threshold = db->opts.kv_threshold;
  to.blob.adopted_threshold = STRATA_DEFAULT_KV_THRESHOLD; /* a separated database opened without the option */
  to.blob.file_target_size = db->opts.blob_file_target_size;
  to.blob.compression = db->opts.blob_compression == STRATA_COMPRESSION_LZ4 ? COMPRESSION_LZ4 : COMPRESSION_NONE;
  to.blob.staleness_threshold = db->opts.blob_staleness;
  to.blob.age_cutoff = db->opts.blob_age_cutoff;
  to.fallback_check = check_fallback_journals;
  to.fallback_ctx = db;
  tree_open_info info;
  STATUS_TRY(tree_open(db->fs, db->path, &to, &info, &db->tree));
  db->recovery.manifest_fallback = info.manifest_fallback;
  db->recovery.files_moved_to_lost += (uint32_t)info.moved_to_lost;
  db->recovery.obsolete_files_removed += info.obsolete_removed;
  STATUS_TRY(vfs_mkdir(db->fs, db->journal_dir));
  uint64_t next_journal = 0;
  STATUS_TRY(db_recover_journals(db, &next_journal));
  atomic_u64_store(&db->visible_seqno, db->next_seqno);
  journal_writer_options jo = {JOURNAL_SYNC_NONE, 0, NULL, NULL};
  if (db->opts.sync_interval_ms) {
    jo.sync_policy = JOURNAL_SYNC_INTERVAL;
    jo.sync_interval_ms = db->opts.sync_interval_ms;
    jo.clock = monotonic_clock;
  }
  STATUS_TRY(journal_writer_open(db->fs, db->journal_dir, next_journal, &jo, &db->journal));
  scheduler_options so = {db->fs, db->journal_dir, db->tree, &db->visible_seqno, db->opts.background_threads,
                          db->opts.max_sealed_memtables, db->opts.l0_slowdown, db->opts.l0_stop,
                          options_compaction(&db->opts), &db->write_mu};
  STATUS_TRY(scheduler_start(&so, &db->sched));
  return db_recovery_acknowledge(db); /* last: an open that fails reports the same again */
}

strata_status *strata_open(const char *path, const strata_options *opts, strata_db **out) {
  ARG_NOT_NULL(out);
  *out = NULL;
  ARG_PATH(path, "database path is empty");
  if (opts) HANDLE_CHECK(opts, HANDLE_OPTIONS);
  if (opts) STATUS_TRY(options_validate(opts));
  strata_db *db = calloc(1, sizeof *db);
  if (!db) return status_no_memory();
  db->tag = HANDLE_DB;
  strata_options defaults;
  if (!opts) {
    strata_options *d = NULL;
    strata_status *st = strata_options_new(&d);
    if (st) {
      free(db);
      return st;
    }
    defaults = *d;
    strata_options_free(d);
    opts = &defaults;
  }
  db->opts = *opts;
  atomic_u64_init(&db->visible_seqno, 0);
  strata_status *st = sync_mutex_init(&db->write_mu);
  if (!st) st = sync_mutex_init(&db->queue_mu);
  db->path = vfs_path_join(path, "");
  db->journal_dir = vfs_path_join(path, DB_DIR_JOURNAL);
  if (!st && (!db->path || !db->journal_dir)) st = status_no_memory();
  if (!st) {
    size_t len = strlen(db->path);
    if (len > 1) db->path[len - 1] = '\0'; /* drop the '/' the join added */
    if (opts->fs) db->fs = opts->fs;
    else {
      st = vfs_posix_new(&db->fs);
      db->owns_fs = st == NULL;
    }
  }
  if (!st) st = prepare_folder(db);
  char *lock_path = st ? NULL : vfs_path_join(db->path, DB_FILE_LOCK);
  if (!st && !lock_path) st = status_no_memory();
  if (!st) st = vfs_lock_acquire(db->fs, lock_path, &db->lock);
  free(lock_path);
  if (!st) st = open_locked(db);
  if (st) {
    if (db->journal) strata_status_free(journal_writer_close(db->journal));
    db->journal = NULL;
    db_free(db);
    return st;
  }
  *out = db;
  return NULL;
}

strata_status *strata_close(strata_db *db) {
  if (!db) return NULL;
  HANDLE_CHECK(db, HANDLE_DB);
  db_abandon_ingest(db);
  scheduler_stop(db->sched); /* neither compaction nor the flusher may run while the journal closes */
  strata_status *st = journal_writer_close(db->journal); /* syncs what was written */
  /* snapshots or iterators still reading: a later handle may compact their tables away */
  tree_keep_tables_open(db->tree);
  db_free(db);
  return st;
}
