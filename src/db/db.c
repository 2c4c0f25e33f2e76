/*
 * db.c -- the database: folder lock, journal (its recovery: db_recovery.c), seqnos, writes, rotation, flushing.
 *
 * Files in the database folder:
 *   LOCK                 held while open (vfs lock)
 *   manifest-0/1, tables/  the tree (tree.h)
 *   journal/<n>          write-ahead journals; journals below the manifest's journal_min are spent
 *
 * A write takes write_mu, gets the next seqno, goes to the journal, then to the active memtable,
 * and only then is published through visible_seqno: readers never see half a batch.
 */
#include <stdlib.h>
#include <string.h>

#include "../journal/journal_files.h"
#include "../util/clock.h"
#include "../util/db_files.h"
#include "db_internal.h"

strata_status *db_check_key(size_t klen) {
  if (klen > STRATA_KEY_MAX)
    return status_new(STRATA_INVALID_ARGUMENT, "key of %zu bytes is longer than the limit of %u bytes", klen,
                      STRATA_KEY_MAX);
  return NULL;
}

strata_status *db_check_value(size_t vlen) {
  if ((uint64_t)vlen > UINT32_MAX)
    return status_new(STRATA_INVALID_ARGUMENT, "value of %zu bytes is larger than 4 GiB - 1", vlen);
  return NULL;
}

/* --- background errors ------------------------------------------------------------------- */

/* A full disk or a failing device may recover; a bad byte or a broken invariant does not. */
static int error_can_heal(const strata_status *st) {
  return status_is(st, STRATA_IO) || status_is(st, STRATA_NO_MEMORY);
}

void db_bg_fail(strata_db *db, strata_status *st, int source) {
  uint64_t now = clock_monotonic_ms();
  /* the first error is the one to report, unless a write left memory behind its journal */
  if (db->bg_error && (db->bg_error_sticky || (db->bg_error_source != source && source != DB_BG_FOREGROUND))) {
    strata_status_free(st);
    return;
  }
  if (!db->bg_error || db->bg_error_source != source) db->bg_backoff_ms = DB_BG_BACKOFF_MIN_MS;
  else {
    strata_status_free(db->bg_error); /* a failed retry: its error is the current cause */
    db->bg_backoff_ms = db->bg_backoff_ms * 2 > DB_BG_BACKOFF_MAX_MS ? DB_BG_BACKOFF_MAX_MS : db->bg_backoff_ms * 2;
  }
  db->bg_error = st;
  db->bg_error_source = source;
  db->bg_error_sticky = source == DB_BG_FOREGROUND || !error_can_heal(st);
  db->bg_retry_at_ms = now + db->bg_backoff_ms;
  sync_cond_broadcast(&db->bg_done); /* stalled writers return the error instead of waiting */
}

void db_bg_healed(strata_db *db, int source) {
  if (!db->bg_error || db->bg_error_source != source || db->bg_error_sticky) return;
  strata_status_free(db->bg_error);
  db->bg_error = NULL;
  db->bg_error_source = 0;
  sync_cond_broadcast(&db->bg_done);
  sync_cond_signal(&db->bg_wake);       /* the other thread paused on the error */
  sync_cond_signal(&db->compact_wake);
}

int db_bg_may_run(strata_db *db, int source, uint64_t *wait_ms) {
  *wait_ms = 0;
  if (!db->bg_error) return 1;
  if (db->bg_error_sticky || db->bg_error_source != source) return 0;
  uint64_t now = clock_monotonic_ms();
  if (now >= db->bg_retry_at_ms) return 1;
  *wait_ms = db->bg_retry_at_ms - now;
  return 0;
}

/* --- flushing ---------------------------------------------------------------------------- */

/* Journals below the tree's journal_min hold only flushed writes. */
static strata_status *remove_spent_journals(strata_db *db) {
  uint64_t *numbers = NULL;
  size_t count = 0;
  STATUS_TRY(journal_list(db->fs, db->journal_dir, &numbers, &count));
  uint64_t min = tree_journal_min(db->tree);
  strata_status *st = NULL;
  for (size_t i = 0; i < count && !st; i++) {
    if (numbers[i] >= min) continue;
    st = journal_remove(db->fs, db->journal_dir, numbers[i]);
    if (status_is(st, STRATA_NOT_FOUND)) { /* a concurrent flusher removed it first */
      strata_status_free(st);
      st = NULL;
    }
  }
  free(numbers);
  return st;
}

