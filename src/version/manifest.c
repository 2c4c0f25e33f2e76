#include "manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/db_files.h"

#define SLOT_MAGIC 0x4D525453u /* "STRM" little-endian */
#define SLOT_FORMAT 1
#define SLOT_HEADER 24
#define SLOT_TRAILER 16

void manifest_state_clear(manifest_state *m) {
  version_unref(m->version);
  memset(m, 0, sizeof *m);
}

strata_status *manifest_encode(const manifest_state *m, buffer *out) {
  const version *v = m->version;
  STATUS_TRY(buffer_append_varint64(out, MANIFEST_FORMAT));
  STATUS_TRY(buffer_append_varint64(out, m->next_file_id));
  STATUS_TRY(buffer_append_varint64(out, m->flushed_seqno));
  STATUS_TRY(buffer_append_varint64(out, m->journal_min));
  STATUS_TRY(buffer_append_varint64(out, v->id));
  STATUS_TRY(buffer_append_varint64(out, v->level_count));
  for (unsigned l = 0; l < v->level_count; l++) {
    STATUS_TRY(buffer_append_varint64(out, v->levels[l].run_count));
    for (size_t r = 0; r < v->levels[l].run_count; r++) {
      const version_run *run = &v->levels[l].runs[r];
      STATUS_TRY(buffer_append_varint64(out, run->count));
      for (size_t i = 0; i < run->count; i++) STATUS_TRY(table_info_encode(run->tables[i], out));
    }
  }
  STATUS_TRY(buffer_append_varint64(out, v->blob_count));
  for (size_t i = 0; i < v->blob_count; i++) {
    STATUS_TRY(buffer_append_varint64(out, v->blobs[i].id));
    STATUS_TRY(buffer_append_varint64(out, v->blobs[i].file_size));
    STATUS_TRY(buffer_append_varint64(out, v->blobs[i].item_count));
    STATUS_TRY(buffer_append_varint64(out, v->blobs[i].garbage_bytes));
  }
  return NULL;
}

/* Reads a count and checks it against the bytes left (each item takes at least min_bytes). */
static strata_status *read_count(reader *r, size_t min_bytes, size_t *out) {
  uint64_t n;
  STATUS_TRY(reader_varint64(r, &n));
  if (n > reader_remaining(r) / min_bytes)
    return status_new(STRATA_CORRUPTION, "%s: count %llu exceeds the bytes left", r->what, (unsigned long long)n);
  *out = (size_t)n;
  return NULL;
}

static strata_status *decode_run(reader *r, version_builder *b, unsigned level) {
  size_t count = 0;
  STATUS_TRY(read_count(r, 20, &count)); /* a table entry is at least 20 bytes */
  table_info **tables = calloc(count ? count : 1, sizeof *tables);
  if (!tables) return status_no_memory();
  strata_status *st = NULL;
  size_t got = 0;
  for (; got < count && !st; got++) st = table_info_decode(r, &tables[got]);
  if (st) got--; /* the failed slot holds nothing */
  if (!st) version_builder_add_run_oldest(b, level, tables, count);
  for (size_t i = 0; i < got; i++) table_info_unref(tables[i]);
  free(tables);
  return st;
}

static strata_status *decode_version(reader *r, version **out) {
  uint64_t id, levels;
  STATUS_TRY(reader_varint64(r, &id));
  STATUS_TRY(reader_varint64(r, &levels));
  version *base = NULL;
  if (levels < 2 || levels > VERSION_MAX_LEVELS)
    return status_new(STRATA_CORRUPTION, "%s: %llu levels", r->what, (unsigned long long)levels);
  STATUS_TRY(version_new_empty((unsigned)levels, &base));
  version_builder b;
  version_builder_init(&b, base);
  version_unref(base);
  strata_status *st = NULL;
  for (unsigned l = 0; l < levels && !st; l++) {
    size_t runs = 0;
    st = read_count(r, 1, &runs);
    for (size_t i = 0; i < runs && !st; i++) st = decode_run(r, &b, l); /* oldest-first appends keep order */
  }
  size_t blob_count = 0;
  blob_file_info *blobs = NULL;
  if (!st) st = read_count(r, 4, &blob_count);
  if (!st && blob_count && !(blobs = malloc(blob_count * sizeof *blobs))) st = status_no_memory();
  for (size_t i = 0; i < blob_count && !st; i++) {
    st = reader_varint64(r, &blobs[i].id);
    if (!st) st = reader_varint64(r, &blobs[i].file_size);
    if (!st) st = reader_varint64(r, &blobs[i].item_count);
    if (!st) st = reader_varint64(r, &blobs[i].garbage_bytes);
  }
  if (!st) version_builder_set_blobs(&b, blobs, blob_count);
  free(blobs);
  if (st) {
    version_builder_abandon(&b);
    return st;
  }
  version *v = NULL;
  st = version_builder_finish(&b, &v);
  if (st) return status_is(st, STRATA_CORRUPTION) ? st : status_wrap(st, "%s", r->what);
  v->id = id;
  *out = v;
  return NULL;
}

