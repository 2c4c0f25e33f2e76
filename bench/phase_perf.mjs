#!/usr/bin/env node
// Measurement only: records `perf record -g` of one db_bench run (native, or the WASI module under
// node:wasi with --perf-basic-prof so V8's code has names) and cuts the profile into phases: a
// phase starts where the previous JSON line arrived and lasts its `secs` (perf and this process
// share CLOCK_MONOTONIC). Prints, per phase, the `perf report --time` command that shows it.
//   node bench/phase_perf.mjs OUT.data native build/bench/db_bench [--n N] [--phases a,b]
//   node bench/phase_perf.mjs OUT.data wasi MODULE.wasm [--n N] [--phases a,b]
// --freq F: perf's sampling frequency (default 999; a phase of 0.1 s wants 10000 or more).
// The modules the build links have no name section (clang-19's wasm-opt run strips it, see
// bench/README.md): relink the build's objects without an -O flag and run `wasm-opt -O2 -g` on
// the result to get the same code with names.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [out, kind, bin, ...rest] = process.argv.slice(2);
if (!out || !['native', 'wasi'].includes(kind) || !bin) {
  console.error('usage: phase_perf.mjs OUT.data native|wasi BINARY [--n N] [--phases a,b] [--freq F]');
  process.exit(2);
}
const opt = { n: '1000000', phases: null, freq: '999' };
for (let i = 0; i < rest.length; i += 2) opt[rest[i].replace(/^--/, '')] = rest[i + 1];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phase-perf-'));
const common = ['--peer', kind === 'wasi' ? 'strata-wasi' : 'strata', '--n', opt.n, '--rep', '0',
  ...(opt.phases ? ['--phases', opt.phases] : [])];
const run = new URL('../scripts/wasi-run.mjs', import.meta.url).pathname;
const cmd = kind === 'wasi'
  ? [process.execPath, '--perf-basic-prof', '--interpreted-frames-native-stack', run, `--dir=${dir}::bd`, bin, ...common, '--dir', 'bd/db']
  : [bin, ...common, '--dir', path.join(dir, 'db')];
const perf = spawn('perf', ['record', '-k', 'CLOCK_MONOTONIC', '-F', opt.freq, '-g', '-o', out, '--', ...cmd],
  { stdio: ['ignore', 'pipe', 'inherit'] });
const spans = [];
let pending = '';
let prev = null;
perf.stdout.on('data', (d) => {
  const t = Number(process.hrtime.bigint()) / 1e9;
  pending += d;
  let nl;
  while ((nl = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, nl);
    pending = pending.slice(nl + 1);
    let j;
    try { j = JSON.parse(line); } catch { continue; }
    const start = prev ?? t - j.secs;
    prev = t;
    if (j.secs > 0 && j.workload[0] !== '_') spans.push({ workload: j.workload, start, end: start + j.secs, ops: j.ops, cpu_secs: j.cpu_secs });
  }
});
perf.on('exit', (code) => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.writeFileSync(`${out}.phases.json`, JSON.stringify(spans, null, 1) + '\n');
  for (const s of spans) {
    console.log(`${s.workload.padEnd(12)} ${s.ops} ops, ${s.cpu_secs?.toFixed(3)} CPU s: perf report -i ${out} ` +
      `--time ${s.start.toFixed(6)},${s.end.toFixed(6)} --no-children --sort sym -g none --stdio`);
  }
  process.exit(code ?? 1);
});
