// The calling side of a database whose engine runs in another thread: a Node worker_threads
// Worker (open(location, { worker: true }), worker_client.js) or, in browsers, the dedicated
// worker the package starts from a page (index_browser.js). The same API as on the engine's
// thread. Requests are posted in call order and executed in that order (worker_serve.js), so
// db.snapshot() and db.iterator() (synchronous here too) see every write issued before them and
// none issued after. A batch is one message, an iterator page is one message (16 to PAGE
// entries, see WorkerIterator), and buffers read in the worker come back transferred, not
// copied. Differences: stats() returns a promise, and arguments cross as structured copies
// (transferring them would detach the caller's own arrays). The proxies' methods are built from
// the table of worker_protocol.js, which worker_serve.js dispatches by; every error that crosses
// is a StrataError with its code.
// No Node built-ins: the thread is reached through an endpoint,
//   { post(msg), listen({ message(msg), error(err), exit() }), terminate() }.
import { ChainedBatch } from './chained_batch.js';
import { StrataError, abortError, checkSignal, fromWire, invalid, notOpen } from './errors.js';
import { checkChunkSize } from './image.js';
import { DONE, closingAsyncIterator, decodeEntry } from './iterator.js';
import { checkProgress } from './progress.js';
import { packBatch, unpackValues } from './worker_pack.js';
import { CHANNELS, PACKED, PROTOCOL, request } from './worker_protocol.js';

// A callback that throws does not stop the work (progress.js): its first error is kept.
function relayProgress(onProgress) {
  let failed = false;
  return (p) => {
    if (failed) return;
    try {
      onProgress(p);
    } catch {
      failed = true;
    }
  };
}

const asyncDispose = Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose');
export const PAGE = 256; // entries per message at most when an iterator is read with next(), nextv or for await
const ID_LIMIT = 2 ** 32 - 1; // call ids wrap below 2^32 (worker_protocol.js's number replies)

class Channel {
  #endpoint;
  #pending = new Map();
  #progress = new Map(); // call id -> onProgress, while the call runs
  #nextId = 1;
  #nextHandle = 1;

  #gone = null; // the error every later call gets once the worker failed or exited
  generation = 0; // bumped at each multi-tab hand-over: handles of an older one are gone

  constructor(endpoint) {
    this.#endpoint = endpoint;
    endpoint.listen({
      // the reply shapes of worker_protocol.js
      message: (msg) => {
        let id;
        if (typeof msg === 'number') id = Math.floor(msg / CHANNELS);
        else if (Array.isArray(msg)) id = msg[1];
        else {
          if (msg?.progress !== undefined) this.#progress.get(msg.progress)?.(msg.value);
          return;
        }
        const p = this.#pending.get(id);
        if (p === undefined) return;
        this.#pending.delete(id);
        if (p.progress) this.#progress.delete(id);
        if (typeof msg === 'number') p.resolve(undefined);
        else if (msg[3] === PACKED) p.resolve(unpackValues(msg[2]));
        else if (msg.length > 3) p.reject(fromWire(msg[3]));
        else p.resolve(msg[2]);
      },
      error: (err) => this.#failAll(new StrataError('STRATA_IO', `the database worker failed: ${err?.message ?? err}`, { cause: err })),
      exit: () => this.#failAll(new StrataError('STRATA_NOT_OPEN', 'the database worker exited')),
      // multiTab (multi_tab.js): the serving tab went away; what it did not answer is rejected
      // with err, and its snapshots and iterators are gone; later calls go to the next server
      handover: (err) => {
        this.generation++;
        for (const p of this.#pending.values()) p.reject(err);
        this.#pending.clear();
        this.#progress.clear();
      },
    });
  }

  #failAll(err) {
    this.#gone ??= err;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
    this.#progress.clear();
  }

