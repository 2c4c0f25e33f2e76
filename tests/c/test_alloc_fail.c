/* Allocation failure, every one of them: each scenario runs once per N with the Nth allocation
 * failing, for every N until a run needs fewer than N allocations (or the bound is reached).
 * Every run must end in success (the failure was absorbed) or STRATA_NO_MEMORY, leak nothing
 * (LeakSanitizer after each scenario, or each run: STRATA_ALLOC_FAIL_LEAKS below), keep the open handle consistent, and leave a database that opens
 * again with everything acknowledged.
 *
 * Injection without global state in the library: the test is linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc (the engine's only allocation functions), so
 * libstrata.a's calls land in __wrap_* below, which count and fail. Built in the asan build only.
 *
 * STRATA_ALLOC_FAIL_MAX=N raises the per-scenario bound (default 4000, enough for every scenario
 * here to run to its end); STRATA_ALLOC_FAIL_STRIDE=K tries every Kth N (default 1);
 * STRATA_ALLOC_FAIL_FROM=N starts at N and STRATA_ALLOC_FAIL_TRACE=1 prints where each injected
 * failure happens (for debugging one N); STRATA_ALLOC_FAIL_PERSIST=1 fails every allocation from the
 * Nth on (the error paths' own allocations fail too); STRATA_ALLOC_FAIL_POSIX=1 runs on the posix
 * backend (slower: real files and syncs); STRATA_ALLOC_FAIL_THREADS=1 opens with background threads
 * (N is then not reproducible: the threads' allocations interleave). An argument runs only the scenarios whose name has it. */
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "strata.h"
#include "util/buffer.h"
#include "util/db_files.h"
#include "version/super_version.h"
#include "version/table_info.h"
#include "vfs/vfs.h"
#include "util/status.h"

/* --- the injector (test binary only) ------------------------------------------------------------- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

static _Atomic int armed;   /* count allocations and fail the fail_at-th */
static _Atomic long calls; /* allocations since arming (background threads allocate too) */
static long fail_at;     /* 1-based; 0: none fails */
static _Atomic long failed_once; /* 1 once the failure was injected */
static int trace;        /* STRATA_ALLOC_FAIL_TRACE=1: print the stack of each injected failure */
static int persist;      /* STRATA_ALLOC_FAIL_PERSIST=1: every allocation from the Nth on fails */

static size_t fail_size;       /* with fail_at: count only allocations of exactly this size */

static int inject_size(size_t size) {
  if (!armed) return 0;
  if (fail_size && size != fail_size) return 0;
  long c = ++calls;
  if (c != fail_at && !(persist && fail_at && c > fail_at)) return 0;
  failed_once = 1;
  if (trace) {
    fprintf(stderr, "allocation %ld fails here:\n", fail_at);
    __sanitizer_print_stack_trace();
  }
  return 1;
}
void *__wrap_malloc(size_t n) { return inject_size(n) ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t size) { return inject_size(n * size) ? NULL : __real_calloc(n, size); }
void *__wrap_realloc(void *p, size_t n) { return inject_size(n) ? NULL : __real_realloc(p, n); }

static void arm(long n) {
  fail_size = 0;
  calls = 0;
  fail_at = n;
  failed_once = 0;
  armed = 1;
}
static void disarm(void) { armed = 0; }

/* --- the model: what the scenario was told succeeded ------------------------------------------ */

enum { ACKED, MAYBE };
typedef struct entry {
  char key[24];
  char value[24]; /* "" for a delete */
  char before[24]; /* what the key held before this write ("" for nothing) */
  int state;
  int group; /* writes of one unacknowledged batch: all applied or none */
} entry;

#define MAX_ENTRIES 256
static entry model[MAX_ENTRIES];
static int model_len;

static vfs *fs;
static char *dir;
static strata_db *db; /* the scenario's handle, left open for the checker or NULL */
static strata_recovery_mode recovery_mode; /* the scenario's, for every open of it */
static int background_threads; /* STRATA_ALLOC_FAIL_THREADS=1: flushes and compactions on threads */
static uint32_t memtable_size = 16 << 10;
static strata_status *(*extra_options)(strata_options *o); /* the scenario's own settings, or NULL */

static strata_status *open_db(strata_db **out, int create) {
  strata_options *o = NULL;
  strata_status *st = strata_options_new(&o);
  if (st) return st;
  st = strata_options_set_background_threads(o, background_threads);
  if (!st) st = strata_options_set_create_if_missing(o, create);
  if (!st) st = strata_options_set_vfs(o, fs);
  if (!st) st = strata_options_set_memtable_size(o, memtable_size);
  if (!st) st = strata_options_set_block_size(o, 512);
  if (!st && extra_options) st = extra_options(o);
  if (!st) st = strata_options_set_recovery_mode(o, recovery_mode);
  if (!st) st = strata_open(dir, o, out);
  strata_options_free(o);
  return st;
}

static strata_status *wrong(const char *fmt, const char *key) {
  return status_new(STRATA_CORRUPTION, fmt, key);
}

/* before NULL: what the model says the key holds now. */
static void record(const char *key, const char *value, const char *before, int group, strata_status *st) {
  if (model_len == MAX_ENTRIES) return;
  for (int i = model_len - 1; !before && i >= 0; i--)
    if (strcmp(model[i].key, key) == 0) before = model[i].value;
  if (!before) before = "";
  entry *e = &model[model_len++];
  snprintf(e->key, sizeof e->key, "%s", key);
  snprintf(e->value, sizeof e->value, "%s", value);
  snprintf(e->before, sizeof e->before, "%s", before);
  e->state = st ? MAYBE : ACKED;
  e->group = group;
}

