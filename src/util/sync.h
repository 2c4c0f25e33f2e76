/*
 * sync.h -- locks, condition variables, threads and atomics, switched at compile time.
 *
 * STRATA_THREADS=1 (native, Emscripten -pthread): pthreads and C11 atomics.
 * STRATA_THREADS=0 (default wasm, WASI): the same calls compile to nothing or to plain
 *   loads and stores, so engine code is written once. Thread creation reports NOT_SUPPORTED;
 *   the host runs background work as bounded maintenance steps instead.
 */
#ifndef STRATA_UTIL_SYNC_H
#define STRATA_UTIL_SYNC_H

#include <stdint.h>

#include "status.h"

#ifndef STRATA_THREADS
#define STRATA_THREADS 0
#endif

/* Debug builds remember which thread holds each mutex, so code that needs a lock can assert it.
 * sync_mutex's layout follows NDEBUG: include this header with the library's setting. */
#ifndef NDEBUG
#define SYNC_LOCK_DEBUG 1
#else
#define SYNC_LOCK_DEBUG 0
#endif

#if STRATA_THREADS
#include <pthread.h>
#include <stdatomic.h>

#if SYNC_LOCK_DEBUG
typedef struct { pthread_mutex_t m; _Atomic(const void *) owner; } sync_mutex;
#else
typedef struct { pthread_mutex_t m; } sync_mutex;
#endif
typedef struct { pthread_rwlock_t l; } sync_rwlock;
typedef struct { pthread_cond_t c; } sync_cond;
typedef struct { pthread_t t; } sync_thread;
typedef struct { _Atomic uint64_t v; } atomic_u64;
typedef struct { _Atomic int v; } atomic_flag_int;
typedef struct { _Atomic(void *) p; } atomic_ptr;

#else

typedef struct { int held; } sync_mutex; /* held: maintained in debug builds only */
typedef struct { int unused; } sync_rwlock;
typedef struct { int unused; } sync_cond;
typedef struct { int unused; } sync_thread;
typedef struct { uint64_t v; } atomic_u64;
typedef struct { int v; } atomic_flag_int;
typedef struct { void *p; } atomic_ptr;
#endif

STRATA_MUST_USE strata_status *sync_mutex_init(sync_mutex *m);
void sync_mutex_destroy(sync_mutex *m);
void sync_mutex_lock(sync_mutex *m);
/* 1 if the lock was taken, 0 if another thread holds it. */
int sync_mutex_trylock(sync_mutex *m);
void sync_mutex_unlock(sync_mutex *m);
/* Lock-held assertions (debug builds; nothing in release): the current thread holds m, or not. */
#if SYNC_LOCK_DEBUG
void sync_mutex_assert_held(const sync_mutex *m);
void sync_mutex_assert_not_held(const sync_mutex *m);
#else
#define sync_mutex_assert_held(m) ((void)(m))
#define sync_mutex_assert_not_held(m) ((void)(m))
#endif

STRATA_MUST_USE strata_status *sync_rwlock_init(sync_rwlock *l);
void sync_rwlock_destroy(sync_rwlock *l);
void sync_rwlock_read(sync_rwlock *l);
void sync_rwlock_write(sync_rwlock *l);
void sync_rwlock_unlock(sync_rwlock *l);

STRATA_MUST_USE strata_status *sync_cond_init(sync_cond *c);
void sync_cond_destroy(sync_cond *c);
void sync_cond_wait(sync_cond *c, sync_mutex *m);
/* Waits at most `ms` milliseconds (or until signalled; spurious wake-ups happen, so callers
 * re-check their condition and the time). Returns at once in single-threaded builds. */
void sync_cond_timedwait(sync_cond *c, sync_mutex *m, uint64_t ms);
void sync_cond_signal(sync_cond *c);
void sync_cond_broadcast(sync_cond *c);

/* Starts fn(arg) on a new thread; NOT_SUPPORTED in single-threaded builds. */
STRATA_MUST_USE strata_status *sync_thread_start(sync_thread *t, void *(*fn)(void *), void *arg);
void sync_thread_join(sync_thread *t);

/* 1 when this build can run background threads. */
static inline int sync_threads_available(void) { return STRATA_THREADS; }

