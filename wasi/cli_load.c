/*
 * cli_load.c -- `strata DIR load FILE`: the records of a TSV or JSON-lines file, written in the
 * file's order in atomic batches.
 *
 * Two passes over the file: the first parses and checks every line (format, key and value
 * limits) and counts the records, so a bad file is refused (naming FILE:LINE:COLUMN) before the
 * database is opened or created and nothing of it is half-loaded; the second writes. A full batch
 * is written when the next record arrives, so the last batch is always written with a sync and
 * an acknowledged load is durable. The progress line (cli_progress) counts written records only.
 *
 * --sorted: pass 1 also checks that the keys ascend strictly, and pass 2 hands the records to bulk
 * ingestion (strata_ingest_*: no journal, no memtable) instead of batches. Nothing is visible
 * before strata_ingest_finish installs it all; on any error the ingest is abandoned, which
 * removes what it wrote, so a failed sorted load leaves the database as it was.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "cli.h"
#include "util/buffer.h"
#include "util/status.h"

#define JSON_MAX_DEPTH 64 /* nesting of a non-string value: deeper is refused, not recursed into */

typedef struct record {
  const char *key, *value;
  size_t klen, vlen;
} record;

/* Where a parse is, for messages: FILE:LINE:COLUMN. */
typedef struct line_pos {
  const char *file;
  uint64_t line;
  const char *start; /* the line's first byte */
} line_pos;

static strata_status *bad_line(const line_pos *lp, const char *at, const char *what) {
  return status_new(STRATA_INVALID_ARGUMENT, "%s:%llu:%llu: %s", lp->file, (unsigned long long)lp->line,
                    (unsigned long long)(at - lp->start + 1), what);
}

/* --- TSV ----------------------------------------------------------------------------------- */

static strata_status *parse_tsv(const line_pos *lp, const char *s, size_t n, record *r) {
  const char *tab = memchr(s, '\t', n);
  if (!tab) return bad_line(lp, s + n, "no TAB between the key and the value (a line is KEY<TAB>VALUE)");
  r->key = s;
  r->klen = (size_t)(tab - s);
  r->value = tab + 1;
  r->vlen = n - r->klen - 1;
  return NULL;
}

/* --- JSON lines ---------------------------------------------------------------------------- */

typedef struct json {
  const line_pos *lp;
  const char *p, *end;
} json;

static void json_ws(json *j) {
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n')) j->p++;
}

static int hex4(const char *p, const char *end, uint32_t *out) {
  if (end - p < 4) return 0;
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
    else return 0;
  }
  *out = v;
  return 1;
}

static strata_status *put_utf8(buffer *out, uint32_t cp) {
  uint8_t b[4];
  size_t n;
  if (cp < 0x80) {
    b[0] = (uint8_t)cp;
    n = 1;
  } else if (cp < 0x800) {
    b[0] = (uint8_t)(0xc0 | cp >> 6);
    b[1] = (uint8_t)(0x80 | (cp & 0x3f));
    n = 2;
  } else if (cp < 0x10000) {
    b[0] = (uint8_t)(0xe0 | cp >> 12);
    b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    b[2] = (uint8_t)(0x80 | (cp & 0x3f));
    n = 3;
  } else {
    b[0] = (uint8_t)(0xf0 | cp >> 18);
    b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
    b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    b[3] = (uint8_t)(0x80 | (cp & 0x3f));
    n = 4;
  }
  return buffer_append(out, b, n);
}

