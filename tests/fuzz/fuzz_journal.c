/*
 * fuzz_journal.c -- libFuzzer target for the journal decoder (built by scripts/fuzz.sh).
 *
 * The first byte picks how the rest becomes a journal file `j/7` on a memory VFS:
 *   0: as it is (the header, framing and checksum checks);
 *   1: with its checksums made right: the target walks the bytes as records and rewrites each
 *      start check and end checksum, so the fuzzer reaches the batch body decoder.
 * Then journal_recover runs read-only, then with truncation, then read-only again, and a batch is
 * appended after the cut and recovered. Checks (any failure aborts):
 *   - the read-only and truncating passes replay the same batches and agree on the cut;
 *   - after the cut the file replays the same batches with nothing more to cut;
 *   - a batch appended after the cut is replayed after them;
 *   - a file recovery rejects is left byte for byte as it was.
 * Nothing may crash, hang or leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal/journal_format.h"
#include "journal/journal_reader.h"
#include "journal/journal_writer.h"
#include "journal/write_batch.h"
#include "util/checksum.h"
#include "vfs/vfs.h"

typedef struct replayed {
  uint64_t batches, items, digest, last_seqno;
} replayed;

static strata_status *on_batch(void *ctx, uint64_t seqno, const write_batch *batch) {
  replayed *r = ctx;
  write_batch_iter it;
  write_batch_iter_init(&it, batch);
  write_batch_item item;
  uint64_t n = 0;
  while (write_batch_iter_next(&it, &item)) {
    r->digest = checksum64_seeded(item.key.data, item.key.len, r->digest ^ (uint64_t)item.type);
    r->digest = checksum64_seeded(item.value.data, item.value.len, r->digest);
    n++;
  }
  if (n != write_batch_count(batch)) abort(); /* a replayed batch parses into exactly its count */
  r->batches++;
  r->items += n;
  r->digest ^= seqno * 0x9E3779B97F4A7C15ull;
  r->last_seqno = seqno;
  return NULL;
}

/* Rewrites the checks of every record the bytes frame, so bodies get decoded. */
static void fix_checksums(uint8_t *p, size_t size) {
  size_t pos = JOURNAL_HEADER_SIZE;
  if (size >= JOURNAL_HEADER_SIZE) journal_encode_header(p);
  while (pos + JOURNAL_START_SIZE <= size) {
    uint8_t *start = p + pos;
    start[0] = JOURNAL_TAG_START;
    uint64_t body_len = decode_fixed64(start + 13);
    size_t room = size - pos - JOURNAL_START_SIZE;
    if (body_len > room) { /* keep the fuzzer's length when it fits, else frame the rest */
      body_len = room >= JOURNAL_END_SIZE ? room - JOURNAL_END_SIZE : room;
      encode_fixed64(start + 13, body_len);
    }
    encode_fixed32(start + 21, (uint32_t)checksum64(start, JOURNAL_START_CHECKED));
    size_t end = pos + JOURNAL_START_SIZE + (size_t)body_len;
    if (end + JOURNAL_END_SIZE > size) break;
    p[end] = JOURNAL_TAG_END;
    encode_fixed64(p + end + 1, journal_batch_checksum(start, start + JOURNAL_START_SIZE, (size_t)body_len));
    pos = end + JOURNAL_END_SIZE;
  }
}

static int same_report(const journal_recovery_report *a, const journal_recovery_report *b) {
  return a->batches == b->batches && a->items == b->items && a->last_seqno == b->last_seqno &&
         a->file_bytes == b->file_bytes && a->valid_bytes == b->valid_bytes && a->tail_cut == b->tail_cut &&
         a->torn == b->torn && a->corrupt == b->corrupt;
}

static void fuzz_journal(const uint8_t *data, size_t size) {
  vfs *v = NULL;
  if (vfs_memory_new(&v)) return;
  strata_status *st = vfs_mkdir(v, "j");
  if (!st) st = vfs_replace(v, "j/7", data, size);
  if (st) {
    strata_status_free(st);
    vfs_destroy(v);
    return;
  }
  replayed r1 = {0, 0, 0, 0}, r2 = {0, 0, 0, 0}, r3 = {0, 0, 0, 0};
  journal_recovery_report rep1, rep2, rep3;
  memset(&rep1, 0, sizeof rep1);
  strata_status *st1 = journal_recover(v, "j", 7, 0, on_batch, &r1, &rep1);
  memset(&rep2, 0, sizeof rep2);
  strata_status *st2 = journal_recover(v, "j", 7, 1, on_batch, &r2, &rep2);
  if (!st1 != !st2) abort(); /* truncating must not change the verdict */
  if (st1) {
    if (strata_status_code(st1) != strata_status_code(st2)) abort();
    buffer after;
    buffer_init(&after);
    if (!vfs_read_file(v, "j/7", &after) && (after.len != size || (size && memcmp(after.data, data, size))))
      abort(); /* a rejected file is never touched */
    buffer_free(&after);
  } else {
    if (!same_report(&rep1, &rep2) || r1.batches != r2.batches || r1.digest != r2.digest) abort();
    memset(&rep3, 0, sizeof rep3);
    strata_status *st3 = journal_recover(v, "j", 7, 0, on_batch, &r3, &rep3);
    if (st3 || rep3.tail_cut || r3.batches != r1.batches || r3.digest != r1.digest ||
        rep3.file_bytes != rep1.valid_bytes)
      abort(); /* the cut file is clean and holds the same batches */
    /* appending continues at a batch boundary */
    journal_writer *w = NULL;
    journal_writer_options jo = {JOURNAL_SYNC_NONE, 0, NULL, NULL};
    write_batch b;
    write_batch_init(&b);
    strata_status *sw = journal_writer_open(v, "j", 7, &jo, &w);
    if (!sw) sw = write_batch_put(&b, slice_from_cstr("appended"), slice_from_cstr("after the cut"));
    uint64_t seqno = r1.last_seqno + 1;
    if (seqno == 0) seqno = 1;
    if (!sw) sw = journal_writer_append(w, seqno, &b, 1);
    if (w) {
      strata_status *cw = journal_writer_close(w);
      if (!sw) sw = cw;
      else strata_status_free(cw);
    }
    write_batch_free(&b);
    if (!sw) { /* a seqno too large for the writer is refused: nothing to check then */
      replayed r4 = {0, 0, 0, 0};
      journal_recovery_report rep4;
      memset(&rep4, 0, sizeof rep4);
      strata_status *st4 = journal_recover(v, "j", 7, 0, on_batch, &r4, &rep4);
      if (st4 || rep4.tail_cut || r4.batches != r1.batches + 1 || r4.last_seqno != seqno) abort();
    }
    strata_status_free(st3);
    strata_status_free(sw);
  }
  strata_status_free(st1);
  strata_status_free(st2);
  vfs_destroy(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  if (data[0] % 2 == 0) {
    fuzz_journal(data + 1, size - 1);
    return 0;
  }
  uint8_t *copy = malloc(size);
  if (!copy) return 0;
  memcpy(copy, data + 1, size - 1);
  fix_checksums(copy, size - 1);
  fuzz_journal(copy, size - 1);
  free(copy);
  return 0;
}
