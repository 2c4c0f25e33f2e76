#!/usr/bin/env node
// Runs a WASI command module under node:wasi (preview1), like `wasmtime run`:
//   node scripts/wasi-run.mjs [--dir=HOST[::GUEST]]... [--no-proc] module.wasm [args...]
// Without --dir the current folder is preopened as "." so relative paths work. On Linux this
// process's /proc is preopened as /proc (unless --no-proc), so the module can tell whether the
// process named in a database's lock file still runs (src/vfs/posix_lock.c, docs/LOCKING.md).
import fs from 'node:fs';
import v8 from 'node:v8';
import { WASI } from 'node:wasi';

import { procPreopen, wasiLockEnv } from '../bindings/js/src/node_host.js';

// Node 20's node:wasi reads a stale memory pointer through V8 fast API calls once the module's
// memory grows (nodejs/node#46777, #53087): random SIGSEGV. NODE_OPTIONS cannot carry this flag.
v8.setFlagsFromString('--no-turbo-fast-api-calls');
process.removeAllListeners('warning'); // "WASI is an experimental feature"

const argv = process.argv.slice(2);
const preopens = {};
let proc = true;
while (argv[0]?.startsWith('--dir=') || argv[0] === '--no-proc') {
  const arg = argv.shift();
  if (arg === '--no-proc') {
    proc = false;
    continue;
  }
  const [host, guest] = arg.slice('--dir='.length).split('::');
  preopens[guest ?? host] = host;
}
if (Object.keys(preopens).length === 0) preopens['.'] = process.cwd();
if (proc) Object.assign(preopens, procPreopen());
if (!argv[0]) {
  console.error('usage: wasi-run.mjs [--dir=HOST[::GUEST]]... module.wasm [args...]');
  process.exit(2);
}
const env = { ...process.env, ...wasiLockEnv() }; // who runs the module, for its lock records
const wasi = new WASI({ version: 'preview1', args: argv, env, preopens, returnOnExit: true });
const module = await WebAssembly.compile(fs.readFileSync(argv[0]));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
