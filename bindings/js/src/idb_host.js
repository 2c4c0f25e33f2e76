// The IndexedDB storage host (pages and workers, where OPFS sync handles are missing): the
// engine's files live in memory (a mirror loaded whole at open) and are written back to
// IndexedDB in transactions; the host calls are synchronous as vfs_js.c needs (the same methods
// and conventions as node_host.js).
//
// Layout: one IndexedDB database per Strata database, named "strata-lsm/<name>", version 1, one
// object store "files" with array keys:
//   ['e', path]        { kind: 'd' } a folder, or { kind: 'f', size } a file
//   ['c', path, i]     Uint8Array: bytes [i * IDB_CHUNK, min((i + 1) * IDB_CHUNK, size)) of that file (16 KiB)
// A chunk never written reads as zeros; chunks past a file's size are deleted with the change
// that shrank it.
//
// Durability: every change (a write, a create, a removal, a folder) is recorded as pending per
// path. Pending changes leave in one readwrite transaction at a time, started at the end of the
// current engine call (a microtask), so all the durability points of one call -- a journal sync,
// or a finished table, its sync, the manifest slot written and synced and the obsolete files
// removed -- land in one transaction together: a crash keeps a prefix of the transactions, never
// half of one, so never a half-installed version. While one transaction is in flight the next
// changes gather for the one after (group commit). A transaction is 'strict' when anything in it
// was synced (sync, sync_dir, replace) or settle() asked for it, 'relaxed' when it only writes
// back unsynced writes. settle() resolves once every change made before it is committed; the JS
// layer awaits it before it acknowledges a `sync: true` write, flush() or close().
//
// A failed transaction (QuotaExceededError: STRATA_QUOTA, the browser's error as cause) puts its
// changes back as pending, in order, to be retried: by the next request's prepare(), by every
// settle(), and on a backoff timer (RETRY_MIN_MS doubling to RETRY_MAX_MS) while a settle() whose
// changes it held waits. Such a write is applied in memory already and will be committed with
// everything before it, so its settle() is not rejected (a rejected write must never appear
// later): it resolves once a retry commits it, or is rejected when the database closes and the
// last attempt fails too (then nothing of it is stored). While the failure lasts, every call
// that would add bytes to write back (write, append, replace, sync, sync_dir) is refused at once
// with the failure's code and cause, inside the engine call, which then does not apply the write
// (the journal cuts the batch off) -- so nothing new piles up, and a settle() that starts during
// the failure has nothing of its own pending and is rejected when the next attempt fails. The
// database stays open and readable, and writable again once a commit succeeds.
import { StrataError } from './errors.js';
import { CODES, ERR_CAP, OPEN, hostError, isQuotaError } from './host_common.js';
import { PathHost, normPath } from './path_host.js';
import { LOCK_TIMEOUT_MS, acquireWebLock, webLockName, withWebLock } from './web_lock.js';

export const IDB_PREFIX = 'strata-lsm/'; // IndexedDB database name = prefix + Strata database name
const STORE = 'files';
export const IDB_CHUNK = 16384; // small: a journal's tail chunk is rewritten by each commit
const RETRY_MIN_MS = 50; // a failed commit that applied writes wait for is retried after this, ...
const RETRY_MAX_MS = 2000; // ... doubling up to this

function checkName(name) {
  if (typeof name !== 'string' || name === '' || name.length > 200) {
    throw new StrataError('STRATA_INVALID_ARGUMENT', `IndexedDB database name must be a non-empty string of at most 200 characters, got ${JSON.stringify(name)}`);
  }
}

function idb() {
  if (typeof indexedDB === 'undefined') throw new StrataError('STRATA_NOT_SUPPORTED', 'IndexedDB is not available in this context');
  return indexedDB;
}

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function ioError(what, err) {
  return new StrataError(isQuotaError(err) ? 'STRATA_QUOTA' : 'STRATA_IO',
    `${what}: ${err?.name ?? 'Error'}: ${err?.message ?? err}`, { cause: err });
}

// The names of the IndexedDB databases of this origin that hold Strata databases.
export async function listIdbDatabases() {
  const all = await idb().databases();
  return all.map((d) => d.name).filter((n) => n?.startsWith(IDB_PREFIX)).map((n) => n.slice(IDB_PREFIX.length)).sort();
}

