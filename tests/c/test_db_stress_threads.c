/*
 * Concurrency stress (threaded builds; run under ThreadSanitizer in build/tsan): writers,
 * readers holding snapshots, and a flusher, all at once on one database.
 *
 * Each writer writes batches that set a pair of keys (w<id>-a-<k>, w<id>-b-<k>) to the same
 * generation number. Readers check, at a snapshot and by scanning, that both keys of a pair
 * always agree (batches are atomic) and that a snapshot's answers never change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "strata.h"
#include "util/sync.h"

#define WRITERS 2
#define READERS 2
#define PAIRS 64
#define GENERATIONS 150

typedef struct shared {
  strata_db *db;
  atomic_flag_int writers_done;
  atomic_u64 failures;
  char failure[256];
  sync_mutex failure_mu;
} shared;

static void record_failure(shared *s, const char *what, strata_status *st) {
  atomic_u64_fetch_add(&s->failures, 1);
  sync_mutex_lock(&s->failure_mu);
  if (!s->failure[0]) snprintf(s->failure, sizeof s->failure, "%s: %s", what, strata_status_message(st));
  sync_mutex_unlock(&s->failure_mu);
  strata_status_free(st);
}

typedef struct writer_arg {
  shared *s;
  int id;
} writer_arg;

static void *writer(void *p) {
  writer_arg *w = p;
  strata_batch *b = NULL;
  strata_status *st = strata_batch_new(&b);
  if (st) {
    record_failure(w->s, "batch", st);
    return NULL;
  }
  char k[32], v[32];
  for (int gen = 1; gen <= GENERATIONS; gen++)
    for (int pair = 0; pair < PAIRS; pair++) {
      strata_batch_clear(b);
      snprintf(v, sizeof v, "%08d", gen);
      snprintf(k, sizeof k, "w%d-a-%03d", w->id, pair);
      st = strata_batch_put(b, k, strlen(k), v, strlen(v));
      snprintf(k, sizeof k, "w%d-b-%03d", w->id, pair);
      if (!st) st = strata_batch_put(b, k, strlen(k), v, strlen(v));
      if (!st) st = strata_write(w->s->db, b, 0);
      if (st) {
        record_failure(w->s, "write", st);
        strata_batch_free(b);
        return NULL;
      }
    }
  strata_batch_free(b);
  return NULL;
}

static int read_gen(shared *s, const strata_snapshot *snap, const char *k) {
  char buf[16];
  int found = 0;
  size_t vlen = 0;
  strata_status *st = strata_get_into(s->db, snap, k, strlen(k), &found, buf, sizeof buf - 1, &vlen);
  if (st) {
    record_failure(s, "get", st);
    return -1;
  }
  if (!found) return 0;
  buf[vlen < sizeof buf - 1 ? vlen : sizeof buf - 1] = 0;
  return atoi(buf);
}

static void *reader(void *p) {
  shared *s = p;
  char ka[32], kb[32];
  unsigned round = 0;
  while (!atomic_flag_get(&s->writers_done) && atomic_u64_load(&s->failures) == 0) {
    strata_snapshot *snap = NULL;
    strata_status *st = strata_snapshot_acquire(s->db, &snap);
    if (st) {
      record_failure(s, "snapshot", st);
      return NULL;
    }
    int w = (int)(round % WRITERS), pair = (int)(round * 7 % PAIRS);
    snprintf(ka, sizeof ka, "w%d-a-%03d", w, pair);
    snprintf(kb, sizeof kb, "w%d-b-%03d", w, pair);
    int a1 = read_gen(s, snap, ka), b1 = read_gen(s, snap, kb);
    /* a scan at the same snapshot sees the same pair */
    strata_iterator *it = NULL;
    int scanned_a = -2, scanned_b = -2;
    st = strata_iterator_new_prefix(s->db, snap, "w", 1, &it);
    if (st) {
      record_failure(s, "iterator", st);
    } else {
      for (strata_iterator_seek(it, ka, strlen(ka)); strata_iterator_valid(it); strata_iterator_next(it)) {
        size_t kl, vl;
        const char *key = strata_iterator_key(it, &kl);
        const char *val = strata_iterator_value(it, &vl);
        char num[16] = {0};
        memcpy(num, val, vl < 15 ? vl : 15);
        if (kl == strlen(ka) && !memcmp(key, ka, kl)) scanned_a = atoi(num);
        if (kl == strlen(kb) && !memcmp(key, kb, kl)) {
          scanned_b = atoi(num);
          break;
        }
      }
      st = strata_iterator_status(it);
      if (st) record_failure(s, "scan", st);
      strata_iterator_close(it);
    }
    int a2 = read_gen(s, snap, ka);
    if (a1 != b1 || a1 != a2 || (a1 > 0 && (scanned_a != a1 || scanned_b != b1))) {
      sync_mutex_lock(&s->failure_mu);
      if (!s->failure[0])
        snprintf(s->failure, sizeof s->failure, "%s: a=%d b=%d again=%d scan=%d/%d", ka, a1, b1, a2, scanned_a,
                 scanned_b);
      sync_mutex_unlock(&s->failure_mu);
      atomic_u64_fetch_add(&s->failures, 1);
    }
    strata_snapshot_release(snap);
    round++;
  }
  return NULL;
}