strata_status *manifest_decode(slice payload, manifest_state *out) {
  reader r = reader_make(payload, "manifest");
  uint64_t format;
  manifest_state m = {0};
  STATUS_TRY(reader_varint64(&r, &format));
  if (format != MANIFEST_FORMAT)
    return status_new(STRATA_NOT_SUPPORTED, "manifest format %llu is not supported (this build reads %d)",
                      (unsigned long long)format, MANIFEST_FORMAT);
  STATUS_TRY(reader_varint64(&r, &m.next_file_id));
  STATUS_TRY(reader_varint64(&r, &m.flushed_seqno));
  STATUS_TRY(reader_varint64(&r, &m.journal_min));
  STATUS_TRY(decode_version(&r, &m.version));
  if (reader_remaining(&r) != 0) {
    version_unref(m.version);
    return status_new(STRATA_CORRUPTION, "manifest: %zu unexpected trailing bytes", reader_remaining(&r));
  }
  *out = m;
  return NULL;
}

static void slot_path(char *buf, size_t cap, const char *dir, uint64_t epoch) {
  snprintf(buf, cap, "%s/%s", dir, db_files_manifest_slot((unsigned)(epoch & 1)));
}

strata_status *manifest_encode_slot(const manifest_state *m, uint64_t epoch, buffer *file) {
  buffer_clear(file);
  strata_status *st = buffer_append_fixed32(file, SLOT_MAGIC);
  if (!st) st = buffer_append_fixed32(file, SLOT_FORMAT);
  if (!st) st = buffer_append_fixed64(file, epoch);
  if (!st) st = buffer_append_fixed64(file, 0); /* payload length, patched below */
  if (!st) st = manifest_encode(m, file);
  if (!st) {
    encode_fixed64(file->data + 16, file->len - SLOT_HEADER);
    checksum128 sum = checksum128_of(file->data, file->len);
    st = buffer_append_fixed64(file, sum.low);
    if (!st) st = buffer_append_fixed64(file, sum.high);
  }
  return st;
}

strata_status *manifest_write(vfs *v, const char *dir, uint64_t *epoch, const manifest_state *m) {
  buffer file;
  buffer_init(&file);
  uint64_t next_epoch = *epoch + 1;
  strata_status *st = manifest_encode_slot(m, next_epoch, &file);
  char path[4096];
  slot_path(path, sizeof path, dir, next_epoch);
  vfs_file *f = NULL;
  if (!st) st = vfs_open(v, path, VFS_OPEN_WRITE | VFS_OPEN_CREATE | VFS_OPEN_TRUNCATE, &f);
  if (!st) st = vfs_file_write(f, 0, file.data, file.len);
  if (!st) st = vfs_file_sync(f);
  strata_status *cst = vfs_file_close(f);
  if (!st) st = cst;
  else strata_status_free(cst);
  if (!st && next_epoch <= 2) st = vfs_sync_dir(v, dir); /* the slot file itself is new */
  buffer_free(&file);
  if (st) return status_wrap(st, "writing manifest epoch %llu", (unsigned long long)next_epoch);
  *epoch = next_epoch;
  return NULL;
}

/* Checks the bytes of one slot file (`path` names it in messages): *state says what it holds,
 * *why_invalid why it is not valid; *epoch and *payload are set when it is valid. */
static void check_slot(const uint8_t *data, size_t size, const char *path, uint64_t *epoch, slice *payload,
                       manifest_slot_state *state, strata_status **why_invalid) {
  if (size < SLOT_HEADER + SLOT_TRAILER) {
    *state = MANIFEST_SLOT_TORN;
    *why_invalid = status_new(STRATA_CORRUPTION, "%s: torn (%zu bytes, shorter than a slot's header and trailer)",
                              path, size);
    return;
  }
  uint64_t len = decode_fixed64(data + 16);
  *state = MANIFEST_SLOT_DAMAGED;
  if (decode_fixed32(data) != SLOT_MAGIC) {
    *why_invalid = status_new(STRATA_CORRUPTION, "%s: not a manifest slot (bad magic, %zu bytes)", path, size);
    return;
  }
  if (decode_fixed32(data + 4) != SLOT_FORMAT) {
    *why_invalid = status_new(STRATA_CORRUPTION, "%s: unknown slot format %u", path, decode_fixed32(data + 4));
    return;
  }
  if (len != size - SLOT_HEADER - SLOT_TRAILER) {
    /* a write cut short leaves fewer bytes than its header announces, never more */
    if (len > size - SLOT_HEADER - SLOT_TRAILER) *state = MANIFEST_SLOT_TORN;
    *why_invalid = status_new(STRATA_CORRUPTION, "%s: %s (payload length %llu, file %zu bytes)", path,
                              *state == MANIFEST_SLOT_TORN ? "torn" : "damaged", (unsigned long long)len, size);
    return;
  }
  size_t body = size - SLOT_TRAILER;
  checksum128 want = {decode_fixed64(data + body), decode_fixed64(data + body + 8)};
  if (!checksum128_equal(checksum128_of(data, body), want)) {
    *why_invalid = status_new(STRATA_CORRUPTION, "%s: checksum mismatch", path);
    return;
  }
  *state = MANIFEST_SLOT_VALID;
  *epoch = decode_fixed64(data + 8);
  *payload = slice_make(data + SLOT_HEADER, (size_t)len);
}

