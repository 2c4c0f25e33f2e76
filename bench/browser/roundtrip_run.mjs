// bench/browser/roundtrip_run.mjs -- the cost of one awaited call from a page, against
// browser-level's awaited put, from the same run (bench/browser/roundtrip.mjs in headless
// Chromium through the test harness, not cross-origin isolated unless --isolated). Repeats every
// measurement `--rounds` times, interleaved, and prints the medians (a loaded 2-core machine's
// wall clock varies run to run).
//   node bench/browser/roundtrip_run.mjs [--rounds 5] [--n 20000] [--isolated] [--only strata]
//     [--before build/before/bindings/js/src]   also from a page with another copy of the
//     package's sources (e.g. `git archive <commit> bindings/js/src` unpacked under build/, its
//     dist a symlink to bindings/js/dist): before/after side by side in the same run
import { session } from '../../tests/browser/harness.mjs';
import { bundlePeers } from './run.mjs';

const isolated = process.argv.includes('--isolated');
// on an isolated page the module comes from the harness's /coi/ path (served with COOP/COEP), so
// that the workers it starts relative to itself may run there (roundtrip.mjs)
const MODULE = `${isolated ? 'coi/' : ''}bench/browser/roundtrip.mjs`;
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : process.argv[i + 1];
};
const rounds = Number(arg('rounds', 5));
const n = Number(arg('n', 20000));
const only = arg('only', null);
const before = arg('before', null);
const OPS = ['put', 'has', 'get', 'batch', 'getMany', 'scan'];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

await bundlePeers();
const s = await session();
const rows = new Map(); // label -> { ops: [ops/s], chunk: [µs/op] }
const add = (label, r) => {
  if (!rows.has(label)) rows.set(label, { ops: [], chunk: [] });
  rows.get(label).ops.push(r.ops_per_s);
  rows.get(label).chunk.push(r.chunk_us);
};
try {
  const page = await s.page({ isolated });
  const worker = await s.worker(page);
  for (let r = 0; r < rounds; r++) {
    const tag = `r${r}x${Date.now().toString(36)}`;
    if (!only || only === 'echo') {
      add('echo, MessagePort, small message', await s.run(page, MODULE, 'echo', { n, via: 'port' }));
      add('echo, MessagePort, a put message', await s.run(page, MODULE, 'echo', { n, via: 'port', payload: 'put' }));
      add('echo, worker.postMessage, small', await s.run(page, MODULE, 'echo', { n, via: 'worker' }));
      add('echo, worker.postMessage, a put message', await s.run(page, MODULE, 'echo', { n, via: 'worker', payload: 'put' }));
      for (const payload of ['put1', 'putT', 'strings']) add(`echo, MessagePort, ${payload}`, await s.run(page, MODULE, 'echo', { n, via: 'port', payload }));
      for (const task of ['channel', 'postTask', 'timeout']) add(`echo, MessagePort, put message, schedules a task (${task})`, await s.run(page, MODULE, 'echo', { n, via: 'port', payload: 'put', task }));
      // the wire shapes of a put: worker_proxy.js's before (an object, an args array, an object
      // reply) and now (one array, a number reply), and the bare minimum
      for (const [request, reply] of [['object', 'object'], ['flat', 'number'], ['small', 'number'], ['small', 'value']]) {
        add(`shape, worker.postMessage: ${request} request, ${reply} reply`, await s.run(page, MODULE, 'shape', { n, request, reply }));
      }
      if (isolated) add('echo, SharedArrayBuffer + Atomics.waitAsync both ways, 116 bytes', await s.run(page, MODULE, 'echoShared', { n }));
      add('worker_proxy -> worker_serve, no-op put', await s.run(page, MODULE, 'proxyNoop', { n }));
    }
    for (const backend of ['memory', 'opfs', 'idb']) {
      if (only && only !== 'strata' && only !== backend) continue;
      const p = await s.run(page, MODULE, 'strata', { backend, n, tag });
      for (const op of OPS) add(`strata ${backend} (page, build ${p.build}): ${op}`, p[op]);
      if (before) {
        const b = await s.run(page, MODULE, 'strata', { backend, n, tag: `${tag}b`, src: `${isolated ? '/coi' : ''}/${before.replace(/^\/|\/$/g, '')}` });
        for (const op of OPS) add(`strata ${backend} (page, before): ${op}`, b[op]);
      }
      const w = await worker.run(MODULE, 'strata', { backend, n, tag: `${tag}w` });
      for (const op of OPS) add(`strata ${backend} (in worker): ${op}`, w[op]);
    }
    const bl = await s.run(page, MODULE, 'browserLevel', { n: 2000, tag });
    for (const op of ['put', 'get', 'batch']) add(`browser-level (page): ${op}`, bl[op]);
    process.stderr.write(`round ${r + 1}/${rounds} done\n`);
  }
} finally {
  await s.close();
}

// each row against browser-level's same operation (get and has: its get; batch: its batches of
// 1,000; anything else: its put)
const bl = Object.fromEntries(['put', 'get', 'batch'].map((op) => [op, median(rows.get(`browser-level (page): ${op}`).ops)]));
const blOf = (label) => (/: (get|has)$/.test(label) ? ['get', bl.get] : /: batch$/.test(label) ? ['batch', bl.batch] : ['put', bl.put]);
console.log(`median of ${rounds} rounds, n = ${n}${isolated ? ', cross-origin isolated page' : ''}; "chunk µs": the median of 500-op chunks (batch, scan: the whole run's)`);
console.log('| measurement | ops/s | µs/op | chunk µs/op | x browser-level (its op) |');
console.log('|---|---:|---:|---:|---:|');
for (const [label, { ops, chunk }] of rows) {
  const m = median(ops);
  const [op, b] = blOf(label);
  console.log(`| ${label} | ${Math.round(m)} | ${(1e6 / m).toFixed(1)} | ${median(chunk).toFixed(1)} | ${(m / b).toFixed(1)}x ${op} |`);
}
