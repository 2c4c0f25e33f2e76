/* db_ingest.c -- bulk ingestion of a sorted stream (strata.h: strata_ingest_*; the work: tree_ingest.c). */
#include <stdlib.h>

#include "db_internal.h"

struct strata_ingest {
  uint32_t tag;
  strata_db *db;       /* NULL once its database closed (the ingest was abandoned then) */
  tree_ingest *ingest; /* NULL once abandoned */
};

/* The ingest's work, gone when its database closed. */
static strata_status *check_live(const strata_ingest *in, const char *fn) {
  if (in->ingest) return NULL;
  return status_new(STRATA_NOT_OPEN, "%s: the database closed, and its ingest was abandoned", fn);
}

static void detach(strata_ingest *in) {
  strata_db *db = in->db;
  if (!db) return;
  sync_mutex_lock(&db->write_mu);
  if (db->ingest == in) db->ingest = NULL;
  sync_mutex_unlock(&db->write_mu);
  in->db = NULL;
}

void db_abandon_ingest(strata_db *db) {
  sync_mutex_lock(&db->write_mu);
  strata_ingest *in = db->ingest;
  db->ingest = NULL;
  sync_mutex_unlock(&db->write_mu);
  if (!in) return;
  tree_ingest_abandon(in->ingest);
  in->ingest = NULL;
  in->db = NULL;
}

strata_status *strata_ingest_begin(strata_db *db, strata_ingest **out) {
  ARG_NOT_NULL(out);
  *out = NULL;
  HANDLE_CHECK(db, HANDLE_DB);
  strata_ingest *in = malloc(sizeof *in);
  if (!in) return status_no_memory();
  in->db = db;
  in->ingest = NULL;
  sync_mutex_lock(&db->write_mu);
  strata_status *st = db->ingest ? status_new(STRATA_BUSY, "%s: another ingest is in progress", __func__) : NULL;
  if (!st) st = tree_ingest_begin(db->tree, &in->ingest);
  if (!st) db->ingest = in;
  sync_mutex_unlock(&db->write_mu);
  if (st) {
    free(in);
    return st;
  }
  in->tag = HANDLE_INGEST;
  *out = in;
  return NULL;
}

strata_status *strata_ingest_add(strata_ingest *in, const void *key, size_t klen, const void *value, size_t vlen) {
  HANDLE_CHECK(in, HANDLE_INGEST);
  STATUS_TRY(check_live(in, __func__));
  ARG_BYTES(key, klen);
  ARG_BYTES(value, vlen);
  STATUS_TRY(db_check_key(klen));
  STATUS_TRY(db_check_value(vlen));
  return tree_ingest_add(in->ingest, slice_make(key, klen), slice_make(value, vlen));
}

/* Attaches `in` to `db` again (a finish the backend refused: the ingest goes on). */
static void attach(strata_ingest *in, strata_db *db) {
  sync_mutex_lock(&db->write_mu);
  db->ingest = in;
  sync_mutex_unlock(&db->write_mu);
  in->db = db;
}

strata_status *strata_ingest_finish(strata_ingest *in, uint64_t *entries) {
  HANDLE_CHECK(in, HANDLE_INGEST);
  uint64_t n = 0;
  int kept = 0;
  strata_db *db = in->db;
  detach(in); /* a close meanwhile must not abandon what finish works on */
  strata_status *st = check_live(in, __func__);
  if (!st) st = tree_ingest_finish(in->ingest, &n, &kept);
  if (entries) *entries = st ? 0 : n;
  if (kept) { /* would block installing: the ingest is as it was, to finish again or abandon */
    attach(in, db);
    return st;
  }
  handle_retire(&in->tag);
  free(in);
  return st;
}

void strata_ingest_abandon(strata_ingest *in) {
  HANDLE_GUARD_VOID(in, HANDLE_INGEST);
  detach(in);
  tree_ingest_abandon(in->ingest);
  handle_retire(&in->tag);
  free(in);
}
