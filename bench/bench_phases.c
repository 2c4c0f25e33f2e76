/* bench_phases.c -- the phases of WORKLOAD.md over one peer; see bench_phases.h. */
#include "bench_phases.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#ifndef __wasi__
#include <sys/resource.h>
#endif
#include <unistd.h>

#include "workload.h"

#if !defined(__wasi__) && !defined(__EMSCRIPTEN__)
#include <pthread.h>
#define BENCH_HAVE_THREADS 1
#else
#define BENCH_HAVE_THREADS 0
#endif

/* --- helpers -------------------------------------------------------------------------------- */

double bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_cpu_now(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) return 0;
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void bench_die(const char *what, const char *msg) {
  fflush(stdout);
  fprintf(stderr, "bench: %s: %s\n", what, msg ? msg : "failed");
  exit(1);
}

/* Removes a folder tree (engines create sub-folders); missing is fine. */
void bench_remove_tree(const char *path) {
  struct stat stbuf;
  if (lstat(path, &stbuf) != 0) return;
  if (S_ISDIR(stbuf.st_mode)) {
    DIR *d = opendir(path);
    if (d) {
      struct dirent *e;
      while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char child[4096];
        snprintf(child, sizeof child, "%s/%s", path, e->d_name);
        bench_remove_tree(child);
      }
      closedir(d);
    }
    rmdir(path);
  } else {
    unlink(path);
  }
}

void bench_disk_usage(const char *path, long long *allocated, long long *apparent) {
  struct stat stbuf;
  if (lstat(path, &stbuf) != 0) return;
  if (S_ISDIR(stbuf.st_mode)) {
    DIR *d = opendir(path);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      char child[4096];
      snprintf(child, sizeof child, "%s/%s", path, e->d_name);
      bench_disk_usage(child, allocated, apparent);
    }
    closedir(d);
  } else {
    *apparent += (long long)stbuf.st_size;
#ifdef __wasi__
    *allocated = -1;
#else
    if (*allocated >= 0) *allocated += (long long)stbuf.st_blocks * 512;
#endif
  }
}

long long bench_io_written(void) {
  FILE *f = fopen("/proc/self/io", "r");
  if (!f) return -1;
  char line[128];
  long long v = -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "write_bytes:", 12) == 0) v = strtoll(line + 12, NULL, 10);
  fclose(f);
  return v;
}

/* --- results -------------------------------------------------------------------------------- */

/* secs and cpu_secs: wall and CPU time of the timed part, both read where it ends (before a
 * close, which would otherwise count in cpu_secs and not in secs). */
static bench_result result_make(const char *workload, double ops, double secs, double cpu_secs) {
  bench_result res;
  memset(&res, 0, sizeof res);
  res.workload = workload;
  res.ops = ops;
  res.secs = secs;
  res.cpu_secs = cpu_secs;
  return res;
}

static void add_int(bench_result *res, const char *name, long long v) {
  bench_extra *e = &res->extras[res->extra_count++];
  e->name = name;
  e->kind = v >= 0 ? BENCH_INT : BENCH_NULL; /* the disk figures are -1 where unknown */
  e->i = v;
}

/*
 * The process's page faults and involuntary context switches over a read phase. A phase of one
 * or two seconds on a shared machine can lose half its wall time to other processes' threads;
 * nivcsw (preempted) against majflt (waited for a page from disk) tells which, and the ops per
 * CPU second (ops / cpu_secs) is then the figure to compare. Null where there is no getrusage.
 */
typedef struct phase_usage {
  long long minflt, majflt, nivcsw;
} phase_usage;

static phase_usage usage_now(void) {
  phase_usage u = {-1, -1, -1};
#ifndef __wasi__
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) == 0) u = (phase_usage){ru.ru_minflt, ru.ru_majflt, ru.ru_nivcsw};
#endif
  return u;
}

