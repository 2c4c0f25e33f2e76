/* compaction_stream.c -- the garbage-collecting stream of compactions (rules in the header). */
#include "compaction_stream.h"

#include <stdlib.h>
#include <string.h>

#include "../util/check.h"

/* One surviving version of the current user key. */
typedef struct candidate {
  uint64_t seqno;
  value_type type;
  size_t band;
  int direct_elder_next; /* no version was dropped after it yet: the next one is its direct elder */
  buffer value;
} candidate;

typedef struct compaction_stream {
  kv_iterator base;
  kv_iterator *source;
  uint64_t *bounds; /* band boundaries, ascending, distinct */
  size_t bound_count;
  int evict_tombstones;
  compaction_filter_fn filter;
  void *filter_ctx;
  buffer key;      /* the current user key */
  candidate *cands; /* newest first; at most one per band */
  size_t cand_cap;
  size_t count;    /* candidates of the current key */
  size_t pos;      /* the one being yielded; == count: none */
  uint8_t *dropped; /* per candidate: removed by a rule */
  buffer scratch;  /* filter replacements */
  buffer resolved; /* a value behind a handle, for the filter */
  strata_status *(*resolve)(void *ctx, slice user_key, slice handle, buffer *value);
  void *resolve_ctx;
  strata_status *error;
  compaction_stream_counters counters;
} compaction_stream;

/* Number of boundaries <= seqno: 0 below the oldest snapshot. */
static size_t band_of(const compaction_stream *s, uint64_t seqno) {
  size_t lo = 0, hi = s->bound_count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->bounds[mid] <= seqno) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

static void fail(compaction_stream *s, strata_status *st) {
  if (!s->error) s->error = st;
  else strata_status_free(st);
  s->count = s->pos = 0;
  kv_iterator_set_invalid(&s->base);
}

static strata_status *push_candidate(compaction_stream *s, const internal_key *k, slice value, size_t band) {
  if (s->count == s->cand_cap) {
    size_t cap = s->cand_cap ? s->cand_cap * 2 : 4;
    candidate *grown = realloc(s->cands, cap * sizeof *grown);
    if (!grown) return status_no_memory();
    s->cands = grown;
    uint8_t *flags = realloc(s->dropped, cap);
    if (!flags) return status_no_memory();
    s->dropped = flags;
    for (size_t i = s->cand_cap; i < cap; i++) buffer_init(&s->cands[i].value);
    s->cand_cap = cap;
  }
  candidate *c = &s->cands[s->count];
  c->seqno = k->seqno;
  c->type = k->type;
  c->band = band;
  c->direct_elder_next = 1;
  buffer_clear(&c->value);
  STATUS_TRY(buffer_append(&c->value, value.data, value.len));
  s->dropped[s->count] = 0;
  s->count++;
  return NULL;
}

/* Reads every version of the next user key from the source and applies the rules. */
static strata_status *load_group(compaction_stream *s) {
  s->count = s->pos = 0;
  if (!kv_iterator_valid(s->source)) return kv_iterator_status(s->source);
  internal_key first = kv_iterator_key(s->source);
  buffer_clear(&s->key);
  STATUS_TRY(buffer_append(&s->key, first.user_key.data, first.user_key.len));
  slice key = buffer_slice(&s->key);
  while (kv_iterator_valid(s->source)) {
    internal_key k = kv_iterator_key(s->source);
    if (!slice_equal(k.user_key, key)) break;
    s->counters.entries_in++;
    size_t band = band_of(s, k.seqno);
    candidate *last = s->count ? &s->cands[s->count - 1] : NULL;
    if (!last || last->band != band) {
      STATUS_TRY(push_candidate(s, &k, kv_iterator_value(s->source), band));
    } else if (band == 0 && last->type == VALUE_TYPE_WEAK_TOMBSTONE && last->direct_elder_next &&
               value_type_is_value(k.type)) {
      /* below every snapshot a weak tombstone and the value it cancels vanish together; the next
       * older version (a tombstone, say) becomes band 0's survivor again */
      s->count--;
      s->counters.tombstones_dropped++;
      s->counters.versions_dropped++;
    } else if (!s->evict_tombstones && value_type_is_value(last->type) && k.type == VALUE_TYPE_TOMBSTONE) {
      /* the delete beneath a surviving value stays (until the last level): should a weak tombstone
       * later cancel that value, the delete must still hide whatever older data lies below */
      last->direct_elder_next = 0;
      STATUS_TRY(push_candidate(s, &k, kv_iterator_value(s->source), band));
    } else {
      last->direct_elder_next = 0;
      s->counters.versions_dropped++;
    }
    kv_iterator_next(s->source);
  }
  STATUS_TRY(kv_iterator_status(s->source));
  if (s->count == 0) return NULL; /* everything cancelled out */

  if (s->filter)
    for (size_t i = 0; i < s->count; i++) {
      candidate *c = &s->cands[i];
      if (s->dropped[i] || !value_type_is_value(c->type)) continue;
      slice value = buffer_slice(&c->value);
      if (c->type == VALUE_TYPE_INDIRECTION) {
        if (!s->resolve) continue;
        STATUS_TRY(s->resolve(s->resolve_ctx, key, value, &s->resolved));
        value = buffer_slice(&s->resolved);
      }
      buffer_clear(&s->scratch);
      compaction_filter_verdict v = s->filter(s->filter_ctx, key, c->seqno, value, &s->scratch);
      if (v == COMPACTION_FILTER_REMOVE) {
        s->dropped[i] = 1;
        s->counters.filtered++;
      } else if (v == COMPACTION_FILTER_REPLACE) {
        buffer_clear(&c->value);
        STATUS_TRY(buffer_append(&c->value, s->scratch.data, s->scratch.len));
        c->type = VALUE_TYPE_VALUE; /* inline now, even if it was behind a handle */
        s->counters.filtered++;
      }
    }
  if (s->evict_tombstones) /* trailing tombstones hide nothing when nothing older exists */
    for (size_t i = s->count; i-- > 0;) {
      if (s->dropped[i]) continue;
      if (!value_type_is_tombstone(s->cands[i].type)) break;
      s->dropped[i] = 1;
      s->counters.tombstones_dropped++;
    }
  while (s->pos < s->count && s->dropped[s->pos]) s->pos++;
  return NULL;
}

