#!/usr/bin/env node
// bench/run.mjs -- the benchmark driver (`npm run bench`): builds db_bench natively and for WASI,
// runs every peer REPS times (one process per peer and repetition, peers interleaved within a
// repetition so that machine noise spreads over all of them), checks the correctness fields,
// prints a table (median and min ops/s, Strata's ratio to the best other native peer) and writes
// bench/results/<stamp>.json, .jsonl and .svg (plus latest.*).
//
//   npm run bench                      N=1,000,000, 3 repetitions (Node peers: N=500,000)
//   npm run bench -- --quick           N=100,000, 1 repetition
//   npm run bench -- --values 4096     the large-value variant: 4 KiB values, native peers with and
//                                      without separation (strata, strata-kv, rocksdb, rocksdb-blob,
//                                      leveldb); write amplification per peer in the table
//   options: --n N  --reps R  --node-n N  --peers strata,rocksdb,...  --no-build  --no-node
//            --no-install (do not install the Node peers)  --values BYTES  --memtable BYTES
//            (every peer's write buffer: a small run still goes through the levels)
//            --peers ...,strata-mmap: also Strata with map_tables on (tables mapped), beside
//            strata; run only when named (not by --scale, which runs strata, rocksdb, leveldb)
//            --phases a,b,... (native peers only: just these db_bench phases, e.g.
//            fillseq,fillrandom,fillbatch,fillrandom-mt; the checks expect only them)
//   npm run bench -- --browser         the browser peers instead (bench/browser, headless Chromium, N=100,000)
//   npm run bench -- --scale [--scale-n 1000000,3000000,10000000]
//            fillrandom, readrandom and seekrandom of the native peers at each N (1 rep unless
//            --reps): ops/s, write and space amplification, peak RSS, fillrandom tail latency
//
// RocksDB and LevelDB are the static libraries scripts/peers.sh builds once from Debian's source
// packages with -O2 -DNDEBUG (cached in ~/.cache/strata-peers or $STRATA_PEERS_DIR); the driver
// runs it when they are missing (RocksDB takes long on two cores; its log says how far it is).
//
// Node peers: when bench/node_bench.mjs exists the driver runs it as well. Its contract is the
// one db_bench follows: `node bench/node_bench.mjs --list` prints peer names one per line, and
// `node bench/node_bench.mjs --peer P --n N --rep R --dir D` prints the JSON lines of WORKLOAD.md.
// The Node peers' packages (classic-level, memory-level, lmdb, better-sqlite3) are not
// dependencies of the repository: the driver installs them on demand into bench/node_peers (its
// own package.json, optionalDependencies), where a package that fails to install is skipped.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmtOps, renderSvg } from './chart.mjs';
import { WORKLOADS, checkLines } from './check.mjs';

// the tables' rows: WORKLOADS, plus fillrandom-mt (fillrandom's puts from 4 threads), which only
// the native db_bench runs (a '–' for the others)
const TABLE_WORKLOADS = [...WORKLOADS.slice(0, 2), 'fillrandom-mt', ...WORKLOADS.slice(2)];

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NATIVE_PEERS = ['strata', 'rocksdb', 'leveldb'];
const SEPARATING_PEERS = ['strata-kv', 'rocksdb-blob']; // with --values: key-value separation on
// Strata with another setting, run only when --peers names it: a column beside strata, never
// the "best other" strata is compared with
const STRATA_VARIANTS = ['strata-mmap']; // map_tables 1: misses read from the mapping, its pages in RSS
const isNative = (p) => NATIVE_PEERS.includes(p) || SEPARATING_PEERS.includes(p) || STRATA_VARIANTS.includes(p);
const WASI_PEER = 'strata-wasi';
// "1.23x": x over `of`, or '–' when either is missing (every ratio column of the tables)
const ratioText = (x, of) => (x && of > 0 ? `${(x / of).toFixed(2)}x` : '–');
const variantColumn = (p) => `${p.replace('strata-', '')}/best`; // a variant's ratio column