/* A string at j->p (its opening quote); its bytes are appended to out (NULL: only checked). */
static strata_status *json_string(json *j, buffer *out) {
  if (j->p >= j->end || *j->p != '"') return bad_line(j->lp, j->p, "expected a string");
  j->p++;
  for (;;) {
    const char *run = j->p;
    while (j->p < j->end && *j->p != '"' && *j->p != '\\' && (unsigned char)*j->p >= 0x20) j->p++;
    if (out && j->p > run) STATUS_TRY(buffer_append(out, run, (size_t)(j->p - run)));
    if (j->p >= j->end) return bad_line(j->lp, j->p, "the string is not closed");
    char c = *j->p;
    if (c == '"') {
      j->p++;
      return NULL;
    }
    if (c != '\\') return bad_line(j->lp, j->p, "a control character in a string (write it as an escape)");
    const char *esc = j->p++;
    if (j->p >= j->end) return bad_line(j->lp, esc, "the string is not closed");
    c = *j->p++;
    const char *simple = strchr("\"\\/bfnrt", c);
    if (c && simple) {
      static const char decoded[] = "\"\\/\b\f\n\r\t";
      char d = decoded[simple - "\"\\/bfnrt"];
      if (out) STATUS_TRY(buffer_append(out, &d, 1));
      continue;
    }
    if (c != 'u') return bad_line(j->lp, esc, "an unknown escape in a string");
    uint32_t cp;
    if (!hex4(j->p, j->end, &cp)) return bad_line(j->lp, esc, "\\u needs four hex digits");
    j->p += 4;
    if (cp >= 0xdc00 && cp <= 0xdfff) return bad_line(j->lp, esc, "a low surrogate without a high one before it");
    if (cp >= 0xd800 && cp <= 0xdbff) {
      uint32_t lo;
      if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' || !hex4(j->p + 2, j->end, &lo) || lo < 0xdc00 ||
          lo > 0xdfff)
        return bad_line(j->lp, esc, "a high surrogate without a low one after it");
      j->p += 6;
      cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
    }
    if (out) STATUS_TRY(put_utf8(out, cp));
  }
}

static strata_status *json_number(json *j) {
  const char *s = j->p;
  if (j->p < j->end && *j->p == '-') j->p++;
  if (j->p < j->end && *j->p == '0') j->p++;
  else if (j->p < j->end && *j->p >= '1' && *j->p <= '9')
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
  else return bad_line(j->lp, s, "expected a JSON value");
  if (j->p < j->end && *j->p == '.') {
    j->p++;
    if (j->p >= j->end || *j->p < '0' || *j->p > '9') return bad_line(j->lp, j->p, "a digit must follow the point");
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
  }
  if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
    j->p++;
    if (j->p < j->end && (*j->p == '+' || *j->p == '-')) j->p++;
    if (j->p >= j->end || *j->p < '0' || *j->p > '9') return bad_line(j->lp, j->p, "a digit must follow the exponent");
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
  }
  return NULL;
}