/* Advances to the next surviving candidate, loading groups as needed. */
static void settle_group(compaction_stream *s) {
  while (s->pos >= s->count) {
    if (!kv_iterator_valid(s->source)) {
      strata_status *st = kv_iterator_status(s->source);
      if (st) fail(s, st);
      s->count = s->pos = 0;
      return;
    }
    strata_status *st = load_group(s);
    if (st) {
      fail(s, st);
      return;
    }
  }
  s->counters.entries_out++;
}

/* ... and takes the candidate as the position (kv_iterator.h). */
static void settle(compaction_stream *s) {
  settle_group(s);
  if (s->pos < s->count) {
    const candidate *c = &s->cands[s->pos];
    kv_iterator_set_position(&s->base, internal_key_make(buffer_slice(&s->key), c->seqno, c->type),
                             buffer_slice(&c->value));
  } else {
    kv_iterator_set_invalid(&s->base);
  }
}

static void cs_seek_first(kv_iterator *it) {
  compaction_stream *s = (compaction_stream *)it;
  s->count = s->pos = 0;
  kv_iterator_seek_first(s->source);
  settle(s);
}

static void cs_next(kv_iterator *it) {
  compaction_stream *s = (compaction_stream *)it;
  if (s->pos >= s->count) return;
  s->pos++;
  while (s->pos < s->count && s->dropped[s->pos]) s->pos++;
  settle(s);
}

static strata_status *cs_status(kv_iterator *it) {
  compaction_stream *s = (compaction_stream *)it;
  strata_status *st = s->error;
  s->error = NULL;
  return st;
}

/* A compaction only streams forward; the other moves are refused as an error, not a crash. */
static void cs_unsupported(compaction_stream *s) {
  fail(s, status_new(STRATA_NOT_SUPPORTED, "a compaction stream only moves forward"));
}
static void cs_seek_last(kv_iterator *it) { cs_unsupported((compaction_stream *)it); }
static void cs_seek(kv_iterator *it, const internal_key *k) {
  (void)k;
  cs_unsupported((compaction_stream *)it);
}
static void cs_prev(kv_iterator *it) { cs_unsupported((compaction_stream *)it); }

static void cs_destroy(kv_iterator *it) {
  compaction_stream *s = (compaction_stream *)it;
  kv_iterator_destroy(s->source);
  for (size_t i = 0; i < s->cand_cap; i++) buffer_free(&s->cands[i].value);
  free(s->cands);
  free(s->dropped);
  free(s->bounds);
  buffer_free(&s->key);
  buffer_free(&s->scratch);
  buffer_free(&s->resolved);
  strata_status_free(s->error);
  free(s);
}

static const kv_iterator_ops stream_ops = {cs_seek_first, cs_seek_last, cs_seek,   cs_seek,
                                           cs_next,       cs_prev,      cs_status, cs_destroy};

strata_status *compaction_stream_new(kv_iterator *source, const compaction_stream_options *o, kv_iterator **out) {
  compaction_stream *s = calloc(1, sizeof *s);
  uint64_t *bounds = malloc((o->snapshot_count + 1) * sizeof *bounds);
  if (!s || !bounds) {
    free(s);
    free(bounds);
    kv_iterator_destroy(source);
    return status_no_memory();
  }
  size_t n = 0;
  for (size_t i = 0; i < o->snapshot_count; i++)
    if (n == 0 || o->snapshots[i] > bounds[n - 1]) bounds[n++] = o->snapshots[i];
  if (n == 0 || o->visible_seqno > bounds[n - 1]) bounds[n++] = o->visible_seqno;
  kv_iterator_init(&s->base, &stream_ops);
  s->source = source;
  s->bounds = bounds;
  s->bound_count = n;
  s->evict_tombstones = o->evict_tombstones;
  s->filter = o->filter;
  s->filter_ctx = o->filter_ctx;
  buffer_init(&s->key);
  buffer_init(&s->scratch);
  buffer_init(&s->resolved);
  s->resolve = o->resolve;
  s->resolve_ctx = o->resolve_ctx;
  *out = &s->base;
  return NULL;
}

compaction_stream_counters compaction_stream_get_counters(const kv_iterator *stream) {
  STRATA_ASSERT(stream->ops == &stream_ops);
  return ((const compaction_stream *)stream)->counters;
}
