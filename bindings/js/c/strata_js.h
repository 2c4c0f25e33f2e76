/*
 * strata_js.h -- the C functions the JS package calls besides the public API (exported through
 * bindings/js/exports.txt). They take flat arguments (numbers and pointers into wasm memory) where
 * strata.h takes structs, and move results in bulk (a page of iterator entries per call).
 */
#ifndef STRATA_JS_STRATA_JS_H
#define STRATA_JS_STRATA_JS_H

#include "strata.h"
#include "vfs/vfs.h"

/* Storage backends: kind 0 = the JS host backend (vfs_js.c), 1 = memory. NULL when out of memory. */
vfs *strata_js_vfs_new(int kind);
void strata_js_vfs_free(vfs *v);
strata_status *strata_js_vfs_lock(vfs *v, const char *path, vfs_lock **out);
strata_status *strata_js_vfs_unlock(vfs *v, vfs_lock *lock);
/* Runs a conformance walk over the backend in `dir` (vfs_check.c). */
strata_status *strata_js_vfs_check(vfs *v, const char *dir);
/* The walk on a background thread (pthreads build; STRATA_NOT_SUPPORTED otherwise). */
strata_status *strata_js_vfs_check_threaded(vfs *v, const char *dir);

/* Databases. Sizes <= 0 and kinds < 0 mean "the engine's default". `compaction` is NULL or 8
 * doubles (strategy and knobs, see strata_js.c). recovery_mode: a strata_recovery_mode. */
strata_status *strata_js_open(const char *path, vfs *v, int create_if_missing, int error_if_exists,
                              double memtable_size, double block_cache_size, int compression,
                              double bloom_bits_per_key, int sync, int background_threads,
                              const double *compaction, int recovery_mode, strata_db **out);
strata_status *strata_js_close(strata_db *db);
/* strata_resume: retries failed background work now. */
strata_status *strata_js_resume(strata_db *db);
/* The option ranges of strata.h as 11 doubles (see strata_js.c). */
void strata_js_option_limits(double *out);
strata_status *strata_js_put(strata_db *db, const void *key, size_t klen, const void *value, size_t vlen,
                             int sync);
strata_status *strata_js_delete(strata_db *db, const void *key, size_t klen, int sync);
strata_status *strata_js_get(strata_db *db, const strata_snapshot *snap, const void *key, size_t klen, void *buf,
                             size_t cap, uint32_t *out);
strata_status *strata_js_write(strata_db *db, const uint8_t *ops, size_t len, uint32_t count, int sync);
strata_status *strata_js_snapshot(strata_db *db, strata_snapshot **out);
void strata_js_snapshot_release(strata_snapshot *snap);
strata_status *strata_js_flush(strata_db *db);
strata_status *strata_js_compact(strata_db *db, int major);
strata_status *strata_js_maintenance_step(strata_db *db, double budget_bytes, uint32_t *more);
strata_status *strata_js_stats(strata_db *db, double *out);
/* What the open's recovery did, as 11 doubles (see strata_js.c). */
strata_status *strata_js_recovery_report(strata_db *db, double *out);

/* Iterators that hand out pages of entries. */
typedef struct js_iter js_iter;
strata_status *strata_js_iter_new(strata_db *db, const strata_snapshot *snap, int lo_kind, const void *lo,
                                  size_t lo_len, int hi_kind, const void *hi, size_t hi_len, int reverse,
                                  js_iter **out);
void strata_js_iter_seek(js_iter *j, const void *key, size_t klen);
strata_status *strata_js_iter_page(js_iter *j, uint8_t *buf, size_t cap, uint32_t max, int want, uint32_t *out);
void strata_js_iter_close(js_iter *j);

/* strata_repair on the backend: out receives STRATA_JS_REPAIR_FIELDS doubles (the counters of
 * strata_repair_report in its order), *log the report's log (malloc'd, or NULL). */
#define STRATA_JS_REPAIR_FIELDS 15
strata_status *strata_js_repair(const char *path, vfs *v, double *out, char **log);

#endif
