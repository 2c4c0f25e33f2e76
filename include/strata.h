/*
 * strata.h -- the public C API of Strata, an LSM-tree key-value storage engine.
 *
 * Conventions:
 *   - Every fallible function returns a strata_status pointer: NULL means success, anything else
 *     is an error the caller owns and releases with strata_status_free().
 *   - Handles are opaque; each has one function that releases it.
 *   - No global state: everything hangs off the handles the caller creates.
 *
 * Misuse is an error, not undefined behaviour (API armour, always on; SQLite's
 * SQLITE_ENABLE_API_ARMOR). Each function checks its arguments on entry:
 *   - a NULL database handle is STRATA_NOT_OPEN; any other NULL handle, and a NULL
 *     out-parameter, is STRATA_INVALID_ARGUMENT (unless the function says NULL is allowed);
 *   - a handle of the wrong type (a snapshot passed as a database, ...) is
 *     STRATA_INVALID_ARGUMENT;
 *   - a closed handle is STRATA_NOT_OPEN. This is best effort, as in SQLite: closing overwrites
 *     the handle's tag before its memory is freed, so a stale handle is recognised only while that
 *     memory has not been reused. Never use a handle after closing it;
 *   - bytes given as (pointer, length) may have a NULL pointer only with length 0;
 *   - a snapshot passed to a read must be of that database: made by that handle, or by an
 *     earlier handle on the same folder and backend (another database: STRATA_INVALID_ARGUMENT).
 * Functions that cannot return a status (void ones, pointer- and count-returning ones) do
 * nothing on misuse and return NULL / 0; the releasing functions accept NULL as free() does.
 * On failure, an out-parameter that receives a handle is set to NULL.
 */
#ifndef STRATA_H
#define STRATA_H

#include <stddef.h>
#include <stdint.h>

#include "strata_limits.h" /* key, value and batch limits, option ranges, defaults */

