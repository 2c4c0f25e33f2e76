/*
 * cli_args.c -- the whole command line is parsed and checked here, before any command opens or
 * creates a database: a typo (`strata mydb dle k`) is a usage error that leaves nothing behind.
 * Options are "--name value" or "--name=value" (an optional value, as --kv-separation[=N] has,
 * only in the second form); every command lists the options it takes.
 * `--help` (or -h) anywhere asks for the help of the command it follows (cli_help.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef enum opt_kind { OPT_FLAG, OPT_STRING, OPT_NUMBER, OPT_OPTIONAL_NUMBER } opt_kind;
typedef struct opt_spec {
  const char *name;
  opt_kind kind;
} opt_spec;

static const opt_spec db_options[] = {{"recovery", OPT_STRING}, {NULL, OPT_FLAG}};
/* put and load create the database: they choose its mode */
static const opt_spec put_options[] = {{"recovery", OPT_STRING}, {"kv-separation", OPT_OPTIONAL_NUMBER}, {NULL, OPT_FLAG}};
static const opt_spec scan_options[] = {{"recovery", OPT_STRING}, {"prefix", OPT_STRING}, {"reverse", OPT_FLAG},
                                        {"limit", OPT_NUMBER},    {"gt", OPT_STRING},     {"gte", OPT_STRING},
                                        {"lt", OPT_STRING},       {"lte", OPT_STRING},    {NULL, OPT_FLAG}};
static const opt_spec load_options[] = {{"recovery", OPT_STRING}, {"format", OPT_STRING}, {"batch", OPT_NUMBER},
                                        {"sync", OPT_FLAG},       {"quiet", OPT_FLAG},    {"sorted", OPT_FLAG},
                                        {"kv-separation", OPT_OPTIONAL_NUMBER},           {NULL, OPT_FLAG}};
static const opt_spec dump_options[] = {{"recovery", OPT_STRING}, {"limit", OPT_NUMBER}, {NULL, OPT_FLAG}};
static const opt_spec demo_options[] = {{"dir", OPT_STRING}, {"count", OPT_NUMBER}, {NULL, OPT_FLAG}};
static const opt_spec bench_options[] = {
    {"dir", OPT_STRING}, {"n", OPT_NUMBER}, {"json", OPT_FLAG}, {"keep", OPT_FLAG}, {NULL, OPT_FLAG}};
static const opt_spec no_options[] = {{NULL, OPT_FLAG}};

static const struct {
  const char *name;
  cli_command command;
  int min_positionals, max_positionals;
  const char *positionals; /* for the message when the count is wrong */
  const opt_spec *options;
} db_commands[] = {
    {"put", CLI_PUT, 2, 2, "KEY VALUE", put_options},
    {"get", CLI_GET, 1, 1, "KEY", db_options},
    {"del", CLI_DEL, 1, 1, "KEY", db_options},
    {"scan", CLI_SCAN, 0, 0, "", scan_options},
    {"stats", CLI_STATS, 0, 0, "", db_options},
    {"check", CLI_CHECK, 0, 0, "", db_options},
    {"compact", CLI_COMPACT, 0, 0, "", db_options},
    {"flush", CLI_FLUSH, 0, 0, "", db_options},
    {"load", CLI_LOAD, 1, 1, "FILE", load_options},
    {"dump", CLI_DUMP, 0, 1, "at most TABLE", dump_options},
};
#define DB_COMMAND_COUNT (sizeof db_commands / sizeof db_commands[0])

#define CLI_MAX_POSITIONALS 8 /* more than any command takes (xxh3's files are not collected) */
#define BENCH_N_MAX 0x7FFFFFFFu  /* the generator's index range (bench/workload.h) */

static int fail(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  return -1;
}

static int db_command_index(const char *name) {
  if (!name) return -1;
  for (size_t i = 0; i < DB_COMMAND_COUNT; i++)
    if (!strcmp(db_commands[i].name, name)) return (int)i;
  return -1;
}

