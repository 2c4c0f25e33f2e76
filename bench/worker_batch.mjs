// Batches of 1,000 puts through open(dir, { worker: true }) against the same in the calling
// thread, for the batch shapes callers use (node bench/worker_batch.mjs [N] [reps]; default
// N = 200,000, 3 repetitions): byte arrays (Buffers, as node_bench.mjs's fillbatch), strings,
// and a chained batch of strings; keys 16 ASCII digits, values 100 characters (bytes for
// `bytes`). Prints ops per CPU second of the whole process (the worker's thread included) per
// shape, peer and repetition, the peers alternating within each repetition, then the medians and
// worker / in-thread. A check reads every key back once per run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { open } from '../bindings/js/src/index.js';

const N = Number(process.argv[2] ?? 200_000);
const REPS = Number(process.argv[3] ?? 3);
const BATCH = 1000;
const value = 'v'.repeat(50) + 'abcdefghij'.repeat(5);
const key = (i) => String(2 * i).padStart(16, '0');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-worker-batch-'));

async function run(shape, worker) {
  const dir = path.join(root, `${shape}-${worker ? 'w' : 't'}`);
  fs.rmSync(dir, { recursive: true, force: true });
  const db = await open(dir, { worker, sync: false, blockCacheSize: 64 << 20, bloomBitsPerKey: 10, compression: 'lz4' });
  const bytesValue = Buffer.from(value);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < N; i += BATCH) {
    const end = Math.min(N, i + BATCH);
    if (shape === 'chained') {
      const b = db.batch();
      for (let j = i; j < end; j++) b.put(key(j), value);
      await b.write();
    } else {
      const ops = [];
      for (let j = i; j < end; j++) {
        ops.push(shape === 'bytes' ? { type: 'put', key: Buffer.from(key(j)), value: Buffer.from(bytesValue) } : { type: 'put', key: key(j), value });
      }
      await db.batch(ops);
    }
  }
  const cpu = process.cpuUsage(c0);
  const secs = (performance.now() - t0) / 1000;
  const found = (await db.getMany(Array.from({ length: N }, (_, i) => key(i)), { valueEncoding: 'utf8' })).filter((v) => v === value).length;
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
  if (found !== N) throw new Error(`${shape} ${worker ? 'worker' : 'in-thread'}: ${found} of ${N} keys read back`);
  return { cpu: N / ((cpu.user + cpu.system) / 1e6), wall: N / secs };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = {};
try {
  for (let rep = 0; rep < REPS; rep++) {
    for (const shape of ['bytes', 'strings', 'chained']) {
      for (const worker of [false, true]) {
        const r = await run(shape, worker);
        (results[`${shape} ${worker ? 'worker' : 'in-thread'}`] ??= []).push(r.cpu);
        console.log(JSON.stringify({ rep, shape, peer: worker ? 'worker' : 'in-thread', n: N, ops_per_cpu_s: Math.round(r.cpu), ops_per_s: Math.round(r.wall) }));
      }
    }
  }
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
console.log('\n| batches of 1,000 puts, ops per CPU second (median) | in-thread | worker | worker / in-thread |\n|---|---:|---:|---:|');
for (const shape of ['bytes', 'strings', 'chained']) {
  const t = median(results[`${shape} in-thread`]);
  const w = median(results[`${shape} worker`]);
  console.log(`| ${shape} | ${Math.round(t / 1000)}k | ${Math.round(w / 1000)}k | ${(w / t).toFixed(2)}x |`);
}
