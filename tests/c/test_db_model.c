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

#include "harness.h"
#include "strata.h"

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

static void run_model(model_strategy strategy) {
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

static void random_operations_match_the_model_under_leveled_compaction(void) { run_model(MODEL_LEVELED); }
static void random_operations_match_the_model_under_tiered_compaction(void) { run_model(MODEL_TIERED); }
static void random_operations_match_the_model_under_fifo_compaction(void) { run_model(MODEL_FIFO); }

int main(void) {
  RUN(random_operations_match_the_model_under_leveled_compaction);
  RUN(random_operations_match_the_model_under_tiered_compaction);
  RUN(random_operations_match_the_model_under_fifo_compaction);
  return harness_finish();
}
