// Run by opfs_busy.test.mjs in a page (the package's worker does the work) and in a worker (the
// engine in that thread), through the browser entry only: calls the OPFS host refuses with
// "would block" (no pre-opened file free; a small pool, the `opfs` open option) wait for the pool
// and run again, in the order they were issued, and end in STRATA_IO at the handle cap.
import * as strata from '../../bindings/js/src/index_browser.js';
import { errorOf } from './harness_common.mjs';
import { OPFS_ROOT } from '../../bindings/js/src/opfs_host.js';

const { open, importDatabase, deleteDatabase } = strata;

// A pool of 4 files, one kept free: a burst of writes runs out of files at once.
export const SMALL_POOL = { initialSlots: 4, minFree: 1, maxHandles: 100 };

// A deterministic generator of small numbers (the same workload every run).
function numbers(seed) {
  let x = seed >>> 0;
  return (n) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 8) % n;
  };
}

// `ops` writes and reads issued at once (nothing awaited until all are issued) to a few keys:
// puts, dels, batches (arrays and chained) and gets, in a burst that needs new journal files
// while the pool has none free. Compares what each get resolved to, and the final values, with
// the order of issue. Returns the mismatches (empty when every request kept its place).
export async function order({ name, ops = 600, keys = 6, valueSize = 1500, seed = 7, pool = SMALL_POOL, tableTargetSize = 2048 }) {
  await deleteDatabase(name).catch(() => {});
  const db = await open(name, { backend: 'opfs', valueEncoding: 'utf8', keyEncoding: 'utf8', opfs: pool, memtableSize: 8 << 10, compaction: { strategy: 'leveled', tableTargetSize } });
  const next = numbers(seed);
  const model = new Map();
  const writes = [];
  const reads = []; // [promise, expected, what]
  const key = () => `k${next(keys)}`;
  const val = (i, k) => `${i}:${k}:`.padEnd(valueSize, String.fromCharCode(97 + (i % 26)));
  for (let i = 0; i < ops; i++) {
    const r = next(20);
    const k = key();
    if (r < 8) {
      const v = val(i, k);
      writes.push(db.put(k, v));
      model.set(k, v);
    } else if (r < 10) {
      writes.push(db.del(k));
      model.delete(k);
    } else if (r < 13) {
      const k2 = key();
      const v1 = val(i, k);
      const v2 = val(i + 0.5, k2);
      writes.push(db.batch([{ type: 'put', key: k, value: v1 }, { type: 'del', key: k2 }, { type: 'put', key: k2, value: v2 }]));
      model.set(k, v1);
      model.set(k2, v2);
    } else if (r < 14) {
      const v = val(i, k);
      writes.push(db.batch().del(k).put(k, v).write());
      model.set(k, v);
    } else if (r < 17) {
      reads.push([db.get(k), model.get(k), `get ${k} after request ${i}`]);
    } else if (r < 18) {
      reads.push([db.has(k), model.has(k), `has ${k} after request ${i}`]);
    } else {
      const k2 = key();
      reads.push([db.getMany([k, k2]), [model.get(k), model.get(k2)], `getMany ${k} ${k2} after request ${i}`]);
    }
  }
  const last = [...model.keys()].length;
  await Promise.all(writes);
  const bad = [];
  const short = (v) => (typeof v === 'string' ? v.slice(0, 12) : Array.isArray(v) ? v.map(short) : v);
  for (const [p, expected, what] of reads) {
    const got = await p;
    if (JSON.stringify(got) !== JSON.stringify(expected)) bad.push(`${what}: ${JSON.stringify(short(got))}, expected ${JSON.stringify(short(expected))}`);
  }
  const all = Array.from({ length: keys }, (_, i) => `k${i}`);
  const final = await db.getMany(all);
  all.forEach((k, i) => {
    if (final[i] !== model.get(k)) bad.push(`final ${k}: ${JSON.stringify(short(final[i]))}, expected ${JSON.stringify(short(model.get(k)))}`);
  });
  const stats = await db.stats();
  await db.close();
  // and after a reopen
  const again = await open(name, { backend: 'opfs', valueEncoding: 'utf8' });
  const reopened = await again.getMany(all);
  all.forEach((k, i) => {
    if (reopened[i] !== model.get(k)) bad.push(`after reopen ${k}: ${JSON.stringify(short(reopened[i]))}`);
  });
  await again.close();
  return { bad: bad.slice(0, 10), badCount: bad.length, reads: reads.length, writes: writes.length, live: last, refusals: stats.opfs.refusals, slots: stats.opfs.slots };
}

