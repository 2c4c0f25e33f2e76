/*
 * strata_cli.c -- the `strata` command-line tool, built natively and as a WASI command module
 * (`node scripts/wasi-run.mjs build/wasi/strata.wasm ...` or `wasmtime run --dir . strata.wasm ...`).
 *
 *   strata version          prints the engine version
 *   strata xxh3 FILE...     prints the xxh3-64 checksum of each file, read through the VFS
 *
 * Database commands (get, put, scan, stats, check, compact) arrive with the database layer.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "strata.h"
#include "util/buffer.h"
#include "vfs/vfs.h"

static int usage(void) {
  fprintf(stderr, "usage: strata version | strata xxh3 FILE...\n");
  return 2;
}

static int report(strata_status *st) {
  fprintf(stderr, "strata: %s: %s\n", strata_code_name(strata_status_code(st)), strata_status_message(st));
  strata_status_free(st);
  return 1;
}

static int checksum_files(int argc, char **argv) {
  vfs *fs = NULL;
  strata_status *st = vfs_posix_new(&fs);
  if (st) return report(st);
  buffer contents;
  buffer_init(&contents);
  int rc = 0;
  for (int i = 0; i < argc && rc == 0; i++) {
    st = vfs_read_file(fs, argv[i], &contents);
    if (st) {
      rc = report(st);
      break;
    }
    printf("%016" PRIx64 "  %s\n", strata_xxh3_64(contents.data, contents.len), argv[i]);
  }
  buffer_free(&contents);
  vfs_destroy(fs);
  return rc;
}

int main(int argc, char **argv) {
  if (argc < 2) return usage();
  if (!strcmp(argv[1], "version") && argc == 2) {
    printf("strata %s\n", strata_version_string());
    return 0;
  }
  if (!strcmp(argv[1], "xxh3") && argc > 2) return checksum_files(argc - 2, argv + 2);
  return usage();
}
