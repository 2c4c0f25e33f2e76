/*
 * check.h -- three kinds of checked condition, told apart (after SQLite's assert/NEVER/testcase).
 *
 *   STRATA_ASSERT(x)     an internal invariant: true unless the engine has a bug. Checked in debug
 *                        builds (abort), compiled out in release builds (NDEBUG).
 *   STRATA_NEVER(x)      a defensive condition believed always false (STRATA_ALWAYS: always true),
 *   STRATA_ALWAYS(x)     where a release build must not go on as if it held: debug builds abort when
 *                        it fails, so a test that reaches it finds the bug; release builds evaluate
 *                        it and take the branch that handles it.  `if (STRATA_NEVER(n > cap)) ...`
 *   STRATA_DEFENSIVE(x)  the common form: in a function returning `strata_status *`, returns an
 *                        internal-error status (STRATA_CORRUPTION, "internal check failed at
 *                        src/file.c:LINE: x") when x is false in a release build.
 *   STRATA_TESTCASE(x)   a boundary the tests must reach (a block filled exactly, a skiplist at its
 *                        top height). Costs nothing in release builds. In builds configured with
 *                        STRATA_TESTCASES=1 (the asan build), each time x is true it calls
 *                        strata_testcase_hit("file:line x"), a weak symbol a test binary may define
 *                        to record the hit; tests/c/test_check.c lists boundaries that its scenarios
 *                        must reach and fails when one is not. The library keeps no record itself.
 *
 * Data read from files or passed through the API is never checked with these: bad bytes get
 * STRATA_CORRUPTION and bad arguments STRATA_INVALID_ARGUMENT with a message naming what was bad.
 * Locks: sync_mutex_assert_held / sync_mutex_assert_not_held in sync.h.
 */
#ifndef STRATA_UTIL_CHECK_H
#define STRATA_UTIL_CHECK_H

#include <assert.h>

#include "status.h"

#define STRATA_ASSERT(x) assert(x)

/* Debug builds: the failure message and abort (never returns). */
void check_abort(const char *file, int line, const char *expr);
/* Release builds: the status a failed defensive check returns. Never NULL. */
strata_status *check_internal_error(const char *file, int line, const char *expr);

#ifdef NDEBUG
#define STRATA_NEVER(x) (x)
#define STRATA_ALWAYS(x) (x)
#else
#define STRATA_NEVER(x) ((x) ? (check_abort(__FILE__, __LINE__, "never " #x), 1) : 0)
#define STRATA_ALWAYS(x) ((x) ? 1 : (check_abort(__FILE__, __LINE__, "always " #x), 0))
#endif

#define STRATA_DEFENSIVE(x)                                                 \
  do {                                                                      \
    if (STRATA_NEVER(!(x))) return check_internal_error(__FILE__, __LINE__, #x); \
  } while (0)

#ifndef STRATA_TESTCASES
#define STRATA_TESTCASES 0
#endif
#if STRATA_TESTCASES
#define CHECK_STR2_(x) #x
#define CHECK_STR_(x) CHECK_STR2_(x)
/* Defined (strongly) by a test binary that records boundaries; absent everywhere else. */
void strata_testcase_hit(const char *where) __attribute__((weak));
#define STRATA_TESTCASE(x)                                                        \
  do {                                                                            \
    if ((x) && strata_testcase_hit) strata_testcase_hit(__FILE__ ":" CHECK_STR_(__LINE__) " " #x); \
  } while (0)
#else
#define STRATA_TESTCASE(x) ((void)0)
#endif

#endif
