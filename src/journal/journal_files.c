/* journal_files.c -- journal names, listing and removal (see journal_files.h). */
#include "journal_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *journal_path(const char *dir, uint64_t number) {
  char name[24];
  snprintf(name, sizeof name, "%llu", (unsigned long long)number);
  return vfs_path_join(dir, name);
}

int journal_parse_name(const char *name, uint64_t *number) {
  size_t len = strlen(name);
  if (len == 0 || len > 20 || (len > 1 && name[0] == '0')) return 0;
  uint64_t n = 0;
  for (size_t i = 0; i < len; i++) {
    if (name[i] < '0' || name[i] > '9') return 0;
    uint64_t digit = (uint64_t)(name[i] - '0');
    if (n > (UINT64_MAX - digit) / 10) return 0;
    n = n * 10 + digit;
  }
  *number = n;
  return 1;
}

typedef struct number_list {
  uint64_t *items;
  size_t count;
  size_t cap;
} number_list;

static strata_status *collect_number(void *ctx, const char *name, int is_dir) {
  number_list *l = ctx;
  uint64_t n;
  if (is_dir || !journal_parse_name(name, &n)) return NULL;
  if (l->count == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 8;
    uint64_t *grown = realloc(l->items, cap * sizeof *grown);
    if (!grown) return status_no_memory();
    l->items = grown;
    l->cap = cap;
  }
  l->items[l->count++] = n;
  return NULL;
}

static int compare_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

strata_status *journal_list(vfs *v, const char *dir, uint64_t **numbers, size_t *count) {
  *numbers = NULL;
  *count = 0;
  int exists = 0, is_dir = 0;
  STATUS_TRY(vfs_exists(v, dir, &exists, &is_dir));
  if (!exists) return NULL;
  if (!is_dir) return status_new(STRATA_INVALID_ARGUMENT, "journal folder %s is a file", dir);
  number_list l = {NULL, 0, 0};
  strata_status *st = vfs_list(v, dir, collect_number, &l);
  if (st) {
    free(l.items);
    return status_wrap(st, "listing journals in %s", dir);
  }
  if (l.count) qsort(l.items, l.count, sizeof *l.items, compare_u64);
  *numbers = l.items;
  *count = l.count;
  return NULL;
}

strata_status *journal_remove(vfs *v, const char *dir, uint64_t number) {
  char *path = journal_path(dir, number);
  if (!path) return status_no_memory();
  strata_status *st = vfs_remove(v, path);
  free(path);
  if (!st) st = vfs_sync_dir(v, dir); /* the removal is durable before the caller moves on */
  return st;
}
