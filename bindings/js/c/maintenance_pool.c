/*
 * maintenance_pool.c -- background threads shared by the databases of one module instance.
 *
 * In browsers one instance of the pthreads build serves every database of a worker (one wasm
 * memory instead of one per database: Chromium allows about 60 per renderer). Its databases open
 * without threads of their own (background_threads 0), join the instance's pool, and a pool
 * thread runs their maintenance steps (strata_maintenance_step: flushes and compaction jobs, at
 * most POOL_STEP_BUDGET bytes a turn) while the worker's own thread serves requests. A database
 * with work left goes to the back of the queue after each turn, so one busy database does not
 * starve the others, and the instance costs its pool's threads whatever the number of databases,
 * not two threads each. A step's storage-host calls are proxied to the module's main thread like
 * every other (library_strata_host.js), each naming its database's host.
 *
 * The JS layer kicks a database after its writes (strata_js_pool_kick), which queues it only when
 * its maintenance events (strata_maintenance_events: a memtable sealed, a version installed) moved
 * since its last step began: otherwise a kick is one atomic load and no pool thread wakes. A step
 * refused with STRATA_BUSY (the OPFS host's "would block": it grows its file pool on the main
 * thread meanwhile) runs again after POOL_RETRY_MS. Any other failure stops the database's steps
 * and is kept for the first write after it, which takes it before it applies anything
 * (strata_js_pool_failure) and is refused with it, as the single-threaded build refuses the
 * first write after a failed step; the next kick then queues the database again (the retry).
 * Until the failure is taken, kicks queue nothing: a retry would replace it unreported.
 *
 * Locks: the pool's mutex guards the queue and every entry's fields. It is never held across a
 * step; a step takes only its database's locks.
 */
#include "maintenance_pool.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>

#include "util/clock.h"
#include "util/status.h"
#include "util/sync.h"

#define POOL_STEP_BUDGET (1u << 20) /* bytes of flush/compaction output per turn */
#define POOL_RETRY_MS 5             /* a step that would block runs again after this */

struct js_pool_entry {
  js_pool *pool;
  strata_db *db;
  js_pool_entry *next;    /* in the queue */
  int queued;             /* in the queue */
  int running;            /* a pool thread runs its step */
  int again;              /* kicked while running: queue it after the step */
  int leaving;            /* strata_js_pool_leave waits for the step */
  uint64_t not_before_ms; /* a retry's earliest start (monotonic) */
  strata_status *error;   /* a failed step's, until strata_js_pool_failure takes it */
  atomic_u64 seen;        /* the database's maintenance events when its last step began (written under mu) */
  atomic_flag_int failed; /* error is set (written under mu) */
};

struct js_pool {
  sync_mutex mu;
  sync_cond wake; /* an entry was queued, or stop */
  sync_cond idle; /* a step ended */
  js_pool_entry *head, *tail;
  int stop;
  int threads;
  int members; /* databases joined and not left */
  sync_thread thread[JS_POOL_MAX_THREADS];
};

/* mu held */
static void enqueue(js_pool *p, js_pool_entry *e, uint64_t not_before_ms) {
  sync_mutex_assert_held(&p->mu);
  e->not_before_ms = not_before_ms;
  e->queued = 1;
  e->next = NULL;
  if (p->tail) p->tail->next = e;
  else p->head = e;
  p->tail = e;
  sync_cond_signal(&p->wake);
}

/* mu held */
static void unlink_entry(js_pool *p, js_pool_entry *e, js_pool_entry *prev) {
  sync_mutex_assert_held(&p->mu);
  if (prev) prev->next = e->next;
  else p->head = e->next;
  if (p->tail == e) p->tail = prev;
  e->next = NULL;
  e->queued = 0;
}

/* mu held: the first queued entry that may start now (unlinked), else NULL and in *wait_ms how
 * long until the earliest retry (0: nothing queued). */
static js_pool_entry *take_ready(js_pool *p, uint64_t *wait_ms) {
  sync_mutex_assert_held(&p->mu);
  uint64_t now = clock_monotonic_ms();
  *wait_ms = 0;
  js_pool_entry *prev = NULL;
  for (js_pool_entry *e = p->head; e; prev = e, e = e->next) {
    if (e->not_before_ms <= now) {
      unlink_entry(p, e, prev);
      return e;
    }
    uint64_t w = e->not_before_ms - now;
    if (*wait_ms == 0 || w < *wait_ms) *wait_ms = w;
  }
  return NULL;
}

static uint64_t events_of(strata_db *db) {
  uint64_t events = 0;
  strata_status_free(strata_maintenance_events(db, &events)); /* an open database's: cannot fail */
  return events;
}

