#!/usr/bin/env bash
# scripts/campaign.sh [quick|medium|long] -- the reliability campaign of issue 11, long versions of
# the bounded tests that `npm test` runs. Each part prints its own figures; the figures and a
# PASS/FAIL per part go to build/campaign/summary.txt (logs beside it). Run under `nice -n 10`
# on shared machines; it uses one core at a time (two while building).
#
#   power cuts  test_db_model's power-cut case (asan build): seeded random workloads over the
#               fault VFS in power-cut mode, 3 cuts per trial, reboot, reopen, prefix check
#               (STRATA_POWER_CUTS trials: quick 1,000 / medium 20,000 / long 100,000)
#   sweeps      test_damage_sweep (asan build): every byte of both manifest slots flipped and cut
#               (full), the LOCK cases, and sampled flips/cuts of journals and tables
#               (STRATA_SWEEP_SAMPLES per kind: quick 100 / medium 400 / long every byte, FULL)
#   kill -9     test_crash_native in the native build (and a share in asan): writer processes
#               killed at random moments, four modes (STRATA_CRASH_ROUNDS: quick 100 / medium
#               1,000 / long 5,000 native, a fifth of that in asan)
#   fuzz        scripts/fuzz.sh: fuzz_table, fuzz_journal, fuzz_manifest (quick 60 s / medium
#               300 s / long 3,600 s in all)
# Durations on a shared 2-core machine: quick ~4 min, medium ~12-15 min, long several hours.
# STRATA_CAMPAIGN_SEED picks the seeds (default: from the date). File types listed in
# SWEEP_EXPECTED_TO_FAIL (tests/c/test_damage_sweep.c; empty now) or in STRATA_SWEEP_EXPECT_FAIL
# have their silently wrong trials counted without failing.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SCALE="${1:-medium}"
case "$SCALE" in
  quick)  CUTS=1000;   SAMPLES=100; FULL_MANIFEST=1; KILLS=100;  FUZZ=60 ;;
  medium) CUTS=20000;  SAMPLES=400; FULL_MANIFEST=1; KILLS=1000; FUZZ=300 ;;
  long)   CUTS=100000; SAMPLES=0;   FULL_MANIFEST=1; KILLS=5000; FUZZ=3600 ;;
  *) echo "usage: scripts/campaign.sh [quick|medium|long]" >&2; exit 2 ;;
esac
SEED="${STRATA_CAMPAIGN_SEED:-$(date +%Y%m%d)}"
OUT="$ROOT/build/campaign"
mkdir -p "$OUT"
SUMMARY="$OUT/summary.txt"
start=$(date +%s)
{
  echo "campaign $SCALE, seed $SEED, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD)$(git diff --quiet || echo '+changes')"
} > "$SUMMARY"
status=0

JOBS="${JOBS:-2}" bash scripts/build.sh asan native > "$OUT/build.log" 2>&1 || { echo "build failed (build/campaign/build.log)"; exit 1; }

# part NAME LOG-GREP COMMAND...: runs one part, keeps its log, copies its figure lines to the summary
part() {
  local name="$1" pattern="$2"; shift 2
  local log="$OUT/$name.log" t0 rc
  t0=$(date +%s)
  echo "== $name: $*"
  "$@" > "$log" 2>&1
  rc=$?
  local verdict=PASS
  [ "$rc" -eq 0 ] || { verdict=FAIL; status=1; }
  {
    echo
    echo "## $name: $verdict ($(( $(date +%s) - t0 )) s)"
    grep -E "$pattern" "$log" | sed 's/^[0-9]*: //'
  } >> "$SUMMARY"
  echo "   $verdict ($(( $(date +%s) - t0 )) s)"
}


part power-cuts 'power cuts:|passed, [0-9]+ failed|FAIL|check failed|after trial' \
  env STRATA_POWER_CUTS="$CUTS" STRATA_POWER_CUT_SEED="$SEED" STRATA_MODEL_OPS=200 \
  bash -c "cd build/asan/test-tmp && ../test_db_model"

part sweep-manifest-lock '^(strict|point-in-time|manifest-[01]|LOCK|journal|table) |silently wrong|database:|passed, [0-9]+ failed' \
  env STRATA_SWEEP_FULL="$FULL_MANIFEST" STRATA_SWEEP_TYPES=manifest-0,manifest-1,LOCK STRATA_SWEEP_SEED="$SEED" \
  bash -c "cd build/asan/test-tmp && ../test_damage_sweep"

if [ "$SAMPLES" -eq 0 ]; then sweep_env=(STRATA_SWEEP_FULL=1); else sweep_env=(STRATA_SWEEP_SAMPLES="$SAMPLES"); fi
part sweep-journal-table '^(strict|point-in-time|manifest-[01]|LOCK|journal|table) |silently wrong|database:|passed, [0-9]+ failed' \
  env "${sweep_env[@]}" STRATA_SWEEP_TYPES=journal,table STRATA_SWEEP_SEED="$SEED" \
  bash -c "cd build/asan/test-tmp && ../test_damage_sweep"

part kill-native 'kill -9:|passed, [0-9]+ failed|FAIL|lost|prefix' \
  env STRATA_CRASH_ROUNDS="$KILLS" STRATA_CRASH_SEED="$SEED" bash -c "cd build/native/test-tmp && ../test_crash_native"

part kill-asan 'kill -9:|passed, [0-9]+ failed|FAIL|lost|prefix' \
  env STRATA_CRASH_ROUNDS="$(( KILLS / 5 ))" STRATA_CRASH_SEED="$(( SEED + 1 ))" bash -c "cd build/asan/test-tmp && ../test_crash_native"

part fuzz '^fuzz |DONE|Done [0-9]+ runs' bash scripts/fuzz.sh "$FUZZ"

echo >> "$SUMMARY"
echo "total $(( $(date +%s) - start )) s; $([ "$status" -eq 0 ] && echo PASS || echo FAIL)" >> "$SUMMARY"
cat "$SUMMARY"
exit "$status"
