/*
 * Manifest recovery through the public API. When the newer manifest slot is torn or damaged,
 * the open falls back to the older slot only if that slot's tables and journals all survived the
 * newer install (so replay rebuilds what the newer slot described), and otherwise fails with
 * STRATA_CORRUPTION without changing anything on disk. Table files the chosen version does not
 * list go to lost/ unless their id proves them older than that version. Every case runs on the
 * memory backend, through the fault-injecting wrapper where an install must be cut short.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "strata.h"
#include "util/coding.h"
#include "vfs/vfs_fault.h"

typedef strata_status *(*vfs_factory)(vfs **out);
static vfs_factory current_factory;
static vfs *disk;   /* the backend holding every database of a case */
static vfs *faults; /* a fault-injecting wrapper over it */
static char *root;  /* the case's folder on it */

static int setup(void) {
  disk = harness_open_fs(current_factory, "manifest", &root);
  if (!disk) return 0;
  strata_status *st = vfs_fault_new(disk, &faults);
  if (st) {
    harness_fail(__FILE__, __LINE__, "fault backend: %s", strata_status_message(st));
    strata_status_free(st);
    return 0;
  }
  return 1;
}

static void teardown(void) {
  vfs_destroy(faults);
  harness_close_fs(disk, root);
  faults = disk = NULL;
  root = NULL;
}

/* root/name, in one of a few rotating buffers (enough for the paths of one statement). */
static const char *P(const char *name) {
  static char bufs[16][512];
  static unsigned next;
  char *p = bufs[next++ % 16];
  snprintf(p, sizeof bufs[0], "%s/%s", root, name);
  return p;
}

/* --- the model: what the database must hold ------------------------------------------------ */

#define KEYS 120

typedef struct model {
  char value[KEYS][24];
  int present[KEYS];
} model;

static void key_of(int i, char *buf) { snprintf(buf, 16, "key%03d", i); }

static strata_options *options_on(vfs *v) {
  strata_options *o = NULL;
  strata_status_free(strata_options_new(&o));
  if (!o) return NULL;
  EXPECT_OK(strata_options_set_memtable_size(o, 1 << 20)); /* flushes happen only when a case asks */
  EXPECT_OK(strata_options_set_block_size(o, 256));
  EXPECT_OK(strata_options_set_background_threads(o, 0));
  EXPECT_OK(strata_options_set_vfs(o, v));
  return o;
}

static strata_status *open_on(vfs *v, const char *path, strata_db **db) {
  strata_options *o = options_on(v);
  if (!o) return status_no_memory();
  strata_status *st = strata_open(path, o, db);
  strata_options_free(o);
  return st;
}

/* Round r: puts keys [from, to) with values naming the round, deletes every 7th of them. */
static strata_status *write_round(strata_db *db, model *m, int r, int from, int to) {
  for (int i = from; i < to; i++) {
    char k[16];
    key_of(i, k);
    strata_status *st = NULL;
    if (i % 7 == 3 && r > 1) {
      st = strata_delete(db, k, strlen(k), 1);
      m->present[i] = 0;
    } else {
      snprintf(m->value[i], sizeof m->value[i], "r%d-%d", r, i);
      st = strata_put(db, k, strlen(k), m->value[i], strlen(m->value[i]), 1);
      m->present[i] = 1;
    }
    if (st) return st;
  }
  return NULL;
}

/* Every key and value, in order, as "key=value\n" lines. */
static strata_status *dump(strata_db *db, buffer *out) {
  buffer_clear(out);
  strata_iterator *it = NULL;
  STATUS_TRY(strata_iterator_new(db, NULL, NULL, &it));
  strata_status *st = NULL;
  for (strata_iterator_seek_first(it); !st && strata_iterator_valid(it); strata_iterator_next(it)) {
    size_t kl, vl;
    const void *k = strata_iterator_key(it, &kl), *v = strata_iterator_value(it, &vl);
    st = buffer_append(out, k, kl);
    if (!st) st = buffer_append_byte(out, '=');
    if (!st) st = buffer_append(out, v, vl);
    if (!st) st = buffer_append_byte(out, '\n');
  }
  if (!st) st = strata_iterator_status(it);
  strata_iterator_close(it);
  return st;
}

static strata_status *model_dump(const model *m, buffer *out) {
  buffer_clear(out);
  for (int i = 0; i < KEYS; i++) {
    if (!m->present[i]) continue;
    char line[64];
    char k[16];
    key_of(i, k);
    int n = snprintf(line, sizeof line, "%s=%s\n", k, m->value[i]);
    STATUS_TRY(buffer_append(out, line, (size_t)n));
  }
  return NULL;
}

