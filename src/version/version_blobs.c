/*
 * version_blobs.c -- the blob list of the next version, derived from its tables.
 *
 * The fragmentation map needs no bookkeeping of its own: a blob file's live records are exactly
 * the handles the version's tables hold into it (each table lists its references), so when an
 * edit removes tables and adds others, what the removed ones referenced becomes garbage and what
 * the added ones reference stops being garbage. A compaction that drops a shadowed handle, a
 * relocation that points a handle at a new file, FIFO or drop_range discarding whole tables: all
 * are the same difference. A new blob file starts all garbage and its first tables make it live.
 * A file whose every record is garbage leaves the version (its file goes when no reader holds it).
 */
#include <stdlib.h>
#include <string.h>

#include "version.h"

static int table_in(const version *v, const table_info *ti) {
  return version_find_table(v, ti->id, NULL) == ti;
}

static blob_file_info *find(blob_file_info *list, size_t n, uint64_t id) {
  for (size_t i = 0; i < n; i++)
    if (list[i].file->id == id) return &list[i];
  return NULL;
}

/* Moves the table's references into (sign +1) or out of (sign -1) the garbage. */
static strata_status *account(blob_file_info *list, size_t n, const table_info *ti, int sign) {
  for (size_t i = 0; i < ti->blob_ref_count; i++) {
    const table_blob_ref *r = &ti->blob_refs[i];
    blob_file_info *bf = find(list, n, r->blob_id);
    if (!bf)
      return status_new(STRATA_CORRUPTION, "table %llu references blob file %llu, which the version does not list",
                        (unsigned long long)ti->id, (unsigned long long)r->blob_id);
    if (sign > 0) {
      bf->garbage_count += r->count;
      bf->garbage_bytes += r->bytes;
    } else if (bf->garbage_count < r->count || bf->garbage_bytes < r->bytes) {
      return status_new(STRATA_CORRUPTION, "table %llu references more of blob file %llu than is left unreferenced",
                        (unsigned long long)ti->id, (unsigned long long)r->blob_id);
    } else {
      bf->garbage_count -= r->count;
      bf->garbage_bytes -= r->bytes;
    }
  }
  return NULL;
}

static int by_id(const void *a, const void *b) {
  uint64_t x = ((const blob_file_info *)a)->file->id, y = ((const blob_file_info *)b)->file->id;
  return (x > y) - (x < y);
}

void version_builder_update_blobs(version_builder *b, const version *base, blob_meta *const *added, size_t n) {
  if (b->error) return;
  version *next = b->next;
  size_t cap = base->blob_count + n;
  if (cap == 0) return;
  blob_file_info *list = malloc(cap * sizeof *list);
  if (!list) {
    b->error = status_no_memory();
    return;
  }
  size_t count = 0;
  for (size_t i = 0; i < base->blob_count; i++) list[count++] = base->blobs[i];
  for (size_t i = 0; i < n; i++) {
    blob_file_info fresh = {added[i], added[i]->record_bytes, added[i]->item_count};
    list[count++] = fresh;
  }
  strata_status *st = NULL;
  for (unsigned l = 0; l < base->level_count && !st; l++)
    for (size_t r = 0; r < base->levels[l].run_count && !st; r++)
      for (size_t i = 0; i < base->levels[l].runs[r].count && !st; i++) {
        const table_info *ti = base->levels[l].runs[r].tables[i];
        if (ti->blob_ref_count && !table_in(next, ti)) st = account(list, count, ti, +1);
      }
  for (unsigned l = 0; l < next->level_count && !st; l++)
    for (size_t r = 0; r < next->levels[l].run_count && !st; r++)
      for (size_t i = 0; i < next->levels[l].runs[r].count && !st; i++) {
        const table_info *ti = next->levels[l].runs[r].tables[i];
        if (ti->blob_ref_count && !table_in(base, ti)) st = account(list, count, ti, -1);
      }
  if (st) {
    free(list);
    b->error = st;
    return;
  }
  size_t kept = 0;
  for (size_t i = 0; i < count; i++)
    if (list[i].garbage_count < list[i].file->item_count) list[kept++] = list[i];
  qsort(list, kept, sizeof *list, by_id);
  version_builder_set_blobs(b, list, kept); /* takes its own references */
  free(list);
}