/* A put through the API, recorded. */
static strata_status *put(const char *key, const char *value) {
  strata_status *st = strata_put(db, key, strlen(key), value, strlen(value), 0);
  record(key, value, NULL, 0, st);
  return st;
}

static strata_status *expect(strata_db *d, const strata_snapshot *snap, const char *key, const char *value) {
  int found = 0;
  void *v = NULL;
  size_t vlen = 0;
  STATUS_TRY(strata_get(d, snap, key, strlen(key), &found, &v, &vlen));
  int ok = value[0] ? found && vlen == strlen(value) && memcmp(v, value, vlen) == 0 : !found;
  strata_free(v);
  return ok ? NULL : wrong("wrong value for %s", key);
}

/* Every acknowledged write is there; an unacknowledged one is there or not, a batch as a whole. */
static strata_status *check_model(strata_db *d) {
  int group_applied[MAX_ENTRIES + 1];
  for (int i = 0; i <= MAX_ENTRIES; i++) group_applied[i] = -1;
  for (int i = 0; i < model_len; i++) {
    entry *e = &model[i];
    int later = 0; /* a later write to the same key decides instead */
    for (int j = i + 1; j < model_len; j++) later |= strcmp(model[j].key, e->key) == 0;
    if (later) continue;
    int found = 0;
    void *v = NULL;
    size_t vlen = 0;
    STATUS_TRY(strata_get(d, NULL, e->key, strlen(e->key), &found, &v, &vlen));
    int is_new = e->value[0] ? found && vlen == strlen(e->value) && memcmp(v, e->value, vlen) == 0 : !found;
    int is_old = e->before[0] ? found && vlen == strlen(e->before) && memcmp(v, e->before, vlen) == 0 : !found;
    strata_free(v);
    if (e->state == ACKED && !is_new) return wrong("acknowledged write to %s lost", e->key);
    if (e->state == MAYBE) {
      if (!is_new && !is_old) return wrong("failed write to %s left a third value", e->key);
      if (e->group && !(is_new && is_old)) {
        int applied = is_new;
        if (group_applied[e->group] >= 0 && group_applied[e->group] != applied)
          return wrong("failed batch applied in part (key %s)", e->key);
        group_applied[e->group] = applied;
      }
    }
  }
  return NULL;
}

/* --- scenarios: prepare (not armed) builds the starting state, body runs armed ---------------- */

static strata_status *prepare_nothing(void) { return NULL; }

/* A database with tables on two levels and a journal that holds unflushed writes. */
static strata_status *prepare_populated(void) {
  STATUS_TRY(open_db(&db, 1));
  char k[24], v[24];
  strata_status *st = NULL;
  for (int i = 0; !st && i < 60; i++) {
    snprintf(k, sizeof k, "p%03d", i);
    snprintf(v, sizeof v, "pv%03d", i);
    st = put(k, v);
    if (!st && i == 29) st = strata_flush(db);
    if (!st && i == 39) st = strata_compact(db, 1);
    if (!st && i == 49) st = strata_flush(db);
  }
  strata_status *cst = strata_close(db);
  db = NULL;
  if (!st) st = cst;
  else strata_status_free(cst);
  return st;
}

/* The populated database with the newest journal torn in its last record. */
static strata_status *prepare_torn(void) {
  STATUS_TRY(prepare_populated());
  char *jdir = vfs_path_join(dir, "journal");
  if (!jdir) return status_no_memory();
  /* journals are named by number; cut the newest one (the highest number found) */
  strata_status *st = NULL;
  char path[600];
  path[0] = 0;
  for (int n = 64; n >= 1 && !path[0]; n--) {
    char name[600];
    snprintf(name, sizeof name, "%s/%d", jdir, n);
    int exists = 0;
    st = vfs_exists(fs, name, &exists, NULL);
    if (st) break;
    if (exists) snprintf(path, sizeof path, "%s", name);
  }
  free(jdir);
  if (st) return st;
  if (!path[0]) return status_new(STRATA_NOT_FOUND, "no journal to tear");
  vfs_file *f = NULL;
  STATUS_TRY(vfs_open(fs, path, VFS_OPEN_READ | VFS_OPEN_WRITE, &f));
  uint64_t size = 0;
  st = vfs_file_size(f, &size);
  if (!st && size < 8) st = status_new(STRATA_NOT_FOUND, "journal %s too short to tear", path);
  if (!st) st = vfs_file_truncate(f, size - 5);
  strata_status *cst = vfs_file_close(f);
  if (!st) st = cst;
  else strata_status_free(cst);
  if (st) return st;
  /* the last put in the journal may now be gone: it is no longer acknowledged */
  for (int i = model_len - 1; i >= 0; i--) {
    if (model[i].state == ACKED && model[i].key[0] == 'p') {
      model[i].state = MAYBE;
      break;
    }
  }
  return NULL;
}

