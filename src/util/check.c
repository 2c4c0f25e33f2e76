#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* __FILE__ is the path the build gave the compiler: name the file from "src/" (or "tests/") on. */
static const char *source_name(const char *file) {
  const char *best = NULL;
  for (const char *p = strstr(file, "src/"); p; p = strstr(p + 1, "src/")) best = p;
  for (const char *p = best ? NULL : strstr(file, "tests/"); p; p = strstr(p + 1, "tests/")) best = p;
  return best ? best : file;
}

void check_abort(const char *file, int line, const char *expr) {
  fprintf(stderr, "strata: internal check failed at %s:%d: %s\n", source_name(file), line, expr);
  abort();
}

strata_status *check_internal_error(const char *file, int line, const char *expr) {
  return status_new(STRATA_CORRUPTION, "internal check failed at %s:%d: %s (a bug in Strata: please report it)",
                    source_name(file), line, expr);
}
