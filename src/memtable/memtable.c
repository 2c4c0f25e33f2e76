#include "memtable.h"

#include <stdalign.h>
#include <stdlib.h>

#include "arena.h"
#include "skiplist.h"
#include "util/check.h"
#include "util/checksum.h"
#include "util/hot.h"
#include "util/sync.h"

/*
 * Runs: the entries live in a sequence of skiplists ("runs") in the one arena. Inserts go to the
 * newest run; once it holds MEMTABLE_RUN_BYTES (8 MiB), the next memtable_reserve (which the database
 * calls once per batch or group, before it journals) starts a new one. A random insert then
 * walks a list of 8 MiB (a third of it nodes), whose nodes sit together at the front of the arena's newest chunks,
 * instead of one 64 MiB list that misses the CPU caches on most of its levels. The cost moves
 * to reads of memtable entries: a get looks in each run, newest first; an iterator merges them.
 *
 * Seqnos never decrease from one insert to the next except inside a batch (one seqno), and a
 * batch never straddles two runs (a run only starts in memtable_reserve), so a newer run holds
 * only newer versions: the first run (newest first) with a visible version has the newest one,
 * and no (key, seqno) is in two runs.
 */
#define MEMTABLE_RUN_BYTES ((uint64_t)8 << 20)
#define MEMTABLE_RUNS_MAX 32 /* then the last run grows: a memtable above 256 MiB */

/*
 * Each run has a blocked bloom filter of its user keys, filled as they are inserted, so a get
 * skips the runs that cannot hold its key: one cache line per run instead of a search. 64 KiB
 * (1024 blocks of 512 bits, 6 bits per key in one block): ~9 bits per key for a run of 100-byte
 * values, a few % false positives (a false positive costs one search of that run). Written by the writer only (load, or, store: no locked RMW);
 * a reader whose snapshot covers an insert also sees its bits (published with the seqno).
 */
#define RUN_FILTER_WORDS 8192u /* u64 words: 64 KiB */
#define RUN_FILTER_BLOCK_WORDS 8u
#define RUN_FILTER_PROBES 6

typedef struct run_filter {
  atomic_u64 *words;
} run_filter;

static uint64_t filter_hash(slice user_key) { return checksum64(user_key.data, user_key.len); }

static strata_status *filter_init(run_filter *f, arena *a) {
  void *mem;
  STATUS_TRY(arena_alloc(a, RUN_FILTER_WORDS * sizeof(atomic_u64), alignof(atomic_u64), &mem));
  f->words = mem;
  for (size_t i = 0; i < RUN_FILTER_WORDS; i++) atomic_u64_init(&f->words[i], 0);
  return NULL;
}

/* The block (top 10 bits of the hash) and the 6 bits in it (9 bits of the hash each). */
static atomic_u64 *filter_block(const run_filter *f, uint64_t h) {
  return &f->words[(h >> 54) * RUN_FILTER_BLOCK_WORDS];
}

static void filter_add(run_filter *f, uint64_t h) {
  atomic_u64 *block = filter_block(f, h);
  for (int i = 0; i < RUN_FILTER_PROBES; i++) {
    unsigned bit = (unsigned)(h >> (9 * i)) & 511u;
    atomic_u64 *w = &block[bit >> 6];
    uint64_t mask = UINT64_C(1) << (bit & 63);
    uint64_t old = atomic_u64_load(w);
    if (!(old & mask)) atomic_u64_store(w, old | mask);
  }
}

static int filter_may_hold(const run_filter *f, uint64_t h) {
  atomic_u64 *block = filter_block(f, h);
  for (int i = 0; i < RUN_FILTER_PROBES; i++) {
    unsigned bit = (unsigned)(h >> (9 * i)) & 511u;
    if (!(atomic_u64_load(&block[bit >> 6]) & (UINT64_C(1) << (bit & 63)))) return 0;
  }
  return 1;
}

