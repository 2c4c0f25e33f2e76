// open(location, { worker: true }): the same API, with the engine in a worker_threads Worker so
// the calling thread never runs engine code. Requests are posted in call order and executed in
// that order, so db.snapshot() and db.iterator() (synchronous here too) see every write issued
// before them and none issued after. Differences: stats() returns a promise, and every value
// crosses threads as a copy.
import { Worker } from 'node:worker_threads';

import errors from './errors.cjs';

const { StrataError } = errors;
const asyncDispose = Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose');
const PAGE = 256;

function toError(e) {
  if (e.code && e.code.startsWith('STRATA_')) return new StrataError(e.code, e.message);
  const err = new Error(e.message);
  err.code = e.code;
  return err;
}

function notOpen(what) {
  return new StrataError('STRATA_NOT_OPEN', `${what}: the database is not open`);
}

class Channel {
  #worker;
  #pending = new Map();
  #nextId = 1;
  #nextHandle = 1;

  constructor(worker) {
    this.#worker = worker;
    worker.on('message', (msg) => {
      const p = this.#pending.get(msg.id);
      if (!p) return;
      this.#pending.delete(msg.id);
      if (msg.error) p.reject(toError(msg.error));
      else p.resolve(msg.value);
    });
    worker.on('error', (err) => this.#failAll(err));
    worker.on('exit', () => this.#failAll(new StrataError('STRATA_NOT_OPEN', 'the database worker exited')));
  }

  #failAll(err) {
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }

  call(target, op, args = []) {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, target, op, args });
    });
  }

  // Fire and forget (ordering still holds); errors surface on the handle's next call.
  post(target, op, args = []) {
    this.#worker.postMessage({ target, op, args });
  }

  handle() {
    return `h${this.#nextHandle++}`;
  }

  terminate() {
    return this.#worker.terminate();
  }
}

class WorkerIterator {
  #ch;
  #id;
  #closed = false;
  #db;

  constructor(ch, id, db) {
    this.#ch = ch;
    this.#id = id;
    this.#db = db;
  }

