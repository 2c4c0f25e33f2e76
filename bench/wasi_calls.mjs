#!/usr/bin/env node
// Measurement only (not the shipped host): runs db_bench.wasm under node:wasi with every
// wasi_snapshot_preview1 import wrapped by a counter and prints, per phase, how many calls of each
// import the phase made and how many per operation. A phase ends where db_bench writes its JSON line
// to stdout, so the counts between two lines belong to the phase the second line names.
// "(memory.grow)" counts the host calls that found the module's memory grown since the last one.
//   node bench/wasi_calls.mjs [--n N] [--phases a,b] [--module build/bench-wasi/db_bench.wasm]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { WASI } from 'node:wasi';

v8.setFlagsFromString('--no-turbo-fast-api-calls'); // as scripts/wasi-run.mjs
process.removeAllListeners('warning');

const args = { n: '100000', phases: null, module: new URL('../build/bench-wasi/db_bench.wasm', import.meta.url).pathname };
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasi-calls-'));
const argv = [args.module, '--peer', 'strata-wasi', '--n', args.n, '--rep', '0', '--dir', 'bd/db',
  ...(args.phases ? ['--phases', args.phases] : [])];
const wasi = new WASI({ version: 'preview1', args: argv, env: {}, preopens: { bd: dir }, returnOnExit: true });
const imports = wasi.getImportObject();
const real = imports.wasi_snapshot_preview1;
let counts = {};
let memory = null;
const phases = [];
const wrapped = {};
let pending = '';
let lastBytes = 0;
for (const [name, fn] of Object.entries(real)) {
  wrapped[name] = (...a) => {
    counts[name] = (counts[name] ?? 0) + 1;
    if (memory && memory.buffer.byteLength !== lastBytes) { // grown since the last host call
      counts['(memory.grow)'] = (counts['(memory.grow)'] ?? 0) + 1;
      lastBytes = memory.buffer.byteLength;
    }
    const r = fn(...a);
    if (name === 'fd_write' && a[0] === 1 && memory) { // stdout: a JSON line ends a phase
      const dv = new DataView(memory.buffer);
      for (let i = 0; i < a[2]; i++) {
        const p = dv.getUint32(a[1] + 8 * i, true), l = dv.getUint32(a[1] + 8 * i + 4, true);
        pending += Buffer.from(memory.buffer, p, l).toString();
      }
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        try {
          const j = JSON.parse(line);
          counts.fd_write -= 1; // the line itself is the bench's, not the phase's
          phases.push({ workload: j.workload, ops: j.ops, counts });
          counts = { fd_write: 0 };
          counts.fd_write = 0;
        } catch { /* not a JSON line */ }
      }
    }
    return r;
  };
}
const module = await WebAssembly.compile(fs.readFileSync(args.module));
const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wrapped });
memory = instance.exports.memory;
lastBytes = memory.buffer.byteLength;
const pages0 = memory.buffer.byteLength / 65536;
const code = wasi.start(instance);
fs.rmSync(dir, { recursive: true, force: true });
for (const p of phases) {
  const per = Object.entries(p.counts).filter(([, c]) => c > 0).sort((a, b) => b[1] - a[1])
    .map(([k, c]) => `${k} ${c}${p.ops ? ` (${(c / p.ops).toFixed(4)}/op)` : ''}`);
  console.log(`${p.workload.padEnd(12)} ops ${String(p.ops ?? '').padEnd(8)} ${per.join(', ') || '(none)'}`);
}
console.log(`memory: ${pages0} pages at start, ${memory.buffer.byteLength / 65536} at exit; exit ${code}`);