struct memtable {
  atomic_u64 refs;
  arena arena;
  skiplist runs[MEMTABLE_RUNS_MAX];
  run_filter filters[MEMTABLE_RUNS_MAX];
  /* Runs in use, >= 1. Raised by the writer (release) after the new run is initialised; readers
   * load it (acquire) and see the run whole. */
  atomic_u64 run_count;
  uint64_t run_start; /* approximate_size when the newest run began (writer only) */
  atomic_u64 approximate_size;
  /* Lowered only by the (single) writer, after highest_seqno is raised: a reader that sees a
   * lowest below UINT64_MAX (acquire) also sees a highest that covers it. */
  atomic_u64 lowest_seqno;  /* UINT64_MAX until the first insert */
  atomic_u64 highest_seqno;
};

static size_t run_count(const memtable *mt) { return (size_t)atomic_u64_load(&mt->run_count); }

/* Each run's seed only needs to differ now and then; the address does that without global state. */
static uint64_t run_seed(const memtable *mt, size_t i) { return ((uint64_t)(uintptr_t)mt + i * 0x9E37u) | 1; }

strata_status *memtable_new(memtable **out) {
  memtable *mt = malloc(sizeof *mt);
  if (!mt) return status_no_memory();
  atomic_u64_init(&mt->refs, 1);
  arena_init(&mt->arena, 0);
  strata_status *st = skiplist_init(&mt->runs[0], &mt->arena, run_seed(mt, 0));
  if (!st) st = filter_init(&mt->filters[0], &mt->arena);
  if (st) {
    arena_destroy(&mt->arena);
    free(mt);
    return st;
  }
  atomic_u64_init(&mt->run_count, 1);
  mt->run_start = 0;
  atomic_u64_init(&mt->approximate_size, 0);
  atomic_u64_init(&mt->highest_seqno, 0);
  atomic_u64_init(&mt->lowest_seqno, UINT64_MAX);
  *out = mt;
  return NULL;
}

void memtable_ref(memtable *mt) {
  atomic_u64_fetch_add(&mt->refs, 1);
}

void memtable_unref(memtable *mt) {
  if (!mt) return;
  /* acq_rel: the thread that frees must see every other holder's last use finished. */
  if (atomic_u64_fetch_sub(&mt->refs, 1) != 1) return;
  arena_destroy(&mt->arena);
  free(mt);
}

size_t memtable_entry_bound(size_t key_len, size_t value_len) { return skiplist_node_bound(key_len, value_len); }

strata_status *memtable_reserve(memtable *mt, size_t bytes) {
  if (bytes == SIZE_MAX) return status_new(STRATA_NO_MEMORY, "memtable: a batch too large to reserve");
  size_t n = run_count(mt);
  uint64_t size = atomic_u64_load(&mt->approximate_size);
  if (size - mt->run_start >= MEMTABLE_RUN_BYTES && n < MEMTABLE_RUNS_MAX) {
    /* between two batches: the next one goes to a new run (a failure leaves the old one on) */
    STATUS_TRY(skiplist_init(&mt->runs[n], &mt->arena, run_seed(mt, n)));
    STATUS_TRY(filter_init(&mt->filters[n], &mt->arena));
    mt->run_start = size;
    atomic_u64_store(&mt->run_count, n + 1);
  }
  return arena_reserve(&mt->arena, bytes);
}

strata_status *memtable_insert(memtable *mt, slice user_key, uint64_t seqno, value_type type,
                               slice value) {
  if (user_key.len > USER_KEY_MAX) {
    return status_new(STRATA_INVALID_ARGUMENT, "key of %zu bytes is longer than %u", user_key.len,
                      USER_KEY_MAX);
  }
  if ((uint64_t)value.len > MEMTABLE_VALUE_MAX) {
    return status_new(STRATA_INVALID_ARGUMENT, "value of %llu bytes is longer than %llu",
                      (unsigned long long)value.len, (unsigned long long)MEMTABLE_VALUE_MAX);
  }
  if (seqno > SEQNO_MAX) {
    return status_new(STRATA_INVALID_ARGUMENT, "seqno %llu is above the largest, %llu",
                      (unsigned long long)seqno, (unsigned long long)SEQNO_MAX);
  }
  if (!value_type_is_valid((uint64_t)type)) {
    return status_new(STRATA_INVALID_ARGUMENT, "unknown value type %d", (int)type);
  }
  internal_key key = internal_key_make(user_key, seqno, type);
  size_t bytes = 0;
  size_t run = run_count(mt) - 1;
  /* the key's bits before its node is linked: a reader that can find the node passes the filter
   * (an insert that then fails leaves only a false positive) */
  filter_add(&mt->filters[run], filter_hash(user_key));
  STATUS_TRY(skiplist_insert(&mt->runs[run], &key, value, &bytes));
  /* One writer: a load and a release store publish these without a locked read-modify-write. */
  atomic_u64_store(&mt->approximate_size, atomic_u64_load(&mt->approximate_size) + bytes);
  if (seqno > atomic_u64_load(&mt->highest_seqno)) atomic_u64_store(&mt->highest_seqno, seqno);
  if (seqno < atomic_u64_load(&mt->lowest_seqno)) atomic_u64_store(&mt->lowest_seqno, seqno);
  return NULL;
}

