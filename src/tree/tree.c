/* tree.c -- opening and closing a tree, writes, memtable rotation, version installs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/check.h"
#include "../util/clock.h"
#include "../util/db_files.h"
#include "../version/lost_folder.h"
#include "tree_internal.h"

void tree_options_default(tree_options *o) {
  memset(o, 0, sizeof *o);
  o->level_count = VERSION_DEFAULT_LEVELS;
  o->block_size = TABLE_DEFAULT_BLOCK_SIZE;
  o->level_policy = table_level_policy_default();
  o->bloom_bits_per_key = TABLE_DEFAULT_FILTER_BITS_PER_KEY;
  o->table_target_size = STRATA_DEFAULT_TABLE_TARGET_SIZE;
  o->block_cache_bytes = BLOCK_CACHE_DEFAULT_CAPACITY;
  o->max_open_tables = 1000;
  o->map_tables = STRATA_DEFAULT_MAP_TABLES;
}

char *tree_table_path(const tree *t, uint64_t id) {
  char name[24];
  snprintf(name, sizeof name, "%llu", (unsigned long long)id);
  return vfs_path_join(t->tables_dir, name);
}

/* --- table readers through the file cache ------------------------------------------------ */

static strata_status *open_table_reader(void *ctx, uint64_t id, void **out) {
  tree *t = ctx;
  char *path = tree_table_path(t, id);
  if (!path) return status_no_memory();
  table_reader *r = NULL;
  strata_status *st = table_reader_open_mapping(t->fs, path, id, t->cache, t->opts.map_tables, &r);
  free(path);
  if (!st) *out = r;
  return st;
}

static void close_table_reader(void *ctx, uint64_t id, void *object) {
  (void)ctx, (void)id;
  table_reader_close(object);
}

/* An obsolete table's last reference is gone: forget its blocks and delete the file. */
static void delete_table_file(void *ctx, uint64_t id) {
  tree *t = ctx;
  file_cache_evict(t->tables, id);
  block_cache_erase_file(t->cache, id);
  char *path = tree_table_path(t, id);
  if (path) strata_status_free(vfs_remove(t->fs, path));
  free(path);
  atomic_u64_fetch_add(&t->tables_deleted, 1); /* no mutex: this may run inside an install */
}

void tree_retire_tables(tree *t, const version *old, const version *next) {
  for (unsigned l = 0; l < old->level_count; l++)
    for (size_t r = 0; r < old->levels[l].run_count; r++)
      for (size_t i = 0; i < old->levels[l].runs[r].count; i++) {
        table_info *ti = old->levels[l].runs[r].tables[i];
        if (!version_find_table(next, ti->id, NULL)) table_info_mark_obsolete(ti, delete_table_file, t);
      }
}

/* --- installs ---------------------------------------------------------------------------- */

strata_status *tree_prepare_install(tree *t, memtable *active, memtable *const *sealed, size_t sealed_count,
                                   version *v, uint64_t installed_seqno, super_version **out) {
  sync_mutex_assert_held(&t->mu);
  *out = NULL;
  STATUS_TRY(super_version_new(active, sealed, sealed_count, v, installed_seqno, out));
  strata_status *st = version_history_reserve(&t->history);
  if (st) {
    super_version_unref(*out);
    *out = NULL;
  }
  return st;
}

void tree_install_prepared(tree *t, super_version *sv) {
  sync_mutex_assert_held(&t->mu);
  version_history_install(&t->history, sv);
  super_version_unref(sv);
}

/* --- open and close ---------------------------------------------------------------------- */

typedef struct orphan_scan {
  tree *t;
  tree_open_info *info;
  int blobs;             /* scanning blobs_dir (blob files), else tables_dir (tables) */
  const char *dir;       /* the folder scanned */
  const char *lost_kind; /* DB_LOST_KIND_BLOB or DB_LOST_KIND_TABLE */
} orphan_scan;

static int parse_id(const char *name, uint64_t *id) {
  if (!*name) return 0;
  uint64_t v = 0;
  for (const char *p = name; *p; p++) {
    if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9) / 10) return 0;
    v = v * 10 + (uint64_t)(*p - '0');
  }
  *id = v;
  return 1;
}

/*
 * A table (or blob file: the same rule) the version does not list. Ids come from one counter
 * that the manifest persists, so an id below the version's next_file_id was handed out before
 * the version was installed: the file was retired by it or an earlier install (or is an
 * unfinished compaction's output, whose inputs the version still lists), and nothing is lost by
 * deleting it. An id at or above it was written later, by an install the manifest does not
 * show: it may hold the only copy of newer data, so it is set aside in lost/.
 */