/* The populated database with a byte of its newest journal changed: damage, not a torn tail. */
static strata_status *prepare_damaged(void) {
  STATUS_TRY(prepare_populated());
  char path[600];
  path[0] = 0;
  for (int n = 64; n >= 1 && !path[0]; n--) {
    char name[600];
    snprintf(name, sizeof name, "%s/journal/%d", dir, n);
    int exists = 0;
    STATUS_TRY(vfs_exists(fs, name, &exists, NULL));
    if (exists) snprintf(path, sizeof path, "%s", name);
  }
  if (!path[0]) return status_new(STRATA_NOT_FOUND, "no journal to damage");
  buffer j;
  buffer_init(&j);
  strata_status *st = vfs_read_file(fs, path, &j);
  if (!st && j.len < 16) st = status_new(STRATA_NOT_FOUND, "journal %s too short to damage", path);
  if (!st) {
    j.data[j.len / 2] ^= 0x5a;
    vfs_file *f = NULL;
    st = vfs_open(fs, path, VFS_OPEN_WRITE, &f);
    if (!st) st = vfs_file_write(f, 0, j.data, j.len);
    strata_status *cst = vfs_file_close(f);
    if (!st) st = cst;
    else strata_status_free(cst);
  }
  buffer_free(&j);
  /* the writes after the last flush may be set aside in lost/ */
  for (int i = 0; i < model_len; i++)
    if (strcmp(model[i].key, "p050") >= 0) model[i].state = MAYBE;
  return st;
}

/* Many memtables: rotations with sealed memtables waiting, scans over them and the tables. */
static strata_status *body_rotate_scan_compact(void) {
  STATUS_TRY(open_db(&db, 0));
  char k[24], v[24];
  for (int i = 0; i < 120; i++) {
    snprintf(k, sizeof k, "r%03d", i);
    snprintf(v, sizeof v, "rv%03d-%016d", i, i); /* ~100 bytes a node: a rotation every ~40 */
    STATUS_TRY(put(k, v));
  }
  strata_iterator *it = NULL;
  STATUS_TRY(strata_iterator_new(db, NULL, NULL, &it));
  int count = 0;
  strata_status *st = NULL;
  strata_iterator_seek_first(it);
  while (strata_iterator_valid(it)) {
    count++;
    strata_iterator_next(it);
  }
  st = strata_iterator_status(it);
  strata_iterator_close(it);
  if (!st && count != 180) st = wrong("full scan: %s", "wrong count");
  if (st) return st;
  STATUS_TRY(strata_flush(db));
  STATUS_TRY(strata_compact(db, 0));
  STATUS_TRY(expect(db, NULL, "r077", "rv077-0000000000000077"));
  strata_range r = {STRATA_INCLUDED, "r000", 4, STRATA_EXCLUDED, "r050", 4};
  st = strata_drop_range(db, &r);
  if (st) {
    /* a drop that failed dropped whole tables or nothing: the keys are there or not */
    for (int i = 0; i < model_len; i++)
      if (strcmp(model[i].key, "r050") < 0 && model[i].key[0] == 'r') {
        model[i].state = MAYBE;
        memcpy(model[i].before, model[i].value, sizeof model[i].before);
      }
    return st;
  }
  /* drop_range removes the tables wholly inside the range: which keys go is the engine's choice */
  for (int i = 0; i < model_len; i++)
    if (strcmp(model[i].key, "r050") < 0 && model[i].key[0] == 'r') {
      model[i].state = MAYBE;
      memcpy(model[i].before, model[i].value, sizeof model[i].before);
    }
  int more = 1;
  for (int steps = 0; more && steps < 16; steps++) STATUS_TRY(strata_maintenance_step(db, 1 << 20, &more));
  return NULL;
}

static strata_status *body_open_point_in_time(void) {
  STATUS_TRY(open_db(&db, 0));
  strata_recovery_report rep;
  STATUS_TRY(strata_get_recovery_report(db, &rep));
  if (!rep.damaged) return wrong("the damaged journal was not found damaged (%s)", "report.damaged = 0");
  return expect(db, NULL, "p005", "pv005");
}

/* Drops keys ending in '7' and rewrites those ending in '3' (compaction filter). */
static strata_filter_verdict filter(void *ctx, const void *key, size_t klen, const void *value, size_t vlen,
                                    const void **new_value, size_t *new_len) {
  (void)ctx, (void)value, (void)vlen;
  const char *k = key;
  if (klen && k[0] == 'g' && k[klen - 1] == '7') return STRATA_FILTER_REMOVE;
  if (klen && k[0] == 'g' && k[klen - 1] == '3') {
    *new_value = "three";
    *new_len = 5;
    return STRATA_FILTER_REPLACE;
  }
  return STRATA_FILTER_KEEP;
}
static strata_status *tiered_with_filter(strata_options *o) {
  STATUS_TRY(strata_options_set_compaction_tiered(o, 2, 1.0, 200));
  return strata_options_set_compaction_filter(o, filter, NULL);
}

/* Garbage collection under a snapshot: overwrites, single deletes, a filter, tiered compaction. */
static strata_status *body_snapshot_gc(void) {
  STATUS_TRY(open_db(&db, 0));
  strata_snapshot *snap = NULL;
  STATUS_TRY(strata_snapshot_acquire(db, &snap));
  strata_status *st = NULL;
  char k[24], v[24];
  for (int round = 0; !st && round < 3; round++) {
    for (int i = 0; !st && i < 10; i++) {
      snprintf(k, sizeof k, "g%02d", i);
      snprintf(v, sizeof v, "gv%d-%02d", round, i);
      /* what the filter touches is the filter's: left out of the model */
      st = i == 3 || i == 7 ? strata_put(db, k, strlen(k), v, strlen(v), 0) : put(k, v);
    }
    if (!st) {
      st = strata_single_delete(db, "p030", 4, 0);
      if (round == 0) record("p030", "", NULL, 0, st);
    }
    if (!st) st = strata_flush(db);
  }
  if (!st) st = strata_compact(db, 0);
  if (!st) st = strata_compact(db, 1);
  if (!st) st = expect(db, snap, "p030", "pv030");
  if (!st) st = expect(db, snap, "g01", "");
  strata_snapshot_release(snap);
  if (st) return st;
  st = expect(db, NULL, "g07", "");
  if (!st) st = expect(db, NULL, "g03", "three");
  if (st) return st;
  strata_stats stats;
  return strata_get_stats(db, &stats);
}