  #check(what) {
    if (this.#closed) return Promise.reject(new StrataError('STRATA_NOT_OPEN', `iterator.${what}: the iterator is closed`));
    if (this.#db.status !== 'open') return Promise.reject(notOpen(`iterator.${what}`));
    return null;
  }

  next() {
    return this.#check('next') ?? this.#ch.call(this.#id, 'next');
  }

  nextv(size) {
    return this.#check('nextv') ?? this.#ch.call(this.#id, 'nextv', [size]);
  }

  all() {
    const bad = this.#check('all');
    if (bad) return bad;
    this.#closed = true;
    return this.#ch.call(this.#id, 'all');
  }

  seek(target) {
    if (this.#closed) throw new StrataError('STRATA_NOT_OPEN', 'iterator.seek: the iterator is closed');
    this.#ch.post(this.#id, 'seek', [target]);
  }

  async close() {
    if (this.#closed || this.#db.status !== 'open') return;
    this.#closed = true;
    await this.#ch.call(this.#id, 'close');
  }

  async *[Symbol.asyncIterator]() {
    try {
      for (;;) {
        const page = await this.nextv(PAGE);
        if (page.length === 0) return;
        yield* page;
      }
    } finally {
      await this.close();
    }
  }

  async [asyncDispose]() {
    await this.close();
  }
}

class WorkerSnapshot {
  #ch;
  #db;
  #closed = false;

  constructor(ch, id, db) {
    this.#ch = ch;
    this._id = id;
    this.#db = db;
  }

  _belongsTo(db) {
    return this.#db === db;
  }

  _isOpen() {
    return !this.#closed;
  }

  #check(what) {
    if (this.#closed) return Promise.reject(new StrataError('STRATA_NOT_OPEN', `${what}: the snapshot is closed`));
    if (this.#db.status !== 'open') return Promise.reject(notOpen(what));
    return null;
  }

  get(key, options) { return this.#check('snapshot.get') ?? this.#ch.call(this._id, 'get', [key, options]); }
  getMany(keys, options) { return this.#check('snapshot.getMany') ?? this.#ch.call(this._id, 'getMany', [keys, options]); }
  has(key) { return this.#check('snapshot.has') ?? this.#ch.call(this._id, 'has', [key]); }

  #iter(op, options = {}) {
    if (this.#closed) throw new StrataError('STRATA_NOT_OPEN', `snapshot.${op}: the snapshot is closed`);
    return this.#db._iter(op, options, this._id);
  }

  iterator(options) { return this.#iter('iterator', options); }
  keys(options) { return this.#iter('keys', options); }
  values(options) { return this.#iter('values', options); }

  close() {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#db.status === 'open') this.#ch.post(this._id, 'close');
  }

  async [asyncDispose]() { this.close(); }
}

class WorkerDatabase {
  #ch;
  #status = 'open';
  #closing = null;
  #recovery;

  constructor(ch, location, recovery) {
    this.#ch = ch;
    this.location = location;
    this.#recovery = Object.freeze(recovery);
  }

  get status() { return this.#status; }

  get recovery() { return this.#recovery; }

  #call(op, args) {
    if (this.#status !== 'open') return Promise.reject(notOpen(op));
    return this.#ch.call('db', op, args);
  }

  // options.snapshot: a snapshot of this database; its id is meaningful only to this worker, so
  // another database's is refused here, before anything is posted.
  #snapshotOf(options, what) {
    const snap = options?.snapshot;
    if (snap === undefined) return undefined;
    if (!(snap instanceof WorkerSnapshot)) throw new StrataError('STRATA_INVALID_ARGUMENT', `${what}: snapshot must come from db.snapshot()`);
    if (!snap._belongsTo(this)) throw new StrataError('STRATA_INVALID_ARGUMENT', `${what}: the snapshot belongs to another database`);
    if (!snap._isOpen()) throw new StrataError('STRATA_NOT_OPEN', `${what}: the snapshot is closed`);
    return snap;
  }

  // A read at options.snapshot goes to the snapshot's handle in the worker.
  #read(op, args, options) {
    let snap;
    try {
      snap = this.#snapshotOf(options, op);
    } catch (err) {
      return Promise.reject(err);
    }
    if (!snap) return this.#call(op, [...args, options]);
    if (this.#status !== 'open') return Promise.reject(notOpen(op));
    const { snapshot, ...rest } = options;
    void snapshot;
    return this.#ch.call(snap._id, op, [...args, rest]);
  }

  put(key, value, options) { return this.#call('put', [key, value, options]); }
  get(key, options) { return this.#read('get', [key], options); }
  getMany(keys, options) { return this.#read('getMany', [keys], options); }
  has(key, options) { return this.#read('has', [key], options); }
  del(key, options) { return this.#call('del', [key, options]); }
  batch(operations, options) { return this.#call('batch', [operations, options]); }
  clear(options) { return this.#call('clear', [options]); }
  flush() { return this.#call('flush', []); }
  resume() { return this.#call('resume', []); }
  compact(options) { return this.#call('compact', [options]); }
  stats() { return this.#call('stats', []); }

  snapshot() {
    if (this.#status !== 'open') throw notOpen('snapshot');
    const id = this.#ch.handle();
    this.#ch.post('db', 'snapshot', [id]);
    return new WorkerSnapshot(this.#ch, id, this);
  }

  _iter(op, options, snapshotId) {
    if (this.#status !== 'open') throw notOpen(op);
    if (options === null || typeof options !== 'object') throw new StrataError('STRATA_INVALID_ARGUMENT', 'iterator options must be an object');
    const opts = { ...options };
    if (options.snapshot !== undefined) opts.snapshot = this.#snapshotOf(options, op)._id;
    const id = this.#ch.handle();
    if (snapshotId) this.#ch.post(snapshotId, op, [id, opts]);
    else this.#ch.post('db', op, [id, opts]);
    return new WorkerIterator(this.#ch, id, this);
  }

  iterator(options = {}) { return this._iter('iterator', options); }
  keys(options = {}) { return this._iter('keys', options); }
  values(options = {}) { return this._iter('values', options); }

  close() {
    if (this.#status === 'closed') return Promise.resolve();
    if (this.#closing) return this.#closing;
    this.#status = 'closing';
    this.#closing = (async () => {
      try {
        await this.#ch.call('db', 'close');
      } finally {
        await this.#ch.terminate();
        this.#status = 'closed';
      }
    })();
    return this.#closing;
  }

  async [asyncDispose]() { await this.close(); }
}

export async function openInWorker(location, options) {
  const { worker, ...rest } = options;
  void worker;
  const w = new Worker(new URL('./worker_host.js', import.meta.url), { workerData: { location, options: rest } });
  const ready = await new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  if (!ready.ready) {
    await w.terminate();
    throw toError(ready.error);
  }
  return new WorkerDatabase(new Channel(w), ready.location, ready.recovery);
}
