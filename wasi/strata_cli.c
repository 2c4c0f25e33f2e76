/*
 * strata_cli.c -- the `strata` command-line tool, built natively and as a WASI command module
 * (`node scripts/wasi-run.mjs build/wasi/strata.wasm ...` or `wasmtime run --dir . strata.wasm ...`).
 *
 *   strata version                       the engine version
 *   strata xxh3 FILE...                  xxh3-64 of each file, read through the VFS
 *   strata DIR put KEY VALUE             write (synced)
 *   strata DIR get KEY                   print the value, or exit 1 when absent
 *   strata DIR del KEY                   delete (synced)
 *   strata DIR scan [--prefix P] [--reverse] [--limit N]   print "key<TAB>value" lines
 *   strata DIR stats                     levels, tables and counters, and what recovery did
 *   strata DIR check                     what recovery did, then read every entry; exit 1 on an error
 *   strata DIR flush                     write memtables to tables
 *   strata repair DIR                    rebuild a database that no longer opens (also DIR repair)
 *   (DIR commands take --recovery strict|point-in-time: what the open does with a damaged journal)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strata.h"
#include "util/buffer.h"
#include "util/status.h"
#include "vfs/vfs.h"

static int usage(void) {
  fprintf(stderr,
          "usage: strata version | strata xxh3 FILE...\n"
          "       strata DIR put KEY VALUE | get KEY | del KEY | flush | stats | check\n"
          "       strata DIR scan [--prefix P] [--reverse] [--limit N]\n"
          "       (DIR commands take --recovery strict|point-in-time)\n"
          "       strata repair DIR\n");
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

static void print_bytes(const void *p, size_t n) { fwrite(p, 1, n, stdout); }

static strata_status *scan(strata_db *db, int argc, char **argv) {
  const char *prefix = NULL;
  int reverse = 0;
  long limit = -1;
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--prefix") && i + 1 < argc) prefix = argv[++i];
    else if (!strcmp(argv[i], "--reverse")) reverse = 1;
    else if (!strcmp(argv[i], "--limit") && i + 1 < argc) limit = strtol(argv[++i], NULL, 10);
    else return status_new(STRATA_INVALID_ARGUMENT, "unknown scan option %s", argv[i]);
  }
  strata_iterator *it = NULL;
  strata_status *st = prefix ? strata_iterator_new_prefix(db, NULL, prefix, strlen(prefix), &it)
                             : strata_iterator_new(db, NULL, NULL, &it);
  if (st) return st;
  if (reverse) strata_iterator_seek_last(it);
  else strata_iterator_seek_first(it);
  for (long n = 0; strata_iterator_valid(it) && (limit < 0 || n < limit); n++) {
    size_t kl, vl;
    const void *k = strata_iterator_key(it, &kl);
    const void *v = strata_iterator_value(it, &vl);
    print_bytes(k, kl);
    putchar('\t');
    print_bytes(v, vl);
    putchar('\n');
    if (reverse) strata_iterator_prev(it);
    else strata_iterator_next(it);
  }
  st = strata_iterator_status(it);
  strata_iterator_close(it);
  return st;
}

/* What the open's recovery found and did (strata_get_recovery_report). */
static strata_status *print_recovery(strata_db *db) {
  strata_recovery_report r;
  strata_status *st = strata_get_recovery_report(db, &r);
  if (st) return st;
  printf("recovery: replayed %" PRIu64 " batches from %u journals, highest seqno seen %" PRIu64 "\n",
         r.batches_replayed, r.journals_replayed, r.highest_seqno_seen);
  if (r.torn_bytes_cut)
    printf("recovery: cut a torn tail of %" PRIu64 " bytes from the newest journal\n", r.torn_bytes_cut);
  if (r.damaged)
    printf("recovery: damage in journal %" PRIu64 " at offset %" PRIu64
           ": opened at the last consistent point, %" PRIu64 " later batches set aside\n",
           r.damaged_journal, r.damaged_offset, r.batches_discarded);
  if (r.manifest_fallback) printf("recovery: the newer manifest slot was torn; the older one was used\n");
  if (r.files_moved_to_lost) printf("recovery: %u files moved to lost/\n", r.files_moved_to_lost);
  if (r.obsolete_files_removed) printf("recovery: %" PRIu64 " obsolete files removed\n", r.obsolete_files_removed);
  return NULL;
}

/* Reads every entry once: every live table block is read and its checksum verified. */
static strata_status *check(strata_db *db) {
  strata_iterator *it = NULL;
  strata_status *st = strata_iterator_new(db, NULL, NULL, &it);
  if (st) return st;
  uint64_t n = 0, bytes = 0;
  for (strata_iterator_seek_first(it); strata_iterator_valid(it); strata_iterator_next(it)) {
    size_t kl, vl;
    strata_iterator_key(it, &kl);
    strata_iterator_value(it, &vl);
    n++;
    bytes += kl + vl;
  }
  st = strata_iterator_status(it);
  strata_iterator_close(it);
  if (st) return status_wrap(st, "check failed after %" PRIu64 " good entries", n);
  printf("check: ok, %" PRIu64 " entries (%" PRIu64 " bytes of keys and values)\n", n, bytes);
  return print_recovery(db);
}