/* 1 when two buffers hold the same bytes (empty ones included). */
static int same_bytes(const buffer *a, const buffer *b) {
  return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* 1 when the database holds exactly what the model says, else records a failure naming the first
 * difference. */
static int holds_model(strata_db *db, const model *m, const char *file, int line) {
  buffer got, want;
  buffer_init(&got);
  buffer_init(&want);
  strata_status *st = dump(db, &got);
  if (!st) st = model_dump(m, &want);
  int ok = !st && same_bytes(&got, &want);
  if (st) harness_fail(file, line, "reading the database: %s", strata_status_message(st));
  else if (!ok) {
    size_t i = 0;
    while (i < got.len && i < want.len && got.data[i] == want.data[i]) i++;
    size_t start = i > 20 ? i - 20 : 0;
    harness_fail(file, line, "contents differ at byte %zu: got '%.40s', want '%.40s'", i,
                 (const char *)got.data + (start < got.len ? start : got.len),
                 (const char *)want.data + (start < want.len ? start : want.len));
  }
  strata_status_free(st);
  buffer_free(&got);
  buffer_free(&want);
  return ok;
}
#define CHECK_HOLDS(db, m) CHECK(holds_model((db), (m), __FILE__, __LINE__))

/* --- files ------------------------------------------------------------------------------------ */

static int file_exists(vfs *v, const char *path) {
  int exists = 0;
  strata_status_free(vfs_exists(v, path, &exists, NULL));
  return exists;
}

/* "<dir>/manifest-N" of the slot with the higher epoch (both slots valid before a case damages one). */
static strata_status *newer_slot(const char *dir, char *path, size_t cap, char *older, size_t older_cap) {
  uint64_t epoch[2] = {0, 0};
  for (int i = 0; i < 2; i++) {
    char p[256];
    snprintf(p, sizeof p, "%s/manifest-%d", dir, i);
    buffer b;
    buffer_init(&b);
    strata_status *st = vfs_read_file(disk, p, &b);
    if (!st && b.len < 16) st = status_new(STRATA_CORRUPTION, "%s is too short for a slot", p);
    if (!st) epoch[i] = decode_fixed64(b.data + 8);
    buffer_free(&b);
    STATUS_TRY(st);
  }
  int newer = epoch[1] > epoch[0];
  snprintf(path, cap, "%s/manifest-%d", dir, newer);
  if (older) snprintf(older, older_cap, "%s/manifest-%d", dir, !newer);
  return NULL;
}

static strata_status *flip_byte(const char *path, size_t at) {
  buffer b;
  buffer_init(&b);
  strata_status *st = vfs_read_file(disk, path, &b);
  if (!st && at >= b.len) st = status_new(STRATA_INVALID_ARGUMENT, "%s has no byte %zu", path, at);
  if (!st) {
    b.data[at] ^= 0x20;
    st = vfs_replace(disk, path, b.data, b.len);
  }
  buffer_free(&b);
  return st;
}

static strata_status *cut_file(const char *path, int keep_percent) {
  buffer b;
  buffer_init(&b);
  strata_status *st = vfs_read_file(disk, path, &b);
  if (!st) st = vfs_replace(disk, path, b.data, b.len * (size_t)keep_percent / 100);
  buffer_free(&b);
  return st;
}

/* Every file under dir, recursively: "path:size:bytes" records in listing order. */
typedef struct names {
  char **name;
  int *is_dir;
  size_t count;
} names;

static strata_status *collect(void *ctx, const char *name, int is_dir) {
  names *n = ctx;
  char **grown = realloc(n->name, (n->count + 1) * sizeof *grown);
  if (!grown) return status_no_memory();
  n->name = grown;
  int *dirs = realloc(n->is_dir, (n->count + 1) * sizeof *dirs);
  if (!dirs) return status_no_memory();
  n->is_dir = dirs;
  if (!(n->name[n->count] = strdup(name))) return status_no_memory();
  n->is_dir[n->count++] = is_dir;
  return NULL;
}

static void names_free(names *n) {
  for (size_t i = 0; i < n->count; i++) free(n->name[i]);
  free(n->name);
  free(n->is_dir);
}

/* Calls fn on every file and folder under dir (paths relative to dir). */
typedef strata_status *(*walk_fn)(void *ctx, const char *dir, const char *rel, int is_dir);

static strata_status *walk(const char *dir, const char *rel, walk_fn fn, void *ctx) {
  char here[512];
  snprintf(here, sizeof here, "%s%s%s", dir, *rel ? "/" : "", rel);
  names n = {NULL, NULL, 0};
  strata_status *st = vfs_list(disk, here, collect, &n);
  for (size_t i = 0; i < n.count && !st; i++) {
    char sub[512];
    snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", n.name[i]);
    st = fn(ctx, dir, sub, n.is_dir[i]);
    if (!st && n.is_dir[i]) st = walk(dir, sub, fn, ctx);
  }
  names_free(&n);
  return st;
}

static strata_status *digest_one(void *ctx, const char *dir, const char *rel, int is_dir) {
  buffer *out = ctx;
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, rel);
  STATUS_TRY(buffer_append(out, rel, strlen(rel) + 1));
  if (is_dir) return NULL;
  buffer b;
  buffer_init(&b);
  strata_status *st = vfs_read_file(disk, path, &b);
  if (!st) st = buffer_append_fixed64(out, b.len);
  if (!st) st = buffer_append(out, b.data, b.len);
  buffer_free(&b);
  return st;
}

/* Everything on disk under dir, names and bytes, for "nothing changed" checks. */
static strata_status *digest(const char *dir, buffer *out) {
  buffer_clear(out);
  return walk(dir, "", digest_one, out);
}

typedef struct copy_ctx {
  const char *to;
} copy_ctx;

static strata_status *copy_one(void *ctx, const char *dir, const char *rel, int is_dir) {
  copy_ctx *c = ctx;
  char from[512], to[512];
  snprintf(from, sizeof from, "%s/%s", dir, rel);
  snprintf(to, sizeof to, "%s/%s", c->to, rel);
  if (is_dir) return vfs_mkdir(disk, to);
  if (strcmp(rel, "LOCK") == 0) return NULL;
  return vfs_copy_file(disk, from, to);
}

