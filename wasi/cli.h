/*
 * cli.h -- the `strata` command-line tool, one implementation for every build: natively
 * (build/native/strata) and as a WASI command module (build/wasi/strata.wasm, which the npm
 * package's bin runs under node:wasi). The files, one concept each:
 *   cli_main.c     main: parse the whole command line, then run one command
 *   cli_args.c     the command line -> cli_args (validated before anything is opened or created)
 *   cli_help.c     the usage and each command's --help
 *   cli_format.c   numbers, byte sizes, durations, tables, the stats and recovery reports
 *   cli_db.c       the DIR commands: put, get, del, scan, stats, check, compact, flush; repair
 *   cli_load.c     DIR load FILE: TSV or JSON lines, validated whole before the first write
 *   cli_dump.c     DIR dump [TABLE]: the table files, or one table's summary, blocks and entries
 *   cli_bench.c    strata bench: the WORKLOAD.md phases (bench/bench_phases.c) on Strata
 *   cli_demo.c     strata demo
 *   cli_image.c    strata export DIR FILE, strata import FILE DIR (database images, docs/IMAGE.md)
 * Exit codes (cli_exit_codes_text): 0 ok; 1 a runtime failure ("strata: CODE: message" on
 * stderr): an engine error, an absent key (get), damage found (check), a bad input file (load),
 * a failed benchmark check (bench); 2 bad usage (the reason and the usage on stderr; nothing was
 * opened or created).
 */
#ifndef STRATA_CLI_H
#define STRATA_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "strata.h"

typedef enum cli_command {
  CLI_HELP,
  CLI_VERSION,
  CLI_XXH3,
  CLI_PUT,
  CLI_GET,
  CLI_DEL,
  CLI_SCAN,
  CLI_STATS,
  CLI_CHECK,
  CLI_COMPACT,
  CLI_FLUSH,
  CLI_REPAIR,
  CLI_DEMO,
  CLI_LOAD,
  CLI_DUMP,
  CLI_BENCH,
  CLI_EXPORT,
  CLI_IMPORT
} cli_command;

typedef enum cli_load_format { CLI_FORMAT_AUTO, CLI_FORMAT_TSV, CLI_FORMAT_JSONL } cli_load_format;

typedef struct cli_args {
  cli_command command;
  const char *program;         /* how the user ran the tool (argv[0]), for hints */
  const char *dir;             /* the database folder (DIR commands, repair, demo, export, import) */
  const char *file;            /* load's input; export's and import's image file */
  const char *key, *value;     /* put, get, del */
  char **files;                /* xxh3 */
  int file_count;
  strata_recovery_mode recovery;
  /* scan */
  const char *prefix, *gt, *gte, *lt, *lte;
  int reverse;
  uint64_t limit;              /* UINT64_MAX: none */
  /* demo; bench (--n) */
  uint64_t count;
  /* help: the command asked about (NULL: the whole usage) */
  const char *help_topic;
  /* load */
  cli_load_format format;
  uint64_t batch;
  int batch_given, sync, quiet;
  int sorted; /* --sorted: bulk ingestion (strata_ingest_*) of strictly ascending keys */
  /* put, load: --kv-separation[=N] (0: not given): a database they create separates values of at
   * least N bytes into blob files. The database stores its mode, not N (a later open without the
   * option separates at STRATA_DEFAULT_KV_THRESHOLD), and values are separated at flush: so with
   * the option, put and load flush what they wrote before they exit. */
  uint32_t kv_threshold;
  /* dump: the table (NULL: list them); bench */
  const char *table;
  int json, keep;
} cli_args;

/* --- cli_args.c --- */
/* Parses argv (without argv[0]). 0 on success; otherwise -1 with the reason in err. */
int cli_parse(int argc, char **argv, cli_args *out, char *err, size_t errlen);

/* --- cli_help.c --- */
extern const char cli_usage_text[];      /* every command, one line each */
extern const char cli_exit_codes_text[];
/* 1 when name is a command `help` knows (put ... bench, repair, demo, version, xxh3, help). */
int cli_help_has_topic(const char *name);
/* The usage (topic NULL) or one command's help, on stdout. */
void cli_print_help(const char *topic);

/* --- cli_format.c --- */
/* Formatters writing into a caller's buffer (at least 32 bytes); each returns the buffer. */
char *cli_num(uint64_t n, char *buf);       /* 1,234,567 */
char *cli_bytes(uint64_t n, char *buf);     /* 12.3 KiB */
char *cli_ms(double ms, char *buf);         /* 12.3 ms, 1.23 s */
double cli_now_ms(void);                    /* monotonic */
/* A table: the first column left-aligned, the others right-aligned, two spaces apart. */
typedef char cli_cell[48];
void cli_print_table(cli_cell (*rows)[4], int nrows, int ncols);
/* "name  value" lines with the values in one column. */
void cli_print_pairs(const char *const *names, const char *const *values, int n);
void cli_print_stats(const strata_stats *s);
void cli_print_recovery(const strata_recovery_report *r);
void cli_print_bytes(const void *p, size_t n); /* raw to stdout */
/* Bytes as one readable line: printable ASCII and bytes >= 0x80 (UTF-8) as they are; backslash,
 * TAB, LF, CR as \\ \t \n \r; other control bytes as \xNN. */
void cli_print_escaped(FILE *f, const void *p, size_t n);
int cli_report(strata_status *st);          /* "strata: CODE: message" on stderr, frees st; returns 1 */

/*
 * A progress line on stderr ("load [####....]  42% 84,000/200,000  61,000 records/s", for load,
 * demo and compact): redrawn in place on a terminal (at most every 100 ms), otherwise one plain
 * line each time another `step` of the total is done (a quarter unless set), and a last one.
 * `unit` "bytes" shows sizes and a byte rate (load: the input file's bytes, with the records
 * written beside them: cli_progress_records), anything else counts. The total may grow between
 * updates (strata_progress_fn's). Callers update only after what they count was written.
 */
typedef struct cli_progress {
  const char *label, *unit;
  uint64_t total, records;
  int tty, show_records;
  double step, start, last_draw, next_mark;
} cli_progress;
void cli_progress_start(cli_progress *p, const char *label, const char *unit, uint64_t total);
void cli_progress_set_step(cli_progress *p, double step); /* non-terminal lines every `step` of the total */
void cli_progress_records(cli_progress *p, uint64_t records);
void cli_progress_update(cli_progress *p, uint64_t done, uint64_t total);
void cli_progress_end(cli_progress *p, uint64_t done);

/* --- cli_db.c --- */
/* Opens a->dir with a->recovery; without `create`, a missing folder or one that holds no
 * database is STRATA_NOT_FOUND and nothing is created. */
strata_status *cli_open_db(const cli_args *a, int create, strata_db **db);
int cli_run_db_command(const cli_args *a);
int cli_run_repair(const cli_args *a);
int cli_run_xxh3(const cli_args *a);

/* Opens a.dir for a command (only put and load create: create = 1). */
strata_status *cli_open_db(const cli_args *a, int create, strata_db **db);

/* --- cli_load.c --- */
int cli_run_load(const cli_args *a);
/* --- cli_dump.c --- */
int cli_run_dump(strata_db *db, const cli_args *a);
/* --- cli_bench.c --- */
int cli_run_bench(const cli_args *a);

/* --- cli_image.c --- */
int cli_run_export(const cli_args *a);
int cli_run_import(const cli_args *a);

/* --- cli_demo.c --- */
int cli_run_demo(const cli_args *a);

#endif /* STRATA_CLI_H */