function parseArgs(argv) {
  const a = { browser: false, quick: false, n: null, reps: null, nodeN: null, peers: null, build: true, node: true, install: true,
    values: null, memtable: null, phases: null, scale: false, scaleN: [1000000, 3000000, 10000000] };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--quick') a.quick = true;
    else if (k === '--browser') a.browser = true;
    else if (k === '--no-build') a.build = false;
    else if (k === '--no-node') a.node = false;
    else if (k === '--no-install') a.install = false;
    else if (k === '--n') a.n = Number(argv[++i]);
    else if (k === '--reps') a.reps = Number(argv[++i]);
    else if (k === '--node-n') a.nodeN = Number(argv[++i]);
    else if (k === '--peers') a.peers = argv[++i].split(',');
    else if (k === '--scale') a.scale = true;
    else if (k === '--scale-n') { a.scale = true; a.scaleN = argv[++i].split(',').map(Number); }
    else if (k === '--values') a.values = Number(argv[++i]);
    else if (k === '--memtable') a.memtable = Number(argv[++i]);
    else if (k === '--phases') a.phases = argv[++i].split(',').filter(Boolean);
    else { console.error(`unknown option ${k}`); process.exit(2); }
  }
  if (a.phases) a.node = false; // the Node and WASI runners run every phase
  a.nGiven = a.n;
  a.n ??= a.quick ? 100000 : 1000000;
  a.nodeN ??= a.quick ? 100000 : 500000;
  a.repsGiven = a.reps != null;
  a.reps ??= a.quick ? 1 : 3;
  if (a.values !== null) { // the large-value variant: native peers only (the WASI and Node runners take 100-byte values)
    if (!(a.values >= 2 && a.values <= 1 << 20)) { console.error('--values must be 2..1048576'); process.exit(2); }
    a.node = false;
  }
  return a;
}

function sh(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, JOBS: process.env.JOBS ?? '1', ...env } });
  if (r.status !== 0) { console.error(`${cmd} ${args.join(' ')} failed`); process.exit(1); }
}

// Runs one peer once; returns its JSON lines plus the driver's _load line.
function runOnce(peer, rep, n, cmd, args, dataDir) {
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });
  const loadBefore = os.loadavg();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  fs.rmSync(dataDir, { recursive: true, force: true });
  const lines = [];
  for (const l of (r.stdout ?? '').split('\n')) {
    if (!l.startsWith('{')) continue;
    try { lines.push(JSON.parse(l)); } catch { /* not ours */ }
  }
  if (r.status !== 0) process.stderr.write(`  ${peer} rep ${rep} exited ${r.status}:\n${r.stderr}\n`);
  lines.push({
    peer, rep, n, workload: '_load', ops: 0, secs: wall, ops_per_s: null,
    load_before: loadBefore, load_after: os.loadavg(), wall_secs: wall, exit_code: r.status,
  });
  return lines;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : null;
};

function summarize(all, peers) {
  const by = (peer, w) => all.filter((l) => l.peer === peer && l.workload === w);
  const med = {}, min = {}, cpu = {};
  for (const w of TABLE_WORKLOADS) {
    med[w] = {}; min[w] = {}; cpu[w] = {};
    for (const p of peers) {
      const v = by(p, w).map((l) => l.ops_per_s).filter((x) => x != null);
      if (v.length) { med[w][p] = median(v); min[w][p] = Math.min(...v); }
      // ops per CPU second (cpu_secs: the process's CPU time over the phase): on a loaded
      // machine waiting for a core inflates wall time but not CPU time
      const c = by(p, w).filter((l) => l.cpu_secs > 0).map((l) => l.ops / l.cpu_secs);
      if (c.length) cpu[w][p] = median(c);
    }
  }
  const extra = {};
  for (const p of peers) {
    const settle = by(p, 'settle');
    const proc = [...by(p, '_proc'), ...by(p, '_host')].map((l) => l.peak_rss_kb).filter((x) => x != null);
    extra[p] = {
      settle_secs: median(settle.map((l) => l.secs)),
      disk_mib: median(settle.map((l) => l.disk_bytes ?? l.disk_apparent_bytes).filter((x) => x != null)) / 1048576,
      peak_rss_mib: proc.length ? Math.max(...proc) / 1024 : null,
      peak_anon_mib: peakAnonMib(by(p, '_proc')),
      describe: by(p, '_info')[0]?.describe,
      write_amp: median(settle.map((l) => l.write_amp).filter((x) => x != null)),
    };
  }
  return { workloads: TABLE_WORKLOADS, peers, median: med, min, cpu, extra };
}