/* Replaces `to` with a copy of the database folder `from`. */
static strata_status *copy_db(const char *from, const char *to) {
  STATUS_TRY(vfs_remove_tree(disk, to));
  STATUS_TRY(vfs_mkdir(disk, to));
  copy_ctx c = {to};
  return walk(from, "", copy_one, &c);
}

static size_t count_in(const char *dir) {
  names n = {NULL, NULL, 0};
  strata_status *st = vfs_list(disk, dir, collect, &n);
  size_t count = st ? 0 : n.count;
  strata_status_free(st);
  names_free(&n);
  return count;
}

/* Shows the message of an expected error in the test's output, where people read what users see. */
static void show(const char *what, strata_status *st) {
  printf("  %s: %s\n", what, st ? strata_status_message(st) : "(no error)");
}

static int message_has(strata_status *st, const char *part) {
  return st && strstr(strata_status_message(st), part) != NULL;
}

/* --- histories: small real databases ------------------------------------------------------------ */

/* Round 1 flushed, round 2 flushed (its journals removed), round 3 only in the journal. */
static strata_status *history_two_flushes(const char *dir, model *m) {
  strata_db *db = NULL;
  STATUS_TRY(open_on(faults, dir, &db));
  strata_status *st = write_round(db, m, 1, 0, 80);
  if (!st) st = strata_flush(db);
  if (!st) st = write_round(db, m, 2, 40, 110);
  if (!st) st = strata_flush(db);
  if (!st) st = write_round(db, m, 3, 100, KEYS);
  strata_status *cst = strata_close(db);
  if (!st) st = cst;
  else strata_status_free(cst);
  return st;
}

/*
 * As history_two_flushes, but the second flush's install is followed by a crash: its manifest
 * slot is written, its journals are still there (the journal removal fails, as a crash before it
 * would leave them). Then round 3.
 */
static strata_status *history_flush_then_crash_before_journal_removal(const char *dir, model *m) {
  strata_db *db = NULL;
  STATUS_TRY(open_on(faults, dir, &db));
  strata_status *st = write_round(db, m, 1, 0, 80);
  if (!st) st = strata_flush(db);
  if (!st) st = write_round(db, m, 2, 40, 110);
  if (!st) {
    vfs_fault_fail_nth(faults, VFS_FAULT_REMOVE, 1); /* the first removal: the spent journal */
    st = strata_flush(db);
    vfs_fault_clear(faults);
    if (status_is(st, STRATA_IO)) { /* what the test arranged */
      strata_status_free(st);
      st = NULL;
    } else if (!st) {
      st = status_new(STRATA_INVALID_ARGUMENT, "the flush did not try to remove a journal");
    }
  }
  if (!st) st = write_round(db, m, 3, 100, KEYS);
  strata_status *cst = strata_close(db);
  if (!st) st = cst;
  else strata_status_free(cst);
  return st;
}

/*
 * Two flushes, then a major compaction merging their tables; with keep_inputs the input tables'
 * deletion fails (as a crash right after the compaction's install would leave them). Round 3 only
 * in the journal.
 */
static strata_status *history_compaction(const char *dir, model *m, int keep_inputs) {
  strata_db *db = NULL;
  STATUS_TRY(open_on(faults, dir, &db));
  strata_status *st = write_round(db, m, 1, 0, 80);
  if (!st) st = strata_flush(db);
  if (!st) st = write_round(db, m, 2, 40, 110);
  if (!st) st = strata_flush(db);
  if (!st) {
    if (keep_inputs) vfs_fault_fail_from(faults, VFS_FAULT_REMOVE, 1);
    st = strata_compact(db, 1);
    vfs_fault_clear(faults);
  }
  if (!st) st = write_round(db, m, 3, 100, KEYS);
  strata_status *cst = strata_close(db);
  if (!st) st = cst;
  else strata_status_free(cst);
  return st;
}

static strata_status *report_of(strata_db *db, strata_recovery_report *r) {
  memset(r, 0xff, sizeof *r); /* every field must be filled */
  return strata_get_recovery_report(db, r);
}

/* --- cases ------------------------------------------------------------------------------------- */

static void manifest_newer_slot_damaged_after_flush_fails_open(void) {
  model m = {0};
  CHECK_OK(history_two_flushes(P("db"), &m));
  char newer[256];
  CHECK_OK(newer_slot(P("db"), newer, sizeof newer, NULL, 0));
  CHECK_OK(flip_byte(newer, 40));
  buffer before, after;
  buffer_init(&before);
  buffer_init(&after);
  CHECK_OK(digest(P("db"), &before));
  size_t tables = count_in(P("db/tables"));
  CHECK(tables >= 2);
  strata_db *db = NULL;
  strata_status *st = open_on(disk, P("db"), &db);
  show("open", st);
  CHECK(status_is(st, STRATA_CORRUPTION));
  /* the message names the slot, why it is invalid, and what the older slot would miss */
  int named = message_has(st, newer) && message_has(st, "checksum mismatch") &&
              message_has(st, P("db/journal/1 is missing"));
  if (!named) harness_fail(__FILE__, __LINE__, "unclear message: %s", strata_status_message(st));
  strata_status_free(st);
  CHECK(named);
  /* nothing deleted or moved: every table is still there, no lost/ folder */
  CHECK_OK(digest(P("db"), &after));
  CHECK(same_bytes(&before, &after));
  CHECK_EQ_U64(count_in(P("db/tables")), tables);
  CHECK(!file_exists(disk, P("db/lost")));
  buffer_free(&before);
  buffer_free(&after);
}