static strata_status *body_open_new(void) { return open_db(&db, 1); }

static strata_status *body_open_existing(void) {
  STATUS_TRY(open_db(&db, 0));
  return expect(db, NULL, "p005", "pv005");
}

static strata_status *body_writes(void) {
  STATUS_TRY(open_db(&db, 0));
  char k[24], v[24];
  for (int i = 0; i < 30; i++) {
    snprintf(k, sizeof k, "w%03d", i);
    snprintf(v, sizeof v, "wv%03d", i);
    STATUS_TRY(put(k, v));
  }
  STATUS_TRY(expect(db, NULL, "w007", "wv007"));
  STATUS_TRY(expect(db, NULL, "p010", "pv010"));
  STATUS_TRY(expect(db, NULL, "nothing", ""));
  strata_status *st = strata_delete(db, "p011", 4, 0);
  record("p011", "", "pv011", 0, st);
  if (st) return st;
  char buf[8];
  size_t vlen = 0;
  int found = 0;
  STATUS_TRY(strata_get_into(db, NULL, "p012", 4, &found, buf, sizeof buf, &vlen));
  if (!found || vlen != 5 || memcmp(buf, "pv012", 5) != 0) return wrong("get_into %s", "p012");
  return NULL;
}

static strata_status *body_batch(void) {
  STATUS_TRY(open_db(&db, 0));
  strata_batch *b = NULL;
  STATUS_TRY(strata_batch_new(&b));
  strata_status *st = NULL;
  for (int round = 1; !st && round <= 3; round++) {
    strata_batch_clear(b);
    int first = model_len;
    char k[24], v[24];
    for (int i = 0; !st && i < 8; i++) {
      snprintf(k, sizeof k, "b%d-%d", round, i);
      snprintf(v, sizeof v, "bv%d-%d", round, i);
      st = strata_batch_put(b, k, strlen(k), v, strlen(v));
      if (!st) record(k, v, "", round, NULL);
    }
    if (!st) st = strata_batch_delete(b, "p020", 4);
    if (!st) record("p020", "", "pv020", round, NULL);
    if (st) {
      model_len = first; /* never written */
      break;
    }
    st = strata_write(db, b, round == 2);
    for (int i = first; i < model_len; i++) model[i].state = st ? MAYBE : ACKED;
    /* p020 was already deleted by round 1, so later rounds leave it deleted either way */
    if (round > 1) snprintf(model[model_len - 1].before, sizeof model[0].before, "%s", "");
  }
  strata_batch_free(b);
  return st;
}

static strata_status *count_iterator(strata_iterator *it, int reverse, int *count) {
  *count = 0;
  if (reverse) strata_iterator_seek_last(it);
  else strata_iterator_seek_first(it);
  while (strata_iterator_valid(it)) {
    (*count)++;
    if (reverse) strata_iterator_prev(it);
    else strata_iterator_next(it);
  }
  return strata_iterator_status(it);
}

static strata_status *body_iterate_snapshot(void) {
  STATUS_TRY(open_db(&db, 0));
  strata_snapshot *snap = NULL;
  STATUS_TRY(strata_snapshot_acquire(db, &snap));
  strata_status *st = put("p000", "changed");
  if (!st) st = expect(db, snap, "p000", "pv000");
  if (!st) st = expect(db, NULL, "p000", "changed");
  strata_iterator *it = NULL;
  if (!st) st = strata_iterator_new_prefix(db, snap, "p0", 2, &it);
  int count = 0;
  if (!st) st = count_iterator(it, 0, &count);
  if (!st && count != 60) st = wrong("forward scan of the snapshot: %s", "wrong count");
  if (!st) st = count_iterator(it, 1, &count);
  if (!st && count != 60) st = wrong("backward scan of the snapshot: %s", "wrong count");
  strata_iterator_close(it);
  it = NULL;
  if (!st) {
    strata_range r = {STRATA_INCLUDED, "p010", 4, STRATA_EXCLUDED, "p020", 4};
    st = strata_iterator_new(db, NULL, &r, &it);
  }
  if (!st) {
    strata_iterator_seek(it, "p015", 4);
    size_t klen = 0;
    const void *k = strata_iterator_valid(it) ? strata_iterator_key(it, &klen) : NULL;
    st = strata_iterator_status(it);
    if (!st && (!k || klen != 4 || memcmp(k, "p015", 4) != 0)) st = wrong("seek to %s", "p015");
  }
  strata_iterator_close(it);
  strata_snapshot_release(snap);
  return st;
}

static strata_status *body_flush_compact(void) {
  STATUS_TRY(open_db(&db, 0));
  char k[24], v[24];
  for (int i = 0; i < 20; i++) {
    snprintf(k, sizeof k, "f%03d", i);
    snprintf(v, sizeof v, "fv%03d", i);
    STATUS_TRY(put(k, v));
  }
  STATUS_TRY(strata_flush(db));
  STATUS_TRY(expect(db, NULL, "f003", "fv003"));
  STATUS_TRY(strata_compact(db, 0));
  STATUS_TRY(strata_compact(db, 1));
  STATUS_TRY(expect(db, NULL, "p033", "pv033"));
  strata_stats stats;
  return strata_get_stats(db, &stats);
}

