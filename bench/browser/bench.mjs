// bench/browser/bench.mjs -- the WORKLOAD.md phases in a browser, one peer per call, returning
// the JSON lines db_bench prints (bench/browser/run.mjs loads this module in one page and in a
// dedicated worker that page starts, through the test harness, tests/browser/harness.mjs).
//
//   runPeer(name, { n, misses, seeks }) -> [{ peer, n, workload, ops, secs, ops_per_s, ... }]
//   peers() -> [{ name, where: 'page' | 'worker', describe }]
//
// Every peer loads with a dynamic import (by URL from the repository root, which the harness
// serves), so one that is missing or unsupported here returns an `_error` line instead of lines.
// Durability for all: a journal or transactions, no sync per write (each peer's describe says how).
import { absentKey, compareBytes, key, makePool, permutation, rng, SEED, selfTest, value } from './workload.mjs';

const BATCH = 1000, SEEK_NEXTS = 10, CACHE = 64 << 20;
const STRATA = '/bindings/js/src/index_browser.js';
const IDB_KEYVAL = '/node_modules/idb-keyval/dist/index.js';
const SQLITE = '/node_modules/@sqlite.org/sqlite-wasm/dist/index.mjs';
const BROWSER_LEVEL = '/build/browser-bench/browser-level.js'; // bundled by run.mjs (CommonJS package)

let sqliteLoaded = null; // { sqlite3, pool }: one module and one SAH pool per worker
const inWorker = typeof WorkerGlobalScope === 'function' && globalThis instanceof WorkerGlobalScope;
const idbDelete = (name) => new Promise((resolve, reject) => {
  const r = indexedDB.deleteDatabase(name);
  r.onsuccess = () => resolve();
  r.onerror = () => reject(r.error);
  // 'blocked' fires while a closing connection finishes its transactions; the delete then proceeds
});
const req = (r) => new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });

// abstract-level databases (browser-level, strata-lsm) share one adapter.
function levelAdapter(db, settle, drop) {
  return {
    put: (k, v) => db.put(k, v),
    batch: (ops) => db.batch(ops.map(([k, v]) => ({ type: 'put', key: k, value: v }))),
    get: (k) => db.get(k),
    iterator: () => db.iterator(),
    scan: async function* () { for await (const e of db.iterator()) yield e; },
    settle: () => settle(db),
    close: () => db.close(),
    drop,
  };
}

const strata = (backend, where, describe) => ({
  where,
  describe: `strata-lsm (${describe}; journal on, sync: false: no sync per write; LZ4, bloom 10 bits/key, 64 MiB cache, written blocks cached (the package default); settle = flush + compact({ major }))`,
  open: async (name) => {
    const { open, deleteDatabase } = await import(STRATA);
    // a page's open() runs the engine in the package's worker; inside a worker, in that thread
    const db = await open(name, { backend, blockCacheSize: CACHE, bloomBitsPerKey: 10, compression: 'lz4', sync: false,
      keyEncoding: 'buffer', valueEncoding: 'buffer' });
    const info = `backend ${db.backend}, build ${db.build}`;
    const a = levelAdapter(db, async (d) => { await d.flush(); await d.compact({ major: true }); },
      () => (backend === 'memory' ? undefined : deleteDatabase(name)));
    a.info = info;
    return a;
  },
});