  // An argument that cannot cross (a function, a symbol, ...) is refused as the engine refuses
  // a bad argument. `what`: the call's name for the message, or the handle whose _what(op) it is
  // (built only on that error).
  #send(msg, what, op, transfer) {
    try {
      this.#endpoint.post(msg, transfer);
    } catch (err) {
      const name = typeof what === 'string' ? what : what._what(op);
      throw new StrataError('STRATA_INVALID_ARGUMENT', `${name}: an argument cannot be sent to the database worker (${err.message})`, { cause: err });
    }
  }

  // `transfer`: buffers the call made for the message (worker_pack.js), moved rather than copied.
  call(target, op, args, what, onProgress, transfer) {
    if (this.#gone) return Promise.reject(this.#gone);
    const id = this.#nextId;
    this.#nextId = id >= ID_LIMIT ? 1 : id + 1;
    return new Promise((resolve, reject) => {
      const p = { resolve, reject, progress: false };
      if (onProgress) {
        p.progress = true;
        this.#progress.set(id, onProgress);
      }
      this.#pending.set(id, p);
      try {
        this.#send(request(id, target, op, 0, args), what, op, transfer);
      } catch (err) {
        this.#pending.delete(id);
        this.#progress.delete(id);
        reject(err);
      }
    });
  }

  // Fire and forget (ordering still holds); a failure surfaces on the handle's next call.
  post(target, op, args, what, handle = 0) {
    this.#send(request(0, target, op, handle, args), what, op);
  }

  handle() {
    return `h${this.#nextHandle++}`;
  }

  terminate() {
    return this.#endpoint.terminate();
  }
}

// What the proxies share: the channel, the handle id, the database, the closed flag; the
// methods of the table are installed on each class by `install`.
class WorkerHandle {
  #closed = false;

  constructor(ch, id, db, kind) {
    this._ch = ch;
    this._id = id;
    this._db = db ?? this;
    this._kind = kind;
    this._gen = ch.generation;
  }

  // A snapshot or iterator of a serving tab that went away (multiTab).
  _stale() {
    return this._kind !== 'db' && this._gen !== this._ch.generation;
  }

  _isOpen() {
    return !this.#closed;
  }

  _markClosed() {
    this.#closed = true;
  }

  // The name of op in messages: 'put', 'snapshot.get', 'iterator.next'.
  _what(op) {
    return this._kind === 'db' ? op : `${this._kind}.${op}`;
  }