function table(summary) {
  const { peers, median: med, min, cpu, extra } = summary;
  // Strata native against the other native engines; strata-lsm against the other Node peers
  const others = peers.filter((p) => NATIVE_PEERS.includes(p) && p !== 'strata');
  const nodeOthers = peers.filter((p) => !isNative(p) && p !== WASI_PEER && !p.startsWith('strata-lsm'));
  const hasLsm = peers.includes('strata-lsm') && nodeOthers.length > 0;
  const variants = peers.filter((p) => STRATA_VARIANTS.includes(p)); // each over the same best
  const pad = (s, w) => String(s).padStart(w);
  const cols = peers.map((p) => Math.max(p.length, 17));
  let out = pad('workload', 13) + peers.map((p, i) => pad(p, cols[i] + 2)).join('') + pad('strata/best', 13) +
    variants.map((p) => pad(variantColumn(p), 13)).join('') +
    (peers.includes(WASI_PEER) ? pad('wasi/native', 13) + pad('(cpu)', 7) : '') + (hasLsm ? pad('lsm/best node', 15) : '') + '\n';
  for (const w of TABLE_WORKLOADS) {
    out += pad(w, 13);
    peers.forEach((p, i) => {
      const m = med[w][p];
      out += pad(m == null ? '–' : `${fmtOps(m)} (${fmtOps(min[w][p])})`, cols[i] + 2);
    });
    const best = Math.max(...others.map((p) => med[w][p] ?? 0));
    const s = med[w].strata;
    out += pad(ratioText(s, best), 13) + variants.map((p) => pad(ratioText(med[w][p], best), 13)).join('');
    if (peers.includes(WASI_PEER)) {
      out += pad(ratioText(med[w][WASI_PEER], s), 13);
      const sc = cpu[w].strata, wc = cpu[w][WASI_PEER];
      out += pad(ratioText(wc, sc), 7);
    }
    if (hasLsm) {
      const bestNode = Math.max(...nodeOthers.map((p) => med[w][p] ?? 0));
      const l = med[w]['strata-lsm'];
      out += pad(ratioText(l, bestNode), 15);
    }
    out += '\n';
  }
  const row = (name, f) => pad(name, 13) + peers.map((p, i) => pad(f(extra[p]), cols[i] + 2)).join('') + '\n';
  out += row('settle s', (e) => (e.settle_secs == null ? '–' : e.settle_secs.toFixed(2)));
  out += row('disk MiB', (e) => (Number.isFinite(e.disk_mib) ? e.disk_mib.toFixed(1) : '–'));
  out += row('peak RSS MiB', (e) => (e.peak_rss_mib == null ? '–' : e.peak_rss_mib.toFixed(0)));
  out += row(' of it anon', (e) => (e.peak_anon_mib == null ? '–' : e.peak_anon_mib.toFixed(0)));
  out += row('write amp', (e) => (e.write_amp == null ? '–' : e.write_amp.toFixed(2)));
  return out;
}

// p50 / p99 / p99.9 / max per op (µs, medians over repetitions) of the timed single-op phases
function latencyTable(all, peers) {
  const pad = (x, w) => String(x).padStart(w);
  const f = (v) => (v == null ? '–' : v < 10 ? v.toFixed(2) : v < 1000 ? v.toFixed(1) : v.toFixed(0));
  let out = pad('latency µs', 12) + pad('peer', 18) + pad('p50', 9) + pad('p99', 9) + pad('p99.9', 9) + pad('max', 10) + '\n';
  for (const w of ['fillseq', 'fillrandom', 'readrandom']) {
    for (const p of peers) {
      const ls = all.filter((l) => l.peer === p && l.workload === w && l.p50_us != null);
      if (!ls.length) continue;
      const m = (k) => median(ls.map((l) => l[k]));
      out += pad(w, 13) + pad(p, 18) + pad(f(m('p50_us')), 9) + pad(f(m('p99_us')), 9) + pad(f(m('p999_us')), 9) +
        pad(f(m('max_us')), 10) + '\n';
    }
  }
  return out;
}

