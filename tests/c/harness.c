#include "harness.h"

#include "util/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One test binary is one process: the harness's counters are its own, not the engine's. */
static int passed, failed, current_failed;

void harness_fail(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "  %s:%d: ", file, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  current_failed = 1;
}

int harness_case_failed(void) { return current_failed; }

int harness_expect_ok(strata_status *st, const char *expr, const char *file, int line) {
  if (!st) return 1;
  harness_fail(file, line, "%s: %s", expr, strata_status_message(st));
  strata_status_free(st);
  return 0;
}

static void report(const char *name) {
  if (current_failed) {
    failed++;
    printf("FAIL %s\n", name);
  } else {
    passed++;
    printf("ok   %s\n", name);
  }
  fflush(stdout);
}

void harness_run(const char *name, void (*fn)(void)) {
  current_failed = 0;
  fn();
  report(name);
}

void harness_run_variant(const char *name, const char *variant, int (*setup)(void), void (*fn)(void),
                         void (*teardown)(void)) {
  char label[160];
  snprintf(label, sizeof label, "%s[%s]", name, variant);
  current_failed = 0;
  if (setup()) fn();
  teardown();
  report(label);
}

int harness_finish(void) {
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}

char *harness_temp_dir(vfs *v, const char *label) {
  static unsigned counter;
  char name[128];
  for (int attempt = 0; attempt < 1000; attempt++) {
    snprintf(name, sizeof name, "t-%s-%lx-%u", label, (unsigned long)time(NULL), counter++);
    int exists = 0;
    strata_status *st = vfs_exists(v, name, &exists, NULL);
    if (st) {
      harness_fail(__FILE__, __LINE__, "temp dir: %s", strata_status_message(st));
      strata_status_free(st);
      return NULL;
    }
    if (exists) continue;
    st = vfs_mkdir(v, name);
    if (st) {
      harness_fail(__FILE__, __LINE__, "temp dir %s: %s", name, strata_status_message(st));
      strata_status_free(st);
      return NULL;
    }
    size_t n = strlen(name) + 1;
    char *out = malloc(n);
    if (out) memcpy(out, name, n);
    return out;
  }
  harness_fail(__FILE__, __LINE__, "no free temp dir name");
  return NULL;
}

void harness_temp_dir_remove(vfs *v, char *dir) {
  if (!dir) return;
  strata_status *st = vfs_remove_tree(v, dir);
  if (st) {
    harness_fail(__FILE__, __LINE__, "removing %s: %s", dir, strata_status_message(st));
    strata_status_free(st);
  }
  free(dir);
}

vfs *harness_open_fs(strata_status *(*factory)(vfs **out), const char *label, char **dir) {
  vfs *v = NULL;
  strata_status *st = factory(&v);
  if (st) {
    harness_fail(__FILE__, __LINE__, "backend: %s", strata_status_message(st));
    strata_status_free(st);
    return NULL;
  }
  *dir = harness_temp_dir(v, label);
  if (!*dir) {
    vfs_destroy(v);
    return NULL;
  }
  return v;
}

void harness_close_fs(vfs *v, char *dir) {
  if (!v) return;
  harness_temp_dir_remove(v, dir);
  vfs_destroy(v);
}

typedef struct copy_ctx {
  vfs *v;
  const char *from, *to;
} copy_ctx;

static strata_status *copy_entry(void *ctx, const char *name, int is_dir) {
  copy_ctx *c = ctx;
  char *a = vfs_path_join(c->from, name), *b = vfs_path_join(c->to, name);
  strata_status *st = !a || !b ? status_no_memory() : NULL;
  if (!st) st = is_dir ? harness_copy_tree(c->v, a, b) : vfs_copy_file(c->v, a, b);
  free(a);
  free(b);
  return st;
}

strata_status *harness_copy_tree(vfs *v, const char *from, const char *to) {
  strata_status *st = vfs_mkdir(v, to);
  copy_ctx c = {v, from, to};
  if (!st) st = vfs_list(v, from, copy_entry, &c);
  return st;
}