static strata_status *body_close(void) {
  STATUS_TRY(open_db(&db, 0));
  STATUS_TRY(put("c1", "cv1"));
  strata_status *st = strata_close(db); /* frees the handle even when it fails */
  db = NULL;
  return st;
}

typedef struct image_sink {
  buffer bytes;
  int out_of_memory;
} image_sink;

static int to_image(void *ctx, const void *data, size_t len) {
  image_sink *s = ctx;
  strata_status *st = buffer_append(&s->bytes, data, len);
  s->out_of_memory = st != NULL;
  strata_status_free(st);
  return s->out_of_memory;
}

/* An image of the database, imported beside it: a refused import leaves nothing, an accepted one
 * opens with the database's contents. */
static strata_status *body_export_import(void) {
  STATUS_TRY(open_db(&db, 0));
  STATUS_TRY(put("x1", "journal only"));
  image_sink sink = {{0}, 0};
  buffer_init(&sink.bytes);
  strata_status *st = strata_export_to(db, to_image, &sink);
  if (st && sink.out_of_memory) {
    strata_status_free(st);
    st = status_no_memory();
  }
  char copy[4096];
  snprintf(copy, sizeof copy, "%s-image-copy", dir); /* beside the database */
  strata_options *o = NULL;
  if (!st) st = strata_options_new(&o);
  if (!st) st = strata_options_set_vfs(o, fs);
  if (!st) st = strata_options_set_block_size(o, 512);
  if (!st) {
    st = strata_import(copy, o, sink.bytes.data, sink.bytes.len);
    int exists = 0;
    strata_status_free(vfs_exists(fs, copy, &exists, NULL));
    if (st && exists) {
      strata_status_free(st);
      st = wrong("a refused import left %s behind", copy);
    }
  }
  strata_db *c = NULL;
  if (!st) st = strata_open(copy, o, &c);
  if (!st) st = expect(c, NULL, "p033", "pv033");
  if (!st) st = expect(c, NULL, "x1", "journal only");
  if (c) {
    strata_status *cst = strata_close(c);
    if (!st) st = cst;
    else strata_status_free(cst);
  }
  strata_status_free(vfs_remove_tree(fs, copy));
  strata_options_free(o);
  buffer_free(&sink.bytes);
  return st;
}

typedef struct scenario {
  const char *name;
  strata_status *(*prepare)(void);
  strata_status *(*body)(void);
  long stride;                 /* every Nth allocation in CI runs (STRATA_ALLOC_FAIL_STRIDE=1: all) */
  strata_recovery_mode mode;
  uint32_t memtable_size;
  strata_status *(*options)(strata_options *o);
} scenario;

/* --- the runner --------------------------------------------------------------------------------- */

static long env_long(const char *name, long dflt) {
  const char *s = getenv(name);
  return s && *s ? strtol(s, NULL, 10) : dflt;
}

/* One run with the Nth allocation failing; 1 when the body completed without reaching it. */
static int use_posix; /* STRATA_ALLOC_FAIL_POSIX=1: the posix backend instead of the memory one */
/* STRATA_ALLOC_FAIL_LEAKS=K: LeakSanitizer after every Kth run, naming the N that leaked (slow: a
 * check costs more than a run); 0, the default, checks once per scenario, after its last run. */
static long leak_every;

static int run_once(const scenario *sc, long n, int *bad) {
  fs = harness_open_fs(use_posix ? vfs_posix_new : vfs_memory_new, "alloc", &dir);
  if (!fs) {
    *bad = 1;
    return 1;
  }
  model_len = 0;
  db = NULL;
  recovery_mode = STRATA_RECOVERY_STRICT;
  memtable_size = sc->memtable_size ? sc->memtable_size : 16 << 10;
  extra_options = sc->options;
  strata_status *st = sc->prepare();
  recovery_mode = sc->mode;
  if (st) {
    harness_fail(__FILE__, __LINE__, "%s: prepare: %s", sc->name, strata_status_message(st));
    strata_status_free(st);
    *bad = 1;
    harness_close_fs(fs, dir);
    return 1;
  }
  arm(n);
  st = sc->body();
  disarm();
  int reached = (int)failed_once;
  strata_code code = strata_status_code(st);
  if (!reached && st) {
    harness_fail(__FILE__, __LINE__, "%s: fails without an injected failure: %s", sc->name, strata_status_message(st));
    *bad = 1;
  } else if (reached && st && code != STRATA_NO_MEMORY) {
    harness_fail(__FILE__, __LINE__, "%s: allocation %ld failing gave %s: %s", sc->name, n, strata_code_name(code),
                 strata_status_message(st));
    *bad = 1;
  }
  strata_status_free(st);
  /* the handle the body left open is still consistent, takes a write, then closes cleanly */
  if (db) {
    st = put("zz-after-failure", "1");
    if (status_is(st, STRATA_NO_MEMORY)) {
      /* a background flush or compaction failed and holds writes back until it heals: resume */
      strata_status_free(st);
      st = strata_resume(db);
      if (!st) st = put("zz-after-failure", "1");
    }
    if (!st) st = check_model(db);
    if (st) {
      harness_fail(__FILE__, __LINE__, "%s: allocation %ld failing, same handle: %s", sc->name, n,
                   strata_status_message(st));
      strata_status_free(st);
      *bad = 1;
    }
    st = strata_close(db);
    db = NULL;
    if (st) {
      harness_fail(__FILE__, __LINE__, "%s: allocation %ld failing, then close: %s", sc->name, n,
                   strata_status_message(st));
      strata_status_free(st);
      *bad = 1;
    }
  }
  /* the database opens again with everything acknowledged (unless nothing was ever created) */
  int exists = 0;
  char *manifest = vfs_path_join(dir, "manifest-0");
  strata_status *est = vfs_exists(fs, manifest, &exists, NULL);
  strata_status_free(est);
  free(manifest);
  if (exists || model_len) {
    strata_db *again = NULL;
    st = open_db(&again, 1);
    if (!st) st = check_model(again);
    strata_status *cst = again ? strata_close(again) : NULL;
    if (!st) st = cst;
    else strata_status_free(cst);
    if (st) {
      harness_fail(__FILE__, __LINE__, "%s: allocation %ld failing, then reopen: %s", sc->name, n,
                   strata_status_message(st));
      strata_status_free(st);
      *bad = 1;
    }
  }
  harness_close_fs(fs, dir);
  fs = NULL;
  dir = NULL;
  if (leak_every && n % leak_every == 0 && __lsan_do_recoverable_leak_check()) {
    harness_fail(__FILE__, __LINE__, "%s: allocation %ld failing leaks (report above)", sc->name, n);
    *bad = 1;
  }
  return !reached;
}