static strata_status *clean_unlisted(void *ctx, const char *name, int is_dir) {
  orphan_scan *s = ctx;
  uint64_t id;
  if (is_dir || !parse_id(name, &id)) {
    s->info->strays_ignored++;
    return NULL;
  }
  const version *v = s->t->version;
  int listed = s->blobs ? version_find_blob(v, id) != NULL : version_find_table(v, id, NULL) != NULL;
  if (listed) return NULL;
  char *path = vfs_path_join(s->dir, name);
  if (!path) return status_no_memory();
  strata_status *st = NULL;
  if (id < s->t->next_file_id) {
    st = vfs_remove(s->t->fs, path);
    if (!st) s->info->obsolete_removed++;
  } else {
    st = lost_folder_keep(s->t->fs, s->t->dir, path, s->lost_kind, NULL);
    if (!st) s->info->moved_to_lost++;
  }
  free(path);
  return st;
}

/* Every table the version lists exists with its recorded size (contents are checked on read). */
static strata_status *verify_tables(tree *t, const version *v) {
  for (unsigned l = 0; l < v->level_count; l++)
    for (size_t r = 0; r < v->levels[l].run_count; r++)
      for (size_t i = 0; i < v->levels[l].runs[r].count; i++) {
        const table_info *ti = v->levels[l].runs[r].tables[i];
        char *path = tree_table_path(t, ti->id);
        if (!path) return status_no_memory();
        vfs_file *f = NULL;
        uint64_t size = 0;
        strata_status *st = vfs_open(t->fs, path, VFS_OPEN_READ, &f);
        if (status_is(st, STRATA_NOT_FOUND)) {
          strata_status_free(st);
          st = status_new(STRATA_CORRUPTION,
                          "table %llu (%s) is missing; the version lists it in level %u with %llu bytes",
                          (unsigned long long)ti->id, path, l, (unsigned long long)ti->file_size);
        } else if (!st) {
          st = vfs_file_size(f, &size);
          strata_status *cst = vfs_file_close(f);
          if (!st) st = cst;
          else strata_status_free(cst);
          if (!st && size != ti->file_size)
            st = status_new(STRATA_CORRUPTION, "table %llu (%s) is %llu bytes; the version records %llu",
                            (unsigned long long)ti->id, path, (unsigned long long)size,
                            (unsigned long long)ti->file_size);
        }
        free(path);
        if (st) return st;
      }
  return NULL;
}

/*
 * The other slot is torn, damaged or missing, so the chosen state may be one install older than
 * the newest. It can stand in only if everything it needs survived the newer install: that
 * install may have deleted its tables (a compaction or a drop retires them) or, through the
 * caller, its journals (a flush ends by removing those below the new journal_min).
 */
static strata_status *check_fallback(tree *t, const manifest_state *m, const manifest_read_info *ri) {
  strata_status *st = verify_tables(t, m->version);
  if (!st) st = tree_verify_blobs(t, m->version);
  if (!st && t->opts.fallback_check) st = t->opts.fallback_check(t->opts.fallback_ctx, m->journal_min);
  if (!st) return NULL;
  if (!status_is(st, STRATA_CORRUPTION) && !status_is(st, STRATA_NOT_FOUND)) return st; /* I/O, memory */
  strata_status *out = status_new(STRATA_CORRUPTION,
                                  "%s; falling back to %s (epoch %llu) would lose data: %s",
                                  ri->other_problem, db_files_manifest_slot(ri->slot), (unsigned long long)ri->epoch,
                                  strata_status_message(st));
  strata_status_free(st);
  return out;
}

/*
 * After a fallback was found safe: a damaged slot's bytes go to lost/ (a torn one is just an
 * install a crash cut short), and the chosen state is written again, so both slots are valid and
 * the next open starts clean.
 */
static strata_status *heal_manifest(tree *t, const manifest_state *m, const manifest_read_info *ri,
                                    tree_open_info *info) {
  if (ri->other_state == MANIFEST_SLOT_DAMAGED) {
    STATUS_TRY(lost_folder_keep(t->fs, t->dir, ri->other_path, DB_LOST_KIND_MANIFEST, NULL));
    info->moved_to_lost++;
  }
  STATUS_TRY(manifest_write(t->fs, t->dir, &t->manifest_epoch, m));
  return vfs_sync_dir(t->fs, t->dir); /* the slot file may be new */
}

