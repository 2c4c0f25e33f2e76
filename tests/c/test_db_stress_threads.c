/*
 * Concurrency stress (threaded builds; run under ThreadSanitizer in build/tsan): writers,
 * readers holding snapshots, and a flusher, all at once on one database.
 *
 * Each writer writes batches that set a pair of keys (w<id>-a-<k>, w<id>-b-<k>) to the same
 * generation number. Readers check, at a snapshot and by scanning, that both keys of a pair
 * always agree (batches are atomic) and that a snapshot's answers never change.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"
#include "harness.h"
#include "strata.h"
#include "util/sync.h"
#include "vfs/vfs_fault.h"

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

static void *pair_reader(void *p) {
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

/* warm: with cache_written_blocks, so the background flushes and compactions offer blocks to
 * the cache and take their inputs' cached blocks while the readers use them. */
static void stress_case(int warm) {
  vfs *fs = NULL;
  CHECK_OK(vfs_posix_new(&fs));
  char *dir = harness_temp_dir(fs, "stress");
  CHECK(dir != NULL);
  strata_options *o = NULL;
  CHECK_OK(strata_options_new(&o));
  EXPECT_OK(strata_options_set_memtable_size(o, 64 << 10));
  EXPECT_OK(strata_options_set_block_size(o, 512));
  EXPECT_OK(strata_options_set_cache_written_blocks(o, warm));
  shared s;
  memset(&s, 0, sizeof s);
  CHECK_OK(sync_mutex_init(&s.failure_mu));
  CHECK_OK(strata_open(dir, o, &s.db));
  sync_thread writers[WRITERS], readers[READERS], flush_thread;
  writer_arg args[WRITERS];
  for (int i = 0; i < READERS; i++) CHECK_OK(sync_thread_start(&readers[i], pair_reader, &s));
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

static void writers_readers_and_flusher_agree(void) { stress_case(0); }
static void writers_readers_and_flusher_agree_while_writes_warm_the_cache(void) { stress_case(1); }

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

/* --- group commit (db_write.c) ----------------------------------------------------------------- */

typedef struct put_arg {
  strata_db *db;
  char key[16];
  int sync;
  strata_status *st;
} put_arg;

static void *one_put(void *p) {
  put_arg *a = p;
  a->st = strata_put(a->db, a->key, strlen(a->key), "v", 1, a->sync);
  return NULL;
}

static void wait_for_queue(strata_db *db, size_t n) {
  while (db_write_queue_length(db) < n) sched_yield();
}

typedef struct held_group {
  vfs *mem, *fault;
  strata_options *o;
  strata_db *db;
  sync_thread t[4];
  put_arg a[4];
} held_group;

/* Opens a database and lines up four single puts g0..g3 behind a held write lock: g0 leads a
 * group of its own (it took its group before the others came), g1..g3 wait behind it. sync[i]
 * says which ask for a sync. The caller sets faults, then calls release_group. */
static int hold_group(held_group *h, const int sync[4]) {
  memset(h, 0, sizeof *h);
  if (!EXPECT_OK(vfs_memory_new(&h->mem)) || !EXPECT_OK(vfs_fault_new(h->mem, &h->fault))) return 0;
  if (!EXPECT_OK(strata_options_new(&h->o))) return 0;
  EXPECT_OK(strata_options_set_vfs(h->o, h->fault));
  EXPECT_OK(strata_options_set_memtable_size(h->o, 1 << 30)); /* no flush: journal appends are the only writes */
  if (!EXPECT_OK(strata_open("grouped", h->o, &h->db))) return 0;
  sync_mutex_lock(&h->db->write_mu);
  for (int i = 0; i < 4; i++) {
    h->a[i].db = h->db;
    snprintf(h->a[i].key, sizeof h->a[i].key, "g%d", i);
    h->a[i].sync = sync[i];
    if (!EXPECT_OK(sync_thread_start(&h->t[i], one_put, &h->a[i]))) return 0;
    wait_for_queue(h->db, (size_t)i + 1); /* in this order */
  }
  vfs_fault_reset_counters(h->fault);
  return 1;
}

static void release_group(held_group *h) {
  sync_mutex_unlock(&h->db->write_mu);
  for (int i = 0; i < 4; i++) sync_thread_join(&h->t[i]);
}

static void free_group(held_group *h) {
  for (int i = 0; i < 4; i++) strata_status_free(h->a[i].st);
  if (h->db) strata_status_free(strata_close(h->db));
  strata_options_free(h->o);
  if (h->fault) vfs_destroy(h->fault);
  if (h->mem) vfs_destroy(h->mem);
}

static int key_found(strata_db *db, const char *k) {
  char buf[8];
  int found = -1;
  size_t len = 0;
  strata_status *st = strata_get_into(db, NULL, k, strlen(k), &found, buf, sizeof buf, &len);
  if (st) {
    strata_status_free(st);
    return -1;
  }
  return found;
}

/* Writers queued behind a leader go to the journal in one append, are all readable, and the
 * grouped records replay after a reopen. A writer that asks for a sync does not join a group
 * that does not sync: it leads the next one. */
static void queued_writers_share_one_journal_append(void) {
  held_group h;
  const int sync[4] = {0, 0, 0, 1};
  if (!hold_group(&h, sync)) {
    free_group(&h);
    return;
  }
  release_group(&h);
  vfs_fault_counters c;
  vfs_fault_get_counters(h.fault, &c);
  int ok = 1;
  for (int i = 0; i < 4; i++) ok &= EXPECT_OK(h.a[i].st);
  h.a[0].st = h.a[1].st = h.a[2].st = h.a[3].st = NULL;
  /* g0 alone, then g1 + g2 in one append, then g3 (sync) in its own, synced */
  if (c.writes != 3 || c.syncs != 1)
    harness_fail(__FILE__, __LINE__, "appends %llu (want 3), syncs %llu (want 1)", (unsigned long long)c.writes,
                 (unsigned long long)c.syncs);
  for (int i = 0; i < 4 && ok; i++) ok = key_found(h.db, h.a[i].key) == 1;
  if (!ok) harness_fail(__FILE__, __LINE__, "a grouped write is missing before the reopen");
  CHECK_OK(strata_close(h.db));
  h.db = NULL;
  CHECK_OK(strata_open("grouped", h.o, &h.db));
  for (int i = 0; i < 4 && ok; i++) ok = key_found(h.db, h.a[i].key) == 1;
  if (!ok) harness_fail(__FILE__, __LINE__, "a grouped write is missing after the reopen");
  free_group(&h);
}

/* A group whose append fails fails every writer in it, and none of them is applied; the writer
 * before it stands, and the database takes writes again afterwards. */
static void a_failed_group_append_fails_every_writer_in_it(void) {
  held_group h;
  const int sync[4] = {0, 0, 0, 0};
  if (!hold_group(&h, sync)) {
    free_group(&h);
    return;
  }
  vfs_fault_fail_nth(h.fault, VFS_FAULT_WRITE, 2); /* g0's append passes, the group g1..g3's fails */
  release_group(&h);
  CHECK_OK(h.a[0].st);
  h.a[0].st = NULL;
  for (int i = 1; i < 4; i++) {
    if (strata_status_code(h.a[i].st) != STRATA_IO)
      harness_fail(__FILE__, __LINE__, "writer %d: expected an IO error, got %s", i,
                   strata_code_name(strata_status_code(h.a[i].st)));
  }
  CHECK_EQ_U64(key_found(h.db, "g0"), 1);
  for (int i = 1; i < 4; i++) CHECK_EQ_U64(key_found(h.db, h.a[i].key), 0);
  CHECK_OK(strata_put(h.db, "after", 5, "v", 1, 0));
  CHECK_OK(strata_close(h.db));
  h.db = NULL;
  CHECK_OK(strata_open("grouped", h.o, &h.db));
  CHECK_EQ_U64(key_found(h.db, "g0"), 1);
  CHECK_EQ_U64(key_found(h.db, "after"), 1);
  for (int i = 1; i < 4; i++) CHECK_EQ_U64(key_found(h.db, h.a[i].key), 0);
  free_group(&h);
}

/* The leader g0 commits the groups queued behind it too (db_write.c, combining). When one of
 * those groups fails, its writers get the error, the leader stops there, and the writer after
 * the failed group leads its own: g3, a sync write, still commits, synced, and survives a
 * reopen. */
static void a_failed_combined_group_hands_the_queue_to_the_next_writer(void) {
  held_group h;
  const int sync[4] = {0, 0, 0, 1};
  if (!hold_group(&h, sync)) {
    free_group(&h);
    return;
  }
  vfs_fault_fail_nth(h.fault, VFS_FAULT_WRITE, 2); /* g0's append passes, g1 + g2's fails */
  release_group(&h);
  vfs_fault_counters c;
  vfs_fault_get_counters(h.fault, &c);
  CHECK_OK(h.a[0].st);
  CHECK_OK(h.a[3].st);
  h.a[0].st = h.a[3].st = NULL;
  for (int i = 1; i < 3; i++)
    if (strata_status_code(h.a[i].st) != STRATA_IO)
      harness_fail(__FILE__, __LINE__, "writer %d: expected an IO error, got %s", i,
                   strata_code_name(strata_status_code(h.a[i].st)));
  CHECK_EQ_U64(c.syncs, 1); /* g3's group synced */
  CHECK_EQ_U64(key_found(h.db, "g0"), 1);
  CHECK_EQ_U64(key_found(h.db, "g1"), 0);
  CHECK_EQ_U64(key_found(h.db, "g2"), 0);
  CHECK_EQ_U64(key_found(h.db, "g3"), 1);
  CHECK_OK(strata_close(h.db));
  h.db = NULL;
  CHECK_OK(strata_open("grouped", h.o, &h.db));
  CHECK_EQ_U64(key_found(h.db, "g0"), 1);
  CHECK_EQ_U64(key_found(h.db, "g2"), 0);
  CHECK_EQ_U64(key_found(h.db, "g3"), 1);
  free_group(&h);
}

#define MIX_THREADS 4
#define MIX_OPS 1200

typedef struct mix_arg {
  strata_db *db;
  int id;
  strata_status *st;
} mix_arg;

/* Key k of thread t ends at value "t-k-<last round>", or deleted when k % 7 == 3. */
static void *mixed_writer(void *p) {
  mix_arg *a = p;
  strata_batch *b = NULL;
  a->st = strata_batch_new(&b);
  char k[32], v[48];
  for (int op = 0; op < MIX_OPS && !a->st; op++) {
    int key = op % 97, round = op / 97;
    snprintf(k, sizeof k, "m%d-%03d", a->id, key);
    snprintf(v, sizeof v, "%d-%d-%d", a->id, key, round);
    int sync = op % 50 == 49;
    if (op % 10 == 0) { /* a batch: the key and a neighbour key, same value */
      strata_batch_clear(b);
      char k2[40];
      snprintf(k2, sizeof k2, "%s+", k);
      a->st = strata_batch_put(b, k, strlen(k), v, strlen(v));
      if (!a->st) a->st = strata_batch_put(b, k2, strlen(k2), v, strlen(v));
      if (!a->st) a->st = strata_write(a->db, b, sync);
    } else {
      a->st = strata_put(a->db, k, strlen(k), v, strlen(v), sync);
    }
    if (!a->st && key % 7 == 3 && op + 97 >= MIX_OPS) a->st = strata_delete(a->db, k, strlen(k), 0);
  }
  strata_batch_free(b);
  return NULL;
}

static int check_mixed(strata_db *db, char *why, size_t why_len) {
  for (int t = 0; t < MIX_THREADS; t++)
    for (int key = 0; key < 97; key++) {
      char k[32], want[48], buf[48];
      snprintf(k, sizeof k, "m%d-%03d", t, key);
      int last = (MIX_OPS - 1 - key) / 97; /* the last round that wrote this key */
      snprintf(want, sizeof want, "%d-%d-%d", t, key, last);
      int found = 0;
      size_t len = 0;
      strata_status *st = strata_get_into(db, NULL, k, strlen(k), &found, buf, sizeof buf, &len);
      if (st) {
        snprintf(why, why_len, "%s: %s", k, strata_status_message(st));
        strata_status_free(st);
        return 0;
      }
      int deleted = key % 7 == 3;
      if (deleted ? found : !found || len != strlen(want) || memcmp(buf, want, len)) {
        snprintf(why, why_len, "%s: found %d, %.*s, want %s", k, found, (int)len, buf, deleted ? "deleted" : want);
        return 0;
      }
    }
  return 1;
}

/* Many writers at once (single puts, batches, syncs, deletes) with a small memtable, so groups
 * meet rotations and flushes: every last write wins, before and after a reopen. */
static void concurrent_writers_lose_nothing_across_reopen(void) {
  vfs *mem = NULL;
  CHECK_OK(vfs_memory_new(&mem));
  strata_options *o = NULL;
  CHECK_OK(strata_options_new(&o));
  EXPECT_OK(strata_options_set_vfs(o, mem));
  EXPECT_OK(strata_options_set_memtable_size(o, 16 << 10));
  strata_db *db = NULL;
  CHECK_OK(strata_open("mixed", o, &db));
  sync_thread t[MIX_THREADS];
  mix_arg a[MIX_THREADS];
  for (int i = 0; i < MIX_THREADS; i++) {
    a[i].db = db;
    a[i].id = i;
    a[i].st = NULL;
    CHECK_OK(sync_thread_start(&t[i], mixed_writer, &a[i]));
  }
  for (int i = 0; i < MIX_THREADS; i++) sync_thread_join(&t[i]);
  for (int i = 0; i < MIX_THREADS; i++) CHECK_OK(a[i].st);
  char why[160];
  if (!check_mixed(db, why, sizeof why)) harness_fail(__FILE__, __LINE__, "before reopen: %s", why);
  CHECK_OK(strata_close(db));
  CHECK_OK(strata_open("mixed", o, &db));
  if (!check_mixed(db, why, sizeof why)) harness_fail(__FILE__, __LINE__, "after reopen: %s", why);
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  vfs_destroy(mem);
}

int main(void) {
  RUN(writers_readers_and_flusher_agree);
  RUN(writers_readers_and_flusher_agree_while_writes_warm_the_cache);
  RUN(snapshot_reads_never_see_later_batches);
  RUN(queued_writers_share_one_journal_append);
  RUN(a_failed_group_append_fails_every_writer_in_it);
  RUN(a_failed_combined_group_hands_the_queue_to_the_next_writer);
  RUN(concurrent_writers_lose_nothing_across_reopen);
  return harness_finish();
}