static void add_usage(bench_result *res, phase_usage before) {
  phase_usage after = usage_now();
  int known = before.minflt >= 0 && after.minflt >= 0;
  add_int(res, "minflt", known ? after.minflt - before.minflt : -1);
  add_int(res, "majflt", known ? after.majflt - before.majflt : -1);
  add_int(res, "nivcsw", known ? after.nivcsw - before.nivcsw : -1);
}

static void add_real(bench_result *res, const char *name, double v) {
  bench_extra *e = &res->extras[res->extra_count++];
  e->name = name;
  e->kind = BENCH_REAL;
  e->r = v;
}

static void add_null(bench_result *res, const char *name) {
  bench_extra *e = &res->extras[res->extra_count++];
  e->name = name;
  e->kind = BENCH_NULL;
}

void bench_print_json(FILE *out, const bench_run *r, const bench_result *res) {
  fprintf(out, "{\"peer\":\"%s\",\"rep\":%d,\"n\":%u,\"workload\":\"%s\",\"ops\":%.0f,\"secs\":%.6f,\"ops_per_s\":",
          r->peer->name, r->rep, r->n, res->workload, res->ops, res->secs);
  if (res->ops > 0 && res->secs > 0) fprintf(out, "%.1f", res->ops / res->secs);
  else fputs("null", out);
  if (res->cpu_secs > 0) fprintf(out, ",\"cpu_secs\":%.6f", res->cpu_secs);
  for (int i = 0; i < 3 && res->texts[i][0]; i++) fprintf(out, ",\"%s\":\"%s\"", res->texts[i][0], res->texts[i][1]);
  for (int i = 0; i < res->extra_count; i++) {
    const bench_extra *e = &res->extras[i];
    if (e->kind == BENCH_INT) fprintf(out, ",\"%s\":%lld", e->name, e->i);
    else if (e->kind == BENCH_REAL) fprintf(out, ",\"%s\":%.6f", e->name, e->r);
    else fprintf(out, ",\"%s\":null", e->name);
  }
  fputs("}\n", out);
  fflush(out);
}

/* Phases stay functions of their own, so a profile can be limited to one
 * (valgrind --tool=callgrind --toggle-collect=read_random). */
#if defined(__GNUC__)
#define PHASE static __attribute__((noinline))
#define STEPS static __attribute__((noinline))
#else
#define PHASE static
#define STEPS static
#endif

/*
 * Each timed loop runs BENCH_CHUNK operations per call of an out-of-line function (the STEPS
 * functions below). V8 runs a WebAssembly function in its baseline code (Liftoff) until the
 * function's next call, with no on-stack replacement: a phase that looped in one call ran its own
 * loop -- key and value generation, the latency clock, the call into the peer -- in baseline code
 * from its first operation to its last, under WASI only. Natively a call per 1024 operations costs
 * nothing measurable; both builds run the same loops.
 */
#define BENCH_CHUNK 1024u

/*
 * The phases call the STEPS functions through a volatile pointer (STEPS_VIA). `noinline` binds
 * the compiler only: clang-19 runs binaryen's wasm-opt -O2 after linking a WASI module whenever
 * wasm-opt is installed (scripts/setup.sh installs it), and binaryen inlines every function that
 * has a single caller, loops and `noinline` notwithstanding. That put seek_steps, scan_steps and
 * batch_steps back into their phase and with it into _start, which runs once and so in Liftoff
 * for the whole run. A function whose address is taken is not a one-caller function to binaryen.
 */
#define STEPS_VIA(f) static __typeof__(&f) const volatile f##_via = f

/* --- per-operation latency -------------------------------------------------------------------- */

/*
 * One clock read per operation, the gap to the previous read (so the loop's own work -- key and
 * value generation -- is in it, as it is in ops/s). Sorted after the timed loop; the largest gap
 * of a fill is its longest write stall.
 */
