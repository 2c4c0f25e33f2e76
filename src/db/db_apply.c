/*
 * db_apply.c -- a batch into the active memtable: decoded into items, then applied newest first,
 * for writes (db_write.c) and the journal replay (db_recovery.c). Everything that can fail comes before
 * the journal append (db_prepare_batch: decoded, memtable room reserved), so a journaled batch
 * always lands.
 */
#include <stdint.h>
#include <stdlib.h>

#include "db_internal.h"

strata_status *db_gather_items_at(strata_db *db, const write_batch *b, size_t first, size_t *n) {
  if (b->count > SIZE_MAX / sizeof(write_batch_item) - first) return status_no_memory();
  STATUS_TRY(db_reserve_items(db, first + b->count));
  write_batch_iter it;
  write_batch_iter_init(&it, b);
  size_t i = 0;
  while (i < b->count && write_batch_iter_next(&it, &db->items[first + i])) i++;
  if (i != b->count) return status_new(STRATA_CORRUPTION, "write batch holds %zu of %u items", i, b->count);
  *n = i;
  return NULL;
}

strata_status *db_reserve_items(strata_db *db, size_t count) {
  if (count <= db->items_cap) return NULL;
  size_t cap = db->items_cap * 2 > count ? db->items_cap * 2 : count;
  write_batch_item *grown = realloc(db->items, cap * sizeof *grown);
  if (!grown) return status_no_memory();
  db->items = grown;
  db->items_cap = cap;
  return NULL;
}

strata_status *db_gather_items(strata_db *db, const write_batch *b, size_t *n) {
  return db_gather_items_at(db, b, 0, n);
}

strata_status *db_apply_item_range(strata_db *db, size_t first, size_t n, uint64_t seqno) {
  for (size_t i = first + n; i-- > first;) {
    const write_batch_item *item = &db->items[i];
    strata_status *st = tree_write(db->tree, item->key, seqno, item->type, item->value);
    if (status_is(st, STRATA_EXISTS)) strata_status_free(st);
    else if (st) return st;
  }
  return NULL;
}

strata_status *db_apply_items(strata_db *db, size_t n, uint64_t seqno) { return db_apply_item_range(db, 0, n, seqno); }

strata_status *db_prepare_batch(strata_db *db, const write_batch *b, size_t *n) {
  STATUS_TRY(db_gather_items(db, b, n));
  size_t bytes = 0;
  for (size_t i = 0; i < *n && bytes != SIZE_MAX; i++) {
    size_t one = memtable_entry_bound(db->items[i].key.len, db->items[i].value.len);
    bytes = one > SIZE_MAX - bytes ? SIZE_MAX : bytes + one;
  }
  return tree_reserve(db->tree, bytes);
}

strata_status *db_apply_batch(strata_db *db, const write_batch *b, uint64_t seqno) {
  size_t n = 0;
  STATUS_TRY(db_prepare_batch(db, b, &n));
  return db_apply_items(db, n, seqno);
}