static void run_scenario(const scenario *sc) {
  long max = env_long("STRATA_ALLOC_FAIL_MAX", 4000);
  long stride = env_long("STRATA_ALLOC_FAIL_STRIDE", sc->stride ? sc->stride : 1);
  if (stride < 1) stride = 1;
  trace = (int)env_long("STRATA_ALLOC_FAIL_TRACE", 0);
  persist = (int)env_long("STRATA_ALLOC_FAIL_PERSIST", 0);
  use_posix = (int)env_long("STRATA_ALLOC_FAIL_POSIX", 0);
  background_threads = (int)env_long("STRATA_ALLOC_FAIL_THREADS", 0);
  leak_every = env_long("STRATA_ALLOC_FAIL_LEAKS", 0);
  int bad = 0;
  long n = env_long("STRATA_ALLOC_FAIL_FROM", 1);
  int done = 0;
  for (; n <= max && !done && !bad; n += stride) done = run_once(sc, n, &bad);
  if (!bad && __lsan_do_recoverable_leak_check()) {
    harness_fail(__FILE__, __LINE__, "%s leaks (report above): STRATA_ALLOC_FAIL_LEAKS=1 names the N", sc->name);
    bad = 1;
  }
  if (bad) return;
  if (!done) {
    harness_fail(__FILE__, __LINE__, "%s: still allocating after %ld allocations (raise STRATA_ALLOC_FAIL_MAX)",
                 sc->name, max);
    return;
  }
  printf("     %s: %s, %ld runs, %ld allocations\n", sc->name,
         stride == 1 ? "every allocation failed in turn" : "every Nth allocation failed (stride)",
         (n - 1) / stride, calls);
}

/* Level 0 keeps a table per flush: with 15 of them an iterator's stack outgrows the handle's
 * region (util/iter_arena.h), so its later objects come from malloc and can fail. */
static strata_status *many_level0_runs(strata_options *o) {
  STATUS_TRY(strata_options_set_level0_stall(o, 40, 50));
  return strata_options_set_level0_trigger(o, 30);
}

/* Flushes and compactions that warm the cache (its blocks built from what the writer holds, and
 * the inputs' cached blocks taken as they merge). */
static strata_status *warming_writes(strata_options *o) { return strata_options_set_cache_written_blocks(o, 1); }

/* Warming with tiny entries in 4 KiB blocks: a block has more restarts than its inline table
 * holds, so building it for the cache (and reading it) allocates a restart table of its own. */
static strata_status *warming_small_entries(strata_options *o) {
  STATUS_TRY(strata_options_set_cache_written_blocks(o, 1));
  return strata_options_set_block_size(o, 4096);
}

static strata_status *body_flush_compact_small_entries(void) {
  STATUS_TRY(open_db(&db, 0));
  char k[24];
  for (int i = 0; i < 150; i++) {
    snprintf(k, sizeof k, "s%03d", i);
    STATUS_TRY(put(k, "w"));
  }
  STATUS_TRY(strata_flush(db));
  STATUS_TRY(expect(db, NULL, "s077", "w"));
  STATUS_TRY(strata_compact(db, 1));
  STATUS_TRY(expect(db, NULL, "s149", "w"));
  return expect(db, NULL, "p033", "pv033");
}

static strata_status *prepare_runs(void) {
  STATUS_TRY(open_db(&db, 1));
  char k[24], v[24];
  strata_status *st = NULL;
  for (int i = 0; !st && i < 60; i++) {
    snprintf(k, sizeof k, "p%03d", (i * 7) % 60); /* every run spans the key space */
    snprintf(v, sizeof v, "pv%03d", (i * 7) % 60);
    st = put(k, v);
    if (!st && i % 4 == 3) st = strata_flush(db);
  }
  strata_status *cst = strata_close(db);
  db = NULL;
  if (!st) st = cst;
  else strata_status_free(cst);
  return st;
}

