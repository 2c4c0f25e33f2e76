/*
 * ack_history.h -- the acknowledged history of a workload, and the "prefix" check after a crash.
 *
 * Keys are indexes 0..nkeys-1 (the test maps them to bytes); values are NUL-free strings, NULL
 * for absent. The history starts from a base state and records each acknowledged write (a put,
 * a delete or an atomic batch of them) in order, marking the ones that were durable when they
 * were acknowledged (a synced write, or any write followed by a successful flush or close). A
 * write that failed may still have happened: it is recorded as pending, after the last ack.
 *
 * After a crash the recovered state must equal the state after some prefix of the history:
 * after k acks, with k at least the last durable ack (nothing durable lost) and at most the
 * last ack (plus the pending one). ack_history_match() finds every such k in one backward pass.
 */
#ifndef STRATA_TESTS_ACK_HISTORY_H
#define STRATA_TESTS_ACK_HISTORY_H

#include <stddef.h>
#include <stdint.h>

typedef struct ack_history ack_history;

ack_history *ack_history_new(size_t nkeys); /* NULL when out of memory; every key absent */
void ack_history_free(ack_history *h);

/* Records one operation of the write being built; ack_history_commit ends the write. */
void ack_history_put(ack_history *h, size_t key, const char *value);
void ack_history_del(ack_history *h, size_t key);
/* The write built since the last commit was acknowledged (durable = 1 when it was synced). */
void ack_history_commit(ack_history *h, int durable);
/* The write built since the last commit failed: it may or may not have happened. */
void ack_history_commit_pending(ack_history *h);
/* Every ack so far is durable (a flush or a close succeeded). */
void ack_history_durable_point(ack_history *h);

size_t ack_history_acks(const ack_history *h);     /* acknowledged writes recorded */
size_t ack_history_durable(const ack_history *h);  /* acks known durable (a prefix) */
/* The value of `key` after every ack (not the pending one); NULL when absent. */
const char *ack_history_value(const ack_history *h, size_t key);

typedef struct ack_match {
  int matched;          /* some allowed prefix equals the state */
  size_t k;             /* the longest such prefix (acks), when matched */
  int matches_below;    /* the state equals a prefix shorter than the durable one: durable acks lost */
  size_t below_k;       /* ... the longest such */
  size_t diff_keys;     /* when not matched: keys differing from the full history */
  size_t first_key;     /* ... and the first of them */
} ack_match;

/* state[key] is the recovered value (NULL = absent) of every key. */
void ack_history_match(const ack_history *h, const char *const *state, ack_match *out);

/* The state after the first k acks becomes the new base; the history is emptied. */
void ack_history_rebase(ack_history *h, size_t k);

#endif
