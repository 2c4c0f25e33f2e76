/*
 * lock_record.c -- encode and decode the LOCK file's record (format: lock_record.h).
 */
#include "lock_record.h"

#include <stdio.h>
#include <string.h>

uint32_t lock_record_crc32(const void *data, size_t n) {
  const uint8_t *p = data;
  uint32_t crc = 0xffffffffu;
  for (size_t i = 0; i < n; i++) {
    crc ^= p[i];
    for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return crc ^ 0xffffffffu;
}

static int runtime_ok(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > LOCK_RUNTIME_MAX) return 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] < 'a' || s[i] > 'z') return 0;
  return 1;
}

static int host_ok(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > LOCK_HOST_MAX) return 0;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e) return 0;
  return 1;
}

static int token_ok(const char *s) {
  if (strlen(s) != LOCK_TOKEN_LEN) return 0;
  for (size_t i = 0; i < LOCK_TOKEN_LEN; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
  return 1;
}

void lock_record_set_host(lock_record *r, const char *name) {
  size_t n = 0;
  for (; name && name[n] && n < LOCK_HOST_MAX; n++) {
    unsigned char c = (unsigned char)name[n];
    r->host[n] = (c < 0x21 || c > 0x7e) ? '_' : (char)c;
  }
  if (n == 0) r->host[n++] = '?';
  r->host[n] = 0;
}

strata_status *lock_record_encode(const lock_record *r, char out[LOCK_RECORD_MAX], size_t *len) {
  if (!runtime_ok(r->runtime) || !host_ok(r->host) || !token_ok(r->token))
    return status_new(STRATA_INVALID_ARGUMENT, "lock record: a field is outside the format (runtime \"%.16s\")",
                      r->runtime);
  /* The fields are bounded (15 + 10 + 20 + 255 + 20 + 16 bytes plus keys), well under the cap. */
  int n = snprintf(out, LOCK_RECORD_MAX,
                   "strata-lock 1\nruntime %s\npid %lu\nstart %llu\nhost %s\nsince %llu\ntoken %s\n",
                   r->runtime, (unsigned long)r->pid, (unsigned long long)r->start, r->host,
                   (unsigned long long)r->since, r->token);
  if (n < 0 || n + 15 > LOCK_RECORD_MAX) return status_new(STRATA_INVALID_ARGUMENT, "lock record: too long");
  uint32_t crc = lock_record_crc32(out, (size_t)n);
  snprintf(out + n, LOCK_RECORD_MAX - (size_t)n, "crc32 %08lx\n", (unsigned long)crc);
  *len = (size_t)n + 15;
  return NULL;
}

/* A cursor over the bytes being decoded; `why` is set at the first failure. */
typedef struct reader {
  const char *p;
  size_t len, pos;
  const char *why;
  size_t at;
} reader;

static int fail(reader *rd, const char *why) {
  if (!rd->why) {
    rd->why = why;
    rd->at = rd->pos;
  }
  return 0;
}

static int expect(reader *rd, const char *lit) {
  size_t n = strlen(lit);
  if (rd->len - rd->pos < n || memcmp(rd->p + rd->pos, lit, n) != 0) return fail(rd, "unexpected bytes");
  rd->pos += n;
  return 1;
}

/* The value up to the next newline (consumed); at most max bytes, at least one. */
static int value(reader *rd, size_t max, const char **start, size_t *n) {
  size_t i = rd->pos;
  while (i < rd->len && rd->p[i] != '\n' && i - rd->pos <= max) i++;
  if (i >= rd->len) return fail(rd, "missing newline");
  if (rd->p[i] != '\n') return fail(rd, "value too long");
  if (i == rd->pos) return fail(rd, "empty value");
  *start = rd->p + rd->pos;
  *n = i - rd->pos;
  rd->pos = i + 1;
  return 1;
}

static int decimal(reader *rd, uint64_t max, uint64_t *out) {
  const char *s;
  size_t n;
  size_t at = rd->pos;
  if (!value(rd, 20, &s, &n)) return 0;
  if (n > 1 && s[0] == '0') return rd->pos = at, fail(rd, "leading zero");
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return rd->pos = at + i, fail(rd, "not a decimal digit");
    unsigned d = (unsigned)(s[i] - '0');
    if (v > (max - d) / 10) return rd->pos = at, fail(rd, "number out of range");
    v = v * 10 + d;
  }
  *out = v;
  return 1;
}

