/*
 * db_write.c -- writes: put, delete, single delete and batches, committed in groups.
 *
 * Group commit (LevelDB's writer queue): every writer appends itself to db->queue and waits.
 * The writer at the front is the leader: it takes write_mu, takes the writers queued behind it
 * into its group (up to a byte budget; a writer that asks for a sync never joins a group that
 * does not sync), gives the group's batches consecutive seqnos, writes them to the journal in
 * one append, applies them to the memtable, publishes the last seqno, and then tells each
 * follower its result. While a leader writes, new writers queue up: under concurrency one
 * append and one lock round trip serve many writers. Then, while writers wait behind its group,
 * the leader commits their groups too (a bounded number), each writer woken once, when its
 * write is done; only then does it hand the front of the queue to the next writer. Only the leader touches the memtable, so it keeps its single writer.
 *
 * A single put is never built into a batch: the leader frames its item straight into the
 * journal record and inserts the caller's key and value into the memtable (the caller waits
 * until then), so the bytes are copied once into each.
 */
#include <stdlib.h>

#include "../util/check.h"
#include "db_internal.h"

/* The group a leader takes: at most this many bytes of batches, or, behind a small batch,
 * only a little more, so a lone small write is not slowed by a large group (LevelDB's rule). */
#define WRITE_GROUP_BYTES_MAX ((size_t)1 << 20)
#define WRITE_GROUP_SMALL ((size_t)128 << 10)

/* How many groups a leader commits before it hands the front of the queue on (write_queued). */
#define WRITE_COMBINE_ROUNDS 16

/* Single puts above this size are built into a batch first: the journal writes big bodies
 * without framing them (journal_writer.c), which needs them encoded somewhere. */
#define WRITE_INLINE_MAX ((size_t)32 << 10)

typedef struct db_writer {
  const write_batch *batch; /* NULL: the one item below */
  value_type type;
  slice key, value;
  int sync;
  int done;               /* under queue_mu: the leader committed it (status says how) */
  strata_status *status;
  size_t first_item;      /* the leader's: where its items are in db->items */
  size_t item_count;
  sync_cond wake;
  struct db_writer *next; /* under queue_mu */
} db_writer;

static size_t writer_bytes(const db_writer *w) {
  return w->batch ? write_batch_byte_size(w->batch) : write_batch_item_size(w->key.len, w->value.len);
}

/* Seals the active memtable once it is full (write_mu held) and wakes the flusher. */
static strata_status *seal_if_full(strata_db *db) {
  sync_mutex_assert_held(&db->write_mu);
  if (tree_active_memtable_bytes(db->tree) < db->opts.memtable_size) return NULL;
  STATUS_TRY(journal_writer_rotate(db->journal));
  int sealed = 0;
  STATUS_TRY(tree_rotate_memtable(db->tree, db->next_seqno, journal_writer_number(db->journal), &sealed));
  if (sealed) scheduler_notify_sealed(db->sched);
  return NULL;
}

/* The writer after w, the group's i-th (counted from 1), when the group has one. The last
 * writer's link is not read: a writer arriving now may be setting it (under queue_mu), and the
 * links inside the group were fixed when the leader took it. */
static db_writer *group_next(db_writer *w, size_t i, size_t n) { return i < n ? w->next : NULL; }

/* Decodes the group's items into db->items and lists its batches for the journal; then reserves
 * the memtable room for all of them (write_mu held). */
static strata_status *prepare_group(strata_db *db, db_writer *leader, size_t n) {
  if (n > db->group_cap) {
    journal_batch *grown = realloc(db->group, n * sizeof *grown);
    if (!grown) return status_no_memory();
    db->group = grown;
    db->group_cap = n;
  }
  size_t items = 0, bytes = 0;
  db_writer *w = leader;
  for (size_t i = 0; i < n; i++, w = group_next(w, i, n)) {
    journal_batch *jb = &db->group[i];
    jb->batch = w->batch;
    jb->type = w->type;
    jb->key = w->key;
    jb->value = w->value;
    w->first_item = items;
    if (w->batch) {
      STATUS_TRY(db_gather_items_at(db, w->batch, items, &w->item_count));
    } else {
      STATUS_TRY(db_reserve_items(db, items + 1));
      write_batch_item *item = &db->items[items];
      item->type = w->type;
      item->key = w->key;
      item->value = w->value;
      w->item_count = 1;
    }
    items += w->item_count;
  }
  for (size_t i = 0; i < items && bytes != SIZE_MAX; i++) {
    size_t one = memtable_entry_bound(db->items[i].key.len, db->items[i].value.len);
    bytes = one > SIZE_MAX - bytes ? SIZE_MAX : bytes + one;
  }
  return tree_reserve(db->tree, bytes); /* room reserved: the group lands whole */
}