strata_status *db_flush_sealed(strata_db *db) {
  int flushed = 1, any = 0;
  while (flushed) {
    STATUS_TRY(tree_flush_oldest(db->tree, &flushed));
    any |= flushed;
    if (flushed) {
      db_compaction_notify(db);
      sync_mutex_lock(&db->bg_mu);
      sync_cond_broadcast(&db->bg_done);
      sync_mutex_unlock(&db->bg_mu);
    }
  }
  return any ? remove_spent_journals(db) : NULL;
}

/* Flushes while sealed memtables wait; after a failure, retries on the backoff schedule. */
static void *flush_thread(void *arg) {
  strata_db *db = arg;
  sync_mutex_lock(&db->bg_mu);
  while (!db->bg_stop) {
    uint64_t wait_ms = 0;
    if (!db_bg_may_run(db, DB_BG_FLUSH, &wait_ms) || (!db->bg_error && tree_sealed_count(db->tree) == 0)) {
      if (wait_ms) sync_cond_timedwait(&db->bg_wake, &db->bg_mu, wait_ms);
      else sync_cond_wait(&db->bg_wake, &db->bg_mu);
      continue;
    }
    sync_mutex_unlock(&db->bg_mu);
    strata_status *st = db_flush_sealed(db);
    sync_mutex_lock(&db->bg_mu);
    if (st) db_bg_fail(db, st, DB_BG_FLUSH);
    else db_bg_healed(db, DB_BG_FLUSH);
    sync_cond_broadcast(&db->bg_done);
  }
  sync_mutex_unlock(&db->bg_mu);
  return NULL;
}

static strata_status *bg_error_copy(const strata_db *db) {
  const char *what = db->bg_error_source == DB_BG_COMPACTION ? "background compaction failed"
                     : db->bg_error_source == DB_BG_FOREGROUND ? "the database refuses writes"
                                                                : "background flush failed";
  const char *how = db->bg_error_sticky ? "reopen the database" : "retrying with backoff; strata_resume retries now";
  return status_new(strata_status_code(db->bg_error), "%s (%s): %s", what, how, strata_status_message(db->bg_error));
}

static strata_status *background_error(strata_db *db) {
  sync_mutex_lock(&db->bg_mu);
  strata_status *st = db->bg_error ? bg_error_copy(db) : NULL;
  sync_mutex_unlock(&db->bg_mu);
  return st;
}

strata_status *strata_resume(strata_db *db) {
  HANDLE_CHECK(db, HANDLE_DB);
  sync_mutex_lock(&db->bg_mu);
  int source = db->bg_error ? db->bg_error_source : DB_BG_FLUSH;
  strata_status *st = db->bg_error && db->bg_error_sticky ? bg_error_copy(db) : NULL;
  sync_mutex_unlock(&db->bg_mu);
  if (st) return st;
  /* the work that failed, now, on this thread (both are safe beside the background threads);
   * without threads, what a failed maintenance step left: the flushes, then a compaction */
  int did = 0;
  if (source == DB_BG_COMPACTION) st = db_compaction_step(db, &did, NULL);
  else st = db_flush_sealed(db);
  if (!st && !db->bg_running) st = db_compaction_step(db, &did, NULL);
  sync_mutex_lock(&db->bg_mu);
  strata_status *copy = NULL;
  if (st) {
    copy = status_new(strata_status_code(st), "resume: %s", strata_status_message(st));
    if (db->bg_error || !error_can_heal(st)) db_bg_fail(db, st, source);
    else strata_status_free(st); /* nothing to keep: a later step retries, the caller has it */
  } else {
    db_bg_healed(db, source);
  }
  sync_mutex_unlock(&db->bg_mu);
  if (!copy) db_compaction_notify(db);
  return copy;
}

/* Seals the active memtable once it is full (write_mu held) and wakes the flusher. */
static strata_status *seal_if_full(strata_db *db) {
  if (tree_active_memtable_bytes(db->tree) < db->opts.memtable_size) return NULL;
  STATUS_TRY(journal_writer_rotate(db->journal));
  int sealed = 0;
  STATUS_TRY(tree_rotate_memtable(db->tree, db->next_seqno, journal_writer_number(db->journal), &sealed));
  if (sealed && db->bg_running) {
    sync_mutex_lock(&db->bg_mu);
    sync_cond_signal(&db->bg_wake);
    sync_mutex_unlock(&db->bg_mu);
  }
  return NULL;
}

