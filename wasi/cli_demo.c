/*
 * cli_demo.c -- `strata demo [--dir ./data] [--count 200000]`: loads records with a progress
 * line, reads a random sample back, scans a prefix, shows a snapshot keeping the old values
 * while keys are overwritten, flushes, and prints the stats and the timings. The records are
 * generated deterministically, so every read is checked against what was written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "util/status.h"
#include "vfs/vfs.h"

#define DEMO_MARKER "STRATA_DEMO" /* left in the folder, so a later demo may remove it */
#define DEMO_MEMTABLE (4u << 20)  /* small, so the load flushes several tables as it goes */
#define DEMO_BATCH 1000u
#define DEMO_SAMPLES 10000u
#define DEMO_OVERWRITES 1000u

static const char *const names[] = {"ada", "grace", "edsger", "barbara", "donald",
                                    "frances", "ken", "radia", "tony", "margaret"};

static int key_of(uint64_t i, char *buf) { return snprintf(buf, 24, "user/%07llu", (unsigned long long)i); }

static int value_of(uint64_t i, int version, char *buf, size_t cap) {
  const char *n = names[i % 10];
  unsigned long long u = (unsigned long long)i;
  return snprintf(buf, cap, "{\"id\":%llu,\"name\":\"%s-%llu\",\"email\":\"%s%llu@example.com\",\"score\":%llu,\"version\":%d}",
                  u, n, u, n, u, (u * 7919) % 1000, version);
}

/* xorshift32: random but repeatable sample keys (the same sequence as before, seed 42). */
static double next_random(uint32_t *x) {
  *x ^= *x << 13;
  *x ^= *x >> 17;
  *x ^= *x << 5;
  return (double)*x / 4294967296.0;
}

/* Only a folder an earlier demo made (it holds DEMO_MARKER) may be removed. */
static strata_status *prepare_dir(vfs *fs, const char *dir) {
  int exists = 0, is_dir = 0;
  size_t entries = 0;
  STATUS_TRY(vfs_exists(fs, dir, &exists, &is_dir));
  if (!exists) return NULL;
  if (!is_dir) return status_new(STRATA_EXISTS, "%s exists and is not a folder; remove it or pass --dir", dir);
  STATUS_TRY(vfs_count_entries(fs, dir, &entries));
  if (entries == 0) return NULL;
  char *marker = vfs_path_join(dir, DEMO_MARKER);
  if (!marker) return status_no_memory();
  strata_status *st = vfs_exists(fs, marker, &exists, &is_dir);
  free(marker);
  if (st) return st;
  if (!exists)
    return status_new(STRATA_EXISTS, "%s exists and was not made by strata demo; remove it or pass --dir", dir);
  return vfs_remove_tree(fs, dir);
}

/* Bytes of every file under dir. */
typedef struct du_walk {
  vfs *fs;
  const char *dir;
  uint64_t bytes;
} du_walk;
static strata_status *du_entry(void *ctx, const char *name, int is_dir) {
  du_walk *w = ctx;
  char *path = vfs_path_join(w->dir, name);
  if (!path) return status_no_memory();
  strata_status *st = NULL;
  if (is_dir) {
    du_walk sub = {w->fs, path, 0};
    st = vfs_list(w->fs, path, du_entry, &sub);
    w->bytes += sub.bytes;
  } else {
    struct stat sb;
    if (stat(path, &sb) == 0) w->bytes += (uint64_t)sb.st_size;
  }
  free(path);
  return st;
}

typedef struct timing {
  const char *name;
  double ms;
} timing;

typedef struct demo {
  const cli_args *a;
  strata_db *db;
  vfs *fs;
  timing t[8];
  int nt;
  uint32_t *samples;
  double mark;
} demo;

static void timed_start(demo *d) { d->mark = cli_now_ms(); }
static double timed_end(demo *d, const char *name) {
  double ms = cli_now_ms() - d->mark;
  d->t[d->nt].name = name;
  d->t[d->nt++].ms = ms;
  return ms;
}