/* Commits the n writers from `leader` on: seqnos, one journal append, the memtable, publication
 * (write_mu held). All of them or none: a failure before the journal append leaves no trace. */
static strata_status *write_group_locked(strata_db *db, db_writer *leader, size_t n, int sync) {
  sync_mutex_assert_held(&db->write_mu);
  if (db->next_seqno > SEQNO_MAX || n - 1 > SEQNO_MAX - db->next_seqno)
    return status_new(STRATA_NOT_SUPPORTED, "sequence numbers exhausted");
  /* everything that can fail happens before the write, so a failed write was not applied: the
   * database's error and the level-0 stall, then a memtable a failed rotation left full is
   * sealed, then the stall while too many sealed memtables wait */
  STATUS_TRY(scheduler_admit_write(db->sched));
  STATUS_TRY(seal_if_full(db));
  STATUS_TRY(scheduler_wait_for_room(db->sched));
  STATUS_TRY(prepare_group(db, leader, n));
  uint64_t seqno = db->next_seqno;
  STATUS_TRY(journal_writer_append_group(db->journal, seqno, db->group, n, sync || db->opts.sync));
  uint64_t bytes = 0;
  strata_status *st = NULL;
  db_writer *w = leader;
  for (size_t i = 0; i < n && !st; i++, w = group_next(w, i, n)) {
    st = db_apply_item_range(db, w->first_item, w->item_count, seqno + i);
    bytes += writer_bytes(w);
  }
  if (STRATA_NEVER(st != NULL)) {
    /* The journal holds the group, so the next open applies it; in memory some of its items
     * may be in, under seqnos the next write would reuse. Refuse writes until reopened. */
    st = status_wrap(st, "the write was journaled but not applied in memory; it will be visible after the "
                         "database is reopened (this handle refuses writes until then)");
    scheduler_fail_write(db->sched, st);
    return st;
  }
  db->next_seqno = seqno + n;
  atomic_u64_store(&db->visible_seqno, seqno + n);
  atomic_u64_fetch_add(&db->bytes_written_user, bytes);
  /* the write stands whatever happens here: a failed rotation is retried (and reported) by the
   * next write, before that one is applied */
  strata_status_free(seal_if_full(db));
  return NULL;
}

/* The writers the leader takes (queue_mu held): itself and those behind it within the byte
 * budget, none that wants a sync unless the leader syncs. Returns the count. */
static size_t take_group(const db_writer *leader) {
  size_t bytes = writer_bytes(leader);
  size_t max = bytes <= WRITE_GROUP_SMALL ? bytes + WRITE_GROUP_SMALL : WRITE_GROUP_BYTES_MAX;
  size_t n = 1;
  for (const db_writer *w = leader->next; w; w = w->next) {
    if (w->sync && !leader->sync) break;
    size_t b = writer_bytes(w);
    if (b > max - bytes || b > WRITE_GROUP_BYTES_MAX - bytes) break;
    bytes += b;
    n++;
  }
  return n;
}

/* A follower's own copy of the group's error (each caller frees the status it gets). */
static strata_status *status_copy(const strata_status *st) {
  if (!st) return NULL;
  return status_new(strata_status_code(st), "%s", strata_status_message(st));
}

/* Tells the n writers from `first` on their result and marks them done (queue_mu held). */
static db_writer *finish_group(db_writer *first, size_t n, const strata_status *st, const db_writer *leader) {
  db_writer *f = first;
  for (size_t i = 0; i < n; i++) {
    db_writer *next = f->next;
    if (f != leader) {
      f->status = status_copy(st);
      f->done = 1;
      sync_cond_signal(&f->wake);
    }
    f = next;
  }
  return f;
}

