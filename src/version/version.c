#include "version.h"

#include <stdlib.h>
#include <string.h>

static void run_clear(version_run *run) {
  for (size_t i = 0; i < run->count; i++) table_info_unref(run->tables[i]);
  free(run->tables);
  run->tables = NULL;
  run->count = 0;
}

static void level_clear(version_level *level) {
  for (size_t r = 0; r < level->run_count; r++) run_clear(&level->runs[r]);
  free(level->runs);
  level->runs = NULL;
  level->run_count = 0;
}

static void version_free(version *v) {
  for (unsigned l = 0; l < v->level_count; l++) level_clear(&v->levels[l]);
  for (size_t i = 0; i < v->blob_count; i++) blob_meta_unref(v->blobs[i].file);
  free(v->blobs);
  free(v);
}

strata_status *version_new_empty(unsigned level_count, version **out) {
  if (level_count < 2 || level_count > VERSION_MAX_LEVELS)
    return status_new(STRATA_INVALID_ARGUMENT, "a tree has 2 to %d levels, not %u", VERSION_MAX_LEVELS, level_count);
  version *v = calloc(1, sizeof *v);
  if (!v) return status_no_memory();
  v->level_count = level_count;
  atomic_u64_init(&v->refs, 1);
  *out = v;
  return NULL;
}

version *version_ref(version *v) {
  atomic_u64_fetch_add(&v->refs, 1);
  return v;
}

void version_unref(version *v) {
  if (v && atomic_u64_fetch_sub(&v->refs, 1) == 1) version_free(v);
}

size_t version_level_table_count(const version *v, unsigned level) {
  size_t n = 0;
  for (size_t r = 0; r < v->levels[level].run_count; r++) n += v->levels[level].runs[r].count;
  return n;
}

size_t version_table_count(const version *v) {
  size_t n = 0;
  for (unsigned l = 0; l < v->level_count; l++) n += version_level_table_count(v, l);
  return n;
}

uint64_t version_level_bytes(const version *v, unsigned level) {
  uint64_t bytes = 0;
  const version_level *lv = &v->levels[level];
  for (size_t r = 0; r < lv->run_count; r++)
    for (size_t i = 0; i < lv->runs[r].count; i++) bytes += lv->runs[r].tables[i]->file_size;
  return bytes;
}

table_info *version_find_table(const version *v, uint64_t id, unsigned *level_out) {
  for (unsigned l = 0; l < v->level_count; l++)
    for (size_t r = 0; r < v->levels[l].run_count; r++) {
      const version_run *run = &v->levels[l].runs[r];
      for (size_t i = 0; i < run->count; i++)
        if (run->tables[i]->id == id) {
          if (level_out) *level_out = l;
          return run->tables[i];
        }
    }
  return NULL;
}