// Deletes an IndexedDB-backed database. Resolves true when it existed, false when not;
// STRATA_LOCKED while another context has it open.
export async function deleteIdbDatabase(name, { lockTimeoutMs = LOCK_TIMEOUT_MS } = {}) {
  checkName(name);
  return withWebLock(webLockName('idb', name), { timeoutMs: lockTimeoutMs, what: `IndexedDB database "${name}"` }, async () => {
    const existed = (await listIdbDatabases()).includes(name);
    const req = idb().deleteDatabase(IDB_PREFIX + name);
    await new Promise((resolve, reject) => {
      req.onsuccess = resolve;
      req.onerror = () => reject(ioError(`deleting IndexedDB database "${name}"`, req.error));
    });
    return existed;
  });
}

function keyRangeOfChunks(path, from) {
  return IDBKeyRange.bound(['c', path, from], ['c', path, Infinity]);
}

// An in-memory file: bytes [0, size) of `data` (grown by doubling).
function newFile() {
  return { data: new Uint8Array(0), size: 0 };
}

function ensure(file, end) {
  if (end <= file.data.length) return;
  let cap = Math.max(4096, file.data.length);
  while (cap < end) cap *= 2;
  const next = new Uint8Array(cap);
  next.set(file.data.subarray(0, file.size));
  file.data = next;
}

export class IdbHost extends PathHost {
  // Opens (creating when missing) the IndexedDB database `name`: takes its Web Lock, then loads
  // every file into memory. Options: lockTimeoutMs.
  static async open(name, { lockTimeoutMs = LOCK_TIMEOUT_MS } = {}) {
    checkName(name);
    const what = `IndexedDB database "${name}"`;
    const lock = await acquireWebLock(webLockName('idb', name), { timeoutMs: lockTimeoutMs, what });
    let db = null;
    try {
      const req = idb().open(IDB_PREFIX + name, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE);
      db = await new Promise((resolve, reject) => {
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
        req.onblocked = () => reject(new DOMException('blocked by another connection', 'InvalidStateError'));
      });
      const host = new IdbHost(name, lock, db);
      await host.#load();
      return host;
    } catch (err) {
      db?.close();
      lock.release();
      if (err instanceof StrataError) throw err;
      throw ioError(`${what}: opening failed`, err);
    }
  }

  #db; // the PathHost's _files: path -> file; its fds: { file, writable, path }
  #pending = new Map(); // path -> change: { kind: 'd' } | { kind: 'gone' } | { kind: 'f', file, chunks, wipeFrom }
  #strict = false; // the pending changes include a durability point
  #scheduled = false;
  #inflight = null; // { tx, done }
  #waiters = []; // settle() calls waiting for the next transaction: { resolve, reject, held }
  #failure = null; // the StrataError of the last failed transaction, until one succeeds
  #retryTimer = null;
  #retryMs = RETRY_MIN_MS;
  #closed = false;
  #faults = null; // tests: { failCommits: n, error } aborts the next n transactions with error

  constructor(name, lock, db) {
    super(name, lock, { hostName: 'idb', what: `IndexedDB database "${name}"`, context: 'context' });
    this.#db = db;
    db.onversionchange = () => db.close(); // someone deletes the database: let them
  }

  get stats() {
    let bytes = 0;
    for (const f of this._files.values()) bytes += f.size;
    return { files: this._files.size, bytes, pending: this.#pending.size, inflight: !!this.#inflight, failed: !!this.#failure };
  }

  // Tests only: the next `count` transactions abort and report `error` (a QuotaExceededError
  // DOMException by default), as a browser whose quota is exhausted does.
  injectCommitFailures(count, error = new DOMException('injected: the quota is exhausted', 'QuotaExceededError')) {
    this.#faults = count > 0 ? { failCommits: count, error } : null;
  }

  async #load() {
    const tx = this.#db.transaction(STORE, 'readonly');
    const store = tx.objectStore(STORE);
    const [keys, values] = await Promise.all([request(store.getAllKeys()), request(store.getAll())]);
    const chunks = [];
    keys.forEach((key, i) => {
      if (key[0] === 'e') {
        if (values[i]?.kind === 'd') this._dirs.add(key[1]);
        else if (values[i]?.kind === 'f') {
          const f = newFile();
          f.size = values[i].size;
          ensure(f, f.size);
          this._files.set(key[1], f);
        }
      } else if (key[0] === 'c') {
        chunks.push([key[1], key[2], values[i]]);
      }
    });
    for (const [path, index, bytes] of chunks) {
      const f = this._files.get(path);
      if (!f) continue; // cannot happen: chunks go with their entry in one transaction
      const at = index * IDB_CHUNK;
      const n = Math.max(0, Math.min(bytes.length, f.size - at));
      f.data.set(bytes.subarray(0, n), at);
    }
  }