  // Throws what the call must refuse before anything is posted.
  _check(op) {
    if (this.#closed && !this._stale()) throw new StrataError('STRATA_NOT_OPEN', `${this._what(op)}: the ${this._kind} is closed`);
    if (this._db.status !== 'open') throw notOpen(this._what(op));
    if (this._stale()) {
      this._markClosed();
      throw new StrataError('STRATA_NOT_OPEN', `${this._what(op)}: the serving tab went away (multiTab: its snapshots and iterators are gone)`);
    }
  }

  // The arguments as they cross: options.snapshot (of this database, open) becomes its id.
  _args(op, method, args) {
    if (method.options === undefined) return args;
    const options = args[method.options];
    if (method.send !== 'open' && (options === null || typeof options !== 'object' || options.snapshot === undefined)) return args;
    const a = [...args];
    if (method.send === 'open') {
      if (options === undefined) a[method.options] = {};
      else if (options === null || typeof options !== 'object') throw invalid('iterator options must be an object');
    }
    const o = a[method.options];
    if (o && typeof o === 'object' && o.snapshot !== undefined) a[method.options] = { ...o, snapshot: this._db._snapshotId(o.snapshot, op) };
    return a;
  }
}

function install(cls, kind) {
  for (const [op, method] of Object.entries(PROTOCOL[kind])) {
    if (Object.hasOwn(cls.prototype, op) || method.unpacks) continue; // written by hand below; internal
    if (method.send === 'call') {
      cls.prototype[op] = function call(...args) {
        if (method.closes && op === 'close' && (!this._isOpen() || this._db.status !== 'open' || this._stale())) {
          this._markClosed();
          return Promise.resolve();
        }
        try {
          this._check(op);
          const a = this._args(op, method, args);
          if (method.closes) this._markClosed();
          if (method.progress !== undefined && a[method.progress]?.onProgress !== undefined) {
            const onProgress = checkProgress(a[method.progress].onProgress, this._what(op));
            const b = a === args ? [...a] : a;
            b[method.progress] = { ...b[method.progress], onProgress: true }; // the worker relays
            return this._ch.call(this._id, op, b, this, relayProgress(onProgress));
          }
          return this._ch.call(this._id, op, a, this);
        } catch (err) {
          return Promise.reject(err);
        }
      };
    } else if (method.send === 'post') {
      cls.prototype[op] = function post(...args) {
        if (method.closes) {
          if (!this._isOpen()) return;
          this._markClosed();
          if (this._db.status === 'open' && !this._stale()) this._ch.post(this._id, op, args, this._what(op));
          return;
        }
        this._check(op);
        this._ch.post(this._id, op, this._args(op, method, args), this);
      };
    } else {
      const Made = PROXIES[method.makes];
      cls.prototype[op] = function open(...args) {
        this._check(op);
        const a = this._args(op, method, args);
        // an AbortSignal stays here (it cannot cross): the iterator proxy checks it per call
        const o = a[method.options];
        const signal = o && typeof o === 'object' ? checkSignal(o.signal, this._what(op)) : undefined;
        if (signal) a[method.options] = { ...o, signal: undefined };
        const limit = Made === WorkerIterator ? WorkerIterator._takeLimit(a, method.options) : undefined;
        const id = this._ch.handle();
        this._ch.post(this._id, op, a, this, id);
        const made = new Made(this._ch, id, this._db, method.makes);
        if (signal) made._signal = signal;
        if (limit !== undefined) made._limit = limit;
        return made;
      };
    }
  }
}

// An iterator read through the worker in pages: a call that finds no entry here asks for a
// page (16 entries at the start and after a seek, doubling to PAGE; PAGE at once for for await),
// so a seek + 10 entries is one round trip (the seek goes with the request) and later calls take
// from what came. A page crosses packed, one transferred buffer in the engine's page layout
// (iterator.js _packed), and entries are decoded here as they are handed out. Each call posts
// at call time what it needs, so the worker sees reads and seeks in the order they were made (the
// iterator reads a snapshot: a page read early holds what a later read would). Requests in flight
// are `#fetches` (their size, how much of it calls claimed, the epoch they were posted in: each
// seek() starts one); calls waiting are `#claims`, served from the pages in order as they come.
// What a page holds beyond its claims is kept for later calls only if no seek came after it was
// asked for; a short page is the end there. A `limit` counts what calls got, so it is applied here
// (the worker's iterator has none: entries read ahead and dropped by a seek do not count). Once
// pages are PAGE long (a scan), the next page is asked for as one arrives, so the worker reads
// while the caller consumes. A page that fails fails the calls of its epoch waiting for it; the
// next call asks again.
const FIRST_PAGE = 16;
const NONE = Symbol('none');

class WorkerIterator extends WorkerHandle {
  _signal = undefined;
  _limit = Infinity;
  #count = 0; // entries handed out (for the limit)
  #pages = []; // pages fetched with entries not handed out (of the current epoch): { b, pos, left }
  #shape = null; // how entries decode: { want, keyEncoding, valueEncoding, shape }, from the worker
  #end = false; // the worker reported the end at the current position
  #epoch = 0;
  #pageSize = FIRST_PAGE;
  #fetches = [];
  #claims = [];
  #unconfirmed = false; // a seek was posted and no request after it has been answered yet
  #seekTo = NONE; // a seek target not posted yet: it goes with the next request

  // An aborted signal: the iterator is closed in the worker and every call rejects.
  _aborted(op) {
    if (!this._signal?.aborted) return null;
    if (this._isOpen()) {
      this.#drop();
      this._markClosed();
      if (this._db.status === 'open' && !this._stale()) this._ch.post(this._id, 'close', [], 'iterator.close');
    }
    return abortError(this._signal, `iterator.${op}`);
  }