static strata_status *body_iterate_runs(void) {
  STATUS_TRY(open_db(&db, 0));
  strata_stats stats;
  strata_status *st = strata_get_stats(db, &stats);
  if (!st && stats.levels[0].runs < 15) st = wrong("level 0 has too few runs for %s", "the scenario");
  strata_iterator *it = NULL;
  if (!st) st = strata_iterator_new(db, NULL, NULL, &it);
  int count = 0;
  if (!st) st = count_iterator(it, 0, &count);
  if (!st && count != 60) st = wrong("forward scan over the runs: %s", "wrong count");
  if (!st) st = count_iterator(it, 1, &count);
  if (!st && count != 60) st = wrong("backward scan over the runs: %s", "wrong count");
  if (!st) {
    strata_iterator_seek(it, "p031", 4);
    size_t klen = 0;
    const void *k = strata_iterator_valid(it) ? strata_iterator_key(it, &klen) : NULL;
    st = strata_iterator_status(it);
    if (!st && (!k || klen != 4 || memcmp(k, "p031", 4) != 0)) st = wrong("seek to %s", "p031");
  }
  strata_iterator_close(it);
  return st;
}

static const scenario scenarios[] = {
    {.name = "open_new", .prepare = prepare_nothing, .body = body_open_new},
    {.name = "open_existing", .prepare = prepare_populated, .body = body_open_existing},
    {.name = "open_torn_journal", .prepare = prepare_torn, .body = body_open_existing},
    {.name = "put_get_delete", .prepare = prepare_populated, .body = body_writes},
    {.name = "batch", .prepare = prepare_populated, .body = body_batch},
    {.name = "iterate_snapshot", .prepare = prepare_populated, .body = body_iterate_snapshot},
    {.name = "flush_compact", .prepare = prepare_populated, .body = body_flush_compact},
    {.name = "close", .prepare = prepare_populated, .body = body_close},
    {.name = "open_damaged_point_in_time", .prepare = prepare_damaged, .body = body_open_point_in_time,
     .mode = STRATA_RECOVERY_POINT_IN_TIME},
    {.name = "rotate_scan_compact", .prepare = prepare_populated, .body = body_rotate_scan_compact,
     .memtable_size = 4 << 10},
    {.name = "snapshot_gc_tiered_filter", .prepare = prepare_populated, .body = body_snapshot_gc,
     .options = tiered_with_filter},
    {.name = "export_import", .prepare = prepare_populated, .body = body_export_import},
    {.name = "iterate_many_runs", .prepare = prepare_runs, .body = body_iterate_runs, .options = many_level0_runs},
    {.name = "flush_compact_warming", .prepare = prepare_populated, .body = body_flush_compact,
     .options = warming_writes},
    {.name = "flush_compact_warming_small_entries", .prepare = prepare_populated,
     .body = body_flush_compact_small_entries, .options = warming_small_entries},
};

#define SCENARIO(fn_name, index) \
  static void fn_name(void) { run_scenario(&scenarios[index]); }
SCENARIO(every_allocation_failing_in_open_new_returns_no_memory, 0)
SCENARIO(every_allocation_failing_in_open_existing_returns_no_memory, 1)
SCENARIO(every_allocation_failing_in_open_with_torn_journal_returns_no_memory, 2)
SCENARIO(every_allocation_failing_in_put_get_delete_returns_no_memory, 3)
SCENARIO(every_allocation_failing_in_batch_returns_no_memory_and_never_reuses_its_seqno, 4)
SCENARIO(every_allocation_failing_in_iterate_snapshot_returns_no_memory, 5)
SCENARIO(every_allocation_failing_in_flush_compact_returns_no_memory, 6)
SCENARIO(every_allocation_failing_in_close_returns_no_memory, 7)
SCENARIO(every_allocation_failing_in_point_in_time_open_of_damaged_journal_returns_no_memory, 8)
SCENARIO(every_allocation_failing_in_rotate_scan_compact_returns_no_memory, 9)
SCENARIO(every_allocation_failing_in_snapshot_gc_tiered_filter_returns_no_memory, 10)
SCENARIO(every_allocation_failing_in_export_import_returns_no_memory_and_leaves_nothing, 11)
SCENARIO(every_allocation_failing_in_iterate_many_runs_returns_no_memory, 12)
SCENARIO(every_allocation_failing_in_flush_compact_warming_the_cache_returns_no_memory, 13)
SCENARIO(every_allocation_failing_in_flush_compact_warming_small_entries_returns_no_memory, 14)

/* A new database on a memory VFS (16 KiB memtable, the scenario options `options`) with k00..k19
 * in its memtable, left open in `db`. */
static strata_status *open_twenty_keys(strata_status *(*options)(strata_options *o)) {
  fs = harness_open_fs(vfs_memory_new, "alloc", &dir);
  if (!fs) return status_new(STRATA_IO, "no memory VFS");
  model_len = 0;
  recovery_mode = STRATA_RECOVERY_STRICT;
  memtable_size = 16 << 10;
  extra_options = options;
  strata_status *st = open_db(&db, 1);
  char k[24], v[24];
  for (int i = 0; !st && i < 20; i++) {
    snprintf(k, sizeof k, "k%02d", i);
    snprintf(v, sizeof v, "v%02d", i);
    st = put(k, v);
  }
  return st;
}

/* Closes `db` when it is open: st, or the close's error when st is NULL. */
static strata_status *close_twenty_keys(strata_status *st) {
  strata_status *cst = db ? strata_close(db) : NULL;
  db = NULL;
  extra_options = NULL;
  if (st) strata_status_free(cst);
  return st ? st : cst;
}

static void drop_twenty_keys_fs(void) {
  harness_close_fs(fs, dir);
  fs = NULL;
  dir = NULL;
}

/* A flush whose nth allocation of exactly `size` bytes fails: NULL when it then reports
 * STRATA_NO_MEMORY, as it must; `what` names the allocation for a failure that never came. */
