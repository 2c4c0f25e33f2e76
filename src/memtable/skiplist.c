#include "skiplist.h"

#include <stdalign.h>
#include <string.h>

#include "../util/check.h"
#include "../util/prefetch.h"

/*
 * A node, as the search reads it: the pointer to a node points at its level-0 link, and its links
 * of levels 1..height-1 lie below that address (link i at index -i, as LevelDB's successors keep
 * their towers), so the fields a comparison reads -- the link, the trailer, the key -- sit
 * together in 48 bytes for a 16-byte key, whatever the height. The value lives elsewhere (the
 * back of the arena chunk), so a walk down the list touches only packed keys and links.
 */
struct skiplist_node {
  atomic_ptr next0; /* the level-0 link; level i's is node_link(n, i) */
  uint64_t trailer; /* seqno << 8 | type */
  uint32_t key_len;
  uint32_t value_len;
  const uint8_t *value;
  uint8_t key[];
};

static inline atomic_ptr *node_link(const skiplist_node *n, int level) {
  return (atomic_ptr *)&n->next0 - level;
}

static inline internal_key node_key(const skiplist_node *n) {
  return internal_key_make(slice_make(n->key, n->key_len), n->trailer >> 8, (value_type)(n->trailer & 0xff));
}

static inline int node_compare(const skiplist_node *n, const internal_key *target) {
  internal_key k = node_key(n);
  return internal_key_compare(&k, target);
}

static skiplist_node *node_next(const skiplist_node *n, int level) {
  return atomic_ptr_load(node_link(n, level));
}

/* Bytes of a node of this height (links below it, key after it); the value is separate. */
static size_t node_size(uint32_t height, size_t key_len) {
  return (size_t)(height - 1) * sizeof(atomic_ptr) + sizeof(skiplist_node) + key_len;
}

size_t skiplist_node_bound(size_t key_len, size_t value_len) {
  size_t size = node_size(SKIPLIST_MAX_HEIGHT, key_len) + (alignof(skiplist_node) - 1);
  return value_len > SIZE_MAX - size ? SIZE_MAX : size + value_len;
}

strata_status *skiplist_init(skiplist *list, arena *a, uint64_t seed) {
  void *mem;
  STATUS_TRY(arena_alloc(a, node_size(SKIPLIST_MAX_HEIGHT, 0), alignof(skiplist_node), &mem));
  skiplist_node *head = (skiplist_node *)((atomic_ptr *)mem + (SKIPLIST_MAX_HEIGHT - 1));
  head->trailer = 0;
  head->key_len = 0;
  head->value_len = 0;
  head->value = head->key;
  for (int i = 0; i < SKIPLIST_MAX_HEIGHT; i++) atomic_ptr_init(node_link(head, i), NULL);
  list->arena = a;
  list->head = head;
  atomic_u64_init(&list->max_height, 1);
  atomic_u64_init(&list->count, 0);
  list->rng = seed ? seed : UINT64_C(0x9E3779B97F4A7C15); /* xorshift must not start at 0 */
  list->last = NULL;
  return NULL;
}

/* Height h with probability 4^-(h-1): a quarter of the nodes reach each next level. */
static uint32_t skiplist_random_height(skiplist *list) {
  uint32_t h = 1;
  for (;;) {
    list->rng ^= list->rng >> 12;
    list->rng ^= list->rng << 25;
    list->rng ^= list->rng >> 27;
    uint64_t r = list->rng * UINT64_C(2685821657736338717);
    if (h >= SKIPLIST_MAX_HEIGHT || (r >> 62) != 0) return h;
    h++;
  }
}

/*
 * Last node before `target` (the head if none). With `prev`, records that node on every level:
 * the links an insert of `target` must splice. With `after`, gives the level-0 successor the
 * search compared against: a reader must use that one, not reload the link, because a
 * concurrent insert may have put a node (a newer version, invisible to the reader's snapshot)
 * between the two in the meantime.
 */
