/*
 * test_cli_args.c -- the strata tool's command line (wasi/cli_args.c): every command parses to
 * what it asks for, and every typo or bad argument is refused by the parser, before the tool
 * opens anything (the tool ran the command only after cli_parse succeeded). Runs in every build,
 * the WASI one included. The tool itself is tested end to end by tests/js/cli.test.mjs.
 */
#include <stdarg.h>
#include <string.h>

#include "cli.h"
#include "harness.h"

/* Parses a NULL-terminated list of words (err: 256 bytes). */
static int parse(cli_args *a, char *err, const char *first, ...) {
  char *argv[32];
  int argc = 0;
  va_list ap;
  va_start(ap, first);
  for (const char *w = first; w && argc < 32; w = va_arg(ap, const char *)) argv[argc++] = (char *)w;
  va_end(ap);
  return cli_parse(argc, argv, a, err, 256);
}

static void db_commands_parse(void) {
  cli_args a;
  char err[256];
  CHECK(parse(&a, err, "db", "put", "k", "v", NULL) == 0);
  CHECK(a.command == CLI_PUT && !strcmp(a.dir, "db") && !strcmp(a.key, "k") && !strcmp(a.value, "v"));
  CHECK(parse(&a, err, "db", "get", "k", "--recovery", "point-in-time", NULL) == 0);
  CHECK(a.command == CLI_GET && a.recovery == STRATA_RECOVERY_POINT_IN_TIME);
  CHECK(parse(&a, err, "db", "del", "--recovery=strict", "k", NULL) == 0);
  CHECK(a.command == CLI_DEL && !strcmp(a.key, "k") && a.recovery == STRATA_RECOVERY_STRICT);
  CHECK(parse(&a, err, "db", "scan", "--prefix=p", "--reverse", "--limit", "7", "--gt", "a", "--gte", "b", "--lt", "y",
              "--lte", "z", NULL) == 0);
  CHECK(a.command == CLI_SCAN && !strcmp(a.prefix, "p") && a.reverse && a.limit == 7);
  CHECK(!strcmp(a.gt, "a") && !strcmp(a.gte, "b") && !strcmp(a.lt, "y") && !strcmp(a.lte, "z"));
  CHECK(parse(&a, err, "db", "scan", NULL) == 0);
  CHECK(a.limit == UINT64_MAX && !a.prefix && !a.reverse);
  const char *names[] = {"stats", "check", "compact", "flush"};
  const cli_command commands[] = {CLI_STATS, CLI_CHECK, CLI_COMPACT, CLI_FLUSH};
  for (int i = 0; i < 4; i++) {
    CHECK(parse(&a, err, "db", names[i], NULL) == 0);
    CHECK(a.command == commands[i]);
  }
}

static void other_commands_parse(void) {
  cli_args a;
  char err[256];
  CHECK(parse(&a, err, "repair", "db", NULL) == 0);
  CHECK(a.command == CLI_REPAIR && !strcmp(a.dir, "db"));
  CHECK(parse(&a, err, "db", "repair", NULL) == 0);
  CHECK(a.command == CLI_REPAIR && !strcmp(a.dir, "db"));
  CHECK(parse(&a, err, "demo", NULL) == 0);
  CHECK(a.command == CLI_DEMO && !strcmp(a.dir, "./data") && a.count == 200000);
  CHECK(parse(&a, err, "demo", "--count=12", "--dir", "d", NULL) == 0);
  CHECK(a.command == CLI_DEMO && !strcmp(a.dir, "d") && a.count == 12);
  CHECK(parse(&a, err, "demo", "get", "k", NULL) == 0); /* a database named demo */
  CHECK(a.command == CLI_GET && !strcmp(a.dir, "demo"));
  CHECK(parse(&a, err, "repair", "put", "k", "v", NULL) == 0); /* ... and one named repair */
  CHECK(a.command == CLI_PUT && !strcmp(a.dir, "repair"));
  CHECK(parse(&a, err, "export", "db", "db.image", NULL) == 0);
  CHECK(a.command == CLI_EXPORT && !strcmp(a.dir, "db") && !strcmp(a.file, "db.image"));
  CHECK(parse(&a, err, "import", "db.image", "copy", NULL) == 0);
  CHECK(a.command == CLI_IMPORT && !strcmp(a.dir, "copy") && !strcmp(a.file, "db.image"));
  CHECK(parse(&a, err, "export", "get", "k", NULL) == 0); /* a database named export */
  CHECK(a.command == CLI_GET && !strcmp(a.dir, "export"));
  CHECK(parse(&a, err, "version", NULL) == 0 && a.command == CLI_VERSION);
  CHECK(parse(&a, err, "--help", NULL) == 0 && a.command == CLI_HELP);
  CHECK(parse(&a, err, "xxh3", "f1", "f2", NULL) == 0);
  CHECK(a.command == CLI_XXH3 && a.file_count == 2 && !strcmp(a.files[1], "f2"));
  char *many[100];
  many[0] = "xxh3";
  for (int i = 1; i < 100; i++) many[i] = "f";
  CHECK(cli_parse(100, many, &a, err, sizeof err) == 0); /* any number of files */
  CHECK(a.file_count == 99);
}

