// Run inside Chromium by the storage tests: the engine (Native.load({ host, loadModule }) + openDatabase, as
// the browser entry will use them) on the OPFS host (dedicated worker) or the IndexedDB host
// (page or worker). Databases stay open in this module between calls.
import { openDatabase } from '../../bindings/js/src/database.js';
import { engineConstants, loadModule } from '../../bindings/js/src/engine_browser.js';
import { IdbHost } from '../../bindings/js/src/idb_host.js';
import { encodingOf } from '../../bindings/js/src/keys.js';
import { Native } from '../../bindings/js/src/native.js';
import { OpfsHost } from '../../bindings/js/src/opfs_host.js';
import { checkOpenOptions } from '../../bindings/js/src/options.js';
import { quotaAfter } from './quota_host.mjs';

const open = new Map(); // name -> { db, host, load }

export const key = (i) => `k${String(i).padStart(8, '0')}`;
export const value = (i, size = 100) => `v${i}-`.padEnd(size, String.fromCharCode(97 + (i % 26)));

async function newHost(backend, name, hostOptions) {
  return backend === 'opfs' ? OpfsHost.open(name, hostOptions) : IdbHost.open(name, hostOptions);
}

// Opens `name` on `backend` ('opfs' | 'idb'). options: the engine's open() options;
// hostOptions: the host's; quotaBytes: wrap the host so writes fail with STRATA_QUOTA after that
// many bytes. Returns what recovery found.
export async function openDb(backend, name, options = {}, hostOptions = {}, quotaBytes = null) {
  if (open.has(name)) throw new Error(`${name} is already open here`);
  const inner = await newHost(backend, name, hostOptions);
  const host = quotaBytes === null ? inner : quotaAfter(inner, quotaBytes);
  const parsed = checkOpenOptions(options, await engineConstants());
  const native = await Native.load({ host, loadModule });
  const db = openDatabase(native, 'db', `${backend}:${name}`, options, parsed, 'strict',
    { valueEncoding: encodingOf('utf8', 'valueEncoding'), keyEncoding: encodingOf('utf8', 'keyEncoding') });
  open.set(name, { db, host: inner, wrapper: host, load: null });
  return { recovery: db.recovery };
}

function entry(name) {
  const e = open.get(name);
  if (!e) throw new Error(`${name} is not open here`);
  return e;
}

export async function closeDb(name) {
  const { db } = entry(name);
  open.delete(name);
  await db.close();
}

// Writes keys [from, from + count), each awaited; returns the count written.
export async function write(name, from, count, { sync = false, size = 100, batch = 0 } = {}) {
  const { db } = entry(name);
  if (batch) {
    for (let i = from; i < from + count; i += batch) {
      const ops = [];
      for (let j = i; j < Math.min(from + count, i + batch); j++) ops.push({ type: 'put', key: key(j), value: value(j, size) });
      await db.batch(ops, { sync });
    }
  } else {
    for (let i = from; i < from + count; i++) await db.put(key(i), value(i, size), { sync });
  }
  return count;
}

// Many sync writes issued at once (group commit): resolves when all are acknowledged.
export async function writeConcurrently(name, from, count, size = 100) {
  const { db } = entry(name);
  const puts = [];
  for (let i = from; i < from + count; i++) puts.push(db.put(key(i), value(i, size), { sync: true }));
  await Promise.all(puts);
  return count;
}

// The keys of [from, from + count) that are missing or wrong (at most 10), and how many are right.
export async function verify(name, from, count, size = 100) {
  const { db } = entry(name);
  const bad = [];
  let good = 0;
  for (let i = from; i < from + count; i++) {
    const v = await db.get(key(i));
    if (v === value(i, size)) good++;
    else if (bad.length < 10) bad.push([key(i), v === undefined ? null : String(v).slice(0, 20)]);
  }
  return { good, bad };
}

export async function count(name) {
  const { db } = entry(name);
  let n = 0;
  for await (const _ of db.iterator({ keys: true, values: false })) n++; // eslint-disable-line no-unused-vars
  return n;
}

export async function flush(name) {
  await entry(name).db.flush();
}

export async function compact(name) {
  await entry(name).db.compact({ major: true });
}

export function stats(name) {
  const { db, host } = entry(name);
  const engine = db.stats();
  const tables = engine.levels.reduce((n, l) => n + l.tables, 0);
  return { engine, tables, pool: host.pool ?? null, idb: host.stats ?? null };
}

