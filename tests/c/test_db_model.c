/*
 * A randomized model test: thousands of mixed operations (put, delete, single delete, batch,
 * snapshots, reads, iteration both ways, flush, maintenance, compaction, reopen) against a reference map,
 * with a copy of the map for every open snapshot. Every read is compared. Compactions (the
 * strategy's own and major ones) run among the operations, once per strategy (FIFO without a
 * limit, so it never drops data the model still holds). The seed is fixed for CI;
 * STRATA_MODEL_SEED picks another, STRATA_MODEL_OPS the length, STRATA_MODEL_BACKGROUND=0/1 the
 * threads (by default the seed's parity).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ack_history.h"
#include "harness.h"
#include "strata.h"
#include "vfs/vfs_fault.h"

#define NKEYS 96
#define MAX_SNAPSHOTS 6
#define VALUE_MAX 40

typedef struct model {
  char values[NKEYS][VALUE_MAX]; /* "" = absent (stored values are never empty strings) */
  int writes_since_delete[NKEYS];
} model;

typedef struct snap_slot {
  strata_snapshot *snap;
  model state;
} snap_slot;

static void key_name(int i, char *out) {
  /* varied lengths and bytes, including the empty key and 0xFF */
  if (i == 0) out[0] = 0;
  else if (i == NKEYS - 1) strcpy(out, "\xff\xff");
  else sprintf(out, "%c%03d", 'a' + i % 5, i);
}

static int model_check_get(strata_db *db, const strata_snapshot *snap, const model *m, int i) {
  char k[16], buf[VALUE_MAX + 8];
  key_name(i, k);
  int found = 0;
  size_t vlen = 0;
  strata_status *st = strata_get_into(db, snap, k, strlen(k), &found, buf, sizeof buf, &vlen);
  if (st) {
    harness_fail(__FILE__, __LINE__, "get %s (%s): %s", k, snap ? "snapshot" : "latest", strata_status_message(st));
    strata_status_free(st);
    return 0;
  }
  int expect = m->values[i][0] != 0;
  if (found != expect || (found && (vlen != strlen(m->values[i]) || memcmp(buf, m->values[i], vlen)))) {
    harness_fail(__FILE__, __LINE__, "get '%s': found %d (%.*s), model %d (%s)", k, found, (int)vlen, buf, expect,
                 m->values[i]);
    return 0;
  }
  return 1;
}

/* Iterates [lo, hi) of key indexes (in key order) both ways and compares with the model. */
static int model_check_scan(strata_db *db, const strata_snapshot *snap, const model *m, harness_rng *rng) {
  /* key order differs from index order: build the sorted index list */
  int order[NKEYS];
  char names[NKEYS][16];
  for (int i = 0; i < NKEYS; i++) {
    order[i] = i;
    key_name(i, names[i]);
  }
  for (int i = 1; i < NKEYS; i++) /* insertion sort by unsigned bytes */
    for (int j = i; j > 0 && strcmp(names[order[j - 1]], names[order[j]]) > 0; j--) {
      int tmp = order[j];
      order[j] = order[j - 1];
      order[j - 1] = tmp;
    }
  int a = (int)(harness_rng_next(rng) % NKEYS), b = (int)(harness_rng_next(rng) % NKEYS);
  if (a > b) {
    int tmp = a;
    a = b;
    b = tmp;
  }
  strata_range r = {STRATA_INCLUDED, names[order[a]], strlen(names[order[a]]), STRATA_EXCLUDED, names[order[b]],
                    strlen(names[order[b]])};
  int whole = harness_rng_next(rng) % 4 == 0;
  strata_iterator *it = NULL;
  strata_status *st = strata_iterator_new(db, snap, whole ? NULL : &r, &it);
  if (st) {
    harness_fail(__FILE__, __LINE__, "iterator: %s", strata_status_message(st));
    strata_status_free(st);
    return 0;
  }
  int lo = whole ? 0 : a, hi = whole ? NKEYS : b;
  for (int reverse = 0; reverse < 2; reverse++) {
    int pos = reverse ? hi - 1 : lo;
    if (reverse) strata_iterator_seek_last(it);
    else strata_iterator_seek_first(it);
    for (;;) {
      while (pos >= lo && pos < hi && !m->values[order[pos]][0]) pos += reverse ? -1 : 1;
      int model_valid = pos >= lo && pos < hi;
      if (model_valid != strata_iterator_valid(it)) {
        harness_fail(__FILE__, __LINE__, "scan %s: iterator valid %d, model %d at %d", reverse ? "back" : "fwd",
                     strata_iterator_valid(it), model_valid, pos);
        strata_iterator_close(it);
        return 0;
      }
      if (!model_valid) break;
      size_t kl, vl;
      const void *key = strata_iterator_key(it, &kl);
      const void *val = strata_iterator_value(it, &vl);
      const char *want = names[order[pos]], *want_v = m->values[order[pos]];
      /* an empty key may come back as a NULL pointer: memcmp must not see it */
      if (kl != strlen(want) || (kl && memcmp(key, want, kl)) || vl != strlen(want_v) || memcmp(val, want_v, vl)) {
        harness_fail(__FILE__, __LINE__, "scan%s: got %.*s, want %s", snap ? " at a snapshot" : "", (int)kl,
                     (const char *)key, want);
        strata_iterator_close(it);
        return 0;
      }
      pos += reverse ? -1 : 1;
      if (reverse) strata_iterator_prev(it);
      else strata_iterator_next(it);
    }
  }
  st = strata_iterator_status(it);
  strata_iterator_close(it);
  if (st) {
    harness_fail(__FILE__, __LINE__, "scan: %s", strata_status_message(st));
    strata_status_free(st);
    return 0;
  }
  return 1;
}