static void manifest_newer_slot_torn_falls_back_safely(void) {
  model m = {0};
  CHECK_OK(history_flush_then_crash_before_journal_removal(P("db"), &m));
  char newer[256];
  CHECK_OK(newer_slot(P("db"), newer, sizeof newer, NULL, 0));
  CHECK_OK(cut_file(newer, 50)); /* torn: the install a crash cut short */
  strata_db *db = NULL;
  CHECK_OK(open_on(disk, P("db"), &db));
  CHECK_HOLDS(db, &m);
  strata_recovery_report r;
  CHECK_OK(report_of(db, &r));
  CHECK_EQ_U64(r.manifest_fallback, 1);
  /* the second flush's table is newer than the older slot's version: set aside, not deleted */
  CHECK_EQ_U64(r.files_moved_to_lost, 1);
  CHECK_EQ_U64(r.obsolete_files_removed, 0);
  CHECK(file_exists(disk, P("db/lost/table-2")));
  CHECK(!file_exists(disk, P("db/tables/2")));
  /* a torn slot is an install a crash cut short: not worth keeping */
  CHECK(!file_exists(disk, P("db/lost/manifest-0")) && !file_exists(disk, P("db/lost/manifest-1")));
  CHECK_OK(strata_put(db, "after", 5, "fallback", 8, 1)); /* writes go on */
  CHECK_OK(strata_flush(db));
  CHECK_OK(strata_close(db));
  /* the fallback rewrote the manifest: the next open is clean and sees everything */
  CHECK_OK(open_on(disk, P("db"), &db));
  CHECK_OK(report_of(db, &r));
  CHECK_EQ_U64(r.manifest_fallback, 0);
  CHECK_EQ_U64(r.files_moved_to_lost, 0);
  CHECK_OK(strata_delete(db, "after", 5, 1));
  CHECK_HOLDS(db, &m);
  CHECK_OK(strata_close(db));
}

static void manifest_newer_slot_damaged_with_journals_kept_falls_back_and_keeps_slot(void) {
  model m = {0};
  CHECK_OK(history_flush_then_crash_before_journal_removal(P("db"), &m));
  char newer[256];
  CHECK_OK(newer_slot(P("db"), newer, sizeof newer, NULL, 0));
  buffer damaged;
  buffer_init(&damaged);
  CHECK_OK(flip_byte(newer, 30));
  CHECK_OK(vfs_read_file(disk, newer, &damaged));
  strata_db *db = NULL;
  CHECK_OK(open_on(disk, P("db"), &db));
  CHECK_HOLDS(db, &m);
  strata_recovery_report r;
  CHECK_OK(report_of(db, &r));
  CHECK_EQ_U64(r.manifest_fallback, 1);
  CHECK_EQ_U64(r.files_moved_to_lost, 2); /* the newer table and the damaged slot */
  /* a whole slot with a bad checksum is not a torn write: its bytes are kept */
  char kept[320];
  snprintf(kept, sizeof kept, "%s/%s", P("db/lost"), strrchr(newer, '/') + 1);
  buffer copy;
  buffer_init(&copy);
  CHECK_OK(vfs_read_file(disk, kept, &copy));
  CHECK(same_bytes(&copy, &damaged));
  CHECK_OK(strata_close(db));
  buffer_free(&copy);
  buffer_free(&damaged);
}

static void manifest_newer_slot_damaged_after_compaction_fails_open(void) {
  model m = {0};
  CHECK_OK(history_compaction(P("db"), &m, 0));
  char newer[256];
  CHECK_OK(newer_slot(P("db"), newer, sizeof newer, NULL, 0));
  CHECK_OK(flip_byte(newer, 60));
  buffer before, after;
  buffer_init(&before);
  buffer_init(&after);
  CHECK_OK(digest(P("db"), &before));
  strata_db *db = NULL;
  strata_status *st = open_on(disk, P("db"), &db);
  show("open", st);
  CHECK(status_is(st, STRATA_CORRUPTION));
  /* the compaction deleted its inputs, which the older slot lists */
  int named = message_has(st, newer) && message_has(st, P("db/tables/")) &&
              message_has(st, "is missing; the version lists it");
  if (!named) harness_fail(__FILE__, __LINE__, "unclear message: %s", strata_status_message(st));
  strata_status_free(st);
  CHECK(named);
  CHECK_OK(digest(P("db"), &after));
  CHECK(same_bytes(&before, &after));
  CHECK(file_exists(disk, P("db/tables/3"))); /* the compaction's output is untouched */
  buffer_free(&before);
  buffer_free(&after);
}