static strata_status *load_or_create(tree *t, tree_open_info *info) {
  manifest_state m = {0};
  manifest_read_info read_info;
  memset(&read_info, 0, sizeof read_info);
  int found = 0;
  STATUS_TRY(manifest_read(t->fs, t->dir, &m, &found, &read_info));
  if (found) {
    t->version = m.version; /* the tree owns it from here, freed with the tree on failure */
    t->next_file_id = m.next_file_id;
    t->flushed_seqno = m.flushed_seqno;
    t->journal_min = m.journal_min;
    t->manifest_epoch = read_info.epoch;
    info->manifest_epoch = read_info.epoch;
    if (t->version->level_count != t->opts.level_count)
      return status_new(STRATA_INVALID_ARGUMENT, "%s has %u levels, the options ask for %u", t->dir,
                        t->version->level_count, t->opts.level_count);
    if (t->version->kv_separated && !tree_kv_separated(t) && t->opts.blob.adopted_threshold) {
      /* the mode is the database's, not the opener's: a reader need not know how it was written */
      t->opts.blob.threshold = t->opts.blob.adopted_threshold;
      STATUS_TRY(tree_blob_open(t));
    }
    if (t->version->kv_separated != tree_kv_separated(t))
      return status_new(STRATA_INVALID_ARGUMENT,
                        t->version->kv_separated
                            ? "%s was created with key-value separation (kv_separation option); open it with it set"
                            : "%s was created without key-value separation; open it without the kv_separation option",
                        t->dir);
    /* epoch 1 without a second slot is a tree that never installed a version after creation */
    int fallback = read_info.other_state != MANIFEST_SLOT_VALID &&
                   !(read_info.other_state == MANIFEST_SLOT_MISSING && read_info.epoch == 1);
    if (!fallback) {
      strata_status *st = verify_tables(t, t->version);
      if (!st) st = tree_verify_blobs(t, t->version);
      return st ? status_wrap(st, "%s (epoch %llu)", db_files_manifest_slot(read_info.slot), (unsigned long long)read_info.epoch)
                : NULL;
    }
    STATUS_TRY(check_fallback(t, &m, &read_info));
    info->manifest_fallback = 1;
    return heal_manifest(t, &m, &read_info, info);
  }
  info->created = 1;
  STATUS_TRY(version_new_empty(t->opts.level_count, &t->version));
  t->version->kv_separated = tree_kv_separated(t); /* fixed from here on */
  t->next_file_id = 1;
  manifest_state fresh = {t->next_file_id, 0, 0, t->version};
  return manifest_write(t->fs, t->dir, &t->manifest_epoch, &fresh);
}

static void tree_free(tree *t) {
  for (size_t i = 0; i < t->kept_open_count; i++) file_cache_release(t->tables, t->kept_open[i]);
  free(t->kept_open);
  if (t->history.entries) version_history_destroy(&t->history);
  memtable_unref(t->active);
  for (size_t i = 0; i < t->sealed_count; i++) memtable_unref(t->sealed[i]);
  free(t->sealed);
  free(t->sealed_tags);
  version_unref(t->version); /* obsolete tables delete their files here, so caches go last */
  file_cache_free(t->tables);
  tree_blob_close(t);
  if (t->owns_cache) block_cache_free(t->cache);
  sync_mutex_destroy(&t->mu);
  sync_mutex_destroy(&t->install_mu);
  sync_mutex_destroy(&t->snap_mu);
  free(t->snapshots);
  free(t->dir);
  free(t->tables_dir);
  free(t);
}