typedef enum model_strategy { MODEL_LEVELED, MODEL_TIERED, MODEL_FIFO } model_strategy;

/* kv_threshold > 0: with key-value separation, values of at least that many bytes in blob files
 * (the model's values are 4..12 bytes: some of each), small blob files and eager collection. */
static void run_model_kv(model_strategy strategy, uint32_t kv_threshold) {
  const char *env_seed = getenv("STRATA_MODEL_SEED"), *env_ops = getenv("STRATA_MODEL_OPS");
  uint64_t seed = env_seed ? strtoull(env_seed, NULL, 0) : 20261124;
  long ops = env_ops ? strtol(env_ops, NULL, 0) : 6000;
  printf("model seed %llu, %ld operations\n", (unsigned long long)seed, ops);
  harness_rng rng = {seed | 1};
  vfs *fs = NULL;
  CHECK_OK(vfs_posix_new(&fs));
  char *dir = harness_temp_dir(fs, "model");
  CHECK(dir != NULL);
  strata_options *o = NULL;
  CHECK_OK(strata_options_new(&o));
  EXPECT_OK(strata_options_set_memtable_size(o, 8 << 10));
  EXPECT_OK(strata_options_set_block_size(o, 256));
  EXPECT_OK(strata_options_set_vfs(o, fs));
  const char *env_bg = getenv("STRATA_MODEL_BACKGROUND");
  EXPECT_OK(strata_options_set_background_threads(o, env_bg ? atoi(env_bg) : (int)(seed % 2)));
  EXPECT_OK(strata_options_set_table_target_size(o, 2048)); /* compactions write several tables */
  if (strategy == MODEL_TIERED) EXPECT_OK(strata_options_set_compaction_tiered(o, 3, 1.0, 150));
  else if (strategy == MODEL_FIFO) EXPECT_OK(strata_options_set_compaction_fifo(o, 0, 0)); /* never drops: the model holds */
  else EXPECT_OK(strata_options_set_compaction_leveled(o, 3, 4));
  if (kv_threshold)
    EXPECT_OK(strata_options_set_kv_separation(o, kv_threshold, 1024, STRATA_COMPRESSION_LZ4, 0.25, 1.0));
  strata_db *db = NULL;
  CHECK_OK(strata_open(dir, o, &db));
  static model m;
  static snap_slot snaps[MAX_SNAPSHOTS];
  memset(&m, 0, sizeof m);
  memset(snaps, 0, sizeof snaps);
  strata_batch *batch = NULL;
  CHECK_OK(strata_batch_new(&batch));
  char k[16], v[VALUE_MAX];
  for (long op = 0; op < ops && !harness_case_failed(); op++) {
    uint64_t r = harness_rng_next(&rng) % 100;
    int i = (int)(harness_rng_next(&rng) % NKEYS);
    key_name(i, k);
    if (r < 40) { /* put */
      snprintf(v, sizeof v, "v%ld-%d", op, (int)(harness_rng_next(&rng) % 1000));
      CHECK_OK(strata_put(db, k, strlen(k), v, strlen(v), harness_rng_next(&rng) % 50 == 0));
      strcpy(m.values[i], v);
      m.writes_since_delete[i]++;
    } else if (r < 50) { /* delete, or a single delete where it is well defined (one write since) */
      if (m.writes_since_delete[i] == 1 && harness_rng_next(&rng) % 2) CHECK_OK(strata_single_delete(db, k, strlen(k), 0));
      else CHECK_OK(strata_delete(db, k, strlen(k), 0));
      m.values[i][0] = 0;
      m.writes_since_delete[i] = 0;
    } else if (r < 58) { /* a batch of up to 8 operations, possibly on the same key */
      strata_batch_clear(batch);
      int n = 1 + (int)(harness_rng_next(&rng) % 8);
      for (int b = 0; b < n; b++) {
        int j = (int)(harness_rng_next(&rng) % NKEYS);
        key_name(j, k);
        if (harness_rng_next(&rng) % 3) {
          snprintf(v, sizeof v, "b%ld-%d", op, b);
          CHECK_OK(strata_batch_put(batch, k, strlen(k), v, strlen(v)));
          strcpy(m.values[j], v);
          m.writes_since_delete[j] = 2; /* a batch's own versions collapse: keep single delete away */
        } else {
          CHECK_OK(strata_batch_delete(batch, k, strlen(k)));
          m.values[j][0] = 0;
          m.writes_since_delete[j] = 0;
        }
      }
      CHECK_OK(strata_write(db, batch, 0));
    } else if (r < 75) { /* read, at the latest state or at a snapshot */
      int s = (int)(harness_rng_next(&rng) % (MAX_SNAPSHOTS + 1));
      if (s < MAX_SNAPSHOTS && snaps[s].snap) {
        if (!model_check_get(db, snaps[s].snap, &snaps[s].state, i)) break;
      } else if (!model_check_get(db, NULL, &m, i)) {
        break;
      }
    } else if (r < 82) { /* scan */
      int s = (int)(harness_rng_next(&rng) % (MAX_SNAPSHOTS + 1));
      if (s < MAX_SNAPSHOTS && snaps[s].snap) {
        if (!model_check_scan(db, snaps[s].snap, &snaps[s].state, &rng)) break;
      } else if (!model_check_scan(db, NULL, &m, &rng)) {
        break;
      }
    } else if (r < 88) { /* take or drop a snapshot */
      int s = (int)(harness_rng_next(&rng) % MAX_SNAPSHOTS);
      if (snaps[s].snap) {
        strata_snapshot_release(snaps[s].snap);
        snaps[s].snap = NULL;
      } else {
        CHECK_OK(strata_snapshot_acquire(db, &snaps[s].snap));
        snaps[s].state = m;
      }
    } else if (r < 93) {
      CHECK_OK(strata_flush(db));
    } else if (r < 95) {
      int more = 0;
      CHECK_OK(strata_maintenance_step(db, harness_rng_next(&rng) % 2 ? 1 : 1 << 20, &more));
    } else if (r < 97) { /* the strategy's compactions, or now and then a major one */
      CHECK_OK(strata_compact(db, harness_rng_next(&rng) % 4 == 0));
    } else { /* reopen; snapshots stay open and keep reading what they saw */
      CHECK_OK(strata_close(db));
      db = NULL;
      CHECK_OK(strata_open(dir, o, &db));
    }
  }
  /* a final full comparison, then after one more reopen */
  for (int pass = 0; pass < 2 && !harness_case_failed(); pass++) {
    for (int i = 0; i < NKEYS; i++)
      if (!model_check_get(db, NULL, &m, i)) break;
    for (int s = 0; s < MAX_SNAPSHOTS; s++)
      if (snaps[s].snap)
        for (int i = 0; i < NKEYS; i++)
          if (!model_check_get(db, snaps[s].snap, &snaps[s].state, i)) break;
    CHECK_OK(strata_close(db));
    db = NULL;
    CHECK_OK(strata_open(dir, o, &db));
  }
  for (int s = 0; s < MAX_SNAPSHOTS; s++) strata_snapshot_release(snaps[s].snap);
  strata_batch_free(batch);
  if (db) CHECK_OK(strata_close(db));
  strata_options_free(o);
  harness_temp_dir_remove(fs, dir);
  vfs_destroy(fs);
}