// ops per CPU second of the whole process (background threads included): on a shared machine
// far steadier than ops per wall second, since waiting for a core costs no CPU time
function cpuTable(all, peers) {
  const natives = peers.filter((p) => NATIVE_PEERS.includes(p) || STRATA_VARIANTS.includes(p));
  if (!natives.length) return '';
  const pad = (x, w) => String(x).padStart(w);
  const colWidth = (p) => Math.max(12, p.length + 2);
  const variants = natives.filter((p) => STRATA_VARIANTS.includes(p));
  let out = pad('ops/CPU-s', 13) + natives.map((p) => pad(p, colWidth(p))).join('') + pad('strata/best', 13) +
    variants.map((p) => pad(variantColumn(p), 13)).join('') + '\n';
  for (const w of TABLE_WORKLOADS) {
    const v = {};
    for (const p of natives) {
      const xs = all.filter((l) => l.peer === p && l.workload === w && l.cpu_secs > 0).map((l) => l.ops / l.cpu_secs);
      if (xs.length) v[p] = median(xs);
    }
    const best = Math.max(0, ...natives.filter((p) => NATIVE_PEERS.includes(p) && p !== 'strata').map((p) => v[p] ?? 0));
    out += pad(w, 13) + natives.map((p) => pad(v[p] == null ? '–' : fmtOps(v[p]), colWidth(p))).join('') +
      pad(ratioText(v.strata, best), 13) + variants.map((p) => pad(ratioText(v[p], best), 13)).join('') + '\n';
  }
  return out;
}

