/* table_chain.c -- tables with disjoint key ranges as one forward stream (see table_chain.h). */
#include "table_chain.h"

#include <stdlib.h>
#include <string.h>

#include "table_reader.h"

typedef struct table_chain {
  kv_iterator base;
  vfs *v;
  char **paths;
  uint64_t *ids;
  size_t n;
  size_t index; /* the table open now; n = none */
  int may_map;
  table_reader *reader;
  kv_iterator *inner;
  strata_status *error;
} table_chain;

static void close_table(table_chain *c) {
  kv_iterator_set_invalid(&c->base);
  kv_iterator_destroy(c->inner); /* before its reader */
  table_reader_close(c->reader);
  c->inner = NULL;
  c->reader = NULL;
}

static void fail(table_chain *c, strata_status *st) {
  close_table(c);
  c->index = c->n;
  if (c->error) strata_status_free(st);
  else c->error = st;
}

/* From table i on, the first one holding an entry, positioned on it; none left = invalid. */
static void open_from(table_chain *c, size_t i) {
  close_table(c);
  for (c->index = i; c->index < c->n; c->index++) {
    strata_status *st =
        table_reader_open_mapping(c->v, c->paths[c->index], c->ids[c->index], NULL, c->may_map, &c->reader);
    if (!st) st = table_reader_iterator(c->reader, &(table_read_options){.snapshot = SEQNO_READ_ALL}, &c->inner);
    if (st) {
      fail(c, st);
      return;
    }
    kv_iterator_seek_first(c->inner);
    if (kv_iterator_valid(c->inner)) {
      kv_iterator_copy_position(&c->base, c->inner);
      return;
    }
    st = kv_iterator_status(c->inner);
    if (st) {
      fail(c, st);
      return;
    }
    close_table(c);
  }
}

static void chain_seek_first(kv_iterator *it) {
  table_chain *c = (table_chain *)it;
  if (!c->error) open_from(c, 0);
}

static void chain_next(kv_iterator *it) {
  table_chain *c = (table_chain *)it;
  if (!c->inner) return;
  kv_iterator_next(c->inner);
  if (kv_iterator_valid(c->inner)) {
    kv_iterator_copy_position(&c->base, c->inner);
    return;
  }
  strata_status *st = kv_iterator_status(c->inner);
  if (st) fail(c, st);
  else open_from(c, c->index + 1);
}

static void unsupported(kv_iterator *it) {
  fail((table_chain *)it, status_new(STRATA_NOT_SUPPORTED, "a table chain iterator only moves forward"));
}
static void chain_seek(kv_iterator *it, const internal_key *k) {
  (void)k;
  unsupported(it);
}


static strata_status *chain_status(kv_iterator *it) {
  table_chain *c = (table_chain *)it;
  strata_status *st = c->error;
  c->error = NULL;
  return st;
}

static void chain_destroy(kv_iterator *it) {
  table_chain *c = (table_chain *)it;
  close_table(c);
  strata_status_free(c->error);
  for (size_t i = 0; i < c->n; i++) free(c->paths[i]);
  free(c->paths);
  free(c->ids);
  free(c);
}

static const kv_iterator_ops chain_ops = {chain_seek_first, unsupported,  chain_seek,   chain_seek,
                                          chain_next,       unsupported,  chain_status, chain_destroy};

strata_status *table_chain_iterator_new(vfs *v, const char *const *paths, const uint64_t *ids, size_t n,
                                        int may_map, kv_iterator **out) {
  *out = NULL;
  table_chain *c = calloc(1, sizeof *c);
  if (!c) return status_no_memory();
  kv_iterator_init(&c->base, &chain_ops);
  c->v = v;
  c->may_map = may_map;
  c->paths = calloc(n ? n : 1, sizeof *c->paths);
  c->ids = malloc((n ? n : 1) * sizeof *c->ids);
  int ok = c->paths && c->ids;
  for (size_t i = 0; ok && i < n; i++) {
    c->ids[i] = ids[i];
    size_t len = strlen(paths[i]) + 1;
    ok = (c->paths[i] = malloc(len)) != NULL;
    if (ok) memcpy(c->paths[i], paths[i], len);
    c->n = i + 1; /* destroy frees what was copied */
  }
  c->index = c->n;
  if (!ok) {
    chain_destroy(&c->base);
    return status_no_memory();
  }
  *out = &c->base;
  return NULL;
}