static strata_status *maintain(demo *d) {
#if !STRATA_THREADS
  int more = 0; /* no background threads: the loader runs the flushes between batches */
  return strata_maintenance_step(d->db, DEMO_MEMTABLE, &more);
#else
  (void)d;
  return NULL;
#endif
}

static strata_status *load(demo *d) {
  uint64_t count = d->a->count;
  cli_progress p;
  cli_progress_start(&p, "load", "records", count);
  strata_batch *b = NULL;
  STATUS_TRY(strata_batch_new(&b));
  char key[24], value[256], a[32], c[32], r[32];
  strata_status *st = NULL;
  timed_start(d);
  for (uint64_t i = 0; i < count && !st; i += DEMO_BATCH) {
    strata_batch_clear(b);
    uint64_t end = i + DEMO_BATCH < count ? i + DEMO_BATCH : count;
    for (uint64_t j = i; j < end && !st; j++) {
      int kl = key_of(j, key), vl = value_of(j, 1, value, sizeof value);
      st = strata_batch_put(b, key, (size_t)kl, value, (size_t)vl);
    }
    if (!st) st = strata_write(d->db, b, 0);
    if (!st) st = maintain(d);
    if (!st) cli_progress_update(&p, end, count);
  }
  strata_batch_free(b);
  if (st) return st;
  double ms = timed_end(d, "load");
  cli_progress_end(&p, count);
  printf("loaded %s records in batches of %s in %s (%s records/s)\n", cli_num(count, a), cli_num(DEMO_BATCH, c),
         cli_ms(ms, r), cli_num((uint64_t)((double)count / (ms / 1000) + 0.5), key));
  return NULL;
}

/* Gets one key; *same = whether it holds the value of the given version. */
static strata_status *read_check(strata_db *db, const strata_snapshot *snap, uint64_t i, int version, int *same) {
  char key[24], want[256];
  int kl = key_of(i, key), wl = value_of(i, version, want, sizeof want);
  int found = 0;
  void *v = NULL;
  size_t vl = 0;
  STATUS_TRY(strata_get(db, snap, key, (size_t)kl, &found, &v, &vl));
  *same = found && vl == (size_t)wl && !memcmp(v, want, vl);
  strata_free(v);
  return NULL;
}

static strata_status *random_gets(demo *d, uint64_t *wrong, uint32_t *nsamples) {
  uint64_t count = d->a->count;
  uint32_t n = count < DEMO_SAMPLES ? (uint32_t)count : DEMO_SAMPLES;
  d->samples = malloc(n * sizeof *d->samples);
  if (!d->samples) return status_no_memory();
  uint32_t x = 42;
  for (uint32_t i = 0; i < n; i++) d->samples[i] = (uint32_t)(next_random(&x) * (double)count);
  *nsamples = n;
  *wrong = 0;
  timed_start(d);
  for (uint32_t i = 0; i < n; i++) {
    int same;
    STATUS_TRY(read_check(d->db, NULL, d->samples[i], 1, &same));
    if (!same) (*wrong)++;
  }
  double ms = timed_end(d, "random gets");
  char a[32], b[32], c[32], w[48];
  if (*wrong) snprintf(w, sizeof w, "%s WRONG", cli_num(*wrong, c));
  else snprintf(w, sizeof w, "all values correct");
  printf("random gets: %s keys in %s (%s gets/s, %.1f µs each), %s\n", cli_num(n, a), cli_ms(ms, b),
         cli_num((uint64_t)((double)n / (ms / 1000) + 0.5), c), ms * 1000 / n, w);
  return NULL;
}

static void print_entry(strata_iterator *it) {
  size_t kl, vl;
  const void *k = strata_iterator_key(it, &kl);
  const void *v = strata_iterator_value(it, &vl);
  fputs("  ", stdout);
  cli_print_bytes(k, kl);
  putchar('\t');
  cli_print_bytes(v, vl);
  putchar('\n');
}

