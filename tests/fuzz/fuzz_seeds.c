/*
 * fuzz_seeds.c -- writes a seed corpus for fuzz_table into the folder given as argv[1]:
 * small tables (single-level and partitioned index, none and LZ4, with and without filter),
 * raw blocks and framed blocks, each prefixed with the selector byte fuzz_table.c expects.
 * With argv[2] and argv[3], also corpora for fuzz_journal and fuzz_manifest, from a real
 * database built on a memory VFS: its journals (whole, cut short) and manifest slots (raw,
 * as payloads, wrapped), with the selector bytes those targets expect; with argv[4], also
 * fuzz_image's: that database's image, whole and streamed in small pieces.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strata.h"
#include "table/block_header.h"
#include "table/block_writer.h"
#include "table/table_writer.h"
#include "util/checksum.h"
#include "vfs/vfs.h"

static int save(const char *dir, const char *name, uint8_t selector, const uint8_t *data, size_t len) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f) return 1;
  int bad = fwrite(&selector, 1, 1, f) != 1 || (len && fwrite(data, 1, len, f) != len);
  return fclose(f) != 0 || bad;
}

static int fail(strata_status *st) {
  fprintf(stderr, "fuzz_seeds: %s\n", strata_status_message(st));
  strata_status_free(st);
  return 1;
}

/* Saves a buffer under a selector byte. */
static int save_file(const char *dir, const char *name, uint8_t selector, const buffer *b) {
  return save(dir, name, selector, b->data, b->len);
}

static strata_status *read_in(vfs *v, const char *path, buffer *out) {
  buffer_init(out);
  return vfs_read_file(v, path, out);
}

typedef struct name_list {
  char names[64][32];
  int count;
} name_list;

static strata_status *add_name(void *ctx, const char *name, int is_dir) {
  name_list *l = ctx;
  if (!is_dir && l->count < 64) snprintf(l->names[l->count++], sizeof l->names[0], "%s", name);
  return NULL;
}

/* A small real database: tables on two levels, journals with puts, deletes and batches. */
static strata_status *build_db(vfs *v) {
  strata_options *o = NULL;
  STATUS_TRY(strata_options_new(&o));
  strata_status *st = strata_options_set_vfs(o, v);
  if (!st) st = strata_options_set_background_threads(o, 0);
  if (!st) st = strata_options_set_memtable_size(o, 4 << 10);
  if (!st) st = strata_options_set_max_sealed_memtables(o, 8);
  if (!st) st = strata_options_set_table_target_size(o, 4 << 10);
  strata_db *db = NULL;
  if (!st) st = strata_open("db", o, &db);
  strata_batch *b = NULL;
  if (!st) st = strata_batch_new(&b);
  for (int i = 0; !st && i < 600; i++) {
    char key[16], val[32];
    snprintf(key, sizeof key, "key%05d", i % 250);
    snprintf(val, sizeof val, "value-%d", i);
    if (i % 9 == 4) st = strata_delete(db, key, strlen(key), i % 2);
    else if (i % 7 == 3) {
      strata_batch_clear(b);
      st = strata_batch_put(b, key, strlen(key), val, strlen(val));
      if (!st) st = strata_batch_delete(b, "gone", 4);
      if (!st) st = strata_write(db, b, 1);
    } else st = strata_put(db, key, strlen(key), val, strlen(val), 0);
    if (!st && i == 200) st = strata_flush(db);
    if (!st && i == 300) st = strata_compact(db, 1);
    if (!st && i == 400) st = strata_flush(db);
  }
  strata_batch_free(b);
  strata_status *cst = db ? strata_close(db) : NULL;
  strata_options_free(o);
  if (st) {
    strata_status_free(cst);
    return st;
  }
  return cst;
}

static int recovery_seeds(const char *journal_dir, const char *manifest_dir) {
  vfs *v;
  strata_status *st = vfs_memory_new(&v);
  if (!st) st = build_db(v);
  name_list journals = {{{0}}, 0};
  if (!st) st = vfs_list(v, "db/journal", add_name, &journals);
  if (st) return fail(st);
  for (int i = 0; i < journals.count; i++) {
    char path[96], name[64];
    snprintf(path, sizeof path, "db/journal/%s", journals.names[i]);
    buffer b;
    if ((st = read_in(v, path, &b))) return fail(st);
    snprintf(name, sizeof name, "journal-%s", journals.names[i]);
    if (save_file(journal_dir, name, 0, &b)) return 1;
    snprintf(name, sizeof name, "journal-%s-fixed", journals.names[i]);
    if (save_file(journal_dir, name, 1, &b)) return 1;
    if (b.len > 20) { /* torn in the middle of its last record */
      b.len -= 5;
      snprintf(name, sizeof name, "journal-%s-torn", journals.names[i]);
      if (save_file(journal_dir, name, 0, &b)) return 1;
    }
    buffer_free(&b);
  }
  buffer slots[2];
  for (int i = 0; i < 2; i++) {
    char path[32], name[32];
    snprintf(path, sizeof path, "db/manifest-%d", i);
    if ((st = read_in(v, path, &slots[i]))) return fail(st);
    if (slots[i].len < 40) {
      fprintf(stderr, "fuzz_seeds: %s is only %zu bytes\n", path, slots[i].len);
      return 1;
    }
    /* 0: the payload (after the 24-byte header, before the 16-byte checksum) */
    snprintf(name, sizeof name, "payload-%d", i);
    if (save(manifest_dir, name, 0, slots[i].data + 24, slots[i].len - 40)) return 1;
    /* 1: epoch, no raw slot 0, the payload to wrap */
    buffer w;
    buffer_init(&w);
    if ((st = buffer_append(&w, slots[i].data + 8, 8)) || (st = buffer_append_byte(&w, 0)) ||
        (st = buffer_append(&w, slots[i].data + 24, slots[i].len - 40)))
      return fail(st);
    snprintf(name, sizeof name, "wrapped-%d", i);
    if (save_file(manifest_dir, name, 1, &w)) return 1;
    buffer_free(&w);
  }
  /* 2: both slots raw, slot 0's length first */
  buffer both;
  buffer_init(&both);
  uint8_t len0[2] = {(uint8_t)slots[0].len, (uint8_t)(slots[0].len >> 8)};
  if ((st = buffer_append(&both, len0, 2)) || (st = buffer_append(&both, slots[0].data, slots[0].len)) ||
      (st = buffer_append(&both, slots[1].data, slots[1].len)))
    return fail(st);
  if (save_file(manifest_dir, "slots", 2, &both)) return 1;
  buffer_free(&both);
  for (int i = 0; i < 2; i++) buffer_free(&slots[i]);
  vfs_destroy(v);
  return 0;
}