/*
 * Before a write (write_mu held): seals a memtable a failed rotation left full, then keeps
 * memory bounded while too many sealed memtables wait: with the flush thread by waiting for it
 * (a background error ends the wait and is returned), without by flushing here. Everything that
 * can fail happens before the write, so a failed write was not applied.
 */
static strata_status *make_room(strata_db *db) {
  STATUS_TRY(seal_if_full(db));
  if (tree_sealed_count(db->tree) <= db->opts.max_sealed_memtables) return NULL;
  atomic_u64_fetch_add(&db->write_stalls, 1);
  if (!db->bg_running) return db_flush_sealed(db);
  sync_mutex_lock(&db->bg_mu);
  sync_cond_signal(&db->bg_wake);
  while (tree_sealed_count(db->tree) > db->opts.max_sealed_memtables && !db->bg_error && !db->bg_stop)
    sync_cond_wait(&db->bg_done, &db->bg_mu);
  sync_mutex_unlock(&db->bg_mu);
  return background_error(db);
}

/* --- writes ------------------------------------------------------------------------------ */

static strata_status *gather_items(strata_db *db, const write_batch *b, size_t *n) {
  if (b->count > db->items_cap) {
    write_batch_item *grown = realloc(db->items, b->count * sizeof *grown);
    if (!grown) return status_no_memory();
    db->items = grown;
    db->items_cap = b->count;
  }
  write_batch_iter it;
  write_batch_iter_init(&it, b);
  size_t i = 0;
  while (i < b->count && write_batch_iter_next(&it, &db->items[i])) i++;
  if (i != b->count) return status_new(STRATA_CORRUPTION, "write batch holds %zu of %u items", i, b->count);
  *n = i;
  return NULL;
}

/* Applies the n gathered items newest first: an older operation on the same key in the batch
 * is superseded. */
static strata_status *apply_items(strata_db *db, size_t n, uint64_t seqno) {
  for (size_t i = n; i-- > 0;) {
    const write_batch_item *item = &db->items[i];
    strata_status *st = tree_write(db->tree, item->key, seqno, item->type, item->value);
    if (status_is(st, STRATA_EXISTS)) strata_status_free(st);
    else if (st) return st;
  }
  return NULL;
}

/* Gathers and applies a batch (journal replay). */
strata_status *db_apply_batch(strata_db *db, const write_batch *b, uint64_t seqno) {
  size_t n = 0;
  STATUS_TRY(gather_items(db, b, &n));
  return apply_items(db, n, seqno);
}

static strata_status *write_locked(strata_db *db, const write_batch *b, int sync) {
  if (write_batch_is_empty(b)) return NULL;
  if (db->next_seqno > SEQNO_MAX) return status_new(STRATA_NOT_SUPPORTED, "sequence numbers exhausted");
  STATUS_TRY(background_error(db));
  STATUS_TRY(db_compaction_stall(db));
  STATUS_TRY(background_error(db)); /* the stall ends early on a background error */
  STATUS_TRY(make_room(db));
  uint64_t seqno = db->next_seqno;
  size_t n = 0;
  STATUS_TRY(gather_items(db, b, &n)); /* a batch that cannot be decoded never reaches the journal */
  STATUS_TRY(journal_writer_append(db->journal, seqno, b, sync || db->opts.sync));
  strata_status *st = apply_items(db, n, seqno);
  if (st) {
    /* The journal holds the batch, so the next open applies it; in memory some of its items
     * may be in, under a seqno the next write would reuse. Refuse writes until reopened. */
    st = status_wrap(st, "the write was journaled but not applied in memory; it will be visible after the "
                         "database is reopened (this handle refuses writes until then)");
    sync_mutex_lock(&db->bg_mu);
    db_bg_fail(db, status_new(strata_status_code(st), "%s", strata_status_message(st)), DB_BG_FOREGROUND);
    sync_mutex_unlock(&db->bg_mu);
    return st;
  }
  db->next_seqno = seqno + 1;
  atomic_u64_store(&db->visible_seqno, seqno + 1);
  atomic_u64_fetch_add(&db->bytes_written_user, write_batch_byte_size(b));
  /* the write stands whatever happens here: a failed rotation is retried (and reported) by the
   * next write, before that one is applied */
  strata_status_free(seal_if_full(db));
  return NULL;
}