/* The regression: `strata mydb dle k` made mydb/ before printing the usage. */
static void unknown_command_creates_nothing(void) {
  cli_args a;
  char err[256];
  CHECK(parse(&a, err, "mydb", "dle", "k", NULL) == -1);
  CHECK(strstr(err, "unknown command \"dle\"") != NULL);
  CHECK(parse(&a, err, "mydb", NULL) == -1);
  CHECK(strstr(err, "no command") != NULL);
  CHECK(cli_parse(0, NULL, &a, err, sizeof err) == -1);
}

static void bad_arguments_are_refused(void) {
  cli_args a;
  char err[256];
  struct {
    const char *words[14];
    const char *why;
  } cases[] = {
      {{"db", "put", "k", NULL}, "put takes KEY VALUE"},
      {{"db", "put", "k", "v", "w", NULL}, "put takes KEY VALUE"},
      {{"db", "get", NULL}, "get takes KEY"},
      {{"db", "stats", "x", NULL}, "stats takes no arguments"},
      {{"db", "scan", "--limit", "many", NULL}, "--limit must be a whole number"},
      {{"db", "scan", "--limit", "-1", NULL}, "--limit must be a whole number"},
      {{"db", "scan", "--limit", "99999999999999999999", NULL}, "--limit must be a whole number"},
      {{"db", "scan", "--limit", NULL}, "--limit needs a value"},
      {{"db", "scan", "--reverse=yes", NULL}, "--reverse takes no value"},
      {{"db", "scan", "--nope", NULL}, "unknown option --nope"},
      {{"db", "put", "k", "v", "--prefix", "p", NULL}, "unknown option --prefix"},
      {{"db", "get", "k", "--recovery", "lenient", NULL}, "--recovery must be strict or point-in-time"},
      {{"demo", "--count", "0", NULL}, "--count must be at least 1"},
      {{"demo", "extra", NULL}, "demo takes no arguments"},
      {{"repair", "db", "extra", NULL}, "repair takes DIR"},
      {{"db", "repair", "extra", NULL}, "repair takes no arguments"},
      {{"version", "x", NULL}, "version takes no arguments"},
      {{"export", "db", NULL}, "export takes DIR FILE"},
      {{"import", "a", "b", "c", NULL}, "import takes FILE DIR"},
      {{"export", "db", "f", "--force", NULL}, "unknown option --force"},
      {{"xxh3", NULL}, "xxh3 takes FILE"},
      {{"db", "get", "a", "b", "c", "d", "e", "f", "g", NULL}, "get takes KEY"},
      {{"db", "get", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", NULL}, "too many arguments"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int argc = 0;
    while (cases[i].words[argc]) argc++;
    CHECK(cli_parse(argc, (char **)cases[i].words, &a, err, sizeof err) == -1);
    if (!strstr(err, cases[i].why)) {
      harness_fail(__FILE__, __LINE__, "case %zu: \"%s\" does not say \"%s\"", i, err, cases[i].why);
      return;
    }
  }
}

/* load, dump, bench and help parse to what they ask for; their bad arguments are refused. */
static void new_commands_parse(void) {
  cli_args a;
  char err[256];
  CHECK(parse(&a, err, "db", "load", "in.tsv", NULL) == 0);
  CHECK(a.command == CLI_LOAD && !strcmp(a.file, "in.tsv") && a.format == CLI_FORMAT_TSV && a.batch == 1000);
  CHECK(parse(&a, err, "db", "load", "--batch=10", "--sync", "--quiet", "x.ndjson", NULL) == 0);
  CHECK(a.format == CLI_FORMAT_JSONL && a.batch == 10 && a.sync && a.quiet && !strcmp(a.file, "x.ndjson"));
  CHECK(!a.sorted);
  CHECK(parse(&a, err, "db", "load", "in.jsonl", "--sorted", "--quiet", NULL) == 0 && a.sorted && a.quiet);
  CHECK(parse(&a, err, "db", "load", "data", "--format", "jsonl", NULL) == 0);
  CHECK(a.format == CLI_FORMAT_JSONL && !strcmp(a.file, "data"));
  CHECK(parse(&a, err, "db", "dump", NULL) == 0 && a.command == CLI_DUMP && !a.table);
  CHECK(parse(&a, err, "db", "dump", "12", "--limit", "3", NULL) == 0 && !strcmp(a.table, "12") && a.limit == 3);
  CHECK(parse(&a, err, "bench", NULL) == 0);
  CHECK(a.command == CLI_BENCH && a.count == 100000 && !strcmp(a.dir, "./strata-bench") && !a.json);
  CHECK(parse(&a, err, "bench", "--n", "500", "--json", "--keep", "--dir=b", NULL) == 0);
  CHECK(a.count == 500 && a.json && a.keep && !strcmp(a.dir, "b"));
  CHECK(parse(&a, err, "bench", "get", "k", NULL) == 0 && a.command == CLI_GET && !strcmp(a.dir, "bench"));
  CHECK(parse(&a, err, "help", "load", NULL) == 0 && a.command == CLI_HELP && !strcmp(a.help_topic, "load"));
  CHECK(parse(&a, err, "load", "--help", NULL) == 0 && a.command == CLI_HELP && !strcmp(a.help_topic, "load"));
  CHECK(parse(&a, err, "db", "scan", "--prefix", "p", "-h", NULL) == 0 && !strcmp(a.help_topic, "scan"));
  CHECK(parse(&a, err, "db", "frobnicate", "--help", NULL) == 0 && a.command == CLI_HELP && !a.help_topic);
  CHECK(parse(&a, err, "help", NULL) == 0 && !a.help_topic);
  struct {
    const char *words[8];
    const char *why;
  } cases[] = {
      {{"db", "load", NULL}, "load takes FILE"},
      {{"db", "load", "a.tsv", "b.tsv", NULL}, "load takes FILE"},
      {{"db", "load", "a.csv", NULL}, "does not say its format"},
      {{"db", "load", "a.tsv", "--format", "csv", NULL}, "--format must be tsv or jsonl"},
      {{"db", "load", "a.tsv", "--batch", "0", NULL}, "--batch must be at least 1"},
      {{"db", "load", "a.tsv", "--batch", "1048577", NULL}, "--batch must be at most 1048576"},
      {{"db", "load", "a.tsv", "--sorted", "--batch", "5", NULL}, "--batch and --sync do not apply"},
      {{"db", "load", "--sync", "a.tsv", "--sorted", NULL}, "--batch and --sync do not apply"},
      {{"db", "dump", "1", "2", NULL}, "dump takes at most TABLE"},
      {{"bench", "--n", "0", NULL}, "--n must be at least 1"},
      {{"bench", "--n", "2147483648", NULL}, "--n must be at most 2147483647"},
      {{"bench", "extra", NULL}, "bench takes no arguments"},
      {{"help", "frobnicate", NULL}, "no help for \"frobnicate\""},
      {{"help", "put", "get", NULL}, "help takes at most one COMMAND"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int argc = 0;
    while (cases[i].words[argc]) argc++;
    CHECK(cli_parse(argc, (char **)cases[i].words, &a, err, sizeof err) == -1);
    if (!strstr(err, cases[i].why)) {
      harness_fail(__FILE__, __LINE__, "case %zu: \"%s\" does not say \"%s\"", i, err, cases[i].why);
      return;
    }
  }
}

int main(void) {
  RUN(db_commands_parse);
  RUN(new_commands_parse);
  RUN(other_commands_parse);
  RUN(unknown_command_creates_nothing);
  RUN(bad_arguments_are_refused);
  return harness_finish();
}
