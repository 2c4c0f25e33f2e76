#!/usr/bin/env bash
# scripts/start.sh -- the main job (`npm start`): set up, build every target, show each build
# of the engine working (the native tool, the WASI module under node:wasi, the wasm engine in
# Node), then run the demo: `strata demo` loads 200k records into ./data and reads, scans,
# snapshots, flushes and prints stats, through the npm package's bin (bindings/js/bin/strata.js:
# the C tool of wasi/ compiled to WASI, run under node:wasi).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
bash scripts/build.sh all
echo
echo "native: $(build/native/strata version)"
echo "wasi:   $(node scripts/wasi-run.mjs build/wasi/strata.wasm version)"
node --input-type=module -e "
import { loadEngine } from './bindings/js/src/engine.js';
for (const threads of [false, true]) {
  const engine = await loadEngine({ threads });
  console.log(\`wasm-\${engine.variant}: strata \${engine.version()} xxh3('strata') = \${engine.xxh3(new TextEncoder().encode('strata'))}\`);
  engine.unload();
}"

echo
node bindings/js/bin/strata.js demo "$@"