void memtable_get(const memtable *mt, slice user_key, uint64_t snapshot_seqno, int *found,
                  value_type *type, slice *value) {
  *found = 0;
  /* Nothing below the snapshot (empty, or only newer writes, which a pinned snapshot or a sealed
   * memtable's reader commonly meets): one load instead of a hash and a seek per run. Also
   * covers snapshot 0: nothing is older than seqno 0. */
  if (!memtable_holds_below(mt, snapshot_seqno)) return;
  /* Any larger snapshot sees everything too; clamping keeps the trailer from overflowing. */
  if (snapshot_seqno > SEQNO_READ_ALL) snapshot_seqno = SEQNO_READ_ALL;
  /* The first entry at or after (key, S-1, max type) is the newest with seqno < S, if it is
   * still this key. */
  internal_key target = internal_key_seek_target(user_key, snapshot_seqno);
  size_t n = run_count(mt);
  uint64_t h = n > 1 ? filter_hash(user_key) : 0;
  for (size_t i = n; i-- > 0;) { /* newest run first: it holds the newest versions */
    if (n > 1 && !filter_may_hold(&mt->filters[i], h)) continue;
    skiplist_iter it;
    skiplist_iter_init(&it, &mt->runs[i]);
    skiplist_iter_seek(&it, &target);
    if (!skiplist_iter_valid(&it)) continue;
    internal_key k = skiplist_iter_key(&it);
    if (!slice_equal(k.user_key, user_key)) continue;
    *found = 1;
    if (type) *type = k.type;
    if (value) *value = skiplist_iter_value(&it);
    return;
  }
}

uint64_t memtable_approximate_size(const memtable *mt) {
  return atomic_u64_load(&mt->approximate_size);
}

uint64_t memtable_memory_usage(const memtable *mt) {
  return arena_memory_usage(&mt->arena);
}

uint64_t memtable_entry_count(const memtable *mt) {
  uint64_t count = 0;
  for (size_t i = 0, n = run_count(mt); i < n; i++) count += skiplist_count(&mt->runs[i]);
  return count;
}

/* lowest_seqno is UINT64_MAX until the first insert, above every snapshot; it is lowered (release)
 * in memtable_insert before the caller publishes the seqno. */
int memtable_holds_below(const memtable *mt, uint64_t snapshot_seqno) {
  return atomic_u64_load(&mt->lowest_seqno) < snapshot_seqno;
}

int memtable_highest_seqno(const memtable *mt, uint64_t *out) {
  if (atomic_u64_load(&mt->lowest_seqno) == UINT64_MAX) return 0;
  *out = atomic_u64_load(&mt->highest_seqno);
  return 1;
}

int memtable_lowest_seqno(const memtable *mt, uint64_t *out) {
  uint64_t lowest = atomic_u64_load(&mt->lowest_seqno);
  if (lowest == UINT64_MAX) return 0;
  *out = lowest;
  return 1;
}

/* --- iterator ---------------------------------------------------------------------------------- */

