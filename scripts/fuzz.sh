#!/usr/bin/env bash
# scripts/fuzz.sh [seconds] [target...] -- builds the libFuzzer targets in tests/fuzz/ with clang-19
# (-fsanitize=fuzzer,address,undefined) into build/fuzz and runs each for a bounded time: the
# seconds (default 80) are shared between the targets run (default all four: fuzz_table, the
# table and block decoders; fuzz_journal, journal recovery; fuzz_manifest, manifest decoding and
# slot reading; fuzz_image, database images imported whole and in pieces), 20 s each by default. Seed corpora are written by tests/fuzz/fuzz_seeds.c (tables
# and blocks made by the engine's writers; journals and manifest slots of a real database);
# what a run finds is kept in build/fuzz/corpus-<target> for the next one. Exits non-zero when a
# fuzzer finds a crash, leak, hang or a failed check (artifacts in build/fuzz/artifacts).
# Not built through CMake: the native CMake build uses gcc, libFuzzer needs clang.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_TO_RUN="${1:-80}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(fuzz_table fuzz_journal fuzz_manifest fuzz_image)
CC="${FUZZ_CC:-clang-19}"
OUT="$ROOT/build/fuzz"
mkdir -p "$OUT/artifacts" "$OUT/obj-fuzz" "$OUT/obj-seeds"
for t in "${TARGETS[@]}" fuzz_table fuzz_journal fuzz_manifest fuzz_image; do mkdir -p "$OUT/corpus-$t"; done

SOURCES=("$ROOT"/src/*/*.c)
FLAGS=(-std=c11 -g -O1 -I"$ROOT/include" -I"$ROOT/src" -D_POSIX_C_SOURCE=200809L -DSTRATA_THREADS=0)
LIBS=($(pkg-config --libs liblz4 libxxhash))

# The engine compiled once per flavour (instrumented for the fuzzers; plain ASan for the seeds
# writer), two compilers at a time; objects are rebuilt when their source is newer.
compile_engine() {
  local dir="$1"; shift
  local objs=() running=0 failed=0
  local newest_header
  newest_header=$(ls -t "$ROOT"/src/*/*.h "$ROOT"/include/*.h | head -1)
  for src in "${SOURCES[@]}"; do
    local obj="$dir/$(basename "$(dirname "$src")")_$(basename "$src" .c).o"
    objs+=("$obj")
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$newest_header" -nt "$obj" ]; then
      "$CC" "$@" -c "$src" -o "$obj" &
      running=$((running + 1))
      if [ "$running" -ge "${JOBS:-2}" ]; then wait -n || failed=1; running=$((running - 1)); fi
    fi
  done
  while [ "$running" -gt 0 ]; do wait -n || failed=1; running=$((running - 1)); done
  [ "$failed" -eq 0 ] || { echo "fuzz: compiling the engine failed"; exit 1; }
  rm -f "$dir/libstrata.a"
  ar rcs "$dir/libstrata.a" "${objs[@]}"
}

echo "== fuzz: build the engine, the seeds writer and ${TARGETS[*]} ($CC)"
compile_engine "$OUT/obj-fuzz" "${FLAGS[@]}" -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
compile_engine "$OUT/obj-seeds" "${FLAGS[@]}" -fsanitize=address,undefined
"$CC" "${FLAGS[@]}" -fsanitize=address,undefined "$ROOT/tests/fuzz/fuzz_seeds.c" "$OUT/obj-seeds/libstrata.a" \
  "${LIBS[@]}" -o "$OUT/fuzz_seeds"
for t in "${TARGETS[@]}"; do
  "$CC" "${FLAGS[@]}" -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all "$ROOT/tests/fuzz/$t.c" \
    "$OUT/obj-fuzz/libstrata.a" "${LIBS[@]}" -o "$OUT/$t"
done
"$OUT/fuzz_seeds" "$OUT/corpus-fuzz_table" "$OUT/corpus-fuzz_journal" "$OUT/corpus-fuzz_manifest" "$OUT/corpus-fuzz_image"

each=$(( SECONDS_TO_RUN / ${#TARGETS[@]} ))
[ "$each" -ge 1 ] || each=1
status=0
cd "$OUT"
for t in "${TARGETS[@]}"; do
  echo "== fuzz: run $t for ${each}s"
  set +e
  "$OUT/$t" -max_total_time="$each" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$OUT/artifacts/$t-" -print_final_stats=1 "$OUT/corpus-$t" > "$OUT/$t.log" 2>&1
  rc=$?
  set -e
  tail -n 25 "$OUT/$t.log"
  if [ "$rc" -eq 0 ]; then echo "fuzz $t: ok"; else echo "fuzz $t: FAILED (artifacts in build/fuzz/artifacts)"; status=1; fi
done
[ "$status" -eq 0 ] && echo "fuzz: ok" || echo "fuzz: FAILED"
exit "$status"