#ifdef __cplusplus
extern "C" {
#endif

#define STRATA_VERSION_MAJOR 0
#define STRATA_VERSION_MINOR 1
#define STRATA_VERSION_PATCH 0

/* Stable error codes; the JS binding maps them to STRATA_<NAME> strings. */
typedef enum strata_code {
  STRATA_OK = 0,
  STRATA_NOT_FOUND = 1,        /* a key or file that does not exist */
  STRATA_CORRUPTION = 2,       /* bytes on disk fail a checksum or a bounds check */
  STRATA_IO = 3,               /* the operating system or storage backend failed */
  STRATA_INVALID_ARGUMENT = 4, /* the caller passed something the engine cannot accept */
  STRATA_NOT_SUPPORTED = 5,    /* the backend or build lacks the feature */
  STRATA_LOCKED = 6,           /* another writer holds the database's lock */
  STRATA_NO_MEMORY = 7,        /* an allocation failed */
  STRATA_EXISTS = 8,           /* something that must not exist already does */
  STRATA_NOT_OPEN = 9,         /* the handle was closed */
  STRATA_BUSY = 10,            /* the operation would block and was asked not to */
  STRATA_QUOTA = 11            /* the storage refused to grow: a browser's quota (QuotaExceededError) */
} strata_code;

typedef struct strata_status strata_status;

strata_code strata_status_code(const strata_status *st);      /* STRATA_OK for NULL */
const char *strata_status_message(const strata_status *st);   /* "ok" for NULL */
const char *strata_code_name(strata_code code);               /* "STRATA_CORRUPTION", ... */
void strata_status_free(strata_status *st);                   /* accepts NULL */

const char *strata_version_string(void);

/* Checksums of the engine's file formats, exposed so tools can verify files. NULL data with a
 * non-zero length returns 0. */
uint64_t strata_xxh3_64(const void *data, size_t len);


/* ---------------------------------------------------------------------------------------------
 * Databases
 *
 * Keys are 0..STRATA_KEY_MAX (65535) bytes (the empty key is valid) and values 0..STRATA_VALUE_MAX
 * (128 MiB) bytes, on every build (strata_limits.h says why); both are copied by the engine, so the
 * caller's buffers may be reused as soon as a call returns.
 * ------------------------------------------------------------------------------------------- */

typedef struct strata_db strata_db;
typedef struct strata_options strata_options;
typedef struct strata_snapshot strata_snapshot;
typedef struct strata_iterator strata_iterator;
typedef struct strata_batch strata_batch;
struct strata_vfs; /* a storage backend: the contract is include/strata_vfs.h; bindings plug theirs in */

/*
 * Handles, their lifetimes and what a function does with a bad one (see the conventions above):
 *   strata_db        strata_open .. strata_close. Iterators and snapshots it made outlive it.
 *   strata_snapshot  strata_snapshot_acquire .. strata_snapshot_release; outlives its handle,
 *                    and reads through it, or through a later handle on the same folder.
 *   strata_iterator  strata_iterator_new* .. strata_iterator_close; keeps reading after its
 *                    database is closed.
 *   strata_batch     strata_batch_new .. strata_batch_free.
 *   strata_options   strata_options_new .. strata_options_free; strata_open copies it. The
 *                    setters check the handle as every other function does.
 */

typedef enum strata_compression { STRATA_COMPRESSION_NONE = 0, STRATA_COMPRESSION_LZ4 = 1 } strata_compression;

/*
 * Options. Every setter checks its arguments: NULL when accepted, otherwise STRATA_INVALID_ARGUMENT
 * with a message naming the option and its valid range, and the option keeps its old value.
 * strata_open checks the whole set again, with the rules that tie options together (the level-0
 * trigger <= the slowdown mark <= the stop mark), since a later setter may change an earlier one's
 * neighbour. The ranges and the defaults are the macros of strata_limits.h.
 */
strata_status *strata_options_new(strata_options **out);
void strata_options_free(strata_options *o);
/* Flags: 0 is off, anything else on. */
strata_status *strata_options_set_create_if_missing(strata_options *o, int on); /* default 1 */
strata_status *strata_options_set_error_if_exists(strata_options *o, int on);   /* default 0 */
/* STRATA_MEMTABLE_SIZE_MIN (4 KiB) .. STRATA_MEMTABLE_SIZE_MAX (64 GiB; 1 GiB on 32-bit); default 64 MiB. */
strata_status *strata_options_set_memtable_size(strata_options *o, uint64_t bytes);
/* 0 (no cache) .. SIZE_MAX; default 16 MiB. */
strata_status *strata_options_set_block_cache_size(strata_options *o, uint64_t bytes);
/* 1: map table files read-only where the backend can (the platform's files in native 64-bit
 * builds): a block the cache misses is then taken from the mapping, without a system call or the
 * kernel's copy, so point reads and seeks are faster once the tables outgrow the block cache
 * (bench/README.md, strata-mmap). The mapped pages are the page cache every read goes through
 * anyway, but the process's resident memory (RSS) counts each one it touched (up to the whole
 * database), and a table file shortened or unreadable behind the engine's back raises SIGBUS
 * where a read returns an error. Default STRATA_DEFAULT_MAP_TABLES, 0: every block is read with
 * pread (the database, and strata_repair given these options). The journal's 1 MiB write window
 * is mapped either way. WASI, the browser and Node never map. */
strata_status *strata_options_set_map_tables(strata_options *o, int on);
/* On: each data block a flush, compaction or ingest writes is also put in the block cache, as a
 * read would keep it, while the cache has room for it without evicting anything (RocksDB's
 * prepopulate_block_cache, extended to compactions); a compaction takes the cached blocks of
 * its inputs out as it merges them, which leaves their room to the blocks of the tables that
 * replace them. The first reads of new data then hit instead of reading the file, at the cost of
 * filling the cache (up to its size) while writing. Default STRATA_DEFAULT_CACHE_WRITTEN_BLOCKS
 * (off; the JS package turns it on, where a miss is a call into JavaScript). */
strata_status *strata_options_set_cache_written_blocks(strata_options *o, int on);
/* STRATA_BLOCK_SIZE_MIN (64) .. STRATA_BLOCK_SIZE_MAX (4 MiB); default 4 KiB. */
strata_status *strata_options_set_block_size(strata_options *o, uint32_t bytes);
/* Compression below level 1 (levels 0-1 stay uncompressed): NONE or LZ4 (default). */
strata_status *strata_options_set_compression(strata_options *o, strata_compression c);
/* 0 (no filter) .. 100; default 10. */
strata_status *strata_options_set_bloom_bits_per_key(strata_options *o, double bits);
strata_status *strata_options_set_sync(strata_options *o, int on); /* fsync every write; default 0 */
/* Without per-write sync: fsync the journal at most this long after a write (0 = never by time);
 * every value is valid. */
strata_status *strata_options_set_sync_interval_ms(strata_options *o, uint32_t ms);
/* Background flush/compaction threads; default 1 where available. A build without threads
 * accepts 1 and runs maintenance steps instead (see strata_maintenance_step). */
strata_status *strata_options_set_background_threads(strata_options *o, int on);
/* Sealed memtables allowed to wait for flush before writers stall: 0 .. 1024; default 1 (memory
 * for two memtables, as LevelDB and RocksDB hold by default). */
strata_status *strata_options_set_max_sealed_memtables(strata_options *o, uint32_t n);
/* Storage backend (include/strata_vfs.h); NULL (default) = the platform's files. The backend must
 * outlive the database. strata_open refuses a backend of an unknown contract version
 * (STRATA_NOT_SUPPORTED) or one missing a method (STRATA_INVALID_ARGUMENT). */
strata_status *strata_options_set_vfs(strata_options *o, struct strata_vfs *v);

/*
 * Compaction strategy (one per database; the last call wins). An argument of 0 keeps the
 * current value (for size_ratio, where 0 is a valid ratio, -1 does).
 *  - leveled (default): level 0 is merged down at `l0_trigger` tables (default 4, at least 1);
 *    each level holds `level_ratio` (default 10; (1, 1000]) times the one above; whole tables
 *    that overlap nothing below are moved, not rewritten.
 *  - tiered (size-tiered, RocksDB "universal"): runs of similar size are merged once there are
 *    `run_trigger` (default 4, at least 1) of them; a run joins while it is at most
 *    (1 + size_ratio) times the runs taken before it (default 1.0; [0, 1000]); everything is
 *    merged when the newer runs exceed max_space_amp_pct % of the oldest (default 200, at least 1).
 *  - FIFO: the oldest tables are dropped once the tree exceeds `limit_bytes` (0 = no limit) or
 *    when older than `ttl_ms` (0 = no time-to-live; checked when compaction runs). Nothing is
 *    merged, and level 0 never stalls writes. Every value is valid.
 */
strata_status *strata_options_set_compaction_leveled(strata_options *o, uint32_t l0_trigger, double level_ratio);
strata_status *strata_options_set_compaction_tiered(strata_options *o, uint32_t run_trigger, double size_ratio,
                                                    uint32_t max_space_amp_pct);
strata_status *strata_options_set_compaction_fifo(strata_options *o, uint64_t limit_bytes, uint64_t ttl_ms);
/* The level-0 trigger alone (0 keeps it); strata_open requires trigger <= slowdown. */
strata_status *strata_options_set_level0_trigger(strata_options *o, uint32_t tables);
/* Writes slow down at `slowdown` level-0 tables (tiered: runs) and stop at `stop` (defaults 20
 * and 30; 0 keeps a value; slowdown <= stop). */
strata_status *strata_options_set_level0_stall(strata_options *o, uint32_t slowdown, uint32_t stop);
/* Flushes and compactions split their output into tables of about this size: 1 KiB .. 1 TiB
 * (0 keeps it); default 64 MiB. */
strata_status *strata_options_set_table_target_size(strata_options *o, uint64_t bytes);

/*
 * Key-value separation (lsm-tree's blob tree; off by default). Values of at least `threshold`
 * bytes (STRATA_KV_THRESHOLD_MIN..MAX; default 1 KiB) are written at flush to blob files
 * (`blobs/<id>`) of about `file_target_size` bytes (STRATA_BLOB_FILE_TARGET_SIZE_MIN..MAX; default
 * 64 MiB), each value compressed with `compression`; tables keep small handles, so compaction no
 * longer rewrites the values. Compaction collects garbage: a blob file whose share of
 * unreferenced bytes reaches `staleness_threshold` ((0, 1]; default 0.25) and that is among the
 * oldest `age_cutoff` ((0, 1]; default 0.25) of the blob files has its live values copied to a
 * new file when compaction rewrites the tables pointing into it; a file with no live value left
 * is deleted once no snapshot or iterator reads it. A threshold of 0 turns separation off (the
 * other arguments are then ignored). The mode is fixed when the database is created (its manifest
 * records it): opening a database created without separation with a threshold set is
 * STRATA_INVALID_ARGUMENT; opening a separated one without this option keeps it separated, with
 * STRATA_DEFAULT_KV_THRESHOLD and the other arguments' defaults (so any reader opens it).
 */
strata_status *strata_options_set_kv_separation(strata_options *o, uint32_t threshold, uint64_t file_target_size,
                                                strata_compression compression, double staleness_threshold,
                                                double age_cutoff);

/*
 * A compaction filter sees each value compaction rewrites (never a delete) and keeps it, removes
 * it (no delete is left: an older version still kept for a snapshot may reappear), or replaces
 * it with `*new_value` / `*new_len`, bytes the filter owns until its next call. It runs on
 * compaction threads and must not call into the database.
 */
typedef enum strata_filter_verdict {
  STRATA_FILTER_KEEP = 0,
  STRATA_FILTER_REMOVE = 1,
  STRATA_FILTER_REPLACE = 2
} strata_filter_verdict;
typedef strata_filter_verdict (*strata_compaction_filter)(void *ctx, const void *key, size_t klen, const void *value,
                                                          size_t vlen, const void **new_value, size_t *new_len);
strata_status *strata_options_set_compaction_filter(strata_options *o, strata_compaction_filter fn, void *ctx);

/*
 * What an open does with a damaged journal. Only an incomplete last record at the end of the
 * newest journal is a torn tail (a crash mid-append): it is cut in every mode and reported.
 *  - STRATA_RECOVERY_STRICT (default): any other damage (a bad checksum, a truncated or missing
 *    journal that is not the newest) fails the open with STRATA_CORRUPTION naming the journal,
 *    the offset and how many later batches exist.
 *  - STRATA_RECOVERY_POINT_IN_TIME: opens at the last consistent point before the damage; every
 *    later journal byte is moved to the `lost/` folder (never replayed later), and sequence
 *    numbers continue above the highest one found in any journal, so nothing older can shadow
 *    a new write.
 */
typedef enum strata_recovery_mode {
  STRATA_RECOVERY_STRICT = 0,
  STRATA_RECOVERY_POINT_IN_TIME = 1
} strata_recovery_mode;
/* An unknown mode is STRATA_INVALID_ARGUMENT and leaves the options as they were. */
strata_status *strata_options_set_recovery_mode(strata_options *o, strata_recovery_mode mode);

/* What the last open found and did (strata_get_recovery_report). */
typedef struct strata_recovery_report {
  uint32_t journals_replayed;
  uint64_t batches_replayed;
  uint64_t torn_bytes_cut;       /* the incomplete tail of the newest journal, cut (not counting its
                                    all-zero end: space the storage reserved and nothing wrote) */
  int damaged;                   /* 1: damage was found (only possible in point-in-time mode) */
  uint64_t damaged_journal;      /* the first damaged journal's number, when damaged */
  uint64_t damaged_offset;       /* ... and the offset of its first bad byte */
  uint64_t batches_discarded;    /* intact batches after the damage, set aside in lost/ */
  uint64_t highest_seqno_seen;   /* the highest seqno found in any journal, replayed or not */
  int manifest_fallback;         /* the newer manifest slot was torn; the older one was safe to use */
  uint32_t files_moved_to_lost;  /* files set aside in <db>/lost/ by this open */
  uint64_t obsolete_files_removed; /* table and blob files provably older than the version, deleted */
} strata_recovery_report;
/* Copies into *out what this handle's open found and did; it does not change while the handle lives. */
strata_status *strata_get_recovery_report(strata_db *db, strata_recovery_report *out);

/*
 * Rebuilds the database in folder `path` from the files that verify, as LevelDB's RepairDB does:
 * for a database that no longer opens (both manifest slots damaged, a damaged journal in
 * strict mode). Every table file is read whole and checked (block checksums, file checksum,
 * its metadata against its entries); tables that fail move to `<db>/lost/`. Every intact batch
 * of every journal is salvaged, also after damaged bytes, into new tables, and the journals move
 * to lost/. Tables whose key and seqno ranges overlap are merged, so the newest version of each
 * key wins in every read. A new manifest lists the result and sequence numbers continue above
 * the highest one found. Damaged manifest slots move to lost/. Files that are not the
 * database's are left alone. A key-value separated database (its manifest says so, or it has a
 * blobs/ folder) stays separated: every blob file is read whole and one that fails moves to
 * lost/; a table holding handles into a missing or damaged blob file is rewritten with each such
 * entry turned into a delete at its seqno (counted in blob_values_lost: the value is lost, and
 * no older version of the key, nor a wrong value, takes its place) and the original moves to
 * lost/; a verified blob file no kept table points into moves to lost/ too.
 *
 * `opts` may be NULL (options that are not a live handle are STRATA_INVALID_ARGUMENT); its vfs,
 * block size, bloom bits, compression, memtable size and table target size are used. The call
 * takes the database's lock (STRATA_LOCKED while a handle has it open). A missing folder is
 * STRATA_NOT_FOUND, as is a folder holding no database; a file is STRATA_INVALID_ARGUMENT.
 * *out (required) receives what was kept and lost; release it with strata_repair_report_clear.
 * While both manifest slots are intact, tables the newest one no longer lists (compacted or
 * dropped away, the file left by a crash) move to lost/ unread, as do journals below its
 * journal_min. Once a slot is damaged nothing proves a table obsolete: repair keeps every table
 * that verifies, so data a compaction filter, drop_range or FIFO removed shortly before the
 * damage may reappear.
 */
typedef struct strata_repair_report {
  uint32_t tables_found;           /* table files in tables/ */
  uint32_t tables_kept;            /* verified, and listed as they were */
  uint32_t tables_damaged;         /* failed verification: moved to lost/ */
  uint32_t tables_obsolete;        /* not listed by an intact newest manifest: moved to lost/ */
  uint32_t tables_merged;          /* verified, but overlapping others in keys and seqnos: rewritten */
  uint32_t tables_written;         /* new tables: salvaged journal batches and merge output */
  uint32_t journals_read;
  uint64_t journal_batches_salvaged;
  uint64_t journal_batches_lost;   /* damaged batches whose start record still verified */
  uint64_t journal_bytes_lost;     /* damaged journal bytes skipped (torn tails not counted) */
  uint64_t journal_torn_bytes;     /* incomplete or zero-filled journal tails */
  uint32_t manifest_slots_damaged; /* slot files that existed but did not verify */
  uint32_t files_moved_to_lost;
  uint64_t entries;                /* entries (all versions) in the repaired database */
  uint64_t highest_seqno;          /* the highest seqno found; writes continue above it */
  char *log;                       /* one line per file acted on, NUL-terminated; NULL when none */
  /* key-value separation (after `log`, so the layout before it stays as the WASI ABI pins it):
   * blob files in blobs/, each read whole */
  uint32_t blob_files_found;
  uint32_t blob_files_kept;         /* verified, and listed */
  uint32_t blob_files_damaged;      /* failed verification: moved to lost/ */
  uint32_t blob_files_obsolete;     /* not listed by an intact newest manifest: moved to lost/ */
  uint32_t blob_files_unreferenced; /* verified, but no table that verified points into it: moved to lost/ */
  uint32_t tables_rewritten;        /* held handles into missing or damaged blob files: rewritten, the original to lost/ */
  uint64_t blob_values_lost;        /* those handles: each entry became a delete (never an older or wrong value) */
} strata_repair_report;
strata_status *strata_repair(const char *path, const strata_options *opts, strata_repair_report *out);
void strata_repair_report_clear(strata_repair_report *r);

/* Opens (creating, if allowed) the database in folder `path`. STRATA_LOCKED, naming the holder, if
 * another handle has it: in this or another process, native, Node or WASI (docs/LOCKING.md).
 * `opts` may be NULL (the defaults); `path` and `out` may not. */
strata_status *strata_open(const char *path, const strata_options *opts, strata_db **out);
/* Waits for background work, releases the lock and frees the handle (also on error). Snapshots and
 * iterators still open keep what they read alive and must still be released. NULL is a no-op
 * (returns NULL); a closed handle is STRATA_NOT_OPEN (best effort), a foreign one
 * STRATA_INVALID_ARGUMENT, and neither is touched. */
strata_status *strata_close(strata_db *db);

/*
 * Writes. A write that returns an error was not applied: it is neither visible nor replayed by a
 * later open. The one exception says so in its message ("the write was journaled but not
 * applied in memory; ... visible after the database is reopened"): the journal holds it, memory
 * ran out applying it, and the handle refuses further writes until reopened.
 *
 * Background errors: while a background flush or compaction keeps failing, writes fail with
 * its error ("background flush failed: ..."), and writers waiting for that work get the error
 * instead of waiting. A full disk or another I/O error (STRATA_IO) is retried with backoff (10 ms
 * doubling to 1 s) and clears itself once the cause is gone; anything else (corruption, ...)
 * stays until the database is reopened.
 *
 * Limits (strata_limits.h), checked on entry before any byte of key or value is read: a key over
 * STRATA_KEY_MAX or a value over STRATA_VALUE_MAX is STRATA_INVALID_ARGUMENT naming the size and
 * the limit (strata_put, strata_batch_put, ...); so is a strata_batch_* call that would take the
 * batch over STRATA_BATCH_COUNT_MAX operations or STRATA_BATCH_BYTES_MAX encoded bytes (each
 * operation counts STRATA_BATCH_ITEM_BYTES(klen, vlen)), and the batch is left as it was.
 */
strata_status *strata_put(strata_db *db, const void *key, size_t klen, const void *value, size_t vlen, int sync);
strata_status *strata_delete(strata_db *db, const void *key, size_t klen, int sync);
/* Removes a key written once since its last delete (a "weak" tombstone cancelling one value). */
strata_status *strata_single_delete(strata_db *db, const void *key, size_t klen, int sync);

/*
 * Point read at a snapshot (NULL = latest). *found = 0 when absent. The value is malloc'd for the
 * caller (free with strata_free); strata_get_into reads into the caller's buffer instead and
 * reports the full length in *vlen even when it exceeds cap (then only cap bytes are written).
 * Bytes of buf past the value (or all of them, when absent or on an error) are unspecified.
 * `found`, `value` and `vlen` must not be NULL; `buf` may be NULL only with cap 0 (a length query,
 * which never reads a value kept in a blob file: its handle holds the length).
 * `snap` must be of this database (STRATA_INVALID_ARGUMENT otherwise).
 */
strata_status *strata_get(strata_db *db, const strata_snapshot *snap, const void *key, size_t klen,
                          int *found, void **value, size_t *vlen);
strata_status *strata_get_into(strata_db *db, const strata_snapshot *snap, const void *key, size_t klen,
                               int *found, void *buf, size_t cap, size_t *vlen);
void strata_free(void *p); /* accepts NULL */

/* Atomic batches: every operation gets the same seqno and becomes visible at once.
 * strata_batch_count of a bad handle is 0; strata_batch_clear / _free ignore one. */
strata_status *strata_batch_new(strata_batch **out);
void strata_batch_free(strata_batch *b);
strata_status *strata_batch_put(strata_batch *b, const void *key, size_t klen, const void *value, size_t vlen);
strata_status *strata_batch_delete(strata_batch *b, const void *key, size_t klen);
strata_status *strata_batch_single_delete(strata_batch *b, const void *key, size_t klen);
size_t strata_batch_count(const strata_batch *b);
void strata_batch_clear(strata_batch *b);
strata_status *strata_write(strata_db *db, strata_batch *b, int sync);

/* A consistent view as of now: later writes, flushes and compactions do not change it.
 * strata_snapshot_seqno of a bad handle is 0; strata_snapshot_release ignores one. */
strata_status *strata_snapshot_acquire(strata_db *db, strata_snapshot **out);
void strata_snapshot_release(strata_snapshot *snap);
uint64_t strata_snapshot_seqno(const strata_snapshot *snap);

/* Iterators over a key range at a snapshot (NULL = an implicit snapshot taken now). */
typedef enum strata_bound { STRATA_UNBOUNDED = 0, STRATA_INCLUDED = 1, STRATA_EXCLUDED = 2 } strata_bound;
typedef struct strata_range {
  strata_bound lo_kind;
  const void *lo;
  size_t lo_len;
  strata_bound hi_kind;
  const void *hi;
  size_t hi_len;
} strata_range;

/*
 * range NULL = every key; strata_iterator_new_prefix limits to keys starting with prefix. A bound
 * kind outside strata_bound, or a bound key longer than STRATA_KEY_MAX, is
 * STRATA_INVALID_ARGUMENT (also for strata_drop_range); an unbounded end's key is ignored.
 * `snap` must be of this database.
 *
 * On a bad iterator handle the functions below do nothing (valid: 0; key / value: NULL with
 * *len = 0). On a live iterator, a read while it is not valid, a NULL length pointer, or a seek
 * to a NULL key with a non-zero length returns NULL / does not move, and strata_iterator_status
 * reports the misuse (STRATA_INVALID_ARGUMENT, once). next / prev on an invalid iterator do nothing.
 */
strata_status *strata_iterator_new(strata_db *db, const strata_snapshot *snap, const strata_range *range,
                                   strata_iterator **out);
strata_status *strata_iterator_new_prefix(strata_db *db, const strata_snapshot *snap, const void *prefix,
                                          size_t len, strata_iterator **out);
void strata_iterator_seek_first(strata_iterator *it);
void strata_iterator_seek_last(strata_iterator *it);
void strata_iterator_seek(strata_iterator *it, const void *key, size_t klen);          /* first >= key */
void strata_iterator_seek_for_prev(strata_iterator *it, const void *key, size_t klen); /* last <= key */
void strata_iterator_next(strata_iterator *it);
void strata_iterator_prev(strata_iterator *it);
int strata_iterator_valid(const strata_iterator *it);
/* Valid until the iterator moves; NULL with *klen = 0 when the iterator is not valid. */
const void *strata_iterator_key(const strata_iterator *it, size_t *klen);
const void *strata_iterator_value(const strata_iterator *it, size_t *vlen);
/* The error that made the iterator invalid, if any, then a recorded misuse (owned by the caller).
 * A bad handle: STRATA_INVALID_ARGUMENT (NULL, foreign) or STRATA_NOT_OPEN (closed). */
strata_status *strata_iterator_status(strata_iterator *it);
void strata_iterator_close(strata_iterator *it); /* accepts NULL */

/*
 * Bulk ingestion, for the initial load of a large data set: a sorted stream written straight into
 * tables (and blob files, with key-value separation) of the last level, skipping the journal and
 * the memtable. Keys must ascend strictly (unsigned bytes; a key out of order is
 * STRATA_INVALID_ARGUMENT and leaves the ingest usable, as does a backend's STRATA_BUSY ("would
 * block", strata_vfs.h) creating the next table or blob file: that entry was not taken); keys and values are bounded as for
 * strata_put. begin refuses a database that already holds tables (writes still in the memtable
 * are fine). Ingested entries are older than every write: a key put or deleted before or after
 * finishing wins over an ingested one. Nothing is visible until strata_ingest_finish installs
 * everything at once, durably (synced files, then the manifest); snapshots taken before never
 * see it. finish and abandon free the ingest; what a failed or abandoned ingest wrote is removed.
 * Except: a finish refused with STRATA_BUSY (the backend would block creating a manifest slot)
 * installed nothing and leaves the ingest as it was: finish it again or abandon it.
 */
typedef struct strata_ingest strata_ingest;
strata_status *strata_ingest_begin(strata_db *db, strata_ingest **out);
strata_status *strata_ingest_add(strata_ingest *in, const void *key, size_t klen, const void *value, size_t vlen);
/* *entries (may be NULL) = the entries installed. */
strata_status *strata_ingest_finish(strata_ingest *in, uint64_t *entries);
void strata_ingest_abandon(strata_ingest *in); /* accepts NULL */

/* Seals the active memtable and writes every sealed memtable to a table; returns when done. */
strata_status *strata_flush(strata_db *db);
/*
 * Single-threaded builds (and threaded ones with background threads off): runs pending flushes
 * and compactions until `budget_bytes` of output are written; *more = 1 when work remains. The
 * units are one flush and one compaction job; at least one runs, and the last may overshoot.
 * `more` must not be NULL.
 */
strata_status *strata_maintenance_step(strata_db *db, uint64_t budget_bytes, int *more);
/*
 * *events = a count that grows whenever a maintenance step may find new work: a memtable was
 * sealed, a flush, compaction or range drop installed a version, a failed flush or compaction
 * healed. A host that runs the steps of many databases on threads of its own steps a database
 * (until *more is 0) only once its count moved since the last step began. Cheap: one atomic load.
 */
strata_status *strata_maintenance_events(strata_db *db, uint64_t *events);

/*
 * Retries the failed background work now (instead of at the next backoff tick) and returns its
 * result: NULL when the database is healthy again (also when nothing had failed), the error
 * otherwise. An error that cannot heal (corruption, ...) is returned as it is, without a retry.
 */
strata_status *strata_resume(strata_db *db);

/*
 * major = 0: runs the strategy's compactions until it has none left. major = 1: flushes, then
 * merges every table into one run in the last level, dropping deleted keys and old versions no
 * snapshot can see. Returns when done.
 */
strata_status *strata_compact(strata_db *db, int major);
/*
 * Progress of long work, one callback shape for every such call (compaction here; bulk loads
 * and imports take the same): `done` and `total` are bytes of input. `total` may grow while the
 * work finds more (a minor compaction picks its jobs one after another) and done <= total at
 * every call; the last call, when the work succeeded, has done == total (0 and 0 when there was
 * nothing to do). It runs on the thread doing the work, must return quickly and must not call
 * into the database.
 */
typedef void (*strata_progress_fn)(void *ctx, uint64_t done, uint64_t total);
/* strata_compact reporting progress: bytes of the merges' input tables (moves and drops read
 * nothing), counted as their entries are read; fn NULL is strata_compact. */
strata_status *strata_compact_with_progress(strata_db *db, int major, strata_progress_fn fn, void *ctx);
/*
 * Removes every table whose keys all lie inside `range` (NULL = all), without rewriting
 * anything: quick, but keys in memtables or in tables reaching past the range stay. Snapshots
 * taken before keep reading the dropped keys.
 */
strata_status *strata_drop_range(strata_db *db, const strata_range *range);

typedef struct strata_level_stats {
  uint32_t tables;
  uint32_t runs;
  uint64_t bytes;
} strata_level_stats;

typedef struct strata_stats {
  uint32_t level_count;
  strata_level_stats levels[16];
  uint64_t memtable_bytes;    /* active + sealed */
  uint32_t sealed_memtables;
  uint64_t cache_hits, cache_misses, cache_bytes;
  uint64_t bytes_written_user;       /* keys + values accepted */
  uint64_t bytes_written_flush;
  uint64_t bytes_written_compaction; /* output of compaction merges */
  uint64_t flushes, compactions, write_stalls; /* compactions: merges, moves and drops installed */
  uint64_t seqno;                    /* the next seqno a write will get */
  uint32_t snapshots_open;
  uint32_t versions_alive;           /* super versions still pinned (history length) */
  /* appended after the first release's fields, so bindings reading those keep working */
  uint64_t bytes_read_compaction;    /* input of compaction merges */
  uint64_t write_slowdowns;          /* writes delayed because level 0 was over the slowdown mark */
  double write_amplification;        /* (flush + compaction bytes) / user bytes; 0 before any write */
  /* key-value separation (all 0 without it) */
  uint64_t blob_files;               /* blob files in the current version */
  uint64_t blob_bytes;               /* their sizes */
  uint64_t blob_stale_bytes;         /* record bytes no table points to any more */
  uint64_t blob_reads;               /* values read from blob files (blob cache misses) */
  uint64_t blob_bytes_relocated;     /* live bytes garbage collection copied to new files */
  uint64_t blob_files_reclaimed;     /* dead blob files deleted ... */
  uint64_t blob_bytes_reclaimed;     /* ... and their sizes */
} strata_stats;

strata_status *strata_get_stats(strata_db *db, strata_stats *out); /* out must not be NULL */

/* ---------------------------------------------------------------------------------------------
 * Export and import: a whole database as one file, an "image" (docs/IMAGE.md). Every build
 * writes and reads the same bytes. An image holds one version: its tables, the manifest that
 * lists them and the journal bytes holding writes not yet in tables; no older versions, no
 * snapshots, no lost/ folder.
 * ------------------------------------------------------------------------------------------- */

typedef struct strata_export strata_export;
typedef struct strata_importer strata_importer;

/*
 * Pins the database as of now (writes that returned before this call are in the image, later
 * ones are not), holding the write lock only for that, and returns a reader of the image:
 * writes, flushes and compactions go on while it is read. The pinned files stay on disk until
 * strata_export_end. End every export before closing its database.
 */
strata_status *strata_export_begin(strata_db *db, strata_export **out);
/* The image's length in bytes, known from the pin (0 for a bad handle). */
uint64_t strata_export_total(const strata_export *e);
/* Copies the next up to `cap` bytes of the image into buf; *n = 0 once it is all read. A table
 * that no longer has its recorded size is STRATA_CORRUPTION. `buf` and `n` must not be NULL. */
strata_status *strata_export_read(strata_export *e, void *buf, size_t cap, size_t *n);
void strata_export_end(strata_export *e); /* accepts NULL */
/* Receives the image in pieces (valid during the call); non-zero stops the export (STRATA_IO). */
typedef int (*strata_image_sink)(void *ctx, const void *data, size_t len);
strata_status *strata_export_to(strata_db *db, strata_image_sink sink, void *ctx);
/* The image into a new file `file` through the database's backend: STRATA_EXISTS if it exists;
 * on failure no file is left. */
strata_status *strata_export_file(strata_db *db, const char *file);

/*
 * Creates the database in folder `path` from an image. The folder must be missing or empty
 * (STRATA_EXISTS otherwise); `opts` may be NULL, only its backend is used. Everything is
 * verified -- every field, every file's checksum, the whole-image checksum in the trailer -- and
 * an image that fails is STRATA_CORRUPTION naming what and the offset (STRATA_NOT_SUPPORTED for a
 * format this build does not read). On any failure, also an I/O error midway, nothing is left:
 * a folder the import created is removed, an empty one is emptied again. The folder's lock is
 * held meanwhile; the manifest, the file that makes the folder a database, is written last.
 */
strata_status *strata_import(const char *path, const strata_options *opts, const void *image, size_t len);
/* The same from an image file read through opts' backend. */
strata_status *strata_import_file(const char *image_file, const char *path, const strata_options *opts);
/* The same fed in pieces: begin (checks and locks the folder), write as bytes arrive (each piece
 * is checked as it comes; the files are written meanwhile), then finish, which verifies the end of
 * the image and writes the manifest, or abort. finish and abort free the importer; after a failed
 * write only abort is accepted (and finish reports the failure again, then cleans up). */
strata_status *strata_importer_begin(const char *path, const strata_options *opts, strata_importer **out);
strata_status *strata_importer_write(strata_importer *im, const void *data, size_t len);
/* Bytes taken so far, and the image's length once its header arrived (0 before). */
uint64_t strata_importer_done(const strata_importer *im);
uint64_t strata_importer_total(const strata_importer *im);
strata_status *strata_importer_finish(strata_importer *im);
void strata_importer_abort(strata_importer *im); /* accepts NULL */

#ifdef __cplusplus
}
#endif
#endif /* STRATA_H */
