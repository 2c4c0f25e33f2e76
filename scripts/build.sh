#!/usr/bin/env bash
# scripts/build.sh [native|asan|tsan|wasm|wasm-mt|wasi|bench|bench-wasi|all]... -- configure and build into build/<name>.
#   native   Release, -O2, warnings as errors (the build users get)
#   asan     Debug + AddressSanitizer/UBSan (the build the C tests run in)
#   tsan     Debug + ThreadSanitizer (concurrency stress)
#   wasm     Emscripten, single-threaded: bindings/js/dist/st/strata.{mjs,wasm} + C tests under Node
#   wasm-mt  Emscripten with pthreads:    bindings/js/dist/mt/strata.{mjs,wasm,worker.js}
#   wasi     clang-19 --target=wasm32-wasi: strata.wasm (copied to bindings/js/dist/wasi/ for the npm bin) + C tests under node:wasi
#   bench    native Release with db_bench (+ RocksDB/LevelDB from scripts/peers.sh when built; not in `all`)
#   bench-wasi  WASI with db_bench.wasm, Strata only (not in `all`)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="${JOBS:-$(nproc)}"
NODE="$(command -v node)"

configure_and_build() {
  local name="$1"; shift
  local dir="$ROOT/build/$name"
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    echo "== configure $name"
    "$@" -S "$ROOT" -B "$dir" > "$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; exit 1; }
  fi
  echo "== build $name"
  # shellcheck disable=SC2086
  cmake --build "$dir" -j "$JOBS" ${TARGETS:+--target $TARGETS}
}

build_one() {
  mkdir -p "$ROOT/build"
  case "$1" in
    native)  configure_and_build native cmake -DCMAKE_BUILD_TYPE=Release -DSTRATA_WERROR=ON ;;
    asan)    configure_and_build asan cmake -DCMAKE_BUILD_TYPE=Debug -DSTRATA_WERROR=ON \
               -DSTRATA_SANITIZE=address,undefined ;;
    tsan)    configure_and_build tsan cmake -DCMAKE_BUILD_TYPE=Debug -DSTRATA_SANITIZE=thread ;;
    # emcmake's default emulator passes a flag Node 20 rejects; name node itself
    wasm)    configure_and_build wasm emcmake cmake -DCMAKE_BUILD_TYPE=Release -DSTRATA_WERROR=ON \
               -DSTRATA_THREADS=OFF -DCMAKE_CROSSCOMPILING_EMULATOR="$NODE" ;;
    wasm-mt) configure_and_build wasm-mt emcmake cmake -DCMAKE_BUILD_TYPE=Release -DSTRATA_WERROR=ON \
               -DSTRATA_THREADS=ON -DCMAKE_CROSSCOMPILING_EMULATOR="$NODE" ;;
    wasi)    configure_and_build wasi cmake -DCMAKE_BUILD_TYPE=Release -DSTRATA_WERROR=ON \
               -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/wasi-clang19.cmake" ;;
    # benchmarks (not part of `all`, so the test builds never need RocksDB/LevelDB)
    # (only db_bench: its folder need not rebuild every test binary)
    # RocksDB/LevelDB are linked when scripts/peers.sh has built them into $STRATA_PEERS_DIR (npm run
    # bench does); without them db_bench has Strata only (CI's smoke), and this never builds them.
    bench)   local pd="${STRATA_PEERS_DIR:-$HOME/.cache/strata-peers}" libs="" p
             for p in leveldb rocksdb; do [ -f "$pd/$p/lib/lib$p.a" ] && libs="${libs:+$libs;}$p"; done
             # reconfigure when a peer appeared or went away since the last configure
             if [ -f "$ROOT/build/bench/CMakeCache.txt" ] &&
                ! grep -qx "STRATA_BENCH_PEER_LIBS:UNINITIALIZED=$libs" "$ROOT/build/bench/CMakeCache.txt"; then
               rm -f "$ROOT/build/bench/CMakeCache.txt"
             fi
             TARGETS=db_bench configure_and_build bench cmake -DCMAKE_BUILD_TYPE=Release -DSTRATA_WERROR=ON \
               -DSTRATA_BENCH_DB=ON -DSTRATA_BENCH_PEERS=$([ -n "$libs" ] && echo ON || echo OFF) \
               -DSTRATA_PEERS_DIR="$pd" -DSTRATA_BENCH_PEER_LIBS="$libs" ;;
    bench-wasi) TARGETS=db_bench configure_and_build bench-wasi cmake -DCMAKE_BUILD_TYPE=Release -DSTRATA_WERROR=ON \
               -DSTRATA_BENCH_DB=ON -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/wasi-clang19.cmake" ;;
    all)     for b in native asan wasm wasm-mt wasi; do build_one "$b"; done ;;
    *) echo "unknown build: $1 (native|asan|tsan|wasm|wasm-mt|wasi|bench|bench-wasi|all)" >&2; exit 2 ;;
  esac
}

[ $# -gt 0 ] || set -- all
for b in "$@"; do build_one "$b"; done
