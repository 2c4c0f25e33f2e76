#!/usr/bin/env bash
# scripts/fuzz.sh [seconds] -- builds tests/fuzz/fuzz_table.c with clang-19 and libFuzzer
# (-fsanitize=fuzzer,address,undefined) into build/fuzz and runs it for a bounded time
# (default 60 s) on a seed corpus written by tests/fuzz/fuzz_seeds.c (tables and blocks made
# by the engine's own writers). Exits non-zero when the fuzzer finds a crash, leak or hang.
# Not built through CMake: the native CMake build uses gcc, libFuzzer needs clang.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_TO_RUN="${1:-60}"
CC="${FUZZ_CC:-clang-19}"
OUT="$ROOT/build/fuzz"
mkdir -p "$OUT/corpus" "$OUT/artifacts"

SOURCES=("$ROOT"/src/util/*.c "$ROOT"/src/vfs/*.c "$ROOT"/src/table/*.c "$ROOT"/src/cache/*.c)
FLAGS=(-std=c11 -g -O1 -I"$ROOT/include" -I"$ROOT/src" -D_POSIX_C_SOURCE=200809L -DSTRATA_THREADS=0)
LIBS=($(pkg-config --libs liblz4 libxxhash))

echo "== fuzz: build seeds writer and target ($CC)"
"$CC" "${FLAGS[@]}" -fsanitize=address,undefined "${SOURCES[@]}" "$ROOT/tests/fuzz/fuzz_seeds.c" \
  "${LIBS[@]}" -o "$OUT/fuzz_seeds"
"$CC" "${FLAGS[@]}" -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all "${SOURCES[@]}" \
  "$ROOT/tests/fuzz/fuzz_table.c" "${LIBS[@]}" -o "$OUT/fuzz_table"
"$OUT/fuzz_seeds" "$OUT/corpus"

echo "== fuzz: run fuzz_table for ${SECONDS_TO_RUN}s"
cd "$OUT"
"$OUT/fuzz_table" -max_total_time="$SECONDS_TO_RUN" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$OUT/artifacts/" -print_final_stats=1 "$OUT/corpus" 2>&1 | tail -n 25
status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] && echo "fuzz: ok" || echo "fuzz: FAILED (artifacts in build/fuzz/artifacts)"
exit "$status"