/* A whole number >= 0 that fits in 64 bits. */
static int parse_u64(const char *s, uint64_t *out) {
  if (!*s) return 0;
  uint64_t v = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9') return 0;
    uint64_t d = (uint64_t)(*p - '0');
    if (v > (UINT64_MAX - d) / 10) return 0;
    v = v * 10 + d;
  }
  *out = v;
  return 1;
}

/* A number option within [min, max]. */
static int number_in(const char *name, const char *value, uint64_t min, uint64_t max, uint64_t *out, char *err,
                     size_t errlen) {
  uint64_t n;
  if (!parse_u64(value, &n)) return fail(err, errlen, "--%s must be a whole number >= 0, not \"%s\"", name, value);
  if (n < min) return fail(err, errlen, "--%s must be at least %llu", name, (unsigned long long)min);
  if (n > max) return fail(err, errlen, "--%s must be at most %llu", name, (unsigned long long)max);
  *out = n;
  return 0;
}

/* Stores one option's value into *a. */
static int set_option(cli_args *a, const char *name, const char *value, char *err, size_t errlen) {
  if (!strcmp(name, "recovery")) {
    if (!strcmp(value, "strict")) a->recovery = STRATA_RECOVERY_STRICT;
    else if (!strcmp(value, "point-in-time")) a->recovery = STRATA_RECOVERY_POINT_IN_TIME;
    else return fail(err, errlen, "--recovery must be strict or point-in-time, not \"%s\"", value);
  } else if (!strcmp(name, "format")) {
    if (!strcmp(value, "tsv")) a->format = CLI_FORMAT_TSV;
    else if (!strcmp(value, "jsonl")) a->format = CLI_FORMAT_JSONL;
    else return fail(err, errlen, "--format must be tsv or jsonl, not \"%s\"", value);
  } else if (!strcmp(name, "prefix")) a->prefix = value;
  else if (!strcmp(name, "gt")) a->gt = value;
  else if (!strcmp(name, "gte")) a->gte = value;
  else if (!strcmp(name, "lt")) a->lt = value;
  else if (!strcmp(name, "lte")) a->lte = value;
  else if (!strcmp(name, "reverse")) a->reverse = 1;
  else if (!strcmp(name, "sync")) a->sync = 1;
  else if (!strcmp(name, "quiet")) a->quiet = 1;
  else if (!strcmp(name, "sorted")) a->sorted = 1;
  else if (!strcmp(name, "json")) a->json = 1;
  else if (!strcmp(name, "keep")) a->keep = 1;
  else if (!strcmp(name, "dir")) a->dir = value;
  else if (!strcmp(name, "limit")) return number_in(name, value, 0, UINT64_MAX, &a->limit, err, errlen);
  else if (!strcmp(name, "count")) return number_in(name, value, 1, UINT64_MAX, &a->count, err, errlen);
  else if (!strcmp(name, "n")) return number_in(name, value, 1, BENCH_N_MAX, &a->count, err, errlen);
  else if (!strcmp(name, "kv-separation")) { /* without a value: the engine's default threshold */
    uint64_t t = STRATA_DEFAULT_KV_THRESHOLD;
    if (*value && number_in(name, value, STRATA_KV_THRESHOLD_MIN, STRATA_KV_THRESHOLD_MAX, &t, err, errlen)) return -1;
    a->kv_threshold = (uint32_t)t;
  }
  else if (!strcmp(name, "batch")) {
    a->batch_given = 1;
    return number_in(name, value, 1, STRATA_BATCH_COUNT_MAX, &a->batch, err, errlen);
  }
  return 0;
}

