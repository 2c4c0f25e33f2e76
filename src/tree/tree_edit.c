/*
 * tree_edit.c -- the one install path of the tree's version (tree.h: tree_apply_edit).
 *
 * Build (install_mu held: only edits change t->version, so it is stable), then with mu held:
 * prepare (the super version readers will see and room for it in the history: everything that can
 * fail), persist (the manifest, written and synced outside the history's lock, so readers go on),
 * swap (version, counters and memtables together, then the super version; cannot fail). The steps
 * before the manifest write can fail without a trace; nothing can fail after it; the manifest is
 * durable before any reader can see the version it holds.
 */
#include <stdlib.h>
#include <string.h>

#include "../util/check.h"
#include "tree_internal.h"

void tree_edit_init(tree_edit *e) {
  memset(e, 0, sizeof *e);
  e->flushed_seqno = TREE_EDIT_KEEP;
  e->journal_min = TREE_EDIT_KEEP;
  e->installed_seqno = TREE_EDIT_KEEP;
}

static int table_inside(const table_info *ti, const key_range *r) {
  return key_range_contains(r, ti->key_min) && key_range_contains(r, ti->key_max);
}

/* Puts the added tables into their level as the edit says. */
static void place_tables(version_builder *b, const tree_edit *e) {
  if (e->add_count == 0 || b->error) return;
  if (e->add_level >= b->next->level_count) {
    b->error = status_new(STRATA_INVALID_ARGUMENT, "tables added to level %u of %u", e->add_level,
                          b->next->level_count);
    return;
  }
  if (e->add_placement == TREE_PLACE_NEWEST_RUN) {
    version_builder_add_run(b, e->add_level, e->add, e->add_count);
    return;
  }
  if (e->add_placement == TREE_PLACE_OLDEST_RUN) {
    version_builder_add_run_oldest(b, e->add_level, e->add, e->add_count);
    return;
  }
  const version_level *lv = &b->next->levels[e->add_level];
  size_t nonempty = 0, which = 0;
  for (size_t r = 0; r < lv->run_count; r++)
    if (lv->runs[r].count) {
      nonempty++;
      which = r;
    }
  if (nonempty == 0) version_builder_add_run(b, e->add_level, e->add, e->add_count);
  else if (nonempty == 1) version_builder_insert_into_run(b, e->add_level, which, e->add, e->add_count);
  else
    b->error = status_new(STRATA_INVALID_ARGUMENT, "level %u has %zu runs, adding into its run expects one",
                          e->add_level, nonempty);
}

/* The next version from `base` (install_mu held); *changed = 0 (and *out = NULL) when the edit
 * leaves the tables as they are. */
static strata_status *build_next(const version *base, const tree_edit *e, version **out, int *changed) {
  *out = NULL;
  *changed = e->remove_all || e->remove_count || e->add_count;
  version_builder b;
  version_builder_init(&b, base);
  for (unsigned l = 0; l < base->level_count && (e->remove_all || e->remove_inside); l++)
    for (size_t r = 0; r < base->levels[l].run_count; r++)
      for (size_t i = 0; i < base->levels[l].runs[r].count; i++) {
        const table_info *ti = base->levels[l].runs[r].tables[i];
        if (!e->remove_all && !table_inside(ti, e->remove_inside)) continue;
        version_builder_remove_table(&b, ti->id);
        *changed = 1;
      }
  for (size_t i = 0; i < e->remove_count; i++) version_builder_remove_table(&b, e->remove_ids[i]);
  place_tables(&b, e);
  if (*changed) version_builder_update_blobs(&b, base, e->add_blobs, e->add_blob_count);
  if (!*changed) {
    version_builder_abandon(&b);
    return NULL;
  }
  return version_builder_finish(&b, out);
}

static uint64_t edited(uint64_t current, uint64_t value, int raise_only) {
  if (value == TREE_EDIT_KEEP) return current;
  return raise_only && value < current ? current : value;
}