strata_status *strata_write(strata_db *db, strata_batch *b, int sync) {
  HANDLE_CHECK(db, HANDLE_DB);
  HANDLE_CHECK(b, HANDLE_BATCH);
  sync_mutex_lock(&db->write_mu);
  strata_status *st = write_locked(db, &b->batch, sync);
  sync_mutex_unlock(&db->write_mu);
  return st;
}

/* The caller (a public function) has checked its arguments. */
static strata_status *write_one(strata_db *db, value_type type, const void *key, size_t klen, const void *value,
                                size_t vlen, int sync) {
  STATUS_TRY(db_check_key(klen));
  STATUS_TRY(db_check_value(vlen));
  sync_mutex_lock(&db->write_mu);
  write_batch_clear(&db->single);
  strata_status *st = write_batch_add(&db->single, type, slice_make(key, klen), slice_make(value, vlen));
  if (!st) st = write_locked(db, &db->single, sync);
  sync_mutex_unlock(&db->write_mu);
  return st;
}

strata_status *strata_put(strata_db *db, const void *key, size_t klen, const void *value, size_t vlen, int sync) {
  HANDLE_CHECK(db, HANDLE_DB);
  ARG_BYTES(key, klen);
  ARG_BYTES(value, vlen);
  return write_one(db, VALUE_TYPE_VALUE, key, klen, value, vlen, sync);
}

strata_status *strata_delete(strata_db *db, const void *key, size_t klen, int sync) {
  HANDLE_CHECK(db, HANDLE_DB);
  ARG_BYTES(key, klen);
  return write_one(db, VALUE_TYPE_TOMBSTONE, key, klen, NULL, 0, sync);
}

strata_status *strata_single_delete(strata_db *db, const void *key, size_t klen, int sync) {
  HANDLE_CHECK(db, HANDLE_DB);
  ARG_BYTES(key, klen);
  return write_one(db, VALUE_TYPE_WEAK_TOMBSTONE, key, klen, NULL, 0, sync);
}

strata_status *strata_flush(strata_db *db) {
  HANDLE_CHECK(db, HANDLE_DB);
  sync_mutex_lock(&db->write_mu);
  int sealed = 0;
  strata_status *st = background_error(db);
  if (!st && tree_active_memtable_bytes(db->tree) > 0) {
    st = journal_writer_rotate(db->journal);
    if (!st) st = tree_rotate_memtable(db->tree, db->next_seqno, journal_writer_number(db->journal), &sealed);
  }
  sync_mutex_unlock(&db->write_mu);
  if (!st) st = db_flush_sealed(db);
  return st;
}

/* The database's error if it cannot heal (a step does not retry what cannot succeed). */
static strata_status *sticky_error(strata_db *db) {
  sync_mutex_lock(&db->bg_mu);
  strata_status *st = db->bg_error && db->bg_error_sticky ? bg_error_copy(db) : NULL;
  sync_mutex_unlock(&db->bg_mu);
  return st;
}

/* A failed maintenance step: the host's next step is the retry of an error that can heal; one
 * that cannot (corruption) becomes the database's error, as on the background threads. */
static strata_status *step_failed(strata_db *db, strata_status *st, int source) {
  if (!st || error_can_heal(st)) return st;
  sync_mutex_lock(&db->bg_mu);
  db_bg_fail(db, status_new(strata_status_code(st), "%s", strata_status_message(st)), source);
  sync_mutex_unlock(&db->bg_mu);
  return st;
}