/* The 100 keys around the middle; prints the first and the last. */
static strata_status *prefix_scan(demo *d) {
  char prefix[24], a[32], b[32];
  int pl = key_of(d->a->count / 2, prefix) - 2;
  prefix[pl] = '\0';
  strata_iterator *it = NULL;
  timed_start(d);
  STATUS_TRY(strata_iterator_new_prefix(d->db, NULL, prefix, (size_t)pl, &it));
  uint64_t n = 0;
  for (strata_iterator_seek_first(it); strata_iterator_valid(it); strata_iterator_next(it)) {
    size_t kl, vl;
    strata_iterator_key(it, &kl);
    strata_iterator_value(it, &vl);
    n++;
  }
  strata_status *st = strata_iterator_status(it);
  double ms = timed_end(d, "prefix scan");
  if (!st) {
    printf("prefix scan \"%s\": %s records in %s; first and last:\n", prefix, cli_num(n, a), cli_ms(ms, b));
    strata_iterator_seek_first(it);
    if (strata_iterator_valid(it)) print_entry(it);
    strata_iterator_seek_last(it);
    if (n > 1 && strata_iterator_valid(it)) print_entry(it);
    st = strata_iterator_status(it);
  }
  strata_iterator_close(it);
  return st;
}

static strata_status *print_value(demo *d, const char *label, const strata_snapshot *snap, uint64_t i) {
  char key[24];
  int kl = key_of(i, key), found = 0;
  void *v = NULL;
  size_t vl = 0;
  STATUS_TRY(strata_get(d->db, snap, key, (size_t)kl, &found, &v, &vl));
  printf("  %s reads ", label);
  if (found) cli_print_bytes(v, vl);
  else fputs("nothing", stdout);
  putchar('\n');
  strata_free(v);
  return NULL;
}

/* A snapshot, then DEMO_OVERWRITES sampled keys overwritten: the snapshot keeps the old values. */
static strata_status *snapshot_demo(demo *d, uint32_t nsamples, int *ok) {
  uint32_t *keys = malloc((nsamples ? nsamples : 1) * sizeof *keys);
  if (!keys) return status_no_memory();
  uint32_t n = 0;
  for (uint32_t i = 0; i < nsamples && n < DEMO_OVERWRITES; i++) { /* distinct, in sample order */
    uint32_t j = 0;
    while (j < n && keys[j] != d->samples[i]) j++;
    if (j == n) keys[n++] = d->samples[i];
  }
  strata_snapshot *snap = NULL;
  strata_batch *b = NULL;
  strata_status *st = strata_snapshot_acquire(d->db, &snap);
  if (!st) st = strata_batch_new(&b);
  char key[24], value[256], a[32], c[32], e[32];
  timed_start(d);
  for (uint32_t i = 0; i < n && !st; i++) {
    int kl = key_of(keys[i], key), vl = value_of(keys[i], 2, value, sizeof value);
    st = strata_batch_put(b, key, (size_t)kl, value, (size_t)vl);
  }
  if (!st) st = strata_write(d->db, b, 0);
  if (!st) timed_end(d, "overwrite");
  uint64_t snap_old = 0, db_new = 0;
  for (uint32_t i = 0; i < n && !st; i++) {
    int same = 0;
    st = read_check(d->db, snap, keys[i], 1, &same);
    snap_old += (uint64_t)same;
    if (!st) st = read_check(d->db, NULL, keys[i], 2, &same);
    db_new += (uint64_t)same;
  }
  if (!st && n > 0) {
    key_of(keys[0], key);
    printf("snapshot taken, then %s keys overwritten with version 2; for %s:\n", cli_num(n, a), key);
    st = print_value(d, "snapshot", snap, keys[0]);
    if (!st) st = print_value(d, "database", NULL, keys[0]);
  }
  if (!st) {
    *ok = snap_old == n && db_new == n;
    cli_num(n, c);
    printf("snapshot check: %s: the snapshot reads the old value of %s/%s keys, the database the new value of %s/%s\n",
           *ok ? "ok" : "FAILED", cli_num(snap_old, a), c, cli_num(db_new, e), c);
  }
  strata_batch_free(b);
  strata_snapshot_release(snap);
  free(keys);
  return st;
}