static void *flusher(void *p) {
  shared *s = p;
  while (!atomic_flag_get(&s->writers_done) && atomic_u64_load(&s->failures) == 0) {
    strata_status *st = strata_flush(s->db);
    if (st) record_failure(s, "flush", st);
  }
  return NULL;
}

static void writers_readers_and_flusher_agree(void) {
  vfs *fs = NULL;
  CHECK_OK(vfs_posix_new(&fs));
  char *dir = harness_temp_dir(fs, "stress");
  CHECK(dir != NULL);
  strata_options *o = NULL;
  CHECK_OK(strata_options_new(&o));
  EXPECT_OK(strata_options_set_memtable_size(o, 64 << 10));
  EXPECT_OK(strata_options_set_block_size(o, 512));
  shared s;
  memset(&s, 0, sizeof s);
  CHECK_OK(sync_mutex_init(&s.failure_mu));
  CHECK_OK(strata_open(dir, o, &s.db));
  sync_thread writers[WRITERS], readers[READERS], flush_thread;
  writer_arg args[WRITERS];
  for (int i = 0; i < READERS; i++) CHECK_OK(sync_thread_start(&readers[i], reader, &s));
  CHECK_OK(sync_thread_start(&flush_thread, flusher, &s));
  for (int i = 0; i < WRITERS; i++) {
    args[i].s = &s;
    args[i].id = i;
    CHECK_OK(sync_thread_start(&writers[i], writer, &args[i]));
  }
  for (int i = 0; i < WRITERS; i++) sync_thread_join(&writers[i]);
  atomic_flag_set(&s.writers_done, 1);
  for (int i = 0; i < READERS; i++) sync_thread_join(&readers[i]);
  sync_thread_join(&flush_thread);
  if (atomic_u64_load(&s.failures)) harness_fail(__FILE__, __LINE__, "%s", s.failure);
  /* the end state: every pair at the last generation */
  for (int w = 0; w < WRITERS && !harness_case_failed(); w++)
    for (int pair = 0; pair < PAIRS; pair++) {
      char k[32];
      snprintf(k, sizeof k, "w%d-b-%03d", w, pair);
      CHECK_EQ_U64(read_gen(&s, NULL, k), GENERATIONS);
    }
  strata_stats st;
  CHECK_OK(strata_get_stats(s.db, &st));
  CHECK(st.flushes > 0);
  CHECK_OK(strata_close(s.db));
  sync_mutex_destroy(&s.failure_mu);
  strata_options_free(o);
  harness_temp_dir_remove(fs, dir);
  vfs_destroy(fs);
}

/*
 * Regression: a point read at a snapshot raced with the insert of a newer version of the same
 * key and returned it (the skiplist reloaded a link after its search instead of using the
 * successor it had compared). One writer rewrites groups of keys in batches; readers check that
 * every key of a group reads the same round at their snapshot, and the same again on re-read.
 */
#define GROUP_KEYS 8
#define GROUP_ROUNDS 4000

