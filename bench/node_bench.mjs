#!/usr/bin/env node
// bench/node_bench.mjs -- the WORKLOAD.md phases against Node peers, one peer and repetition per
// process, printing the same JSON lines as db_bench (the driver, bench/run.mjs, runs it when
// present):
//   node bench/node_bench.mjs --list                      peers whose package loads here
//   node bench/node_bench.mjs --peer P --n N --rep R --dir D
//   node bench/node_bench.mjs --self-test                 the generator's check values
//
// Peers load with dynamic import (from the repository's node_modules, else bench/node_peers, where
// `npm run bench` installs them), so a missing package only drops that peer from --list:
// classic-level, memory-level, lmdb, better-sqlite3, and strata-lsm (bindings/js/src/index.js)
// in-thread, in a worker and with the pthreads build. Every durable peer runs with its journal on
// and no sync per write; block caches 64 MiB where the engine has one.
import fs from 'node:fs';
import path from 'node:path';

// The environment-neutral half of the generator is the browser benchmark's (bench/browser/
// workload.mjs); keys, the pool and values are built here as Buffers, which every Node peer takes.
import { POOL_FNV1A64, POOL_SIZE, SEED, fnv1a64hex, permutation, rng } from './browser/workload.mjs';

// ------------------------------------------------------------------------------------------------
// The generator (bench/workload.c in JS)
// ------------------------------------------------------------------------------------------------
const MISSES = 100000, SEEKS = 100000, BATCH = 1000, SEEK_NEXTS = 10;

// 16 ASCII digits of v (< 2^53), a fresh buffer: async engines may still hold the previous one.
function digits16(v) {
  const b = Buffer.allocUnsafe(16);
  for (let d = 15; d >= 0; d--) { b[d] = 48 + (v % 10); v = Math.floor(v / 10); }
  return b;
}
const key = (i) => digits16(2 * i);
const absentKey = (j) => digits16(2 * j + 1);

function makePool() {
  const next = rng(SEED.pool);
  const p = Buffer.allocUnsafe(POOL_SIZE);
  for (let j = 0; j < POOL_SIZE; j++) p[j] = next() & 0xff;
  return p;
}
function value(pool, i) {
  const v = Buffer.alloc(100);
  const off = (i * 50) % (POOL_SIZE - 50);
  pool.copy(v, 0, off, off + 50);
  return v;
}
function selfTest(print) {
  const perm = permutation(1000);
  const pool = makePool();
  const h = fnv1a64hex(pool);
  const v = value(pool, 123457);
  const checks = [
    [`perm(1000)[0..5] = ${[...perm.slice(0, 5)].join(', ')}`, [...perm.slice(0, 5)].join() === '140,702,701,323,529'],
    [`key(perm[0]) = ${key(perm[0]).toString()}`, key(perm[0]).toString() === '0000000000000280'],
    [`fnv1a64(pool) = ${h}`, h === POOL_FNV1A64],
    [`value(123457)[0..4] = ${v.subarray(0, 4).toString('hex')}`, v.subarray(0, 4).toString('hex') === 'e372b3af'],
    ['fnv1a64("a") = af63dc4c8601ec8c', fnv1a64hex(Buffer.from('a')) === 'af63dc4c8601ec8c'],
  ];
  let bad = 0;
  for (const [text, ok] of checks) { bad += !ok; if (print) console.log(`${text} ${ok ? 'ok' : 'WRONG'}`); }
  return bad;
}

// ------------------------------------------------------------------------------------------------
// Peers: open(dir) -> { put, batch, get, iterator(): { seek, next, close }, scan, settle, close }
// ------------------------------------------------------------------------------------------------
const CACHE = 64 << 20;
// Bare specifiers resolve from the repository first, then from bench/node_peers (where
// bench/run.mjs installs the peers on demand).
const PEERS_LOADER = new URL('./node_peers/load.mjs', import.meta.url);
async function importPeer(spec) {
  try {
    return await import(spec);
  } catch (err) {
    if (spec.startsWith('file:') || !fs.existsSync(PEERS_LOADER)) throw err;
    const { load } = await import(PEERS_LOADER.href);
    return load(spec);
  }
}
const tryImport = async (spec) => { try { return await importPeer(spec); } catch { return null; } };

