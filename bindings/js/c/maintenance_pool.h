/*
 * maintenance_pool.h -- background threads shared by the databases of one module instance (the
 * browsers' pthreads build, where one instance serves every database of a worker; see
 * maintenance_pool.c). Exported to JS through bindings/js/exports.txt.
 */
#ifndef STRATA_JS_MAINTENANCE_POOL_H
#define STRATA_JS_MAINTENANCE_POOL_H

#include "strata.h"

#define JS_POOL_MAX_THREADS 8

typedef struct js_pool js_pool;
typedef struct js_pool_entry js_pool_entry;

/* Starts `threads` (1..JS_POOL_MAX_THREADS) threads; NULL when they cannot start (the
 * single-threaded build, out of memory). */
js_pool *strata_js_pool_new(int threads);
/* Stops and joins the threads; every database must have left. NULL is fine. */
void strata_js_pool_free(js_pool *p);
/* A database opened with background_threads 0 joins; NULL when out of memory. */
js_pool_entry *strata_js_pool_join(js_pool *p, strata_db *db);
/* After a write: queues the database's maintenance when its maintenance events moved since its
 * last step began and no failed step waits to be taken (else returns at once). */
void strata_js_pool_kick(js_pool_entry *e);
/* Before a write applies anything: the failure of an earlier step that nobody took yet (the
 * caller frees it and refuses the write with it; the next kick queues the retry), else NULL.
 * One atomic load when nothing failed. */
strata_status *strata_js_pool_failure(js_pool_entry *e);
/* Before the database closes: waits for its running step, then frees the entry. */
void strata_js_pool_leave(js_pool_entry *e);

#endif