static void manifest_newer_slot_damaged_after_compaction_falls_back_while_inputs_remain(void) {
  model m = {0};
  CHECK_OK(history_compaction(P("db"), &m, 1));
  CHECK(file_exists(disk, P("db/tables/1")) && file_exists(disk, P("db/tables/2")));
  CHECK(file_exists(disk, P("db/tables/3")));
  char newer[256];
  CHECK_OK(newer_slot(P("db"), newer, sizeof newer, NULL, 0));
  CHECK_OK(flip_byte(newer, 60));
  strata_db *db = NULL;
  CHECK_OK(open_on(disk, P("db"), &db));
  CHECK_HOLDS(db, &m);
  strata_recovery_report r;
  CHECK_OK(report_of(db, &r));
  CHECK_EQ_U64(r.manifest_fallback, 1);
  CHECK(file_exists(disk, P("db/tables/1")) && file_exists(disk, P("db/tables/2")));
  CHECK(file_exists(disk, P("db/lost/table-3"))); /* the output, newer than the older version */
  CHECK_OK(strata_close(db));
}

static void manifest_newer_slot_damaged_after_drop_range_fails_open(void) {
  model m = {0};
  CHECK_OK(history_two_flushes(P("db"), &m));
  strata_db *db = NULL;
  CHECK_OK(open_on(disk, P("db"), &db));
  CHECK_OK(strata_flush(db)); /* round 3 into a table too, so the drop takes every key */
  CHECK_OK(strata_drop_range(db, NULL));
  memset(&m, 0, sizeof m);
  CHECK_HOLDS(db, &m);
  CHECK_OK(strata_close(db));
  CHECK_EQ_U64(count_in(P("db/tables")), 0);
  char newer[256];
  CHECK_OK(newer_slot(P("db"), newer, sizeof newer, NULL, 0));
  CHECK_OK(flip_byte(newer, 20));
  /* the older slot lists the dropped tables: standing in for the drop would bring them back */
  strata_status *st = open_on(disk, P("db"), &db);
  show("open", st);
  CHECK(status_is(st, STRATA_CORRUPTION));
  int named = message_has(st, newer) && message_has(st, "is missing; the version lists it");
  strata_status_free(st);
  CHECK(named);
}

static void orphan_newer_than_version_moved_to_lost_not_deleted(void) {
  /* a flush whose manifest write never happened: the disk goes away at that write, so neither the
   * slot nor the cleanup of the written table gets done, then the power goes */
  model m = {0};
  strata_db *db = NULL;
  CHECK_OK(open_on(faults, P("db"), &db));
  CHECK_OK(write_round(db, &m, 1, 0, 80));
  CHECK_OK(strata_flush(db));
  CHECK_OK(write_round(db, &m, 2, 40, 110));
  CHECK_OK(strata_close(db));
  /* learn how many writes a flush makes on a copy, up to and including its manifest write */
  CHECK_OK(copy_db(P("db"), P("probe")));
  model probe_model = m;
  CHECK_OK(open_on(faults, P("probe"), &db));
  vfs_fault_reset_counters(faults);
  CHECK_OK(strata_flush(db));
  vfs_fault_counters c;
  vfs_fault_get_counters(faults, &c);
  CHECK_HOLDS(db, &probe_model);
  CHECK_OK(strata_close(db));
  CHECK(c.writes >= 2);
  /* the same flush on the real database, failing from its manifest write on */
  CHECK_OK(open_on(faults, P("db"), &db));
  vfs_fault_fail_from(faults, VFS_FAULT_WRITE | VFS_FAULT_REMOVE, c.writes);
  CHECK_CODE(strata_flush(db), STRATA_IO);
  strata_status_free(strata_close(db));
  CHECK_OK(vfs_fault_crash(faults, 0));
  CHECK(file_exists(disk, P("db/tables/2"))); /* the orphan: written and synced, in no version */
  buffer orphan;
  buffer_init(&orphan);
  CHECK_OK(vfs_read_file(disk, P("db/tables/2"), &orphan));
  CHECK_OK(open_on(disk, P("db"), &db));
  CHECK_HOLDS(db, &m);
  strata_recovery_report r;
  CHECK_OK(report_of(db, &r));
  CHECK_EQ_U64(r.manifest_fallback, 0);
  CHECK_EQ_U64(r.files_moved_to_lost, 1);
  CHECK_EQ_U64(r.obsolete_files_removed, 0);
  CHECK(!file_exists(disk, P("db/tables/2")));
  buffer kept;
  buffer_init(&kept);
  CHECK_OK(vfs_read_file(disk, P("db/lost/table-2"), &kept));
  CHECK(same_bytes(&kept, &orphan));
  /* the id is handed out again, and the new table does not collide with the kept one */
  CHECK_OK(strata_flush(db));
  CHECK_OK(strata_close(db));
  CHECK_OK(open_on(disk, P("db"), &db));
  CHECK_HOLDS(db, &m);
  CHECK_OK(strata_close(db));
  CHECK(file_exists(disk, P("db/lost/table-2")));
  buffer_free(&kept);
  buffer_free(&orphan);
}

/* Reopens a history_two_flushes database and readies an install: a flush of round 4, or (after
 * flushing round 3) a major compaction of the three tables. */
static strata_status *prepare_install(const char *dir, model *m, int compaction, strata_db **db) {
  STATUS_TRY(history_two_flushes(dir, m));
  STATUS_TRY(open_on(faults, dir, db));
  strata_status *st = compaction ? strata_flush(*db) : write_round(*db, m, 4, 20, 70);
  if (st) {
    strata_status_free(strata_close(*db));
    *db = NULL;
  }
  return st;
}

static strata_status *run_install(strata_db *db, int compaction) {
  return compaction ? strata_compact(db, 1) : strata_flush(db);
}