/* --- power cuts ------------------------------------------------------------------------------ */

typedef struct cut_stats {
  long cuts, cuts_in_workload, torn, exact, lost_unsynced, pending_applied, reopens_checked;
  long acks, durable_acks;
} cut_stats;

/* Reads every key into state[] (malloc'd strings); 0 after recording a failure. */
static int read_state(strata_db *db, char **state) {
  char k[16], buf[VALUE_MAX + 8];
  for (int i = 0; i < NKEYS; i++) {
    key_name(i, k);
    int found = 0;
    size_t vlen = 0;
    strata_status *st = strata_get_into(db, NULL, k, strlen(k), &found, buf, sizeof buf, &vlen);
    if (st) {
      harness_fail(__FILE__, __LINE__, "get '%s' after a power cut: %s", k, strata_status_message(st));
      strata_status_free(st);
      return 0;
    }
    state[i] = NULL;
    if (found) {
      if (vlen >= sizeof buf) vlen = sizeof buf - 1;
      buf[vlen] = 0;
      state[i] = malloc(vlen + 1);
      memcpy(state[i], buf, vlen + 1);
    }
  }
  return 1;
}

/* Opens after a reboot and checks the state is an allowed prefix; rebases the history on it. */
static strata_status *open_and_check(const strata_options *o, ack_history *h, cut_stats *stats, const char *when,
                                     strata_db **out) {
  strata_status *st = strata_open("db", o, out);
  if (st) return status_wrap(st, "reopening %s", when);
  char *state[NKEYS] = {0};
  if (!read_state(*out, state)) return status_new(STRATA_IO, "reading after %s failed", when);
  ack_match m;
  ack_history_match(h, (const char *const *)state, &m);
  strata_status *bad = NULL;
  if (!m.matched) {
    char name[16];
    key_name(m.matches_below ? 0 : (int)m.first_key, name);
    if (m.matches_below)
      bad = status_new(STRATA_CORRUPTION,
                       "after %s: durable writes lost: the state is the history after %zu acks, %zu were durable",
                       when, m.below_k, ack_history_durable(h));
    else
      bad = status_new(STRATA_CORRUPTION,
                       "after %s: the state matches no prefix of the history (%zu acks, %zu durable; %zu keys "
                       "differ from the last, first key #%zu: '%s' is %s, history says %s)",
                       when, ack_history_acks(h), ack_history_durable(h), m.diff_keys, m.first_key, name,
                       state[m.first_key] ? state[m.first_key] : "absent",
                       ack_history_value(h, m.first_key) ? ack_history_value(h, m.first_key) : "absent");
  } else {
    size_t acks = ack_history_acks(h);
    stats->reopens_checked++;
    if (m.k == acks) stats->exact++;
    else if (m.k > acks) stats->pending_applied++;
    else stats->lost_unsynced++;
    ack_history_rebase(h, m.k);
  }
  for (int i = 0; i < NKEYS; i++) free(state[i]);
  return bad;
}