static void *pool_thread(void *arg) {
  js_pool *p = arg;
  sync_mutex_lock(&p->mu);
  while (!p->stop) {
    uint64_t wait_ms = 0;
    js_pool_entry *e = take_ready(p, &wait_ms);
    if (!e) {
      if (wait_ms) sync_cond_timedwait(&p->wake, &p->mu, wait_ms);
      else sync_cond_wait(&p->wake, &p->mu);
      continue;
    }
    e->running = 1;
    e->again = 0;
    atomic_u64_store(&e->seen, events_of(e->db));
    sync_mutex_unlock(&p->mu);
    int more = 0;
    strata_status *st = strata_maintenance_step(e->db, POOL_STEP_BUDGET, &more);
    sync_mutex_lock(&p->mu);
    e->running = 0;
    if (!e->leaving) {
      if (st && strata_status_code(st) == STRATA_BUSY) {
        enqueue(p, e, clock_monotonic_ms() + POOL_RETRY_MS);
      } else if (st) {
        strata_status_free(e->error); /* the latest failure is the current cause */
        e->error = st;
        atomic_flag_set(&e->failed, 1);
        st = NULL;
      } else if (more || e->again) {
        enqueue(p, e, 0); /* behind the others queued meanwhile */
      }
    }
    strata_status_free(st);
    sync_cond_broadcast(&p->idle);
  }
  sync_mutex_unlock(&p->mu);
  return NULL;
}

/* Stops and joins the first `started` threads, then frees the pool. */
static void pool_end(js_pool *p, int started) {
  sync_mutex_lock(&p->mu);
  p->stop = 1;
  sync_cond_broadcast(&p->wake);
  sync_mutex_unlock(&p->mu);
  for (int i = 0; i < started; i++) sync_thread_join(&p->thread[i]);
  sync_cond_destroy(&p->idle);
  sync_cond_destroy(&p->wake);
  sync_mutex_destroy(&p->mu);
  free(p);
}

js_pool *strata_js_pool_new(int threads) {
  if (!sync_threads_available() || threads < 1 || threads > JS_POOL_MAX_THREADS) return NULL;
  js_pool *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  strata_status *st = sync_mutex_init(&p->mu);
  if (!st) {
    st = sync_cond_init(&p->wake);
    if (st) sync_mutex_destroy(&p->mu);
  }
  if (!st) {
    st = sync_cond_init(&p->idle);
    if (st) {
      sync_cond_destroy(&p->wake);
      sync_mutex_destroy(&p->mu);
    }
  }
  if (st) {
    strata_status_free(st);
    free(p);
    return NULL;
  }
  for (int i = 0; i < threads; i++) {
    st = sync_thread_start(&p->thread[i], pool_thread, p);
    if (st) {
      strata_status_free(st);
      pool_end(p, i);
      return NULL;
    }
  }
  p->threads = threads;
  return p;
}

void strata_js_pool_free(js_pool *p) {
  if (!p) return;
  assert(p->members == 0); /* every database left before its instance is dropped */
  pool_end(p, p->threads);
}

js_pool_entry *strata_js_pool_join(js_pool *p, strata_db *db) {
  js_pool_entry *e = calloc(1, sizeof *e);
  if (!e) return NULL;
  e->pool = p;
  e->db = db;
  atomic_u64_init(&e->seen, UINT64_MAX); /* the first kick steps it: the open may have left work */
  sync_mutex_lock(&p->mu);
  p->members++;
  sync_mutex_unlock(&p->mu);
  return e;
}

strata_status *strata_js_pool_failure(js_pool_entry *e) {
  if (!atomic_flag_get(&e->failed)) return NULL;
  js_pool *p = e->pool;
  sync_mutex_lock(&p->mu);
  strata_status *err = e->error;
  e->error = NULL;
  atomic_flag_set(&e->failed, 0);
  atomic_u64_store(&e->seen, UINT64_MAX); /* the next kick queues the retry */
  sync_mutex_unlock(&p->mu);
  return err;
}

void strata_js_pool_kick(js_pool_entry *e) {
  /* a failure waits for the next write; else nothing new since the last step began: that step
   * (or the one queued after it) sees it all */
  if (atomic_flag_get(&e->failed) || events_of(e->db) == atomic_u64_load(&e->seen)) return;
  js_pool *p = e->pool;
  sync_mutex_lock(&p->mu);
  if (atomic_flag_get(&e->failed)) {
    /* the step failed since the check above: nothing runs until its failure is taken */
  } else if (e->running) {
    e->again = 1;
  } else if (!e->queued) {
    enqueue(p, e, 0);
  } else {
    e->not_before_ms = 0; /* waiting for a retry: the write may have made room */
  }
  sync_mutex_unlock(&p->mu);
}

void strata_js_pool_leave(js_pool_entry *e) {
  js_pool *p = e->pool;
  sync_mutex_lock(&p->mu);
  e->leaving = 1;
  if (e->queued) {
    js_pool_entry *prev = NULL;
    for (js_pool_entry *x = p->head; x != e; x = x->next) prev = x;
    unlink_entry(p, e, prev);
  }
  /* a step's host calls reach this thread while it waits: Emscripten's main runtime thread runs
   * proxied calls between the slices of its waits */
  while (e->running) sync_cond_wait(&p->idle, &p->mu);
  p->members--;
  sync_mutex_unlock(&p->mu);
  strata_status_free(e->error);
  free(e);
}
