#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct strata_status {
  strata_code code;
  char message[]; /* NUL-terminated */
};

/* Static, so it can be returned when malloc fails; never freed. */
static const struct {
  strata_code code;
  char message[sizeof "out of memory"];
} no_memory_status = {STRATA_NO_MEMORY, "out of memory"};

strata_status *status_no_memory(void) {
  return (strata_status *)&no_memory_status;
}

static strata_status *status_vnew(strata_code code, const char *prefix, const char *fmt, va_list ap) {
  va_list probe;
  va_copy(probe, ap);
  int body = vsnprintf(NULL, 0, fmt, probe);
  va_end(probe);
  if (body < 0) body = 0;
  size_t plen = prefix ? strlen(prefix) + 2 : 0; /* "prefix: " */
  strata_status *st = malloc(sizeof *st + plen + (size_t)body + 1);
  if (!st) return status_no_memory();
  st->code = code;
  char *out = st->message;
  if (prefix) {
    memcpy(out, prefix, plen - 2);
    memcpy(out + plen - 2, ": ", 2);
    out += plen;
  }
  vsnprintf(out, (size_t)body + 1, fmt, ap);
  return st;
}

strata_status *status_new(strata_code code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  strata_status *st = status_vnew(code, NULL, fmt, ap);
  va_end(ap);
  return st;
}

strata_status *status_newv(strata_code code, const char *fmt, va_list ap) {
  return status_vnew(code, NULL, fmt, ap);
}

strata_status *status_wrap(strata_status *st, const char *fmt, ...) {
  if (!st || st == status_no_memory()) return st;
  char context[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(context, sizeof context, fmt, ap);
  va_end(ap);
  strata_status *wrapped = status_new(st->code, "%s: %s", context, st->message);
  if (wrapped == status_no_memory()) return st; /* keep the original rather than lose it */
  free(st);
  return wrapped;
}

strata_code strata_status_code(const strata_status *st) {
  return st ? st->code : STRATA_OK;
}

const char *strata_status_message(const strata_status *st) {
  return st ? st->message : "ok";
}

const char *strata_code_name(strata_code code) {
  switch (code) {
    case STRATA_OK: return "STRATA_OK";
    case STRATA_NOT_FOUND: return "STRATA_NOT_FOUND";
    case STRATA_CORRUPTION: return "STRATA_CORRUPTION";
    case STRATA_IO: return "STRATA_IO";
    case STRATA_INVALID_ARGUMENT: return "STRATA_INVALID_ARGUMENT";
    case STRATA_NOT_SUPPORTED: return "STRATA_NOT_SUPPORTED";
    case STRATA_LOCKED: return "STRATA_LOCKED";
    case STRATA_NO_MEMORY: return "STRATA_NO_MEMORY";
    case STRATA_EXISTS: return "STRATA_EXISTS";
    case STRATA_NOT_OPEN: return "STRATA_NOT_OPEN";
    case STRATA_BUSY: return "STRATA_BUSY";
    case STRATA_QUOTA: return "STRATA_QUOTA";
  }
  return "STRATA_UNKNOWN";
}

void strata_status_free(strata_status *st) {
  if (st && st != status_no_memory()) free(st);
}
