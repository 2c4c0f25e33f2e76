/*
 * hot.h -- STRATA_HOT: a function the compiler inlines into every caller.
 *
 * For the steps a scan makes per entry and a get makes per call. Under WebAssembly each call
 * costs a stack check and a frame V8 never elides, and binaryen's inliner leaves some of them
 * out of line once their callers grow (`inline` alone is only a hint).
 */
#ifndef STRATA_UTIL_HOT_H
#define STRATA_UTIL_HOT_H

#if defined(__GNUC__)
#define STRATA_HOT inline __attribute__((always_inline))
#else
#define STRATA_HOT inline
#endif

#endif