strata_status *tree_open(vfs *fs, const char *dir, const tree_options *opts, tree_open_info *info, tree **out) {
  tree_open_info scratch;
  if (!info) info = &scratch;
  memset(info, 0, sizeof *info);
  tree *t = calloc(1, sizeof *t);
  if (!t) return status_no_memory();
  atomic_u64_init(&t->refs, 1);
  t->fs = fs;
  if (opts) t->opts = *opts;
  else tree_options_default(&t->opts);
  t->dir = vfs_path_join(dir, "");
  t->tables_dir = vfs_path_join(dir, DB_DIR_TABLES);
  strata_status *st = (!t->dir || !t->tables_dir) ? status_no_memory() : NULL;
  if (t->dir) t->dir[strlen(t->dir) - 1] = '\0'; /* join added a trailing '/' */
  if (!st) st = sync_mutex_init(&t->mu);
  if (!st) st = sync_mutex_init(&t->install_mu);
  if (!st) st = sync_mutex_init(&t->snap_mu);
  if (!st && t->opts.shared_cache) {
    t->cache = t->opts.shared_cache;
  } else if (!st) {
    st = block_cache_new(t->opts.block_cache_bytes, 0, &t->cache);
    t->owns_cache = st == NULL;
  }
  if (!st) st = file_cache_new(t->opts.max_open_tables, open_table_reader, close_table_reader, t, &t->tables);
  if (!st) st = vfs_mkdir(fs, t->tables_dir);
  if (!st && tree_kv_separated(t)) st = tree_blob_open(t);
  if (!st) st = load_or_create(t, info);
  if (!st && t->blobs_dir) st = vfs_mkdir(fs, t->blobs_dir); /* the mode is settled: a separated tree */
  if (!st) {
    orphan_scan scan = {t, info, 0, t->tables_dir, DB_LOST_KIND_TABLE};
    st = vfs_list(fs, t->tables_dir, clean_unlisted, &scan);
  }
  if (!st && t->blobs_dir) {
    orphan_scan scan = {t, info, 1, t->blobs_dir, DB_LOST_KIND_BLOB};
    st = vfs_list(fs, t->blobs_dir, clean_unlisted, &scan);
  }
  if (!st) st = memtable_new(&t->active);
  super_version *sv = NULL;
  if (!st) st = super_version_new(t->active, NULL, 0, t->version, t->flushed_seqno, &sv);
  if (!st) st = version_history_init(&t->history, sv);
  super_version_unref(sv);
  if (st) {
    tree_free(t);
    return status_wrap(st, "opening tree %s", dir);
  }
  *out = t;
  return NULL;
}

static int kept_open_has(const tree *t, uint64_t id) {
  for (size_t i = 0; i < t->kept_open_count; i++)
    if (table_reader_id(file_cache_handle_object(t->kept_open[i])) == id) return 1;
  return 0;
}

static void keep_version_open(tree *t, const version *v) {
  tree_keep_blobs_open(t, v);
  for (unsigned l = 0; l < v->level_count; l++)
    for (size_t r = 0; r < v->levels[l].run_count; r++)
      for (size_t i = 0; i < v->levels[l].runs[r].count; i++) {
        uint64_t id = v->levels[l].runs[r].tables[i]->id;
        if (kept_open_has(t, id)) continue;
        file_cache_handle **grown = realloc(t->kept_open, (t->kept_open_count + 1) * sizeof *grown);
        if (!grown) return;
        t->kept_open = grown;
        file_cache_handle *h = NULL;
        strata_status *st = file_cache_get(t->tables, id, &h);
        if (st) strata_status_free(st);
        else t->kept_open[t->kept_open_count++] = h;
      }
}

size_t tree_keep_tables_open(tree *t) {
  if (atomic_u64_load(&t->refs) <= 1) return 0; /* nobody else reads: nothing to keep */
  sync_mutex_lock(&t->install_mu); /* no install changes the history meanwhile */
  sync_rwlock_read(&t->history.lock);
  for (size_t i = 0; i < t->history.count; i++) keep_version_open(t, t->history.entries[i]->version);
  sync_rwlock_unlock(&t->history.lock);
  size_t n = t->kept_open_count;
  sync_mutex_unlock(&t->install_mu);
  return n;
}

tree *tree_ref(tree *t) {
  atomic_u64_fetch_add(&t->refs, 1);
  return t;
}

void tree_unref(tree *t) {
  if (t && atomic_u64_fetch_sub(&t->refs, 1) == 1) tree_free(t);
}

uint64_t tree_flushed_seqno(tree *t) {
  sync_mutex_lock(&t->mu);
  uint64_t v = t->flushed_seqno;
  sync_mutex_unlock(&t->mu);
  return v;
}

uint64_t tree_journal_min(tree *t) {
  sync_mutex_lock(&t->mu);
  uint64_t v = t->journal_min;
  sync_mutex_unlock(&t->mu);
  return v;
}

void tree_current_state(tree *t, manifest_state *out) {
  sync_mutex_lock(&t->mu);
  out->next_file_id = t->next_file_id;
  out->flushed_seqno = t->flushed_seqno;
  out->journal_min = t->journal_min;
  out->version = version_ref(t->version);
  sync_mutex_unlock(&t->mu);
}

