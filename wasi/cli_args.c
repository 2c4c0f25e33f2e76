/*
 * cli_args.c -- the whole command line is parsed and checked here, before any command opens or
 * creates a database: a typo (`strata mydb dle k`) is a usage error that leaves nothing behind.
 * Options are "--name value" or "--name=value"; every command lists the options it takes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

const char cli_usage_text[] =
    "usage: strata DIR put KEY VALUE | get KEY | del KEY\n"
    "       strata DIR scan [--prefix P] [--reverse] [--limit N] [--gt K] [--gte K] [--lt K] [--lte K]\n"
    "       strata DIR stats | check | compact | flush\n"
    "       (DIR commands take --recovery strict|point-in-time)\n"
    "       strata repair DIR\n"
    "       strata export DIR FILE | strata import FILE DIR\n"
    "       strata demo [--dir ./data] [--count 200000]\n"
    "       strata version | strata xxh3 FILE... | strata help\n";

typedef enum opt_kind { OPT_FLAG, OPT_STRING, OPT_NUMBER } opt_kind;
typedef struct opt_spec {
  const char *name;
  opt_kind kind;
} opt_spec;

static const struct {
  const char *name;
  cli_command command;
  int positionals; /* KEY, KEY VALUE */
} db_commands[] = {
    {"put", CLI_PUT, 2},     {"get", CLI_GET, 1},     {"del", CLI_DEL, 1},         {"scan", CLI_SCAN, 0},
    {"stats", CLI_STATS, 0}, {"check", CLI_CHECK, 0}, {"compact", CLI_COMPACT, 0}, {"flush", CLI_FLUSH, 0},
};
#define DB_COMMAND_COUNT (sizeof db_commands / sizeof db_commands[0])

static const opt_spec db_options[] = {{"recovery", OPT_STRING}, {NULL, OPT_FLAG}};
static const opt_spec scan_options[] = {{"recovery", OPT_STRING}, {"prefix", OPT_STRING}, {"reverse", OPT_FLAG},
                                        {"limit", OPT_NUMBER},    {"gt", OPT_STRING},     {"gte", OPT_STRING},
                                        {"lt", OPT_STRING},       {"lte", OPT_STRING},    {NULL, OPT_FLAG}};
static const opt_spec demo_options[] = {{"dir", OPT_STRING}, {"count", OPT_NUMBER}, {NULL, OPT_FLAG}};
static const opt_spec no_options[] = {{NULL, OPT_FLAG}};

#define CLI_MAX_POSITIONALS 8 /* more than any command takes (xxh3's files are not collected) */

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

/* Stores one option's value into *a. */
static int set_option(cli_args *a, const char *name, const char *value, char *err, size_t errlen) {
  if (!strcmp(name, "recovery")) {
    if (!strcmp(value, "strict")) a->recovery = STRATA_RECOVERY_STRICT;
    else if (!strcmp(value, "point-in-time")) a->recovery = STRATA_RECOVERY_POINT_IN_TIME;
    else return fail(err, errlen, "--recovery must be strict or point-in-time, not \"%s\"", value);
  } else if (!strcmp(name, "prefix")) a->prefix = value;
  else if (!strcmp(name, "gt")) a->gt = value;
  else if (!strcmp(name, "gte")) a->gte = value;
  else if (!strcmp(name, "lt")) a->lt = value;
  else if (!strcmp(name, "lte")) a->lte = value;
  else if (!strcmp(name, "reverse")) a->reverse = 1;
  else if (!strcmp(name, "dir")) a->dir = value;
  else if (!strcmp(name, "limit") || !strcmp(name, "count")) {
    uint64_t n;
    if (!parse_u64(value, &n)) return fail(err, errlen, "--%s must be a whole number >= 0, not \"%s\"", name, value);
    if (name[0] == 'l') a->limit = n;
    else if (n < 1) return fail(err, errlen, "--count must be at least 1");
    else a->count = n;
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

int cli_parse(int argc, char **argv, cli_args *a, char *err, size_t errlen) {
  memset(a, 0, sizeof *a);
  a->recovery = STRATA_RECOVERY_STRICT;
  a->limit = UINT64_MAX;
  a->count = 200000;
  err[0] = '\0';
  if (argc < 1) return fail(err, errlen, "no command given");
  char *pos[CLI_MAX_POSITIONALS];
  int npos = 0;
  const char *first = argv[0];
  const char *second = argc > 1 ? argv[1] : NULL;
  if (!strcmp(first, "help") || !strcmp(first, "--help") || !strcmp(first, "-h")) {
    a->command = CLI_HELP;
    return argc == 1 ? 0 : fail(err, errlen, "help takes no arguments");
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
  if (!strcmp(first, "demo") && db_command_index(second) < 0 && !(second && !strcmp(second, "repair"))) {
    a->command = CLI_DEMO;
    a->dir = "./data";
    if (parse_options(argc - 1, argv + 1, demo_options, a, pos, &npos, err, errlen)) return -1;
    return expect_positionals("demo", npos, 0, "", err, errlen);
  }
  if (!strcmp(first, "repair") && second && db_command_index(second) < 0 && strcmp(second, "repair")) {
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
  const opt_spec *spec = a->command == CLI_SCAN ? scan_options : db_options;
  if (parse_options(argc - 2, argv + 2, spec, a, pos, &npos, err, errlen)) return -1;
  if (expect_positionals(second, npos, db_commands[c].positionals, db_commands[c].positionals == 2 ? "KEY VALUE" : "KEY",
                         err, errlen))
    return -1;
  if (npos >= 1) a->key = pos[0];
  if (npos >= 2) a->value = pos[1];
  return 0;
}