/*
 * An install cut by a power loss at each of its last durable steps -- the manifest write, the
 * manifest sync, then the cleanup (a flush removes spent journals, each followed by a folder
 * sync; a compaction deletes its inputs) -- with every torn variant the fault VFS makes of the
 * unsynced bytes: each open holds exactly the acknowledged writes, falling back to the older
 * slot when the newer one did not survive whole, and the open after it starts clean.
 */
static void power_cut_during_install(int compaction) {
  /* the install's operations, counted once on a probe: the manifest write and sync (epoch > 2
   * syncs no folder) come right before the cleanup */
  const unsigned mask = VFS_FAULT_WRITE | VFS_FAULT_SYNC | VFS_FAULT_REMOVE;
  model m = {0};
  strata_db *db = NULL;
  CHECK_OK(prepare_install(P("probe"), &m, compaction, &db));
  vfs_fault_reset_counters(faults);
  CHECK_OK(run_install(db, compaction));
  vfs_fault_counters c;
  vfs_fault_get_counters(faults, &c);
  CHECK_HOLDS(db, &m);
  CHECK_OK(strata_close(db));
  CHECK(c.removes >= 2); /* journals replayed at open and written since, or the three inputs */
  uint64_t total = c.writes + c.syncs + c.dir_syncs + c.removes;
  uint64_t cleanup = compaction ? c.removes : 2 * c.removes;
  uint64_t manifest_write = total - cleanup - 1;
  CHECK(manifest_write >= 2);
  size_t fallbacks = 0, trials = 0;
  for (uint64_t step = 0; step < 5; step++) /* write, sync, then the first three cleanup steps */
    for (uint64_t seed = 0; seed < 8; seed++) {
      model want = {0};
      CHECK_OK(vfs_remove_tree(disk, P("db")));
      CHECK_OK(prepare_install(P("db"), &want, compaction, &db));
      vfs_fault_reset_counters(faults);
      vfs_fault_fail_from(faults, mask, manifest_write + step); /* from this step on, nothing reaches the disk */
      strata_status *st = run_install(db, compaction);
      if (!compaction || step < 2) CHECK(status_is(st, STRATA_IO)); /* a compaction's deletes fail quietly */
      strata_status_free(st);
      strata_status_free(strata_close(db));
      CHECK_OK(vfs_fault_crash(faults, seed));
      CHECK_OK(open_on(disk, P("db"), &db));
      CHECK_HOLDS(db, &want);
      strata_recovery_report r;
      CHECK_OK(report_of(db, &r));
      fallbacks += (size_t)r.manifest_fallback;
      if (step == 0) { /* no new slot: what the install wrote is newer than the version */
        CHECK_EQ_U64(r.manifest_fallback, 0);
        CHECK_EQ_U64(r.files_moved_to_lost, 1);
        CHECK_EQ_U64(r.obsolete_files_removed, 0);
      } else if (step == 1) { /* the slot's bytes unsynced: whole, gone or torn (then a fallback) */
        CHECK(r.files_moved_to_lost >= 1 || !r.manifest_fallback);
      } else { /* the install was durable: only its cleanup is left undone */
        CHECK_EQ_U64(r.manifest_fallback, 0);
        CHECK_EQ_U64(r.files_moved_to_lost, 0);
        /* the inputs not deleted yet are below next_file_id: provably obsolete */
        CHECK_EQ_U64(r.obsolete_files_removed, compaction ? 3 - (step - 2) : 0);
      }
      CHECK_OK(strata_close(db));
      CHECK_OK(open_on(disk, P("db"), &db));
      CHECK_HOLDS(db, &want);
      CHECK_OK(report_of(db, &r));
      CHECK_EQ_U64(r.manifest_fallback, 0); /* the first open left both slots valid */
      CHECK_EQ_U64(r.files_moved_to_lost + r.obsolete_files_removed, 0);
      CHECK_OK(strata_close(db));
      trials++;
    }
  printf("  %zu power cuts during a %s's install: all recovered, %zu by falling back to the older slot\n", trials,
         compaction ? "compaction" : "flush", fallbacks);
}

static void manifest_flush_install_cut_by_power_loss_recovers(void) { power_cut_during_install(0); }

static void manifest_compaction_install_cut_by_power_loss_recovers(void) { power_cut_during_install(1); }

static void obsolete_table_below_next_file_id_deleted(void) {
  model m = {0};
  CHECK_OK(history_compaction(P("db"), &m, 1)); /* the compaction's inputs were not deleted */
  CHECK(file_exists(disk, P("db/tables/1")) && file_exists(disk, P("db/tables/2")));
  strata_db *db = NULL;
  CHECK_OK(open_on(disk, P("db"), &db));
  CHECK_HOLDS(db, &m);
  strata_recovery_report r;
  CHECK_OK(report_of(db, &r));
  CHECK_EQ_U64(r.manifest_fallback, 0);
  CHECK_EQ_U64(r.obsolete_files_removed, 2); /* ids below next_file_id, retired by the compaction */
  CHECK_EQ_U64(r.files_moved_to_lost, 0);
  CHECK(!file_exists(disk, P("db/tables/1")) && !file_exists(disk, P("db/tables/2")));
  CHECK(file_exists(disk, P("db/tables/3")));
  CHECK(!file_exists(disk, P("db/lost")));
  CHECK_OK(strata_close(db));
}

