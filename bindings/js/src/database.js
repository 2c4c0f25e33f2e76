// A database handle over one wasm module instance (native.js): writes, point reads, batches,
// snapshots (snapshot.js), iterators (iterator.js), maintenance in the single-threaded build,
// stats and close. openDatabase() opens one on a loaded Native, whatever its storage host. No Node
// built-ins: the Node entry (index.js) resolves the path and passes the Node storage host.
import { ChainedBatch } from './chained_batch.js';
import { batchSize, constants, decodeBytes, decodeRecovery, decodeRepair, decodeStats, encodeBatch, readStruct, utf8, writeCompaction } from './codecs.js';
import { StrataError, checkSignal, invalid, notOpen } from './errors.js';
import { beginExport, imageBytes } from './image.js';
import { Iterator } from './iterator.js';
import { describeKey, encodingOf, rangeOf, toBytes } from './keys.js';
import { checkProgress, reporter, withProgress } from './progress.js';
import { Snapshot } from './snapshot.js';
import { retryBlocked } from './host_common.js';

const asyncDispose = Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose');
// Browsers have no setImmediate: a zero timeout there.

const MAINTENANCE_BUDGET = 1 << 20; // bytes of flush/compaction output per step between requests
const BACKGROUND_SETTLE_MS = 5; // how soon after maintenance the host settles unsynced writes
const CLEAR_CHUNK = 1000; // deletes per batch in clear()
// the options of a call made without any (one shared object: no allocation per call)
const NO_OPTIONS = Object.freeze({});
const EMPTY = new Uint8Array(0);
const NO_RANGE = Object.freeze({ lo: null, hi: null });
const NO_BOUNDS = Object.freeze([0, 0, 0, 0]);
export const RECOVERY_MODES = Object.freeze({ strict: 0, 'point-in-time': 1 });

// The next task of the event loop, after the requests already queued: setImmediate in Node;
// browsers have none, and setTimeout(0) is clamped to 4 ms once nested, so a MessageChannel
// message (made once, on first use) stands in.
let channelTasks = null; // { port, queue: id -> task, next }
const nextTask = typeof setImmediate === 'function'
  ? { set: (fn) => setImmediate(fn), clear: (t) => clearImmediate(t) }
  : {
    set(fn) {
      if (!channelTasks) {
        const ch = new MessageChannel();
        channelTasks = { port: ch.port2, queue: new Map(), next: 1 };
        ch.port1.onmessage = (e) => {
          const task = channelTasks.queue.get(e.data);
          channelTasks.queue.delete(e.data);
          task?.();
        };
      }
      const id = channelTasks.next++;
      channelTasks.queue.set(id, fn);
      channelTasks.port.postMessage(id);
      return id;
    },
    clear: (id) => channelTasks?.queue.delete(id),
  };

const DEFERRED = Symbol('deferred'); // #maintenance: the task is with worker_serve.js
const HELD = Symbol('held'); // a call's wait: the lane holds calls (#hold), join it
// The calls that change what a read of the latest state sees: while the lane holds one, the
// synchronous reads of the latest state refuse (#ensureNoHeldChange).
const CHANGES = new Set(['put', 'del', 'singleDel', 'batch', 'batch.write', 'clear', 'dropRange']);

// Opens `where` (a resolved folder, or 'memory-db') on `native`; `parsed` is checkOpenOptions'
// result. The native is freed when the open fails.
export function openDatabase(native, where, displayLocation, options, parsed, recoveryMode, encodings) {
  try {
    return openAttempt(native, where, displayLocation, options, parsed, recoveryMode, encodings);
  } catch (err) {
    native.free();
    throw err;
  }
}

// The same on a storage host that may refuse the open with "would block" (the OPFS pool had no
// file free for what recovery writes at open: a point-in-time recovery's flush, a new journal):
// the open (which left nothing behind) runs again once the host is ready (retryBlocked), on the
// same native and host (its lock held throughout). A point-in-time recovery refused after its
// cut was installed finds its report in lost/ and reports the same damage (db_recovery.c).
export async function openDatabaseOnHost(native, where, displayLocation, options, parsed, recoveryMode, encodings) {
  try {
    return await retryBlocked(native.host, () => openAttempt(native, where, displayLocation, options, parsed, recoveryMode, encodings));
  } catch (err) {
    native.free();
    throw err;
  }
}

function openAttempt(native, where, displayLocation, options, parsed, recoveryMode, encodings) {
  const { compression, memtableSize, blockCacheSize, bloomBitsPerKey, maxSealedMemtables, compaction, compactionFilter } = parsed;
  const m = native.m;
  const threads = !!options.threads;
  const pool = m.strataPool ?? 0; // engine_core.js: a shared pthreads instance's maintenance pool
  let cpath = 0;
  let filter = null;
  try {
    cpath = native.cstring(where);
    if (compaction) writeCompaction(m, native.structPtr, compaction, native.layout.compaction);
    // in place before the open: a background compaction may call it as soon as the database is open
    if (compactionFilter) filter = new FilterRunner(native, compactionFilter, encodings);
    const open = filter ? m._strata_js_open_filtered : m._strata_js_open;
    native.check(open(
      cpath, native.vfs,
      options.createIfMissing === false ? 0 : 1,
      options.errorIfExists ? 1 : 0,
      memtableSize,
      blockCacheSize,
      compression,
      bloomBitsPerKey,
      options.sync ? 1 : 0,
      options.cacheWrittenBlocks === false ? 0 : 1, // on unless turned off (index.d.cts says why)
      pool ? 0 : threads ? 1 : -1, // on a shared pthreads instance its pool does the background work
      maxSealedMemtables,
      compaction ? native.structPtr : 0,
      RECOVERY_MODES[recoveryMode],
      ...(filter ? [filter.ptr] : []),
      native.words), `open ${displayLocation === ':memory:' ? ':memory:' : where}`);
  } catch (err) {
    if (cpath) m._free(cpath);
    filter?.free();
    throw err;
  }
  m._free(cpath);
  const handle = native.word(0);
  native.check(m._strata_js_recovery_report(handle, native.structPtr), 'recovery report');
  const recovery = decodeRecovery(readStruct(m, native.structPtr, native.layout.recovery, native.layout));
  const pooled = pool ? m._strata_js_pool_join(pool, handle) : 0;
  if (pool && !pooled) {
    const closed = m._strata_js_close(handle);
    if (closed) m._strata_status_free(closed);
    filter?.free();
    throw new StrataError('STRATA_NO_MEMORY', 'out of wasm memory (joining the maintenance pool)'); // the caller frees the native
  }
  return new Database(native, handle, recovery, {
    location: displayLocation, ...encodings, threads, sync: !!options.sync, filter, pooled,
  });
}