/* Atomics: acquire loads, release stores, relaxed counters. */
#if STRATA_THREADS
static inline void atomic_u64_init(atomic_u64 *a, uint64_t v) { atomic_init(&a->v, v); }
static inline uint64_t atomic_u64_load(const atomic_u64 *a) {
  return atomic_load_explicit((_Atomic uint64_t *)&a->v, memory_order_acquire);
}
static inline void atomic_u64_store(atomic_u64 *a, uint64_t v) {
  atomic_store_explicit(&a->v, v, memory_order_release);
}
/* Returns the value before the addition. */
static inline uint64_t atomic_u64_fetch_add(atomic_u64 *a, uint64_t d) {
  return atomic_fetch_add_explicit(&a->v, d, memory_order_relaxed);
}
static inline uint64_t atomic_u64_fetch_sub(atomic_u64 *a, uint64_t d) {
  return atomic_fetch_sub_explicit(&a->v, d, memory_order_acq_rel);
}
/* Raises the value to at least v. A failed exchange refreshes `seen`, so the loop only retries
 * while another thread is raising it below v: no unbounded CAS spin on the common path. */
static inline void atomic_u64_max(atomic_u64 *a, uint64_t v) {
  uint64_t seen = atomic_load_explicit(&a->v, memory_order_relaxed);
  while (seen < v &&
         !atomic_compare_exchange_weak_explicit(&a->v, &seen, v, memory_order_acq_rel, memory_order_relaxed)) {
  }
}
static inline int atomic_flag_get(const atomic_flag_int *f) {
  return atomic_load_explicit((_Atomic int *)&f->v, memory_order_acquire);
}
static inline void atomic_flag_set(atomic_flag_int *f, int v) {
  atomic_store_explicit(&f->v, v, memory_order_release);
}
/* Pointers for lock-free publication (one writer, many readers): the writer fills an object, then
 * links it with a release store; a reader that acquire-loads the link sees the filled object.
 * The relaxed forms are for links nobody else can see yet (a node before it is published). */
static inline void atomic_ptr_init(atomic_ptr *a, void *p) { atomic_init(&a->p, p); }
static inline void *atomic_ptr_load(const atomic_ptr *a) {
  return atomic_load_explicit((_Atomic(void *) *)&a->p, memory_order_acquire);
}
static inline void atomic_ptr_store(atomic_ptr *a, void *p) {
  atomic_store_explicit(&a->p, p, memory_order_release);
}
static inline void *atomic_ptr_load_relaxed(const atomic_ptr *a) {
  return atomic_load_explicit((_Atomic(void *) *)&a->p, memory_order_relaxed);
}
static inline void atomic_ptr_store_relaxed(atomic_ptr *a, void *p) {
  atomic_store_explicit(&a->p, p, memory_order_relaxed);
}
#else
static inline void atomic_u64_init(atomic_u64 *a, uint64_t v) { a->v = v; }
static inline uint64_t atomic_u64_load(const atomic_u64 *a) { return a->v; }
static inline void atomic_u64_store(atomic_u64 *a, uint64_t v) { a->v = v; }
static inline uint64_t atomic_u64_fetch_add(atomic_u64 *a, uint64_t d) {
  uint64_t old = a->v;
  a->v += d;
  return old;
}
static inline uint64_t atomic_u64_fetch_sub(atomic_u64 *a, uint64_t d) {
  uint64_t old = a->v;
  a->v -= d;
  return old;
}
static inline void atomic_u64_max(atomic_u64 *a, uint64_t v) {
  if (a->v < v) a->v = v;
}
static inline int atomic_flag_get(const atomic_flag_int *f) { return f->v; }
static inline void atomic_flag_set(atomic_flag_int *f, int v) { f->v = v; }
static inline void atomic_ptr_init(atomic_ptr *a, void *p) { a->p = p; }
static inline void *atomic_ptr_load(const atomic_ptr *a) { return a->p; }
static inline void atomic_ptr_store(atomic_ptr *a, void *p) { a->p = p; }
static inline void *atomic_ptr_load_relaxed(const atomic_ptr *a) { return a->p; }
static inline void atomic_ptr_store_relaxed(atomic_ptr *a, void *p) { a->p = p; }
#endif

#endif