/* Splits args into positionals (kept in order in pos) and the options spec allows. */
static int parse_options(int argc, char **argv, const opt_spec *spec, cli_args *a, char **pos, int *npos, char *err,
                         size_t errlen) {
  *npos = 0;
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    if (strncmp(arg, "--", 2) || !arg[2]) {
      if (*npos == CLI_MAX_POSITIONALS) return fail(err, errlen, "too many arguments");
      pos[(*npos)++] = argv[i];
      continue;
    }
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
    const opt_spec *o = spec;
    while (o->name && (strlen(o->name) != len || strncmp(o->name, arg + 2, len))) o++;
    if (!o->name) return fail(err, errlen, "unknown option --%.*s", (int)len, arg + 2);
    const char *value = NULL;
    if (o->kind == OPT_FLAG) {
      if (eq) return fail(err, errlen, "--%s takes no value", o->name);
      value = "";
    } else if (o->kind == OPT_OPTIONAL_NUMBER) { /* the next argument is never its value */
      if (eq && !eq[1]) return fail(err, errlen, "--%s= needs a number after the =", o->name);
      value = eq ? eq + 1 : "";
    } else if (eq) {
      value = eq + 1;
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return fail(err, errlen, "--%s needs a value", o->name);
    }
    if (set_option(a, o->name, value, err, errlen)) return -1;
  }
  return 0;
}

static int expect_positionals(const char *cmd, int npos, int want, const char *names, char *err, size_t errlen) {
  if (npos == want) return 0;
  return fail(err, errlen, "%s takes %s", cmd, want ? names : "no arguments");
}

/* The format a file name implies, or CLI_FORMAT_AUTO when it implies none. */
static cli_load_format format_of(const char *file) {
  static const struct {
    const char *ext;
    cli_load_format format;
  } exts[] = {{".tsv", CLI_FORMAT_TSV}, {".txt", CLI_FORMAT_TSV}, {".jsonl", CLI_FORMAT_JSONL},
              {".ndjson", CLI_FORMAT_JSONL}, {".json", CLI_FORMAT_JSONL}};
  size_t n = strlen(file);
  for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
    size_t e = strlen(exts[i].ext);
    if (n > e && !strcmp(file + n - e, exts[i].ext)) return exts[i].format;
  }
  return CLI_FORMAT_AUTO;
}

/* `--help`/`-h` anywhere: the help of the command named first or second (DIR CMD --help). */
static int parse_help_request(int argc, char **argv, cli_args *a) {
  int asked = 0;
  for (int i = 0; i < argc; i++)
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) asked = 1;
  if (!asked) return 0;
  a->command = CLI_HELP;
  if (argc > 1 && db_command_index(argv[1]) >= 0) a->help_topic = argv[1];
  else if (cli_help_has_topic(argv[0])) a->help_topic = argv[0];
  else if (argc > 1 && cli_help_has_topic(argv[1])) a->help_topic = argv[1];
  if (a->help_topic && !strcmp(a->help_topic, "help")) a->help_topic = NULL;
  return 1;
}