/* One write of the workload; *written = 0 when it failed (recorded as pending). */
static strata_status *cut_write(strata_db *db, strata_batch *batch, ack_history *h, harness_rng *rng, long tag,
                                int *durable) {
  char k[16], v[VALUE_MAX];
  uint64_t r = harness_rng_next(rng) % 10;
  int sync = harness_rng_next(rng) % 4 == 0;
  int i = (int)(harness_rng_next(rng) % NKEYS);
  key_name(i, k);
  strata_status *st;
  if (r < 6) {
    snprintf(v, sizeof v, "p%ld", tag);
    ack_history_put(h, (size_t)i, v);
    st = strata_put(db, k, strlen(k), v, strlen(v), sync);
  } else if (r < 8) {
    ack_history_del(h, (size_t)i);
    st = strata_delete(db, k, strlen(k), sync);
  } else {
    strata_batch_clear(batch);
    int n = 1 + (int)(harness_rng_next(rng) % 6);
    for (int b = 0; b < n; b++) {
      int j = (int)(harness_rng_next(rng) % NKEYS);
      key_name(j, k);
      if (harness_rng_next(rng) % 3) {
        snprintf(v, sizeof v, "b%ld-%d", tag, b);
        ack_history_put(h, (size_t)j, v);
        strata_status_free(strata_batch_put(batch, k, strlen(k), v, strlen(v)));
      } else {
        ack_history_del(h, (size_t)j);
        strata_status_free(strata_batch_delete(batch, k, strlen(k)));
      }
    }
    st = strata_write(db, batch, sync);
  }
  if (st) ack_history_commit_pending(h);
  else ack_history_commit(h, sync);
  *durable = sync;
  return st;
}

