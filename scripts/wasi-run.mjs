#!/usr/bin/env node
// Runs a WASI command module under node:wasi (preview1), like `wasmtime run`:
//   node scripts/wasi-run.mjs [--dir=HOST[::GUEST]]... module.wasm [args...]
// Without --dir the current folder is preopened as "." so relative paths work.
import fs from 'node:fs';
import os from 'node:os';
import v8 from 'node:v8';
import { WASI } from 'node:wasi';

// Node 20's node:wasi reads a stale memory pointer through V8 fast API calls once the module's
// memory grows (nodejs/node#46777, #53087): random SIGSEGV. NODE_OPTIONS cannot carry this flag.
v8.setFlagsFromString('--no-turbo-fast-api-calls');
process.removeAllListeners('warning'); // "WASI is an experimental feature"

const argv = process.argv.slice(2);
const preopens = {};
while (argv[0]?.startsWith('--dir=')) {
  const [host, guest] = argv.shift().slice('--dir='.length).split('::');
  preopens[guest ?? host] = host;
}
if (Object.keys(preopens).length === 0) preopens['.'] = process.cwd();
if (!argv[0]) {
  console.error('usage: wasi-run.mjs [--dir=HOST[::GUEST]]... module.wasm [args...]');
  process.exit(2);
}
// WASI has no process API: tell the module who runs it, for the records of its database locks
// (src/vfs/posix_lock.c), so that native and Node openers can see when this process is gone.
function startTime() {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return '0';
  }
}
const env = { ...process.env, STRATA_LOCK_PID: String(process.pid), STRATA_LOCK_START: startTime(), STRATA_LOCK_HOST: os.hostname() };
const wasi = new WASI({ version: 'preview1', args: argv, env, preopens, returnOnExit: true });
const module = await WebAssembly.compile(fs.readFileSync(argv[0]));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