static skiplist_node *skiplist_find_less(const skiplist *list, const internal_key *target,
                                         skiplist_node **prev, skiplist_node **after) {
  skiplist_node *x = list->head, *bigger = NULL;
  int level = (int)atomic_u64_load(&list->max_height) - 1;
  for (;;) {
    skiplist_node *next = node_next(x, level);
    /* The node a step right would compare next: its fetch overlaps this comparison. */
    if (next) prefetch_hint(atomic_ptr_load_relaxed(node_link(next, level)));
    /* A node already found >= target on the level above needs no second comparison. */
    if (next && next != bigger && node_compare(next, target) < 0) {
      x = next;
    } else {
      bigger = next;
      if (prev) prev[level] = x;
      if (level == 0) {
        if (after) *after = next;
        return x;
      }
      level--;
    }
  }
}

/* Last node <= target (the head if none). */
static skiplist_node *skiplist_find_less_or_equal(const skiplist *list, const internal_key *target) {
  skiplist_node *x = list->head;
  int level = (int)atomic_u64_load(&list->max_height) - 1;
  for (;;) {
    skiplist_node *next = node_next(x, level);
    if (next && node_compare(next, target) <= 0) {
      x = next;
    } else {
      if (level == 0) return x;
      level--;
    }
  }
}

static skiplist_node *skiplist_find_last(const skiplist *list) {
  skiplist_node *x = list->head;
  int level = (int)atomic_u64_load(&list->max_height) - 1;
  for (;;) {
    skiplist_node *next = node_next(x, level);
    if (next) {
      x = next;
    } else {
      if (level == 0) return x;
      level--;
    }
  }
}

static int node_same_version(const skiplist_node *n, const internal_key *key) {
  return (n->trailer >> 8) == key->seqno &&
         slice_equal(slice_make(n->key, n->key_len), key->user_key);
}

strata_status *skiplist_insert(skiplist *list, const internal_key *key, slice value,
                               size_t *node_bytes) {
  STRATA_ASSERT(key->user_key.len <= USER_KEY_MAX);
  STRATA_ASSERT((uint64_t)value.len <= UINT32_MAX);
  STRATA_ASSERT(key->seqno <= SEQNO_MAX && value_type_is_valid(key->type));

  skiplist_node *prev[SKIPLIST_MAX_HEIGHT];
  skiplist_node *after = NULL, *before;
  skiplist_node *last = list->last;
  skiplist_node *last_next = last ? node_next(last, 0) : NULL;
  uint32_t levels = (uint32_t)atomic_u64_load(&list->max_height);
  /* Right after the last insert (ascending keys): every link above `last` ends at or beyond its
   * level-0 successor, so the splice recorded then is still the one a search would find. */
  if (last && node_compare(last, key) < 0 && (!last_next || node_compare(last_next, key) >= 0)) {
    before = last;
    after = last_next;
    memcpy(prev, list->last_splice, levels * sizeof prev[0]);
  } else {
    before = skiplist_find_less(list, key, prev, &after);
  }
  /* Versions of one (key, seqno) differ at most in type, so they would sit right here. */
  if ((before != list->head && node_same_version(before, key)) ||
      (after && node_same_version(after, key))) {
    return status_new(STRATA_EXISTS,
                      "memtable already holds a version of this %zu-byte key at seqno %llu",
                      key->user_key.len, (unsigned long long)key->seqno);
  }

  uint32_t height = skiplist_random_height(list);
  size_t size = node_size(height, key->user_key.len);
  void *mem, *value_mem = NULL;
  STATUS_TRY(arena_alloc(list->arena, size, alignof(skiplist_node), &mem));
  if (value.len) STATUS_TRY(arena_alloc_back(list->arena, value.len, &value_mem));

  skiplist_node *x = (skiplist_node *)((atomic_ptr *)mem + (height - 1));
  x->trailer = internal_key_trailer(key);
  x->key_len = (uint32_t)key->user_key.len;
  x->value_len = (uint32_t)value.len;
  if (key->user_key.len) memcpy(x->key, key->user_key.data, key->user_key.len);
  if (value.len) memcpy(value_mem, value.data, value.len);
  x->value = value.len ? value_mem : x->key;
  size += value.len;

  uint32_t max_height = (uint32_t)atomic_u64_load(&list->max_height);
  STRATA_TESTCASE(height > max_height); /* the list grows taller: new head links */
  if (height > max_height) {
    for (uint32_t i = max_height; i < height; i++) prev[i] = list->head;
    /* A reader that sees the new height before the links finds NULL in the head there and
     * simply descends. */
    atomic_u64_store(&list->max_height, height);
  }
  /* Bottom-up, so a reader that finds x on a high level can always continue below it. */
  for (uint32_t i = 0; i < height; i++) {
    atomic_ptr_init(node_link(x, (int)i), atomic_ptr_load_relaxed(node_link(prev[i], (int)i)));
    atomic_ptr_store(node_link(prev[i], (int)i), x);
  }
  atomic_u64_store(&list->count, atomic_u64_load(&list->count) + 1); /* one writer: no locked add */
  levels = height > levels ? height : levels;
  for (uint32_t i = 0; i < levels; i++) list->last_splice[i] = i < height ? x : prev[i];
  list->last = x;
  if (node_bytes) *node_bytes = size;
  return NULL;
}