/* Runs the workload until it ends or the power goes; an error with the power on is returned. */
static strata_status *cut_workload(strata_db **db, const strata_options *o, ack_history *h, harness_rng *rng,
                                   int background, long base_tag, cut_stats *stats, vfs *faulty) {
  strata_batch *batch = NULL;
  STATUS_TRY(strata_batch_new(&batch));
  long ops = 40 + (long)(harness_rng_next(rng) % 160);
  strata_status *st = NULL;
  for (long op = 0; op < ops && !st; op++) {
    uint64_t r = harness_rng_next(rng) % 100;
    int durable = 0;
    if (r < 80) {
      st = cut_write(*db, batch, h, rng, base_tag + op, &durable);
      if (!st) {
        stats->acks++;
        stats->durable_acks += durable;
      }
    } else if (r < 88) {
      st = strata_flush(*db);
      if (!st) ack_history_durable_point(h); /* everything before a flush is in a synced table */
    } else if (r < 94 && !background) {
      int more = 0;
      st = strata_maintenance_step(*db, harness_rng_next(rng) % 2 ? 1 : 1 << 20, &more);
    } else if (r < 97) {
      st = strata_compact(*db, harness_rng_next(rng) % 4 == 0);
    } else if (r < 99) {
      st = strata_close(*db);
      *db = NULL;
      if (!st) ack_history_durable_point(h); /* close syncs the journal */
      if (!st) st = strata_open("db", o, db);
    }
  }
  strata_batch_free(batch);
  if (st && vfs_fault_power_is_off(faulty)) { /* the cut: expected */
    strata_status_free(st);
    st = NULL;
    stats->cuts_in_workload++;
  }
  return st;
}

