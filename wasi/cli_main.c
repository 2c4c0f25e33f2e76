/*
 * cli_main.c -- the `strata` command-line tool's entry point, the same in every build: natively
 * (build/native/strata), as a WASI command module (build/wasi/strata.wasm; the npm package's
 * `strata` bin runs it under node:wasi), or `wasmtime run --dir . strata.wasm ...`.
 *
 *   strata DIR put KEY VALUE             write (synced); put and load create DIR
 *   strata DIR get KEY                   print the value; exit 1 when absent
 *   strata DIR del KEY                   delete (synced)
 *   strata DIR scan [--prefix P] [--reverse] [--limit N] [--gt K] [--gte K] [--lt K] [--lte K]
 *                                        print "key<TAB>value" lines
 *   strata DIR stats                     levels, memtable, cache, write amplification, recovery
 *   strata DIR check                     verify every table file and read every entry; exit 1 on damage
 *   strata DIR compact | flush           a major compaction; write the memtables to tables
 *   strata DIR load FILE [--format tsv|jsonl] [--batch N] [--sync] [--sorted] [--quiet]
 *                                        write a TSV or JSON-lines file, progress on stderr
 *   strata DIR dump [TABLE] [--limit N]  list the tables, or one table's summary, index and entries
 *   strata repair DIR                    rebuild a database that no longer opens (also DIR repair)
 *   strata export DIR FILE               write the database as one image file (docs/IMAGE.md)
 *   strata import FILE DIR               create DIR (missing or empty) from an image file
 *   strata bench [--n 100000] [--dir ./strata-bench] [--json] [--keep]   the WORKLOAD.md phases
 *   strata demo [--dir ./data] [--count 200000]
 *   strata version | xxh3 FILE... | help [COMMAND] | COMMAND --help
 *   (DIR commands take --recovery strict|point-in-time: what the open does with a damaged journal)
 *
 * The whole command line is checked before anything is opened (cli_args.c).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int main(int argc, char **argv) {
  cli_args a;
  char err[256];
  if (cli_parse(argc - 1, argv + 1, &a, err, sizeof err)) {
    fprintf(stderr, "strata: %s\n%s", err, cli_usage_text);
    return 2;
  }
  a.program = argc > 0 && argv[0][0] ? argv[0] : "strata";
  switch (a.command) {
    case CLI_HELP: cli_print_help(a.help_topic); return 0;
    case CLI_VERSION: printf("strata %s\n", strata_version_string()); return 0;
    case CLI_XXH3: return cli_run_xxh3(&a);
    case CLI_REPAIR: return cli_run_repair(&a);
    case CLI_DEMO: return cli_run_demo(&a);
    case CLI_LOAD: return cli_run_load(&a);
    case CLI_BENCH: return cli_run_bench(&a);
    case CLI_EXPORT: return cli_run_export(&a);
    case CLI_IMPORT: return cli_run_import(&a);
    default: return cli_run_db_command(&a);
  }
}