static void manifest_older_slot_damaged_is_kept_and_newest_used(void) {
  model m = {0};
  CHECK_OK(history_two_flushes(P("db"), &m));
  char newer[256], older[256];
  CHECK_OK(newer_slot(P("db"), newer, sizeof newer, older, sizeof older));
  CHECK_OK(flip_byte(older, 50));
  strata_db *db = NULL;
  CHECK_OK(open_on(disk, P("db"), &db));
  CHECK_HOLDS(db, &m);
  strata_recovery_report r;
  CHECK_OK(report_of(db, &r));
  /* which of the two was newer cannot be known from a damaged slot: the chosen one was checked */
  CHECK_EQ_U64(r.manifest_fallback, 1);
  char kept[320];
  snprintf(kept, sizeof kept, "%s/%s", P("db/lost"), strrchr(older, '/') + 1);
  CHECK(file_exists(disk, kept));
  CHECK_OK(strata_close(db));
}

static void table_missing_at_open_fails_naming_it(void) {
  model m = {0};
  CHECK_OK(history_two_flushes(P("db"), &m));
  CHECK_OK(vfs_remove(disk, P("db/tables/1")));
  strata_db *db = NULL;
  strata_status *st = open_on(disk, P("db"), &db);
  show("open", st);
  CHECK(status_is(st, STRATA_CORRUPTION));
  char want[600];
  snprintf(want, sizeof want, "table 1 (%s) is missing", P("db/tables/1"));
  int named = message_has(st, want);
  if (!named) harness_fail(__FILE__, __LINE__, "unclear message: %s", strata_status_message(st));
  strata_status_free(st);
  CHECK(named);
  CHECK(file_exists(disk, P("db/tables/2"))); /* the open changed nothing */
}

static void table_truncated_at_open_fails_naming_it(void) {
  model m = {0};
  CHECK_OK(history_two_flushes(P("db"), &m));
  CHECK_OK(cut_file(P("db/tables/2"), 90));
  strata_db *db = NULL;
  strata_status *st = open_on(disk, P("db"), &db);
  show("open", st);
  CHECK(status_is(st, STRATA_CORRUPTION));
  char want[600];
  snprintf(want, sizeof want, "table 2 (%s) is ", P("db/tables/2"));
  int named = message_has(st, want) && message_has(st, "bytes; the version records");
  if (!named) harness_fail(__FILE__, __LINE__, "unclear message: %s", strata_status_message(st));
  strata_status_free(st);
  CHECK(named);
}

/* Opens the trial copy: 1 = detected (STRATA_CORRUPTION), 2 = opened holding `want` twice over
 * (the open and the one after it), 0 = anything else, recorded as a failure. */
static int trial(const buffer *want, const char *what, size_t at) {
  strata_db *db = NULL;
  strata_status *st = open_on(disk, P("trial"), &db);
  if (st) {
    int corruption = status_is(st, STRATA_CORRUPTION);
    if (!corruption) harness_fail(__FILE__, __LINE__, "%s %zu: %s", what, at, strata_status_message(st));
    strata_status_free(st);
    return corruption ? 1 : 0;
  }
  buffer got;
  buffer_init(&got);
  int same = 1;
  for (int round = 0; round < 2 && same; round++) {
    if (round == 1) st = open_on(disk, P("trial"), &db);
    if (!st) st = dump(db, &got);
    same = !st && same_bytes(&got, want);
    if (st) harness_fail(__FILE__, __LINE__, "%s %zu: open %d: %s", what, at, round + 1, strata_status_message(st));
    else if (!same)
      harness_fail(__FILE__, __LINE__, "%s %zu: open %d succeeded with other contents", what, at, round + 1);
    strata_status_free(st);
    st = db ? strata_close(db) : NULL;
    db = NULL;
    if (st) {
      harness_fail(__FILE__, __LINE__, "%s %zu: close: %s", what, at, strata_status_message(st));
      strata_status_free(st);
      same = 0;
    }
  }
  buffer_free(&got);
  return same ? 2 : 0;
}

static void recovery_report_refuses_bad_arguments(void) {
  strata_recovery_report r;
  CHECK_CODE(strata_get_recovery_report(NULL, &r), STRATA_NOT_OPEN);
  strata_db *db = NULL;
  CHECK_OK(open_on(disk, P("db"), &db));
  CHECK_CODE(strata_get_recovery_report(db, NULL), STRATA_INVALID_ARGUMENT);
  CHECK_OK(report_of(db, &r)); /* a new database: nothing to report */
  CHECK_EQ_U64(r.manifest_fallback, 0);
  CHECK_EQ_U64(r.files_moved_to_lost, 0);
  CHECK_EQ_U64(r.obsolete_files_removed, 0);
  CHECK_OK(strata_close(db));
}

/*
 * Every byte of a slot flipped in turn, and the slot cut at every length, each on a fresh copy of
 * the database: each open either fails with STRATA_CORRUPTION or holds exactly what the undamaged
 * database holds, and so does the open after it. Nothing the slot holds is outside its checksum,
 * so every trial makes the slot invalid; `expect_recovered` says whether the history leaves the
 * other slot able to stand in (for the newer slot: the newer install's cleanup did not happen).
 */
