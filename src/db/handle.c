/* handle.c -- the handle check of the API armour (handle.h). */
#include "handle.h"

static const char *handle_name(uint32_t tag) {
  switch (HANDLE_CLOSED(tag)) {
    case HANDLE_CLOSED(HANDLE_DB): return "database";
    case HANDLE_CLOSED(HANDLE_SNAPSHOT): return "snapshot";
    case HANDLE_CLOSED(HANDLE_ITERATOR): return "iterator";
    case HANDLE_CLOSED(HANDLE_BATCH): return "batch";
    case HANDLE_CLOSED(HANDLE_OPTIONS): return "options";
    case HANDLE_CLOSED(HANDLE_EXPORT): return "export";
    case HANDLE_CLOSED(HANDLE_IMPORTER): return "importer";
    default: return NULL;
  }
}

static const char *article(const char *noun) {
  return strchr("aeiou", noun[0]) ? "an" : "a";
}

strata_status *handle_check(const void *h, uint32_t tag, const char *fn) {
  const char *want = handle_name(tag);
  if (!h) {
    if (tag == HANDLE_DB) return status_new(STRATA_NOT_OPEN, "%s: database is not open (NULL handle)", fn);
    return status_new(STRATA_INVALID_ARGUMENT, "%s: the %s handle is NULL", fn, want);
  }
  uint32_t got = handle_tag_of(h);
  if (got == tag) return NULL;
  if (got == HANDLE_CLOSED(tag))
    return status_new(STRATA_NOT_OPEN, "%s: the %s handle was already %s", fn, want,
                      tag == HANDLE_SNAPSHOT ? "released" : tag == HANDLE_DB || tag == HANDLE_ITERATOR ? "closed"
                      : tag == HANDLE_EXPORT || tag == HANDLE_IMPORTER ? "ended" : "freed");
  const char *found = handle_name(got);
  if (found)
    return status_new(STRATA_INVALID_ARGUMENT, "%s: expected %s %s handle, got %s %s handle%s", fn, article(want),
                      want, article(found), found,
                      got == HANDLE_CLOSED(got) ? " (closed)" : "");
  return status_new(STRATA_INVALID_ARGUMENT, "%s: not a %s handle (a stray pointer, or freed memory reused)", fn, want);
}