// Batches of `batch` puts from `from` until one fails or `max` keys are written: how many were
// acknowledged (the keys [from, from + acked)) and the error that stopped them.
export async function writeUntilError(name, from, max, { size = 100, batch = 50 } = {}) {
  const { db } = entry(name);
  let acked = 0;
  try {
    for (let i = from; i < from + max; i += batch) {
      const ops = [];
      for (let j = i; j < Math.min(from + max, i + batch); j++) ops.push({ type: 'put', key: key(j), value: value(j, size) });
      await db.batch(ops);
      acked += ops.length;
    }
    await db.flush();
    return { acked, error: null };
  } catch (err) {
    return { acked, error: { code: err.code, message: err.message } };
  }
}

// Sync writes in a loop that runs on its own (not awaited by the caller); progress() tells how
// many were acknowledged, i.e. resolved, so far. `from` first key.
export function startLoad(name, from = 0, size = 100) {
  const e = entry(name);
  e.load = { acked: 0, error: null, stop: false, flushes0: e.db.stats().flushes };
  const load = e.load;
  (async () => {
    for (let i = from; !load.stop; i++) {
      await e.db.put(key(i), value(i, size), { sync: true });
      load.acked = i - from + 1;
      if (i % 2 === 0) await e.db.put(`bulk${i}`, value(i, 2000)); // unsynced: memtables fill, flushes install tables
    }
  })().catch((err) => { load.error = String(err?.message ?? err); });
  return true;
}

export function progress(name) {
  const { db, load } = entry(name);
  return { acked: load.acked, error: load.error, flushes: db.stats().flushes - load.flushes0 };
}

export async function stopLoad(name) {
  const { load } = entry(name);
  load.stop = true;
  await new Promise((r) => setTimeout(r, 20));
  return load.acked;
}

// A write that fails must say why: the error's code, message and cause's name.
export async function tryWrite(name, i, { size = 100, sync = true } = {}) {
  try {
    await entry(name).db.put(key(i), value(i, size), { sync });
    return { ok: true };
  } catch (err) {
    return { ok: false, code: err.code, message: err.message, cause: err.cause?.name ?? null };
  }
}

export async function tryFlush(name) {
  try {
    await entry(name).db.flush();
    return { ok: true };
  } catch (err) {
    return { ok: false, code: err.code, message: err.message, cause: err.cause?.name ?? null };
  }
}

// Raises or removes the quota wrapper's limit (null: no limit).
export function setQuota(name, bytes) {
  entry(name).wrapper.setLimit(bytes);
  return true;
}

export function injectCommitFailures(name, n) {
  entry(name).host.injectCommitFailures(n);
  return true;
}

export async function tryResume(name) {
  try {
    await entry(name).db.resume();
    return { ok: true };
  } catch (err) {
    return { ok: false, code: err.code, message: err.message };
  }
}

export function hostStats(name) {
  return entry(name).host.stats;
}

// A sync write started and left running (not awaited here): heldResult() tells how it ended.
const held = new Map(); // `${name}/${i}` -> { state: 'pending' | 'ok' | 'failed', code, message, cause }
export function startSyncWrite(name, i, size = 100) {
  const r = { state: 'pending' };
  held.set(`${name}/${i}`, r);
  entry(name).db.put(key(i), value(i, size), { sync: true }).then(
    () => { r.state = 'ok'; },
    (err) => Object.assign(r, { state: 'failed', code: err.code, message: err.message, cause: err.cause?.name ?? null }));
  return true;
}

export async function heldResult(name, i, waitMs = 0) {
  const r = held.get(`${name}/${i}`);
  for (const until = Date.now() + waitMs; r.state === 'pending' && Date.now() < until;) await new Promise((res) => setTimeout(res, 10));
  return { ...r };
}

export async function tryClose(name) {
  try {
    await closeDb(name);
    return { ok: true };
  } catch (err) {
    return { ok: false, code: err.code, message: err.message, cause: err.cause?.name ?? null };
  }
}

// Makes every FileSystemSyncAccessHandle.write of this worker throw the QuotaExceededError a full
// origin throws, once `bytes` more bytes were written (null: lift it). Below every host.
let handleQuota = null;
export function limitHandleWrites(bytes) {
  const proto = FileSystemSyncAccessHandle.prototype;
  proto.__write ??= proto.write;
  handleQuota = bytes === null ? null : { left: bytes };
  proto.write = function write(buf, opts) {
    if (handleQuota && buf.byteLength > handleQuota.left) {
      throw new DOMException(`injected: the origin's quota is exhausted (${buf.byteLength} bytes asked, ${handleQuota.left} left)`, 'QuotaExceededError');
    }
    const n = proto.__write.call(this, buf, opts);
    if (handleQuota) handleQuota.left -= n;
    return n;
  };
  return true;
}
