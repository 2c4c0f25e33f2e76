/*
 * status.h -- errors as values.
 *
 * A function that can fail returns `strata_status *`: NULL is success (so the happy path costs
 * nothing), anything else is a heap object with a code and a message, owned by the caller.
 * If allocating the error itself fails, a static out-of-memory status is returned instead;
 * status_free() knows not to free it.
 */
#ifndef STRATA_UTIL_STATUS_H
#define STRATA_UTIL_STATUS_H

#include <stdarg.h>

#include "strata.h"

#if defined(__GNUC__) || defined(__clang__)
#define STRATA_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define STRATA_MUST_USE __attribute__((warn_unused_result))
#else
#define STRATA_PRINTF(fmt, args)
#define STRATA_MUST_USE
#endif

/* Builds an error with a printf-style message. Never returns NULL. */
strata_status *status_new(strata_code code, const char *fmt, ...) STRATA_PRINTF(2, 3);
/* status_new with a va_list (for public wrappers such as strata_vfs_error). */
strata_status *status_newv(strata_code code, const char *fmt, va_list ap);

/* Prefixes an existing error's message with context ("table 12: ..."); takes ownership of st. */
strata_status *status_wrap(strata_status *st, const char *fmt, ...) STRATA_PRINTF(2, 3);

/* The shared out-of-memory status (static: no allocation needed to report it). */
strata_status *status_no_memory(void);

static inline int status_is(const strata_status *st, strata_code code) {
  return strata_status_code(st) == code;
}

/* Propagates an error to the caller. */
#define STATUS_TRY(expr)                  \
  do {                                    \
    strata_status *status_try_ = (expr);  \
    if (status_try_) return status_try_;  \
  } while (0)

#endif