static strata_status *write_queued(strata_db *db, db_writer *w) {
  STATUS_TRY(sync_cond_init(&w->wake));
  sync_mutex_lock(&db->queue_mu);
  w->next = NULL;
  if (db->queue_tail) db->queue_tail->next = w;
  else db->queue_head = w;
  db->queue_tail = w;
  while (!w->done && db->queue_head != w) sync_cond_wait(&w->wake, &db->queue_mu);
  if (w->done) {
    sync_mutex_unlock(&db->queue_mu);
    sync_cond_destroy(&w->wake);
    return w->status;
  }
  /* the leader: the group is fixed now; writers arriving from here on queue behind it */
  size_t n = take_group(w);
  sync_mutex_unlock(&db->queue_mu);

  sync_mutex_lock(&db->write_mu);
  strata_status *st = write_group_locked(db, w, n, w->sync);
  sync_mutex_unlock(&db->write_mu);

  sync_mutex_lock(&db->queue_mu);
  db_writer *f = finish_group(w, n, st, w);
  /* Combining: while writers queued behind the group, the leader commits their groups too
   * (up to WRITE_COMBINE_ROUNDS), so each of them is woken once, when done, instead of the
   * front passing from sleeper to sleeper -- one wake-up and context switch per group, which
   * left the writers idle. w stays at the front meanwhile, so no other writer leads. */
  int failed = st != NULL; /* after a failed group the next writer leads: it learns its own result */
  for (int round = 1; f && !failed && round < WRITE_COMBINE_ROUNDS; round++) {
    w->next = f;
    size_t m = take_group(f);
    sync_mutex_unlock(&db->queue_mu);
    sync_mutex_lock(&db->write_mu);
    strata_status *gst = write_group_locked(db, f, m, f->sync);
    sync_mutex_unlock(&db->write_mu);
    sync_mutex_lock(&db->queue_mu);
    db_writer *head = f;
    f = finish_group(head, m, gst, NULL);
    failed = gst != NULL;
    strata_status_free(gst);
  }
  db->queue_head = f; /* the first writer after the groups, which leads next */
  if (!f) db->queue_tail = NULL;
  else sync_cond_signal(&f->wake);
  sync_mutex_unlock(&db->queue_mu);
  sync_cond_destroy(&w->wake);
  return st;
}

size_t db_write_queue_length(strata_db *db) {
  sync_mutex_lock(&db->queue_mu);
  size_t n = 0;
  for (const db_writer *w = db->queue_head; w; w = w->next) n++;
  sync_mutex_unlock(&db->queue_mu);
  return n;
}

strata_status *strata_write(strata_db *db, strata_batch *b, int sync) {
  HANDLE_CHECK(db, HANDLE_DB);
  HANDLE_CHECK(b, HANDLE_BATCH);
  STATUS_TRY(db_check_batch(&b->batch));
  if (write_batch_is_empty(&b->batch)) return NULL;
  db_writer w = {0};
  w.batch = &b->batch;
  w.sync = sync;
  return write_queued(db, &w);
}

/* The caller (a public function) has checked its arguments. */
static strata_status *write_one(strata_db *db, value_type type, const void *key, size_t klen, const void *value,
                                size_t vlen, int sync) {
  STATUS_TRY(db_check_key(klen));
  STATUS_TRY(db_check_value(vlen));
  db_writer w = {0};
  w.type = type;
  w.key = slice_make(key, klen);
  w.value = slice_make(value, vlen);
  w.sync = sync;
  if (klen + vlen <= WRITE_INLINE_MAX) return write_queued(db, &w);
  write_batch big;
  write_batch_init(&big);
  strata_status *st = write_batch_add(&big, type, w.key, w.value);
  w.batch = &big;
  if (!st) st = write_queued(db, &w);
  write_batch_free(&big);
  return st;
}

strata_status *strata_put(strata_db *db, const void *key, size_t klen, const void *value, size_t vlen, int sync) {
  HANDLE_CHECK(db, HANDLE_DB);
  ARG_BYTES(key, klen);
  ARG_BYTES(value, vlen);
  STATUS_TRY(db_check_key(klen));
  STATUS_TRY(db_check_value(vlen));
  ARG_IN_MEMORY(key, klen);
  ARG_IN_MEMORY(value, vlen);
  return write_one(db, VALUE_TYPE_VALUE, key, klen, value, vlen, sync);
}

strata_status *strata_delete(strata_db *db, const void *key, size_t klen, int sync) {
  HANDLE_CHECK(db, HANDLE_DB);
  ARG_BYTES(key, klen);
  STATUS_TRY(db_check_key(klen));
  ARG_IN_MEMORY(key, klen);
  return write_one(db, VALUE_TYPE_TOMBSTONE, key, klen, NULL, 0, sync);
}

strata_status *strata_single_delete(strata_db *db, const void *key, size_t klen, int sync) {
  HANDLE_CHECK(db, HANDLE_DB);
  ARG_BYTES(key, klen);
  STATUS_TRY(db_check_key(klen));
  ARG_IN_MEMORY(key, klen);
  return write_one(db, VALUE_TYPE_WEAK_TOMBSTONE, key, klen, NULL, 0, sync);
}