static strata_status *run(demo *d, int *all_ok) {
  const cli_args *a = d->a;
  char n1[32];
  STATUS_TRY(prepare_dir(d->fs, a->dir));
  printf("strata demo: %s records in %s\n", cli_num(a->count, n1), a->dir);
  strata_options *o = NULL;
  STATUS_TRY(strata_options_new(&o));
  strata_status *st = strata_options_set_compression(o, STRATA_COMPRESSION_LZ4);
  if (!st) st = strata_options_set_memtable_size(o, DEMO_MEMTABLE);
  timed_start(d);
  if (!st) st = strata_open(a->dir, o, &d->db);
  strata_options_free(o);
  if (st) return st;
  timed_end(d, "open");
  char *marker = vfs_path_join(a->dir, DEMO_MARKER);
  if (!marker) return status_no_memory();
  static const char note[] = "made by `strata demo`; the next demo removes this folder\n";
  st = vfs_replace(d->fs, marker, note, sizeof note - 1);
  free(marker);
  if (st) return st;

  uint64_t wrong = 0;
  uint32_t nsamples = 0;
  int snap_ok = 0;
  STATUS_TRY(load(d));
  STATUS_TRY(random_gets(d, &wrong, &nsamples));
  STATUS_TRY(prefix_scan(d));
  STATUS_TRY(snapshot_demo(d, nsamples, &snap_ok));

  timed_start(d);
  STATUS_TRY(strata_flush(d->db));
  printf("flushed in %s\n\n", cli_ms(timed_end(d, "flush"), n1));
  strata_stats s;
  STATUS_TRY(strata_get_stats(d->db, &s));
  cli_print_stats(&s);
  putchar('\n');
  timed_start(d);
  st = strata_close(d->db);
  d->db = NULL;
  if (st) return st;
  timed_end(d, "close");

  du_walk w = {d->fs, a->dir, 0};
  STATUS_TRY(vfs_list(d->fs, a->dir, du_entry, &w));
  cli_cell rows[10][4];
  double total = 0;
  strcpy(rows[0][0], "timing");
  strcpy(rows[0][1], "ms");
  for (int i = 0; i < d->nt; i++) {
    snprintf(rows[i + 1][0], sizeof rows[i + 1][0], "%s", d->t[i].name);
    snprintf(rows[i + 1][1], sizeof rows[i + 1][1], "%.1f", d->t[i].ms);
    total += d->t[i].ms;
  }
  strcpy(rows[d->nt + 1][0], "total");
  snprintf(rows[d->nt + 1][1], sizeof rows[d->nt + 1][1], "%.1f", total);
  cli_print_table(rows, d->nt + 2, 2);
  char shown_key[24];
  key_of(nsamples ? d->samples[0] : 0, shown_key);
  printf("\non disk: %s in %s (the next `strata demo` removes it; try: %s %s get %s)\n", cli_bytes(w.bytes, n1),
         a->dir, a->program, a->dir, shown_key);
  *all_ok = wrong == 0 && snap_ok;
  return NULL;
}

int cli_run_demo(const cli_args *a) {
  demo d;
  memset(&d, 0, sizeof d);
  d.a = a;
  strata_status *st = vfs_posix_new(&d.fs);
  int ok = 0;
  if (!st) st = run(&d, &ok);
  fflush(stdout);
  if (d.db) {
    strata_status *cst = strata_close(d.db);
    if (!st) st = cst;
    else strata_status_free(cst);
  }
  free(d.samples);
  vfs_destroy(d.fs);
  if (st) return cli_report(st);
  if (!ok) {
    fprintf(stderr, "strata: demo: some reads returned unexpected values\n");
    return 1;
  }
  return 0;
}
