#!/usr/bin/env node
// examples/web/serve.mjs -- `npm run example`: builds the engine modules the page needs (the
// single-threaded build, and the pthreads build the cross-origin isolated URL uses) when they are
// missing, then serves the repository on 127.0.0.1 with the test harness's static server and
// prints two URLs: the page without COOP/COEP and the same page with them. Ctrl-C stops it.
//   npm run example [-- --port 8080] [--no-build]     (default port 8377, else a free one)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { root, startServer } from '../../tests/browser/harness.mjs';

const argv = process.argv.slice(2);
const port = argv.includes('--port') ? Number(argv[argv.indexOf('--port') + 1]) : null;
const DEFAULT_PORT = 8377; // tried first when no --port is given; a free one if it is taken
const builds = [['wasm', 'st'], ['wasm-mt', 'mt']];
if (!argv.includes('--no-build')) {
  const missing = builds.filter(([, dir]) => !fs.existsSync(path.join(root, 'bindings/js/dist', dir, 'strata.wasm')));
  if (missing.length) {
    console.log(`== building ${missing.map(([t]) => t).join(' ')} (bindings/js/dist; Emscripten)`);
    const r = spawnSync('bash', ['scripts/build.sh', ...missing.map(([t]) => t)], {
      cwd: root, stdio: 'inherit', env: { ...process.env, TARGETS: 'strata_js' } });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
}
for (const [t, dir] of builds) {
  if (!fs.existsSync(path.join(root, 'bindings/js/dist', dir, 'strata.wasm'))) console.warn(`warning: bindings/js/dist/${dir} is missing (scripts/build.sh ${t})`);
}
let server;
try {
  server = await startServer(root, { port: port ?? DEFAULT_PORT });
} catch (err) {
  if (port !== null || err.code !== 'EADDRINUSE') throw err;
  server = await startServer(root, { port: 0 });
}
console.log('strata-lsm log viewer (examples/web):');
console.log(`  ${server.url('examples/web/index.html')}             single-threaded build (no COOP/COEP)`);
console.log(`  ${server.url('examples/web/index.html', { isolated: true })}         pthreads build (served with COOP/COEP)`);
console.log('Ctrl-C to stop.');
process.on('SIGINT', async () => { await server.close(); process.exit(0); });
