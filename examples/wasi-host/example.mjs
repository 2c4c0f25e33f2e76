#!/usr/bin/env node
// Strata as a library in a WASI host: loads the reactor (strata-reactor.wasm) under node:wasi,
// gives it one host folder, and opens a database there: put, get, a batch, a prefix scan.
//   node examples/wasi-host/example.mjs [FOLDER]      (default: ./wasi-example-db)
// The same steps work in any WASI runtime (docs/WASI.md): preopen a folder, instantiate with the
// wasi_snapshot_preview1 imports, call _initialize, then call the strata_* exports.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';

import { Strata } from './strata_wasi.mjs';

// Node 20's node:wasi reads a stale memory pointer through V8 fast API calls once the module's
// memory grows (nodejs/node#46777): set before node:wasi is loaded.
v8.setFlagsFromString('--no-turbo-fast-api-calls');
process.removeAllListeners('warning'); // "WASI is an experimental feature"
const { WASI } = await import('node:wasi');

const here = path.dirname(fileURLToPath(import.meta.url));
const modulePath = process.env.STRATA_REACTOR ?? path.join(here, '../../bindings/js/dist/wasi/strata-reactor.wasm');
const folder = path.resolve(process.argv[2] ?? 'wasi-example-db');
fs.mkdirSync(folder, { recursive: true });

// The module sees the host folder as /db. STRATA_LOCK_* name this process in the folder's lock
// record, so other openers can tell whether it still runs (docs/LOCKING.md).
const wasi = new WASI({
  version: 'preview1',
  preopens: { '/db': folder },
  env: { STRATA_LOCK_PID: String(process.pid), STRATA_LOCK_HOST: os.hostname() },
  returnOnExit: true,
});
const module = await WebAssembly.compile(fs.readFileSync(modulePath));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
wasi.initialize(instance); // calls _initialize: a reactor has no main

const strata = new Strata(instance);
const text = (b) => new TextDecoder().decode(b);
const db = strata.open('/db');
try {
  db.put('fruit/apple', 'red');
  db.put('fruit/banana', 'yellow');
  db.batch([{ type: 'put', key: 'fruit/cherry', value: 'dark red' }, { type: 'put', key: 'veg/leek', value: 'green' }]);
  console.log(`strata ${strata.version} (WASI reactor) in ${folder}`);
  console.log(`get fruit/apple -> ${text(db.get('fruit/apple'))}`);
  console.log(`get fruit/kiwi -> ${db.get('fruit/kiwi') === undefined ? '(absent)' : '?'}`);
  for (const [k, v] of db.iterate({ prefix: 'fruit/' })) console.log(`scan ${text(k)} = ${text(v)}`);
  db.flush();
  const st = db.stats();
  console.log(`flushed: ${st.levels.reduce((n, l) => n + l.tables, 0)} table(s), next seqno ${st.seqno}`);
} finally {
  db.close();
}