uint64_t tree_allocate_file_id(tree *t) {
  sync_mutex_lock(&t->mu);
  uint64_t id = t->next_file_id++;
  sync_mutex_unlock(&t->mu);
  return id;
}

tree_counters tree_get_counters(tree *t) {
  sync_mutex_lock(&t->mu);
  tree_counters c = t->counters;
  sync_mutex_unlock(&t->mu);
  c.tables_deleted = atomic_u64_load(&t->tables_deleted);
  c.blob_reads = atomic_u64_load(&t->blob_reads);
  c.blob_files_deleted = atomic_u64_load(&t->blob_files_deleted);
  c.blob_bytes_reclaimed = atomic_u64_load(&t->blob_bytes_reclaimed);
  return c;
}

block_cache *tree_block_cache(tree *t) { return t->cache; }

size_t tree_versions_alive(tree *t) { return version_history_length(&t->history); }

/* --- writes ------------------------------------------------------------------------------ */

strata_status *tree_reserve(tree *t, size_t bytes) { return memtable_reserve(t->active, bytes); }

strata_status *tree_write(tree *t, slice key, uint64_t seqno, value_type type, slice value) {
  return memtable_insert(t->active, key, seqno, type, value);
}

strata_status *tree_insert(tree *t, slice key, slice value, uint64_t seqno) {
  return tree_write(t, key, seqno, VALUE_TYPE_VALUE, value);
}

strata_status *tree_remove(tree *t, slice key, uint64_t seqno) {
  return tree_write(t, key, seqno, VALUE_TYPE_TOMBSTONE, slice_empty());
}

strata_status *tree_remove_weak(tree *t, slice key, uint64_t seqno) {
  return tree_write(t, key, seqno, VALUE_TYPE_WEAK_TOMBSTONE, slice_empty());
}

uint64_t tree_active_memtable_bytes(tree *t) {
  return memtable_approximate_size(t->active); /* the writer owns `active`: no lock needed */
}

size_t tree_sealed_count(tree *t) {
  sync_mutex_lock(&t->mu);
  size_t n = t->sealed_count;
  sync_mutex_unlock(&t->mu);
  return n;
}

strata_status *tree_rotate_memtable(tree *t, uint64_t next_seqno, uint64_t journal_tag, int *sealed) {
  *sealed = 0;
  if (memtable_is_empty(t->active)) return NULL;
  memtable *fresh = NULL;
  STATUS_TRY(memtable_new(&fresh));
  sync_mutex_lock(&t->mu);
  strata_status *st = NULL;
  STRATA_TESTCASE(t->sealed_count == t->sealed_cap && t->sealed_cap > 0); /* the sealed list grows */
  if (t->sealed_count == t->sealed_cap) {
    size_t cap = t->sealed_cap ? t->sealed_cap * 2 : 4;
    memtable **grown = realloc(t->sealed, cap * sizeof *grown);
    if (grown) t->sealed = grown;
    uint64_t *tags = grown ? realloc(t->sealed_tags, cap * sizeof *tags) : NULL;
    if (tags) t->sealed_tags = tags;
    if (grown && tags) t->sealed_cap = cap;
    else st = status_no_memory();
  }
  super_version *sv = NULL;
  if (!st) {
    memmove(&t->sealed[1], &t->sealed[0], t->sealed_count * sizeof *t->sealed);
    memmove(&t->sealed_tags[1], &t->sealed_tags[0], t->sealed_count * sizeof *t->sealed_tags);
    t->sealed[0] = t->active;
    t->sealed_tags[0] = journal_tag;
    st = tree_prepare_install(t, fresh, t->sealed, t->sealed_count + 1, t->version, next_seqno, &sv);
    if (st) { /* nothing sealed: put the arrays back as they were */
      memmove(&t->sealed[0], &t->sealed[1], t->sealed_count * sizeof *t->sealed);
      memmove(&t->sealed_tags[0], &t->sealed_tags[1], t->sealed_count * sizeof *t->sealed_tags);
    }
  }
  if (!st) {
    t->sealed_count++;
    t->active = fresh;
    tree_install_prepared(t, sv);
    *sealed = 1;
  }
  sync_mutex_unlock(&t->mu);
  if (!*sealed) memtable_unref(fresh);
  return st;
}

/* --- whole-tree operations --------------------------------------------------------------- */

