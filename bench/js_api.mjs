// Throughput of the strata-lsm API from Node (node bench/js_api.mjs [count] [--threads] [--memory]):
// sequential puts (awaited one by one), batched puts, random gets, a full scan, with a Node-fs or
// in-memory database in a temp folder that is removed afterwards.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { open } from '../bindings/js/src/index.js';

const count = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 100_000);
const threads = process.argv.includes('--threads');
const memory = process.argv.includes('--memory');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bench-'));
const key = (i) => `key${String(i).padStart(10, '0')}`;
const value = 'v'.repeat(100);

function report(name, n, ms) {
  console.log(`${name.padEnd(28)} ${String(n).padStart(8)} ops  ${(ms).toFixed(0).padStart(6)} ms  ${Math.round(n / (ms / 1000)).toLocaleString('en-US').padStart(10)} ops/s`);
}

try {
  const db = await open(memory ? ':memory:' : dir, { threads, memtableSize: 8 << 20 });
  let t = performance.now();
  for (let i = 0; i < count; i += 2) await db.put(key(i), value);
  report('put (awaited each)', count / 2, performance.now() - t);
  t = performance.now();
  for (let i = 1; i < count; i += 2000) {
    const ops = [];
    for (let j = i; j < Math.min(count, i + 2000); j += 2) ops.push({ type: 'put', key: key(j), value });
    await db.batch(ops);
  }
  report('batch put (1000 per batch)', count / 2, performance.now() - t);
  await db.flush();
  t = performance.now();
  let found = 0;
  for (let i = 0; i < count; i++) if (await db.get(key((i * 7919) % count))) found++;
  report('get (random, after flush)', count, performance.now() - t);
  if (found !== count) throw new Error(`found ${found} of ${count}`);
  t = performance.now();
  let n = 0;
  for await (const entry of db.iterator()) { void entry; n++; }
  report('scan (for await)', n, performance.now() - t);
  t = performance.now();
  const it = db.keys();
  n = 0;
  for (let page; (page = await it.nextv(1000)).length;) n += page.length;
  await it.close();
  report('scan keys (nextv 1000)', n, performance.now() - t);
  console.log(JSON.stringify(db.stats().levels));
  await db.close();
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