// The same for the Node peers: strata-lsm (in-thread) over the best other Node peer, and the
// worker variant over in-thread (issue 17's targets: >= 1.2x, and the worker within 2x).
function nodeCpuTable(all, peers) {
  const node = peers.filter((p) => !isNative(p) && p !== WASI_PEER);
  if (!node.includes('strata-lsm')) return '';
  const pad = (x, w) => String(x).padStart(w);
  const others = node.filter((p) => !p.startsWith('strata-lsm'));
  let out = pad('ops/CPU-s', 12) + node.map((p) => pad(p, 19)).join('') + pad('lsm/best node', 15) +
    (node.includes('strata-lsm-worker') ? pad('worker/lsm', 12) : '') + '\n';
  for (const w of WORKLOADS) {
    const v = {};
    for (const p of node) {
      const xs = all.filter((l) => l.peer === p && l.workload === w && l.cpu_secs > 0).map((l) => l.ops / l.cpu_secs);
      if (xs.length) v[p] = median(xs);
    }
    const best = Math.max(0, ...others.map((p) => v[p] ?? 0));
    const lsm = v['strata-lsm'];
    out += pad(w, 12) + node.map((p) => pad(v[p] == null ? '–' : fmtOps(v[p]), 19)).join('') +
      pad(ratioText(lsm, best), 15) +
      (node.includes('strata-lsm-worker') ? pad(ratioText(v['strata-lsm-worker'], lsm), 12) : '') + '\n';
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
const peersDir = process.env.STRATA_PEERS_DIR ?? path.join(os.homedir(), '.cache/strata-peers');
const peerBuilt = (p) => fs.existsSync(path.join(peersDir, p, 'lib', `lib${p}.a`));
if (args.browser) {
  const { browserMain } = await import('./browser/main.mjs');
  process.exit(await browserMain(args, { sh, summarize, ROOT }));
}
if (args.build) {
  sh('bash', ['scripts/setup.sh']);
  // the honest peers: built once (LevelDB in seconds, RocksDB in about an hour on two cores)
  const wantPeers = ['leveldb', 'rocksdb'].filter((p) => !args.peers || args.peers.includes(p));
  for (const p of wantPeers.filter((p) => !peerBuilt(p))) {
    console.log(`== building the ${p} peer from Debian's source (scripts/peers.sh ${p}, log in ${peersDir}/${p}.log)`);
    sh('nice', ['-n', '19', 'bash', 'scripts/peers.sh', p]);
  }
  sh('bash', ['scripts/build.sh', 'bench', ...(args.values || args.scale ? [] : ['bench-wasi'])]);
  // strata-lsm's engine modules (bindings/js/dist), only the module target, not every test
  if (args.node && fs.existsSync(path.join(ROOT, 'bench/node_bench.mjs'))) {
    sh('bash', ['scripts/build.sh', 'wasm', 'wasm-mt'], { TARGETS: 'strata_js' });
  }
}
const dbBench = path.join(ROOT, 'build/bench/db_bench');

if (args.scale) {
  runScale();
  process.exit(0);
}

// The largest peak RssAnon of these _proc lines in MiB, or null (WASI, Node peers: not sampled).
function peakAnonMib(procs) {
  const kb = procs.map((l) => l.peak_anon_kb).filter((x) => x != null);
  return kb.length ? Math.max(...kb) / 1024 : null;
}

// --scale: per N and native peer, fillrandom + settle + readrandom + seekrandom; the cost of N.
function runScale() {
  const peers = NATIVE_PEERS.filter((p) => (!args.peers || args.peers.includes(p)) && (p === 'strata' || peerBuilt(p)));
  const reps = args.repsGiven ? args.reps : 1;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const resultsDir = path.join(ROOT, 'bench/results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const all = [], errors = [];
  console.log(`== bench --scale: N = ${args.scaleN.join(', ')}, ${reps} rep(s), peers ${peers.join(', ')}`);
  for (const n of args.scaleN) {
    for (let rep = 0; rep < reps; rep++) {
      for (const p of peers) {
        const dir = path.join(ROOT, 'build/bench-data', `scale-${p}`);
        process.stdout.write(`-- N=${n} rep ${rep} ${p} ... `);
        const lines = runOnce(p, rep, n, dbBench, ['--peer', p, '--n', String(n), '--rep', String(rep), '--dir', dir,
          '--phases', 'readrandom,seekrandom'], dir);
        all.push(...lines);
        const errs = checkLines(lines, n, { workloads: ['fillrandom', 'readrandom', 'seekrandom'] });
        errors.push(...errs);
        console.log(`${lines.at(-1).wall_secs.toFixed(1)} s${errs.length ? '  CHECK FAILED: ' + errs.join('; ') : ''}`);
      }
    }
  }
  const pad = (x, w) => String(x).padStart(w);
  let out = pad('N', 10) + pad('peer', 9) + pad('fillrandom', 12) + pad('readrandom', 12) + pad('seekrandom', 12) + pad('seek/cpu-s', 12) +
    pad('w-amp', 8) + pad('s-amp', 8) + pad('RSS MiB', 9) + pad('anon', 7) + pad('fill p99.9', 12) + pad('fill max', 11) + '\n';
  const rows = [];
  for (const n of args.scaleN) {
    for (const p of peers) {
      const ls = all.filter((l) => l.peer === p && l.n === n);
      const m = (w, k) => median(ls.filter((l) => l.workload === w).map((l) => l[k]).filter((x) => x != null));
      // a 1-2 s phase on a shared machine can lose most of its wall time to other processes:
      // ops per CPU second (process CPU, every thread) is the figure that does not depend on them
      const perCpu = (w) => median(ls.filter((l) => l.workload === w && l.cpu_secs > 0).map((l) => l.ops / l.cpu_secs));
      const st = ls.filter((l) => l.workload === 'settle');
      const wamp = median(st.filter((l) => l.io_write_bytes != null).map((l) => l.io_write_bytes / l.user_bytes));
      const samp = median(st.filter((l) => l.disk_bytes != null).map((l) => l.disk_bytes / l.user_bytes));
      const rss = Math.max(...ls.filter((l) => l.workload === '_proc').map((l) => l.peak_rss_kb ?? 0)) / 1024;
      const anon = peakAnonMib(ls.filter((l) => l.workload === '_proc'));
      const row = { n, peer: p, fillrandom: m('fillrandom', 'ops_per_s'), readrandom: m('readrandom', 'ops_per_s'),
        seekrandom: m('seekrandom', 'ops_per_s'), seekrandom_per_cpu_s: perCpu('seekrandom'), write_amp: wamp, space_amp: samp, peak_rss_mib: rss, peak_anon_mib: anon,
        fill_p999_us: m('fillrandom', 'p999_us'), fill_max_us: m('fillrandom', 'max_us') };
      rows.push(row);
      const f2 = (x) => (x == null ? '–' : x.toFixed(2));
      out += pad(n, 10) + pad(p, 9) + pad(fmtOps(row.fillrandom), 12) + pad(fmtOps(row.readrandom), 12) +
        pad(fmtOps(row.seekrandom), 12) + pad(fmtOps(row.seekrandom_per_cpu_s), 12) + pad(f2(wamp), 8) + pad(f2(samp), 8) + pad(rss.toFixed(0), 9) + pad(anon == null ? '–' : anon.toFixed(0), 7) +
        pad(row.fill_p999_us == null ? '–' : row.fill_p999_us.toFixed(1), 12) +
        pad(row.fill_max_us == null ? '–' : (row.fill_max_us / 1000).toFixed(1) + 'ms', 11) + '\n';
    }
  }
  fs.rmSync(path.join(ROOT, 'build/bench-data'), { recursive: true, force: true });
  fs.writeFileSync(path.join(resultsDir, `scale-${stamp}.json`), JSON.stringify({ stamp, reps, ns: args.scaleN, rows, errors, lines: all }, null, 1) + '\n');
  console.log('\nops/s (median of reps); seek/cpu-s = seekrandom ops per second of process CPU;');
  console.log('w-amp = bytes written over fillrandom + settle / raw bytes (N x 116);');
  console.log('s-amp = disk bytes after settle / raw bytes; RSS = peak over the whole process (VmHWM, mapped table');
  console.log('pages included); anon = peak RssAnon (sampled every 20 ms: heap and private memory only)');
  console.log(out);
  console.log(`results: bench/results/scale-${stamp}.json`);
  if (errors.length) { console.log(`checks: ${errors.length} failed`); process.exit(1); }
  console.log('checks: all passed');
}
const dbBenchWasm = path.join(ROOT, 'build/bench-wasi/db_bench.wasm');
const dataRoot = path.join(ROOT, 'build/bench-data');

// Every runnable peer: [name, n, (rep, dir) => [cmd, args]]
const runners = [];
const variant = [...(args.values ? ['--values', String(args.values)] : []), ...(args.memtable ? ['--memtable', String(args.memtable)] : []),
  ...(args.phases ? ['--phases', args.phases.join(',')] : [])];
const variants = STRATA_VARIANTS.filter((p) => args.peers?.includes(p));
const nativeRun = args.values ? [...NATIVE_PEERS, ...SEPARATING_PEERS] : NATIVE_PEERS;
for (const p of nativeRun.flatMap((q) => (q === 'strata' ? [q, ...variants] : [q]))) { // variants beside strata
  runners.push([p, args.n, (rep, dir) => [dbBench, ['--peer', p, '--n', String(args.n), '--rep', String(rep), '--dir', dir, ...variant]]]);
}
if (!args.values && !args.phases) runners.push([WASI_PEER, args.n, (rep, dir) => [process.execPath, [path.join(ROOT, 'bench/wasi_host.mjs'),
  WASI_PEER, String(rep), String(args.n), '--', `--dir=${dir}::bd`, dbBenchWasm,
  '--peer', WASI_PEER, '--n', String(args.n), '--rep', String(rep), '--dir', 'bd/db']]]);
const nodeBench = path.join(ROOT, 'bench/node_bench.mjs');
const NODE_PEER_PACKAGES = ['classic-level', 'memory-level', 'lmdb', 'better-sqlite3'];
const listNodePeers = () => (spawnSync(process.execPath, [nodeBench, '--list'], { cwd: ROOT, encoding: 'utf8' }).stdout ?? '')
  .split('\n').map((s) => s.trim()).filter(Boolean);

// Installs the Node peers that do not load yet into bench/node_peers (npm install there, with the
// peers as optionalDependencies: one that fails to download or build is left out, not fatal).
function ensureNodePeers() {
  const wanted = NODE_PEER_PACKAGES.filter((p) => !args.peers || args.peers.includes(p));
  let missing = wanted.filter((p) => !listNodePeers().includes(p));
  if (missing.length === 0) return;
  const dir = path.join(ROOT, 'bench/node_peers');
  if (args.install) {
    console.log(`== installing Node peers into bench/node_peers: ${missing.join(', ')} (npm install; not repository dependencies)`);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const r = spawnSync(npm, ['install', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'],
      { cwd: dir, stdio: 'inherit' });
    if (r.error || r.status !== 0) console.error(`   npm install in bench/node_peers failed (${r.error?.message ?? `exit ${r.status}`})`);
    missing = wanted.filter((p) => !listNodePeers().includes(p));
  }
  for (const p of missing) {
    console.error(`   skipping Node peer ${p}: its package ${args.install ? 'did not install or does not load here' : 'is not installed (--no-install)'}` +
      ` (try: cd bench/node_peers && npm install)`);
  }
}

if (args.node && fs.existsSync(nodeBench)) {
  ensureNodePeers();
  const list = spawnSync(process.execPath, [nodeBench, '--list'], { cwd: ROOT, encoding: 'utf8' });
  for (const p of (list.stdout ?? '').split('\n').map((s) => s.trim()).filter(Boolean)) {
    runners.push([p, args.nodeN, (rep, dir) => [process.execPath, [nodeBench, '--peer', p, '--n', String(args.nodeN),
      '--rep', String(rep), '--dir', dir]]]);
  }
}
const selected = runners.filter(([p]) => !args.peers || args.peers.includes(p));

const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
const resultsDir = path.join(ROOT, 'bench/results');
fs.mkdirSync(resultsDir, { recursive: true });
const jsonl = path.join(resultsDir, `${stamp}.jsonl`);
const all = [];
const errors = [];
const t0 = Date.now();
console.log(`== bench: N=${args.n} (Node peers ${args.nodeN}), ${args.reps} repetition(s), peers ${selected.map((r) => r[0]).join(', ')}`);
console.log(`   machine: ${os.cpus().length} cores (${os.cpus()[0]?.model}), load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (let rep = 0; rep < args.reps; rep++) {
  for (const [peer, n, mk] of selected) {
    const dir = path.join(dataRoot, `${peer}-${rep}`);
    const [cmd, cargs] = mk(rep, dir);
    process.stdout.write(`-- rep ${rep} ${peer} ... `);
    const lines = runOnce(peer, rep, n, cmd, cargs, dir);
    fs.appendFileSync(jsonl, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    all.push(...lines);
    const errs = checkLines(lines, n, args.phases ? { workloads: args.phases } : {});
    errors.push(...errs);
    const ld = lines.at(-1);
    console.log(`${ld.wall_secs.toFixed(1)} s${errs.length ? '  CHECK FAILED: ' + errs.join('; ') : ''}`);
  }
}
fs.rmSync(dataRoot, { recursive: true, force: true });

const peers = selected.map((r) => r[0]);
const summary = summarize(all, peers);
const title = `Strata db_bench, N=${args.n}${args.values ? `, ${args.values}-byte values` : ''}, ${args.reps} rep(s), median ops/s (bars relative to the fastest peer)`;
const result = {
  stamp, n: args.n, node_n: args.nodeN, reps: args.reps, quick: args.quick, values: args.values, memtable: args.memtable,
  machine: { cores: os.cpus().length, model: os.cpus()[0]?.model, total_mem: os.totalmem(), node: process.version },
  wall_secs: (Date.now() - t0) / 1000, errors, summary, lines: all,
};
fs.writeFileSync(path.join(resultsDir, `${stamp}.json`), JSON.stringify(result, null, 1) + '\n');
fs.writeFileSync(path.join(resultsDir, 'latest.json'), JSON.stringify(result, null, 1) + '\n');
const svg = renderSvg(summary, title);
fs.writeFileSync(path.join(resultsDir, `${stamp}.svg`), svg);
fs.writeFileSync(path.join(resultsDir, 'latest.svg'), svg);

console.log(`\nops/s, median (min) of ${args.reps}; strata/best = Strata's median over the best other native peer's; ` +
  'wasi/native = strata-wasi over strata, by wall time and (cpu) by ops per CPU second' +
  (peers.some((p) => !isNative(p) && p !== WASI_PEER)
    ? `; Node peers ran N=${args.nodeN}, native ones N=${args.n}` : ''));
console.log(table(summary));
console.log(cpuTable(all, peers));
console.log(nodeCpuTable(all, peers));
console.log(latencyTable(all, peers));
for (const p of peers) console.log(`  ${p}: ${summary.extra[p].describe ?? ''}`);
console.log(`\nresults: bench/results/${stamp}.{json,jsonl,svg} (and latest.*); ${(result.wall_secs / 60).toFixed(1)} min`);
console.log('note: timings are noisy on a shared 2-core machine; compare medians, not single runs');
if (errors.length) {
  console.log(`checks: ${errors.length} failed`);
  process.exit(1);
}
console.log('checks: all passed');
