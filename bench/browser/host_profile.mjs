// bench/browser/host_profile.mjs -- where an awaited put spends its time in a dedicated worker:
// the bench's fillrandom (bench/browser/workload.mjs keys and values, the bench's open options)
// on one storage host, with performance.now() timers around every host call the engine makes.
// Run by scripts/profile_browser_host.mjs; timings only, nothing asserted.
import { openDatabase } from '../../bindings/js/src/database.js';
import { engineConstants, loadModule } from '../../bindings/js/src/engine_browser.js';
import { IdbHost } from '../../bindings/js/src/idb_host.js';
import { encodingOf } from '../../bindings/js/src/keys.js';
import { Native } from '../../bindings/js/src/native.js';
import { OpfsHost } from '../../bindings/js/src/opfs_host.js';
import { checkOpenOptions } from '../../bindings/js/src/options.js';
import { SEED, key, makePool, permutation, rng, value } from './workload.mjs';

// A copy of the timer table (zeros when `zero` is given: the table's shape).
function snapshot(table, zero) {
  if (zero) return Object.fromEntries(Object.keys(zero).map((k) => [k, { calls: 0, ms: 0 }]));
  return table ? Object.fromEntries(Object.entries(table).map(([k, v]) => [k, { ...v }])) : null;
}

const CALLS = ['open', 'read', 'write', 'append', 'truncate', 'size', 'sync', 'close', 'exists', 'remove', 'mkdir',
  'rmdir', 'list', 'replace', 'sync_dir', 'lock', 'unlock', 'prepare', 'settle'];

// Wraps the host's calls (own or inherited methods) with timers; returns the table.
function instrument(host) {
  const table = {};
  for (const name of CALLS) {
    const fn = host[name];
    if (typeof fn !== 'function') continue;
    const row = table[name] = { calls: 0, ms: 0 };
    host[name] = function timed(...args) {
      const t0 = performance.now();
      try {
        return fn.apply(this, args);
      } finally {
        row.ms += performance.now() - t0;
        row.calls++;
      }
    };
  }
  return table;
}

// backend 'opfs' | 'idb'; n puts in the bench's random order; timed = wrap the host calls.
export async function fillrandom(backend, n, { timed = true, name = `prof-${Date.now().toString(36)}` } = {}) {
  const host = backend === 'opfs' ? await OpfsHost.open(name) : await IdbHost.open(name);
  const table = timed ? instrument(host) : null;
  const options = { blockCacheSize: 64 << 20, bloomBitsPerKey: 10, compression: 'lz4', sync: false };
  const parsed = checkOpenOptions(options, await engineConstants());
  const native = await Native.load({ host, loadModule });
  const db = openDatabase(native, 'db', `${backend}:${name}`, options, parsed, 'strict',
    { valueEncoding: encodingOf('view', 'valueEncoding'), keyEncoding: encodingOf('view', 'keyEncoding') });
  const pool = makePool();
  const perm = permutation(n);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await db.put(key(perm[i]), value(pool, perm[i]));
  const secs = (performance.now() - t0) / 1000;
  const fill = snapshot(table);
  // then the bench's settle and readrandom: n gets at random (same keys as the bench)
  await db.flush();
  await db.compact({ major: true });
  const settled = snapshot(table);
  let next = rng(SEED.read);
  const t1 = performance.now();
  for (let i = 0; i < n; i++) await db.get(key(next() % n));
  const readSecs = (performance.now() - t1) / 1000;
  await db.close();
  const calls = (a, b) => (a ? Object.fromEntries(Object.entries(b).map(([k, v]) => [k, { calls: v.calls - a[k].calls, ms: Math.round(v.ms - a[k].ms) }]).filter(([, v]) => v.calls)) : null);
  const reads = calls(settled, snapshot(table));
  return { backend, n, fillrandom: { ops_per_s: Math.round(n / secs), calls: calls(snapshot(null, table), fill) },
    readrandom: { ops_per_s: Math.round(n / readSecs), calls: reads }, pool: host.pool ?? null };
}
