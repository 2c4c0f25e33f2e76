#!/usr/bin/env bash
# scripts/setup.sh -- prepare a Debian 12 machine to build and test Strata.
#
# Idempotent; needs root for apt. Installs the toolchains (native, Emscripten, clang-19 for WASI),
# the system lz4/xxhash libraries, fetches lz4's C source from Debian's source package into the
# git-ignored third_party/ (the wasm builds compile it; nothing third-party is committed) and
# runs `npm ci`. A second run on a ready machine does no apt work and takes about a second.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TP="$ROOT/third_party"
export DEBIAN_FRONTEND=noninteractive
log() { printf '== setup: %s\n' "$*"; }

APT_PACKAGES=(build-essential cmake pkg-config ca-certificates git
  liblz4-dev libxxhash-dev
  emscripten binaryen
  wasi-libc clang-19 lld-19 llvm-19 libclang-rt-19-dev-wasm32 libclang-rt-19-dev
  librocksdb-dev libleveldb-dev
  chromium)

missing_packages() {
  local p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || echo "$p"
  done
}

need_root() { [ "$(id -u)" = 0 ] || { echo "setup: $1 needs root (run as root or with sudo)" >&2; exit 1; }; }

# 1. apt packages (only when something is missing)
missing="$(missing_packages)"
have_debsrc() {
  grep -rqsE '^Types:.*deb-src' /etc/apt/sources.list.d/ ||
    grep -qsE '^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list
}
if [ -n "$missing" ] || [ ! -s "$TP/lz4/lz4.c" ]; then
  need_root "installing packages"
  if ! have_debsrc; then
    log "adding a deb-src entry (lz4.c is only in the source package)"
    cat > /etc/apt/sources.list.d/strata-debsrc.sources <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  fi
  log "apt-get update"
  apt-get update -qq
fi
if [ -n "$missing" ]; then
  if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 18 ]; then
    log "installing Debian's nodejs (Node >= 18 required)"
    apt-get install -y -qq --no-install-recommends nodejs npm
  fi
  log "installing: $(echo $missing)"
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing
fi

# 2. emcc's JS optimizer (-O1 and above) requires 'acorn', which Debian ships in /usr/share/nodejs
if [ ! -e /usr/share/emscripten/node_modules ]; then
  need_root "linking acorn for emcc"
  ln -s /usr/share/nodejs /usr/share/emscripten/node_modules
fi

# 3. lz4 C source, same version as liblz4-dev, verified by apt against the signed Sources index
LZ4_VER="$(dpkg-query -W -f='${source:Upstream-Version}' liblz4-dev)"
if [ ! -s "$TP/lz4/lz4.c" ] || [ "$(cat "$TP/lz4/VERSION" 2>/dev/null)" != "$LZ4_VER" ]; then
  log "fetching lz4 $LZ4_VER source into third_party/lz4"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  chown _apt "$tmp" 2>/dev/null || true
  (cd "$tmp" && apt-get source -qq --download-only lz4)
  tar -xzf "$tmp"/lz4_*.orig.tar.gz -C "$tmp"
  mkdir -p "$TP/lz4"
  # only the block API; lz4's lib/ folder also carries an old xxhash.h, so it never goes on the include path
  cp "$tmp"/lz4-*/lib/lz4.c "$tmp"/lz4-*/lib/lz4.h "$tmp"/lz4-*/lib/LICENSE "$TP/lz4/"
  echo "$LZ4_VER" > "$TP/lz4/VERSION"
fi
# xxhash is header-only for the wasm builds; a private copy because -I/usr/include breaks emcc
mkdir -p "$TP/xxhash"
cmp -s /usr/include/xxhash.h "$TP/xxhash/xxhash.h" || cp /usr/include/xxhash.h "$TP/xxhash/xxhash.h"

# 4. npm dev dependencies
if [ -f "$ROOT/package-lock.json" ]; then
  if [ ! -d "$ROOT/node_modules" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
    log "npm ci"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
log "ready (node $(node --version), emcc $(emcc --version | head -1 | awk '{print $(NF-1)}'), $(clang-19 --version | head -1))"