static strata_status *stats(strata_db *db) {
  strata_stats s;
  strata_status *st = strata_get_stats(db, &s);
  if (st) return st;
  printf("level  runs  tables  bytes\n");
  for (uint32_t l = 0; l < s.level_count; l++)
    printf("L%-5u %4u  %6u  %" PRIu64 "\n", l, s.levels[l].runs, s.levels[l].tables, s.levels[l].bytes);
  printf("memtable bytes %" PRIu64 ", sealed %u\n", s.memtable_bytes, s.sealed_memtables);
  printf("flushes %" PRIu64 ", compactions %" PRIu64 ", stalls %" PRIu64 "\n", s.flushes, s.compactions,
         s.write_stalls);
  printf("bytes written: user %" PRIu64 ", flush %" PRIu64 ", compaction %" PRIu64 "\n", s.bytes_written_user,
         s.bytes_written_flush, s.bytes_written_compaction);
  printf("cache hits %" PRIu64 ", misses %" PRIu64 "\nseqno %" PRIu64 "\n", s.cache_hits, s.cache_misses, s.seqno);
  return print_recovery(db);
}

/* Takes "--recovery MODE" out of argv (anywhere after the command) into *mode. */
static int take_recovery_flag(int *argc, char **argv, strata_recovery_mode *mode) {
  for (int i = 0; i < *argc; i++) {
    if (strcmp(argv[i], "--recovery")) continue;
    if (i + 1 >= *argc) return 0;
    if (!strcmp(argv[i + 1], "strict")) *mode = STRATA_RECOVERY_STRICT;
    else if (!strcmp(argv[i + 1], "point-in-time")) *mode = STRATA_RECOVERY_POINT_IN_TIME;
    else return 0;
    memmove(argv + i, argv + i + 2, (size_t)(*argc - i - 2) * sizeof *argv);
    *argc -= 2;
    i--;
  }
  return 1;
}

/* Runs strata_repair and prints what it kept and lost; exit 1 when it failed. */
static int repair_command(const char *dir) {
  strata_repair_report r;
  strata_status *st = strata_repair(dir, NULL, &r);
  if (st) return report(st);
  if (r.log) fputs(r.log, stdout);
  printf("repair: %u tables found, %u kept, %u damaged and %u obsolete (moved to lost/), %u merged, %u written\n",
         r.tables_found, r.tables_kept, r.tables_damaged, r.tables_obsolete, r.tables_merged, r.tables_written);
  printf("journals: %u read, %" PRIu64 " batches salvaged, %" PRIu64 " damaged batches and %" PRIu64
         " damaged bytes lost, %" PRIu64 " torn bytes\n",
         r.journals_read, r.journal_batches_salvaged, r.journal_batches_lost, r.journal_bytes_lost,
         r.journal_torn_bytes);
  printf("manifest slots damaged %u, files moved to lost/ %u\nentries %" PRIu64 ", highest seqno %" PRIu64 "\n",
         r.manifest_slots_damaged, r.files_moved_to_lost, r.entries, r.highest_seqno);
  strata_repair_report_clear(&r);
  return 0;
}

static int database_command(const char *dir, const char *cmd, int argc, char **argv) {
  strata_recovery_mode mode = STRATA_RECOVERY_STRICT;
  if (!take_recovery_flag(&argc, argv, &mode)) return usage();
  strata_options *o = NULL;
  strata_status *st = strata_options_new(&o);
  if (st) return report(st);
  int reading = !strcmp(cmd, "get") || !strcmp(cmd, "scan") || !strcmp(cmd, "stats") || !strcmp(cmd, "check");
  st = strata_options_set_recovery_mode(o, mode);
  if (st) {
    strata_options_free(o);
    return report(st);
  }
  strata_db *db = NULL;
  st = strata_options_set_create_if_missing(o, !reading);
  if (!st) st = strata_open(dir, o, &db);
  strata_options_free(o);
  if (st) return report(st);
  int rc = 0;
  if (!strcmp(cmd, "put") && argc == 2) {
    st = strata_put(db, argv[0], strlen(argv[0]), argv[1], strlen(argv[1]), 1);
  } else if (!strcmp(cmd, "del") && argc == 1) {
    st = strata_delete(db, argv[0], strlen(argv[0]), 1);
  } else if (!strcmp(cmd, "get") && argc == 1) {
    int found = 0;
    void *v = NULL;
    size_t vl = 0;
    st = strata_get(db, NULL, argv[0], strlen(argv[0]), &found, &v, &vl);
    if (!st && found) {
      print_bytes(v, vl);
      putchar('\n');
    }
    if (!st && !found) rc = 1;
    strata_free(v);
  } else if (!strcmp(cmd, "scan")) {
    st = scan(db, argc, argv);
  } else if (!strcmp(cmd, "stats") && argc == 0) {
    st = stats(db);
  } else if (!strcmp(cmd, "check") && argc == 0) {
    st = check(db);
  } else if (!strcmp(cmd, "flush") && argc == 0) {
    st = strata_flush(db);
  } else {
    rc = usage();
  }
  if (st) rc = report(st);
  st = strata_close(db);
  if (st) rc = report(st);
  return rc;
}

int main(int argc, char **argv) {
  if (argc < 2) return usage();
  if (!strcmp(argv[1], "version") && argc == 2) {
    printf("strata %s\n", strata_version_string());
    return 0;
  }
  if (!strcmp(argv[1], "xxh3") && argc > 2) return checksum_files(argc - 2, argv + 2);
  if (!strcmp(argv[1], "repair") && argc == 3) return repair_command(argv[2]);
  if (argc == 3 && !strcmp(argv[2], "repair")) return repair_command(argv[1]);
  if (argc >= 3) return database_command(argv[1], argv[2], argc - 3, argv + 3);
  return usage();
}
