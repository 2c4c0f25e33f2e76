#!/usr/bin/env node
// strata -- the command-line tool of strata-lsm. It is the C tool (wasi/cli_*.c, the same one
// built natively as build/native/strata) compiled to a WASI command module, shipped as
// bindings/js/dist/wasi/strata.wasm and run here under node:wasi: every command, its output and
// its exit code come from that module (`strata help` lists them). This file only gives the
// module access to the folders named on the command line and maps their paths.
//
// Paths: a path inside the current folder is passed as it is, relative to the preopened ".";
// any other path is made absolute and the nearest existing parent of its folder is preopened
// under its own absolute name, so the module sees the same paths the host does.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';

import { procPreopen, wasiLockEnv } from '../src/node_host.js';

// Node 20's node:wasi reads a stale memory pointer through V8 fast API calls once the module's
// memory grows (nodejs/node#46777, #53087): random SIGSEGV. Set before node:wasi is loaded;
// NODE_OPTIONS cannot carry this flag.
v8.setFlagsFromString('--no-turbo-fast-api-calls');
process.removeAllListeners('warning'); // "WASI is an experimental feature"
const { WASI } = await import('node:wasi');

const here = path.dirname(fileURLToPath(import.meta.url));
const modulePath = path.join(here, '../dist/wasi/strata.wasm');

// The command shapes of wasi/cli_args.c, as far as they say which arguments are paths.
const DB_COMMANDS = new Set(['put', 'get', 'del', 'scan', 'stats', 'check', 'compact', 'flush', 'repair', 'load', 'dump']);
// Options that take a value (the value is not a positional argument): load's.
const VALUE_OPTIONS = new Set(['--format', '--batch', '--recovery']);

// Makes `--dir` explicit (`--dir=D` split, the default added) and returns the index of its value.
function dirOption(args, fallback) {
  for (let i = 1; i < args.length; i++) {
    if (args[i] === '--dir' && i + 1 < args.length) return i + 1;
    if (args[i].startsWith('--dir=')) {
      args.splice(i, 1, '--dir', args[i].slice('--dir='.length));
      return i + 1;
    }
  }
  args.push('--dir', fallback);
  return args.length - 1;
}

// The indices of the path arguments in args; demo's and bench's --dir are made explicit first.
function pathArguments(args) {
  const [first, second] = args;
  if (first === undefined || ['help', 'version'].includes(first) || args.some((a) => a === '--help' || a === '-h')) return [];
  if (first === 'xxh3') return args.map((a, i) => i).filter((i) => i > 0 && !args[i].startsWith('--'));
  if (first === 'demo' && !DB_COMMANDS.has(second)) return [dirOption(args, './data')];
  if (first === 'bench' && !DB_COMMANDS.has(second)) return [dirOption(args, './strata-bench')];
  if (first === 'repair' && second !== undefined && !DB_COMMANDS.has(second)) return [1];
  if (second === 'load') { // DIR load [options] FILE: FILE is the first positional after load
    for (let i = 2; i < args.length; i++) {
      if (VALUE_OPTIONS.has(args[i])) i++;
      else if (!args[i].startsWith('--')) return [0, i];
    }
  }
  // export DIR FILE, import FILE DIR: both are paths
  if ((first === 'export' || first === 'import') && second !== undefined && !DB_COMMANDS.has(second)) {
    return [1, 2].filter((i) => i < args.length && !args[i].startsWith('--'));
  }
  return [0];
}

function nearestExisting(dir) {
  while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

// Rewrites the path arguments for the guest and returns the preopens they need.
function mapPaths(args) {
  const cwd = process.cwd();
  const preopens = { '.': cwd, ...procPreopen() }; // /proc: the module can tell a dead lock holder
  for (const i of pathArguments(args)) {
    const host = path.resolve(cwd, args[i]);
    const rel = path.relative(cwd, host);
    if (!rel.startsWith('..') && !path.isAbsolute(rel)) {
      args[i] = rel === '' ? '.' : rel;
      continue;
    }
    // a folder argument may not exist yet (put, load and bench create it): its parent is opened
    const parent = nearestExisting(path.dirname(host));
    preopens[parent] = parent;
    args[i] = host;
  }
  return preopens;
}

// How a user would run this tool again, for the hints the tool prints.
function programName() {
  const invoked = process.argv[1] ?? '';
  if (path.basename(invoked) === 'strata') return 'strata'; // the npm bin link
  const rel = path.relative(process.cwd(), fileURLToPath(import.meta.url));
  return rel.startsWith('..') || path.isAbsolute(rel) ? 'strata' : `node ${rel}`;
}

let wasm;
try {
  wasm = fs.readFileSync(modulePath);
} catch (err) {
  process.stderr.write(`strata: STRATA_NOT_FOUND: ${modulePath}: ${err.code} (build it: bash scripts/build.sh wasi)\n`);
  process.exit(1);
}
const args = process.argv.slice(2);
const preopens = mapPaths(args);
const wasi = new WASI({ version: 'preview1', args: [programName(), ...args], env: wasiLockEnv(), preopens, returnOnExit: true });
const instance = await WebAssembly.instantiate(await WebAssembly.compile(wasm), wasi.getImportObject());
process.exitCode = wasi.start(instance);