/* Over one run it is that run's skiplist iterator; over several, a merge: the current entry is
 * the smallest (forward) or largest (backward) of the runs' positions. Internal keys are unique
 * across runs, so a direction change re-seeks the other runs to just past the current key, as
 * LevelDB's merging iterator does. The run count is read again at every seek, so runs started
 * after the iterator was made are seen from its next seek on.
 *
 * The merge is a tournament (loser) tree over the runs, rebuilt at each seek and direction
 * change: a step replays only the path of the run that moved, log2(runs) comparisons instead of
 * one per run. A flush reads a 64 MiB memtable's eight runs this way, and the linear scan it
 * replaced was a third of the flush's instructions. */
typedef struct memtable_iterator {
  kv_iterator base;
  memtable *mt;
  size_t n;         /* runs the last seek took in */
  int current;      /* index into its, -1: not valid */
  int forward;
  unsigned leaves;  /* n rounded up to a power of two: leaf i is run i (past n: never wins) */
  uint8_t loser[MEMTABLE_RUNS_MAX]; /* node k in 1..leaves-1: the run that lost the match there */
  skiplist_iter its[MEMTABLE_RUNS_MAX];
} memtable_iterator;

static memtable_iterator *memtable_iter_of(kv_iterator *it) {
  return (memtable_iterator *)it;
}

/* Takes the current run's position into the base (kv_iterator.h). */
static void memtable_iter_sync(memtable_iterator *m) {
  if (m->current >= 0) {
    const skiplist_iter *cur = &m->its[m->current];
    kv_iterator_set_position(&m->base, skiplist_iter_key(cur), skiplist_iter_value(cur));
  } else {
    kv_iterator_set_invalid(&m->base);
  }
}

/* A contender in the tree: a run and, when it has one, its key (decoded once per match path). */
typedef struct contender {
  unsigned run;
  int valid;
  internal_key key;
} contender;

static STRATA_HOT contender contender_of(const memtable_iterator *m, unsigned run) {
  contender c = {.run = run, .valid = run < m->n && skiplist_iter_valid(&m->its[run])};
  if (c.valid) c.key = skiplist_iter_key(&m->its[run]);
  return c;
}

/* 1 when a's position comes first in the iterator's direction; a run past its end comes last. */
static STRATA_HOT int comes_first(const memtable_iterator *m, const contender *a, const contender *b) {
  if (!a->valid || !b->valid) return a->valid;
  int c = internal_key_compare(&a->key, &b->key);
  return m->forward ? c < 0 : c > 0;
}

static void settle_winner(memtable_iterator *m, const contender *w) {
  if (!w->valid) {
    m->current = -1;
    kv_iterator_set_invalid(&m->base);
    return;
  }
  m->current = (int)w->run;
  kv_iterator_set_position(&m->base, w->key, skiplist_iter_value(&m->its[w->run]));
}

/* Plays every match again, from the runs' positions: after a seek or a direction change. */
static void pick_current(memtable_iterator *m) {
  if (m->n == 1) {
    m->current = skiplist_iter_valid(&m->its[0]) ? 0 : -1;
    memtable_iter_sync(m);
    return;
  }
  unsigned leaves = 1;
  while (leaves < m->n) leaves *= 2;
  m->leaves = leaves;
  contender winner[2 * MEMTABLE_RUNS_MAX]; /* node k's winner; the leaves at leaves + run */
  for (unsigned i = 0; i < leaves; i++) winner[leaves + i] = contender_of(m, i);
  for (unsigned k = leaves - 1; k >= 1; k--) {
    const contender *a = &winner[2 * k], *b = &winner[2 * k + 1];
    int a_wins = comes_first(m, a, b);
    m->loser[k] = (uint8_t)(a_wins ? b->run : a->run);
    winner[k] = a_wins ? *a : *b;
  }
  settle_winner(m, &winner[1]);
}

/* The current run moved: replays its path to the root against the losers kept there. */
static void replay_current(memtable_iterator *m) {
  contender cand = contender_of(m, (unsigned)m->current);
  for (unsigned k = (m->leaves + cand.run) / 2; k >= 1; k /= 2) {
    contender other = contender_of(m, m->loser[k]);
    if (comes_first(m, &other, &cand)) {
      m->loser[k] = (uint8_t)cand.run;
      cand = other;
    }
  }
  settle_winner(m, &cand);
}

