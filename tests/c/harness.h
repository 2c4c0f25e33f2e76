/*
 * harness.h -- a small test harness for the C tests.
 *
 * Each test binary lists its cases in main() with RUN(); a failed CHECK records the failure and
 * ends the case. The binary prints one line per case and closes with "N passed, N failed",
 * exiting non-zero when anything failed.
 */
#ifndef STRATA_TESTS_HARNESS_H
#define STRATA_TESTS_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "strata.h"
#include "vfs/vfs.h"

void harness_fail(const char *file, int line, const char *fmt, ...);
int harness_case_failed(void);
void harness_run(const char *name, void (*fn)(void));
/* Runs fn between setup (skipped, with its failure recorded, when it returns 0) and teardown,
 * reported as "name[variant]": one scenario run against several backends. */
void harness_run_variant(const char *name, const char *variant, int (*setup)(void), void (*fn)(void),
                         void (*teardown)(void));
int harness_finish(void);

#define RUN(fn) harness_run(#fn, fn)

#define CHECK(cond)                                                   \
  do {                                                                \
    if (!(cond)) {                                                    \
      harness_fail(__FILE__, __LINE__, "check failed: %s", #cond);   \
      return;                                                         \
    }                                                                 \
  } while (0)

#define CHECK_EQ_U64(a, b)                                                                      \
  do {                                                                                          \
    uint64_t check_a_ = (uint64_t)(a), check_b_ = (uint64_t)(b);                                \
    if (check_a_ != check_b_) {                                                                 \
      harness_fail(__FILE__, __LINE__, "%s == %s: %llu != %llu", #a, #b,                        \
                   (unsigned long long)check_a_, (unsigned long long)check_b_);                 \
      return;                                                                                   \
    }                                                                                           \
  } while (0)

/* Expects success; on error prints the status message. */
#define CHECK_OK(expr)                                                                          \
  do {                                                                                          \
    strata_status *check_st_ = (expr);                                                          \
    if (check_st_) {                                                                            \
      harness_fail(__FILE__, __LINE__, "%s: %s", #expr, strata_status_message(check_st_));      \
      strata_status_free(check_st_);                                                            \
      return;                                                                                   \
    }                                                                                           \
  } while (0)

/* Expects a specific error code (and a non-empty message); frees the status. */
#define CHECK_CODE(expr, code)                                                                  \
  do {                                                                                          \
    strata_status *check_st_ = (expr);                                                          \
    strata_code check_got_ = strata_status_code(check_st_);                                     \
    int check_msg_ok_ = check_st_ && strata_status_message(check_st_)[0] != 0;                  \
    if (check_got_ != (code) || !check_msg_ok_) {                                               \
      harness_fail(__FILE__, __LINE__, "%s: expected %s, got %s (%s)", #expr,                   \
                   strata_code_name(code), strata_code_name(check_got_),                        \
                   strata_status_message(check_st_));                                           \
      strata_status_free(check_st_);                                                            \
      return;                                                                                   \
    }                                                                                           \
    strata_status_free(check_st_);                                                              \
  } while (0)

/* Expects success where a check cannot end the case (helpers that return a value, such as an
 * options builder): records the failure and frees the status; 1 when it was ok. */
#define EXPECT_OK(expr) harness_expect_ok((expr), #expr, __FILE__, __LINE__)
int harness_expect_ok(strata_status *st, const char *expr, const char *file, int line);

/* A fresh, empty folder for one case, under the test's working folder; removed by the caller
 * with harness_temp_dir_remove(). Returns a malloc'd path, or NULL after recording a failure. */
char *harness_temp_dir(vfs *v, const char *label);
void harness_temp_dir_remove(vfs *v, char *dir);

/* A new backend (vfs_posix_new, vfs_memory_new, ...) with a fresh folder on it; NULL after
 * recording a failure. harness_close_fs removes the folder and destroys the backend. */
vfs *harness_open_fs(strata_status *(*factory)(vfs **out), const char *label, char **dir);
void harness_close_fs(vfs *v, char *dir);
/* Copies the folder `from` with everything in it to `to` (created), on one backend. */
strata_status *harness_copy_tree(vfs *v, const char *from, const char *to);

/* Deterministic pseudo-random numbers for test data (xorshift64*). */
typedef struct harness_rng {
  uint64_t state;
} harness_rng;
static inline uint64_t harness_rng_next(harness_rng *r) {
  r->state ^= r->state >> 12;
  r->state ^= r->state << 25;
  r->state ^= r->state >> 27;
  return r->state * 2685821657736338717ull;
}

#endif