static void power_cuts_kv(uint32_t kv_threshold, long default_trials) {
  const char *env_trials = getenv("STRATA_POWER_CUTS"), *env_seed = getenv("STRATA_POWER_CUT_SEED");
  long trials = env_trials ? strtol(env_trials, NULL, 0) : default_trials;
  uint64_t seed = env_seed ? strtoull(env_seed, NULL, 0) : 20261201;
  const int rounds = 3;
  harness_rng rng = {seed | 1};
  cut_stats stats;
  memset(&stats, 0, sizeof stats);
  uint64_t span = 400; /* operations a round takes, learned as trials run */
  for (long trial = 0; trial < trials && !harness_case_failed(); trial++) {
    vfs *mem = NULL, *faulty = NULL;
    CHECK_OK(vfs_memory_new(&mem));
    CHECK_OK(vfs_fault_new(mem, &faulty));
    vfs_fault_set_volatile_removes(faulty, 1);
    CHECK_OK(vfs_mkdir(faulty, "db"));
    strata_options *o = NULL;
    CHECK_OK(strata_options_new(&o));
    EXPECT_OK(strata_options_set_vfs(o, faulty));
    EXPECT_OK(strata_options_set_memtable_size(o, 4096 + (harness_rng_next(&rng) % 4) * 1024));
    EXPECT_OK(strata_options_set_block_size(o, 256));
    EXPECT_OK(strata_options_set_table_target_size(o, 1024));
    int background = STRATA_THREADS && trial % 2 == 1;
    EXPECT_OK(strata_options_set_background_threads(o, background));
    if (trial % 3 == 2) EXPECT_OK(strata_options_set_compaction_tiered(o, 3, 1.0, 150));
    else EXPECT_OK(strata_options_set_compaction_leveled(o, 2, 4));
    if (kv_threshold)
      EXPECT_OK(strata_options_set_kv_separation(o, kv_threshold, 1024, STRATA_COMPRESSION_LZ4, 0.25, 1.0));
    ack_history *h = ack_history_new(NKEYS);
    CHECK(h != NULL);
    strata_db *db = NULL;
    char when[96];
    for (int round = 0; round <= rounds && !harness_case_failed(); round++) {
      snprintf(when, sizeof when, "trial %ld (seed %llu) cut %d", trial, (unsigned long long)seed, round);
      strata_status *st = open_and_check(o, h, &stats, when, &db);
      if (st) {
        if (db) strata_status_free(strata_close(db));
        db = NULL;
        harness_fail(__FILE__, __LINE__, "%s", strata_status_message(st));
        strata_status_free(st);
        break;
      }
      if (round == rounds) break;
      vfs_fault_counters before, after;
      vfs_fault_get_counters(faulty, &before);
      vfs_fault_power_cut_at(faulty, 1 + harness_rng_next(&rng) % span);
      st = cut_workload(&db, o, h, &rng, background, trial * 10000 + round * 1000, &stats, faulty);
      vfs_fault_get_counters(faulty, &after);
      if (after.operations - before.operations > span) span = after.operations - before.operations;
      if (st) {
        harness_fail(__FILE__, __LINE__, "%s: %s (power on)", when, strata_status_message(st));
        strata_status_free(st);
      }
      vfs_fault_power_cut(faulty); /* at the end of the workload if it did not come earlier */
      if (db) strata_status_free(strata_close(db)); /* fails: the files are gone with the power */
      db = NULL;
      uint64_t torn = harness_rng_next(&rng) % 2 ? harness_rng_next(&rng) | 1 : 0;
      stats.torn += torn != 0;
      stats.cuts++;
      CHECK_OK(vfs_fault_crash(faulty, torn));
    }
    if (db) CHECK_OK(strata_close(db));
    ack_history_free(h);
    strata_options_free(o);
    vfs_destroy(faulty);
    vfs_destroy(mem);
  }
  printf("power cuts: %ld (%ld inside the workload, %ld torn), %ld reopens checked: %ld at the last ack, %ld lost "
         "only unsynced acks, %ld with the failed write applied; %ld acks (%ld synced)\n",
         stats.cuts, stats.cuts_in_workload, stats.torn, stats.reopens_checked, stats.exact, stats.lost_unsynced,
         stats.pending_applied, stats.acks, stats.durable_acks);
  CHECK(stats.cuts_in_workload > 0);
}

static void run_model(model_strategy strategy) { run_model_kv(strategy, 0); }
static void power_cuts_keep_every_durable_write_and_a_prefix_of_the_rest(void) { power_cuts_kv(0, 100); }
/* Power cuts at random points of flushes, compactions and blob relocations. */
static void power_cuts_with_kv_separation_keep_every_durable_write(void) { power_cuts_kv(8, 60); }
static void random_operations_match_the_model_under_leveled_compaction(void) { run_model(MODEL_LEVELED); }
static void random_operations_match_the_model_with_kv_separation_leveled(void) { run_model_kv(MODEL_LEVELED, 8); }
static void random_operations_match_the_model_with_kv_separation_tiered(void) { run_model_kv(MODEL_TIERED, 8); }
static void random_operations_match_the_model_under_tiered_compaction(void) { run_model(MODEL_TIERED); }
static void random_operations_match_the_model_under_fifo_compaction(void) { run_model(MODEL_FIFO); }

int main(void) {
  RUN(random_operations_match_the_model_under_leveled_compaction);
  RUN(random_operations_match_the_model_under_tiered_compaction);
  RUN(random_operations_match_the_model_under_fifo_compaction);
  RUN(random_operations_match_the_model_with_kv_separation_leveled);
  RUN(random_operations_match_the_model_with_kv_separation_tiered);
  RUN(power_cuts_keep_every_durable_write_and_a_prefix_of_the_rest);
  RUN(power_cuts_with_kv_separation_keep_every_durable_write);
  return harness_finish();
}