  // Between requests: after a failed commit, a promise that retries it (resolving either way;
  // the failure stays until a commit succeeds); else null (nothing to wait for).
  prepare() {
    if (!this.#failure || !this.#pending.size || this.#inflight || this.#closed) return null;
    return this.settle().catch(() => {});
  }

  // Resolves when every change made so far is committed (strict); rejects with the failed
  // transaction's StrataError.
  settle() {
    if (this.#closed) return Promise.resolve();
    if (this.#pending.size === 0) {
      if (this.#inflight) return this.#inflight.done;
      return this.#failure ? Promise.reject(this.#failure) : Promise.resolve();
    }
    this.#strict = true;
    // held: its changes may be in the next transaction, so a failure keeps it waiting for a retry
    const held = !this.#failure;
    const p = new Promise((resolve, reject) => this.#waiters.push({ resolve, reject, held }));
    this.#schedule(true);
    return p;
  }

  // Closes the IndexedDB connection after the last transaction and releases the Web Lock
  // (Native.free calls it). Transactions already started still commit.
  closeAll() {
    if (this.#closed) return;
    const last = [];
    if (this.#inflight) last.push(this.#inflight.done);
    if (this.#pending.size) { // write back what is left, after the one in flight
      this.#start();
      if (this.#inflight) last.push(this.#inflight.done);
    }
    this.#closed = true;
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    if (!this.#inflight) { // nothing left to decide them
      for (const w of this.#waiters) w.reject(this.#failure ?? new StrataError('STRATA_NOT_OPEN', `IndexedDB database "${this._name}" closed`));
      this.#waiters = [];
    }
    this._dropHandles();
    const db = this.#db;
    const lock = this._lock;
    // the next opener (who needs the lock) then loads what these transactions wrote
    Promise.allSettled(last).then(() => {
      db.close();
      lock.release();
    });
  }

  // The pending changes go into a transaction at the end of the current engine call (or, with
  // a transaction in flight, when it completes).
  #schedule(force = false) {
    if (this.#scheduled || this.#inflight || this.#closed) return;
    if (this.#failure && !force) return; // retried by settle()/prepare(), not in a loop
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      if (!this.#inflight && this.#pending.size && !this.#closed) this.#start();
    });
  }

  #start() {
    const changes = this.#pending;
    const strict = this.#strict;
    const waiters = this.#waiters;
    this.#pending = new Map();
    this.#strict = false;
    this.#waiters = [];
    let tx;
    try {
      tx = this.#db.transaction(STORE, 'readwrite', { durability: strict ? 'strict' : 'relaxed' });
      const store = tx.objectStore(STORE);
      for (const [path, c] of changes) {
        if (c.kind === 'd') {
          store.put({ kind: 'd' }, ['e', path]);
        } else if (c.kind === 'gone') {
          store.delete(['e', path]);
          store.delete(keyRangeOfChunks(path, 0));
        } else {
          const f = c.file;
          const used = Math.ceil(f.size / IDB_CHUNK);
          if (c.wipeFrom < Infinity) store.delete(keyRangeOfChunks(path, Math.min(c.wipeFrom, used)));
          store.put({ kind: 'f', size: f.size }, ['e', path]);
          for (const i of c.chunks) {
            if (i >= used) continue;
            store.put(f.data.slice(i * IDB_CHUNK, Math.min((i + 1) * IDB_CHUNK, f.size)), ['c', path, i]);
          }
        }
      }
      if (this.#faults?.failCommits > 0) {
        const { error } = this.#faults;
        if (--this.#faults.failCommits === 0) this.#faults = null;
        tx.__injected = error;
        queueMicrotask(() => tx.abort());
      }
    } catch (err) {
      this.#failed(changes, strict, waiters, err);
      return;
    }
    let resolve;
    let reject;
    const done = new Promise((res, rej) => { resolve = res; reject = rej; });
    done.catch(() => {}); // observed through settle()
    this.#inflight = { tx, done };
    tx.oncomplete = () => {
      if (this.#inflight?.tx === tx) this.#inflight = null;
      this.#failure = null;
      this.#retryMs = RETRY_MIN_MS;
      resolve();
      for (const w of waiters) w.resolve();
      if (this.#pending.size) this.#schedule();
    };
    const onFail = () => {
      if (this.#inflight?.tx === tx) this.#inflight = null;
      const err = this.#failed(changes, strict, waiters, tx.__injected ?? tx.error ?? new DOMException('the transaction was aborted', 'AbortError'));
      reject(err);
    };
    tx.onabort = onFail;
    tx.onerror = (e) => e.preventDefault?.(); // reported once, by onabort
  }

  // A transaction failed: its changes become pending again (under any newer change of the same
  // path), its waiters get the error, and the failure stays until a commit succeeds.
  #failed(changes, strict, waiters, cause) {
    const err = ioError(`IndexedDB database "${this._name}": writing back failed`, cause);
    this.#failure = err;
    const newer = this.#pending;
    this.#pending = new Map(changes);
    for (const [path, c] of newer) {
      const old = this.#pending.get(path);
      if (old?.kind === 'f' && c.kind === 'f' && old.file === c.file) {
        for (const i of c.chunks) old.chunks.add(i);
        old.wipeFrom = Math.min(old.wipeFrom, c.wipeFrom);
        this.#pending.delete(path); // keep the newest position in the order
        this.#pending.set(path, old);
      } else {
        this.#pending.delete(path);
        this.#pending.set(path, c);
      }
    }
    this.#strict ||= strict;
    // a waiter whose writes were in this transaction waits for a retry (they are applied, and
    // will be committed); at close, or for one that started during the failure, this is final
    const kept = this.#closed ? [] : waiters.filter((w) => w.held);
    for (const w of waiters) if (!kept.includes(w)) w.reject(err);
    if (kept.length) {
      this.#waiters.unshift(...kept);
      this.#retryLater();
    }
    return err;
  }

  // Retries the failed commit on the backoff timer while a held settle() waits for it.
  #retryLater() {
    if (this.#retryTimer !== null || this.#closed) return;
    const ms = this.#retryMs;
    this.#retryMs = Math.min(ms * 2, RETRY_MAX_MS);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      if (this.#closed || !this.#failure || this.#inflight || !this.#waiters.some((w) => w.held)) return;
      this.#strict = true;
      this.#schedule(true);
    }, ms);
  }

  // While commits fail: refuses a call that would add bytes to write back, with the failure's
  // code and the browser's error as cause (see the header).
  #refuseWhileFailing(op, target) {
    const f = this.#failure;
    if (!f) return;
    throw hostError(CODES[f.code.slice(7)] ?? CODES.IO, `${op} ${target}: refused while writing back to IndexedDB fails (${f.message})`, f.cause);
  }

  fail(err, errPtr, op, target, code) {
    this.lastError = err instanceof Error || (typeof DOMException !== 'undefined' && err instanceof DOMException) ? err : null;
    if ((err instanceof StrataError || err?.strataCode) && err.cause) this.lastError = err.cause;
    const c = code ?? err?.strataCode ?? (err instanceof StrataError ? CODES[err.code.slice(7)] : undefined) ?? (isQuotaError(err) ? CODES.QUOTA : CODES.IO);
    const msg = err?.strataCode || err instanceof StrataError ? err.message : `${op} ${target}: ${err?.message ?? err}`;
    if (errPtr) this.module.stringToUTF8(msg, errPtr, ERR_CAP);
    this.lastMessage = msg;
    return -c;
  }

  // A durability point: the pending changes leave strict, at the end of this engine call.
  // Refused while commits fail (#refuseWhileFailing, by the callers).
  #durable() {
    this.#strict = true;
    this.#schedule();
  }

  // Records a change of a mapped file's bytes [from, to) (chunks to write) and its size.
  #touch(path, file, from, to) {
    if (this._files.get(path) !== file) return; // removed or replaced: nothing to write back
    let c = this.#pending.get(path);
    if (!c || c.kind !== 'f' || c.file !== file) {
      c = { kind: 'f', file, chunks: new Set(), wipeFrom: Infinity };
      this.#pending.set(path, c);
    }
    for (let i = Math.floor(from / IDB_CHUNK); i * IDB_CHUNK < to; i++) c.chunks.add(i);
    this.#schedule();
    return c;
  }

  open(pathPtr, flags, errPtr) {
    const p = normPath(this.str(pathPtr));
    try {
      if (this._isDir(p)) throw hostError(CODES.INVALID_ARGUMENT, `open ${p}: is a folder`);
      let file = this._files.get(p);
      if (!file) {
        if (!(flags & OPEN.CREATE)) throw hostError(CODES.NOT_FOUND, `open ${p}: no such file`);
        this._checkParent('open', p);
        file = newFile();
        this._files.set(p, file);
        const c = this.#touch(p, file, 0, 0);
        c.wipeFrom = 0;
      } else if ((flags & OPEN.CREATE) && (flags & OPEN.EXCLUSIVE)) {
        throw hostError(CODES.EXISTS, `open ${p}: the file exists`);
      } else if ((flags & OPEN.TRUNCATE) && (flags & OPEN.WRITE) && file.size !== 0) {
        this.#resize(p, file, 0);
      }
      const fd = this._newFd({ file, writable: (flags & OPEN.WRITE) !== 0, path: p });
      return fd;
    } catch (err) {
      return this.fail(err, errPtr, 'open', p);
    }
  }

  #resize(path, file, size) {
    if (size > file.size) {
      ensure(file, size);
      file.data.fill(0, file.size, size);
      const old = file.size;
      file.size = size;
      this.#touch(path, file, old, size);
    } else {
      file.size = size;
      const c = this.#touch(path, file, size, size + (size % IDB_CHUNK ? 1 : 0));
      if (c) c.wipeFrom = Math.min(c.wipeFrom, Math.ceil(size / IDB_CHUNK));
    }
  }

  read(fd, off, buf, n, errPtr) {
    try {
      const { file } = this._fd(fd);
      const len = Math.max(0, Math.min(n, file.size - off));
      if (len > 0) this.module.HEAPU8.set(file.data.subarray(off, off + len), buf);
      return len;
    } catch (err) {
      return this.fail(err, errPtr, 'read', this._fdTarget(fd));
    }
  }

  // PathHost's hooks: n bytes of wasm memory at `data` into the open file f at off (f is
  // writable: PathHost checked), its size, its new size.
  _writeAt(f, off, data, n) {
    this.#refuseWhileFailing('write', f.path);
    const file = f.file;
    const end = off + n;
    ensure(file, end);
    if (off > file.size) file.data.fill(0, file.size, off);
    file.data.set(this.module.HEAPU8.subarray(data, data + n), off);
    file.size = Math.max(file.size, end);
    this.#touch(f.path, file, off, end);
  }

  _fileSize(f) {
    return f.file.size;
  }

  _truncate(f, size) {
    this.#resize(f.path, f.file, size);
  }

  sync(fd, errPtr) {
    try {
      const f = this._fd(fd);
      if (f.writable) {
        this.#refuseWhileFailing('sync', f.path);
        this.#durable();
      }
      return 0;
    } catch (err) {
      return this.fail(err, errPtr, 'sync', this._fdTarget(fd));
    }
  }

  close(fd, errPtr) {
    try {
      this._closeFd(fd);
      return 0;
    } catch (err) {
      return this.fail(err, errPtr, 'close', `fd ${fd}`);
    }
  }

  remove(pathPtr, errPtr) {
    const p = normPath(this.str(pathPtr));
    try {
      if (this._isDir(p)) throw hostError(CODES.INVALID_ARGUMENT, `remove ${p}: is a folder`);
      if (!this._files.delete(p)) throw hostError(CODES.NOT_FOUND, `remove ${p}: no such file`);
      this.#pending.delete(p);
      this.#pending.set(p, { kind: 'gone' });
      this.#schedule();
      return 0;
    } catch (err) {
      return this.fail(err, errPtr, 'remove', p);
    }
  }

  mkdir(pathPtr, errPtr) {
    const p = normPath(this.str(pathPtr));
    try {
      if (!this._checkMkdir(p)) return 0;
      this._dirs.add(p);
      this.#pending.delete(p);
      this.#pending.set(p, { kind: 'd' });
      this.#schedule();
      return 0;
    } catch (err) {
      return this.fail(err, errPtr, 'mkdir', p);
    }
  }

  rmdir(pathPtr, errPtr) {
    const p = normPath(this.str(pathPtr));
    try {
      this._checkRmdir(p);
      this._dirs.delete(p);
      this.#pending.delete(p);
      this.#pending.set(p, { kind: 'gone' });
      this.#schedule();
      return 0;
    } catch (err) {
      return this.fail(err, errPtr, 'rmdir', p);
    }
  }

  // A new file object under the name, written whole in the next transaction (which also holds
  // every earlier change): the name holds the old contents or the new after a crash. Handles
  // opened before keep the old object.
  replace(pathPtr, data, n, errPtr) {
    const p = normPath(this.str(pathPtr));
    try {
      if (this._isDir(p)) throw hostError(CODES.INVALID_ARGUMENT, `replace ${p}: is a folder`);
      this._checkParent('replace', p);
      this.#refuseWhileFailing('replace', p);
      const file = newFile();
      ensure(file, n);
      file.data.set(this.module.HEAPU8.subarray(data, data + n), 0);
      file.size = n;
      this._files.set(p, file);
      this.#pending.delete(p);
      const c = this.#touch(p, file, 0, n);
      c.wipeFrom = 0;
      this.#durable();
      return 0;
    } catch (err) {
      return this.fail(err, errPtr, 'replace', p);
    }
  }

  // PathHost's sync_dir: a durability point.
  _syncNames() {
    this.#refuseWhileFailing('sync_dir', '');
    this.#durable();
  }
}
