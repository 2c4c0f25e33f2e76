/*
 * strata_js.h -- the C functions the JS package calls besides the public API (exported through
 * bindings/js/exports.txt). They take flat arguments (numbers and pointers into wasm memory) where
 * strata.h takes structs, and move results in bulk (a page of iterator entries per call).
 */
#ifndef STRATA_JS_STRATA_JS_H
#define STRATA_JS_STRATA_JS_H

#include "strata.h"
#include "vfs/vfs.h"

/* Storage backends: kind 0 = the JS host backend (vfs_js.c) calling Module.strataHosts[host],
 * 1 = memory (host unused). NULL when out of memory. */
vfs *strata_js_vfs_new(int kind, int host);
void strata_js_vfs_free(vfs *v);
strata_status *strata_js_vfs_lock(vfs *v, const char *path, vfs_lock **out);
strata_status *strata_js_vfs_unlock(vfs *v, vfs_lock *lock);
/* Runs the storage conformance suite over the backend (and the fault wrapper over it) in `dir`
 * (vfs_check.c). */
strata_status *strata_js_vfs_check(vfs *v, const char *dir);
/* The walk on a background thread (pthreads build; STRATA_NOT_SUPPORTED otherwise). */
strata_status *strata_js_vfs_check_threaded(vfs *v, const char *dir);

/* Compaction options as JS passes them (it has validated them); -1 = unset, the engine's
 * default. The knobs a strategy does not take stay -1. JS writes the fields by name and offset
 * (strata_js_describe). */
enum { STRATA_JS_STRATEGY_DEFAULT = 0, STRATA_JS_STRATEGY_LEVELED = 1, STRATA_JS_STRATEGY_TIERED = 2,
       STRATA_JS_STRATEGY_FIFO = 3 };
typedef struct strata_js_compaction {
  double strategy;                        /* STRATA_JS_STRATEGY_* */
  double level0_trigger, level_ratio;     /* leveled */
  double run_trigger, size_ratio, max_space_amplification_percent; /* tiered */
  double limit_bytes, ttl_ms;             /* FIFO */
  double table_target_size;
  double level0_slowdown, level0_stop;    /* the level-0 write stall marks */
  /* key-value separation (its garbage collection runs in compaction): threshold <= 0 = off */
  double kv_threshold, kv_file_target_size, kv_compression, kv_staleness_threshold, kv_age_cutoff;
} strata_js_compaction;

/* Databases. Sizes <= 0 and kinds < 0 mean "the engine's default" (max_sealed_memtables: < 0).
 * `compaction` is NULL or the strategy and its knobs. recovery_mode: a strata_recovery_mode. */
strata_status *strata_js_open(const char *path, vfs *v, int create_if_missing, int error_if_exists,
                              double memtable_size, double block_cache_size, int compression,
                              double bloom_bits_per_key, int sync, int cache_written_blocks,
                              int background_threads, double max_sealed_memtables,
                              const strata_js_compaction *compaction, int recovery_mode, strata_db **out);
/*
 * strata_js_open with a compaction filter that calls JS (the strata_js_host_filter import, which
 * runs the JS filter registered for `filter` in Module.strataFilters; proxied to the main thread in the pthreads build). `filter` comes
 * from strata_js_filter_new and must outlive the database: free it after strata_js_close.
 */
typedef struct strata_js_filter strata_js_filter;
strata_js_filter *strata_js_filter_new(void); /* NULL when out of memory */
void strata_js_filter_free(strata_js_filter *f);
strata_status *strata_js_open_filtered(const char *path, vfs *v, int create_if_missing, int error_if_exists,
                                       double memtable_size, double block_cache_size, int compression,
                                       double bloom_bits_per_key, int sync, int cache_written_blocks,
                                       int background_threads, double max_sealed_memtables,
                                       const strata_js_compaction *compaction, int recovery_mode,
                                       strata_js_filter *filter, strata_db **out);
strata_status *strata_js_close(strata_db *db);
/* strata_resume: retries failed background work now. */
strata_status *strata_js_resume(strata_db *db);
strata_status *strata_js_put(strata_db *db, const void *key, size_t klen, const void *value, size_t vlen,
                             int sync);
strata_status *strata_js_delete(strata_db *db, const void *key, size_t klen, int sync);
strata_status *strata_js_single_delete(strata_db *db, const void *key, size_t klen, int sync);
/* strata_drop_range over a range given as strata_js_iter_new's bounds (kinds 0/1/2). */
strata_status *strata_js_drop_range(strata_db *db, int lo_kind, const void *lo, size_t lo_len, int hi_kind,
                                    const void *hi, size_t hi_len);
strata_status *strata_js_get(strata_db *db, const strata_snapshot *snap, const void *key, size_t klen, void *buf,
                             size_t cap, uint32_t *out);
/* Point reads of `count` keys (u32 length | key each) in one call; answers into buf as
 * u32 found | u32 value length | value, as many as fit (see strata_js.c): out[0] = answered,
 * out[1] = bytes used, out[2] = the bytes the first answer needs when none fit. */
