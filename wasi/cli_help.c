/*
 * cli_help.c -- the usage (`strata help`) and each command's help (`strata help CMD`,
 * `strata CMD --help`, `strata DIR CMD --help`), on stdout with exit code 0.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

const char cli_usage_text[] =
    "usage: strata DIR put KEY VALUE [--kv-separation[=N]] | get KEY | del KEY\n"
    "       strata DIR scan [--prefix P] [--reverse] [--limit N] [--gt K] [--gte K] [--lt K] [--lte K]\n"
    "       strata DIR load FILE [--format tsv|jsonl] [--batch N] [--sync] [--sorted] [--quiet]\n"
    "                            [--kv-separation[=N]]\n"
    "       strata DIR stats | check | compact | flush | dump [TABLE] [--limit N]\n"
    "       (DIR commands take --recovery strict|point-in-time)\n"
    "       strata repair DIR\n"
    "       strata export DIR FILE | strata import FILE DIR\n"
    "       strata bench [--n 100000] [--dir ./strata-bench] [--json] [--keep]\n"
    "       strata demo [--dir ./data] [--count 200000]\n"
    "       strata version | strata xxh3 FILE... | strata help [COMMAND] | strata COMMAND --help\n";

const char cli_exit_codes_text[] =
    "exit codes: 0 ok; 1 a runtime failure, reported as \"strata: CODE: message\" on stderr (an engine\n"
    "error, an absent key, damage found by check, a bad input file, a failed bench check);\n"
    "2 bad usage (the reason and the usage on stderr; nothing was opened or created)\n";

static const char recovery_text[] =
    "  --recovery strict|point-in-time   what the open does with a damaged journal: strict (the\n"
    "                                    default) refuses to open; point-in-time opens at the last\n"
    "                                    consistent point and moves the rest to DIR/lost/\n";

static const char kv_separation_text[] =
    "  --kv-separation[=N]  a database this command creates keeps values of at least N bytes (default\n"
    "                     1,024; 1 .. 134,217,728) in blob files (DIR/blobs), so compaction moves small\n"
    "                     handles instead of them. The mode is fixed at creation and every later\n"
    "                     command follows it without the option; N is not stored (later flushes\n"
    "                     separate at 1,024 bytes), so with the option the command flushes what it\n"
    "                     wrote before it exits. On a database created without it, the option is\n"
    "                     an error (exit 1) and nothing is written; on a separated one, N applies to\n"
    "                     what this command writes.\n";

enum { TAKES_RECOVERY = 1, TAKES_KV_SEPARATION = 2 };

static const struct topic {
  const char *name;
  const char *synopsis;
  const char *text;
  int options; /* which shared option texts follow: TAKES_RECOVERY | TAKES_KV_SEPARATION */
} topics[] = {
    {"put", "strata DIR put KEY VALUE [--kv-separation[=N]]",
     "Writes KEY = VALUE (the bytes of the arguments) and syncs the journal before it exits.\n"
     "put and load are the commands that create DIR when it holds no database.\n",
     TAKES_RECOVERY | TAKES_KV_SEPARATION},
    {"get", "strata DIR get KEY",
     "Prints the value of KEY and a newline on stdout; exits 1 (\"STRATA_NOT_FOUND: key ... not found\"\n"
     "on stderr, nothing on stdout) when KEY is absent.\n",
     1},
    {"del", "strata DIR del KEY", "Deletes KEY (synced). Deleting an absent key is not an error.\n", 1},
    {"scan", "strata DIR scan [--prefix P] [--reverse] [--limit N] [--gt K] [--gte K] [--lt K] [--lte K]",
     "Prints \"key<TAB>value\" lines (the bytes as stored) in key order, or in reverse order.\n"
     "  --prefix P         only keys that start with P\n"
     "  --gt/--gte K       keys above (or from) K;  --lt/--lte K: keys below (or up to) K\n"
     "                     the bounds and the prefix intersect: the tightest bound wins\n"
     "  --reverse          from the last key down\n"
     "  --limit N          at most N lines (0 prints nothing)\n",
     1},
    {"load", "strata DIR load FILE [--format tsv|jsonl] [--batch N] [--sync] [--sorted] [--quiet] [--kv-separation[=N]]",
     "Writes every record of FILE, in the file's order, in atomic batches. The whole file is read and\n"
     "checked first: a malformed line (named by FILE:LINE), a key over 65,535 bytes or a value over\n"
     "128 MiB is an error (exit 1) before anything is written or created. Creates DIR if needed.\n"
     "  --format tsv       one record a line: KEY<TAB>VALUE (the bytes before the first TAB, then the\n"
     "                     rest of the line; a CR before the LF is dropped; empty lines are skipped).\n"
     "                     No escapes: what `scan` prints loads back as it was.\n"
     "  --format jsonl     one JSON object a line: {\"key\": \"...\", \"value\": ...}; the key is a JSON\n"
     "                     string (stored as its UTF-8), the value a string (its UTF-8) or any other\n"
     "                     JSON value (stored as its JSON text). Other members are an error;\n"
     "                     blank lines are skipped.\n"
     "                     Without --format: .tsv/.txt are tsv, .jsonl/.ndjson/.json are jsonl.\n"
     "  --batch N          records per atomic batch (default 1,000; at most 1,048,576)\n"
     "  --sync             sync the journal after every batch (default: the last batch only)\n"
     "  --sorted           bulk ingestion: the keys must ascend strictly (bytes compared unsigned;\n"
     "                     a key not above the one before is an error naming FILE:LINE, found\n"
     "                     before anything is written). The records go straight into tables of the\n"
     "                     last level, skipping the journal and the memtable, and become visible\n"
     "                     all at once, durably, at the end; a failed load leaves nothing behind.\n"
     "                     DIR must hold no tables yet (a new database, or one whose writes are\n"
     "                     all still in the memtable); --batch and --sync do not apply.\n"
     "  --quiet            no progress line\n"
     "Progress goes to stderr, on a terminal or not: redrawn in place at most 10 times a second on a\n"
     "terminal, otherwise one line per 10% of the file. The records a progress line counts have been\n"
     "written (acknowledged by the database); the summary line goes to stdout.\n",
     TAKES_RECOVERY | TAKES_KV_SEPARATION},
    {"stats", "strata DIR stats",
     "Prints the tables and bytes of each level, the memtable, the block cache, the bytes written and\n"
     "read, write amplification, and what the open recovered from the journals.\n",
     1},
    {"check", "strata DIR check",
     "Verifies every checksum of every file: the open checks the manifest slot and every journal record\n"
     "it replays; check then reads every table file in DIR/tables whole (its file checksum) and every\n"
     "data block in it (each block's checksum), counting the entries of every version, every blob file\n"
     "in DIR/blobs whole (every record's checksum and the file's), and reads every live entry through\n"
     "the database. Reports the counts of files, blocks, records and entries; exits 1 when anything is\n"
     "damaged (each damaged file named on stderr).\n",
     1},
    {"compact", "strata DIR compact",
     "Major compaction: flushes, then merges every table into one run in the last level, dropping\n"
     "deleted keys and old versions. Prints the time and the levels afterwards.\n",
     1},
    {"flush", "strata DIR flush", "Writes the memtables (the journal's unflushed writes) to tables.\n", 1},
    {"dump", "strata DIR dump [TABLE] [--limit N]",
     "Without TABLE: lists the table files (id, bytes, entries, data blocks, key range).\n"
     "With TABLE (an id from that list): the table's summary (entries by kind, seqnos, key range,\n"
     "compression, filter), its index (one line per data block: offset, stored size, last key), then\n"
     "its entries of every version as \"key<TAB>seqno<TAB>kind<TAB>value\", keys and values escaped\n"
     "(\\\\ \\t \\n \\r \\xNN) so that every entry is one line.\n"
     "  --limit N          at most N entries\n",
     1},
    {"repair", "strata repair DIR   (or strata DIR repair)",
     "Rebuilds a database that no longer opens: keeps the tables that verify, salvages every intact\n"
     "journal batch, writes a new manifest and moves what it could not use to DIR/lost/.\n",
     0},
    {"export", "strata export DIR FILE",
     "Writes the database in DIR as one image file FILE (docs/IMAGE.md), which must not exist: every\n"
     "write acknowledged before the export, the same bytes in every build.\n",
     0},
    {"import", "strata import FILE DIR",
     "Creates the database DIR (missing or an empty folder) from the image FILE, verifying every byte,\n"
     "then opens it once (replaying its journal) and reports what it holds.\n",
     0},
    {"bench", "strata bench [--n 100000] [--dir ./strata-bench] [--json] [--keep]",
     "Runs the WORKLOAD.md phases (fillseq, fillbatch, fillrandom, settle, readrandom, readmissing,\n"
     "seekrandom, readseq; the code of bench/db_bench) on Strata in this build, in a folder that\n"
     "must not exist or be empty, and removes it afterwards (--keep: leave fillrandom's database).\n"
     "Prints a table, or with --json the JSON lines bench/run.mjs reads. Exits 1 when a phase's\n"
     "check fails (a missed read, a found absent key, a misplaced seek, an unordered scan).\n"
     "  --n N              keys (default 100,000; at most 2,147,483,647)\n",
     0},
    {"demo", "strata demo [--dir ./data] [--count 200000]",
     "Loads generated records with a progress line, reads a random sample back, scans a prefix, shows\n"
     "a snapshot keeping old values, flushes, and prints the stats and timings. Replaces the folder\n"
     "of an earlier demo, and no other.\n",
     0},
    {"version", "strata version", "Prints the engine's version.\n", 0},
    {"xxh3", "strata xxh3 FILE...", "Prints the xxh3-64 of each file (as the engine computes it).\n", 0},
    {"help", "strata help [COMMAND]", "The usage, or one command's help (also: strata COMMAND --help).\n", 0},
};
#define TOPIC_COUNT (sizeof topics / sizeof topics[0])

int cli_help_has_topic(const char *name) {
  if (!name) return 0;
  for (size_t i = 0; i < TOPIC_COUNT; i++)
    if (!strcmp(topics[i].name, name)) return 1;
  return 0;
}

void cli_print_help(const char *topic) {
  for (size_t i = 0; topic && i < TOPIC_COUNT; i++) {
    if (strcmp(topics[i].name, topic)) continue;
    printf("usage: %s\n\n%s", topics[i].synopsis, topics[i].text);
    if (topics[i].options & TAKES_KV_SEPARATION) fputs(kv_separation_text, stdout);
    if (topics[i].options & TAKES_RECOVERY) fputs(recovery_text, stdout);
    putchar('\n');
    fputs(cli_exit_codes_text, stdout);
    return;
  }
  fputs(cli_usage_text, stdout);
  putchar('\n');
  fputs(cli_exit_codes_text, stdout);
  fputs("`strata help COMMAND` (or `strata COMMAND --help`) explains one command.\n", stdout);
}
