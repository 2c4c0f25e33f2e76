/*
 * lock_tool.c -- a test helper (not a test): holds and tries database locks from a native or
 * WASI process for tests/js/lock_matrix.test.mjs, and runs the lock record codec on the C side
 * so the JS codec can be compared with it byte for byte.
 *
 *   lock_tool hold DIR     open DIR, print "open", wait for a line on stdin (or its end), close
 *   lock_tool try DIR      open DIR and put a key: print "open", or "<CODE> <message>"
 *   lock_tool twice DIR    open DIR twice in this process: print the second open's result
 *   lock_tool encode RUNTIME PID START HOST SINCE TOKEN   print the encoded record
 *   lock_tool decode FILE  print "RUNTIME PID START HOST SINCE TOKEN", or "<CODE> <message>"
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strata.h"
#include "util/buffer.h"
#include "vfs/lock_record.h"
#include "vfs/vfs.h"

static int print_status(strata_status *st) {
  printf("%s %s\n", strata_code_name(strata_status_code(st)), strata_status_message(st));
  strata_status_free(st);
  fflush(stdout);
  return 0;
}

static int hold(const char *dir) {
  strata_db *db;
  strata_status *st = strata_open(dir, NULL, &db);
  if (st) return print_status(st);
  printf("open\n");
  fflush(stdout);
  char line[64];
  if (!fgets(line, sizeof line, stdin)) line[0] = 0; /* a line or the end of input releases */
  strata_close(db);
  printf("closed\n");
  return 0;
}

static int try_open(const char *dir) {
  strata_db *db;
  strata_status *st = strata_open(dir, NULL, &db);
  if (st) return print_status(st);
  st = strata_put(db, "k", 1, "v", 1, 1);
  strata_close(db);
  if (st) return print_status(st);
  printf("open\n");
  return 0;
}

static int twice(const char *dir) {
  strata_db *a, *b;
  strata_status *st = strata_open(dir, NULL, &a);
  if (st) return print_status(st);
  st = strata_open(dir, NULL, &b);
  if (st) print_status(st);
  else {
    printf("open\n");
    strata_close(b);
  }
  strata_close(a);
  return 0;
}

static int encode(char **f) {
  lock_record r;
  memset(&r, 0, sizeof r);
  snprintf(r.runtime, sizeof r.runtime, "%s", f[0]);
  r.pid = (uint32_t)strtoul(f[1], NULL, 10);
  r.start = strtoull(f[2], NULL, 10);
  lock_record_set_host(&r, f[3]);
  r.since = strtoull(f[4], NULL, 10);
  snprintf(r.token, sizeof r.token, "%s", f[5]);
  char out[LOCK_RECORD_MAX];
  size_t len;
  strata_status *st = lock_record_encode(&r, out, &len);
  if (st) return print_status(st);
  fwrite(out, 1, len, stdout);
  return 0;
}

static int decode(const char *file) {
  vfs *fs;
  strata_status *st = vfs_posix_new(&fs);
  if (st) return print_status(st);
  buffer b;
  buffer_init(&b);
  lock_record r;
  st = vfs_read_file(fs, file, &b);
  if (!st) st = lock_record_decode(b.data, b.len, file, &r);
  buffer_free(&b);
  vfs_destroy(fs);
  if (st) return print_status(st);
  printf("%s %" PRIu32 " %" PRIu64 " %s %" PRIu64 " %s\n", r.runtime, r.pid, r.start, r.host, r.since, r.token);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "hold")) return hold(argv[2]);
  if (argc == 3 && !strcmp(argv[1], "try")) return try_open(argv[2]);
  if (argc == 3 && !strcmp(argv[1], "twice")) return twice(argv[2]);
  if (argc == 8 && !strcmp(argv[1], "encode")) return encode(argv + 2);
  if (argc == 3 && !strcmp(argv[1], "decode")) return decode(argv[2]);
  fprintf(stderr, "usage: lock_tool hold|try|twice DIR | encode RUNTIME PID START HOST SINCE TOKEN | decode FILE\n");
  return 2;
}