export const PEERS = {
  'strata-lsm-opfs': strata('opfs', 'page', 'OPFS sync access handles, opened from the page: every call is a message to the package\'s worker'),
  'strata-lsm-idb': strata('idb', 'page', 'IndexedDB host, opened from the page: every call is a message to the package\'s worker'),
  'strata-lsm-opfs-inworker': strata('opfs', 'worker', 'OPFS sync access handles, engine in the calling worker'),
  'strata-lsm-idb-inworker': strata('idb', 'worker', 'IndexedDB host, engine in the calling worker'),
  'strata-lsm-memory-inworker': strata('memory', 'worker', 'memory backend, engine in the calling worker: no storage at all, an upper bound'),
  'browser-level': {
    where: 'page',
    describe: 'browser-level 3 (abstract-level over IndexedDB; one IDB transaction per put / per batch, Chromium\'s default durability: no sync per write; no bloom; settle = none)',
    open: async (name) => {
      const { BrowserLevel } = await import(BROWSER_LEVEL);
      const db = new BrowserLevel(name, { keyEncoding: 'view', valueEncoding: 'view', prefix: 'bench-bl-' });
      await db.open();
      return levelAdapter(db, async () => {}, () => idbDelete(`bench-bl-${name}`));
    },
  },
  'idb-keyval': {
    where: 'page',
    describe: 'raw IndexedDB through idb-keyval 6 (set = one transaction per put, setMany = one per batch, get, and its store callback for cursors; durability: Chromium\'s default, no sync per write; settle = none)',
    open: async (name) => {
      const kv = await import(IDB_KEYVAL);
      const dbName = `bench-kv-${name}`;
      const store = kv.createStore(dbName, 'kv');
      const toBuf = (u8) => u8.buffer.byteLength === u8.byteLength ? u8.buffer : u8.slice().buffer;
      return {
        put: (k, v) => kv.set(toBuf(k), v, store),
        batch: (ops) => kv.setMany(ops.map(([k, v]) => [toBuf(k), v]), store),
        get: (k) => kv.get(toBuf(k), store),
        iterator: () => {
          let rows = null, i = 0, from = null;
          return {
            seek(k) { from = toBuf(k); rows = null; i = 0; },
            // one readonly transaction per seek: a cursor from the key, 10 entries
            async next() {
              if (!rows) {
                rows = await store('readonly', (s) => new Promise((resolve, reject) => {
                  const out = [];
                  const c = s.openCursor(IDBKeyRange.lowerBound(from));
                  c.onsuccess = () => {
                    const cur = c.result;
                    if (!cur || out.length === SEEK_NEXTS) return resolve(out);
                    out.push([new Uint8Array(cur.key), cur.value]);
                    cur.continue();
                  };
                  c.onerror = () => reject(c.error);
                }));
              }
              return i < rows.length ? rows[i++] : undefined;
            },
            async close() {},
          };
        },
        // readseq: getAllKeys/getAll in pages of 1000 (a cursor per entry is slower)
        scan: async function* () {
          let lower = null;
          for (;;) {
            const [ks, vs] = await store('readonly', (s) => {
              const range = lower ? IDBKeyRange.lowerBound(lower, true) : null;
              return Promise.all([req(s.getAllKeys(range, 1000)), req(s.getAll(range, 1000))]);
            });
            for (let i = 0; i < ks.length; i++) yield [new Uint8Array(ks[i]), vs[i]];
            if (ks.length < 1000) return;
            lower = ks[ks.length - 1];
          }
        },
        settle: async () => {},
        close: () => store('readonly', (s) => s.transaction.db.close()),
        drop: () => idbDelete(dbName),
      };
    },
  },
  'sqlite-wasm': {
    where: 'worker',
    describe: null, // set at open: the journal mode SQLite accepted on this VFS
    open: async (name) => {
      const { sqlite3, pool } = await (sqliteLoaded ??= (async () => {
        const sqlite3InitModule = (await import(SQLITE)).default;
        const s3 = await sqlite3InitModule({ print: () => {}, printErr: () => {} });
        return { sqlite3: s3, pool: await s3.installOpfsSAHPoolVfs({ name: 'bench-sahpool', directory: '/bench-sahpool', initialCapacity: 8 }) };
      })());
      const file = `/${name}.sqlite3`;
      const db = new pool.OpfsSAHPoolDb(file);
      const one = (sql) => db.selectValue(sql);
      // WAL needs exclusive locking on this VFS (no shared memory); synchronous=NORMAL in WAL mode
      // syncs at checkpoints only, i.e. no sync per write (as better-sqlite3 in the Node bench)
      one('PRAGMA locking_mode = EXCLUSIVE');
      const journal = one('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = NORMAL');
      db.exec(`PRAGMA cache_size = -${CACHE / 1024}`);
      db.exec('CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID');
      const ins = db.prepare('INSERT INTO kv (k, v) VALUES (?, ?)');
      const sel = db.prepare('SELECT v FROM kv WHERE k = ?');
      const range = db.prepare(`SELECT k, v FROM kv WHERE k >= ? ORDER BY k LIMIT ${SEEK_NEXTS}`);
      const all = db.prepare('SELECT k, v FROM kv ORDER BY k');
      const run = (st, ...args) => { st.bind(args); st.step(); st.reset(); };
      const peer = {
        info: `sqlite ${sqlite3.version.libVersion}, opfs-sahpool, journal_mode=${journal}, locking_mode=EXCLUSIVE, synchronous=NORMAL`,
        put: async (k, v) => run(ins, k, v),
        batch: async (ops) => {
          db.exec('BEGIN');
          try { for (const [k, v] of ops) run(ins, k, v); db.exec('COMMIT'); } catch (e) { db.exec('ROLLBACK'); throw e; }
        },
        get: async (k) => {
          sel.bind([k]);
          const v = sel.step() ? sel.get(0) : undefined;
          sel.reset();
          return v;
        },
        iterator: () => {
          let rows = [], i = 0;
          return {
            seek(k) {
              range.bind([k]);
              rows = [];
              while (range.step()) rows.push([range.get(0), range.get(1)]);
              range.reset();
              i = 0;
            },
            async next() { return i < rows.length ? rows[i++] : undefined; },
            async close() {},
          };
        },
        scan: async function* () {
          try { while (all.step()) yield [all.get(0), all.get(1)]; } finally { all.reset(); }
        },
        settle: async () => { if (journal === 'wal') one('PRAGMA wal_checkpoint(TRUNCATE)'); },
        close: async () => { for (const st of [ins, sel, range, all]) st.finalize(); db.close(); },
        drop: async () => { pool.unlink(file); },
      };
      return peer;
    },
  },
};
PEERS['sqlite-wasm'].describe = '@sqlite.org/sqlite-wasm (opfs-sahpool VFS in a worker; WITHOUT ROWID table, 64 MiB page cache, WAL with locking_mode=EXCLUSIVE, synchronous=NORMAL: no sync per write; seek = SELECT >= LIMIT 10; settle = wal_checkpoint(TRUNCATE))';

