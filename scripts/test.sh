#!/usr/bin/env bash
# scripts/test.sh -- the test command (`npm test`): set-up, every build, every test, one summary.
#
# C tests run under ctest in four builds: native Release, native Debug with ASan/UBSan, wasm
# (Node, single-threaded and pthreads) and WASI (node:wasi). JS tests run with `node --test`.
# Ends with "tests: N passed, N failed" and exits non-zero if anything failed.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
LOG="$ROOT/build/test-logs"
start=$(date +%s)

bash scripts/setup.sh || { echo "set-up failed"; exit 1; }
mkdir -p "$LOG"
bash scripts/build.sh all tsan || { echo "build failed"; exit 1; }

passed=0
failed=0
failed_suites=()

# Counts test cases, not binaries: each C test binary closes with "N passed, N failed"
# (ctest -V prefixes it with the test number); a binary that crashed before printing it
# counts as one failure through ctest's own "F tests failed out of T".
run_ctest() {
  local name="$1"; shift
  local log="$LOG/ctest-$name.log"
  echo "== ctest $name $*"
  (cd "build/$name" && ctest -V --timeout 900 -j "${JOBS:-2}" "$@") > "$log" 2>&1
  local rc=$?
  local ok bad summary crashed
  ok=$(grep -E '^[0-9]+: [0-9]+ passed, [0-9]+ failed$' "$log" | awk '{s += $2} END {print s + 0}')
  bad=$(grep -E '^[0-9]+: [0-9]+ passed, [0-9]+ failed$' "$log" | awk '{s += $4} END {print s + 0}')
  summary=$(grep -E 'tests passed, [0-9]+ tests failed out of' "$log" | tail -1)
  crashed=$(sed -nE 's/.* ([0-9]+) tests failed out of.*/\1/p' <<< "$summary")
  crashed=${crashed:-1}
  [ "$crashed" -gt "$bad" ] && bad=$crashed
  [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ] && bad=1
  passed=$((passed + ok))
  failed=$((failed + bad))
  echo "   $ok passed, $bad failed ($summary)"
  if [ "$bad" -ne 0 ]; then
    failed_suites+=("ctest $name")
    grep -E 'FAIL|: +[^ ]+:[0-9]+: |Failed|Error|ERROR|Sanitizer' "$log" | head -100
  fi
}

for build in native asan wasm wasm-mt wasi; do run_ctest "$build"; done
# ThreadSanitizer: the tests that run threads against each other
run_ctest tsan -R '_threads|memtable|block_cache|file_cache|test_util' 

# The decoders under libFuzzer (clang-19, ASan/UBSan) for a bounded time: fuzz_table, fuzz_journal,
# fuzz_manifest, fuzz_image and fuzz_blob, 20 s each; one step per target.
echo "== fuzz (scripts/fuzz.sh 100)"
bash scripts/fuzz.sh 100 > "$LOG/fuzz.log" 2>&1
fuzz_rc=$?
fuzz_ok=$(grep -cE '^fuzz fuzz_[a-z]+: ok$' "$LOG/fuzz.log")
fuzz_bad=$(grep -cE '^fuzz fuzz_[a-z]+: FAILED' "$LOG/fuzz.log")
[ "$fuzz_rc" -ne 0 ] && [ "$fuzz_bad" -eq 0 ] && fuzz_bad=1
passed=$((passed + fuzz_ok))
failed=$((failed + fuzz_bad))
echo "   fuzz: $fuzz_ok passed, $fuzz_bad failed"
if [ "$fuzz_bad" -ne 0 ]; then
  failed_suites+=("fuzz")
  tail -60 "$LOG/fuzz.log"
fi

