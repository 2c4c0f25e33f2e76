// strata-lsm: an LSM-tree key-value store (C compiled to WebAssembly) for Node.js.
//
//   const db = await open('./data', { compression: 'lz4' });
//   await db.put('k', 'v'); await db.get('k', { valueEncoding: 'utf8' }); await db.close();
//
// The engine runs on the calling thread: each method does its work synchronously inside the
// returned promise (no thread hop). Keys and values are strings (UTF-8) or Uint8Arrays; reads
// return Uint8Array unless valueEncoding/keyEncoding is 'utf8'. Errors are StrataError with a
// stable `code` (STRATA_NOT_OPEN, STRATA_LOCKED, STRATA_INVALID_ARGUMENT, ...).
import path from 'node:path';

import errors from './errors.cjs';
import { KEY_MAX, Native, STATS_COUNT, checkBytes, checkLocation, describeKey, invalid } from './native.js';
import { checkOpenOptions } from './options.js';

export const { StrataError } = errors;

const decoder = new TextDecoder();
const asyncDispose = Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose');
const dispose = Symbol.dispose ?? Symbol.for('nodejs.dispose');

const MAINTENANCE_BUDGET = 1 << 20; // bytes of flush/compaction output per step between requests
const PAGE_ENTRIES = 256; // entries fetched per wasm call by next() and for await, at most
const FIRST_PAGE = 8; // a fresh or re-seeked iterator starts small: seeks often read a few entries
const CLEAR_CHUNK = 1000; // deletes per batch in clear()

function notOpen(what) {
  return new StrataError('STRATA_NOT_OPEN', `${what}: the database is not open`);
}

function encodingOf(name, what) {
  if (name === undefined || name === 'buffer' || name === 'view' || name === 'binary') return 'view';
  if (name === 'utf8' || name === 'utf-8' || name === 'string') return 'utf8';
  throw invalid(`${what} must be 'utf8' or 'buffer', not ${JSON.stringify(name)}`);
}

function checkKey(key) {
  const k = checkBytes(key, 'key');
  const len = typeof k === 'string' ? Buffer.byteLength(k) : k.length;
  if (len > KEY_MAX) throw invalid(`key ${describeKey(k)} is ${len} bytes; keys are at most ${KEY_MAX} bytes`);
  return k;
}

function checkValue(value, key) {
  if (value === null || value === undefined) throw invalid(`value of key ${describeKey(key)} must not be ${value}`);
  return checkBytes(value, `value of key ${describeKey(key)}`);
}

function toBytes(x) {
  return typeof x === 'string' ? Buffer.from(x, 'utf8') : x;
}

function compareBytes(a, b) {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length));
}

// The smallest key greater than every key that starts with prefix (undefined: no such key).
function prefixEnd(prefix) {
  const p = Uint8Array.from(prefix);
  for (let i = p.length - 1; i >= 0; i--) {
    if (p[i] !== 0xff) {
      const end = p.slice(0, i + 1);
      end[i]++;
      return end;
    }
  }
  return undefined;
}

// Normalises {gt, gte, lt, lte, prefix} to one lower and one upper bound of bytes.
function rangeOf(opts) {
  let lo = null; // { key, inclusive }
  let hi = null;
  const tighterLo = (key, inclusive) => {
    if (!lo) { lo = { key, inclusive }; return; }
    const c = compareBytes(key, lo.key);
    if (c > 0 || (c === 0 && !inclusive)) lo = { key, inclusive };
  };
  const tighterHi = (key, inclusive) => {
    if (!hi) { hi = { key, inclusive }; return; }
    const c = compareBytes(key, hi.key);
    if (c < 0 || (c === 0 && !inclusive)) hi = { key, inclusive };
  };
  for (const [name, inclusive, set] of [['gt', false, tighterLo], ['gte', true, tighterLo], ['lt', false, tighterHi], ['lte', true, tighterHi]]) {
    if (opts[name] !== undefined) set(toBytes(checkKey(opts[name])), inclusive);
  }
  if (opts.prefix !== undefined) {
    const p = toBytes(checkKey(opts.prefix));
    tighterLo(p, true);
    const end = prefixEnd(p);
    if (end) tighterHi(end, false);
  }
  return { lo, hi };
}

