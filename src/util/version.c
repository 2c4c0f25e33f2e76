#include "strata.h"

#define STRATA_STR2(x) #x
#define STRATA_STR(x) STRATA_STR2(x)

const char *strata_version_string(void) {
  return STRATA_STR(STRATA_VERSION_MAJOR) "." STRATA_STR(STRATA_VERSION_MINOR) "." STRATA_STR(STRATA_VERSION_PATCH);
}