typedef struct lat {
  uint32_t *ns; /* one per op, saturating at ~4.3 s */
  uint32_t n, cap;
  uint64_t last;
} lat;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void lat_init(lat *l, uint32_t cap) {
  l->ns = malloc((size_t)(cap ? cap : 1) * sizeof *l->ns);
  if (!l->ns) bench_die("latency", "out of memory");
  l->n = 0;
  l->cap = cap;
  l->last = now_ns();
}

static inline void lat_tick(lat *l) {
  uint64_t t = now_ns(), d = t - l->last;
  l->last = t;
  if (l->n < l->cap) l->ns[l->n++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

/* Adds p50_us, p99_us, p999_us and max_us to res and frees the samples. */
static void lat_add(lat *l, bench_result *res) {
  if (l->n) qsort(l->ns, l->n, sizeof *l->ns, cmp_u32);
  static const struct {
    const char *name;
    double q;
  } qs[] = {{"p50_us", 0.5}, {"p99_us", 0.99}, {"p999_us", 0.999}};
  for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
    uint32_t idx = l->n ? (uint32_t)((double)(l->n - 1) * qs[i].q) : 0;
    add_real(res, qs[i].name, l->n ? l->ns[idx] / 1000.0 : 0.0);
  }
  add_real(res, "max_us", l->n ? l->ns[l->n - 1] / 1000.0 : 0.0);
  free(l->ns);
  l->ns = NULL;
}

/* --phases a,b,...: whether name is one of them; NULL runs every phase. */
static int phase_on(const char *phases, const char *name) {
  if (!phases) return 1;
  size_t n = strlen(name);
  for (const char *p = phases; (p = strstr(p, name)) != NULL; p += n) {
    if ((p == phases || p[-1] == ',') && (p[n] == ',' || p[n] == 0)) return 1;
  }
  return 0;
}

/* --- the phases ----------------------------------------------------------------------------- */

/* One run's working state: the value being written, the buffer values are read into, and the
 * write counter at the start of fillrandom (for settle's write amplification). */
typedef struct phases {
  const bench_run *r;
  uint32_t vlen;
  uint8_t *value; /* vlen bytes */
  uint8_t *buf;   /* 2 * vlen bytes: a longer value than expected is seen as one */
  long long written0;
} phases;

static void phase_path(const bench_run *r, const char *phase, char *out, size_t cap) {
  snprintf(out, cap, "%s/%s", r->dir, phase);
}

/* A phase's database, opened in a new folder (any left over from an earlier run removed first);
 * `path` receives the folder, for the removal afterwards. */
static void *open_fresh(const bench_run *r, const char *phase, char *path, size_t cap) {
  phase_path(r, phase, path, cap);
  bench_remove_tree(path);
  return r->peer->open(path, &r->cfg);
}

/* Puts of keys [from, to): key i (fillseq) or perm[i] (fillrandom), one latency sample each. */
STEPS void put_steps(phases *p, void *db, const uint32_t *perm, uint32_t from, uint32_t to, lat *l) {
  const bench_run *r = p->r;
  char key[WL_KEY_LEN];
  for (uint32_t i = from; i < to; i++) {
    uint32_t k = perm ? perm[i] : i;
    wl_key(key, k);
    wl_value_len(r->pool, k, p->vlen, p->value);
    r->peer->put(db, key, WL_KEY_LEN, p->value, p->vlen);
    lat_tick(l);
  }
}
STEPS_VIA(put_steps);

static uint32_t chunk_end(uint32_t i, uint32_t n) { return n - i > BENCH_CHUNK ? i + BENCH_CHUNK : n; }

PHASE void fill_seq(phases *p) {
  const bench_run *r = p->r;
  char path[4096];
  void *db = open_fresh(r, "fillseq", path, sizeof path);
  lat l;
  lat_init(&l, r->n);
  double t0 = bench_now(), cpu0 = bench_cpu_now();
  for (uint32_t i = 0; i < r->n; i = chunk_end(i, r->n)) put_steps_via(p, db, NULL, i, chunk_end(i, r->n), &l);
  double secs = bench_now() - t0, cpu_secs = bench_cpu_now() - cpu0;
  r->peer->close(db);
  bench_remove_tree(path);
  bench_result res = result_make("fillseq", r->n, secs, cpu_secs);
  lat_add(&l, &res);
  r->report(r->report_ctx, &res);
}

/* fillbatch's puts [from, to), a batch written every BENCH_BATCH_SIZE of them and at the end. */
STEPS void batch_steps(phases *p, void *db, void *b, uint32_t from, uint32_t to) {
  const bench_run *r = p->r;
  char key[WL_KEY_LEN];
  for (uint32_t i = from; i < to; i++) {
    uint32_t k = r->perm[i];
    wl_key(key, k);
    wl_value_len(r->pool, k, p->vlen, p->value);
    r->peer->batch_put(b, key, WL_KEY_LEN, p->value, p->vlen);
    if ((i + 1) % BENCH_BATCH_SIZE == 0 || i + 1 == r->n) r->peer->batch_write(db, b);
  }
}
STEPS_VIA(batch_steps);

PHASE void fill_batch(phases *p) {
  const bench_run *r = p->r;
  char path[4096];
  void *db = open_fresh(r, "fillbatch", path, sizeof path);
  void *b = r->peer->batch_new();
  double t0 = bench_now(), cpu0 = bench_cpu_now();
  for (uint32_t i = 0; i < r->n; i = chunk_end(i, r->n)) batch_steps_via(p, db, b, i, chunk_end(i, r->n));
  double secs = bench_now() - t0, cpu_secs = bench_cpu_now() - cpu0;
  r->peer->batch_free(b);
  r->peer->close(db);
  bench_remove_tree(path);
  bench_result res = result_make("fillbatch", r->n, secs, cpu_secs);
  r->report(r->report_ctx, &res);
}

#if BENCH_HAVE_THREADS
/* fillrandom-mt: fillrandom's puts from BENCH_FILL_THREADS threads at once, thread t taking the
 * permutation's indexes t, t + T, ...: concurrent writers, where an engine's writer queue (group
 * commit) decides how many journal appends and lock round trips the puts cost. */
typedef struct fill_thread {
  const bench_run *r;
  void *db;
  uint32_t id, vlen;
} fill_thread;

static void *fill_thread_main(void *arg) {
  fill_thread *t = arg;
  const bench_run *r = t->r;
  uint8_t *value = malloc(t->vlen);
  if (!value) bench_die("values", "out of memory");
  char key[WL_KEY_LEN];
  for (uint32_t i = t->id; i < r->n; i += BENCH_FILL_THREADS) {
    uint32_t k = r->perm[i];
    wl_key(key, k);
    wl_value_len(r->pool, k, t->vlen, value);
    r->peer->put(t->db, key, WL_KEY_LEN, value, t->vlen);
  }
  free(value);
  return NULL;
}

PHASE void fill_random_threads(phases *p) {
  const bench_run *r = p->r;
  char path[4096];
  void *db = open_fresh(r, "fillrandom-mt", path, sizeof path);
  pthread_t threads[BENCH_FILL_THREADS];
  fill_thread args[BENCH_FILL_THREADS];
  double t0 = bench_now(), cpu0 = bench_cpu_now();
  for (uint32_t t = 0; t < BENCH_FILL_THREADS; t++) {
    args[t] = (fill_thread){r, db, t, p->vlen};
    if (pthread_create(&threads[t], NULL, fill_thread_main, &args[t])) bench_die("fillrandom-mt", "pthread_create");
  }
  for (uint32_t t = 0; t < BENCH_FILL_THREADS; t++) pthread_join(threads[t], NULL);
  double secs = bench_now() - t0, cpu_secs = bench_cpu_now() - cpu0; /* the phase's CPU, all threads */
  bench_result res = result_make("fillrandom-mt", r->n, secs, cpu_secs);
  add_int(&res, "threads", BENCH_FILL_THREADS);
  /* every put landed: a sample of keys reads back (a lost write fails the run) */
  long missing = 0;
  for (uint32_t i = 0; i < r->n; i += 997) {
    char key[WL_KEY_LEN];
    wl_key(key, i);
    if (r->peer->get(db, key, WL_KEY_LEN, p->buf, 2 * (size_t)p->vlen) != (long)p->vlen) missing++;
  }
  add_int(&res, "missing", missing);
  r->peer->close(db);
  bench_remove_tree(path);
  r->report(r->report_ctx, &res);
}
#endif

/* fillrandom builds the database every later phase reads; it stays open for them. */
PHASE void *fill_random(phases *p) {
  const bench_run *r = p->r;
  char path[4096];
  void *db = open_fresh(r, "fillrandom", path, sizeof path);
  lat l;
  lat_init(&l, r->n);
  p->written0 = bench_io_written();
  double t0 = bench_now(), cpu0 = bench_cpu_now();
  for (uint32_t i = 0; i < r->n; i = chunk_end(i, r->n)) put_steps_via(p, db, r->perm, i, chunk_end(i, r->n), &l);
  double secs = bench_now() - t0, cpu_secs = bench_cpu_now() - cpu0;
  bench_result res = result_make("fillrandom", r->n, secs, cpu_secs);
  lat_add(&l, &res);
  r->report(r->report_ctx, &res);
  return db;
}

PHASE void settle(phases *p, void *db) {
  const bench_run *r = p->r;
  char path[4096];
  phase_path(r, "fillrandom", path, sizeof path);
  long long alloc_before = 0, apparent_before = 0, alloc_after = 0, apparent_after = 0;
  bench_disk_usage(path, &alloc_before, &apparent_before);
  double t0 = bench_now(), cpu0 = bench_cpu_now();
  r->peer->settle(db);
  double secs = bench_now() - t0, cpu_secs = bench_cpu_now() - cpu0;
  bench_disk_usage(path, &alloc_after, &apparent_after);
  long long written1 = bench_io_written();
  bench_result res = result_make("settle", 0, secs, cpu_secs);
  long long user = (long long)r->n * (WL_KEY_LEN + p->vlen);
  add_int(&res, "value_bytes", p->vlen);
  add_int(&res, "user_bytes", user);
  if (p->written0 >= 0 && written1 >= p->written0) {
    add_int(&res, "io_write_bytes", written1 - p->written0);
    add_real(&res, "write_amp", (double)(written1 - p->written0) / (double)user);
  } else {
    add_null(&res, "io_write_bytes");
    add_null(&res, "write_amp");
  }
  add_int(&res, "disk_bytes", alloc_after);
  add_int(&res, "disk_apparent_bytes", apparent_after);
  add_int(&res, "disk_bytes_before", alloc_before);
  add_int(&res, "disk_apparent_bytes_before", apparent_before);
  r->report(r->report_ctx, &res);
}

/* The counts of a run of point reads. */
typedef struct get_counts {
  uint32_t hits, bad_len;
} get_counts;

/* `count` reads of keys drawn from rng: present keys (readrandom, one latency sample each) or
 * absent ones (readmissing, l NULL). */
STEPS void get_steps(phases *p, void *db, wl_rng *rng, int absent, uint32_t count, lat *l, get_counts *c) {
  const bench_run *r = p->r;
  char key[WL_KEY_LEN];
  for (uint32_t i = 0; i < count; i++) {
    if (absent) wl_absent_key(key, wl_next(rng) % r->n);
    else wl_key(key, wl_next(rng) % r->n);
    long vl = r->peer->get(db, key, WL_KEY_LEN, p->buf, 2 * (size_t)p->vlen);
    if (vl >= 0) {
      c->hits++;
      c->bad_len += vl != (long)p->vlen;
    }
    if (l) lat_tick(l);
  }
}
STEPS_VIA(get_steps);

PHASE void read_random(phases *p, void *db) {
  const bench_run *r = p->r;
  wl_rng rng = wl_rng_make(WL_SEED_READ);
  get_counts c = {0, 0};
  lat l;
  lat_init(&l, r->n);
  phase_usage u0 = usage_now();
  double t0 = bench_now(), cpu0 = bench_cpu_now();
  for (uint32_t i = 0; i < r->n; i = chunk_end(i, r->n)) get_steps_via(p, db, &rng, 0, chunk_end(i, r->n) - i, &l, &c);
  uint32_t hits = c.hits, bad_len = c.bad_len;
  double secs = bench_now() - t0, cpu_secs = bench_cpu_now() - cpu0;
  bench_result res = result_make("readrandom", r->n, secs, cpu_secs);
  add_real(&res, "hit_rate", r->n ? (double)hits / r->n : 0.0);
  add_int(&res, "bad_values", bad_len);
  lat_add(&l, &res);
  add_usage(&res, u0);
  r->report(r->report_ctx, &res);
}

PHASE void read_missing(phases *p, void *db) {
  const bench_run *r = p->r;
  wl_rng rng = wl_rng_make(WL_SEED_MISS);
  get_counts c = {0, 0};
  double t0 = bench_now(), cpu0 = bench_cpu_now();
  for (uint32_t i = 0; i < BENCH_MISS_READS; i = chunk_end(i, BENCH_MISS_READS))
    get_steps_via(p, db, &rng, 1, chunk_end(i, BENCH_MISS_READS) - i, NULL, &c);
  uint32_t found = c.hits;
  double secs = bench_now() - t0, cpu_secs = bench_cpu_now() - cpu0;
  bench_result res = result_make("readmissing", BENCH_MISS_READS, secs, cpu_secs);
  add_int(&res, "found", found);
  r->report(r->report_ctx, &res);
}

/* What a scan or a run of seeks saw. */
typedef struct scan_counts {
  uint64_t entries, bytes;
  uint32_t misplaced;
} scan_counts;

/* `count` seeks to keys drawn from rng, each followed by up to BENCH_SEEK_NEXTS entries. */
STEPS void seek_steps(const bench_run *r, void *db, wl_rng *rng, uint32_t count, scan_counts *c) {
  char key[WL_KEY_LEN];
  uint64_t entries = c->entries, bytes = c->bytes;
  uint32_t misplaced = c->misplaced;
  for (uint32_t i = 0; i < count; i++) {
    wl_key(key, wl_next(rng) % r->n);
    void *it = r->peer->iter_new(db);
    r->peer->iter_seek(it, key, WL_KEY_LEN);
    /* The sought key exists, so the first entry must be it. */
    size_t kl, vl;
    if (!r->peer->iter_valid(it) || (r->peer->iter_key(it, &kl), kl != WL_KEY_LEN) ||
        memcmp(r->peer->iter_key(it, &kl), key, WL_KEY_LEN) != 0)
      misplaced++;
    for (int j = 0; j < BENCH_SEEK_NEXTS && r->peer->iter_valid(it); j++) {
      r->peer->iter_key(it, &kl);
      const char *v = r->peer->iter_value(it, &vl);
      bytes += kl + vl + (vl ? (uint8_t)v[0] : 0); /* touch the value */
      entries++;
      r->peer->iter_next(it);
    }
    r->peer->iter_free(it);
  }
  c->entries = entries;
  c->bytes = bytes;
  c->misplaced = misplaced;
}
STEPS_VIA(seek_steps);

PHASE void seek_random(const bench_run *r, void *db) {
  wl_rng rng = wl_rng_make(WL_SEED_SEEK);
  scan_counts c = {0, 0, 0};
  phase_usage u0 = usage_now();
  double t0 = bench_now(), cpu0 = bench_cpu_now();
  for (uint32_t i = 0; i < BENCH_SEEKS; i = chunk_end(i, BENCH_SEEKS)) seek_steps_via(r, db, &rng, chunk_end(i, BENCH_SEEKS) - i, &c);
  double secs = bench_now() - t0, cpu_secs = bench_cpu_now() - cpu0;
  bench_result res = result_make("seekrandom", BENCH_SEEKS, secs, cpu_secs);
  add_int(&res, "entries", (long long)c.entries);
  add_int(&res, "misplaced", c.misplaced);
  add_usage(&res, u0);
  r->report(r->report_ctx, &res);
}

/* Up to BENCH_CHUNK entries of a scan from where `it` is; 0 once it has ended. c->misplaced counts
 * keys not above their predecessor (prev: the last key seen). */
STEPS int scan_steps(const bench_run *r, void *it, char prev[WL_KEY_LEN], scan_counts *c) {
  uint64_t entries = c->entries, bytes = c->bytes;
  uint32_t unordered = c->misplaced, n = 0;
  for (; n < BENCH_CHUNK && r->peer->iter_valid(it); n++, r->peer->iter_next(it)) {
    size_t kl, vl;
    const char *k = r->peer->iter_key(it, &kl);
    const char *v = r->peer->iter_value(it, &vl);
    if (kl == WL_KEY_LEN) {
      unordered += entries > 0 && memcmp(prev, k, WL_KEY_LEN) >= 0;
      memcpy(prev, k, WL_KEY_LEN);
    }
    bytes += kl + vl + (vl ? (uint8_t)v[0] : 0);
    entries++;
  }
  c->entries = entries;
  c->bytes = bytes;
  c->misplaced = unordered;
  return n == BENCH_CHUNK;
}
STEPS_VIA(scan_steps);

PHASE void read_seq(const bench_run *r, void *db) {
  char prev[WL_KEY_LEN] = {0};
  scan_counts c = {0, 0, 0};
  double t0 = bench_now(), cpu0 = bench_cpu_now();
  void *it = r->peer->iter_new(db);
  r->peer->iter_first(it);
  while (scan_steps_via(r, it, prev, &c)) {
  }
  r->peer->iter_free(it);
  double secs = bench_now() - t0, cpu_secs = bench_cpu_now() - cpu0;
  bench_result res = result_make("readseq", (double)c.entries, secs, cpu_secs);
  add_int(&res, "entries", (long long)c.entries);
  add_int(&res, "unordered", c.misplaced);
  r->report(r->report_ctx, &res);
}

void bench_run_phases(const bench_run *r, int keep) {
  phases p = {r, r->vlen ? r->vlen : WL_VALUE_LEN, NULL, NULL, -1};
  p.value = malloc(p.vlen);
  p.buf = malloc(2 * (size_t)p.vlen);
  if (!p.value || !p.buf) bench_die("values", "out of memory");
  if (phase_on(r->phases, "fillseq")) fill_seq(&p);
  if (phase_on(r->phases, "fillbatch")) fill_batch(&p);
#if BENCH_HAVE_THREADS
  if (phase_on(r->phases, "fillrandom-mt")) fill_random_threads(&p);
#endif
  int reads = phase_on(r->phases, "readrandom") || phase_on(r->phases, "readmissing") ||
              phase_on(r->phases, "seekrandom") || phase_on(r->phases, "readseq");
  if (reads || phase_on(r->phases, "fillrandom")) {
    void *db = fill_random(&p);
    settle(&p, db);
    if (phase_on(r->phases, "readrandom")) read_random(&p, db);
    if (phase_on(r->phases, "readmissing")) read_missing(&p, db);
    if (phase_on(r->phases, "seekrandom")) seek_random(r, db);
    if (phase_on(r->phases, "readseq")) read_seq(r, db);
    r->peer->close(db);
  }
  if (!keep) {
    char path[4096];
    phase_path(r, "fillrandom", path, sizeof path);
    bench_remove_tree(path);
  }
  free(p.value);
  free(p.buf);
}