function statsFrom(f) {
  let i = 0;
  const levelCount = f[i++];
  const levels = [];
  for (let l = 0; l < 16; l++) {
    const tables = f[i++];
    const runs = f[i++];
    const bytes = f[i++];
    if (l < levelCount) levels.push({ level: l, tables, runs, bytes });
  }
  const [memtableBytes, sealed, hits, misses, cacheBytes, user, flush, compaction, flushes, compactions,
    writeStalls, seqno, snapshots, versions, compactionRead, writeSlowdowns, writeAmplification] = f.slice(i, i + 17);
  return {
    levels,
    memtable: { bytes: memtableBytes, sealed },
    cache: { hits, misses, bytes: cacheBytes },
    bytesWritten: { user, flush, compaction },
    bytesRead: { compaction: compactionRead },
    writeAmplification, // the engine's own: (flush + compaction bytes) / user bytes
    flushes, compactions, writeStalls, writeSlowdowns, seqno,
    snapshotsOpen: snapshots, versionsAlive: versions,
  };
}

// The 11 doubles of strata_js_recovery_report -> db.recovery (frozen: it describes the open).
function recoveryFrom(f) {
  const [journalsReplayed, batchesReplayed, tornBytesCut, damaged, damagedJournal, damagedOffset,
    batchesDiscarded, highestSeqnoSeen, manifestFallback, filesMovedToLost, obsoleteFilesRemoved] = f;
  return Object.freeze({
    journalsReplayed, batchesReplayed, tornBytesCut, damaged: damaged !== 0, damagedJournal, damagedOffset,
    batchesDiscarded, highestSeqnoSeen, manifestFallback: manifestFallback !== 0, filesMovedToLost,
    obsoleteFilesRemoved,
  });
}
const RECOVERY_MODES = { strict: 0, 'point-in-time': 1 };

export async function open(location, options = {}) {
  checkLocation(location);
  const { compression, memtableSize, blockCacheSize, bloomBitsPerKey, compaction } = checkOpenOptions(options);
  const memory = location === ':memory:' || options.backend === 'memory';
  const recoveryMode = options.recoveryMode === undefined ? 'strict' : options.recoveryMode;
  if (typeof recoveryMode !== 'string' || !Object.hasOwn(RECOVERY_MODES, recoveryMode)) {
    throw invalid(`recoveryMode must be 'strict' or 'point-in-time', not ${JSON.stringify(options.recoveryMode)}`);
  }
  const valueEncoding = encodingOf(options.valueEncoding, 'valueEncoding');
  if (options.worker) {
    if (options._moduleUrl !== undefined) throw invalid('worker: true cannot be combined with _moduleUrl');
    const { openInWorker } = await import('./worker_client.js');
    return openInWorker(location, options);
  }
  const keyEncoding = encodingOf(options.keyEncoding, 'keyEncoding');
  const threads = !!options.threads;

  const native = await Native.load({ threads, memory, moduleUrl: options._moduleUrl });
  const where = memory ? 'memory-db' : path.resolve(location);
  const m = native.m;
  const cpath = native.cstring(where);
  if (compaction) native.m.HEAPF64.set(compaction, native.statsPtr >>> 3);
  try {
    native.check(m._strata_js_open(
      cpath, native.vfs,
      options.createIfMissing === false ? 0 : 1,
      options.errorIfExists ? 1 : 0,
      memtableSize,
      blockCacheSize,
      compression,
      bloomBitsPerKey,
      options.sync ? 1 : 0,
      threads ? 1 : -1,
      compaction ? native.statsPtr : 0,
      RECOVERY_MODES[recoveryMode],
      native.words), `open ${memory ? ':memory:' : where}`);
  } catch (err) {
    m._free(cpath);
    native.free();
    throw err;
  }
  m._free(cpath);
  const handle = native.word(0);
  native.check(m._strata_js_recovery_report(handle, native.statsPtr), 'recovery report');
  const recovery = recoveryFrom(Array.from(m.HEAPF64.subarray(native.statsPtr >>> 3, (native.statsPtr >>> 3) + 11)));
  return new Database(native, handle, recovery, {
    location: memory ? ':memory:' : where, valueEncoding, keyEncoding, threads, sync: !!options.sync,
  });
}

// repairDatabase(location) rebuilds a database that no longer opens (C strata_repair): it keeps
// the tables that verify, salvages every intact journal batch, writes a new manifest and moves
// what it could not use to <location>/lost/. Resolves to the report; the database must be closed.
const REPAIR_FIELDS = ['tablesFound', 'tablesKept', 'tablesDamaged', 'tablesObsolete', 'tablesMerged', 'tablesWritten',
  'journalsRead', 'journalBatchesSalvaged', 'journalBatchesLost', 'journalBytesLost', 'journalTornBytes',
  'manifestSlotsDamaged', 'filesMovedToLost', 'entries', 'highestSeqno'];