static void take_runs(memtable_iterator *m) {
  m->n = run_count(m->mt);
  for (size_t i = 0; i < m->n; i++) skiplist_iter_init(&m->its[i], &m->mt->runs[i]);
}

static void memtable_iter_seek_first(kv_iterator *it) {
  memtable_iterator *m = memtable_iter_of(it);
  take_runs(m);
  for (size_t i = 0; i < m->n; i++) skiplist_iter_seek_first(&m->its[i]);
  m->forward = 1;
  pick_current(m);
}

static void memtable_iter_seek_last(kv_iterator *it) {
  memtable_iterator *m = memtable_iter_of(it);
  take_runs(m);
  for (size_t i = 0; i < m->n; i++) skiplist_iter_seek_last(&m->its[i]);
  m->forward = 0;
  pick_current(m);
}

static void memtable_iter_seek(kv_iterator *it, const internal_key *target) {
  memtable_iterator *m = memtable_iter_of(it);
  take_runs(m);
  for (size_t i = 0; i < m->n; i++) skiplist_iter_seek(&m->its[i], target);
  m->forward = 1;
  pick_current(m);
}

static void memtable_iter_seek_for_prev(kv_iterator *it, const internal_key *target) {
  memtable_iterator *m = memtable_iter_of(it);
  take_runs(m);
  for (size_t i = 0; i < m->n; i++) skiplist_iter_seek_for_prev(&m->its[i], target);
  m->forward = 0;
  pick_current(m);
}

static void memtable_iter_next(kv_iterator *it) {
  memtable_iterator *m = memtable_iter_of(it);
  STRATA_ASSERT(m->current >= 0);
  int rebuild = !m->forward;
  if (!m->forward) {
    /* the other runs stand before the current key: move each to its first entry after it */
    internal_key k = skiplist_iter_key(&m->its[m->current]);
    for (size_t i = 0; i < m->n; i++)
      if ((int)i != m->current) skiplist_iter_seek(&m->its[i], &k);
    m->forward = 1;
  }
  skiplist_iter_next(&m->its[m->current]);
  if (m->n == 1) {
    if (!skiplist_iter_valid(&m->its[0])) m->current = -1;
    memtable_iter_sync(m);
    return;
  }
  if (rebuild) pick_current(m);
  else replay_current(m);
}

static void memtable_iter_prev(kv_iterator *it) {
  memtable_iterator *m = memtable_iter_of(it);
  STRATA_ASSERT(m->current >= 0);
  int rebuild = m->forward;
  if (m->forward) {
    internal_key k = skiplist_iter_key(&m->its[m->current]);
    for (size_t i = 0; i < m->n; i++)
      if ((int)i != m->current) skiplist_iter_seek_for_prev(&m->its[i], &k);
    m->forward = 0;
  }
  skiplist_iter_prev(&m->its[m->current]);
  if (rebuild || m->n == 1) pick_current(m);
  else replay_current(m);
}

/* Memory cannot go bad under an iterator: there is never an error to report. */
static strata_status *memtable_iter_status(kv_iterator *it) {
  (void)it;
  return NULL;
}

static void memtable_iter_destroy(kv_iterator *it) {
  memtable_iterator *m = memtable_iter_of(it);
  memtable_unref(m->mt);
  kv_iterator_free(&m->base);
}

static const kv_iterator_ops memtable_iterator_ops = {
    memtable_iter_seek_first, memtable_iter_seek_last, memtable_iter_seek,
    memtable_iter_seek_for_prev, memtable_iter_next, memtable_iter_prev,
    memtable_iter_status, memtable_iter_destroy,
};

strata_status *memtable_iterator_new(memtable *mt, iter_arena *region, kv_iterator **out) {
  memtable_iterator *m = kv_iterator_alloc(region, sizeof *m);
  if (!m) return status_no_memory();
  kv_iterator_init(&m->base, &memtable_iterator_ops);
  memtable_ref(mt);
  m->mt = mt;
  m->n = 0;
  m->current = -1;
  m->forward = 1;
  *out = &m->base;
  return NULL;
}
