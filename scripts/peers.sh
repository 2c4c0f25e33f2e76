#!/usr/bin/env bash
# scripts/peers.sh [leveldb|rocksdb|all] -- build the benchmark's peers from Debian's source packages.
#
# The packaged librocksdb keeps its assertions on (it costs RocksDB up to 40% in db_bench), so
# `npm run bench` compares against LevelDB 1.23 and RocksDB 7.8.3 rebuilt from the same Debian
# source packages (apt-get source, verified by apt against the signed Sources index, Debian's
# patches applied) with -O2 -DNDEBUG, the flags Strata's bench build uses. The result is cached
# outside the repository in $STRATA_PEERS_DIR (default ~/.cache/strata-peers):
#   <dir>/leveldb/{include,lib/libleveldb.a}, <dir>/rocksdb/{include,lib/librocksdb.a}, <dir>/*/VERSION
# A second run with both present does nothing, one after an interrupted build continues it. CI
# never calls this (its bench smoke is Strata only).
# RocksDB takes long on two cores (about an hour at -j1); JOBS sets the parallelism (default 1),
# logs go to <dir>/<name>.log.
set -euo pipefail
DIR="${STRATA_PEERS_DIR:-$HOME/.cache/strata-peers}"
JOBS="${JOBS:-1}"
FLAGS="-O2 -DNDEBUG"
log() { printf '== peers: %s\n' "$*"; }
mkdir -p "$DIR/src"

# fetch and unpack <srcpkg> at the version apt knows, apply Debian's patch series; prints the tree
unpack() {
  local pkg="$1" ver tree
  ver="$(apt-cache showsrc "$pkg" | sed -n 's/^Version: //p' | head -1)"
  [ -n "$ver" ] || { echo "peers: apt knows no source package $pkg (is deb-src configured? see scripts/setup.sh)" >&2; exit 1; }
  tree="$DIR/src/$pkg-$ver"
  if [ ! -f "$tree/.unpacked" ]; then
    rm -rf "$tree"
    (cd "$DIR/src" && { ls "${pkg}_${ver}.dsc" >/dev/null 2>&1 || apt-get source -qq --download-only "$pkg" >&2; })
    mkdir -p "$tree"
    tar -xzf "$DIR/src/${pkg}_${ver%-*}.orig.tar.gz" -C "$tree" --strip-components=1
    tar -xJf "$DIR/src/${pkg}_${ver}.debian.tar.xz" -C "$tree"
    if [ -f "$tree/debian/patches/series" ]; then
      local p
      while read -r p; do
        case "$p" in ''|'#'*) continue ;; esac
        patch -d "$tree" -p1 -s < "$tree/debian/patches/$p" >&2
      done < "$tree/debian/patches/series"
    fi
    touch "$tree/.unpacked"
  fi
  echo "$ver" > "$tree/.version"
  echo "$tree"
}

# build <name> <srcpkg> <cmake options...>: static library with $FLAGS, installed under $DIR/<name>
build() {
  local name="$1" pkg="$2"; shift 2
  local ver out="$DIR/$name"
  ver="$(apt-cache showsrc "$pkg" | sed -n 's/^Version: //p' | head -1)"
  if [ -f "$out/lib/lib$name.a" ] && [ "$(cat "$out/VERSION" 2>/dev/null)" = "$ver $FLAGS" ]; then
    log "$name $ver already built in $out"; return 0
  fi
  local tree; tree="$(unpack "$pkg")"
  log "building $name $ver ($FLAGS, -j$JOBS), log in $DIR/$name.log"
  rm -rf "$out" # (an interrupted build's folder is kept: the next run continues it)
  {
    cmake -S "$tree" -B "$DIR/build-$name" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_C_FLAGS_RELEASE="$FLAGS" -DCMAKE_CXX_FLAGS_RELEASE="$FLAGS" \
      -DCMAKE_INSTALL_PREFIX="$out" -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_POSITION_INDEPENDENT_CODE=ON "$@"
    cmake --build "$DIR/build-$name" -j "$JOBS" --target "$name"
  } > "$DIR/$name.log" 2>&1 || { tail -30 "$DIR/$name.log" >&2; echo "peers: $name build failed, see $DIR/$name.log" >&2; exit 1; }
  mkdir -p "$out/lib" "$out/include"
  cp "$DIR/build-$name/lib$name.a" "$out/lib/"
  cp -r "$tree/include/." "$out/include/"
  echo "$ver $FLAGS" > "$out/VERSION"
  rm -rf "$DIR/build-$name"
  log "$name $ver done: $out/lib/lib$name.a"
}

what="${1:-all}"
case "$what" in
  leveldb|all)
    build leveldb leveldb -DBUILD_SHARED_LIBS=OFF -DLEVELDB_BUILD_TESTS=OFF -DLEVELDB_BUILD_BENCHMARKS=OFF \
      -DLEVELDB_INSTALL=OFF ;;&
  rocksdb|all)
    # the compression libraries Debian's package links; PORTABLE as Debian builds it (no -march=native)
    build rocksdb rocksdb -DROCKSDB_BUILD_SHARED=OFF -DWITH_TESTS=OFF -DWITH_TOOLS=OFF -DWITH_CORE_TOOLS=OFF \
      -DWITH_BENCHMARK_TOOLS=OFF -DWITH_GFLAGS=OFF -DWITH_LZ4=ON -DWITH_SNAPPY=ON -DWITH_ZSTD=ON -DWITH_ZLIB=ON \
      -DWITH_BZ2=ON -DPORTABLE=ON -DFAIL_ON_WARNINGS=OFF -DUSE_RTTI=ON ;;
  leveldb|rocksdb|all) ;;
  *) echo "usage: scripts/peers.sh [leveldb|rocksdb|all]" >&2; exit 2 ;;
esac
