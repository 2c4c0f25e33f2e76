/* util: status, slices, coding, buffers, checksums, compression, the lock/atomics shim. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "util/buffer.h"
#include "util/checksum.h"
#include "util/coding.h"
#include "util/iter_arena.h"
#include "util/pages.h"
#include "util/compress.h"
#include "util/slice.h"
#include "util/status.h"
#include "util/sync.h"

static void status_carries_code_and_message(void) {
  strata_status *st = status_new(STRATA_CORRUPTION, "block %d of %s", 7, "table 3");
  CHECK(strata_status_code(st) == STRATA_CORRUPTION);
  CHECK(!strcmp(strata_status_message(st), "block 7 of table 3"));
  st = status_wrap(st, "opening %s", "db");
  CHECK(strata_status_code(st) == STRATA_CORRUPTION);
  CHECK(!strcmp(strata_status_message(st), "opening db: block 7 of table 3"));
  strata_status_free(st);
  CHECK(strata_status_code(NULL) == STRATA_OK);
  CHECK(!strcmp(strata_status_message(NULL), "ok"));
  CHECK(!strcmp(strata_code_name(STRATA_LOCKED), "STRATA_LOCKED"));
  CHECK(!strcmp(strata_code_name((strata_code)999), "STRATA_UNKNOWN"));
  /* The shared out-of-memory status survives free and wrap. */
  strata_status *oom = status_no_memory();
  strata_status_free(oom);
  CHECK(strata_status_code(status_wrap(status_no_memory(), "x")) == STRATA_NO_MEMORY);
  CHECK(status_wrap(NULL, "nothing") == NULL);
}

static void slices_compare_as_unsigned_bytes(void) {
  uint8_t hi[] = {0xff}, lo[] = {0x01};
  CHECK(slice_compare(slice_make(lo, 1), slice_make(hi, 1)) < 0);
  CHECK(slice_compare(slice_from_cstr("ab"), slice_from_cstr("abc")) < 0);
  CHECK(slice_compare(slice_from_cstr("abc"), slice_from_cstr("ab")) > 0);
  CHECK(slice_compare(slice_empty(), slice_empty()) == 0);
  CHECK(slice_compare(slice_empty(), slice_from_cstr("a")) < 0);
  CHECK(slice_equal(slice_from_cstr("key"), slice_make("key!", 3)));
  CHECK(slice_starts_with(slice_from_cstr("prefix-x"), slice_from_cstr("prefix")));
  CHECK(!slice_starts_with(slice_from_cstr("pre"), slice_from_cstr("prefix")));
  CHECK_EQ_U64(slice_shared_prefix(slice_from_cstr("apple"), slice_from_cstr("apply")), 4);
  CHECK(slice_equal(slice_advance(slice_from_cstr("abcdef"), 2), slice_from_cstr("cdef")));
}

static void fixed_width_is_little_endian(void) {
  uint8_t b[8];
  encode_fixed32(b, 0x04030201u);
  CHECK(b[0] == 1 && b[1] == 2 && b[2] == 3 && b[3] == 4);
  CHECK_EQ_U64(decode_fixed32(b), 0x04030201u);
  encode_fixed64(b, 0x0807060504030201ull);
  for (int i = 0; i < 8; i++) CHECK(b[i] == i + 1);
  CHECK_EQ_U64(decode_fixed64(b), 0x0807060504030201ull);
}

static void varints_round_trip_at_every_width(void) {
  uint64_t values[] = {0, 1, 127, 128, 255, 300, 16383, 16384, (1u << 21) - 1, 1u << 21,
                       UINT32_MAX, (uint64_t)UINT32_MAX + 1, 1ull << 56, UINT64_MAX - 1, UINT64_MAX};
  for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
    uint8_t b[VARINT64_MAX];
    size_t n = encode_varint64(b, values[i]);
    CHECK_EQ_U64(n, varint_length(values[i]));
    uint64_t out = 0;
    CHECK(decode_varint64(b, b + n, &out) == b + n);
    CHECK_EQ_U64(out, values[i]);
    if (values[i] <= UINT32_MAX) {
      uint32_t out32 = 0;
      CHECK_EQ_U64(encode_varint32(b, (uint32_t)values[i]), n);
      CHECK(decode_varint32(b, b + n, &out32) == b + n);
      CHECK_EQ_U64(out32, values[i]);
    }
  }
  uint8_t b[VARINT64_MAX];
  CHECK_EQ_U64(encode_varint64(b, UINT64_MAX), 10);
  CHECK_EQ_U64(encode_varint32(b, UINT32_MAX), 5);
}