const ikey = (i) => `key${String(i).padStart(6, '0')}`;
const ivalue = (i) => `value ${i} `.padEnd(40 + (i % 13), '.');

// Ingests n sorted entries into ~1 KiB tables on a small pool: { entries, count, bad, tables, refusals }
// or { error } (at the handle cap). kvSeparation (the open option): the values go to ~1 KiB blob files.
export async function ingestMany({ name, n = 1500, pool = SMALL_POOL, kvSeparation }) {
  await deleteDatabase(name).catch(() => {});
  const db = await open(name, { backend: 'opfs', valueEncoding: 'utf8', keyEncoding: 'utf8', opfs: pool, compaction: { strategy: 'leveled', tableTargetSize: 1024 }, ...(kvSeparation ? { kvSeparation } : {}) });
  try {
    const entries = Array.from({ length: n }, (_, i) => [ikey(i), ivalue(i)]);
    let loaded;
    try {
      loaded = await db.ingest(entries);
    } catch (err) {
      const stats = await db.stats();
      return { error: { code: err.code, message: err.message }, tables: stats.levels.reduce((s, l) => s + l.tables, 0), files: stats.opfs.files, after: await errorOf(db.put('after', 'x')), afterGet: await db.get('after') };
    }
    const stats = await db.stats();
    return { entries: loaded, ...(await verify(db, n)), tables: stats.levels.reduce((s, l) => s + l.tables, 0), refusals: stats.opfs.refusals, refusalsBy: stats.opfs.refusalsBy, files: stats.opfs.files };
  } finally {
    await db.close();
  }
}

async function verify(db, n) {
  let count = 0;
  const bad = [];
  for await (const [k, v] of db.iterator()) {
    if (k !== ikey(count) || v !== ivalue(count)) bad.push(k);
    count++;
  }
  return { count, bad: bad.slice(0, 5), expected: n };
}

// An image of n entries in ~1 KiB tables (a memory database, compacted): its bytes and chunks.
async function manyTableImage(n) {
  const src = await open(`src-${n}-${Date.now()}`, { backend: 'memory', compaction: { strategy: 'leveled', tableTargetSize: 1024 } });
  const ops = Array.from({ length: n }, (_, i) => ({ type: 'put', key: ikey(i), value: ivalue(i) }));
  await src.batch(ops);
  await src.compact({ major: true });
  const tables = (await src.stats()).levels.reduce((s, l) => s + l.tables, 0);
  const bytes = await src.exportBytes();
  await src.close();
  return { bytes, tables };
}

// Imports an image of many small tables onto a small pool, from bytes and from a stream of
// chunks: { tables, copies: [{ count, bad, refusals }] }; or { tables, errors } at the cap.
export async function importMany({ name, n = 1500, pool = SMALL_POOL }) {
  const { bytes, tables } = await manyTableImage(n);
  const out = { tables, copies: [], errors: [] };
  const sources = {
    bytes: () => bytes,
    stream: () => new ReadableStream({
      start(c) {
        for (let at = 0; at < bytes.length; at += 8192) c.enqueue(bytes.slice(at, at + 8192));
        c.close();
      },
    }),
  };
  for (const [kind, source] of Object.entries(sources)) {
    const copy = `${name}-${kind}`;
    await deleteDatabase(copy).catch(() => {});
    const progress = [];
    const e = await errorOf(importDatabase(copy, source(), { backend: 'opfs', opfs: pool, onProgress: (p) => progress.push(p.bytesDone) }));
    if (e.code) {
      out.errors.push(e);
      // nothing left behind: the name opens as a new, empty database
      const db = await open(copy, { backend: 'opfs', valueEncoding: 'utf8' });
      out.emptyAfter = (await db.getMany([ikey(0)]))[0] === undefined;
      await db.close();
      continue;
    }
    const db = await open(copy, { backend: 'opfs', valueEncoding: 'utf8', keyEncoding: 'utf8', opfs: pool, createIfMissing: false });
    const stats = await db.stats();
    out.copies.push({ kind, ...(await verify(db, n)), files: stats.opfs.files, monotonic: progress.every((d, i) => i === 0 || d >= progress[i - 1]), last: progress.at(-1), size: bytes.length });
    await db.close();
  }
  return out;
}