int cli_parse(int argc, char **argv, cli_args *a, char *err, size_t errlen) {
  memset(a, 0, sizeof *a);
  a->recovery = STRATA_RECOVERY_STRICT;
  a->limit = UINT64_MAX;
  a->count = 200000;
  a->batch = 1000;
  err[0] = '\0';
  if (argc < 1) return fail(err, errlen, "no command given");
  if (parse_help_request(argc, argv, a)) return 0;
  char *pos[CLI_MAX_POSITIONALS];
  int npos = 0;
  const char *first = argv[0];
  const char *second = argc > 1 ? argv[1] : NULL;
  int second_is_db_command = db_command_index(second) >= 0 || (second && !strcmp(second, "repair"));
  if (!strcmp(first, "help")) {
    a->command = CLI_HELP;
    if (argc > 2) return fail(err, errlen, "help takes at most one COMMAND");
    if (second && !cli_help_has_topic(second)) return fail(err, errlen, "no help for \"%s\": not a command", second);
    a->help_topic = second && strcmp(second, "help") ? second : NULL;
    return 0;
  }
  if (!strcmp(first, "version")) {
    a->command = CLI_VERSION;
    return argc == 1 ? 0 : fail(err, errlen, "version takes no arguments");
  }
  if (!strcmp(first, "xxh3")) {
    a->command = CLI_XXH3;
    a->files = argv + 1;
    a->file_count = argc - 1;
    return argc > 1 ? 0 : fail(err, errlen, "xxh3 takes FILE...");
  }
  if (!strcmp(first, "demo") && !second_is_db_command) { /* `strata demo get k`: a database named demo */
    a->command = CLI_DEMO;
    a->dir = "./data";
    if (parse_options(argc - 1, argv + 1, demo_options, a, pos, &npos, err, errlen)) return -1;
    return expect_positionals("demo", npos, 0, "", err, errlen);
  }
  if (!strcmp(first, "bench") && !second_is_db_command) {
    a->command = CLI_BENCH;
    a->dir = "./strata-bench";
    a->count = 100000;
    if (parse_options(argc - 1, argv + 1, bench_options, a, pos, &npos, err, errlen)) return -1;
    return expect_positionals("bench", npos, 0, "", err, errlen);
  }
  if (!strcmp(first, "repair") && second && !second_is_db_command) {
    a->command = CLI_REPAIR;
    if (parse_options(argc - 1, argv + 1, no_options, a, pos, &npos, err, errlen)) return -1;
    if (npos != 1) return fail(err, errlen, "repair takes DIR and nothing else");
    a->dir = pos[0];
    return 0;
  }
  if ((!strcmp(first, "export") || !strcmp(first, "import")) && second && db_command_index(second) < 0 &&
      strcmp(second, "repair")) {
    int is_export = first[0] == 'e';
    a->command = is_export ? CLI_EXPORT : CLI_IMPORT;
    if (parse_options(argc - 1, argv + 1, no_options, a, pos, &npos, err, errlen)) return -1;
    if (npos != 2) return fail(err, errlen, "%s", is_export ? "export takes DIR FILE" : "import takes FILE DIR");
    a->dir = pos[is_export ? 0 : 1];
    a->file = pos[is_export ? 1 : 0];
    return 0;
  }
  a->dir = first;
  if (!second) return fail(err, errlen, "no command given after %s", first);
  if (!strcmp(second, "repair")) {
    a->command = CLI_REPAIR;
    if (parse_options(argc - 2, argv + 2, no_options, a, pos, &npos, err, errlen)) return -1;
    return expect_positionals("repair", npos, 0, "", err, errlen);
  }
  int c = db_command_index(second);
  if (c < 0) return fail(err, errlen, "unknown command \"%s\"", second);
  a->command = db_commands[c].command;
  if (parse_options(argc - 2, argv + 2, db_commands[c].options, a, pos, &npos, err, errlen)) return -1;
  if (db_commands[c].min_positionals == db_commands[c].max_positionals) {
    if (expect_positionals(second, npos, db_commands[c].min_positionals, db_commands[c].positionals, err, errlen))
      return -1;
  } else if (npos < db_commands[c].min_positionals || npos > db_commands[c].max_positionals) {
    return fail(err, errlen, "%s takes %s", second, db_commands[c].positionals);
  }
  if (a->command == CLI_LOAD) {
    a->file = pos[0];
    if (a->format == CLI_FORMAT_AUTO) a->format = format_of(a->file);
    if (a->format == CLI_FORMAT_AUTO)
      return fail(err, errlen, "load: the name %s does not say its format (.tsv, .txt, .jsonl, .ndjson, .json); pass --format tsv|jsonl", a->file);
    if (a->sorted && (a->batch_given || a->sync))
      return fail(err, errlen, "load --sorted writes no batches and no journal: --batch and --sync do not apply");
  } else if (a->command == CLI_DUMP) a->table = npos ? pos[0] : NULL;
  else {
    if (npos >= 1) a->key = pos[0];
    if (npos >= 2) a->value = pos[1];
  }
  return 0;
}