static void truncated_varints_are_rejected(void) {
  uint8_t b[VARINT64_MAX];
  size_t n = encode_varint64(b, 1ull << 40);
  for (size_t cut = 0; cut < n; cut++) {
    uint64_t out;
    CHECK(decode_varint64(b, b + cut, &out) == NULL);
  }
  reader r = reader_make(slice_make(b, n - 1), "test record");
  uint64_t v;
  strata_status *st = reader_varint64(&r, &v);
  CHECK(strata_status_code(st) == STRATA_CORRUPTION);
  CHECK(strstr(strata_status_message(st), "test record") != NULL);
  strata_status_free(st);
  CHECK(r.pos == b); /* a failed read does not move the cursor */
}

/* The inline decoder reads 8 bytes at once when they are readable (trailers of 2-5 bytes), and
 * byte by byte when fewer are: with 0 to 8 bytes of every kind after the varint, each width (1 to
 * 10 bytes) decodes to the same value and length as without them, and overlong forms of 2 to 8
 * bytes are still refused, with bytes after them and at their buffer's end. */
static void varints_decode_alike_with_bytes_after_them(void) {
  static const uint8_t after[] = {0x00, 0x7f, 0x80, 0xff};
  size_t probes = 0, widths_seen = 0;
  for (uint64_t v = 0;; v = v * 3 + 1) {
    uint8_t b[VARINT64_MAX + 8];
    size_t n = encode_varint64(b, v);
    widths_seen |= (size_t)1 << n;
    for (size_t a = 0; a < sizeof after; a++) {
      for (size_t k = 0; k <= 8; k++) {
        memset(b + n, after[a], 8);
        uint64_t out = ~0ull;
        CHECK(decode_varint64(b, b + n + k, &out) == b + n);
        CHECK_EQ_U64(out, v);
        probes++;
      }
    }
    if (v > UINT64_MAX / 3 - 1) break;
  }
  CHECK_EQ_U64(widths_seen, 0x7fe); /* every width from 1 to 10 bytes */
  CHECK(probes > 1000);
  for (size_t width = 2; width <= 8; width++) { /* 1 padded to `width` bytes: a zero last byte */
    uint8_t b[16];
    memset(b, 0x80, sizeof b);
    b[0] = 0x81;
    memset(b + width, 0x7f, sizeof b - width);
    b[width - 1] = 0x00;
    uint64_t out;
    CHECK(decode_varint64(b, b + sizeof b, &out) == NULL);
    CHECK(decode_varint64(b, b + width, &out) == NULL); /* ending its buffer: the short path */
  }
}