void skiplist_iter_init(skiplist_iter *it, const skiplist *list) {
  it->list = list;
  it->node = NULL;
}

void skiplist_iter_seek_first(skiplist_iter *it) {
  it->node = node_next(it->list->head, 0);
}

static const skiplist_node *skiplist_not_head(const skiplist *list, const skiplist_node *n) {
  return n == list->head ? NULL : n;
}

void skiplist_iter_seek_last(skiplist_iter *it) {
  it->node = skiplist_not_head(it->list, skiplist_find_last(it->list));
}

void skiplist_iter_seek(skiplist_iter *it, const internal_key *target) {
  skiplist_node *first_at_or_after = NULL;
  skiplist_find_less(it->list, target, NULL, &first_at_or_after);
  it->node = first_at_or_after;
}

void skiplist_iter_seek_for_prev(skiplist_iter *it, const internal_key *target) {
  it->node = skiplist_not_head(it->list, skiplist_find_less_or_equal(it->list, target));
}

void skiplist_iter_next(skiplist_iter *it) {
  STRATA_ASSERT(it->node);
  const skiplist_node *n = node_next(it->node, 0);
  it->node = n;
  /* A list filled in random order is a walk across the arena, each node a cache miss (half of a
   * flush's time went to waiting for them). Start the loads of the node two steps ahead and of
   * the value one step ahead, so they arrive while the caller works on this entry. The next
   * node's line was requested by the previous step. */
  const skiplist_node *after = n ? node_next(n, 0) : NULL;
  if (after) {
    const skiplist_node *ahead = atomic_ptr_load_relaxed(node_link(after, 0));
    if (ahead) {
      prefetch_hint(ahead);
      prefetch_hint(ahead->key + 15); /* a node may straddle two lines */
    }
    prefetch_hint(after->value);
    if (after->value_len) prefetch_hint(after->value + after->value_len - 1);
  }
}

void skiplist_iter_prev(skiplist_iter *it) {
  STRATA_ASSERT(it->node);
  internal_key k = node_key(it->node);
  it->node = skiplist_not_head(it->list, skiplist_find_less(it->list, &k, NULL, NULL));
}

internal_key skiplist_iter_key(const skiplist_iter *it) {
  STRATA_ASSERT(it->node);
  return node_key(it->node);
}

slice skiplist_iter_value(const skiplist_iter *it) {
  STRATA_ASSERT(it->node);
  return slice_make(it->node->value, it->node->value_len);
}