table_info *version_run_find(const version_run *run, slice key) {
  /* first table whose key_max >= key; it holds key if its key_min <= key */
  size_t lo = 0, hi = run->count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (slice_compare(run->tables[mid]->key_max, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  if (lo == run->count || slice_compare(run->tables[lo]->key_min, key) > 0) return NULL;
  return run->tables[lo];
}

const blob_file_info *version_find_blob(const version *v, uint64_t id) {
  size_t lo = 0, hi = v->blob_count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (v->blobs[mid].file->id < id) lo = mid + 1;
    else hi = mid;
  }
  return lo < v->blob_count && v->blobs[lo].file->id == id ? &v->blobs[lo] : NULL;
}

strata_status *version_check(const version *v) {
  for (size_t i = 0; i < v->blob_count; i++) {
    const blob_file_info *bf = &v->blobs[i];
    if (i && v->blobs[i - 1].file->id >= bf->file->id)
      return status_new(STRATA_CORRUPTION, "blob files %llu and %llu are unsorted or listed twice",
                        (unsigned long long)v->blobs[i - 1].file->id, (unsigned long long)bf->file->id);
    if (bf->garbage_count > bf->file->item_count || bf->garbage_bytes > bf->file->record_bytes)
      return status_new(STRATA_CORRUPTION, "blob file %llu: garbage (%llu records, %llu bytes) exceeds its %llu records of %llu bytes",
                        (unsigned long long)bf->file->id, (unsigned long long)bf->garbage_count,
                        (unsigned long long)bf->garbage_bytes, (unsigned long long)bf->file->item_count,
                        (unsigned long long)bf->file->record_bytes);
  }
  for (unsigned l = 0; l < v->level_count; l++)
    for (size_t r = 0; r < v->levels[l].run_count; r++) {
      const version_run *run = &v->levels[l].runs[r];
      for (size_t i = 1; i < run->count; i++)
        if (slice_compare(run->tables[i - 1]->key_max, run->tables[i]->key_min) >= 0)
          return status_new(STRATA_CORRUPTION, "level %u run %zu: tables %llu and %llu overlap or are unsorted", l, r,
                            (unsigned long long)run->tables[i - 1]->id, (unsigned long long)run->tables[i]->id);
    }
  /* ids unique: quadratic, but versions are checked only when built or loaded */
  for (unsigned l = 0; l < v->level_count; l++)
    for (size_t r = 0; r < v->levels[l].run_count; r++)
      for (size_t i = 0; i < v->levels[l].runs[r].count; i++) {
        uint64_t id = v->levels[l].runs[r].tables[i]->id;
        size_t seen = 0;
        for (unsigned l2 = 0; l2 < v->level_count; l2++)
          for (size_t r2 = 0; r2 < v->levels[l2].run_count; r2++)
            for (size_t j = 0; j < v->levels[l2].runs[r2].count; j++) seen += v->levels[l2].runs[r2].tables[j]->id == id;
        if (seen != 1) return status_new(STRATA_CORRUPTION, "table %llu listed %zu times", (unsigned long long)id, seen);
      }
  return NULL;
}

/* --- builder ----------------------------------------------------------------------------- */

static void builder_fail(version_builder *b, strata_status *st) {
  if (!st) return;
  if (b->error) strata_status_free(st);
  else b->error = st;
}

static strata_status *run_copy(version_run *dst, const version_run *src) {
  dst->tables = NULL;
  dst->count = 0;
  if (!src->count) return NULL;
  dst->tables = malloc(src->count * sizeof *dst->tables);
  if (!dst->tables) return status_no_memory();
  for (size_t i = 0; i < src->count; i++) dst->tables[i] = table_info_ref(src->tables[i]);
  dst->count = src->count;
  return NULL;
}

void version_builder_init(version_builder *b, const version *base) {
  b->error = NULL;
  b->next = NULL;
  strata_status *st = version_new_empty(base->level_count, &b->next);
  if (st) {
    builder_fail(b, st);
    return;
  }
  version *n = b->next;
  n->id = base->id + 1;
  for (unsigned l = 0; l < base->level_count && !b->error; l++) {
    const version_level *src = &base->levels[l];
    if (!src->run_count) continue;
    n->levels[l].runs = calloc(src->run_count, sizeof *n->levels[l].runs);
    if (!n->levels[l].runs) {
      builder_fail(b, status_no_memory());
      break;
    }
    n->levels[l].run_count = src->run_count;
    for (size_t r = 0; r < src->run_count && !b->error; r++)
      builder_fail(b, run_copy(&n->levels[l].runs[r], &src->runs[r]));
  }
  if (!b->error) version_builder_set_blobs(b, base->blobs, base->blob_count);
  n->kv_separated = base->kv_separated;
}

static int level_ok(version_builder *b, unsigned level) {
  if (b->error) return 0;
  if (level >= b->next->level_count) {
    builder_fail(b, status_new(STRATA_INVALID_ARGUMENT, "level %u does not exist", level));
    return 0;
  }
  return 1;
}

static void add_run_at(version_builder *b, unsigned level, table_info *const *tables, size_t n, int newest) {
  if (!level_ok(b, level) || n == 0) return;
  version_level *lv = &b->next->levels[level];
  version_run *runs = realloc(lv->runs, (lv->run_count + 1) * sizeof *runs);
  table_info **copy = malloc(n * sizeof *copy);
  if (runs) lv->runs = runs;
  if (!runs || !copy) {
    free(copy);
    builder_fail(b, status_no_memory());
    return;
  }
  size_t pos = newest ? 0 : lv->run_count;
  memmove(&lv->runs[pos + 1], &lv->runs[pos], (lv->run_count - pos) * sizeof *lv->runs);
  for (size_t i = 0; i < n; i++) copy[i] = table_info_ref(tables[i]);
  lv->runs[pos].tables = copy;
  lv->runs[pos].count = n;
  lv->run_count++;
}

void version_builder_add_run(version_builder *b, unsigned level, table_info *const *tables, size_t n) {
  add_run_at(b, level, tables, n, 1);
}

void version_builder_add_run_oldest(version_builder *b, unsigned level, table_info *const *tables, size_t n) {
  add_run_at(b, level, tables, n, 0);
}

void version_builder_insert_into_run(version_builder *b, unsigned level, size_t run, table_info *const *tables,
                                     size_t n) {
  if (!level_ok(b, level) || n == 0) return;
  version_level *lv = &b->next->levels[level];
  if (run >= lv->run_count) {
    builder_fail(b, status_new(STRATA_INVALID_ARGUMENT, "level %u has no run %zu", level, run));
    return;
  }
  version_run *r = &lv->runs[run];
  table_info **merged = malloc((r->count + n) * sizeof *merged);
  if (!merged) {
    builder_fail(b, status_no_memory());
    return;
  }
  /* both inputs are sorted by key_min: merge them; version_check later rejects overlaps */
  size_t i = 0, j = 0, k = 0;
  while (i < r->count || j < n) {
    if (j == n || (i < r->count && slice_compare(r->tables[i]->key_min, tables[j]->key_min) <= 0))
      merged[k++] = r->tables[i++];
    else
      merged[k++] = table_info_ref(tables[j++]);
  }
  free(r->tables);
  r->tables = merged;
  r->count = k;
}

void version_builder_remove_table(version_builder *b, uint64_t id) {
  if (b->error) return;
  version *v = b->next;
  for (unsigned l = 0; l < v->level_count; l++)
    for (size_t r = 0; r < v->levels[l].run_count; r++) {
      version_run *run = &v->levels[l].runs[r];
      for (size_t i = 0; i < run->count; i++)
        if (run->tables[i]->id == id) {
          table_info_unref(run->tables[i]);
          memmove(&run->tables[i], &run->tables[i + 1], (run->count - i - 1) * sizeof *run->tables);
          run->count--;
          return;
        }
    }
  builder_fail(b, status_new(STRATA_INVALID_ARGUMENT, "table %llu is not in the version", (unsigned long long)id));
}

void version_builder_set_blobs(version_builder *b, const blob_file_info *blobs, size_t n) {
  if (b->error) return;
  blob_file_info *copy = NULL;
  if (n) {
    copy = malloc(n * sizeof *copy);
    if (!copy) {
      builder_fail(b, status_no_memory());
      return;
    }
    memcpy(copy, blobs, n * sizeof *copy);
    for (size_t i = 0; i < n; i++) blob_meta_ref(copy[i].file);
  }
  for (size_t i = 0; i < b->next->blob_count; i++) blob_meta_unref(b->next->blobs[i].file);
  free(b->next->blobs);
  b->next->blobs = copy;
  b->next->blob_count = n;
}

strata_status *version_builder_finish(version_builder *b, version **out) {
  if (!b->error) {
    version *v = b->next;
    for (unsigned l = 0; l < v->level_count; l++) {
      version_level *lv = &v->levels[l];
      size_t kept = 0;
      for (size_t r = 0; r < lv->run_count; r++) {
        if (lv->runs[r].count) lv->runs[kept++] = lv->runs[r];
        else free(lv->runs[r].tables);
      }
      lv->run_count = kept;
      if (kept) v->run_levels[v->run_level_count++] = (uint8_t)l;
    }
    builder_fail(b, version_check(v));
  }
  if (b->error) {
    strata_status *st = b->error;
    b->error = NULL;
    version_builder_abandon(b);
    return st;
  }
  *out = b->next;
  b->next = NULL;
  return NULL;
}

void version_builder_abandon(version_builder *b) {
  if (b->next) version_unref(b->next);
  b->next = NULL;
  strata_status_free(b->error);
  b->error = NULL;
}
