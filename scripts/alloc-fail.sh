#!/usr/bin/env bash
# scripts/alloc-fail.sh [scenario] -- the allocation-failure campaign beyond the CI bound.
#   Builds asan, then runs tests/c/test_alloc_fail with every N (no stride) in five modes:
#   the Nth allocation fails alone, every allocation from the Nth on fails (PERSIST), with background
#   threads (THREADS; N is then not reproducible), and the first two on
#   the posix backend. An argument runs only the scenarios whose name contains it.
#   STRATA_ALLOC_FAIL_MAX (default 20000) bounds N per scenario.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="${JOBS:-2}" TARGETS=test_alloc_fail bash "$ROOT/scripts/build.sh" asan
cd "$ROOT/build/asan/test-tmp"
export STRATA_ALLOC_FAIL_STRIDE=1 STRATA_ALLOC_FAIL_MAX="${STRATA_ALLOC_FAIL_MAX:-20000}"
status=0
for mode in "" "STRATA_ALLOC_FAIL_PERSIST=1" "STRATA_ALLOC_FAIL_THREADS=1" "STRATA_ALLOC_FAIL_POSIX=1" \
            "STRATA_ALLOC_FAIL_POSIX=1 STRATA_ALLOC_FAIL_PERSIST=1"; do
  echo "== test_alloc_fail ${mode:-(one failure)}"
  env $mode ../test_alloc_fail "$@" || status=1
done
exit $status