static void sweep(strata_status *(*history)(const char *, model *), int older, int expect_recovered) {
  model m = {0};
  CHECK_OK(history(P("base"), &m));
  char newer_path[256], older_path[256];
  CHECK_OK(newer_slot(P("base"), newer_path, sizeof newer_path, older_path, sizeof older_path));
  const char *target = older ? older_path : newer_path;
  buffer slot, want;
  buffer_init(&slot);
  buffer_init(&want);
  CHECK_OK(vfs_read_file(disk, target, &slot));
  strata_db *db = NULL;
  CHECK_OK(copy_db(P("base"), P("trial")));
  CHECK_OK(open_on(disk, P("trial"), &db));
  CHECK_HOLDS(db, &m);
  CHECK_OK(dump(db, &want));
  CHECK_OK(strata_close(db));
  char trial_slot[320];
  snprintf(trial_slot, sizeof trial_slot, "%s/%s", P("trial"), strrchr(target, '/') + 1);
  size_t outcome[3] = {0, 0, 0};
  for (size_t i = 0; i < 2 * slot.len; i++) {
    CHECK_OK(copy_db(P("base"), P("trial")));
    if (i < slot.len) CHECK_OK(flip_byte(trial_slot, i));
    else CHECK_OK(vfs_replace(disk, trial_slot, slot.data, i - slot.len));
    int r = trial(&want, i < slot.len ? "flipped byte" : "cut at", i < slot.len ? i : i - slot.len);
    CHECK(r != 0);
    outcome[r]++;
  }
  printf("  %s (%zu bytes): %zu flips and %zu cuts, %zu detected, %zu recovered, 0 silently wrong\n", target,
         slot.len, slot.len, slot.len, outcome[1], outcome[2]);
  CHECK_EQ_U64(expect_recovered ? outcome[2] : outcome[1], 2 * slot.len);
  buffer_free(&slot);
  buffer_free(&want);
}

static strata_status *history_flushes_and_compaction(const char *dir, model *m) {
  strata_status *st = history_compaction(dir, m, 0);
  strata_db *db = NULL;
  if (!st) st = open_on(faults, dir, &db);
  if (!st) st = write_round(db, m, 4, 10, 60);
  if (!st) st = strata_flush(db); /* the newer slot: a flush after the compaction */
  if (db) strata_status_free(strata_close(db));
  return st;
}

static strata_status *history_compaction_then_crash_before_journal_removal(const char *dir, model *m) {
  strata_status *st = history_compaction(dir, m, 0);
  strata_db *db = NULL;
  if (!st) st = open_on(faults, dir, &db);
  if (!st) st = write_round(db, m, 4, 10, 60);
  if (!st) {
    vfs_fault_fail_nth(faults, VFS_FAULT_REMOVE, 1);
    st = strata_flush(db);
    vfs_fault_clear(faults);
    if (status_is(st, STRATA_IO)) {
      strata_status_free(st);
      st = NULL;
    }
  }
  if (db) strata_status_free(strata_close(db));
  return st;
}

static void manifest_newer_slot_sweep_after_clean_history_always_detected(void) {
  sweep(history_flushes_and_compaction, 0, 0);
}

static void manifest_newer_slot_sweep_after_interrupted_flush_always_recovered(void) {
  sweep(history_compaction_then_crash_before_journal_removal, 0, 1);
}

static void manifest_older_slot_sweep_never_changes_contents(void) {
  sweep(history_flushes_and_compaction, 1, 1);
}

/* Cases run on the memory and the posix backend; the long trial loops (hundreds of opens) on the
 * memory one only, where they take milliseconds instead of seconds of fsyncs. */
#define CASE_MEMORY(fn)                                      \
  do {                                                       \
    current_factory = vfs_memory_new;                        \
    harness_run_variant(#fn, "memory", setup, fn, teardown); \
  } while (0)
#define CASE(fn)                                            \
  do {                                                      \
    CASE_MEMORY(fn);                                        \
    current_factory = vfs_posix_new;                        \
    harness_run_variant(#fn, "posix", setup, fn, teardown); \
  } while (0)

int main(void) {
  CASE(manifest_newer_slot_damaged_after_flush_fails_open);
  CASE(manifest_newer_slot_torn_falls_back_safely);
  CASE(manifest_newer_slot_damaged_with_journals_kept_falls_back_and_keeps_slot);
  CASE(manifest_newer_slot_damaged_after_compaction_fails_open);
  CASE(manifest_newer_slot_damaged_after_compaction_falls_back_while_inputs_remain);
  CASE(manifest_newer_slot_damaged_after_drop_range_fails_open);
  CASE(orphan_newer_than_version_moved_to_lost_not_deleted);
  CASE_MEMORY(manifest_flush_install_cut_by_power_loss_recovers);
  CASE_MEMORY(manifest_compaction_install_cut_by_power_loss_recovers);
  CASE(obsolete_table_below_next_file_id_deleted);
  CASE(manifest_older_slot_damaged_is_kept_and_newest_used);
  CASE(table_missing_at_open_fails_naming_it);
  CASE(table_truncated_at_open_fails_naming_it);
  CASE_MEMORY(recovery_report_refuses_bad_arguments);
  CASE_MEMORY(manifest_newer_slot_sweep_after_clean_history_always_detected);
  CASE_MEMORY(manifest_newer_slot_sweep_after_interrupted_flush_always_recovered);
  CASE_MEMORY(manifest_older_slot_sweep_never_changes_contents);
  return harness_finish();
}
