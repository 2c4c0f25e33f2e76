/*
 * fuzz_seeds.c -- writes a seed corpus for fuzz_table into the folder given as argv[1]:
 * small tables (single-level and partitioned index, none and LZ4, with and without filter),
 * raw blocks and framed blocks, each prefixed with the selector byte fuzz_table.c expects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: fuzz_seeds <corpus dir>\n");
    return 2;
  }
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