// A compaction filter written in JS: compactionFilter(key, value) is called for each value a
// compaction rewrites (never for a delete), on the main thread (in the pthreads build the
// compaction thread waits for it, through the proxied strata_js_host_filter import), with the
// database's key and value encodings. It returns undefined or 'keep', 'remove', or
// { replace: newValue }. It must be synchronous and must not use the database (a call from
// inside it is refused with STRATA_BUSY). A filter that throws or returns anything else keeps
// the entry as it was (nothing is lost); the first such failure is reported by the next
// db.compact(), as a STRATA_INVALID_ARGUMENT whose cause is what was thrown.
class FilterRunner {
  active = false;
  error = null;

  constructor(native, fn, encodings) {
    const m = native.m;
    this.ptr = m._strata_js_filter_new();
    if (!this.ptr) throw new StrataError('STRATA_NO_MEMORY', 'out of wasm memory (compaction filter)');
    this.m = m;
    const v = constants(native.layout.filter);
    const keyEncoding = encodingOf(encodings.keyEncoding, 'keyEncoding');
    const valueEncoding = encodingOf(encodings.valueEncoding, 'valueEncoding');
    m.strataFilters.set(this.ptr, (kp, kl, vp, vl, out) => {
      const heap = m.HEAPU8;
      const key = decodeBytes(heap.subarray(kp, kp + kl), keyEncoding);
      const value = decodeBytes(heap.subarray(vp, vp + vl), valueEncoding);
      let verdict;
      this.active = true;
      try {
        verdict = fn(key, value);
      } catch (err) {
        return this.#fail(key, `threw: ${err?.message ?? err}`, err, v.KEEP);
      } finally {
        this.active = false;
      }
      if (verdict === undefined || verdict === 'keep') return v.KEEP;
      if (verdict === 'remove') return v.REMOVE;
      if (typeof verdict?.then === 'function') return this.#fail(key, 'returned a promise; it must be synchronous', undefined, v.KEEP);
      if (verdict !== null && typeof verdict === 'object' && Object.hasOwn(verdict, 'replace')) {
        let bytes;
        try {
          bytes = toBytes(native.checkValue(verdict.replace, key));
        } catch (err) {
          return this.#fail(key, `returned a bad replacement: ${err.message}`, err, v.KEEP);
        }
        const p = m._malloc(Math.max(1, bytes.length)); // C frees it at the thread's next call
        if (!p) return this.#fail(key, 'replacement: out of wasm memory', undefined, v.KEEP);
        m.HEAPU8.set(bytes, p);
        m.HEAPU32[out >>> 2] = p;
        m.HEAPU32[(out >>> 2) + 1] = bytes.length;
        return v.REPLACE;
      }
      return this.#fail(key, `returned ${typeof verdict === 'string' ? JSON.stringify(verdict) : typeof verdict}; expected undefined, 'keep', 'remove' or { replace: value }`, undefined, v.KEEP);
    });
  }

  #fail(key, why, cause, keep) {
    this.error ??= new StrataError('STRATA_INVALID_ARGUMENT', `compactionFilter ${why} (key ${describeKey(key)}; the entry was kept)`, cause === undefined ? undefined : { cause });
    return keep;
  }

  // The first failure since the last call, once.
  take() {
    const err = this.error;
    this.error = null;
    return err;
  }

  // After strata_js_close (the database must no longer compact).
  free() {
    if (!this.m) return;
    this.m._strata_js_filter_free(this.ptr);
    this.m.strataFilters.delete(this.ptr);
    this.m = null;
  }
}

// strata_repair on `native` (freed afterwards): the report, with the log as lines.
export function repairWith(native, where) {
  const m = native.m;
  let cpath = 0;
  try {
    cpath = native.cstring(where);
    native.check(m._strata_js_repair(cpath, native.vfs, native.structPtr), `repairDatabase ${where}`);
    const raw = readStruct(m, native.structPtr, native.layout.repair, native.layout);
    const report = decodeRepair(raw);
    report.log = raw.log ? m.UTF8ToString(raw.log).split('\n').filter((line) => line !== '') : [];
    if (raw.log) m._free(raw.log);
    return report;
  } finally {
    if (cpath) m._free(cpath);
    native.free();
  }
}

export class Database {
  #native;
  #db;
  #status = 'open';
  #iterators = new Set();
  #snapshots = new Set();
  #exports = new Set(); // images being read (image.js): ended before the database closes
  #maintenance = null; // the pending nextTask, or DEFERRED
  #deferMaintenance = null; // worker_serve.js's: takes a maintenance task during a request
  #settleTimer = null; // #settleSoon's
  #maintenanceError = null;
  #opts;
  #recovery;
  #closing = null;
  #valueEncoding; // the database's, normalized (#valueEncodingOf)
  #forgetIterator = (it) => this.#iterators.delete(it); // an iterator's close tells its database
  // Calls issued while one waits for the storage host (a call the OPFS host refused with "would
  // block", or a write its prepare() asks to wait while the pool grows): held here and run one
  // after the other in the order they were issued, each once the one before it has applied (its
  // durability wait is its own), so a later write never overtakes an earlier one and a later
  // read sees it. Null while nothing waits: a call then checks this one field and runs at once.
  #lane = null; // { jobs: [{ what, write, run, done, ready, resolve, reject }], idle }

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

  // The engine's key, value and batch limits, for a proxy that packs batches on its side
  // (worker_pack.js).
  get _writeLimits() {
    const { KEY_MAX, VALUE_MAX, BATCH_BYTES_MAX } = this.#native.limits;
    return { KEY_MAX, VALUE_MAX, BATCH_BYTES_MAX };
  }

  #ensureOpen(what) {
    if (this.#status !== 'open') throw notOpen(what);
    if (this.#opts.filter?.active) throw this.#busy(what);
  }

  // The synchronous calls that read the latest state (snapshot(), iterator(), keys(), values(),
  // getSync and sizeOfSync without a snapshot) cannot wait in the lane, and run now they would
  // miss a write issued before them that the lane still holds (the storage host was not ready:
  // the OPFS pool grows), which an awaited get() issued after them sees: refused instead, with
  // the call that holds them, until the writes applied (await them). Reads at a snapshot, and
  // stats() (what the engine has applied), are not refused.
  #ensureNoHeldChange(what) {
    if (this.#lane === null) return;
    const job = this.#lane.jobs.find((j) => j.changes);
    if (job) throw new StrataError('STRATA_BUSY', `${what}: a ${job.what} issued before it is still held until the storage host is ready; await it first (${what} cannot wait for it, and would not see it)`);
  }

  #busy(what) {
    return new StrataError('STRATA_BUSY', `${what}: the compaction filter must not use the database (it runs inside a compaction)`);
  }