export async function repairDatabase(location, options = {}) {
  checkLocation(location);
  if (location === ':memory:') throw invalid('repairDatabase needs a database folder, not :memory:');
  if (options === null || typeof options !== 'object') throw invalid('options must be an object');
  const native = await Native.load({ moduleUrl: options._moduleUrl });
  const m = native.m;
  const where = path.resolve(location);
  const cpath = native.cstring(where);
  const report = {};
  try {
    m.HEAPU32[native.words >>> 2] = 0;
    native.check(m._strata_js_repair(cpath, native.vfs, native.statsPtr, native.words), `repairDatabase ${where}`);
    const base = native.statsPtr >>> 3;
    REPAIR_FIELDS.forEach((name, i) => { report[name] = m.HEAPF64[base + i]; });
    const log = native.word(0);
    report.log = log ? m.UTF8ToString(log).split('\n').filter((line) => line !== '') : [];
    if (log) m._free(log);
  } finally {
    m._free(cpath);
    native.free();
  }
  return report;
}

class Database {
  #native;
  #db;
  #status = 'open';
  #iterators = new Set();
  #snapshots = new Set();
  #maintenance = null; // the pending setImmediate
  #maintenanceError = null;
  #opts;
  #recovery;

  constructor(native, db, recovery, opts) {
    this.#native = native;
    this.#db = db;
    this.#opts = opts;
    this.location = opts.location;
    this.#recovery = recovery;
  }

  get status() {
    return this.#status;
  }

  // What the open's journal (and manifest) recovery found and did.
  get recovery() {
    return this.#recovery;
  }

  get _valueEncoding() {
    return this.#opts.valueEncoding;
  }

  #ensureOpen(what) {
    if (this.#status !== 'open') throw notOpen(what);
  }

  // Single-threaded build (or threads off): flushes and compactions run as small steps
  // between requests, scheduled after writes while work remains.
  #scheduleMaintenance() {
    if (this.#opts.threads || this.#maintenance || this.#status !== 'open') return;
    this.#maintenance = setImmediate(() => {
      this.#maintenance = null;
      if (this.#status !== 'open') return;
      try {
        if (this.#step(MAINTENANCE_BUDGET)) this.#scheduleMaintenance();
      } catch (err) {
        this.#maintenanceError = err; // reported by the next write
      }
    });
  }

  #step(budget) {
    const n = this.#native;
    n.check(n.m._strata_js_maintenance_step(this.#db, budget, n.words), 'maintenance');
    return n.word(0) !== 0;
  }

  #afterWrite() {
    this.#scheduleMaintenance();
  }

