/* clock.h -- wall-clock and monotonic milliseconds (table ages for FIFO TTL, sync intervals). */
#ifndef STRATA_UTIL_CLOCK_H
#define STRATA_UTIL_CLOCK_H

#include <stdint.h>

uint64_t clock_unix_ms(void);
uint64_t clock_monotonic_ms(void);

#endif
