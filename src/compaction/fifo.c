/*
 * fifo.c -- FIFO compaction: drop the oldest tables past a size limit, and tables older than a
 * time-to-live. Tables are dropped whole, never rewritten, so overlapping level-0 tables are
 * fine (lsm-tree asserts a disjoint level 0 and panics). "Oldest" is by the newest seqno a table
 * holds, which orders tables by data age even when several were written in the same millisecond.
 * With key-value separation a table counts with the blob bytes it references (the records it
 * keeps alive), so the limit bounds the values as well as the tables.
 */
#include <stdlib.h>

#include "strategy.h"

static int by_age(const void *a, const void *b) {
  const table_info *x = *(const table_info *const *)a, *y = *(const table_info *const *)b;
  if (x->seqno_max != y->seqno_max) return x->seqno_max < y->seqno_max ? -1 : 1;
  return (x->id > y->id) - (x->id < y->id);
}

/* What dropping the table frees: its file and the blob records only it points to. */
static uint64_t charged_bytes(const table_info *t) {
  uint64_t bytes = t->file_size;
  for (size_t i = 0; i < t->blob_ref_count; i++) bytes += t->blob_refs[i].bytes;
  return bytes;
}

strata_status *fifo_choose(const strategy_input *in, compaction_job **out) {
  *out = NULL;
  const version *v = in->v;
  const compaction_options *o = in->o;
  size_t n = version_table_count(v);
  if (n == 0) return NULL;
  table_info **tables = malloc(n * sizeof *tables);
  if (!tables) return status_no_memory();
  size_t k = 0;
  uint64_t total = 0;
  for (unsigned l = 0; l < v->level_count; l++)
    for (size_t r = 0; r < v->levels[l].run_count; r++)
      for (size_t i = 0; i < v->levels[l].runs[r].count; i++) {
        table_info *t = v->levels[l].runs[r].tables[i];
        total += charged_bytes(t);
        if (!hidden_set_contains(in->hidden, t->id)) tables[k++] = t;
      }
  qsort(tables, k, sizeof *tables, by_age);
  compaction_job *job = NULL;
  strata_status *st = NULL;
  for (size_t i = 0; !st && i < k; i++) {
    const table_info *t = tables[i];
    /* age, not created + ttl: a huge ttl must not wrap around into "expired" */
    int expired = o->fifo_ttl_ms && in->now_unix_ms >= t->created_unix_ms &&
                  in->now_unix_ms - t->created_unix_ms >= o->fifo_ttl_ms;
    int over = total > o->fifo_limit_bytes; /* oldest first until the rest fits */
    if (!expired && !over) continue;
    if (!job) st = compaction_job_new(COMPACTION_DROP, 0, PLACE_INTO_RUN, 0, expired ? "fifo-ttl" : "fifo-limit", &job);
    if (!st) st = compaction_job_add(job, t->id);
    total -= charged_bytes(t);
  }
  free(tables);
  if (st) {
    compaction_job_free(job);
    return st;
  }
  *out = job;
  return NULL;
}