# The benchmark's correctness checks (never timings): db_bench on Strata with N=20000, native
# (tables read by pread, and mapped) and WASI, must find every key, miss every absent one and scan
# every entry. One step each.
bench_smoke() {
  local name="$1"; shift
  if "$@" 2> "$LOG/bench-$name.err" | tee "$LOG/bench-$name.log" | node bench/check.mjs 20000 > "$LOG/bench-$name.check" 2>&1; then
    passed=$((passed + 1))
    echo "   bench $name: 1 passed ($(tail -1 "$LOG/bench-$name.check"))"
  else
    failed=$((failed + 1))
    failed_suites+=("bench $name")
    echo "   bench $name: 1 failed"
    cat "$LOG/bench-$name.check" "$LOG/bench-$name.err" | tail -20
  fi
}
echo "== bench smoke (db_bench --peer strata --n 20000)"
if bash scripts/build.sh bench bench-wasi > "$LOG/bench-build.log" 2>&1; then
  smoke_dir="$ROOT/build/bench-smoke"
  rm -rf "$smoke_dir" && mkdir -p "$smoke_dir"
  bench_smoke native build/bench/db_bench --peer strata --n 20000 --dir "$smoke_dir/native"
  bench_smoke native-mmap build/bench/db_bench --peer strata-mmap --n 20000 --dir "$smoke_dir/mmap"
  bench_smoke wasi node scripts/wasi-run.mjs "--dir=$smoke_dir::bd" build/bench-wasi/db_bench.wasm \
    --peer strata --n 20000 --dir bd/wasi
  rm -rf "$smoke_dir"
else
  failed=$((failed + 1))
  failed_suites+=("bench build")
  echo "   bench build: 1 failed"
  tail -30 "$LOG/bench-build.log"
fi

echo "== node --test"
node --test --test-reporter=tap tests/js/ > "$LOG/node-test.log" 2>&1
rc=$?
js_pass=$(grep -E '^# pass ' "$LOG/node-test.log" | awk '{print $3}')
js_fail=$(grep -E '^# fail ' "$LOG/node-test.log" | awk '{print $3}')
js_pass=${js_pass:-0}
js_fail=${js_fail:-1}
[ "$rc" -ne 0 ] && [ "$js_fail" -eq 0 ] && js_fail=1
echo "   node: $js_pass passed, $js_fail failed"
passed=$((passed + js_pass))
failed=$((failed + js_fail))
if [ "$js_fail" -ne 0 ]; then
  failed_suites+=("node --test")
  grep -vE '^\s*(duration_ms|\.\.\.|---)' "$LOG/node-test.log" | grep -B2 -A30 'not ok' | head -200
fi

# The browser tests (tests/browser/*.test.mjs): real headless Chromium (/usr/bin/chromium, from
# setup.sh) driven by playwright-core; pages served by the tests on 127.0.0.1. Bounded: 10 minutes.
echo "== node --test tests/browser/"
timeout --kill-after=10 600 node --test --test-reporter=tap tests/browser/ > "$LOG/browser-test.log" 2>&1
rc=$?
br_pass=$(grep -E '^# pass ' "$LOG/browser-test.log" | awk '{print $3}')
br_fail=$(grep -E '^# fail ' "$LOG/browser-test.log" | awk '{print $3}')
br_pass=${br_pass:-0}
br_fail=${br_fail:-1}
[ "$rc" -ne 0 ] && [ "$br_fail" -eq 0 ] && br_fail=1
echo "   browser: $br_pass passed, $br_fail failed"
passed=$((passed + br_pass))
failed=$((failed + br_fail))
if [ "$br_fail" -ne 0 ]; then
  failed_suites+=("node --test tests/browser/")
  grep -vE '^\s*(duration_ms|\.\.\.|---)' "$LOG/browser-test.log" | grep -B2 -A30 'not ok' | head -200
  [ "$rc" -eq 124 ] && echo "   (timed out after 600 s)"
fi

echo
echo "time: $(( $(date +%s) - start ))s; logs in build/test-logs/"
[ ${#failed_suites[@]} -gt 0 ] && echo "failing: ${failed_suites[*]}"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