/* Any JSON value at j->p, checked and skipped. */
static strata_status *json_value(json *j, int depth) {
  json_ws(j);
  if (j->p >= j->end) return bad_line(j->lp, j->p, "expected a JSON value");
  char c = *j->p;
  if (c == '"') return json_string(j, NULL);
  if (c == '{' || c == '[') {
    if (depth >= JSON_MAX_DEPTH) return bad_line(j->lp, j->p, "the value nests deeper than 64 levels");
    char close = c == '{' ? '}' : ']';
    j->p++;
    json_ws(j);
    if (j->p < j->end && *j->p == close) {
      j->p++;
      return NULL;
    }
    for (;;) {
      if (c == '{') {
        json_ws(j);
        STATUS_TRY(json_string(j, NULL));
        json_ws(j);
        if (j->p >= j->end || *j->p != ':') return bad_line(j->lp, j->p, "expected ':' after a member name");
        j->p++;
      }
      STATUS_TRY(json_value(j, depth + 1));
      json_ws(j);
      if (j->p < j->end && *j->p == ',') {
        j->p++;
        continue;
      }
      if (j->p < j->end && *j->p == close) {
        j->p++;
        return NULL;
      }
      return bad_line(j->lp, j->p, c == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
    }
  }
  static const char *const words[] = {"true", "false", "null"};
  for (int i = 0; i < 3; i++) {
    size_t n = strlen(words[i]);
    if ((size_t)(j->end - j->p) >= n && !memcmp(j->p, words[i], n)) {
      j->p += n;
      return NULL;
    }
  }
  return json_number(j);
}

/* {"key": STRING, "value": VALUE}: a string's bytes are decoded into kbuf / vbuf; another value
 * is its JSON text, pointed to in the line. */
static strata_status *parse_jsonl(const line_pos *lp, const char *s, size_t n, buffer *kbuf, buffer *vbuf,
                                  record *r) {
  json j = {lp, s, s + n};
  buffer name;
  buffer_init(&name);
  buffer_clear(kbuf);
  buffer_clear(vbuf);
  int have_key = 0, have_value = 0;
  strata_status *st = NULL;
  json_ws(&j);
  if (j.p >= j.end || *j.p != '{') st = bad_line(lp, j.p, "a line must be an object {\"key\": ..., \"value\": ...}");
  else j.p++;
  json_ws(&j);
  if (!st && j.p < j.end && *j.p == '}') j.p++;
  else
    while (!st) {
      json_ws(&j);
      const char *name_at = j.p;
      buffer_clear(&name);
      if ((st = json_string(&j, &name))) break;
      json_ws(&j);
      if (j.p >= j.end || *j.p != ':') {
        st = bad_line(lp, j.p, "expected ':' after a member name");
        break;
      }
      j.p++;
      json_ws(&j);
      int is_key = name.len == 3 && !memcmp(name.data, "key", 3);
      int is_value = name.len == 5 && !memcmp(name.data, "value", 5);
      if (!is_key && !is_value) st = bad_line(lp, name_at, "an unknown member (a line has only \"key\" and \"value\")");
      else if (is_key ? have_key : have_value)
        st = bad_line(lp, name_at, is_key ? "\"key\" appears twice" : "\"value\" appears twice");
      else if (is_key && (j.p >= j.end || *j.p != '"')) st = bad_line(lp, j.p, "the key must be a JSON string");
      if (st) break;
      if (is_key) {
        st = json_string(&j, kbuf);
        r->key = (const char *)kbuf->data;
        r->klen = kbuf->len;
        have_key = 1;
      } else if (j.p < j.end && *j.p == '"') {
        st = json_string(&j, vbuf);
        r->value = (const char *)vbuf->data;
        r->vlen = vbuf->len;
        have_value = 1;
      } else {
        const char *raw = j.p;
        st = json_value(&j, 0);
        r->value = raw;
        r->vlen = (size_t)(j.p - raw);
        have_value = 1;
      }
      if (st) break;
      json_ws(&j);
      if (j.p < j.end && *j.p == ',') {
        j.p++;
        continue;
      }
      if (j.p < j.end && *j.p == '}') {
        j.p++;
        break;
      }
      st = bad_line(lp, j.p, "expected ',' or '}'");
    }
  buffer_free(&name);
  if (st) return st;
  json_ws(&j);
  if (j.p < j.end) return bad_line(lp, j.p, "text after the object (one object a line)");
  if (!have_key) return bad_line(lp, s, "no \"key\" member");
  if (!have_value) return bad_line(lp, s, "no \"value\" member");
  if (!r->key) r->key = ""; /* an empty key decodes to no bytes: the buffer may hold none */
  if (!r->value) r->value = "";
  return NULL;
}

/* --- the two passes ------------------------------------------------------------------------ */

typedef struct loader {
  const cli_args *a;
  FILE *f;
  char *line;
  size_t cap;
  uint64_t lineno, offset, size;
  buffer kbuf, vbuf; /* a JSON line's decoded key and value */
} loader;

static strata_status *loader_open(loader *l, const cli_args *a) {
  memset(l, 0, sizeof *l);
  l->a = a;
  buffer_init(&l->kbuf);
  buffer_init(&l->vbuf);
  l->f = fopen(a->file, "rb");
  if (!l->f) {
    int e = errno;
    return status_new(e == ENOENT ? STRATA_NOT_FOUND : STRATA_IO, "load: cannot open %s: %s", a->file, strerror(e));
  }
  if (fseeko(l->f, 0, SEEK_END) == 0) { /* off_t: 64 bits in every build, files over 2 GiB too */
    off_t end = ftello(l->f);
    l->size = end > 0 ? (uint64_t)end : 0;
  }
  rewind(l->f);
  return NULL;
}

static void loader_close(loader *l) {
  if (l->f) fclose(l->f);
  free(l->line);
  buffer_free(&l->kbuf);
  buffer_free(&l->vbuf);
}

static void loader_rewind(loader *l) {
  rewind(l->f);
  l->lineno = 0;
  l->offset = 0;
}

/* The next record: *got = 0 at the end of the file. Empty lines are skipped (and, in JSON lines,
 * lines of only blanks: in TSV a TAB alone is the empty key's record). */
static strata_status *loader_next(loader *l, record *r, int *got) {
  *got = 0;
  for (;;) {
    errno = 0;
    ssize_t n = getline(&l->line, &l->cap, l->f);
    if (n < 0) {
      if (ferror(l->f)) return status_new(STRATA_IO, "load: reading %s: %s", l->a->file, strerror(errno ? errno : EIO));
      return NULL;
    }
    l->lineno++;
    l->offset += (uint64_t)n;
    size_t len = (size_t)n;
    if (len && l->line[len - 1] == '\n') len--;
    if (len && l->line[len - 1] == '\r') len--;
    if (len == 0) continue;
    if (l->a->format == CLI_FORMAT_JSONL && strspn(l->line, " \t\r") >= len) continue; /* blank */
    line_pos lp = {l->a->file, l->lineno, l->line};
    if (l->a->format == CLI_FORMAT_TSV) STATUS_TRY(parse_tsv(&lp, l->line, len, r));
    else STATUS_TRY(parse_jsonl(&lp, l->line, len, &l->kbuf, &l->vbuf, r));
    if (r->klen > STRATA_KEY_MAX)
      return status_new(STRATA_INVALID_ARGUMENT, "%s:%llu: the key is %zu bytes; keys are at most %u", l->a->file,
                        (unsigned long long)l->lineno, r->klen, STRATA_KEY_MAX);
    if (r->vlen > STRATA_VALUE_MAX)
      return status_new(STRATA_INVALID_ARGUMENT, "%s:%llu: the value is %zu bytes; values are at most %u", l->a->file,
                        (unsigned long long)l->lineno, r->vlen, (unsigned)STRATA_VALUE_MAX);
    *got = 1;
    return NULL;
  }
}

static strata_status *maintain(strata_db *db) {
#if !STRATA_THREADS
  int more = 0; /* no background threads: the loader runs the flushes and compactions between batches */
  return strata_maintenance_step(db, 4u << 20, &more);
#else
  (void)db;
  return NULL;
#endif
}

/* Pass 2: the records into db; *written counts the acknowledged ones. */
static strata_status *write_all(loader *l, strata_db *db, uint64_t records, uint64_t *written) {
  strata_batch *b = NULL;
  STATUS_TRY(strata_batch_new(&b));
  cli_progress p;
  cli_progress_start(&p, "load", "bytes", l->size);
  cli_progress_set_step(&p, 0.10);
  cli_progress_records(&p, 0);
  uint64_t pending = 0, pending_bytes = 0, acked_offset = 0;
  strata_status *st = NULL;
  for (;;) {
    record r = {NULL, NULL, 0, 0};
    int got = 0;
    uint64_t offset_before = l->offset;
    st = loader_next(l, &r, &got);
    if (st || !got) break;
    uint64_t item = STRATA_BATCH_ITEM_BYTES(r.klen, r.vlen);
    if (pending && (pending == l->a->batch || pending_bytes + item > STRATA_BATCH_BYTES_MAX)) {
      st = strata_write(db, b, l->a->sync);
      if (!st) st = maintain(db);
      if (st) break;
      *written += pending;
      acked_offset = offset_before;
      strata_batch_clear(b);
      pending = pending_bytes = 0;
      cli_progress_records(&p, *written);
      if (!l->a->quiet) cli_progress_update(&p, acked_offset, l->size);
    }
    st = strata_batch_put(b, r.key, r.klen, r.value, r.vlen);
    if (st) break;
    pending++;
    pending_bytes += item;
  }
  if (!st && pending) { /* the last batch is synced: the whole load is durable when it returns */
    st = strata_write(db, b, 1);
    if (!st) *written += pending;
  }
  strata_batch_free(b);
  if (!st && *written != records)
    st = status_new(STRATA_INVALID_ARGUMENT, "load: %s changed while it was loaded (%llu records checked, %llu written)",
                    l->a->file, (unsigned long long)records, (unsigned long long)*written);
  cli_progress_records(&p, *written);
  if (!l->a->quiet) cli_progress_end(&p, st ? acked_offset : l->size);
  return st;
}

/* Unsigned bytewise, as the engine orders keys. */
static int key_cmp(const void *a, size_t alen, const void *b, size_t blen) {
  size_t n = alen < blen ? alen : blen;
  int c = n ? memcmp(a, b, n) : 0; /* an empty key's buffer may be NULL */
  return c ? c : (alen > blen) - (alen < blen);
}

/* Pass 2 of --sorted: the records into an ingest, installed at the end. Progress counts the
 * records handed to the ingest (written into its tables, not yet visible). */
static strata_status *ingest_all(loader *l, strata_db *db, uint64_t records, uint64_t *written) {
  strata_ingest *in = NULL;
  strata_status *st = strata_ingest_begin(db, &in);
  if (st) {
    strata_status *why =
        strata_status_code(st) == STRATA_INVALID_ARGUMENT /* the one refusal of a good database: it has tables */
            ? status_new(STRATA_INVALID_ARGUMENT, "load --sorted: %s needs a database without tables (%s)", l->a->dir,
                         strata_status_message(st))
            : status_new(strata_status_code(st), "load --sorted: %s: %s", l->a->dir, strata_status_message(st));
    strata_status_free(st);
    return why;
  }
  cli_progress p;
  cli_progress_start(&p, "load", "bytes", l->size);
  cli_progress_set_step(&p, 0.10);
  cli_progress_records(&p, 0);
  uint64_t added = 0;
  for (;;) {
    record r = {NULL, NULL, 0, 0};
    int got = 0;
    st = loader_next(l, &r, &got);
    if (st || !got) break;
    if ((st = strata_ingest_add(in, r.key, r.klen, r.value, r.vlen))) break;
    added++;
    if (!(added & 1023)) {
      cli_progress_records(&p, added);
      if (!l->a->quiet) cli_progress_update(&p, l->offset, l->size);
    }
  }
  if (!st && added != records)
    st = status_new(STRATA_INVALID_ARGUMENT, "load: %s changed while it was loaded (%llu records checked, %llu read)",
                    l->a->file, (unsigned long long)records, (unsigned long long)added);
  if (st) strata_ingest_abandon(in);
  else st = strata_ingest_finish(in, written);
  cli_progress_records(&p, st ? 0 : *written);
  if (!l->a->quiet) cli_progress_end(&p, st ? 0 : l->size);
  return st;
}

int cli_run_load(const cli_args *a) {
  loader l;
  strata_status *st = loader_open(&l, a);
  uint64_t records = 0, bytes = 0, prev_line = 0;
  buffer prev; /* --sorted: the key before */
  buffer_init(&prev);
  for (int got = 1; !st && got;) { /* pass 1: check everything before anything is written */
    record r = {NULL, NULL, 0, 0};
    st = loader_next(&l, &r, &got);
    if (!st && got && a->sorted) {
      if (records && key_cmp(r.key, r.klen, prev.data, prev.len) <= 0)
        st = status_new(STRATA_INVALID_ARGUMENT,
                        "%s:%llu: the key is not above the one on line %llu (--sorted needs strictly ascending keys)",
                        a->file, (unsigned long long)l.lineno, (unsigned long long)prev_line);
      else {
        buffer_clear(&prev);
        st = buffer_append(&prev, r.key, r.klen);
        prev_line = l.lineno;
      }
    }
    if (!st && got) {
      records++;
      bytes += r.klen + r.vlen;
    }
  }
  buffer_free(&prev);
  if (st) {
    loader_close(&l);
    return cli_report(st);
  }
  loader_rewind(&l);
  strata_db *db = NULL;
  double t0 = cli_now_ms();
  st = cli_open_db(a, 1, &db);
  uint64_t written = 0;
  if (!st) st = a->sorted ? ingest_all(&l, db, records, &written) : write_all(&l, db, records, &written);
  if (!st && a->kv_threshold && !a->sorted) st = strata_flush(db); /* separated by N now: N is not stored (cli.h) */
  loader_close(&l);
  int rc = 0;
  if (st) {
    if (a->sorted) fprintf(stderr, "strata: load --sorted: nothing was loaded\n");
    else fprintf(stderr, "strata: load: %llu records were written before the error\n", (unsigned long long)written);
    rc = cli_report(st);
  } else {
    double ms = cli_now_ms() - t0;
    char n1[32], n2[32], n3[32], n4[32];
    printf("load: %s records (%s of keys and values) from %s in %s (%s records/s)\n", cli_num(records, n1),
           cli_bytes(bytes, n2), a->file, cli_ms(ms, n3),
           cli_num(ms > 0 ? (uint64_t)((double)records / (ms / 1000) + 0.5) : records, n4));
  }
  fflush(stdout);
  if (db) {
    strata_status *cst = strata_close(db);
    if (cst) rc = cli_report(cst);
  }
  return rc;
}