  #throwMaintenanceError() {
    const err = this.#maintenanceError;
    if (err) {
      this.#maintenanceError = null;
      throw err;
    }
  }

  async put(key, value, options = {}) {
    this.#ensureOpen('put');
    const k = checkKey(key);
    const v = checkValue(value, k);
    this.#throwMaintenanceError();
    const n = this.#native;
    const [kp, kl, vp, vl] = n.put(k, v);
    n.check(n.m._strata_js_put(this.#db, kp, kl, vp, vl, options.sync ? 1 : 0), () => `put ${describeKey(k)}`);
    this.#afterWrite();
  }

  async del(key, options = {}) {
    this.#ensureOpen('del');
    const k = checkKey(key);
    this.#throwMaintenanceError();
    const n = this.#native;
    const [kp, kl] = n.put(k);
    n.check(n.m._strata_js_delete(this.#db, kp, kl, options.sync ? 1 : 0), () => `del ${describeKey(k)}`);
    this.#afterWrite();
  }

  // Reads one key at a snapshot pointer (0 = latest); undefined when absent.
  _getAt(snap, key, encoding, valueWanted = true) {
    const k = checkKey(key);
    const n = this.#native;
    const m = n.m;
    if (valueWanted) n.ensureOut(65536);
    for (;;) {
      const kl = n.putOne(k);
      n.check(m._strata_js_get(this.#db, snap, n.inPtr, kl, n.outPtr, valueWanted ? n.outCap : 0, n.words),
        () => `get ${describeKey(k)}`);
      if (!n.word(0)) return undefined;
      if (!valueWanted) return true;
      const len = n.word(1);
      if (len > n.outCap) {
        n.ensureOut(len);
        continue;
      }
      const bytes = m.HEAPU8.subarray(n.outPtr, n.outPtr + len);
      return encoding === 'utf8' ? decoder.decode(bytes) : bytes.slice();
    }
  }

  // options.snapshot: a snapshot of this database (checked before any wasm call), or undefined.
  _ownSnapshot(snapshot, what) {
    if (snapshot === undefined) return undefined;
    if (!(snapshot instanceof Snapshot)) throw invalid(`${what}: snapshot must come from db.snapshot()`);
    if (!snapshot._belongsTo(this)) throw invalid(`${what}: the snapshot belongs to another database`);
    snapshot._ensureOpen(what);
    return snapshot;
  }

  async get(key, options = {}) {
    this.#ensureOpen('get');
    const snap = this._ownSnapshot(options.snapshot, 'get');
    return this._getAt(snap ? snap._ptr : 0, key, encodingOf(options.valueEncoding ?? this.#opts.valueEncoding, 'valueEncoding'));
  }

  async getMany(keys, options = {}) {
    this.#ensureOpen('getMany');
    if (!Array.isArray(keys)) throw invalid('getMany expects an array of keys');
    const snap = this._ownSnapshot(options.snapshot, 'getMany');
    const enc = encodingOf(options.valueEncoding ?? this.#opts.valueEncoding, 'valueEncoding');
    return keys.map((k) => this._getAt(snap ? snap._ptr : 0, k, enc));
  }

  async has(key, options = {}) {
    this.#ensureOpen('has');
    const snap = this._ownSnapshot(options.snapshot, 'has');
    return this._getAt(snap ? snap._ptr : 0, key, 'view', false) === true;
  }

  // batch([{ type: 'put', key, value }, { type: 'del', key }]): atomic, one seqno.
  async batch(operations, options = {}) {
    this.#ensureOpen('batch');
    if (!Array.isArray(operations)) throw invalid('batch expects an array of operations');
    this.#throwMaintenanceError();
    this.#writeOps(operations, options.sync ? 1 : 0);
    this.#afterWrite();
  }

  // Encodes every operation into one buffer and applies it with one wasm call.
  #writeOps(operations, sync) {
    const parts = [];
    let need = 0;
    operations.forEach((op, i) => {
      if (op === null || typeof op !== 'object') throw invalid(`batch operation ${i} must be an object`);
      const k = checkKey(op.key);
      if (op.type === 'put') {
        const v = checkValue(op.value, k);
        parts.push(0, toBytes(k), toBytes(v));
        need += 9 + parts[parts.length - 2].length + parts[parts.length - 1].length;
      } else if (op.type === 'del') {
        parts.push(1, toBytes(k), null);
        need += 5 + parts[parts.length - 2].length;
      } else {
        throw invalid(`batch operation ${i} has type ${JSON.stringify(op.type)}; expected 'put' or 'del'`);
      }
    });
    const n = this.#native;
    n.ensureIn(need);
    const heap = n.m.HEAPU8;
    const dv = new DataView(heap.buffer);
    let pos = n.inPtr;
    for (let i = 0; i < parts.length; i += 3) {
      heap[pos] = parts[i];
      dv.setUint32(pos + 1, parts[i + 1].length, true);
      heap.set(parts[i + 1], pos + 5);
      pos += 5 + parts[i + 1].length;
      if (parts[i] === 0) {
        dv.setUint32(pos, parts[i + 2].length, true);
        heap.set(parts[i + 2], pos + 4);
        pos += 4 + parts[i + 2].length;
      }
    }
    n.check(n.m._strata_js_write(this.#db, n.inPtr, pos - n.inPtr, parts.length / 3, sync), 'batch');
  }

  snapshot() {
    this.#ensureOpen('snapshot');
    const n = this.#native;
    n.check(n.m._strata_js_snapshot(this.#db, n.words), 'snapshot');
    const snap = new Snapshot(this, n.word(0), (s) => this.#snapshots.delete(s), (p) => n.m._strata_js_snapshot_release(p));
    this.#snapshots.add(snap);
    return snap;
  }

  iterator(options = {}) {
    this.#ensureOpen('iterator');
    return this._iterator(options, 'entries');
  }

  keys(options = {}) {
    this.#ensureOpen('keys');
    return this._iterator(options, 'keys');
  }

  values(options = {}) {
    this.#ensureOpen('values');
    return this._iterator(options, 'values');
  }

  // shape: 'entries' yields [key, value], 'keys' keys, 'values' values.
  _iterator(options, shape, snapshot = options.snapshot) {
    if (options === null || typeof options !== 'object') throw invalid('iterator options must be an object');
    this._ownSnapshot(snapshot, 'iterator');
    let want = shape === 'keys' ? 1 : shape === 'values' ? 2 : 3;
    if (shape === 'entries' && options.keys === false) want &= ~1;
    if (shape === 'entries' && options.values === false) want &= ~2;
    const limit = options.limit === undefined || options.limit === null || options.limit < 0 ? Infinity : options.limit;
    if (typeof limit !== 'number' || Number.isNaN(limit)) throw invalid('limit must be a number');
    const { lo, hi } = rangeOf(options);
    const n = this.#native;
    const [lop, lol, hip, hil] = n.put(lo ? lo.key : new Uint8Array(0), hi ? hi.key : new Uint8Array(0));
    n.check(n.m._strata_js_iter_new(this.#db, snapshot ? snapshot._ptr : 0,
      lo ? (lo.inclusive ? 1 : 2) : 0, lop, lol, hi ? (hi.inclusive ? 1 : 2) : 0, hip, hil,
      options.reverse ? 1 : 0, n.words), 'iterator');
    const it = new Iterator(this, n, n.word(0), {
      want, shape, limit, reverse: !!options.reverse,
      keyEncoding: encodingOf(options.keyEncoding ?? this.#opts.keyEncoding, 'keyEncoding'),
      valueEncoding: encodingOf(options.valueEncoding ?? this.#opts.valueEncoding, 'valueEncoding'),
      snapshot, lo, hi,
    }, (i) => this.#iterators.delete(i));
    if (snapshot) snapshot._use();
    this.#iterators.add(it);
    return it;
  }

  // Deletes every key in the range (same options as iterator, plus limit). Not atomic as a
  // whole: keys are removed in batches of CLEAR_CHUNK, each batch atomic.
  async clear(options = {}) {
    this.#ensureOpen('clear');
    const it = this._iterator({ ...options, keyEncoding: 'buffer' }, 'keys');
    try {
      for (;;) {
        const keys = await it.nextv(CLEAR_CHUNK);
        if (keys.length === 0) break;
        this.#writeOps(keys.map((key) => ({ type: 'del', key })), 0);
      }
    } finally {
      await it.close();
    }
    this.#afterWrite();
  }

  // Writes the memtables to tables and returns when they are on disk.
  async flush() {
    this.#ensureOpen('flush');
    const n = this.#native;
    n.check(n.m._strata_js_flush(this.#db), 'flush');
    this.#afterWrite();
  }

  // strata_resume: retries failed background work now (a full disk that has room again, ...)
  // instead of at the next backoff tick; resolves once the database is healthy, rejects with
  // the error while it persists (corruption: until reopened).
  async resume() {
    this.#ensureOpen('resume');
    const n = this.#native;
    n.check(n.m._strata_js_resume(this.#db), 'resume');
    this.#maintenanceError = null; // what a failed maintenance step left was just retried
    this.#afterWrite();
  }

  // strata_compact: { major: true } flushes, then merges every table into one run in the last
  // level, dropping deleted keys and versions no snapshot can see; otherwise runs the strategy's
  // pending compactions until none is left. Returns when done (on this thread in the
  // single-threaded build).
  async compact(options = {}) {
    this.#ensureOpen('compact');
    if (options === null || typeof options !== 'object') throw invalid('compact options must be an object');
    if (options.major !== undefined && typeof options.major !== 'boolean') throw invalid('compact: major must be a boolean');
    this.#throwMaintenanceError();
    const n = this.#native;
    n.check(n.m._strata_js_compact(this.#db, options.major ? 1 : 0), options.major ? 'compact (major)' : 'compact');
    this.#afterWrite(); // sealed memtables or new level-0 tables may remain (minor compaction)
  }

  stats() {
    this.#ensureOpen('stats');
    const n = this.#native;
    n.check(n.m._strata_js_stats(this.#db, n.statsPtr), 'stats');
    return statsFrom(Array.from(n.m.HEAPF64.subarray(n.statsPtr >>> 3, (n.statsPtr >>> 3) + STATS_COUNT)));
  }

  // Closes iterators and snapshots, waits for background work (inside strata_close), releases
  // the lock. Closing twice is fine; reopening the same location afterwards is allowed.
  async close() {
    if (this.#status === 'closed') return;
    if (this.#status === 'closing') return this._closing;
    this.#status = 'closing';
    this._closing = (async () => {
      if (this.#maintenance) clearImmediate(this.#maintenance);
      this.#maintenance = null;
      for (const it of [...this.#iterators]) it._release();
      for (const s of [...this.#snapshots]) s._release();
      const n = this.#native;
      let err;
      try {
        n.check(n.m._strata_js_close(this.#db), 'close');
      } catch (e) {
        err = e;
      }
      this.#db = 0;
      n.free();
      this.#native = null; // nothing of the module stays reachable from a closed handle
      this.#status = 'closed';
      if (err) throw err;
    })();
    return this._closing;
  }

  async [asyncDispose]() {
    await this.close();
  }
}

class Snapshot {
  #db;
  #onClose;
  #release;
  #users = 0; // iterators reading from this snapshot
  #closed = false;

  constructor(db, ptr, onClose, release) {
    this.#db = db;
    this._ptr = ptr;
    this.#onClose = onClose;
    this.#release = release;
  }

  _ensureOpen(what) {
    if (this.#closed || !this._ptr) throw new StrataError('STRATA_NOT_OPEN', `${what}: the snapshot is closed`);
    if (this.#db.status !== 'open') throw notOpen(what);
  }

  _belongsTo(db) {
    return this.#db === db;
  }

  _use() {
    this.#users++;
  }

  _unuse() {
    if (--this.#users === 0 && this.#closed) this.#free();
  }

  #free() {
    if (!this._ptr) return;
    this.#release(this._ptr);
    this._ptr = 0;
    this.#release = null;
  }

  async get(key, options = {}) {
    this._ensureOpen('snapshot.get');
    return this.#db._getAt(this._ptr, key, encodingOf(options.valueEncoding ?? this.#db._valueEncoding, 'valueEncoding'));
  }

  async getMany(keys, options = {}) {
    this._ensureOpen('snapshot.getMany');
    if (!Array.isArray(keys)) throw invalid('getMany expects an array of keys');
    const enc = encodingOf(options.valueEncoding ?? this.#db._valueEncoding, 'valueEncoding');
    return keys.map((k) => this.#db._getAt(this._ptr, k, enc));
  }

  async has(key) {
    this._ensureOpen('snapshot.has');
    return this.#db._getAt(this._ptr, key, 'view', false) === true;
  }

  iterator(options = {}) {
    this._ensureOpen('snapshot.iterator');
    return this.#db._iterator(options, 'entries', this);
  }

  keys(options = {}) {
    this._ensureOpen('snapshot.keys');
    return this.#db._iterator(options, 'keys', this);
  }

  values(options = {}) {
    this._ensureOpen('snapshot.values');
    return this.#db._iterator(options, 'values', this);
  }

  // Released now, or when its last iterator closes.
  close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose(this);
    if (this.#users === 0) this.#free();
  }

  // Called by db.close(): the handle goes away with the database.
  _release() {
    this.#closed = true;
    this.#onClose(this);
    this.#free();
  }

  async [asyncDispose]() {
    this.close();
  }

  [dispose]() {
    this.close();
  }
}

class Iterator {
  #db;
  #n;
  #ptr;
  #o;
  #onClose;
  #page = []; // decoded entries not handed out yet
  #pageSize = FIRST_PAGE; // doubles with each page fetched, up to PAGE_ENTRIES
  #exhausted = false;
  #count = 0; // entries handed out (for limit)
  #closed = false;

  constructor(db, native, ptr, o, onClose) {
    this.#db = db;
    this.#n = native;
    this.#ptr = ptr;
    this.#o = o;
    this.#onClose = onClose;
  }

  #ensureOpen(what) {
    if (this.#closed) throw new StrataError('STRATA_NOT_OPEN', `iterator.${what}: the iterator is closed`);
    if (this.#db.status !== 'open') throw notOpen(`iterator.${what}`);
  }

  #decode(bytes, enc) {
    return enc === 'utf8' ? decoder.decode(bytes) : bytes.slice();
  }

  // Fetches up to `max` more entries with one wasm call (more only if one entry is larger
  // than the output buffer, which is then grown).
  #fill(max) {
    const n = this.#n;
    const m = n.m;
    const { want, keyEncoding, valueEncoding } = this.#o;
    n.ensureOut(65536);
    for (;;) {
      n.check(m._strata_js_iter_page(this.#ptr, n.outPtr, n.outCap, max, want || 1, n.words), 'iterator');
      const count = n.word(0);
      const need = n.word(3);
      this.#exhausted = n.word(2) !== 0;
      if (count === 0 && need > 0) {
        n.ensureOut(need);
        continue;
      }
      const heap = m.HEAPU8;
      const dv = new DataView(heap.buffer);
      let pos = n.outPtr;
      for (let i = 0; i < count; i++) {
        let key;
        let value;
        if (want & 1 || !want) { // with neither keys nor values wanted, C still sends keys
          const kl = dv.getUint32(pos, true);
          if (want & 1) key = this.#decode(heap.subarray(pos + 4, pos + 4 + kl), keyEncoding);
          pos += 4 + kl;
        }
        if (want & 2) {
          const vl = dv.getUint32(pos, true);
          value = this.#decode(heap.subarray(pos + 4, pos + 4 + vl), valueEncoding);
          pos += 4 + vl;
        }
        this.#page.push(this.#shape(key, value));
      }
      return;
    }
  }

  // db.iterator() yields [key, value]; keys() yields keys; values() yields values.
  #shape(key, value) {
    const { shape } = this.#o;
    if (shape === 'keys') return key;
    if (shape === 'values') return value;
    return [key, value];
  }

  #remaining() {
    return this.#o.limit - this.#count;
  }

  #take(max) {
    const out = [];
    while (out.length < max && this.#remaining() > 0) {
      if (this.#page.length === 0) {
        if (this.#exhausted) break;
        this.#fill(Math.min(Math.max(this.#pageSize, max - out.length), this.#remaining(), 1 << 16));
        this.#pageSize = Math.min(this.#pageSize * 2, PAGE_ENTRIES);
        if (this.#page.length === 0) break;
      }
      const k = Math.min(this.#page.length, max - out.length, this.#remaining());
      const got = this.#page.splice(0, k);
      for (const e of got) out.push(e);
      this.#count += k;
    }
    return out;
  }

  // The next entry, or undefined at the end.
  async next() {
    this.#ensureOpen('next');
    const [e] = this.#take(1);
    return e;
  }

  // Up to `size` entries (fewer only at the end).
  async nextv(size) {
    this.#ensureOpen('nextv');
    if (typeof size !== 'number' || Number.isNaN(size) || size < 0) throw invalid('nextv: size must be a number >= 0');
    const max = Math.floor(size);
    return max === 0 ? [] : this.#take(max);
  }

  // Every remaining entry; closes the iterator.
  async all() {
    this.#ensureOpen('all');
    try {
      return this.#take(Infinity);
    } finally {
      await this.close();
    }
  }

  // Moves to the first key >= target (the last key <= target when reverse), within the range.
  seek(target) {
    this.#ensureOpen('seek');
    let t = toBytes(checkKey(target));
    const { lo, hi, reverse } = this.#o;
    if (!reverse && lo && compareBytes(t, lo.key) < 0) t = lo.key;
    if (reverse && hi && compareBytes(t, hi.key) > 0) t = hi.key;
    const [p, l] = this.#n.put(t);
    this.#n.m._strata_js_iter_seek(this.#ptr, p, l);
    this.#page = [];
    this.#pageSize = FIRST_PAGE;
    this.#exhausted = false;
  }

  async close() {
    this._release();
  }

  _release() {
    if (this.#closed) return;
    this.#closed = true;
    this.#page = [];
    this.#n.m._strata_js_iter_close(this.#ptr);
    this.#ptr = 0;
    this.#n = null;
    this.#onClose(this);
    this.#o.snapshot?._unuse();
  }

  async *[Symbol.asyncIterator]() {
    try {
      for (;;) {
        this.#ensureOpen('next');
        if (this.#page.length === 0) {
          const batch = this.#take(PAGE_ENTRIES);
          if (batch.length === 0) return;
          yield* batch;
        } else {
          yield* this.#take(this.#page.length);
        }
      }
    } finally {
      await this.close();
    }
  }

  async [asyncDispose]() {
    await this.close();
  }
}

export default { open, repairDatabase, StrataError };