static int text(reader *rd, size_t max, int (*ok)(const char *), char *out) {
  const char *s;
  size_t n;
  size_t at = rd->pos;
  if (!value(rd, max, &s, &n)) return 0;
  memcpy(out, s, n);
  out[n] = 0;
  if (strlen(out) != n || !ok(out)) return rd->pos = at, fail(rd, "bad characters");
  return 1;
}

static int hex32(reader *rd, uint32_t *out) {
  const char *s;
  size_t n;
  size_t at = rd->pos;
  if (!value(rd, 8, &s, &n)) return 0;
  if (n != 8) return rd->pos = at, fail(rd, "checksum not 8 hex digits");
  uint32_t v = 0;
  for (size_t i = 0; i < 8; i++) {
    int d = (s[i] >= '0' && s[i] <= '9') ? s[i] - '0' : (s[i] >= 'a' && s[i] <= 'f') ? s[i] - 'a' + 10 : -1;
    if (d < 0) return rd->pos = at + i, fail(rd, "not a lowercase hex digit");
    v = (v << 4) | (uint32_t)d;
  }
  *out = v;
  return 1;
}

strata_status *lock_record_decode(const void *data, size_t len, const char *what, lock_record *out) {
  reader rd = { data, len, 0, NULL, 0 };
  lock_record r;
  memset(&r, 0, sizeof r);
  uint64_t pid = 0;
  uint32_t crc = 0;
  size_t body = 0;
  if (len > LOCK_RECORD_MAX) {
    rd.pos = LOCK_RECORD_MAX;
    fail(&rd, "longer than any record");
  }
  int ok = !rd.why && expect(&rd, "strata-lock 1\n") && expect(&rd, "runtime ") &&
           text(&rd, LOCK_RUNTIME_MAX, runtime_ok, r.runtime) && expect(&rd, "pid ") &&
           decimal(&rd, UINT32_MAX, &pid) && expect(&rd, "start ") && decimal(&rd, UINT64_MAX, &r.start) &&
           expect(&rd, "host ") && text(&rd, LOCK_HOST_MAX, host_ok, r.host) && expect(&rd, "since ") &&
           decimal(&rd, UINT64_MAX, &r.since) && expect(&rd, "token ") &&
           text(&rd, LOCK_TOKEN_LEN, token_ok, r.token) && (body = rd.pos, expect(&rd, "crc32 ")) &&
           hex32(&rd, &crc);
  if (ok && rd.pos != len) ok = fail(&rd, "bytes after the checksum");
  if (ok && crc != lock_record_crc32(data, body)) {
    rd.pos = body;
    ok = fail(&rd, "checksum mismatch");
  }
  if (!ok)
    return status_new(STRATA_CORRUPTION, "%s: not a lock record (%s at offset %zu of %zu bytes)", what, rd.why, rd.at,
                      len);
  r.pid = (uint32_t)pid;
  *out = r;
  return NULL;
}

/* Unix seconds as "YYYY-MM-DD HH:MM:SS UTC", by the civil-from-days algorithm (no libc time
 * functions: Emscripten's need runtime pieces a module may not include). */
static void format_utc(uint64_t secs, char *out, size_t cap) {
  uint64_t days = secs / 86400, rem = secs % 86400;
  int64_t z = (int64_t)days + 719468;
  int64_t era = z / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  int64_t y = yoe + era * 400 + (m <= 2);
  snprintf(out, cap, "%04lld-%02lld-%02lld %02llu:%02llu:%02llu UTC", (long long)y, (long long)m, (long long)d,
           (unsigned long long)(rem / 3600), (unsigned long long)(rem / 60 % 60), (unsigned long long)(rem % 60));
}

void lock_record_describe(const lock_record *r, char *out, size_t cap) {
  char when[48] = "an unknown time";
  if (r->since && r->since / 1000 < 253402300800ull) format_utc(r->since / 1000, when, sizeof when); /* < year 10000 */
  char pid[24] = "of unknown pid";
  if (r->pid) snprintf(pid, sizeof pid, "%lu", (unsigned long)r->pid);
  snprintf(out, cap, "%s process %s on host %s, lock taken %s", r->runtime, pid, r->host, when);
}
