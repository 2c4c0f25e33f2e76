#include "sync.h"

#include <string.h>
#include <time.h>

#include "check.h"

#if STRATA_THREADS

static strata_status *pthread_error(int err, const char *what) {
  if (err == 0) return NULL;
  return status_new(STRATA_IO, "%s failed: %s", what, strerror(err));
}

#if SYNC_LOCK_DEBUG
/* A thread's identity: the address of its own thread-local byte (comparable, never reused while
 * the thread lives, and atomic-friendly unlike pthread_t). */
static _Thread_local char this_thread_tag;
#define OWNER_SET(m, v) atomic_store_explicit(&(m)->owner, (v), memory_order_relaxed)
#define OWNER_GET(m) atomic_load_explicit((_Atomic(const void *) *)&(m)->owner, memory_order_relaxed)
void sync_mutex_assert_held(const sync_mutex *m) {
  if (OWNER_GET(m) != &this_thread_tag) check_abort(__FILE__, __LINE__, "mutex held by this thread");
}
void sync_mutex_assert_not_held(const sync_mutex *m) {
  if (OWNER_GET(m) == &this_thread_tag) check_abort(__FILE__, __LINE__, "mutex not held by this thread");
}
#else
#define OWNER_SET(m, v) ((void)0)
#endif

strata_status *sync_mutex_init(sync_mutex *m) {
  OWNER_SET(m, NULL);
  return pthread_error(pthread_mutex_init(&m->m, NULL), "mutex init");
}
void sync_mutex_destroy(sync_mutex *m) {
  sync_mutex_assert_not_held(m);
  pthread_mutex_destroy(&m->m);
}
void sync_mutex_lock(sync_mutex *m) {
  sync_mutex_assert_not_held(m); /* would deadlock */
  pthread_mutex_lock(&m->m);
  OWNER_SET(m, &this_thread_tag);
}
int sync_mutex_trylock(sync_mutex *m) {
  if (pthread_mutex_trylock(&m->m) != 0) return 0;
  OWNER_SET(m, &this_thread_tag);
  return 1;
}
void sync_mutex_unlock(sync_mutex *m) {
  sync_mutex_assert_held(m);
  OWNER_SET(m, NULL);
  pthread_mutex_unlock(&m->m);
}

strata_status *sync_rwlock_init(sync_rwlock *l) { return pthread_error(pthread_rwlock_init(&l->l, NULL), "rwlock init"); }
void sync_rwlock_destroy(sync_rwlock *l) { pthread_rwlock_destroy(&l->l); }
void sync_rwlock_read(sync_rwlock *l) { pthread_rwlock_rdlock(&l->l); }
void sync_rwlock_write(sync_rwlock *l) { pthread_rwlock_wrlock(&l->l); }
void sync_rwlock_unlock(sync_rwlock *l) { pthread_rwlock_unlock(&l->l); }

strata_status *sync_cond_init(sync_cond *c) { return pthread_error(pthread_cond_init(&c->c, NULL), "condition init"); }
void sync_cond_destroy(sync_cond *c) { pthread_cond_destroy(&c->c); }
void sync_cond_wait(sync_cond *c, sync_mutex *m) {
  sync_mutex_assert_held(m);
  OWNER_SET(m, NULL); /* released while waiting */
  pthread_cond_wait(&c->c, &m->m);
  OWNER_SET(m, &this_thread_tag);
}
void sync_cond_timedwait(sync_cond *c, sync_mutex *m, uint64_t ms) {
  /* an absolute CLOCK_REALTIME deadline, as pthread_cond_timedwait wants by default; a clock
   * step only lengthens or shortens this one wait */
  struct timespec ts;
  if (ms > (uint64_t)1 << 40) ms = (uint64_t)1 << 40;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t nsec = (uint64_t)ts.tv_nsec + (ms % 1000) * 1000000u;
  ts.tv_sec += (time_t)(ms / 1000 + nsec / 1000000000u);
  ts.tv_nsec = (long)(nsec % 1000000000u);
  sync_mutex_assert_held(m);
  OWNER_SET(m, NULL); /* released while waiting */
  pthread_cond_timedwait(&c->c, &m->m, &ts);
  OWNER_SET(m, &this_thread_tag);
}
void sync_cond_signal(sync_cond *c) { pthread_cond_signal(&c->c); }
void sync_cond_broadcast(sync_cond *c) { pthread_cond_broadcast(&c->c); }

strata_status *sync_thread_start(sync_thread *t, void *(*fn)(void *), void *arg) {
  return pthread_error(pthread_create(&t->t, NULL, fn, arg), "thread start");
}
void sync_thread_join(sync_thread *t) { pthread_join(t->t, NULL); }

#else /* single-threaded: nothing to lock, nobody to wait for */

/* One thread: "held" is a flag, kept in debug builds so the same assertions hold here. */
#if SYNC_LOCK_DEBUG
#define HELD_SET(m, v) ((m)->held = (v))
void sync_mutex_assert_held(const sync_mutex *m) {
  if (!m->held) check_abort(__FILE__, __LINE__, "mutex held");
}
void sync_mutex_assert_not_held(const sync_mutex *m) {
  if (m->held) check_abort(__FILE__, __LINE__, "mutex not held");
}
#else
#define HELD_SET(m, v) ((void)(m))
#endif
strata_status *sync_mutex_init(sync_mutex *m) { m->held = 0; return NULL; }
void sync_mutex_destroy(sync_mutex *m) { sync_mutex_assert_not_held(m); }
void sync_mutex_lock(sync_mutex *m) { sync_mutex_assert_not_held(m); HELD_SET(m, 1); }
int sync_mutex_trylock(sync_mutex *m) {
  if (SYNC_LOCK_DEBUG && m->held) return 0;
  HELD_SET(m, 1);
  return 1;
}
void sync_mutex_unlock(sync_mutex *m) { sync_mutex_assert_held(m); HELD_SET(m, 0); }

strata_status *sync_rwlock_init(sync_rwlock *l) { (void)l; return NULL; }
void sync_rwlock_destroy(sync_rwlock *l) { (void)l; }
void sync_rwlock_read(sync_rwlock *l) { (void)l; }
void sync_rwlock_write(sync_rwlock *l) { (void)l; }
void sync_rwlock_unlock(sync_rwlock *l) { (void)l; }

strata_status *sync_cond_init(sync_cond *c) { (void)c; return NULL; }
void sync_cond_destroy(sync_cond *c) { (void)c; }
/* Waiting in a single-threaded build would wait forever: callers must not get here. */
void sync_cond_wait(sync_cond *c, sync_mutex *m) { (void)c; (void)m; }
void sync_cond_timedwait(sync_cond *c, sync_mutex *m, uint64_t ms) { (void)c; (void)m; (void)ms; }
void sync_cond_signal(sync_cond *c) { (void)c; }
void sync_cond_broadcast(sync_cond *c) { (void)c; }

strata_status *sync_thread_start(sync_thread *t, void *(*fn)(void *), void *arg) {
  (void)t; (void)fn; (void)arg;
  return status_new(STRATA_NOT_SUPPORTED, "this build of Strata has no threads");
}
void sync_thread_join(sync_thread *t) { (void)t; }

#endif
