/* cli_format.c -- how the tool prints numbers, sizes, durations, tables and its reports. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "util/db_files.h"

char *cli_num(uint64_t n, char *buf) {
  char digits[24];
  int len = snprintf(digits, sizeof digits, "%" PRIu64, n);
  char *p = buf;
  for (int i = 0; i < len; i++) {
    if (i > 0 && (len - i) % 3 == 0) *p++ = ',';
    *p++ = digits[i];
  }
  *p = '\0';
  return buf;
}

char *cli_bytes(uint64_t n, char *buf) {
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  if (n < 1024) {
    snprintf(buf, 32, "%" PRIu64 " B", n);
    return buf;
  }
  double v = (double)n;
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    u++;
  }
  snprintf(buf, 32, v < 10 ? "%.2f %s" : "%.1f %s", v, units[u]);
  return buf;
}

char *cli_ms(double ms, char *buf) {
  if (ms < 1000) snprintf(buf, 32, "%.1f ms", ms);
  else snprintf(buf, 32, "%.2f s", ms / 1000);
  return buf;
}

double cli_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void cli_print_bytes(const void *p, size_t n) { fwrite(p, 1, n, stdout); }

void cli_print_escaped(FILE *f, const void *p, size_t n) {
  const unsigned char *s = p;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = s[i];
    if (c == '\\') fputs("\\\\", f);
    else if (c == '\t') fputs("\\t", f);
    else if (c == '\n') fputs("\\n", f);
    else if (c == '\r') fputs("\\r", f);
    else if (c < 0x20 || c == 0x7f) fprintf(f, "\\x%02x", c);
    else fputc(c, f);
  }
}

int cli_report(strata_status *st) {
  fflush(stdout);
  fprintf(stderr, "strata: %s: %s\n", strata_code_name(strata_status_code(st)), strata_status_message(st));
  strata_status_free(st);
  return 1;
}

void cli_print_table(cli_cell (*rows)[4], int nrows, int ncols) {
  size_t width[4] = {0, 0, 0, 0};
  for (int r = 0; r < nrows; r++)
    for (int c = 0; c < ncols; c++)
      if (strlen(rows[r][c]) > width[c]) width[c] = strlen(rows[r][c]);
  for (int r = 0; r < nrows; r++) {
    char line[4 * 52];
    size_t at = 0;
    for (int c = 0; c < ncols; c++) {
      int w = (int)width[c];
      at += (size_t)snprintf(line + at, sizeof line - at, c == 0 ? "%-*s" : "  %*s", w, rows[r][c]);
    }
    while (at > 0 && line[at - 1] == ' ') at--; /* no trailing blanks (an empty last cell) */
    line[at] = '\0';
    puts(line);
  }
}

void cli_print_pairs(const char *const *names, const char *const *values, int n) {
  int w = 0;
  for (int i = 0; i < n; i++)
    if ((int)strlen(names[i]) > w) w = (int)strlen(names[i]);
  for (int i = 0; i < n; i++) printf("%-*s  %s\n", w, names[i], values[i]);
}

/* The counters (cache, bytes written, flushes) count since this open. */
void cli_print_stats(const strata_stats *s) {
  cli_cell rows[18][4];
  int n = 0;
  /* the header row as one line (its words are labels, not the folder names of db_files.h) */
  sscanf("level tables runs bytes", "%15s %15s %15s %15s", rows[0][0], rows[0][1], rows[0][2], rows[0][3]);
  n = 1;
  uint64_t tables = 0, total = 0;
  for (uint32_t l = 0; l < s->level_count && l < 16; l++, n++) {
    snprintf(rows[n][0], sizeof rows[n][0], "L%u", l);
    cli_num(s->levels[l].tables, rows[n][1]);
    cli_num(s->levels[l].runs, rows[n][2]);
    cli_bytes(s->levels[l].bytes, rows[n][3]);
    tables += s->levels[l].tables;
    total += s->levels[l].bytes;
  }
  strcpy(rows[n][0], "total");
  cli_num(tables, rows[n][1]);
  rows[n][2][0] = '\0';
  cli_bytes(total, rows[n][3]);
  cli_print_table(rows, n + 1, 4);
  putchar('\n');

  char a[32], b[32], c[32], d[32], e[32];
  char memtable[96], cache[192], written[160], read[64], wamp[64], counts[192], seqno[128];
  snprintf(memtable, sizeof memtable, "%s, %u sealed", cli_bytes(s->memtable_bytes, a), s->sealed_memtables);
  uint64_t lookups = s->cache_hits + s->cache_misses;
  char rate[32] = "";
  if (lookups) snprintf(rate, sizeof rate, " (%.1f%% hits)", 100.0 * (double)s->cache_hits / (double)lookups);
  snprintf(cache, sizeof cache, "%s hits, %s misses%s, %s cached", cli_num(s->cache_hits, a), cli_num(s->cache_misses, b),
           rate, cli_bytes(s->cache_bytes, c));
  snprintf(written, sizeof written, "user %s, flush %s, compaction %s", cli_bytes(s->bytes_written_user, a),
           cli_bytes(s->bytes_written_flush, b), cli_bytes(s->bytes_written_compaction, c));
  snprintf(read, sizeof read, "compaction %s", cli_bytes(s->bytes_read_compaction, a));
  if (s->write_amplification > 0) snprintf(wamp, sizeof wamp, "%.2f", s->write_amplification);
  else snprintf(wamp, sizeof wamp, "n/a (no writes since open)");
  snprintf(counts, sizeof counts, "%s, compactions %s, write stalls %s, slowdowns %s", cli_num(s->flushes, a),
           cli_num(s->compactions, b), cli_num(s->write_stalls, c), cli_num(s->write_slowdowns, d));
  snprintf(seqno, sizeof seqno, "%s, %u snapshots open, %u versions alive", cli_num(s->seqno, e), s->snapshots_open,
           s->versions_alive);
  const char *names[] = {"memtable", "block cache", "bytes written", "bytes read", "write amplification", "flushes",
                         "seqno"};
  const char *values[] = {memtable, cache, written, read, wamp, counts, seqno};
  cli_print_pairs(names, values, 7);
}