  #drop() {
    this.#pages = [];
  }

  // What next/nextv/all refuse before anything is read.
  #refused(op) {
    const err = this._aborted(op);
    if (err) return err;
    try {
      this._check(op);
    } catch (e) {
      return e;
    }
    return null;
  }

  // A valid limit of the options posted (a copy without it), which this side applies; an
  // invalid one stays for the worker to refuse, as without a worker.
  static _takeLimit(args, at) {
    const o = args[at];
    if (o === null || typeof o !== 'object' || o.limit === undefined || o.limit === null) return undefined;
    const limit = o.limit < 0 ? Infinity : o.limit;
    if (typeof limit !== 'number' || Number.isNaN(limit)) return undefined;
    args[at] = { ...o, limit: undefined };
    return Math.floor(limit); // as the worker's pages count whole entries
  }

  // The next entry of page p, counted; its bytes views of the page, or (`copy`) their own.
  #decode(p, copy) {
    const e = decodeEntry(p.b, p, this.#shape, !copy);
    p.left--;
    this.#count++;
    return e;
  }

  // The next entry read ahead, or NONE (then #claim).
  #take(copy) {
    const p = this.#pages[0];
    if (p === undefined || this.#count >= this._limit) return NONE;
    const e = this.#decode(p, copy);
    if (p.left === 0) this.#pages.shift();
    return e;
  }

  // Up to `want` entries in call order: those read ahead, then from pages in flight, then from a
  // new request of `size` entries. `all` closes the iterator after it. Resolves with the entries
  // (fewer only at the end); `copy`: bytes of their own (next()).
  #claim(want, size, op, copy = false) {
    const got = [];
    for (let e; got.length < want && (e = this.#take(copy)) !== NONE;) got.push(e);
    if (got.length === want || this.#end || this.#count >= this._limit) return op === 'all' ? this.#closeRemote().then(() => got) : Promise.resolve(got);
    const left = this._limit - this.#count; // at most this many more can be handed out
    let need = Math.min(want - got.length, left);
    for (const f of this.#fetches) {
      if (f.epoch !== this.#epoch || f.claimed >= f.size) continue;
      const c = Math.min(need, f.size - f.claimed);
      f.claimed += c;
      need -= c;
      if (need === 0) break;
    }
    if (need > 0) this.#fetch(Math.min(Math.max(need, size), left), need);
    const p = new Promise((resolve, reject) => this.#claims.push({ want, got, copy, epoch: this.#epoch, resolve, reject }));
    return op === 'all' ? Promise.all([p, this.#closeRemote()]).then(([entries]) => entries) : p;
  }

  #fetch(size, claimed) {
    const f = { size, claimed, epoch: this.#epoch };
    this.#fetches.push(f);
    let reply;
    if (this.#seekTo !== NONE) { // the seek and the first page: one message
      const target = this.#seekTo;
      this.#seekTo = NONE;
      reply = this._ch.call(this._id, '_seekPacked', [target, size], 'iterator.seek');
    } else {
      reply = this._ch.call(this._id, '_packed', [size], 'iterator.next');
    }
    reply.then((page) => this.#arrived(f, page), (err) => this.#failed(f, err));
  }

  #postSeek() {
    if (this.#seekTo === NONE) return;
    const target = this.#seekTo;
    this.#seekTo = NONE;
    this._ch.post(this._id, 'seek', [target], 'iterator.seek');
  }

  // Closes the worker's iterator. A failed seek is reported by the next request: while one may
  // be unreported, close waits for its answer; otherwise nothing can fail, and close is posted.
  #closeRemote() {
    this.#postSeek(); // its failure is then close's to report
    if (this.#unconfirmed) return this._ch.call(this._id, 'close', [], 'iterator.close');
    this._ch.post(this._id, 'close', [], 'iterator.close');
    return Promise.resolve();
  }

  // Replies come in the order the requests were posted: f is the oldest in flight. A reply is
  // [bytes, count, want, keyEncoding, valueEncoding, shape] (iterator.js _packed).
  #arrived(f, [b, count, want, keyEncoding, valueEncoding, shape]) {
    this.#fetches.shift();
    if (f.epoch === this.#epoch) this.#unconfirmed = false;
    this.#shape ??= { want, keyEncoding, valueEncoding, shape };
    const page = { b, pos: 0, left: count };
    const claims = this.#claims;
    while (claims.length && claims[0].epoch === f.epoch && page.left > 0 && this.#count < this._limit) {
      const c = claims[0];
      while (c.got.length < c.want && page.left > 0 && this.#count < this._limit) c.got.push(this.#decode(page, c.copy));
      if (c.got.length < c.want && this.#count < this._limit) break;
      claims.shift();
      c.resolve(c.got);
    }
    if (this.#count >= this._limit) { // every later call gets nothing, as after the end
      for (const c of claims.splice(0)) c.resolve(c.got);
      this.#drop();
      return;
    }
    const current = f.epoch === this.#epoch && this._isOpen();
    if (current && page.left > 0) this.#pages.push(page);
    if (count < f.size) { // the end: what waits in this epoch gets what there was
      while (claims.length && claims[0].epoch === f.epoch) {
        const c = claims.shift();
        c.resolve(c.got);
      }
      if (current) this.#end = true;
    } else if (current && f.size >= PAGE && !this.#fetches.some((g) => g.epoch === this.#epoch)) {
      // a scan: the next page is read while this one is consumed (no more than the limit leaves)
      const room = this._limit - this.#count - page.left;
      if (room > 0) this.#fetch(Math.min(PAGE, room), 0);
    }
  }

  #failed(f, err) {
    this.#fetches.shift();
    if (f.epoch === this.#epoch) this.#unconfirmed = false; // reported to the calls of f
    const keep = [];
    for (const c of this.#claims) {
      if (c.epoch === f.epoch) c.reject(err);
      else keep.push(c);
    }
    this.#claims = keep;
    for (const g of this.#fetches) if (g.epoch === f.epoch) g.claimed = 0;
  }

  // The page size for a call that has to ask (doubling up to PAGE).
  #nextSize() {
    const size = this.#pageSize;
    this.#pageSize = Math.min(size * 2, PAGE);
    return size;
  }

  // A value handed out by next() owns its buffer; those of nextv, all and for await are views
  // of their page (one transferred buffer).
  next() {
    const err = this.#refused('next');
    if (err) return Promise.reject(err);
    const e = this.#take(true);
    if (e !== NONE) return Promise.resolve(e);
    return this.#claim(1, this.#nextSize(), 'next', true).then((got) => got[0]);
  }

  nextv(size) {
    const err = this.#refused('nextv');
    if (err) return Promise.reject(err);
    if (typeof size !== 'number' || Number.isNaN(size) || size < 0) return Promise.reject(invalid('nextv: size must be a number >= 0'));
    const max = Math.floor(size);
    return max === 0 ? Promise.resolve([]) : this.#claim(max, this.#nextSize(), 'nextv');
  }

  // Every remaining entry; closes the iterator.
  all() {
    const err = this.#refused('all');
    if (err) return Promise.reject(err);
    const p = this.#claim(Infinity, Infinity, 'all');
    this.#drop();
    this._markClosed();
    return p;
  }

  // Moves in the worker (a failure is reported by the next call); what was read ahead here is
  // dropped, and pages still in flight serve only the calls made before. A key (a string or
  // bytes, which always cross) waits to go with the next request; anything else is posted now,
  // so what cannot cross throws here.
  seek(target) {
    this._check('seek');
    this.#postSeek();
    if (typeof target === 'string' || ArrayBuffer.isView(target)) this.#seekTo = target;
    else this._ch.post(this._id, 'seek', [target], 'iterator.seek');
    this.#unconfirmed = true;
    this.#drop();
    this.#end = false;
    this.#epoch++;
    this.#pageSize = FIRST_PAGE;
  }

  close() {
    this.#drop();
    if (!this._isOpen() || this._db.status !== 'open' || this._stale()) {
      this._markClosed();
      return Promise.resolve();
    }
    this._markClosed();
    return this.#closeRemote();
  }

  // for await: entries as next() hands them out (a page of PAGE per request; values are views of
  // their page, as nextv's), closing the iterator at the end, on break and on an error.
  [Symbol.asyncIterator]() {
    return closingAsyncIterator(() => this.close(), (finish) => {
      const failed = (err) => finish().then(() => { throw err; });
      const err = this.#refused('next');
      if (err) return failed(err);
      const e = this.#take(false);
      if (e !== NONE) return Promise.resolve({ value: e, done: false });
      return this.#claim(1, PAGE, 'next').then((got) => (got[0] === undefined ? finish().then(() => DONE) : { value: got[0], done: false }), failed);
    });
  }

  async [asyncDispose]() {
    await this.close();
  }
}

// db.export() through the worker: the image is pinned in the worker when export() is called
// (writes after it are not in it); `total` is known once the first chunk is asked for (an
// info request posted right after the export, in order). Chunks cross one message each,
// transferred; onProgress runs here, after each chunk, as in Node (a callback that throws does
// not stop the export; its first error is rethrown once the image is complete).
class WorkerImage extends WorkerHandle {
  total = undefined;
  done = 0;
  _onProgress = undefined;
  _progressError = null;
  #info = null;

  _start() {
    this.#info = this.info().then((i) => { this.total = i.total; }, () => {});
  }

  async next() {
    await this.#info;
    const chunk = await this.read();
    if (chunk === null) {
      await this.close();
      const err = this._progressError;
      this._progressError = null;
      if (err) throw err;
      return { done: true, value: undefined };
    }
    this.done += chunk.length;
    if (this._onProgress && !this._progressError) {
      try {
        this._onProgress({ bytesDone: this.done, bytesTotal: this.total });
      } catch (err) {
        this._progressError = err;
      }
    }
    return { done: false, value: chunk };
  }

  async return() {
    await this.close();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  // A ReadableStream of the chunks, pulled one message at a time.
  stream() {
    return new ReadableStream({
      pull: async (controller) => {
        try {
          const { done, value } = await this.next();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (err) {
          controller.error(err);
        }
      },
      cancel: () => this.close(),
    }, { highWaterMark: 0 });
  }

  async [asyncDispose]() {
    await this.close();
  }
}

class WorkerSnapshot extends WorkerHandle {
  _belongsTo(db) {
    return this._db === db;
  }

  getSync() {
    throw new StrataError('STRATA_NOT_SUPPORTED', 'snapshot.getSync needs an in-thread database (with worker: true every read is asynchronous; use get)');
  }

  sizeOfSync() {
    throw new StrataError('STRATA_NOT_SUPPORTED', 'snapshot.sizeOfSync needs an in-thread database (with worker: true every read is asynchronous; use sizeOf)');
  }

  async [asyncDispose]() {
    this.close();
  }
}

class WorkerDatabase extends WorkerHandle {
  #status = 'open';
  #closing = null;
  #recovery;
  #limits; // the engine's { KEY_MAX, VALUE_MAX, BATCH_BYTES_MAX } (the ready message), for packBatch

  constructor(ch, location, recovery, limits) {
    super(ch, 'db', null, 'db');
    this.location = location;
    this.#recovery = Object.freeze(recovery);
    this.#limits = limits;
  }

  get status() { return this.#status; }

  get recovery() { return this.#recovery; }

  // A snapshot option: this database's own, open snapshot, as its id in the worker (an id means
  // something only to this worker, so another database's is refused here).
  _snapshotId(snap, what) {
    if (!(snap instanceof WorkerSnapshot)) throw invalid(`${what}: snapshot must come from db.snapshot()`);
    if (!snap._belongsTo(this)) throw invalid(`${what}: the snapshot belongs to another database`);
    if (snap._stale()) throw new StrataError('STRATA_NOT_OPEN', `${what}: the serving tab went away (multiTab: its snapshots are gone)`);
    if (!snap._isOpen()) throw new StrataError('STRATA_NOT_OPEN', `${what}: the snapshot is closed`);
    return snap._id;
  }

  // batch(operations) crosses packed (#write) or as it is; batch() with no arguments is a chained
  // batch collected here and written the same way, as one batch (its operations are checked by
  // the worker, at write).
  batch(operations, options) {
    if (operations === undefined && arguments.length === 0) {
      this._check('batch');
      return new ChainedBatch({
        check: (op, i) => {
          if (op.type !== 'singleDel' && op.type !== 'del' && op.type !== 'put') throw invalid(`batch operation ${i} has type ${JSON.stringify(op.type)}`);
          if (op.key === undefined || op.key === null) throw invalid(`batch.${op.type}: key must not be ${op.key}`);
          if (op.type === 'put' && (op.value === undefined || op.value === null)) throw invalid(`batch.put: value must not be ${op.value}`);
          return op;
        },
        write: (ops, o) => this.#write(ops, o, 'batch.write'),
        isOpen: (what) => this._check(what.replace(/^batch\./, '')),
      });
    }
    try {
      this._check('batch');
      return this.#write(operations, options, 'batch');
    } catch (err) {
      return Promise.reject(err);
    }
  }

  // Operations of strings and byte arrays cross packed in one buffer, encoded as the engine
  // encodes them (worker_pack.js); others as they are, to the worker's checks.
  #write(operations, options, what) {
    const packed = packBatch(operations, this.#limits);
    if (packed) return this._ch.call('db', 'batchPacked', [packed, options], what, undefined, [packed]);
    return this._ch.call('db', 'batch', [operations, options], what);
  }

  // export(options): chunkSize crosses, onProgress stays here (WorkerImage).
  export(options = {}) {
    this._check('export');
    if (options === null || typeof options !== 'object') throw invalid('export options must be an object');
    const onProgress = checkProgress(options.onProgress, 'export');
    checkChunkSize(options); // refused here, not at the first chunk
    const id = this._ch.handle();
    this._ch.post('db', 'export', [{ ...options, onProgress: undefined }], 'export', id);
    const image = new WorkerImage(this._ch, id, this, 'image');
    image._onProgress = onProgress;
    image._start();
    return image;
  }

  // The worker answers asynchronously: there is nothing to read synchronously here.
  getSync() {
    throw new StrataError('STRATA_NOT_SUPPORTED', 'getSync needs an in-thread database (with worker: true every read is asynchronous; use get)');
  }

  sizeOfSync() {
    throw new StrataError('STRATA_NOT_SUPPORTED', 'sizeOfSync needs an in-thread database (with worker: true every read is asynchronous; use sizeOf)');
  }

  close() {
    if (this.#status === 'closed') return Promise.resolve();
    if (this.#closing) return this.#closing;
    this.#status = 'closing';
    this.#closing = (async () => {
      try {
        await this._ch.call('db', 'close', [], 'close');
      } finally {
        await this._ch.terminate();
        this.#status = 'closed';
      }
    })();
    return this.#closing;
  }

  async [asyncDispose]() { await this.close(); }
}

const PROXIES = { db: WorkerDatabase, snapshot: WorkerSnapshot, iterator: WorkerIterator, image: WorkerImage };
install(WorkerImage, 'image');
install(WorkerIterator, 'iterator'); // next, nextv, all, seek and close are written above
install(WorkerSnapshot, 'snapshot');
install(WorkerDatabase, 'db');


// The proxy of the database the worker opened, once it reported `ready` (worker_serve.js).
export function connect(endpoint, ready) {
  return new WorkerDatabase(new Channel(endpoint), ready.location, ready.recovery, ready.limits);
}
