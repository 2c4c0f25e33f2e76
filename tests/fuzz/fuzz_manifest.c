/*
 * fuzz_manifest.c -- libFuzzer target for the manifest decoder and slot reading (scripts/fuzz.sh).
 *
 * The first byte picks what the rest is fed to:
 *   0: manifest_decode on a raw payload; what decodes must encode, decode and encode again to
 *      the same bytes (the encoding is canonical);
 *   1: the payload wrapped into a valid slot file (right length and checksum, epoch from the
 *      next bytes) as manifest-1 beside a slot the fuzzer writes raw as manifest-0, then
 *      manifest_read; a state read must survive manifest_write + manifest_read unchanged;
 *   2: both slot files raw (a 2-byte length splits the input), then manifest_read.
 * Nothing may crash, hang or leak; a mismatch aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/checksum.h"
#include "util/coding.h"
#include "version/manifest.h"
#include "vfs/vfs.h"

static void check_round_trip(const manifest_state *m) {
  buffer a, b;
  buffer_init(&a);
  buffer_init(&b);
  manifest_state again;
  memset(&again, 0, sizeof again);
  if (manifest_encode(m, &a)) abort();
  if (manifest_decode(buffer_slice(&a), &again)) abort(); /* what we encode, we decode */
  if (manifest_encode(&again, &b)) abort();
  if (a.len != b.len || memcmp(a.data, b.data, a.len)) abort();
  manifest_state_clear(&again);
  buffer_free(&a);
  buffer_free(&b);
}

static void fuzz_payload(const uint8_t *data, size_t size) {
  manifest_state m;
  memset(&m, 0, sizeof m);
  strata_status *st = manifest_decode(slice_make(data, size), &m);
  if (!st) {
    check_round_trip(&m);
    manifest_state_clear(&m);
  }
  strata_status_free(st);
}

/* Reads the slots in `v`; a state found must come back from a write and a read unchanged. */
static void read_slots(vfs *v) {
  manifest_state m;
  memset(&m, 0, sizeof m);
  int found = 0;
  manifest_read_info info;
  memset(&info, 0, sizeof info);
  strata_status *st = manifest_read(v, "m", &m, &found, &info);
  if (!st && found) {
    check_round_trip(&m);
    uint64_t epoch = info.epoch;
    if (epoch < UINT64_MAX - 1 && !manifest_write(v, "m", &epoch, &m)) {
      manifest_state back;
      memset(&back, 0, sizeof back);
      int found2 = 0;
      manifest_read_info info2;
      if (manifest_read(v, "m", &back, &found2, &info2) || !found2 || info2.epoch != epoch) abort();
      buffer a, b;
      buffer_init(&a);
      buffer_init(&b);
      if (manifest_encode(&m, &a) || manifest_encode(&back, &b)) abort();
      if (a.len != b.len || memcmp(a.data, b.data, a.len)) abort();
      buffer_free(&a);
      buffer_free(&b);
      manifest_state_clear(&back);
    }
    manifest_state_clear(&m);
  }
  strata_status_free(st);
}

static vfs *slot_fs(void) {
  vfs *v = NULL;
  if (vfs_memory_new(&v)) return NULL;
  strata_status *st = vfs_mkdir(v, "m");
  if (st) {
    strata_status_free(st);
    vfs_destroy(v);
    return NULL;
  }
  return v;
}

static void fuzz_wrapped(const uint8_t *data, size_t size) {
  if (size < 10) return;
  uint64_t epoch = decode_fixed64(data);
  size_t raw_len = data[8] % 64 < size - 9 ? data[8] % 64 : size - 9; /* a short raw slot 0 */
  const uint8_t *raw = data + 9, *payload = raw + raw_len;
  size_t payload_len = size - 9 - raw_len;
  vfs *v = slot_fs();
  if (!v) return;
  buffer file;
  buffer_init(&file);
  strata_status *st = buffer_append_fixed32(&file, 0x4D525453u); /* "STRM" */
  if (!st) st = buffer_append_fixed32(&file, 1);
  if (!st) st = buffer_append_fixed64(&file, epoch);
  if (!st) st = buffer_append_fixed64(&file, payload_len);
  if (!st) st = buffer_append(&file, payload, payload_len);
  if (!st) {
    checksum128 sum = checksum128_of(file.data, file.len);
    st = buffer_append_fixed64(&file, sum.low);
    if (!st) st = buffer_append_fixed64(&file, sum.high);
  }
  if (!st) st = vfs_replace(v, "m/manifest-1", file.data, file.len);
  if (!st && raw_len) st = vfs_replace(v, "m/manifest-0", raw, raw_len);
  buffer_free(&file);
  if (!st) read_slots(v);
  strata_status_free(st);
  vfs_destroy(v);
}

static void fuzz_raw_slots(const uint8_t *data, size_t size) {
  if (size < 2) return;
  size_t first = (size_t)(data[0] | data[1] << 8);
  if (first > size - 2) first = size - 2;
  vfs *v = slot_fs();
  if (!v) return;
  strata_status *st = vfs_replace(v, "m/manifest-0", data + 2, first);
  if (!st && size - 2 - first) st = vfs_replace(v, "m/manifest-1", data + 2 + first, size - 2 - first);
  if (!st) read_slots(v);
  strata_status_free(st);
  vfs_destroy(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  switch (data[0] % 3) {
    case 0: fuzz_payload(data + 1, size - 1); break;
    case 1: fuzz_wrapped(data + 1, size - 1); break;
    default: fuzz_raw_slots(data + 1, size - 1); break;
  }
  return 0;
}