// abstract-level databases (classic-level, memory-level) and strata-lsm share one adapter.
function levelAdapter(db, settle) {
  return {
    put: (k, v) => db.put(k, v),
    batch: (ops) => db.batch(ops.map(([k, v]) => ({ type: 'put', key: k, value: v }))),
    get: (k) => db.get(k), // a Buffer or Uint8Array as the peer returns it (no extra copy: lmdb's gets none)
    iterator: () => db.iterator(),
    scan: async function* () { for await (const e of db.iterator()) yield e; },
    settle: () => settle(db),
    close: () => db.close(),
  };
}

const STRATA_JS = new URL('../bindings/js/src/index.js', import.meta.url);
const strataPeer = (opts, describe) => ({
  describe,
  available: async () => fs.existsSync(STRATA_JS) && typeof (await tryImport(STRATA_JS.href))?.open === 'function',
  open: async (dir) => {
    const { open } = await import(STRATA_JS.href);
    const db = await open(dir, { blockCacheSize: CACHE, bloomBitsPerKey: 10, compression: 'lz4', sync: false,
      keyEncoding: 'buffer', valueEncoding: 'buffer', ...opts });
    return levelAdapter(db, async (d) => { await d.flush(); await d.compact({ major: true }); });
  },
});

const PEERS = {
  'classic-level': {
    describe: 'classic-level (LevelDB via N-API; log on, sync=false; Snappy, bloom 10 bits/key, 64 MiB cache; settle = compactRange)',
    available: async () => !!(await tryImport('classic-level')),
    open: async (dir) => {
      const { ClassicLevel } = await importPeer('classic-level');
      const db = new ClassicLevel(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
      await db.open({ cacheSize: CACHE });
      return levelAdapter(db, (d) => d.compactRange(key(0), digits16(Number.MAX_SAFE_INTEGER)));
    },
  },
  'memory-level': {
    describe: 'memory-level (in memory, no journal: an upper bound for a JS store)',
    available: async () => !!(await tryImport('memory-level')),
    open: async () => {
      const { MemoryLevel } = await importPeer('memory-level');
      const db = new MemoryLevel({ keyEncoding: 'buffer', valueEncoding: 'buffer' });
      await db.open();
      return levelAdapter(db, async () => {});
    },
  },
  lmdb: {
    describe: 'lmdb (lmdb-js; noSync, one write transaction per put / per batch of 1000; B+tree, no bloom; settle = none)',
    available: async () => !!(await tryImport('lmdb')),
    open: async (dir) => {
      const { open } = await importPeer('lmdb');
      const db = open({ path: dir, noSync: true, encoding: 'binary', keyEncoding: 'binary' });
      return {
        put: async (k, v) => { db.putSync(k, v); },
        batch: async (ops) => { db.transactionSync(() => { for (const [k, v] of ops) db.putSync(k, v); }); },
        get: async (k) => db.get(k), // 'binary' encoding returns a copy
        iterator: () => {
          let it = null;
          return {
            seek(k) { it = db.getRange({ start: k })[Symbol.iterator](); },
            async next() { const r = it.next(); return r.done ? undefined : [r.value.key, r.value.value]; },
            async close() { it?.return?.(); },
          };
        },
        scan: async function* () { for (const { key: k, value: v } of db.getRange({})) yield [k, v]; },
        settle: async () => { await db.flushed; },
        close: () => db.close(),
      };
    },
  },
  'better-sqlite3': {
    describe: 'better-sqlite3 (WAL, synchronous=NORMAL, 64 MiB page cache, WITHOUT ROWID table, no bloom; seek = SELECT >= LIMIT 10; settle = wal_checkpoint(TRUNCATE))',
    available: async () => !!(await tryImport('better-sqlite3')),
    open: async (dir) => {
      const Database = (await importPeer('better-sqlite3')).default;
      fs.mkdirSync(dir, { recursive: true });
      const db = new Database(path.join(dir, 'db.sqlite'));
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma(`cache_size = -${CACHE / 1024}`);
      db.exec('CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID');
      const ins = db.prepare('INSERT INTO kv (k, v) VALUES (?, ?)');
      const sel = db.prepare('SELECT v FROM kv WHERE k = ?').pluck();
      const range = db.prepare(`SELECT k, v FROM kv WHERE k >= ? ORDER BY k LIMIT ${SEEK_NEXTS}`).raw();
      const all = db.prepare('SELECT k, v FROM kv ORDER BY k').raw();
      const many = db.transaction((ops) => { for (const [k, v] of ops) ins.run(k, v); });
      return {
        put: async (k, v) => { ins.run(k, v); },
        batch: async (ops) => { many(ops); },
        get: async (k) => sel.get(k),
        iterator: () => {
          let rows = null, i = 0;
          return {
            seek(k) { rows = range.all(k); i = 0; },
            async next() { return i < rows.length ? rows[i++] : undefined; },
            async close() {},
          };
        },
        scan: async function* () { for (const r of all.iterate()) yield r; },
        settle: async () => { db.pragma('wal_checkpoint(TRUNCATE)'); },
        close: async () => db.close(),
      };
    },
  },
  'strata-lsm': strataPeer({}, 'strata-lsm (single-threaded wasm in the calling thread; journal on, no sync per write; LZ4, bloom 10, 64 MiB cache, written blocks cached (the package default); settle = flush + compact({major}))'),
  'strata-lsm-worker': strataPeer({ worker: true }, 'strata-lsm (single-threaded wasm in a worker_threads Worker; otherwise as strata-lsm)'),
  'strata-lsm-threads': strataPeer({ threads: true }, 'strata-lsm (pthreads wasm build, background flush/compaction threads; otherwise as strata-lsm)'),
};

// ------------------------------------------------------------------------------------------------
// Phases
// ------------------------------------------------------------------------------------------------
function diskUsage(p) {
  let alloc = 0, apparent = 0;
  const walk = (q) => {
    let st;
    try { st = fs.lstatSync(q); } catch { return; }
    if (st.isDirectory()) { for (const e of fs.readdirSync(q)) walk(path.join(q, e)); return; }
    apparent += st.size; alloc += st.blocks * 512;
  };
  walk(p);
  return { alloc, apparent };
}
const rssKb = () => Math.round(process.memoryUsage.rss() / 1024);

async function main() {
  const argv = process.argv.slice(2);
  if (argv.includes('--self-test')) process.exit(selfTest(true) ? 1 : 0);
  if (argv.includes('--list')) {
    for (const [name, p] of Object.entries(PEERS)) if (await p.available()) console.log(name);
    return;
  }
  const opt = (k, d) => { const i = argv.indexOf(k); return i >= 0 ? argv[i + 1] : d; };
  const peerName = opt('--peer'), n = Number(opt('--n', 500000)), rep = Number(opt('--rep', 0));
  const dir = path.resolve(opt('--dir', 'node_bench_data'));
  const peer = PEERS[peerName];
  if (!peer || !(n > 0)) { console.error(`usage: node_bench.mjs --peer ${Object.keys(PEERS).join('|')} --n N --rep R --dir D`); process.exit(2); }
  if (selfTest(false)) { console.error('node_bench: the generator fails its self-test'); process.exit(1); }

  // cpu_secs: the process's CPU time (every thread: classic-level's pool, lmdb's, strata-lsm's
  // worker) since the previous emit, which is where each timed phase starts; on a shared machine
  // steadier than wall time (see bench/README.md, ops per CPU second).
  let cpuMark = process.cpuUsage();
  const emit = (workload, ops, secs, extra = {}) => {
    const cpu = process.cpuUsage(cpuMark);
    console.log(JSON.stringify({
      peer: peerName, rep, n, workload, ops, secs, ops_per_s: ops > 0 && secs > 0 ? ops / secs : null,
      ...(ops > 0 ? { cpu_secs: (cpu.user + cpu.system) / 1e6 } : {}), ...extra }));
  };
  const phaseStart = () => { cpuMark = process.cpuUsage(); return now(); };
  const now = () => performance.now() / 1000;
  const pool = makePool();
  const perm = permutation(n);
  fs.mkdirSync(dir, { recursive: true });
  emit('_info', 0, 0, { describe: peer.describe, rss_start_kb: rssKb(), node: process.version, target: 'node' });
  const t00 = now();
  let peak = rssKb();
  const sample = () => { peak = Math.max(peak, rssKb()); };

  const fill = async (name, order, batched) => {
    const p = path.join(dir, name);
    fs.rmSync(p, { recursive: true, force: true });
    const db = await peer.open(p);
    const t0 = phaseStart();
    if (batched) {
      for (let i = 0; i < n; i += BATCH) {
        const ops = [];
        for (let j = i; j < Math.min(n, i + BATCH); j++) { const k = order ? order[j] : j; ops.push([key(k), value(pool, k)]); }
        await db.batch(ops);
      }
    } else {
      for (let i = 0; i < n; i++) { const k = order ? order[i] : i; await db.put(key(k), value(pool, k)); }
    }
    const secs = now() - t0;
    sample();
    emit(name, n, secs);
    return { db, p };
  };

  for (const [name, order, batched] of [['fillseq', null, false], ['fillbatch', perm, true]]) {
    const { db, p } = await fill(name, order, batched);
    await db.close();
    fs.rmSync(p, { recursive: true, force: true });
  }
  const { db, p } = await fill('fillrandom', perm, false);

  const before = diskUsage(p);
  let t0 = phaseStart();
  await db.settle();
  let secs = now() - t0;
  const after = diskUsage(p);
  emit('settle', 0, secs, { disk_bytes: after.alloc, disk_apparent_bytes: after.apparent,
    disk_bytes_before: before.alloc, disk_apparent_bytes_before: before.apparent });

  let next = rng(SEED.read), hits = 0, badValues = 0;
  t0 = phaseStart();
  for (let i = 0; i < n; i++) {
    const v = await db.get(key(next() % n));
    if (v !== undefined) { hits++; if (v.length !== 100) badValues++; }
  }
  secs = now() - t0;
  sample();
  emit('readrandom', n, secs, { hit_rate: hits / n, bad_values: badValues });

  next = rng(SEED.miss);
  let found = 0;
  t0 = phaseStart();
  for (let i = 0; i < MISSES; i++) if ((await db.get(absentKey(next() % n))) !== undefined) found++;
  emit('readmissing', MISSES, now() - t0, { found });

  next = rng(SEED.seek);
  let entries = 0, misplaced = 0;
  t0 = phaseStart();
  for (let i = 0; i < SEEKS; i++) {
    const k = key(next() % n);
    const it = db.iterator();
    it.seek(k);
    for (let j = 0; j < SEEK_NEXTS; j++) {
      const e = await it.next();
      if (e === undefined) break;
      if (j === 0 && Buffer.compare(Buffer.from(e[0]), k) !== 0) misplaced++;
      entries++;
    }
    await it.close();
  }
  emit('seekrandom', SEEKS, now() - t0, { entries, misplaced });

  let count = 0, unordered = 0, prev = null;
  t0 = phaseStart();
  for await (const [k] of db.scan()) {
    const kb = Buffer.from(k);
    if (prev && Buffer.compare(prev, kb) >= 0) unordered++;
    prev = kb;
    count++;
  }
  secs = now() - t0;
  sample();
  emit('readseq', count, secs, { entries: count, unordered });

  await db.close();
  fs.rmSync(p, { recursive: true, force: true });
  try { fs.rmdirSync(dir); } catch { /* not empty: not ours to clear */ }
  emit('_proc', 0, now() - t00, { peak_rss_kb: Math.max(peak, process.resourceUsage().maxRSS) });
}

await main();