// The OPFS folder of database `name` and the engine file paths its newest metadata maps to slots.
async function poolFiles(name) {
  const root = await navigator.storage.getDirectory();
  const folder = await (await root.getDirectoryHandle(OPFS_ROOT)).getDirectoryHandle(encodeURIComponent(name));
  let best = null;
  for (const m of ['meta-0', 'meta-1']) {
    const bytes = new Uint8Array(await (await (await folder.getFileHandle(m)).getFile()).arrayBuffer());
    if (bytes.length < 24) continue;
    const dv = new DataView(bytes.buffer);
    const generation = Number(dv.getBigUint64(8, true));
    const body = JSON.parse(new TextDecoder().decode(bytes.subarray(24, 24 + dv.getUint32(16, true))));
    if (!best || generation > best.generation) best = { generation, body };
  }
  return { folder, files: new Map(best.body.files) };
}

// Writes n puts that stay in the journal, damages the journal in the middle (fault injection,
// with the database closed), then opens it in point-in-time mode with tables of ~1 KiB on a small
// pool: the recovery flush of the prefix needs more files than are free. Returns the recovery
// report, what survived, and the pool's refusals; or { error } (at the handle cap).
export async function recoverPointInTime({ name, n = 600, pool = SMALL_POOL }) {
  await deleteDatabase(name).catch(() => {});
  const db = await open(name, { backend: 'opfs', valueEncoding: 'utf8', keyEncoding: 'utf8', memtableSize: 4 << 20 });
  for (let i = 0; i < n; i += 10) {
    const ops = [];
    for (let j = i; j < i + 10; j++) ops.push({ type: 'put', key: ikey(j), value: ivalue(j) });
    await db.batch(ops, { sync: true });
  }
  await db.close();
  const { folder, files } = await poolFiles(name);
  const journals = [...files].filter(([p]) => /journal\/\d+$/.test(p));
  const [path, slot] = journals.reduce((a, b) => (a && a[0] > b[0] ? a : b), null);
  const handle = await (await folder.getFileHandle(`slot-${slot}`)).createSyncAccessHandle();
  const size = handle.getSize();
  const at = Math.floor(size * 0.6);
  handle.write(new Uint8Array(16).fill(0xa5), { at });
  handle.flush();
  handle.close();
  const pit = open(name, { backend: 'opfs', valueEncoding: 'utf8', keyEncoding: 'utf8', opfs: pool, recoveryMode: 'point-in-time', compaction: { strategy: 'leveled', tableTargetSize: 1024 } });
  const e = await errorOf(pit);
  if (e.code) return { error: e, journal: path, size, damagedAt: at };
  const again = await pit;
  const rec = again.recovery;
  const stats = await again.stats();
  let count = 0;
  let bad = 0;
  for await (const [k, v] of again.iterator()) {
    if (k !== ikey(count) || v !== ivalue(count)) bad++;
    count++;
  }
  await again.close();
  // a strict open afterwards finds nothing more to recover
  const later = await open(name, { backend: 'opfs', valueEncoding: 'utf8' });
  const laterCount = (await later.getMany([ikey(0), ikey(count - 1), ikey(count)])).map((v) => v !== undefined);
  const laterRec = later.recovery;
  await later.close();
  // what lost/ holds (the engine's paths the pool maps), by name
  const lost = [...(await poolFiles(name)).files.keys()].filter((p) => /(^|\/)lost\//.test(p)).map((p) => p.slice(p.lastIndexOf('/') + 1)).sort();
  return { lost, recovery: { damaged: rec.damaged, batchesReplayed: rec.batchesReplayed, batchesDiscarded: rec.batchesDiscarded, filesMovedToLost: rec.filesMovedToLost },
    count, bad, tables: stats.levels.reduce((s, l) => s + l.tables, 0), refusals: stats.opfs.refusals, journal: path, size, damagedAt: at,
    laterCount, laterDamaged: laterRec.damaged, laterReplayed: laterRec.batchesReplayed };
}

// An open with these `opfs` pool options: its error ({ code, message }) or { code: null }.
export async function openError({ name, opfs }) {
  const p = open(name, { backend: 'opfs', valueEncoding: 'utf8', keyEncoding: 'utf8', opfs });
  const e = await errorOf(p);
  if (!e.code) await (await p).close();
  return e;
}