typedef struct group_run {
  strata_db *db;
  atomic_flag_int done;
  atomic_u64 torn;
  char detail[160];
  sync_mutex mu;
} group_run;

static void *group_writer(void *p) {
  group_run *g = p;
  strata_batch *b = NULL;
  if (strata_batch_new(&b) != NULL) {
    atomic_u64_fetch_add(&g->torn, 1);
    atomic_flag_set(&g->done, 1);
    return NULL;
  }
  char k[24], v[24];
  for (int round = 1; round <= GROUP_ROUNDS; round++) {
    strata_batch_clear(b);
    for (int j = 0; j < GROUP_KEYS; j++) {
      snprintf(k, sizeof k, "g%02d-%d", round % 16, j);
      snprintf(v, sizeof v, "%08d", round);
      strata_status_free(strata_batch_put(b, k, strlen(k), v, strlen(v)));
    }
    strata_status *st = strata_write(g->db, b, 0);
    if (st) {
      strata_status_free(st);
      atomic_u64_fetch_add(&g->torn, 1);
      break;
    }
  }
  strata_batch_free(b);
  atomic_flag_set(&g->done, 1);
  return NULL;
}

static void read_group_key(group_run *g, const strata_snapshot *snap, int group, int j, char *out) {
  char k[24];
  snprintf(k, sizeof k, "g%02d-%d", group, j);
  int found = 0;
  size_t len = 0;
  strata_status *st = strata_get_into(g->db, snap, k, strlen(k), &found, out, 23, &len);
  if (st) {
    strata_status_free(st);
    atomic_u64_fetch_add(&g->torn, 1);
  }
  out[found ? len : 0] = 0;
}

static void *group_reader(void *p) {
  group_run *g = p;
  char first[24], got[24];
  while (!atomic_flag_get(&g->done) && atomic_u64_load(&g->torn) == 0) {
    strata_snapshot *snap = NULL;
    strata_status *st = strata_snapshot_acquire(g->db, &snap);
    if (st) {
      strata_status_free(st);
      atomic_u64_fetch_add(&g->torn, 1);
      break;
    }
    for (int group = 0; group < 16; group++)
      for (int j = 0; j < GROUP_KEYS; j++) {
        read_group_key(g, snap, group, j, j ? got : first);
        if (j && strcmp(first, got)) {
          sync_mutex_lock(&g->mu);
          snprintf(g->detail, sizeof g->detail, "group %d at snapshot %llu: key 0 read %s, key %d read %s", group,
                   (unsigned long long)strata_snapshot_seqno(snap), first, j, got);
          sync_mutex_unlock(&g->mu);
          atomic_u64_fetch_add(&g->torn, 1);
        }
      }
    strata_snapshot_release(snap);
  }
  return NULL;
}

static void snapshot_reads_never_see_later_batches(void) {
  vfs *mem = NULL;
  CHECK_OK(vfs_memory_new(&mem));
  strata_options *o = NULL;
  CHECK_OK(strata_options_new(&o));
  EXPECT_OK(strata_options_set_vfs(o, mem));
  EXPECT_OK(strata_options_set_memtable_size(o, 1 << 30)); /* the race is in the memtable alone */
  group_run g;
  memset(&g, 0, sizeof g);
  CHECK_OK(sync_mutex_init(&g.mu));
  CHECK_OK(strata_open("groups", o, &g.db));
  sync_thread w, r[2];
  CHECK_OK(sync_thread_start(&r[0], group_reader, &g));
  CHECK_OK(sync_thread_start(&r[1], group_reader, &g));
  CHECK_OK(sync_thread_start(&w, group_writer, &g));
  sync_thread_join(&w);
  sync_thread_join(&r[0]);
  sync_thread_join(&r[1]);
  if (atomic_u64_load(&g.torn)) harness_fail(__FILE__, __LINE__, "torn snapshot read: %s", g.detail);
  CHECK_OK(strata_close(g.db));
  sync_mutex_destroy(&g.mu);
  strata_options_free(o);
  vfs_destroy(mem);
}

int main(void) {
  RUN(writers_readers_and_flusher_agree);
  RUN(snapshot_reads_never_see_later_batches);
  return harness_finish();
}