strata_status *tree_drop_range(tree *t, const key_range *range, uint64_t next_seqno) {
  tree_edit e;
  tree_edit_init(&e);
  e.remove_inside = range;
  e.installed_seqno = next_seqno;
  return tree_apply_edit(t, &e, NULL);
}

strata_status *tree_clear(tree *t, uint64_t next_seqno, uint64_t journal_min) {
  /* every write below next_seqno is gone, so none of it needs a journal or a table any more */
  tree_edit e;
  tree_edit_init(&e);
  e.remove_all = 1;
  e.replace_memtables = 1;
  e.flushed_seqno = next_seqno;
  e.journal_min = journal_min;
  e.installed_seqno = next_seqno;
  return tree_apply_edit(t, &e, NULL);
}

/* --- snapshots --------------------------------------------------------------------------- */

strata_status *tree_snapshot_pin(tree *t, uint64_t seqno) {
  sync_mutex_lock(&t->snap_mu);
  strata_status *st = NULL;
  if (t->snapshot_count == t->snapshot_cap) {
    size_t cap = t->snapshot_cap ? t->snapshot_cap * 2 : 8;
    uint64_t *grown = realloc(t->snapshots, cap * sizeof *grown);
    if (grown) {
      t->snapshots = grown;
      t->snapshot_cap = cap;
    } else {
      st = status_no_memory();
    }
  }
  if (!st) { /* new snapshots are usually the newest: insert from the end */
    size_t i = t->snapshot_count;
    while (i > 0 && t->snapshots[i - 1] > seqno) {
      t->snapshots[i] = t->snapshots[i - 1];
      i--;
    }
    t->snapshots[i] = seqno;
    t->snapshot_count++;
  }
  sync_mutex_unlock(&t->snap_mu);
  return st;
}

void tree_snapshot_unpin(tree *t, uint64_t seqno) {
  sync_mutex_lock(&t->snap_mu);
  for (size_t i = 0; i < t->snapshot_count; i++)
    if (t->snapshots[i] == seqno) {
      memmove(&t->snapshots[i], &t->snapshots[i + 1], (t->snapshot_count - i - 1) * sizeof *t->snapshots);
      t->snapshot_count--;
      break;
    }
  sync_mutex_unlock(&t->snap_mu);
}

size_t tree_snapshot_count(tree *t) {
  sync_mutex_lock(&t->snap_mu);
  size_t n = t->snapshot_count;
  sync_mutex_unlock(&t->snap_mu);
  return n;
}

strata_status *tree_snapshot_list(tree *t, uint64_t **out, size_t *count) {
  *out = NULL;
  *count = 0;
  sync_mutex_lock(&t->snap_mu);
  strata_status *st = NULL;
  size_t n = 0;
  uint64_t *copy = t->snapshot_count ? malloc(t->snapshot_count * sizeof *copy) : NULL;
  if (t->snapshot_count && !copy) st = status_no_memory();
  for (size_t i = 0; copy && i < t->snapshot_count; i++)
    if (n == 0 || copy[n - 1] != t->snapshots[i]) copy[n++] = t->snapshots[i]; /* one entry per seqno */
  sync_mutex_unlock(&t->snap_mu);
  *out = copy;
  *count = n;
  return st;
}

uint64_t tree_oldest_snapshot(tree *t, uint64_t fallback) {
  sync_mutex_lock(&t->snap_mu);
  uint64_t v = t->snapshot_count ? t->snapshots[0] : fallback;
  sync_mutex_unlock(&t->snap_mu);
  return v;
}

/* Takes install_mu, then mu, like every install; the memtables are checked under install_mu, so
 * no flush empties or fills the sealed list between the check and the edit. */
strata_status *tree_advance_watermarks(tree *t, uint64_t flushed_seqno, uint64_t journal_min) {
  sync_mutex_lock(&t->install_mu);
  sync_mutex_lock(&t->mu);
  int empty = t->sealed_count == 0 && memtable_is_empty(t->active);
  sync_mutex_unlock(&t->mu);
  strata_status *st = NULL;
  if (!empty) st = status_new(STRATA_INVALID_ARGUMENT, "advancing the flushed seqno over unflushed memtables");
  tree_edit e;
  tree_edit_init(&e);
  e.flushed_seqno = flushed_seqno;
  e.journal_min = journal_min;
  e.raise_only = 1;
  if (!st) st = tree_apply_edit_locked(t, &e, NULL); /* the same tables: nothing is retired */
  sync_mutex_unlock(&t->install_mu);
  return st;
}