strata_status *strata_maintenance_step(strata_db *db, uint64_t budget_bytes, int *more) {
  ARG_NOT_NULL(more);
  *more = 0;
  HANDLE_CHECK(db, HANDLE_DB);
  STATUS_TRY(sticky_error(db));
  sync_mutex_lock(&db->write_mu); /* an idle database still gets its interval sync */
  strata_status *sync_st = journal_writer_sync_if_due(db->journal, NULL);
  sync_mutex_unlock(&db->write_mu);
  STATUS_TRY(sync_st);
  /* units of work (a flush, one compaction job) until the budget is spent; at least one runs,
   * and a job is never split, so one step may overshoot the budget by one job */
  uint64_t spent = 0;
  for (;;) {
    tree_counters before = tree_get_counters(db->tree);
    int flushed = 0, compacted = 0;
    STATUS_TRY(step_failed(db, tree_flush_oldest(db->tree, &flushed), DB_BG_FLUSH));
    if (flushed) {
      STATUS_TRY(step_failed(db, remove_spent_journals(db), DB_BG_FLUSH));
      db_compaction_notify(db);
      spent += tree_get_counters(db->tree).bytes_flushed - before.bytes_flushed;
    } else {
      uint64_t bytes = 0;
      STATUS_TRY(step_failed(db, db_compaction_step(db, &compacted, &bytes), DB_BG_COMPACTION));
      spent += bytes;
    }
    if (!flushed && !compacted) break;
    if (spent >= budget_bytes) {
      *more = tree_sealed_count(db->tree) > 0 || compactor_has_work(db->compactor);
      break;
    }
  }
  return NULL;
}

/* --- open and close ---------------------------------------------------------------------- */

static uint64_t monotonic_clock(void *ctx) {
  (void)ctx;
  return clock_monotonic_ms();
}

/*
 * Stops background work: compaction first (a running merge is aborted), then the flush thread
 * (a flush in progress completes), then frees the compactor, which drops its tree reference.
 * Safe to call twice and on a partially opened database.
 */
static void stop_background(strata_db *db) {
  db_compaction_stop(db);
  if (db->bg_running) {
    sync_mutex_lock(&db->bg_mu);
    db->bg_stop = 1;
    sync_cond_broadcast(&db->bg_wake);
    sync_mutex_unlock(&db->bg_mu);
    sync_thread_join(&db->bg_thread);
    db->bg_running = 0;
  }
  db_compaction_free(db);
}

static void db_free(strata_db *db) {
  stop_background(db);
  strata_status_free(db->bg_error);
  tree_unref(db->tree);
  if (db->lock) strata_status_free(vfs_lock_release(db->fs, db->lock));
  if (db->owns_fs) vfs_destroy(db->fs);
  write_batch_free(&db->single);
  free(db->items);
  sync_mutex_destroy(&db->write_mu);
  sync_mutex_destroy(&db->scratch_mu);
  buffer_free(&db->scratch);
  sync_mutex_destroy(&db->bg_mu);
  sync_cond_destroy(&db->bg_wake);
  sync_cond_destroy(&db->bg_done);
  sync_cond_destroy(&db->compact_wake);
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
  if (!exists) STATUS_TRY(vfs_mkdir(db->fs, db->path));
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
  to.table_target_size = db->opts.compaction.table_target_size;
  if (db->opts.compression == STRATA_COMPRESSION_NONE) to.level_policy.compression_count = 0;
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
  if (db->opts.background_threads) {
    STATUS_TRY(sync_thread_start(&db->bg_thread, flush_thread, db));
    db->bg_running = 1;
  }
  return db_compaction_start(db);
}

strata_status *strata_open(const char *path, const strata_options *opts, strata_db **out) {
  ARG_NOT_NULL(out);
  *out = NULL;
  if (!path || !*path) return status_new(STRATA_INVALID_ARGUMENT, "database path is empty");
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
  write_batch_init(&db->single);
  atomic_u64_init(&db->visible_seqno, 0);
  buffer_init(&db->scratch);
  strata_status *st = sync_mutex_init(&db->write_mu);
  if (!st) st = sync_mutex_init(&db->scratch_mu);
  if (!st) st = sync_mutex_init(&db->bg_mu);
  if (!st) st = sync_cond_init(&db->bg_wake);
  if (!st) st = sync_cond_init(&db->bg_done);
  if (!st) st = sync_cond_init(&db->compact_wake);
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
  stop_background(db); /* neither compaction nor the flusher may run while the journal closes */
  strata_status *st = journal_writer_close(db->journal); /* syncs what was written */
  /* snapshots or iterators still reading: a later handle may compact their tables away */
  tree_keep_tables_open(db->tree);
  db_free(db);
  return st;
}
