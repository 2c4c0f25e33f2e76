/* ack_history.c -- see ack_history.h. Allocation failures abort: it is test code. */
#include "ack_history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ack_op {
  size_t key;
  char *before; /* the key's value before the op (NULL = absent) */
  char *after;
} ack_op;

struct ack_history {
  size_t nkeys;
  char **base;    /* values before the first ack */
  char **current; /* values after every op recorded, pending ones included */
  ack_op *ops;
  size_t op_count, op_cap;
  size_t *ack_end; /* ops of ack i end at ack_end[i] */
  size_t ack_count, ack_cap;
  size_t committed_ops; /* ops belonging to acks */
  size_t durable;
  int pending;          /* the last ack_end entry is the pending write */
};

static void *must(void *p) {
  if (!p) {
    fprintf(stderr, "ack_history: out of memory\n");
    abort();
  }
  return p;
}

static char *dup_or_null(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  return memcpy(must(malloc(n)), s, n);
}

static int same(const char *a, const char *b) { return a == b || (a && b && !strcmp(a, b)); }

ack_history *ack_history_new(size_t nkeys) {
  ack_history *h = calloc(1, sizeof *h);
  if (!h) return NULL;
  h->nkeys = nkeys;
  h->base = calloc(nkeys ? nkeys : 1, sizeof *h->base);
  h->current = calloc(nkeys ? nkeys : 1, sizeof *h->current);
  if (!h->base || !h->current) {
    free(h->base);
    free(h->current);
    free(h);
    return NULL;
  }
  return h;
}

static void clear_ops(ack_history *h) {
  for (size_t i = 0; i < h->op_count; i++) {
    free(h->ops[i].before);
    free(h->ops[i].after);
  }
  h->op_count = h->committed_ops = h->ack_count = h->durable = 0;
  h->pending = 0;
}

void ack_history_free(ack_history *h) {
  if (!h) return;
  clear_ops(h);
  for (size_t i = 0; i < h->nkeys; i++) {
    free(h->base[i]);
    free(h->current[i]);
  }
  free(h->base);
  free(h->current);
  free(h->ops);
  free(h->ack_end);
  free(h);
}

static void drop_pending(ack_history *h) {
  if (!h->pending) return;
  /* undo the pending write's ops: the next ack follows the last acknowledged one */
  while (h->op_count > h->committed_ops) {
    ack_op *op = &h->ops[--h->op_count];
    free(h->current[op->key]);
    h->current[op->key] = op->before;
    free(op->after);
  }
  h->ack_count--;
  h->pending = 0;
}

static void record(ack_history *h, size_t key, const char *value) {
  drop_pending(h);
  if (key >= h->nkeys) abort();
  if (h->op_count == h->op_cap) {
    h->op_cap = h->op_cap ? h->op_cap * 2 : 256;
    h->ops = must(realloc(h->ops, h->op_cap * sizeof *h->ops));
  }
  ack_op *op = &h->ops[h->op_count++];
  op->key = key;
  op->before = h->current[key];
  op->after = dup_or_null(value);
  h->current[key] = dup_or_null(value);
}

void ack_history_put(ack_history *h, size_t key, const char *value) { record(h, key, value); }
void ack_history_del(ack_history *h, size_t key) { record(h, key, NULL); }

static void end_ack(ack_history *h) {
  if (h->ack_count == h->ack_cap) {
    h->ack_cap = h->ack_cap ? h->ack_cap * 2 : 256;
    h->ack_end = must(realloc(h->ack_end, h->ack_cap * sizeof *h->ack_end));
  }
  h->ack_end[h->ack_count++] = h->op_count;
}

void ack_history_commit(ack_history *h, int durable) {
  drop_pending(h);
  end_ack(h);
  h->committed_ops = h->op_count;
  if (durable) h->durable = h->ack_count;
}

void ack_history_commit_pending(ack_history *h) {
  drop_pending(h);
  end_ack(h);
  h->pending = 1;
}

void ack_history_durable_point(ack_history *h) { h->durable = h->ack_count - (size_t)h->pending; }

size_t ack_history_acks(const ack_history *h) { return h->ack_count - (size_t)h->pending; }
size_t ack_history_durable(const ack_history *h) { return h->durable; }

const char *ack_history_value(const ack_history *h, size_t key) {
  if (key >= h->nkeys) return NULL;
  for (size_t i = h->committed_ops; i < h->op_count; i++) /* current includes the pending write */
    if (h->ops[i].key == key) return h->ops[i].before;
  return h->current[key];
}

void ack_history_match(const ack_history *h, const char *const *state, ack_match *out) {
  memset(out, 0, sizeof *out);
  const char **cur = must(malloc((h->nkeys ? h->nkeys : 1) * sizeof *cur));
  size_t diff = 0;
  out->first_key = (size_t)-1;
  for (size_t i = 0; i < h->nkeys; i++) {
    cur[i] = h->current[i];
    if (!same(cur[i], state[i])) {
      diff++;
      if (out->first_key == (size_t)-1) out->first_key = i;
    }
  }
  size_t top = h->ack_count; /* with the pending write, when there is one */
  /* the full history first (its first differing key is the one worth printing) */
  out->diff_keys = diff;
  for (size_t k = top;; k--) {
    if (diff == 0) {
      if (k >= h->durable && !out->matched) {
        out->matched = 1;
        out->k = k; /* k above the acks: the failed write happened, which it may */
      } else if (k < h->durable && !out->matches_below) {
        out->matches_below = 1;
        out->below_k = k;
      }
    }
    if (k == 0) break;
    size_t begin = k >= 2 ? h->ack_end[k - 2] : 0, end = h->ack_end[k - 1];
    for (size_t i = end; i-- > begin;) { /* undo ack k */
      const ack_op *op = &h->ops[i];
      int was = !same(cur[op->key], state[op->key]);
      cur[op->key] = op->before;
      int now = !same(cur[op->key], state[op->key]);
      diff = diff + (size_t)now - (size_t)was;
    }
  }
  free(cur);
}

void ack_history_rebase(ack_history *h, size_t k) {
  if (k > h->ack_count) k = h->ack_count;
  size_t end = k ? h->ack_end[k - 1] : 0;
  for (size_t i = 0; i < end; i++) {
    const ack_op *op = &h->ops[i];
    free(h->base[op->key]);
    h->base[op->key] = dup_or_null(op->after);
  }
  clear_ops(h);
  for (size_t i = 0; i < h->nkeys; i++) {
    free(h->current[i]);
    h->current[i] = dup_or_null(h->base[i]);
  }
}