strata_status *strata_js_get_many(strata_db *db, const strata_snapshot *snap, const uint8_t *keys, size_t len,
                                  uint32_t count, uint8_t *buf, size_t cap, uint32_t *out);
strata_status *strata_js_write(strata_db *db, const uint8_t *ops, size_t len, uint32_t count, int sync);
/* Bulk ingestion (strata_ingest_*): begin gives the handle in out[0]; add takes put operations in
 * the batch wire format and gives in added[0] how many it took (all, or those before a failure:
 * after STRATA_BUSY the rest go again); finish gives the entry count in out[0] (low) and out[1]
 * (high). */
strata_status *strata_js_ingest_begin(strata_db *db, uint32_t *out);
strata_status *strata_js_ingest_add(strata_ingest *in, const uint8_t *ops, size_t len, uint32_t count, uint32_t *added);
strata_status *strata_js_ingest_finish(strata_ingest *in, uint32_t *out);
void strata_js_ingest_abandon(strata_ingest *in);
strata_status *strata_js_snapshot(strata_db *db, strata_snapshot **out);
void strata_js_snapshot_release(strata_snapshot *snap);
strata_status *strata_js_flush(strata_db *db);
strata_status *strata_js_compact(strata_db *db, int major);
/* strata_compact_with_progress; each report calls the strata_js_host_progress import (which runs
 * Module.strataProgress, set by progress.js's withProgress) with done and total as doubles. Other
 * long calls (ingest, import) pass the same strata_progress_fn (js_progress in strata_js.c). */
strata_status *strata_js_compact_progress(strata_db *db, int major);
strata_status *strata_js_maintenance_step(strata_db *db, double budget_bytes, uint32_t *more);
/* strata_get_stats into *out; JS reads the fields by their described offsets. */
strata_status *strata_js_stats(strata_db *db, strata_stats *out);
/* What the open's recovery did (strata_get_recovery_report into *out). */
strata_status *strata_js_recovery_report(strata_db *db, strata_recovery_report *out);

/* Iterators that hand out pages of entries. */
typedef struct js_iter js_iter;
strata_status *strata_js_iter_new(strata_db *db, const strata_snapshot *snap, int lo_kind, const void *lo,
                                  size_t lo_len, int hi_kind, const void *hi, size_t hi_len, int reverse,
                                  js_iter **out);
void strata_js_iter_seek(js_iter *j, const void *key, size_t klen);
strata_status *strata_js_iter_page(js_iter *j, uint8_t *buf, size_t cap, uint32_t max, int want, uint32_t *out);
void strata_js_iter_close(js_iter *j);

/* Database images: strata_export_* with the image's length in *total (a double: lengths stay
 * below 2^53), and strata_importer_* on the backend; import_write sets *total once the header has
 * arrived (0 before). */
strata_status *strata_js_export_begin(strata_db *db, strata_export **out, double *total);
strata_status *strata_js_export_read(strata_export *e, void *buf, size_t cap, uint32_t *n);
void strata_js_export_end(strata_export *e);
strata_status *strata_js_import_begin(const char *path, vfs *v, strata_importer **out);
strata_status *strata_js_import_write(strata_importer *im, const void *data, size_t len, double *total);
strata_status *strata_js_import_finish(strata_importer *im);
void strata_js_import_abort(strata_importer *im);

/* strata_repair on the backend into *out; out->log is malloc'd (or NULL): the caller frees it. */
strata_status *strata_js_repair(const char *path, vfs *v, strata_repair_report *out);

/* The batch wire format of strata_js_write: per operation u8 type | u32 key length | key |
 * (put only) u32 value length | value, little-endian lengths. */
enum { STRATA_JS_OP_PUT = 0, STRATA_JS_OP_DELETE = 1, STRATA_JS_OP_SINGLE_DELETE = 2 };

/*
 * Descriptors (strata_js_describe.c): entry i of table `table`, or NULL past its end. Returns
 * the entry's name; out[0] = its value (a constant) or byte offset (a field), out[1] = its type
 * (STRATA_JS_T_*), out[2] = the array length (1 for a scalar). A layout table's "sizeof"
 * entry is the struct's size. Read once per module load.
 */
enum { STRATA_JS_TABLE_CODES, STRATA_JS_TABLE_OPEN_FLAGS, STRATA_JS_TABLE_STATS, STRATA_JS_TABLE_LEVEL_STATS,
       STRATA_JS_TABLE_RECOVERY, STRATA_JS_TABLE_REPAIR, STRATA_JS_TABLE_COMPACTION, STRATA_JS_TABLE_BATCH,
       STRATA_JS_TABLE_LIMITS, STRATA_JS_TABLE_FILTER, STRATA_JS_TABLE_COUNT };
enum { STRATA_JS_T_CONST = 0, STRATA_JS_T_U32 = 1, STRATA_JS_T_U64 = 2, STRATA_JS_T_F64 = 3, STRATA_JS_T_I32 = 4,
       STRATA_JS_T_LEVELS = 5, STRATA_JS_T_PTR = 6 };
const char *strata_js_describe(int table, uint32_t i, double *out);
/* The name of table `table` ("codes", "stats", ...), or NULL past the last. */
const char *strata_js_describe_table(int table);

#endif