static int append_image(void *ctx, const void *data, size_t len) {
  strata_status *st = buffer_append(ctx, data, len);
  strata_status_free(st);
  return st != NULL;
}

/* The image of build_db's database (fuzz_image's selector: 0 whole, 1 + 2k pieces of k + 1). */
static int image_seeds(const char *dir) {
  vfs *v = NULL;
  strata_status *st = vfs_memory_new(&v);
  if (!st) st = build_db(v);
  strata_options *o = NULL;
  if (!st) st = strata_options_new(&o);
  if (!st) st = strata_options_set_vfs(o, v);
  strata_db *db = NULL;
  if (!st) st = strata_open("db", o, &db);
  buffer image;
  buffer_init(&image);
  if (!st) st = strata_put(db, "journal-only", 12, "yes", 3, 0);
  if (!st) st = strata_export_to(db, append_image, &image);
  if (db) strata_status_free(strata_close(db));
  strata_options_free(o);
  vfs_destroy(v);
  if (st) return fail(st);
  int bad = save_file(dir, "image", 0, &image) || save_file(dir, "image-pieces-7", 13, &image) ||
            save_file(dir, "image-pieces-128", 255, &image);
  buffer_free(&image);
  return bad;
}

int main(int argc, char **argv) {
  if (argc != 2 && argc != 4 && argc != 5) {
    fprintf(stderr,
            "usage: fuzz_seeds <table corpus dir> [<journal corpus dir> <manifest corpus dir> [<image corpus dir>]]\n");
    return 2;
  }
  if (argc >= 4 && recovery_seeds(argv[2], argv[3])) return 1;
  if (argc == 5 && image_seeds(argv[4])) return 1;
  vfs *v;
  strata_status *st = vfs_memory_new(&v);
  if (st) return fail(st);
  for (int variant = 0; variant < 4; variant++) {
    table_writer_options o;
    table_writer_options_default(&o);
    o.block_size = 128;
    o.partitioned_index = o.partitioned_filter = variant & 1;
    o.index_partition_size = 64;
    o.compression = variant & 2 ? COMPRESSION_LZ4 : COMPRESSION_NONE;
    o.filter_bits_per_key = variant == 3 ? 0 : 10;
    char name[32];
    snprintf(name, sizeof name, "t%d", variant);
    table_writer *w;
    if ((st = table_writer_open(v, name, &o, &w))) return fail(st);
    for (int i = 0; i < 40; i++) {
      char key[16], val[32];
      snprintf(key, sizeof key, "key%05d", i);
      snprintf(val, sizeof val, "value-%d-%d", i, variant);
      for (int ver = 0; ver < 1 + (i % 3); ver++) {
        internal_key k = internal_key_make(slice_from_cstr(key), (uint64_t)(100 - ver * 10),
                                           (value_type)((i + ver) % 3));
        if ((st = table_writer_add(w, &k, slice_from_cstr(val)))) return fail(st);
      }
    }
    if ((st = table_writer_finish(w, NULL, NULL))) return fail(st);
    buffer file;
    buffer_init(&file);
    if ((st = vfs_read_file(v, name, &file))) return fail(st);
    if (save(argv[1], name, 0, file.data, file.len)) return 1;
    buffer_free(&file);
  }
  /* raw and framed blocks */
  block_writer bw;
  block_writer_init(&bw, 4, 1);
  for (int i = 0; i < 30; i++) {
    char key[16];
    snprintf(key, sizeof key, "k%04d", i * 2);
    internal_key k = internal_key_make(slice_from_cstr(key), 9, VALUE_TYPE_VALUE);
    if ((st = block_writer_add(&bw, &k, slice_from_cstr("v"), checksum64(key, strlen(key))))) return fail(st);
  }
  slice raw;
  if ((st = block_writer_finish(&bw, &raw))) return fail(st);
  if (save(argv[1], "block", 1, raw.data, raw.len)) return 1;
  buffer scratch, framed;
  buffer_init(&scratch);
  buffer_init(&framed);
  if ((st = block_frame(BLOCK_TYPE_DATA, COMPRESSION_LZ4, raw, &scratch, &framed))) return fail(st);
  if (save(argv[1], "framed", 2, framed.data, framed.len)) return 1;
  buffer_free(&scratch);
  buffer_free(&framed);
  block_writer_free(&bw);
  /* round-trip descriptions (selector 3): option bytes, then entries */
  uint8_t rt[600];
  for (size_t i = 0; i < sizeof rt; i++) rt[i] = (uint8_t)(i * 37 + i / 7);
  rt[0] = 0;
  rt[1] = 3;
  rt[2] = 0x16; /* partitioned index and filter, lz4 */
  rt[3] = 0;
  if (save(argv[1], "roundtrip", 3, rt, sizeof rt)) return 1;
  vfs_destroy(v);
  return 0;
}