export function peers() {
  return Object.entries(PEERS).map(([name, p]) => ({ name, where: p.where, describe: p.describe }));
}

const storageBytes = async () => {
  try { return (await navigator.storage.estimate()).usage ?? null; } catch { return null; }
};

// Runs every phase for one peer; `misses` and `seeks` default to WORKLOAD.md's 100,000.
export async function runPeer(peerName, { n = 100000, misses = 100000, seeks = 100000, tag = 'b' } = {}) {
  const peer = PEERS[peerName];
  if (!peer) throw new Error(`no peer ${peerName}`);
  if (peer.where !== (inWorker ? 'worker' : 'page')) throw new Error(`${peerName} runs in a ${peer.where}, not here`);
  const bad = selfTest();
  if (bad.length) throw new Error(`the generator fails its self-test: ${bad.join('; ')}`);
  const lines = [];
  const emit = (workload, ops, secs, extra = {}) => lines.push({
    peer: peerName, rep: 0, n, workload, ops, secs, ops_per_s: ops > 0 && secs > 0 ? ops / secs : null, ...extra });
  const now = () => performance.now() / 1000;
  const pool = makePool();
  const perm = permutation(n);
  const t00 = now();
  const base = `${tag}-${peerName}`;

  let first = null;
  const fill = async (name, order, batched) => {
    const db = await peer.open(`${base}-${name}`);
    if (!first) {
      first = db;
      emit('_info', 0, 0, { describe: `${peer.describe}${db.info ? ` [${db.info}]` : ''}`, target: inWorker ? 'worker' : 'page',
        user_agent: navigator.userAgent, cross_origin_isolated: globalThis.crossOriginIsolated === true });
    }
    const t0 = now();
    if (batched) {
      for (let i = 0; i < n; i += BATCH) {
        const ops = [];
        for (let j = i; j < Math.min(n, i + BATCH); j++) { const k = order ? order[j] : j; ops.push([key(k), value(pool, k)]); }
        await db.batch(ops);
      }
    } else {
      for (let i = 0; i < n; i++) { const k = order ? order[i] : i; await db.put(key(k), value(pool, k)); }
    }
    emit(name, n, now() - t0);
    return db;
  };

  try {
    for (const [name, order, batched] of [['fillseq', null, false], ['fillbatch', perm, true]]) {
      const db = await fill(name, order, batched);
      await db.close();
      await db.drop?.();
    }
    const db = await fill('fillrandom', perm, false);
    const before = await storageBytes();
    let t0 = now();
    await db.settle();
    const settleSecs = now() - t0;
    const after = await storageBytes();
    // the origin's usage (navigator.storage.estimate): the other phases' databases are deleted
    emit('settle', 0, settleSecs, { disk_bytes: after, disk_bytes_before: before, disk_note: 'navigator.storage.estimate().usage of the origin' });

    let next = rng(SEED.read), hits = 0, badValues = 0;
    t0 = now();
    for (let i = 0; i < n; i++) {
      const v = await db.get(key(next() % n));
      if (v !== undefined && v !== null) { hits++; if (v.byteLength !== 100) badValues++; }
    }
    emit('readrandom', n, now() - t0, { hit_rate: hits / n, bad_values: badValues });

    next = rng(SEED.miss);
    let found = 0;
    t0 = now();
    for (let i = 0; i < misses; i++) {
      const v = await db.get(absentKey(next() % n));
      if (v !== undefined && v !== null) found++;
    }
    emit('readmissing', misses, now() - t0, { found });

    next = rng(SEED.seek);
    let entries = 0, misplaced = 0;
    t0 = now();
    for (let i = 0; i < seeks; i++) {
      const k = key(next() % n);
      const it = db.iterator();
      it.seek(k);
      for (let j = 0; j < SEEK_NEXTS; j++) {
        const e = await it.next();
        if (e === undefined) break;
        if (j === 0 && compareBytes(new Uint8Array(e[0]), k) !== 0) misplaced++;
        entries++;
      }
      await it.close();
    }
    emit('seekrandom', seeks, now() - t0, { entries, misplaced });

    let count = 0, unordered = 0, prev = null;
    t0 = now();
    for await (const [k] of db.scan()) {
      const kb = new Uint8Array(k);
      if (prev && compareBytes(prev, kb) >= 0) unordered++;
      prev = kb;
      count++;
    }
    emit('readseq', count, now() - t0, { entries: count, unordered });

    await db.close();
    await db.drop?.();
  } catch (err) {
    emit('_error', 0, now() - t00, { error: `${err?.name ?? 'Error'}${err?.code ? ` [${err.code}]` : ''}: ${err?.message ?? err}` });
    return lines;
  }
  emit('_proc', 0, now() - t00, { peak_rss_kb: null });
  return lines;
}