/* What the open found in the journals and the manifest, and what it did about it. */
void cli_print_recovery(const strata_recovery_report *r) {
  char a[32], b[32], c[32];
  char lines[6][192];
  const char *names[6];
  const char *values[6];
  int n = 0;
  snprintf(lines[n], sizeof lines[n], "replayed %s batches from %s journals, highest seqno seen %s",
           cli_num(r->batches_replayed, a), cli_num(r->journals_replayed, b), cli_num(r->highest_seqno_seen, c));
  names[n++] = "recovery";
  if (r->torn_bytes_cut) {
    snprintf(lines[n], sizeof lines[n], "%s cut from the newest journal", cli_bytes(r->torn_bytes_cut, a));
    names[n++] = "torn tail";
  }
  if (r->damaged) {
    snprintf(lines[n], sizeof lines[n],
             "journal %" PRIu64 " at offset %s: opened at the last consistent point, %s later batches set aside",
             r->damaged_journal, cli_num(r->damaged_offset, a), cli_num(r->batches_discarded, b));
    names[n++] = "damage";
  }
  if (r->manifest_fallback) {
    snprintf(lines[n], sizeof lines[n], "the newer slot was torn; the older one was used");
    names[n++] = "manifest";
  }
  if (r->files_moved_to_lost) {
    snprintf(lines[n], sizeof lines[n], "%s files moved there by this open", cli_num(r->files_moved_to_lost, a));
    names[n++] = DB_DIR_LOST "/"; /* the folder those files went to */
  }
  if (r->obsolete_files_removed) {
    snprintf(lines[n], sizeof lines[n], "%s removed", cli_num(r->obsolete_files_removed, a));
    names[n++] = "obsolete files";
  }
  for (int i = 0; i < n; i++) values[i] = lines[i];
  cli_print_pairs(names, values, n);
}

/* --- the progress line ------------------------------------------------------------------- */

void cli_progress_start(cli_progress *p, const char *label, const char *unit, uint64_t total) {
  memset(p, 0, sizeof *p);
  p->label = label;
  p->unit = unit;
  p->total = total;
  p->tty = isatty(2);
  p->start = cli_now_ms();
  p->step = 0.25;
  p->next_mark = p->step;
}

void cli_progress_set_step(cli_progress *p, double step) {
  p->step = step;
  p->next_mark = step;
}

void cli_progress_records(cli_progress *p, uint64_t records) {
  p->records = records;
  p->show_records = 1;
}

static void progress_line(const cli_progress *p, uint64_t done, const char *end) {
  double frac = p->total ? (double)done / (double)p->total : 1;
  if (frac > 1) frac = 1;
  double secs = (cli_now_ms() - p->start) / 1000;
  uint64_t rate = secs > 0 ? (uint64_t)((double)done / secs + 0.5) : 0;
  char bar[31], a[32], b[32], c[32], r[64] = "";
  int filled = (int)(frac * 30 + 0.5);
  for (int i = 0; i < 30; i++) bar[i] = i < filled ? '#' : '.';
  bar[30] = '\0';
  int bytes = strcmp(p->unit, "bytes") == 0;
  if (p->show_records) snprintf(r, sizeof r, "  %s records", cli_num(p->records, c));
  if (bytes)
    fprintf(stderr, "%s%s [%s] %3d%% %s/%s%s  %s/s%s", p->tty ? "\r" : "", p->label, bar, (int)(frac * 100),
            cli_bytes(done, a), cli_bytes(p->total, b), r, cli_bytes(rate, c), end);
  else
    fprintf(stderr, "%s%s [%s] %3d%% %s/%s  %s %s/s%s", p->tty ? "\r" : "", p->label, bar, (int)(frac * 100),
            cli_num(done, a), cli_num(p->total, b), cli_num(rate, c), p->unit, end);
}

void cli_progress_update(cli_progress *p, uint64_t done, uint64_t total) {
  double now = cli_now_ms();
  p->total = total;
  if (p->tty) {
    if (now - p->last_draw >= 100 || done == p->total) {
      p->last_draw = now;
      progress_line(p, done, "\x1b[K");
    }
  } else if (p->total && (double)done / (double)p->total >= p->next_mark) {
    while ((double)done / (double)p->total >= p->next_mark) p->next_mark += p->step;
    progress_line(p, done, "\n");
  }
}

void cli_progress_end(cli_progress *p, uint64_t done) {
  if (p->tty) progress_line(p, done, "\x1b[K\n");
  else if (done < p->total || p->next_mark <= 1 || p->total == 0) progress_line(p, done, "\n");
}