static void overflowing_and_overlong_varints_are_rejected(void) {
  /* 2^32 does not fit a varint32 */
  uint8_t big32[] = {0x80, 0x80, 0x80, 0x80, 0x10};
  uint32_t v32;
  CHECK(decode_varint32(big32, big32 + sizeof big32, &v32) == NULL);
  /* eleven bytes, and a tenth byte with more than one bit */
  uint8_t eleven[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  uint8_t big64[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
  uint64_t v64;
  CHECK(decode_varint64(eleven, eleven + sizeof eleven, &v64) == NULL);
  CHECK(decode_varint64(big64, big64 + sizeof big64, &v64) == NULL);
  /* overlong: 1 encoded in two bytes */
  uint8_t overlong[] = {0x81, 0x00};
  CHECK(decode_varint64(overlong, overlong + 2, &v64) == NULL);
}

/* A borrowed buffer writes into the caller's memory while it fits, then moves what it holds to
 * an allocation of its own (the caller's memory is never freed: ASan would report it). */
static void borrowed_buffer_fills_the_callers_memory_then_moves_out(void) {
  uint8_t mem[8];
  memset(mem, '#', sizeof mem);
  buffer b;
  buffer_init_borrowed(&b, mem, 6);
  CHECK_OK(buffer_append(&b, "abcd", 4));
  CHECK(b.data == mem && b.len == 4 && memcmp(mem, "abcd", 4) == 0);
  buffer_clear(&b);
  CHECK_OK(buffer_append(&b, "uvwxyz", 6));
  CHECK(b.data == mem && memcmp(mem, "uvwxyz##", 8) == 0);
  CHECK_OK(buffer_append(&b, "!", 1)); /* past the 6 bytes: its own allocation now */
  CHECK(b.data != mem && b.len == 7 && memcmp(b.data, "uvwxyz!", 7) == 0);
  CHECK(memcmp(mem, "uvwxyz##", 8) == 0);
  buffer_free(&b);
  buffer_init_borrowed(&b, mem, sizeof mem);
  buffer_free(&b); /* frees nothing */
  CHECK(b.data == NULL && b.cap == 0);
  buffer_init_borrowed(&b, NULL, 0);
  CHECK_OK(buffer_append(&b, "z", 1));
  CHECK(b.len == 1 && b.data[0] == 'z');
  buffer_free(&b);
}

static void reader_bounds_checks_every_field(void) {
  buffer b;
  buffer_init(&b);
  CHECK_OK(buffer_append_fixed32(&b, 0xdeadbeef));
  CHECK_OK(buffer_append_fixed64(&b, 42));
  CHECK_OK(buffer_append_varint32(&b, 300));
  CHECK_OK(buffer_append_prefixed(&b, slice_from_cstr("hello")));
  CHECK_OK(buffer_append_byte(&b, 9));
  reader r = reader_make(buffer_slice(&b), "sample");
  uint32_t a32, v32;
  uint64_t a64;
  slice s;
  uint8_t byte;
  CHECK_OK(reader_fixed32(&r, &a32));
  CHECK_OK(reader_fixed64(&r, &a64));
  CHECK_OK(reader_varint32(&r, &v32));
  CHECK_OK(reader_prefixed(&r, &s));
  CHECK_OK(reader_u8(&r, &byte));
  CHECK(a32 == 0xdeadbeef && a64 == 42 && v32 == 300 && byte == 9);
  CHECK(slice_equal(s, slice_from_cstr("hello")));
  CHECK_EQ_U64(reader_remaining(&r), 0);
  CHECK_CODE(reader_u8(&r, &byte), STRATA_CORRUPTION);
  CHECK_CODE(reader_fixed32(&r, &a32), STRATA_CORRUPTION);
  CHECK_CODE(reader_fixed64(&r, &a64), STRATA_CORRUPTION);
  CHECK_CODE(reader_bytes(&r, 1, &s), STRATA_CORRUPTION);
  /* A length prefix larger than what follows must not read past the end. */
  uint8_t lying[] = {0x7f, 'a', 'b'};
  reader lr = reader_make(slice_make(lying, sizeof lying), "lying prefix");
  CHECK_CODE(reader_prefixed(&lr, &s), STRATA_CORRUPTION);
  buffer_free(&b);
}

static void buffer_grows_and_keeps_contents(void) {
  buffer b;
  buffer_init(&b);
  for (int i = 0; i < 10000; i++) CHECK_OK(buffer_append_byte(&b, (uint8_t)i));
  CHECK_EQ_U64(b.len, 10000);
  for (int i = 0; i < 10000; i++) CHECK(b.data[i] == (uint8_t)i);
  buffer_clear(&b);
  CHECK_EQ_U64(b.len, 0);
  CHECK(b.cap >= 10000);
  CHECK_OK(buffer_append(&b, NULL, 0));
  buffer_free(&b);
  CHECK(b.data == NULL && b.cap == 0);
}

static void checksums_match_reference_values(void) {
  /* Published xxh3 values for the empty input, identical in every build. */
  CHECK_EQ_U64(checksum64("", 0), 0x2D06800538D394C2ull);
  checksum128 e = checksum128_of("", 0);
  CHECK_EQ_U64(e.low, 0x6001C324468D497Full);
  CHECK_EQ_U64(e.high, 0x99AA06D3014798D8ull);
  CHECK_EQ_U64(strata_xxh3_64("", 0), 0x2D06800538D394C2ull);
  /* Streaming gives the one-shot digest, however the input is split. */
  uint8_t data[5000];
  for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 31 + 7);
  checksum128 whole = checksum128_of(data, sizeof data);
  checksum128_stream *s = checksum128_stream_new();
  CHECK(s != NULL);
  checksum128_stream_update(s, data, 1);
  checksum128_stream_update(s, data + 1, 2999);
  checksum128_stream_update(s, data + 3000, 2000);
  CHECK(checksum128_equal(checksum128_stream_digest(s), whole));
  checksum128_stream_free(s);
  /* A single flipped bit changes the checksum. */
  data[1234] ^= 0x10;
  CHECK(!checksum128_equal(checksum128_of(data, sizeof data), whole));
  CHECK(checksum64_seeded(data, 16, 1) != checksum64_seeded(data, 16, 2));
}

static void lz4_round_trips_and_rejects_corruption(void) {
  enum { N = 8192 };
  uint8_t *src = malloc(N), *dst = malloc(compress_bound(COMPRESSION_LZ4, N)), *back = malloc(N);
  CHECK(src && dst && back);
  for (int i = 0; i < N; i++) src[i] = (uint8_t)("lsm-tree"[i % 8] + (i / 1024));
  size_t clen = 0;
  CHECK_OK(compress_block(COMPRESSION_LZ4, src, N, dst, compress_bound(COMPRESSION_LZ4, N), &clen));
  CHECK(clen > 0 && clen < N / 4);
  CHECK_OK(decompress_block(COMPRESSION_LZ4, dst, clen, back, N));
  CHECK(memcmp(src, back, N) == 0);
  /* wrong expected length, truncated input, garbage: corruption, never a crash */
  CHECK_CODE(decompress_block(COMPRESSION_LZ4, dst, clen, back, N - 1), STRATA_CORRUPTION);
  CHECK_CODE(decompress_block(COMPRESSION_LZ4, dst, clen / 2, back, N), STRATA_CORRUPTION);
  memset(dst, 0xff, clen);
  CHECK_CODE(decompress_block(COMPRESSION_LZ4, dst, clen, back, N), STRATA_CORRUPTION);
  /* none: a copy that insists on the length */
  CHECK_OK(compress_block(COMPRESSION_NONE, src, N, dst, N, &clen));
  CHECK_EQ_U64(clen, N);
  CHECK_OK(decompress_block(COMPRESSION_NONE, dst, clen, back, N));
  CHECK(memcmp(src, back, N) == 0);
  CHECK_CODE(decompress_block(COMPRESSION_NONE, dst, clen, back, N + 1), STRATA_CORRUPTION);
  CHECK_CODE(compress_block(COMPRESSION_LZ4, src, N, dst, 10, &clen), STRATA_INVALID_ARGUMENT);
  compression c;
  CHECK_OK(compression_from_byte(1, &c));
  CHECK(c == COMPRESSION_LZ4 && !strcmp(compression_name(c), "lz4"));
  CHECK_CODE(compression_from_byte(7, &c), STRATA_CORRUPTION);
  free(src);
  free(dst);
  free(back);
}

static void lz4_empty_block_round_trips(void) {
  uint8_t dst[16], back[1];
  size_t clen = 0;
  CHECK_OK(compress_block(COMPRESSION_LZ4, (const uint8_t *)"", 0, dst, sizeof dst, &clen));
  CHECK_OK(decompress_block(COMPRESSION_LZ4, dst, clen, back, 0));
}

/* --- the lock/atomics shim --------------------------------------------------------------- */

typedef struct counter_job {
  sync_mutex mu;
  uint64_t locked_count;
  atomic_u64 atomic_count;
  atomic_u64 max_seen;
} counter_job;

static void *count_up(void *arg) {
  counter_job *job = arg;
  for (uint64_t i = 0; i < 20000; i++) {
    sync_mutex_lock(&job->mu);
    job->locked_count++;
    sync_mutex_unlock(&job->mu);
    atomic_u64_fetch_add(&job->atomic_count, 1);
    atomic_u64_max(&job->max_seen, i);
  }
  return NULL;
}

static void sync_shim_counts_exactly(void) {
  counter_job job = {0};
  CHECK_OK(sync_mutex_init(&job.mu));
  atomic_u64_init(&job.atomic_count, 0);
  atomic_u64_init(&job.max_seen, 0);
  enum { THREADS = 4 };
  if (sync_threads_available()) {
    sync_thread t[THREADS];
    for (int i = 0; i < THREADS; i++) CHECK_OK(sync_thread_start(&t[i], count_up, &job));
    for (int i = 0; i < THREADS; i++) sync_thread_join(&t[i]);
  } else {
    sync_thread t;
    CHECK_CODE(sync_thread_start(&t, count_up, &job), STRATA_NOT_SUPPORTED);
    for (int i = 0; i < THREADS; i++) count_up(&job);
  }
  CHECK_EQ_U64(job.locked_count, THREADS * 20000);
  CHECK_EQ_U64(atomic_u64_load(&job.atomic_count), THREADS * 20000);
  CHECK_EQ_U64(atomic_u64_load(&job.max_seen), 19999);
  atomic_u64_max(&job.max_seen, 5); /* never lowers */
  CHECK_EQ_U64(atomic_u64_load(&job.max_seen), 19999);
  CHECK_EQ_U64(atomic_u64_fetch_sub(&job.atomic_count, 1), THREADS * 20000);
  sync_mutex_destroy(&job.mu);
}

typedef struct handoff {
  sync_mutex mu;
  sync_cond cond;
  sync_rwlock rw;
  int ready;
  atomic_flag_int done;
} handoff;

static void *signal_ready(void *arg) {
  handoff *h = arg;
  sync_rwlock_read(&h->rw);
  sync_rwlock_unlock(&h->rw);
  sync_mutex_lock(&h->mu);
  h->ready = 1;
  sync_cond_signal(&h->cond);
  sync_mutex_unlock(&h->mu);
  atomic_flag_set(&h->done, 1);
  return NULL;
}

static void sync_condition_hands_off_between_threads(void) {
  handoff h = {0};
  CHECK_OK(sync_mutex_init(&h.mu));
  CHECK_OK(sync_cond_init(&h.cond));
  CHECK_OK(sync_rwlock_init(&h.rw));
  sync_rwlock_write(&h.rw);
  sync_rwlock_unlock(&h.rw);
  if (sync_threads_available()) {
    sync_thread t;
    CHECK_OK(sync_thread_start(&t, signal_ready, &h));
    sync_mutex_lock(&h.mu);
    while (!h.ready) sync_cond_wait(&h.cond, &h.mu);
    sync_mutex_unlock(&h.mu);
    sync_thread_join(&t);
  } else {
    signal_ready(&h);
  }
  CHECK(h.ready == 1);
  CHECK(atomic_flag_get(&h.done) == 1);
  sync_cond_broadcast(&h.cond);
  sync_rwlock_destroy(&h.rw);
  sync_cond_destroy(&h.cond);
  sync_mutex_destroy(&h.mu);
}

/* The region serves aligned, zeroed pieces while it has room, then malloc, and says which. */
static void iter_arena_serves_the_region_then_malloc(void) {
  union {
    max_align_t align;
    unsigned char bytes[256];
  } region;
  memset(region.bytes, 0xa5, sizeof region.bytes);
  iter_arena a;
  iter_arena_init(&a, region.bytes, sizeof region.bytes);
  unsigned char in = 9;
  unsigned char *p = iter_arena_alloc(&a, 100, &in);
  CHECK(p == region.bytes && in == 1);
  for (size_t i = 0; i < 100; i++) CHECK(p[i] == 0);
  unsigned char *q = iter_arena_alloc(&a, 1, &in); /* rounded up to 16: the next piece stays aligned */
  CHECK(q == region.bytes + 112 && in == 1 && q[0] == 0);
  unsigned char *r = iter_arena_alloc(&a, 128, &in); /* 128 of the 128 left */
  CHECK(r == region.bytes + 128 && in == 1);
  unsigned char *m = iter_arena_alloc(&a, 1, &in); /* full: malloc'd and zeroed */
  CHECK(m && in == 0 && (m < region.bytes || m >= region.bytes + sizeof region.bytes) && m[0] == 0);
  iter_arena_free(m, in);
  iter_arena_free(p, 1); /* a piece of the region: left alone (ASan would see a bad free) */
  unsigned char *n = iter_arena_alloc(NULL, 40, &in); /* no region: malloc */
  CHECK(n && in == 0 && n[39] == 0);
  iter_arena_free(n, in);
}

/* Pages grow and shrink with their contents kept, and free (NULL too) without a trace. */
static void pages_resize_keeps_contents(void) {
  size_t n = 4096;
  unsigned char *p = pages_resize(NULL, 0, n);
  CHECK(p != NULL);
  for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(i * 7);
  for (int round = 0; round < 6; round++, n *= 2) { /* to 256 KiB, moving as it may */
    unsigned char *q = pages_resize(p, n, 2 * n);
    CHECK(q != NULL);
    p = q;
    for (size_t i = 0; i < n; i++) CHECK(p[i] == (unsigned char)(i * 7));
    for (size_t i = n; i < 2 * n; i++) p[i] = (unsigned char)(i * 7);
  }
  for (size_t i = 0; i < n; i++) CHECK(p[i] == (unsigned char)(i * 7));
  unsigned char *small = pages_resize(p, n, 8192);
  CHECK(small != NULL);
  for (size_t i = 0; i < 8192; i++) CHECK(small[i] == (unsigned char)(i * 7));
  pages_free(small, 8192);
  pages_free(NULL, 0);
}

/* Threads growing and freeing pages at once each keep their own contents. Under ThreadSanitizer
 * this is the check that a range moved by one thread and reused by another (mremap, which it does
 * not follow) is not reported as a race (scripts/test.sh runs this file in the tsan build). */
enum { PAGES_THREADS = 3, PAGES_ROUNDS = 40, PAGES_WORDS = 32768 };

static void *grow_and_free_pages(void *arg) {
  int *bad = arg;
  for (int round = 0; round < PAGES_ROUNDS; round++) {
    uint64_t *words = NULL;
    size_t cap = 0;
    for (size_t i = 0; i < PAGES_WORDS; i++) {
      if (i == cap) {
        size_t grown = cap ? cap * 2 : 512;
        uint64_t *q = pages_resize(words, cap * sizeof *q, grown * sizeof *q);
        if (!q) {
          *bad = 1;
          pages_free(words, cap * sizeof *words);
          return NULL;
        }
        words = q;
        cap = grown;
      }
      words[i] = i * 0x9E3779B97F4A7C15ull;
    }
    for (size_t i = 0; i < PAGES_WORDS; i++) {
      if (words[i] != i * 0x9E3779B97F4A7C15ull) *bad = 1;
    }
    pages_free(words, cap * sizeof *words);
  }
  return NULL;
}

static void pages_grow_in_threads_at_once(void) {
  int bad[PAGES_THREADS] = {0};
  if (!sync_threads_available()) {
    (void)grow_and_free_pages(&bad[0]);
    CHECK(bad[0] == 0);
    return;
  }
  sync_thread t[PAGES_THREADS];
  for (int i = 0; i < PAGES_THREADS; i++) CHECK_OK(sync_thread_start(&t[i], grow_and_free_pages, &bad[i]));
  for (int i = 0; i < PAGES_THREADS; i++) sync_thread_join(&t[i]);
  for (int i = 0; i < PAGES_THREADS; i++) CHECK(bad[i] == 0);
}

int main(void) {
  RUN(status_carries_code_and_message);
  RUN(borrowed_buffer_fills_the_callers_memory_then_moves_out);
  RUN(slices_compare_as_unsigned_bytes);
  RUN(fixed_width_is_little_endian);
  RUN(varints_round_trip_at_every_width);
  RUN(truncated_varints_are_rejected);
  RUN(overflowing_and_overlong_varints_are_rejected);
  RUN(varints_decode_alike_with_bytes_after_them);
  RUN(reader_bounds_checks_every_field);
  RUN(buffer_grows_and_keeps_contents);
  RUN(iter_arena_serves_the_region_then_malloc);
  RUN(pages_resize_keeps_contents);
  RUN(pages_grow_in_threads_at_once);
  RUN(checksums_match_reference_values);
  RUN(lz4_round_trips_and_rejects_corruption);
  RUN(lz4_empty_block_round_trips);
  RUN(sync_shim_counts_exactly);
  RUN(sync_condition_hands_off_between_threads);
  return harness_finish();
}