/* Reads and checks one slot file (check_slot); a missing file is MANIFEST_SLOT_MISSING. */
static strata_status *read_slot(vfs *v, const char *path, buffer *file, uint64_t *epoch, slice *payload,
                                manifest_slot_state *state, strata_status **why_invalid) {
  *state = MANIFEST_SLOT_MISSING;
  strata_status *st = vfs_read_file(v, path, file);
  if (status_is(st, STRATA_NOT_FOUND)) {
    strata_status_free(st);
    return NULL;
  }
  STATUS_TRY(st);
  check_slot(file->data, file->len, path, epoch, payload, state, why_invalid);
  return NULL;
}

strata_status *manifest_decode_slot(slice file, const char *what, uint64_t *epoch, manifest_state *out) {
  memset(out, 0, sizeof *out);
  slice payload = {NULL, 0};
  manifest_slot_state state = MANIFEST_SLOT_MISSING;
  strata_status *why = NULL;
  check_slot(file.data, file.len, what, epoch, &payload, &state, &why);
  if (state != MANIFEST_SLOT_VALID) return why;
  strata_status *st = manifest_decode(payload, out);
  return st ? status_wrap(st, "%s", what) : NULL;
}

strata_status *manifest_read(vfs *v, const char *dir, manifest_state *out, int *found, manifest_read_info *info) {
  buffer files[2];
  char paths[2][4096];
  uint64_t epochs[2] = {0, 0};
  slice payloads[2] = {{NULL, 0}, {NULL, 0}};
  manifest_slot_state states[2] = {MANIFEST_SLOT_MISSING, MANIFEST_SLOT_MISSING};
  strata_status *why[2] = {NULL, NULL};
  strata_status *st = NULL;
  for (int i = 0; i < 2; i++) buffer_init(&files[i]);
  for (int i = 0; i < 2 && !st; i++) {
    slot_path(paths[i], sizeof paths[i], dir, (uint64_t)i);
    st = read_slot(v, paths[i], &files[i], &epochs[i], &payloads[i], &states[i], &why[i]);
  }
  *found = 0;
  if (!st) {
    int valid0 = states[0] == MANIFEST_SLOT_VALID, valid1 = states[1] == MANIFEST_SLOT_VALID;
    int pick = valid0 && valid1 ? (epochs[1] > epochs[0]) : (valid1 ? 1 : 0);
    if (!valid0 && !valid1) {
      int bad = states[0] != MANIFEST_SLOT_MISSING ? 0 : 1;
      if (states[bad] != MANIFEST_SLOT_MISSING) {
        st = status_wrap(why[bad], "no valid manifest slot in %s", dir);
        why[bad] = NULL;
      }
    } else {
      st = manifest_decode(payloads[pick], out);
      if (!st) {
        *found = 1;
        if (info) {
          int other = !pick;
          info->epoch = epochs[pick];
          info->slot = (unsigned)pick;
          info->other_state = states[other];
          info->other_slot_invalid = states[other] != MANIFEST_SLOT_VALID;
          snprintf(info->other_path, sizeof info->other_path, "%s", paths[other]);
          if (why[other])
            snprintf(info->other_problem, sizeof info->other_problem, "%s", strata_status_message(why[other]));
          else if (states[other] == MANIFEST_SLOT_MISSING)
            snprintf(info->other_problem, sizeof info->other_problem, "%.400s: missing", paths[other]);
          else info->other_problem[0] = '\0';
        }
      }
    }
  }
  for (int i = 0; i < 2; i++) {
    buffer_free(&files[i]);
    strata_status_free(why[i]);
  }
  return st;
}

strata_status *manifest_probe_slot(vfs *v, const char *dir, unsigned slot, manifest_slot_probe *out) {
  memset(out, 0, sizeof *out);
  slot_path(out->path, sizeof out->path, dir, slot);
  buffer file;
  buffer_init(&file);
  uint64_t epoch = 0;
  slice payload = {NULL, 0};
  strata_status *why = NULL;
  manifest_slot_state state = MANIFEST_SLOT_MISSING;
  strata_status *st = read_slot(v, out->path, &file, &epoch, &payload, &state, &why);
  out->exists = state != MANIFEST_SLOT_MISSING;
  if (!st && out->exists) {
    out->valid = why == NULL;
    out->epoch = out->valid ? epoch : (file.len >= SLOT_HEADER ? decode_fixed64(file.data + 8) : 0);
  }
  strata_status_free(why);
  buffer_free(&file);
  return st;
}