strata_status *tree_apply_edit_locked(tree *t, const tree_edit *e, int *installed) {
  sync_mutex_assert_held(&t->install_mu);
  sync_mutex_assert_not_held(&t->mu);
  if (installed) *installed = 0;
  if (e->drop_oldest_sealed && e->replace_memtables)
    return status_new(STRATA_INVALID_ARGUMENT, "a tree edit both flushes and replaces the memtables");
  /* build: t->version and the counters change only in edits, which all hold install_mu */
  sync_mutex_lock(&t->mu);
  version *base = version_ref(t->version);
  uint64_t flushed = edited(t->flushed_seqno, e->flushed_seqno, e->raise_only);
  uint64_t journal_min = edited(t->journal_min, e->journal_min, e->raise_only);
  int counters_changed = flushed != t->flushed_seqno || journal_min != t->journal_min;
  int no_sealed = t->sealed_count == 0;
  sync_mutex_unlock(&t->mu);
  if (e->drop_oldest_sealed && no_sealed) {
    version_unref(base);
    return status_new(STRATA_INVALID_ARGUMENT, "a tree edit flushes a memtable, but none is sealed");
  }
  version *next = NULL;
  int tables_changed = 0;
  strata_status *st = build_next(base, e, &next, &tables_changed);
  if (st || (!tables_changed && !counters_changed && !e->drop_oldest_sealed && !e->replace_memtables)) {
    version_unref(base);
    return st;
  }
  if (!next) next = version_ref(base); /* the same tables under new counters or memtables */
  version_unref(base);
  memtable *fresh = NULL;
  if (e->replace_memtables && (st = memtable_new(&fresh))) {
    version_unref(next);
    return st;
  }

  /* prepare, persist, swap, all with mu held: a rotation cannot change the memtables the super
   * version is built from, and everything that can fail (the super version, room in the history)
   * happens before the manifest makes `next` durable; a failure after it would leave readers on
   * a version whose tables the caller then deletes. Readers go on meanwhile (they take the
   * history's lock, not mu); the writer's rotation waits. */
  sync_mutex_lock(&t->mu);
  uint64_t installed_seqno = e->installed_seqno;
  if (installed_seqno == TREE_EDIT_KEEP) {
    super_version *cur = version_history_current(&t->history);
    installed_seqno = cur->installed_seqno;
    super_version_unref(cur);
  }
  STRATA_ASSERT(!e->drop_oldest_sealed || t->sealed_count > 0);
  super_version *sv = NULL;
  if (e->replace_memtables)
    st = tree_prepare_install(t, fresh, NULL, 0, next, installed_seqno, &sv);
  else
    st = tree_prepare_install(t, t->active, t->sealed, t->sealed_count - (e->drop_oldest_sealed ? 1 : 0), next,
                              installed_seqno, &sv);
  manifest_state m = {t->next_file_id, flushed, journal_min, next};
  /* persist: the manifest is durable before anyone can read the new version */
  if (!st) st = manifest_write(t->fs, t->dir, &t->manifest_epoch, &m);
  if (st) {
    sync_mutex_unlock(&t->mu);
    super_version_unref(sv);
    memtable_unref(fresh);
    version_unref(next);
    return st;
  }

  /* swap: nothing below can fail */
  version *old = t->version;
  memtable *flushed_mt = NULL, *old_active = NULL, **old_sealed = NULL;
  uint64_t *old_tags = NULL;
  size_t old_count = 0;
  t->version = next;
  t->flushed_seqno = flushed;
  t->journal_min = journal_min;
  if (e->drop_oldest_sealed) flushed_mt = t->sealed[--t->sealed_count];
  if (e->replace_memtables) {
    old_active = t->active;
    old_sealed = t->sealed;
    old_tags = t->sealed_tags;
    old_count = t->sealed_count;
    t->active = fresh;
    t->sealed = NULL;
    t->sealed_tags = NULL;
    t->sealed_count = t->sealed_cap = 0;
  }
  tree_install_prepared(t, sv);
  sync_mutex_unlock(&t->mu);
  memtable_unref(flushed_mt);
  memtable_unref(old_active);
  for (size_t i = 0; i < old_count; i++) memtable_unref(old_sealed[i]);
  free(old_sealed);
  free(old_tags);
  tree_retire_tables(t, old, next);
  tree_retire_blobs(t, old, next);
  version_unref(old);
  if (installed) *installed = 1;
  return NULL;
}

strata_status *tree_apply_edit(tree *t, const tree_edit *e, int *installed) {
  sync_mutex_lock(&t->install_mu);
  strata_status *st = tree_apply_edit_locked(t, e, installed);
  sync_mutex_unlock(&t->install_mu);
  return st;
}