  // For snapshots and iterators: throws unless the database can take a call now.
  _ensureUsable(what) {
    if (this.#status !== 'open') throw notOpen(what);
    if (this.#opts.filter?.active) throw this.#busy(what);
  }

  // worker_serve.js, serving this database to another thread: `defer(task)` takes the
  // maintenance step a request schedules and runs it right after that request's reply is posted
  // (true), or declines between requests (false: nextTask then). A task of its own per write
  // cost about 5 µs of every awaited call from a page.
  _deferMaintenance(defer) {
    this.#deferMaintenance = defer;
  }

  // Single-threaded build (or threads off): flushes and compactions run as small steps
  // between requests, scheduled after writes while work remains.
  // On a shared pthreads instance its pool threads run the steps instead (#kickPool).
  #scheduleMaintenance() {
    if (this.#opts.pooled) return this.#kickPool();
    if (this.#opts.threads || this.#maintenance || this.#status !== 'open') return;
    const task = async () => {
      if (this.#status !== 'open') return;
      const ready = this.#prepare();
      if (ready) await ready.catch(() => {});
      this.#maintenance = null;
      if (this.#status !== 'open') return;
      try {
        if (this.#step(MAINTENANCE_BUDGET)) this.#scheduleMaintenance();
        // a failure stays with the host, which reports it at the next sync write or settle
        this.#settleSoon();
      } catch (err) {
        // refused by the host for now (would block): the step runs again after its prepare()
        if (this.#native.host?.whenUnblocked?.(err)) this.#scheduleMaintenance();
        else this.#maintenanceError = err; // reported by the next write
      }
    };
    this.#maintenance = this.#deferMaintenance?.(task) ? DEFERRED : nextTask.set(task);
  }

  // Queues this database's maintenance on its instance's pool (bindings/js/c/maintenance_pool.c).
  // What a failed step there left is taken before the next write applies (#takePoolFailure).
  #kickPool() {
    if (this.#status !== 'open') return;
    this.#native.m._strata_js_pool_kick(this.#opts.pooled);
  }

  // On a pool: the failure of a step that nobody took yet becomes the maintenance error, so the
  // first write after it is refused with it, as in the single-threaded build (where the step ran
  // on this thread and set #maintenanceError before the write). Taken in the write's prologue,
  // not after it applied: before, a kick after the write took it and the second write reported
  // it. One refused with "would block" runs again once the host is ready.
  #takePoolFailure() {
    const n = this.#native;
    const st = n.m._strata_js_pool_failure(this.#opts.pooled);
    if (!st) return;
    try {
      n.check(st, 'maintenance');
    } catch (err) {
      const ready = n.host?.whenUnblocked?.(err);
      if (ready) ready.then(() => this.#kickPool(), () => {});
      else this.#maintenanceError = err;
    }
  }

  // After maintenance: what the writes left in the host's buffers goes to storage in the
  // background, once per BACKGROUND_SETTLE_MS at most rather than after every write (a settle
  // drains the OPFS host's append buffers: one SyncAccessHandle write per request from a page).
  #settleSoon() {
    if (this.#settleTimer !== null || !this.#native.host?.settle) return;
    this.#settleTimer = setTimeout(() => {
      this.#settleTimer = null;
      if (this.#status === 'open') this.#settle()?.catch(() => {});
    }, BACKGROUND_SETTLE_MS);
  }

  // The storage host's asynchronous steps (browser hosts; Node's has none): prepare() between
  // requests (the OPFS pool grows, a failed IndexedDB commit is retried) returns a promise only
  // when the request must wait for it; settle() resolves once every write so far is durable (the
  // group commit) and is awaited before a sync write, flush(), compact() or close() resolves.
  #prepare() {
    return this.#native.host?.prepare?.() ?? null;
  }

  #settle() {
    return this.#native.host?.settle?.() ?? null;
  }

  async #durable(sync) {
    if (!sync && !this.#opts.sync) return;
    const settled = this.#settle();
    if (settled) await settled;
  }

  #step(budget) {
    const n = this.#native;
    n.check(n.m._strata_js_maintenance_step(this.#db, budget, n.words), 'maintenance');
    return n.word(0) !== 0;
  }

  #afterWrite() {
    this.#scheduleMaintenance();
  }

  // Every write's prologue, once its arguments are checked: HELD while the lane holds calls
  // (this one joins it), else reports a failed maintenance step, then asks the host's prepare():
  // null when there is nothing to wait for, so the write reaches the engine within the call (no
  // promise, no closure), or the promise to wait for (the write is then held: #hold).
  #beginWrite() {
    if (this.#lane !== null) return HELD;
    this.#throwMaintenanceError();
    return this.#prepare();
  }

  // The same without the maintenance error (flush, dropRange: they do not report it).
  #whenReady() {
    return this.#lane !== null ? HELD : this.#prepare();
  }

  // After an engine call failed: the promise the host asks it to wait for before it runs again
  // (host.whenUnblocked: the OPFS pool had no pre-opened file free; the engine applied nothing
  // and left nothing behind); any other error is thrown.
  #blockedBy(err) {
    const ready = this.#native.host?.whenUnblocked?.(err);
    if (!ready) throw err;
    return ready;
  }

  // Holds a call in the lane (#lane) behind those already held, or starts the lane with it.
  // `run()` makes the engine call (synchronously; a "would block" runs it again once the host is
  // ready: retryBlocked), `done(result)` what follows once it applied (a write's durability
  // wait); `ready` what this call waits for first (HELD: nothing of its own). `write`: before
  // each try the maintenance error is reported and the host's prepare() awaited. Resolves as
  // the call would have.
  #hold(what, write, run, done, ready) {
    return new Promise((resolve, reject) => {
      const job = { what, write, run, done, ready: ready === HELD ? null : ready, resolve, reject, changes: CHANGES.has(what) };
      if (this.#lane !== null) {
        this.#lane.jobs.push(job);
        return;
      }
      const lane = { jobs: [job], idle: null };
      this.#lane = lane;
      lane.idle = this.#runLane(lane);
    });
  }

  async #runLane(lane) {
    const host = this.#native.host;
    while (lane.jobs.length !== 0) {
      const job = lane.jobs[0];
      const check = () => {
        if (this.#status === 'closed') throw notOpen(job.what); // close() waits for the lane: not expected
        if (job.write) this.#throwMaintenanceError();
      };
      try {
        const result = await retryBlocked(host, job.run, { check, prepare: job.write ? () => this.#prepare() : null }, job.ready);
        lane.jobs.shift();
        job.resolve(job.done ? job.done(result) : result);
      } catch (err) {
        if (lane.jobs[0] === job) lane.jobs.shift();
        job.reject(err);
      }
    }
    this.#lane = null; // no await since the last job left: a call made now runs at once
  }

  // A write's end once it applied: what #endWrite asks for (the durability wait), as a promise
  // or undefined.
  #wrote(sync) {
    return this.#endWrite(sync) ? this.#durable(sync) : undefined;
  }

  // Every write's epilogue: schedules maintenance; true when the write must then wait to be
  // durable (#durable), because `sync` (or the database's sync option) asks for it. A write
  // without sync resolves with no further promise.
  #endWrite(sync) {
    this.#afterWrite();
    return !!(sync || this.#opts.sync);
  }

  #throwMaintenanceError() {
    if (this.#opts.pooled) this.#takePoolFailure();
    const err = this.#maintenanceError;
    if (err) {
      this.#maintenanceError = null;
      throw err;
    }
  }

  async put(key, value, options = NO_OPTIONS) {
    this.#ensureOpen('put');
    const k = this.#native.checkKey(key);
    const v = this.#native.checkValue(value, k);
    const sync = options.sync ? 1 : 0;
    let wait = this.#beginWrite();
    if (wait === null) {
      try {
        this.#putNow(k, v, sync);
      } catch (err) {
        wait = this.#blockedBy(err);
      }
      if (wait === null) {
        if (this.#endWrite(sync)) await this.#durable(sync);
        return;
      }
    }
    return this.#hold('put', true, () => this.#putNow(k, v, sync), () => this.#wrote(sync), wait);
  }

  #putNow(k, v, sync) {
    const n = this.#native;
    const kl = n.putPair(k, v);
    const st = n.m._strata_js_put(this.#db, n.inPtr, kl, n.inPtr + kl, n.pairValueLength, sync);
    if (st) n.check(st, `put ${describeKey(k)}`);
  }

  // Removes a key written once since its last delete (C strata_single_delete): a weak tombstone
  // that cancels exactly one value, so compaction drops both once they meet. For keys that are
  // put once and deleted once (RocksDB's SingleDelete contract); after two puts an older value
  // may reappear, as in RocksDB.
  singleDel(key, options = NO_OPTIONS) {
    return this.#deleteOne('singleDel', key, options);
  }

  del(key, options = NO_OPTIONS) {
    return this.#deleteOne('del', key, options);
  }

  // del and singleDel: one key, a tombstone (strata_js_delete) or a weak one (single_delete).
  async #deleteOne(what, key, options) {
    this.#ensureOpen(what);
    const k = this.#native.checkKey(key);
    const sync = options.sync ? 1 : 0;
    let wait = this.#beginWrite();
    if (wait === null) {
      try {
        this.#deleteNow(what, k, sync);
      } catch (err) {
        wait = this.#blockedBy(err);
      }
      if (wait === null) {
        if (this.#endWrite(sync)) await this.#durable(sync);
        return;
      }
    }
    return this.#hold(what, true, () => this.#deleteNow(what, k, sync), () => this.#wrote(sync), wait);
  }

  #deleteNow(what, k, sync) {
    const n = this.#native;
    const kl = n.putOne(k); // first: it may move the input buffer
    const fn = what === 'del' ? n.m._strata_js_delete : n.m._strata_js_single_delete;
    const st = fn(this.#db, n.inPtr, kl, sync);
    if (st) n.check(st, `${what} ${describeKey(k)}`);
  }

  // Reads one key at a snapshot pointer (0 = latest); undefined when absent.
  _getAt(snap, key, encoding, valueWanted = true) {
    const k = this.#native.checkKey(key);
    const n = this.#native;
    const m = n.m;
    if (valueWanted) n.ensureOut(65536);
    for (;;) {
      const kl = n.putOne(k);
      const st = m._strata_js_get(this.#db, snap, n.inPtr, kl, n.outPtr, valueWanted ? n.outCap : 0, n.words);
      if (st) n.check(st, `get ${describeKey(k)}`);
      if (!n.word(0)) return undefined;
      if (!valueWanted) return true;
      const len = n.word(1);
      if (len > n.outCap) {
        n.ensureOut(len);
        continue;
      }
      return encoding === 'utf8' ? utf8(m.HEAPU8.subarray(n.outPtr, n.outPtr + len)) : n.copyOut(n.outPtr, len);
    }
  }

  // options.snapshot: a snapshot of this database (checked before any wasm call), or undefined.
  #ownSnapshot(snapshot, what) {
    if (snapshot === undefined) return undefined;
    if (!(snapshot instanceof Snapshot)) throw invalid(`${what}: snapshot must come from db.snapshot()`);
    if (!snapshot._belongsTo(this)) throw invalid(`${what}: the snapshot belongs to another database`);
    snapshot._ensureOpen(what);
    return snapshot;
  }

  async get(key, options = NO_OPTIONS) {
    this.#ensureOpen('get');
    const snap = this.#ownSnapshot(options.snapshot, 'get');
    const encoding = this.#valueEncodingOf(options);
    // while writes wait in the lane a read of the latest state waits behind them (one at a
    // snapshot reads what it was taken on: at once)
    if (this.#lane !== null && !snap) {
      this.#native.checkKey(key);
      return this.#hold('get', false, () => this._getAt(0, key, encoding), null, HELD);
    }
    return this._getAt(snap ? snap._ptr : 0, key, encoding);
  }

  // get() on the calling thread, without a promise (in-thread databases only).
  getSync(key, options = NO_OPTIONS) {
    this.#ensureOpen('getSync');
    const snap = this.#ownSnapshot(options.snapshot, 'getSync');
    if (!snap) this.#ensureNoHeldChange('getSync');
    return this._getAt(snap ? snap._ptr : 0, key, this.#valueEncodingOf(options));
  }

  // A read's value encoding: its options', else the database's (checked once, at open).
  #valueEncodingOf(options) {
    if (options.valueEncoding === undefined) return this.#valueEncoding ??= encodingOf(this.#opts.valueEncoding, 'valueEncoding');
    return encodingOf(options.valueEncoding, 'valueEncoding');
  }

  async hasMany(keys, options = NO_OPTIONS) {
    this.#ensureOpen('hasMany');
    if (!Array.isArray(keys)) throw invalid('hasMany expects an array of keys');
    const snap = this.#ownSnapshot(options.snapshot, 'hasMany');
    if (this.#lane !== null && !snap) {
      for (const k of keys) this.#native.checkKey(k);
      return this.#hold('hasMany', false, () => keys.map((k) => this._getAt(0, k, 'view', false) === true), null, HELD);
    }
    return keys.map((k) => this._getAt(snap ? snap._ptr : 0, k, 'view', false) === true);
  }

  async getMany(keys, options = NO_OPTIONS) {
    this.#ensureOpen('getMany');
    if (!Array.isArray(keys)) throw invalid('getMany expects an array of keys');
    const snap = this.#ownSnapshot(options.snapshot, 'getMany');
    const encoding = this.#valueEncodingOf(options);
    if (this.#lane !== null && !snap) {
      for (const k of keys) this.#native.checkKey(k);
      return this.#hold('getMany', false, () => this._getManyAt(0, keys, encoding), null, HELD);
    }
    return this._getManyAt(snap ? snap._ptr : 0, keys, encoding);
  }

  // Reads many keys at a snapshot pointer (0 = latest) with as few wasm calls as fit the output
  // buffer (strata_js_get_many): every key is checked first, then all are copied in at once.
  _getManyAt(snap, keys, encoding) {
    const n = this.#native;
    const count = keys.length;
    const checked = new Array(count);
    let need = 0;
    for (let i = 0; i < count; i++) {
      const k = n.checkKey(keys[i]);
      checked[i] = k;
      need += 4 + (typeof k === 'string' ? k.length * 3 : k.length);
    }
    const out = new Array(count);
    if (count === 0) return out;
    n.ensureIn(need);
    const lens = n.putKeys(checked); // encoded lengths, prefixed in the input buffer
    const total = n.keysLength;
    n.ensureOut(65536);
    const m = n.m;
    let done = 0;
    let at = 0; // input offset of key `done`
    while (done < count) {
      const st = m._strata_js_get_many(this.#db, snap, n.inPtr + at, total - at, count - done, n.outPtr, n.outCap, n.words);
      if (st) n.check(st, `getMany ${describeKey(checked[done])}`);
      const answered = n.word(0);
      if (answered === 0) {
        n.ensureOut(n.word(2));
        continue;
      }
      const heap = m.HEAPU8;
      let pos = n.outPtr;
      for (let i = 0; i < answered; i++) {
        const found = heap[pos] | (heap[pos + 1] << 8) | (heap[pos + 2] << 16) | (heap[pos + 3] << 24);
        const len = (heap[pos + 4] | (heap[pos + 5] << 8) | (heap[pos + 6] << 16) | (heap[pos + 7] << 24)) >>> 0;
        pos += 8;
        out[done + i] = found ? (encoding === 'utf8' ? utf8(heap.subarray(pos, pos + len)) : n.copyOut(pos, len)) : undefined;
        pos += found ? len : 0;
        at += 4 + lens[done + i];
      }
      done += answered;
    }
    return out;
  }

  async has(key, options = NO_OPTIONS) {
    this.#ensureOpen('has');
    const snap = this.#ownSnapshot(options.snapshot, 'has');
    if (this.#lane !== null && !snap) {
      this.#native.checkKey(key);
      return this.#hold('has', false, () => this._getAt(0, key, 'view', false) === true, null, HELD);
    }
    return this._getAt(snap ? snap._ptr : 0, key, 'view', false) === true;
  }

  // The length in bytes of key's value, or undefined when absent (lsm-tree's size_of): a length
  // query (strata_get_into with cap 0), which a value kept in a blob file answers from its handle.
  async sizeOf(key, options = {}) {
    this.#ensureOpen('sizeOf');
    const snap = this.#ownSnapshot(options.snapshot, 'sizeOf');
    if (this.#lane !== null && !snap) {
      this.#native.checkKey(key);
      return this.#hold('sizeOf', false, () => this._sizeAt(0, key), null, HELD);
    }
    return this._sizeAt(snap ? snap._ptr : 0, key);
  }

  // sizeOf() on the calling thread, without a promise (in-thread databases only).
  sizeOfSync(key, options = {}) {
    this.#ensureOpen('sizeOfSync');
    const snap = this.#ownSnapshot(options.snapshot, 'sizeOfSync');
    if (!snap) this.#ensureNoHeldChange('sizeOfSync');
    return this._sizeAt(snap ? snap._ptr : 0, key);
  }

  // sizeOf at a snapshot pointer (0 = latest).
  _sizeAt(snap, key) {
    const n = this.#native;
    const k = n.checkKey(key);
    const st = n.m._strata_js_get(this.#db, snap, n.inPtr, n.putOne(k), n.outPtr, 0, n.words);
    if (st) n.check(st, () => `sizeOf ${describeKey(k)}`);
    return n.word(0) ? n.word(1) : undefined;
  }

  // batch([{ type: 'put', key, value }, { type: 'del', key }, { type: 'singleDel', key }]):
  // atomic, one seqno. batch() with no arguments returns a chained batch (chained_batch.js).
  batch(operations, options = NO_OPTIONS) {
    if (operations === undefined && arguments.length === 0) {
      this.#ensureOpen('batch');
      return new ChainedBatch({
        check: (op, i) => this.#checkOp(op, i),
        write: (ops, o) => this.#writeChecked(ops, o),
        isOpen: (what) => this.#ensureOpen(what),
      });
    }
    return this.#batch(operations, options);
  }

  async #batch(operations, options) {
    this.#ensureOpen('batch');
    if (!Array.isArray(operations)) throw invalid('batch expects an array of operations');
    const sync = options.sync ? 1 : 0;
    let wait = this.#beginWrite();
    if (wait === null) {
      try {
        this.#writeOps(operations, sync);
      } catch (err) {
        wait = this.#blockedBy(err);
      }
      if (wait === null) {
        if (this.#endWrite(sync)) await this.#durable(sync);
        return;
      }
    }
    // checked and encoded now: the caller may change its array meanwhile
    const parts = this.#checkedParts(operations);
    return this.#hold('batch', true, () => this.#writeParts(parts, sync), () => this.#wrote(sync), wait);
  }

  // Encodes every operation into one buffer and applies it with one wasm call.
  // The batch limits are the engine's (strata_limits.h, from the limits descriptor): each
  // operation counts BATCH_ITEM_OVERHEAD + key + value bytes, as in the journal record; checked
  // before anything is copied into wasm memory.
  // One operation checked and encoded: [type, keyBytes, valueBytes | null].
  #checkOp(op, i) {
    const parts = [0, null, null];
    this.#checkInto(op, i, parts, 0);
    return parts;
  }

  // Checks operation i and stores it as (type, keyBytes, valueBytes | null) at parts[at..at+2].
  #checkInto(op, i, parts, at) {
    const n = this.#native;
    if (op === null || typeof op !== 'object') throw invalid(`batch operation ${i} must be an object`);
    const k = n.checkKey(op.key);
    const type = op.type;
    if (type === 'put') {
      parts[at] = n.batch.OP_PUT.value;
      parts[at + 2] = toBytes(n.checkValue(op.value, k));
    } else if (type === 'del') {
      parts[at] = n.batch.OP_DELETE.value;
      parts[at + 2] = null;
    } else if (type === 'singleDel') {
      parts[at] = n.batch.OP_SINGLE_DELETE.value;
      parts[at + 2] = null;
    } else {
      throw invalid(`batch operation ${i} has type ${JSON.stringify(type)}; expected 'put', 'del' or 'singleDel'`);
    }
    parts[at + 1] = toBytes(k);
  }

  // A chained batch's write: its operations were checked as they were added.
  async #writeChecked(checked, options) {
    this.#ensureOpen('batch.write');
    const sync = options.sync ? 1 : 0;
    const parts = checked.flat();
    let wait = this.#beginWrite();
    if (wait === null) {
      try {
        this.#writeParts(parts, sync);
      } catch (err) {
        wait = this.#blockedBy(err);
      }
      if (wait === null) {
        if (this.#endWrite(sync)) await this.#durable(sync);
        return;
      }
    }
    return this.#hold('batch.write', true, () => this.#writeParts(parts, sync), () => this.#wrote(sync), wait);
  }

  #writeOps(operations, sync) {
    this.#writeParts(this.#checkedParts(operations), sync);
  }

  // The operations checked, as flat (type, key, value) triples (no array per operation).
  #checkedParts(operations) {
    const limits = this.#native.limits;
    const count = operations.length;
    if (count > limits.BATCH_COUNT_MAX) {
      throw invalid(`batch of ${count} operations exceeds the limit of ${limits.BATCH_COUNT_MAX} (STRATA_BATCH_COUNT_MAX)`);
    }
    const parts = new Array(count * 3);
    for (let i = 0; i < count; i++) this.#checkInto(operations[i], i, parts, 3 * i);
    return parts;
  }

  // `parts`: the checked operations as flat (type, keyBytes, valueBytes | null) triples. The
  // engine's limits are checked before anything is copied; then the batch is encoded straight
  // into wasm memory (codecs.js) and applied with one call.
  #writeParts(parts, sync) {
    const n = this.#native;
    const limits = n.limits;
    const count = parts.length / 3;
    if (count > limits.BATCH_COUNT_MAX) {
      throw invalid(`batch of ${count} operations exceeds the limit of ${limits.BATCH_COUNT_MAX} (STRATA_BATCH_COUNT_MAX)`);
    }
    let encoded = 0; // the engine's count of the batch's bytes
    for (let i = 0; i < count; i++) {
      const v = parts[3 * i + 2];
      encoded += limits.BATCH_ITEM_OVERHEAD + parts[3 * i + 1].length + (v ? v.length : 0);
      if (encoded > limits.BATCH_BYTES_MAX) {
        throw invalid(`batch of ${encoded} bytes up to operation ${i} exceeds the limit of ${limits.BATCH_BYTES_MAX} bytes (STRATA_BATCH_BYTES_MAX)`);
      }
    }
    n.ensureIn(batchSize(parts, n.batch));
    const len = encodeBatch(n.m.HEAPU8, n.inPtr, parts, n.batch);
    const st = n.m._strata_js_write(this.#db, n.inPtr, len, count, sync);
    if (st) n.check(st, 'batch');
  }

  // db.ingest(sortedEntries, { onProgress }): bulk ingestion (strata_ingest_*) of [key, value]
  // pairs, keys ascending, from an array or any (async) iterable, straight into last-level tables
  // (and blob files) without journal or memtable: for the initial load of a database that holds
  // no tables yet. Entries are older than every write (a key put before or after wins). Nothing
  // shows until the whole stream is in; on any error nothing is installed. Resolves to the
  // entries loaded. onProgress({ bytesDone, bytesTotal }) (progress.js): key and value bytes
  // handed to the engine, after each chunk and once at the end; bytesTotal is an array's sum of
  // key and value bytes (counted before anything starts), and equals bytesDone for any other
  // iterable, whose length is unknown until it ends.
  async ingest(entries, options = {}) {
    this.#ensureOpen('ingest');
    if (entries === null || typeof entries !== 'object' ||
        (typeof entries[Symbol.iterator] !== 'function' && typeof entries[Symbol.asyncIterator] !== 'function')) {
      throw invalid('ingest expects an array or an iterable of [key, value] pairs');
    }
    if (options === null || typeof options !== 'object') throw invalid('ingest options must be an object');
    const onProgress = checkProgress(options.onProgress, 'ingest');
    const progress = reporter(onProgress);
    const n = this.#native;
    const pair = (entry, i) => {
      if (!Array.isArray(entry) || entry.length !== 2) throw invalid(`ingest entry ${i} must be a [key, value] pair`);
      const k = n.checkKey(entry[0]);
      return [toBytes(k), toBytes(n.checkValue(entry[1], k))];
    };
    let total = 0;
    if (onProgress && Array.isArray(entries)) {
      entries.forEach((entry, i) => {
        const [k, v] = pair(entry, i);
        total += k.length + v.length;
      });
    }
    n.check(n.m._strata_js_ingest_begin(this.#db, n.words), 'ingest');
    const handle = n.word(0);
    const limits = n.limits;
    let parts = [];
    let bytes = 0;
    let data = 0; // key and value bytes in parts
    let done = 0;
    let i = 0;
    // before each chunk and the finish: the host's prepare() (the OPFS pool grows between chunks)
    const ready = {
      check: () => this.#ensureOpen('ingest'), // closing meanwhile abandoned the ingest (and freed the module)
      prepare: () => this.#prepare(),
    };
    // One chunk's entries, from entry `from` of `chunk`. A table that could not be created
    // because the host would block (no OPFS file free) leaves the ingest usable: the entries
    // from the one it stopped at go again once the host is ready (retryBlocked).
    let from = 0;
    let chunk = null;
    const addRest = () => {
      const rest = from === 0 ? chunk : chunk.slice(3 * from);
      n.ensureIn(batchSize(rest, n.batch));
      const len = encodeBatch(n.m.HEAPU8, n.inPtr, rest, n.batch);
      const st = n.m._strata_js_ingest_add(handle, n.inPtr, len, rest.length / 3, n.words);
      from += n.word(0); // the entries it took, also when it failed
      if (st) n.check(st, 'ingest');
    };
    const flushChunk = async () => {
      if (!parts.length) return;
      chunk = parts;
      from = 0;
      await retryBlocked(n.host, addRest, ready);
      parts = [];
      bytes = 0;
      done += data;
      data = 0;
      progress.report(done, Math.max(done, total));
    };
    try {
      for await (const entry of entries) {
        this.#ensureOpen('ingest'); // closing meanwhile abandoned the ingest (and freed the module)
        const [k, v] = pair(entry, i);
        parts.push(n.batch.OP_PUT.value, k, v);
        bytes += limits.BATCH_ITEM_OVERHEAD + k.length + v.length;
        data += k.length + v.length;
        i++;
        // chunks of at most one batch's bytes: the wasm input buffer stays bounded
        if (bytes >= limits.BATCH_BYTES_MAX / 16 || parts.length / 3 >= 4096) await flushChunk();
      }
      await flushChunk();
      // room for the finish's manifest install, which cannot be run again
      const wait = this.#prepare();
      if (wait) await wait;
    } catch (err) {
      if (this.#status === 'open') n.m._strata_js_ingest_abandon(handle);
      throw err;
    }
    // a finish whose manifest install would block (no OPFS file free: STRATA_BUSY) installed
    // nothing and kept the ingest: it runs again once the host is ready; any other failure, or
    // none, freed the ingest
    try {
      await retryBlocked(n.host, () => n.check(n.m._strata_js_ingest_finish(handle, n.words), 'ingest'), ready);
    } catch (err) {
      if (err?.code === 'STRATA_BUSY' && this.#status === 'open') n.m._strata_js_ingest_abandon(handle);
      throw err;
    }
    progress.report(done, done); // the last report: everything is in
    progress.take(); // the callback's first error, now that the ingest is installed
    return n.word(0) + n.word(1) * 2 ** 32;
  }

  snapshot() {
    this.#ensureOpen('snapshot');
    this.#ensureNoHeldChange('snapshot');
    const n = this.#native;
    n.check(n.m._strata_js_snapshot(this.#db, n.words), 'snapshot');
    const snap = new Snapshot(this, n.word(0), (s) => this.#snapshots.delete(s), (p) => n.m._strata_js_snapshot_release(p));
    this.#snapshots.add(snap);
    return snap;
  }

  iterator(options = NO_OPTIONS) {
    this.#ensureOpen('iterator');
    if (options?.snapshot === undefined) this.#ensureNoHeldChange('iterator');
    return this._iterator(options, 'entries');
  }

  keys(options = NO_OPTIONS) {
    this.#ensureOpen('keys');
    if (options?.snapshot === undefined) this.#ensureNoHeldChange('keys');
    return this._iterator(options, 'keys');
  }

  values(options = NO_OPTIONS) {
    this.#ensureOpen('values');
    if (options?.snapshot === undefined) this.#ensureNoHeldChange('values');
    return this._iterator(options, 'values');
  }

  // shape: 'entries' yields [key, value], 'keys' keys, 'values' values.
  _iterator(options, shape, snapshot = options.snapshot) {
    if (options === null || typeof options !== 'object') throw invalid('iterator options must be an object');
    this.#ownSnapshot(snapshot, 'iterator');
    const signal = checkSignal(options.signal, 'iterator');
    let want = shape === 'keys' ? 1 : shape === 'values' ? 2 : 3;
    if (shape === 'entries' && options.keys === false) want &= ~1;
    if (shape === 'entries' && options.values === false) want &= ~2;
    const limit = options.limit === undefined || options.limit === null || options.limit < 0 ? Infinity : options.limit;
    if (typeof limit !== 'number' || Number.isNaN(limit)) throw invalid('limit must be a number');
    const n = this.#native;
    // an unbounded iterator (the common seek-and-read case) skips the range folding and copies
    const ranged = options.gt !== undefined || options.gte !== undefined || options.lt !== undefined ||
      options.lte !== undefined || options.prefix !== undefined;
    const { lo, hi } = ranged ? rangeOf(options, n.checkKey) : NO_RANGE;
    const [lop, lol, hip, hil] = lo || hi ? n.put(lo ? lo.key : EMPTY, hi ? hi.key : EMPTY) : NO_BOUNDS;
    n.check(n.m._strata_js_iter_new(this.#db, snapshot ? snapshot._ptr : 0,
      lo ? (lo.inclusive ? 1 : 2) : 0, lop, lol, hi ? (hi.inclusive ? 1 : 2) : 0, hip, hil,
      options.reverse ? 1 : 0, n.words), 'iterator');
    const it = new Iterator(this, n, n.word(0), {
      want, shape, limit, reverse: !!options.reverse, signal,
      keyEncoding: encodingOf(options.keyEncoding ?? this.#opts.keyEncoding, 'keyEncoding'),
      valueEncoding: encodingOf(options.valueEncoding ?? this.#opts.valueEncoding, 'valueEncoding'),
      snapshot, lo, hi,
    }, this.#forgetIterator);
    if (snapshot) snapshot._use();
    this.#iterators.add(it);
    return it;
  }

  // strata_drop_range: removes every table whose keys all lie inside the range
  // ({ gt, gte, lt, lte, prefix }; none: every table) without rewriting anything. Quick, but
  // not a delete: keys in memtables or in tables reaching past the range stay, and where a
  // dropped table held the newest version of a key, an older version kept in a table that
  // reaches past the range becomes visible again. Snapshots taken before keep reading the
  // dropped keys. clear() is the exact operation.
  async dropRange(options = {}) {
    this.#ensureOpen('dropRange');
    const range = this.#dropRangeOf(options, 'dropRange');
    let wait = this.#whenReady();
    if (wait === null) {
      try {
        this.#dropNow(range, 'dropRange');
      } catch (err) {
        wait = this.#blockedBy(err);
      }
      if (wait === null) return this.#dropped();
    }
    return this.#hold('dropRange', false, () => this.#dropNow(range, 'dropRange'), () => this.#dropped(), wait);
  }

  async #dropped() {
    this.#afterWrite();
    await this.#durable(true); // the version without the tables is installed once this resolves
  }

  // The range of dropRange (or clear): { lo, hi }, checked.
  #dropRangeOf(options, what) {
    if (options === null || typeof options !== 'object') throw invalid(`${what}: the range must be an object`);
    for (const name of ['limit', 'reverse', 'snapshot']) {
      if (options[name] !== undefined && what === 'dropRange') throw invalid(`dropRange: ${name} is not a range option (it takes gt, gte, lt, lte, prefix)`);
    }
    return rangeOf(options, this.#native.checkKey);
  }

  #dropNow({ lo, hi }, what) {
    const n = this.#native;
    const [lop, lol, hip, hil] = n.put(lo ? lo.key : new Uint8Array(0), hi ? hi.key : new Uint8Array(0));
    n.check(n.m._strata_js_drop_range(this.#db, lo ? (lo.inclusive ? 1 : 2) : 0, lop, lol, hi ? (hi.inclusive ? 1 : 2) : 0, hip, hil), what);
  }

  // Deletes every key in the range (same options as iterator, plus limit). Without a limit it
  // first drops the tables lying wholly inside the range (dropRange: no rewriting), then deletes
  // the keys still visible in it (those of memtables, of tables reaching past the range, and
  // older versions the drop uncovered) in batches of CLEAR_CHUNK, each atomic; the two steps run
  // without yielding, so no other call sees the state between them. When it resolves no key of
  // the range is left. Not atomic as a whole: a crash in the middle can leave keys of the range,
  // and (after the drop) older versions of keys a dropped table had overwritten.
  async clear(options = {}) {
    this.#ensureOpen('clear');
    if (options === null || typeof options !== 'object') throw invalid('clear: options must be an object');
    const limited = options.limit !== undefined && options.limit !== null && options.limit >= 0 && options.limit !== Infinity;
    const range = !limited && options.snapshot === undefined ? this.#dropRangeOf(options, 'clear') : null;
    // run again whole after a "would block": what the first try deleted stays deleted
    let wait = this.#whenReady();
    if (wait === null) {
      try {
        this.#clearNow(options, range);
      } catch (err) {
        wait = this.#blockedBy(err);
      }
      if (wait === null) return;
    }
    return this.#hold('clear', false, () => this.#clearNow(options, range), null, wait);
  }

  #clearNow(options, range) {
    if (range) this.#dropNow(range, 'clear');
    // created after the drop: its implicit snapshot sees what the drop uncovered
    const it = this._iterator({ ...options, keyEncoding: 'buffer', signal: undefined }, 'keys');
    try {
      for (;;) {
        const keys = it._takeSync(CLEAR_CHUNK);
        if (keys.length === 0) break;
        this.#writeOps(keys.map((key) => ({ type: 'del', key })), 0);
      }
    } finally {
      it._release();
    }
    this.#afterWrite();
  }

  // Writes the memtables to tables and returns when they are on disk.
  async flush() {
    this.#ensureOpen('flush');
    let wait = this.#whenReady();
    if (wait === null) {
      try {
        this.#flushNow();
      } catch (err) {
        wait = this.#blockedBy(err);
      }
      if (wait === null) return this.#dropped(); // the same end: maintenance, then durable
    }
    return this.#hold('flush', false, () => this.#flushNow(), () => this.#dropped(), wait);
  }

  #flushNow() {
    const n = this.#native;
    n.check(n.m._strata_js_flush(this.#db), 'flush');
  }

  // strata_resume: retries failed background work now (a full disk that has room again, ...)
  // instead of at the next backoff tick; resolves once the database is healthy, rejects with
  // the error while it persists (corruption: until reopened).
  async resume() {
    this.#ensureOpen('resume');
    if (this.#lane !== null) return this.#hold('resume', false, () => this.#resumeNow(), null, HELD);
    this.#resumeNow();
  }

  #resumeNow() {
    const n = this.#native;
    n.check(n.m._strata_js_resume(this.#db), 'resume');
    // what a failed maintenance step left was just retried: dropped (on a pool too)
    const stale = this.#opts.pooled ? n.m._strata_js_pool_failure(this.#opts.pooled) : 0;
    if (stale) n.m._strata_status_free(stale);
    this.#maintenanceError = null;
    this.#afterWrite();
  }

  // strata_compact: { major: true } flushes, then merges every table into one run in the last
  // level, dropping deleted keys and versions no snapshot can see; otherwise runs the strategy's
  // pending compactions until none is left. Returns when done (on this thread in the
  // single-threaded build).
  // options.onProgress({ bytesDone, bytesTotal }) (progress.js): bytes of the merges' input
  // tables, reported as their entries are read (C strata_compact_with_progress).
  async compact(options = {}) {
    this.#ensureOpen('compact');
    if (options === null || typeof options !== 'object') throw invalid('compact options must be an object');
    if (options.major !== undefined && typeof options.major !== 'boolean') throw invalid('compact: major must be a boolean');
    const onProgress = checkProgress(options.onProgress, 'compact');
    const n = this.#native;
    const what = options.major ? 'compact (major)' : 'compact';
    const major = options.major ? 1 : 0;
    const run = () => withProgress(n.m, onProgress, () => n.check(onProgress
      ? n.m._strata_js_compact_progress(this.#db, major)
      : n.m._strata_js_compact(this.#db, major), what));
    // after a "would block" it runs again: the jobs done so far stay done
    const wait = this.#beginWrite();
    if (wait !== null) return this.#hold('compact', true, run, () => this.#compacted(), wait);
    try {
      run();
    } catch (err) {
      return this.#hold('compact', true, run, () => this.#compacted(), this.#blockedBy(err));
    }
    return this.#compacted();
  }

  async #compacted() {
    this.#afterWrite();
    await this.#durable(true); // sealed memtables or new level-0 tables may remain (minor compaction)
    const filterError = this.#opts.filter?.take();
    if (filterError) throw filterError;
  }

  // The database's image (docs/IMAGE.md) as of now: writes after this call are not in it. An
  // async iterable of Uint8Array chunks with `total` bytes (and stream() for a ReadableStream);
  // options: chunkSize (bytes, default 1 MiB), onProgress({ done, total }) after each chunk.
  export(options = {}) {
    this.#ensureOpen('export');
    const image = beginExport(this.#native, this.#db, options, (i) => this.#exports.delete(i));
    this.#exports.add(image);
    return image;
  }

  // The image as one Uint8Array (the same options).
  async exportBytes(options = {}) {
    return imageBytes(this.export(options));
  }

  stats() {
    this.#ensureOpen('stats');
    const n = this.#native;
    n.check(n.m._strata_js_stats(this.#db, n.structPtr), 'stats');
    const stats = decodeStats(readStruct(n.m, n.structPtr, n.layout.stats, n.layout));
    const pool = n.host?.pool; // the OPFS host's
    if (pool) stats.opfs = pool;
    // the databases open on this one's engine instance (browsers share one per worker)
    stats.engine = { databases: n.onInstance };
    return stats;
  }

  // Closes iterators and snapshots, waits for background work (inside strata_close), releases
  // the lock. Closing twice is fine; reopening the same location afterwards is allowed.
  async close() {
    if (this.#status === 'closed') return;
    if (this.#status === 'closing') return this.#closing;
    this.#status = 'closing';
    const lane = this.#lane;
    this.#closing = (async () => {
      if (lane) await lane.idle; // the calls issued before close() run first, in order
      if (this.#maintenance && this.#maintenance !== DEFERRED) nextTask.clear(this.#maintenance);
      if (this.#settleTimer !== null) clearTimeout(this.#settleTimer); // close settles itself
      this.#settleTimer = null;
      this.#maintenance = null;
      for (const it of [...this.#iterators]) it._release();
      for (const s of [...this.#snapshots]) s._release();
      for (const i of [...this.#exports]) i._release();
      const n = this.#native;
      let err;
      if (this.#opts.pooled) n.m._strata_js_pool_leave(this.#opts.pooled); // waits for its running step
      this.#opts.pooled = 0;
      try {
        n.check(n.m._strata_js_close(this.#db), 'close');
      } catch (e) {
        err = e;
      }
      try {
        const settled = n.host?.settle?.();
        if (settled) await settled;
      } catch (e) {
        err ??= e;
      }
      this.#db = 0;
      this.#opts.filter?.free();
      n.free();
      this.#native = null; // nothing of the module stays reachable from a closed handle
      this.#status = 'closed';
      if (err) throw err;
    })();
    return this.#closing;
  }

  async [asyncDispose]() {
    await this.close();
  }
}