static strata_status *flush_failing(long nth, size_t size, const char *what) {
  arm(nth);
  fail_size = size;
  strata_status *st = strata_flush(db);
  disarm();
  if (!failed_once) harness_fail(__FILE__, __LINE__, "the flush allocated no %s", what);
  if (strata_status_code(st) == STRATA_NO_MEMORY) {
    strata_status_free(st);
    return NULL;
  }
  return st ? st : status_new(STRATA_CORRUPTION, "flush succeeded despite the failed allocation");
}

/* Regression: a flush whose super version could not be allocated after the manifest listed its
 * tables removed those tables, and the next open failed ("table 5 is missing"). The second
 * super version of a flush is the install's (the first is the memtable rotation's). */
static void flush_whose_install_allocation_fails_keeps_its_tables(void) {
  strata_status *st = open_twenty_keys(NULL);
  if (!st) st = flush_failing(2, sizeof(super_version), "second super version");
  if (!st) st = strata_flush(db); /* and it can be done again */
  st = close_twenty_keys(st);
  strata_db *again = NULL;
  if (!st) st = open_db(&again, 0);
  if (!st) st = check_model(again);
  strata_status *cst = again ? strata_close(again) : NULL;
  if (!st) st = cst;
  else strata_status_free(cst);
  drop_twenty_keys_fs();
  CHECK_OK(st);
}

static strata_status *count_name(void *ctx, const char *name, int is_dir) {
  (void)name;
  if (!is_dir) ++*(int *)ctx;
  return NULL;
}

static int table_file_count(void) {
  char *tables = vfs_path_join(dir, DB_DIR_TABLES);
  int n = 0;
  strata_status *st = tables ? vfs_list(fs, tables, count_name, &n) : status_no_memory();
  free(tables);
  if (st) {
    harness_fail(__FILE__, __LINE__, "%s", strata_status_message(st));
    strata_status_free(st);
  }
  return n;
}

/* Regression: a warming flush whose table was written but whose descriptor could not be
 * allocated left that table's blocks in the cache (and its file on disk) with no version to
 * name them. The descriptor is the one allocation of sizeof(table_info) plus both keys. */
static void flush_whose_descriptor_allocation_fails_leaves_no_blocks_or_file(void) {
  strata_status *st = open_twenty_keys(warming_writes);
  if (!st) st = flush_failing(1, sizeof(table_info) + strlen("k00") + strlen("k19") + 1, "table descriptor");
  strata_stats stats;
  if (!st) st = strata_get_stats(db, &stats);
  if (!st && (stats.cache_bytes != 0 || table_file_count() != 0))
    st = status_new(STRATA_CORRUPTION, "the failed flush left %llu cached bytes or its table file",
                    (unsigned long long)stats.cache_bytes);
  if (!st) st = strata_flush(db); /* done again, it warms the cache and keeps its table */
  if (!st) st = strata_get_stats(db, &stats);
  if (!st && (stats.cache_bytes == 0 || table_file_count() != 1))
    st = status_new(STRATA_CORRUPTION, "the flush done again cached %llu bytes, not one table's",
                    (unsigned long long)stats.cache_bytes);
  if (!st) st = check_model(db);
  st = close_twenty_keys(st);
  drop_twenty_keys_fs();
  CHECK_OK(st);
}

/* The injector itself: an armed failure reaches the API as STRATA_NO_MEMORY. */
static void injected_failure_reaches_the_api(void) {
  arm(1);
  strata_options *o = NULL;
  strata_status *st = strata_options_new(&o);
  disarm();
  CHECK(failed_once == 1);
  CHECK(o == NULL);
  CHECK_CODE(st, STRATA_NO_MEMORY);
}

int main(int argc, char **argv) {
  const char *only = argc > 1 ? argv[1] : NULL;
  RUN(injected_failure_reaches_the_api);
  RUN(flush_whose_install_allocation_fails_keeps_its_tables);
  RUN(flush_whose_descriptor_allocation_fails_leaves_no_blocks_or_file);
#define MAYBE_RUN(fn) \
  if (!only || strstr(#fn, only)) RUN(fn)
  MAYBE_RUN(every_allocation_failing_in_open_new_returns_no_memory);
  MAYBE_RUN(every_allocation_failing_in_open_existing_returns_no_memory);
  MAYBE_RUN(every_allocation_failing_in_open_with_torn_journal_returns_no_memory);
  MAYBE_RUN(every_allocation_failing_in_put_get_delete_returns_no_memory);
  MAYBE_RUN(every_allocation_failing_in_batch_returns_no_memory_and_never_reuses_its_seqno);
  MAYBE_RUN(every_allocation_failing_in_iterate_snapshot_returns_no_memory);
  MAYBE_RUN(every_allocation_failing_in_flush_compact_returns_no_memory);
  MAYBE_RUN(every_allocation_failing_in_close_returns_no_memory);
  MAYBE_RUN(every_allocation_failing_in_point_in_time_open_of_damaged_journal_returns_no_memory);
  MAYBE_RUN(every_allocation_failing_in_rotate_scan_compact_returns_no_memory);
  MAYBE_RUN(every_allocation_failing_in_snapshot_gc_tiered_filter_returns_no_memory);
  MAYBE_RUN(every_allocation_failing_in_export_import_returns_no_memory_and_leaves_nothing);
  MAYBE_RUN(every_allocation_failing_in_iterate_many_runs_returns_no_memory);
  MAYBE_RUN(every_allocation_failing_in_flush_compact_warming_the_cache_returns_no_memory);
  MAYBE_RUN(every_allocation_failing_in_flush_compact_warming_small_entries_returns_no_memory);
  return harness_finish();
}
