// strata-lsm in browsers: the same API as the Node entry (index.js), with databases named
// instead of folders and kept in the origin's storage.
//
//   import { open } from 'strata-lsm';
//   const db = await open('notes', { backend: 'auto', valueEncoding: 'utf8' });
//
// Called from a page, open() starts (once) the page's dedicated worker (browser_worker.js) that
// runs the engine for all of the page's databases, and returns a proxy (worker_proxy.js) over the
// worker's postMessage, on a channel number of the database's own: every call is one message, in
// call order; a batch and
// an iterator page are one message each; buffers read come back transferred. Called inside a
// worker, the engine runs in that thread and calls are direct; the databases of a thread share
// one engine instance of their build (the pthreads one with one pool of background threads for
// all of them). A 'memory' database lives by name in the
// context holding it (a page's in its worker) until deleteDatabase(name). Backends: 'opfs' (sync access
// handles: dedicated workers only), 'idb' (IndexedDB), 'memory'; 'auto' is OPFS where
// FileSystemSyncAccessHandle exists, else IndexedDB. Threads: the pthreads build when the page
// is cross-origin isolated (COOP/COEP), else the single-threaded build with its maintenance steps
// between requests. No Node built-ins.
import { BROWSER_BACKEND_NAMES, deleteStored, hostFor, listStored, memoryShare, memoryVfs, resolveBackend } from './browser_backends.js';
import { RECOVERY_MODES, openDatabaseOnHost } from './database.js';
import { StrataError, fromWire, invalid, toWire } from './errors.js';
import { acquireModule, engineConstants } from './engine_browser.js';
import { chunksOf, importWith } from './image.js';
import { checkLocation, encodingOf } from './keys.js';
import { Native } from './native.js';
import { BROWSER_BACKENDS, checkOpenOptions } from './options.js';
import { openShared, serveTabs } from './multi_tab.js';
import { webLockName } from './web_lock.js';
import { checkProgress } from './progress.js';
import { connect } from './worker_proxy.js';
import { channelOf } from './worker_protocol.js';
import { readyMessage, serve } from './worker_serve.js';

export { StrataError };

const inWorker = typeof WorkerGlobalScope === 'function' && globalThis instanceof WorkerGlobalScope;
const NAME_MAX = 200; // bytes of a database name (it becomes a folder or key prefix in storage)

// A database name: a non-empty string without NUL or '/', not '.' or '..'.
export function checkName(name, what = 'name') {
  if (typeof name !== 'string' || name === '') throw invalid(`${what} must be a non-empty string (a database name)`);
  checkLocation(name, what);
  if (name.includes('/') || name === '.' || name === '..') throw invalid(`${what} must not contain '/' or be '.' or '..': ${JSON.stringify(name)}`);
  if (new TextEncoder().encode(name).length > NAME_MAX) throw invalid(`${what} is longer than ${NAME_MAX} bytes`);
  return name;
}

// The .wasm URL of a build from the wasmUrl option: one URL, or { st, mt }.
function wasmUrlOf(option, variant) {
  if (option === undefined) return undefined;
  if (typeof option === 'string' || option instanceof URL) return new URL(option, globalThis.location?.href).href;
  if (option !== null && typeof option === 'object') return option[variant] === undefined ? undefined : new URL(option[variant], globalThis.location?.href).href;
  throw invalid('wasmUrl must be a URL, a string or { st, mt }');
}

// The build: the pthreads one where threads are possible (cross-origin isolated), unless the
// caller chose; threads: true where they are not is refused.
function threadsFor(option) {
  const possible = globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function';
  if (option === true && !possible) {
    throw new StrataError('STRATA_NOT_SUPPORTED', 'threads: true needs a cross-origin isolated page (served with COOP: same-origin and COEP: require-corp)');
  }
  return option === undefined ? possible : option;
}

// Opens the database in this thread (a worker, or a page with worker: false).
export async function openHere(name, options = {}) {
  checkName(name);
  if (options === null || typeof options !== 'object') throw invalid('options must be an object');
  // a page's own thread cannot block, which the pthreads build's waits would
  if (!inWorker && options.threads === true) throw new StrataError('STRATA_NOT_SUPPORTED', 'threads: true needs the engine in a worker (worker: false runs it on the page)');
  const threads = inWorker ? threadsFor(options.threads) : false;
  const wasmUrl = wasmUrlOf(options.wasmUrl, threads ? 'mt' : 'st');
  const parsed = checkOpenOptions(options, await engineConstants({ threads, wasmUrl }), BROWSER_BACKENDS);
  const recoveryMode = options.recoveryMode === undefined ? 'strict' : options.recoveryMode;
  if (typeof recoveryMode !== 'string' || !Object.hasOwn(RECOVERY_MODES, recoveryMode)) {
    throw invalid(`recoveryMode must be 'strict' or 'point-in-time', not ${JSON.stringify(options.recoveryMode)}`);
  }
  const encodings = { valueEncoding: encodingOf(options.valueEncoding, 'valueEncoding'), keyEncoding: encodingOf(options.keyEncoding, 'keyEncoding') };
  const { lockTimeoutMs } = options;
  if (lockTimeoutMs !== undefined && !(Number.isInteger(lockTimeoutMs) && lockTimeoutMs >= 0 && lockTimeoutMs <= 60_000)) {
    throw invalid(`lockTimeoutMs must be an integer in 0..60000, not ${JSON.stringify(lockTimeoutMs)}`);
  }
  const backend = resolveBackend(options.backend ?? 'auto', inWorker);
  if (options.multiTab === true && backend === 'memory') throw invalid("multiTab needs a stored backend ('opfs' or 'idb'): a 'memory' database is this context's own");
  let host;
  try {
    host = await hostFor(backend, name, options);
  } catch (err) {
    if (options.multiTab === true && err?.code === 'STRATA_LOCKED') err.lockName = webLockName(backend, name); // multi_tab.js connects to its holder
    throw err;
  }
  let opened = false;
  const native = await nativeOn(host, backend === 'memory' ? name : null, { threads, wasmUrl }, () => opened);
  // the host keeps each database's files apart: the engine's folder is the same name in each
  const db = await openDatabaseOnHost(native, 'db', name, { ...options, threads }, parsed, recoveryMode, encodings);
  opened = true;
  db.backend = backend;
  db.build = native.variant; // 'st' or 'mt'
  if (options.multiTab === true) serveTabs(webLockName(backend, name), db);
  return db;
}

// A Native for one database on this thread's engine instance (engine_core.js acquireModule: one
// shared by every database of a build here): on `host`,
// or for memory database `memoryName` on its vfs kept by name (browser_backends.js memoryVfs;
// `opened()` says, once the Native is freed, whether the open succeeded: a memory database a
// failed open made is forgotten). The host is closed when this fails.
async function nativeOn(host, memoryName, { threads, wasmUrl }, opened = () => true) {
  let share;
  try {
    // a memory database kept by name lives in the instance that made it
    const kept = memoryName === null ? null : memoryShare(memoryName);
    if (kept && kept.variant !== (threads ? 'mt' : 'st')) {
      throw invalid(`memory database "${memoryName}" lives in the ${kept.variant === 'mt' ? 'pthreads' : 'single-threaded'} build here: open it with threads: ${kept.variant === 'mt'}, or delete it first`);
    }
    share = kept ? kept.retain() : await acquireModule({ threads, wasmUrl });
  } catch (err) {
    host?.closeAll(); // its Web Lock and files go with the failed open
    throw err;
  }
  let mem = null;
  try {
    if (memoryName !== null) mem = memoryVfs(memoryName, share);
  } catch (err) {
    share.release();
    throw err;
  }
  try {
    return Native.on(share, { host, memory: memoryName !== null, vfs: mem?.vfs, onFree: mem ? () => mem.onFree(opened()) : undefined });
  } catch (err) {
    host?.closeAll();
    mem?.onFree(false);
    throw err;
  }
}

// The page side: one dedicated worker (per workerUrl) serving every database the page opens.
function workerUrlOf(options) {
  if (options.workerUrl === undefined) return new URL('./browser_worker.js', import.meta.url);
  if (typeof options.workerUrl !== 'string' && !(options.workerUrl instanceof URL)) throw invalid('workerUrl must be a URL or a string');
  return new URL(options.workerUrl, globalThis.location?.href);
}

// The page's database workers, by script URL: each serves every database the page opens with
// that workerUrl, so the page's databases share one worker and one engine instance however many
// there are. Every message goes over the worker's own postMessage (a dedicated worker's direct
// path: a round trip there cost ~2 µs less than over a MessageChannel's ports); the requests and
// replies of worker_proxy.js carry their database's channel number (worker_protocol.js). Its control messages,
// answered by id: { open: { name, options }, channel } -> the ready message (or failed one) of
// worker_serve.js, the database then served under `ch: channel`; { dropChannel } once the page
// let go of it; { deleteMemory: name } -> { value } or { error }.
// A worker ends WORKER_IDLE_MS after it serves no database and holds no memory database.
const pageWorkers = new Map(); // URL -> PageWorker
const WORKER_IDLE_MS = 1000;

class PageWorker {
  #worker;
  #pending = new Map(); // id -> resolve(reply)
  #nextId = 1;
  #served = new Set(); // the error handlers of the databases it serves
  #channels = new Map(); // channel number -> the message handler of the database served on it
  #nextChannel = 1;
  #answered = false; // a reply came: the script runs
  #idle = null;
  memory = new Set(); // names of the memory databases it holds (they live as long as it)

  constructor(url) {
    this.url = url;
    this.#worker = new Worker(url, { type: 'module', name: 'strata-lsm' });
    this.#worker.addEventListener('message', (e) => {
      const data = e.data;
      const ch = channelOf(data); // a reply of worker_serve.js (worker_protocol.js)
      if (ch !== undefined) {
        this.#channels.get(ch)?.(data);
        return;
      }
      const resolve = this.#pending.get(data?.id);
      if (!resolve) return;
      this.#answered = true;
      this.#pending.delete(e.data.id);
      resolve(data);
      this.#checkIdle();
    });
    this.#worker.addEventListener('messageerror', () => {
      for (const error of this.#served) error(new Error('a reply could not be deserialized'));
    });
    this.#worker.addEventListener('error', (e) => {
      e?.preventDefault?.();
      this.#fail(this.#answered
        ? new StrataError('STRATA_IO', `the database worker failed: ${e?.message || 'error'}`)
        : new StrataError('STRATA_NOT_SUPPORTED', `the database worker ${url.href} did not start${e?.message ? `: ${e.message} (${e.filename}:${e.lineno})` : ''} (pass workerUrl where the app serves bindings/js/src/browser_worker.js)`));
    });
  }

  static for(options) {
    const url = workerUrlOf(options);
    let w = pageWorkers.get(url.href);
    if (!w) {
      w = new PageWorker(url);
      pageWorkers.set(url.href, w);
    }
    return w;
  }

  // Every request waiting and every database served fails with err; the worker ends.
  #fail(err) {
    if (pageWorkers.get(this.url.href) === this) pageWorkers.delete(this.url.href);
    this.#worker.terminate();
    for (const resolve of this.#pending.values()) resolve({ id: 0, ready: false, error: toWire(err), failed: err });
    this.#pending.clear();
    for (const error of this.#served) error(err);
    this.#served.clear();
    this.#channels.clear();
    this.memory.clear();
  }

  // Posts a control message; resolves with the reply.
  request(msg, transfer = [], what = 'open') {
    this.#cancelIdle();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, resolve);
      try {
        this.#worker.postMessage({ ...msg, id }, transfer);
      } catch (err) {
        this.#pending.delete(id);
        reject(new StrataError('STRATA_INVALID_ARGUMENT', `${what}: an option cannot be sent to the database worker (${err.message})`, { cause: err }));
        this.#checkIdle();
      }
    });
  }

  // Opens database `name` in the worker: { ready, endpoint } for connect() (worker_proxy.js).
  async open(name, options) {
    const ch = this.#nextChannel++;
    const answer = await this.request({ open: { name, options }, channel: ch }, [], `open ${name}`);
    if (!answer.ready) {
      if (answer.failed) throw answer.failed;
      const err = fromWire(answer.error);
      if (answer.lock) err.lockName = answer.lock;
      throw err;
    }
    if (answer.backend === 'memory') this.memory.add(name);
    const served = { error: null };
    const onError = (err) => served.error?.(err);
    this.#served.add(onError);
    return {
      ready: answer,
      endpoint: {
        post: (msg, transfer = []) => {
          msg[0] = ch; // a request of worker_protocol.js
          this.#worker.postMessage(msg, transfer);
        },
        listen: ({ message, error }) => {
          served.error = error;
          this.#channels.set(ch, message);
        },
        terminate: () => {
          if (this.#channels.delete(ch)) this.#worker.postMessage({ dropChannel: ch });
          this.#served.delete(onError);
          this.#checkIdle();
        },
      },
    };
  }

  // Forgets memory database `name` held in the worker (true when it held one).
  async deleteMemory(name) {
    if (!this.memory.has(name)) return false;
    const r = await this.request({ deleteMemory: name }, [], 'deleteDatabase');
    if (r.error) throw r.failed ?? fromWire(r.error);
    this.memory.delete(name);
    this.#checkIdle();
    return r.value === true;
  }

  #cancelIdle() {
    if (this.#idle !== null) clearTimeout(this.#idle);
    this.#idle = null;
  }

  #checkIdle() {
    if (this.#served.size || this.memory.size || this.#pending.size || this.#idle !== null) return;
    this.#idle = setTimeout(() => {
      this.#idle = null;
      if (this.#served.size || this.memory.size || this.#pending.size) return;
      if (pageWorkers.get(this.url.href) === this) pageWorkers.delete(this.url.href);
      this.#worker.terminate(); // its engine instance and wasm memory go with it
    }, WORKER_IDLE_MS);
  }
}

// The options as they cross: URLs made absolute against the page (a worker resolves relative
// ones against its own script).
function crossing(options) {
  const { worker, workerUrl, ...rest } = options;
  void worker;
  void workerUrl;
  if (rest.wasmUrl !== undefined) {
    rest.wasmUrl = typeof rest.wasmUrl === 'object' && !(rest.wasmUrl instanceof URL)
      ? { st: wasmUrlOf(rest.wasmUrl, 'st'), mt: wasmUrlOf(rest.wasmUrl, 'mt') }
      : wasmUrlOf(rest.wasmUrl, 'st');
  }
  return rest;
}

async function openFromPage(name, options) {
  checkName(name);
  if (options.backend !== undefined && !BROWSER_BACKENDS.includes(options.backend)) {
    throw invalid(`backend must be one of ${BROWSER_BACKEND_NAMES}, not ${JSON.stringify(options.backend)}`);
  }
  const startOwn = (opts) => PageWorker.for(options).open(name, crossing(opts));
  const { endpoint, ready: answer } = options.multiTab === true ? await openShared(() => startOwn(sharedOptions(options))) : await startOwn(options);
  const db = connect(endpoint, answer);
  db.backend = answer.backend;
  db.build = answer.build;
  return db;
}

// multiTab: an unavailable lock is asked once (lockTimeoutMs 0 unless given): its holder serves.
function sharedOptions(options) {
  return options.lockTimeoutMs === undefined ? { ...options, lockTimeoutMs: 0 } : options;
}

// multiTab in this thread (a worker, or worker: false): the database opened here is served on
// a MessageChannel of this thread too, so that the handle survives a hand-over as a page's does.
async function openHereShared(name, options) {
  checkName(name);
  const { endpoint, ready } = await openShared(async () => {
    const db = await openHere(name, sharedOptions(options));
    const { port1, port2 } = new MessageChannel();
    serve({ post: (m, t) => port1.postMessage(m, t), listen: (fn) => { port1.onmessage = (e) => fn(e.data); } }, db);
    return {
      ready: { ...readyMessage(db), backend: db.backend, build: db.build },
      endpoint: {
        post: (m, t = []) => port2.postMessage(m, t),
        listen: ({ message }) => { port2.onmessage = (e) => message(e.data); },
        terminate: () => { port1.close(); port2.close(); },
      },
    };
  });
  const db = connect(endpoint, ready);
  db.backend = ready.backend;
  db.build = ready.build;
  return db;
}

// open(name, { backend, worker, workerUrl, wasmUrl, multiTab, ...the Node options }).
export async function open(name, options = {}) {
  if (options === null || typeof options !== 'object') throw invalid('options must be an object');
  if (options.worker !== undefined && typeof options.worker !== 'boolean') throw invalid(`worker must be true or false, not ${JSON.stringify(options.worker)}`);
  if (options.multiTab !== undefined && typeof options.multiTab !== 'boolean') throw invalid(`multiTab must be true or false, not ${JSON.stringify(options.multiTab)}`);
  if (options.multiTab === true && options.backend === 'memory') throw invalid("multiTab needs a stored backend ('opfs' or 'idb'): a 'memory' database is this context's own");
  if (options.persist !== undefined && typeof options.persist !== 'boolean') throw invalid(`persist must be true or false, not ${JSON.stringify(options.persist)}`);
  let db;
  if (inWorker || options.worker === false) db = await (options.multiTab === true ? openHereShared(name, options) : openHere(name, options));
  else db = await openFromPage(name, options);
  db.persisted = await askPersistence(options.persist === true && db.backend !== 'memory');
  return db;
}

// persist: true asks the browser to keep this origin's storage under pressure
// (navigator.storage.persist(): pages only; workers have no such call). Never fails the open:
// true when granted, false when denied or unavailable here, undefined when not asked.
async function askPersistence(asked) {
  if (!asked) return undefined;
  try {
    return typeof globalThis.navigator?.storage?.persist === 'function' ? (await globalThis.navigator.storage.persist()) === true : false;
  } catch {
    return false;
  }
}

// Deletes a closed database from every backend that has it (resolves true when one had it);
// STRATA_LOCKED, naming it, while it is open in any tab or worker. Runs in the calling context
// (OPFS folders and IndexedDB can be removed from pages too); a page's memory databases are
// forgotten in the worker holding them.
export async function deleteDatabase(name, options = {}) {
  checkName(name);
  if (options === null || typeof options !== 'object') throw invalid('options must be an object');
  let existed = false;
  for (const w of pageWorkers.values()) existed = (await w.deleteMemory(name)) || existed;
  return (await deleteStored(name, options)) || existed;
}

// What importDatabase() checks before anything starts, in the page and in the worker.
function checkImport(name, image, options) {
  checkName(name);
  if (options === null || typeof options !== 'object') throw invalid('options must be an object');
  if (image === null || image === undefined) throw invalid('importDatabase: the image is missing');
  const shaped = image instanceof ArrayBuffer || ArrayBuffer.isView(image) || (typeof ReadableStream === 'function' && image instanceof ReadableStream)
    || (typeof image === 'object' && (typeof image[Symbol.iterator] === 'function' || typeof image[Symbol.asyncIterator] === 'function'));
  if (!shaped) throw invalid('importDatabase: the image must be a Uint8Array, an ArrayBuffer or an (async) iterable or ReadableStream of them');
  if (options.backend !== undefined && !BROWSER_BACKENDS.includes(options.backend)) {
    throw invalid(`backend must be one of ${BROWSER_BACKEND_NAMES}, not ${JSON.stringify(options.backend)}`);
  }
  if (options.backend === 'memory') throw invalid("importDatabase needs a stored backend ('auto', 'opfs' or 'idb'): a 'memory' database ends with its worker");
  checkProgress(options.onProgress, 'importDatabase');
}

// Imports in this thread (a worker, or a page with worker: false): the database's Web Lock is
// held meanwhile (STRATA_LOCKED while it is open anywhere) and every byte is durable (the host's
// settle()) before this resolves.
export async function importHere(name, image, options = {}) {
  checkImport(name, image, options);
  const backend = resolveBackend(options.backend ?? 'auto', inWorker);
  const wasmUrl = wasmUrlOf(options.wasmUrl, 'st');
  const host = await hostFor(backend, name, options);
  const native = await nativeOn(host, null, { threads: false, wasmUrl });
  await importWith(native, 'db', image, options); // the same folder name openHere uses
  return backend;
}

// From a page: the package's worker imports, pulling the chunks one message at a time (each a
// copy, transferred), so the page never holds more than a chunk of an iterable or stream.
async function importFromPage(name, image, options) {
  const { onProgress, ...rest } = options;
  const chunks = chunksOf(image);
  const url = workerUrlOf(options);
  const w = new Worker(url, { type: 'module', name: `strata-lsm import ${name}` });
  let sourceError = null;
  try {
    return await new Promise((resolve, reject) => {
      w.addEventListener('error', (e) => {
        e?.preventDefault?.();
        reject(new StrataError('STRATA_NOT_SUPPORTED', `the database worker ${url.href} did not start${e?.message ? `: ${e.message}` : ''} (pass workerUrl where the app serves bindings/js/src/browser_worker.js)`));
      }, { once: true });
      w.addEventListener('message', async ({ data }) => {
        if (data.progress) {
          try { onProgress?.(data.progress); } catch { /* a throwing callback does not stop the import */ }
        } else if (data.pull) {
          try {
            const { done, value } = await chunks.next();
            if (done) w.postMessage({ end: true });
            else {
              const copy = value.slice(); // the caller's buffer stays theirs
              w.postMessage({ chunk: copy }, [copy.buffer]);
            }
          } catch (err) {
            sourceError = err;
            w.postMessage({ fail: `the image source failed: ${err?.message ?? err}` });
          }
        } else if (data.imported) {
          resolve();
        } else {
          reject(sourceError ?? fromWire(data.error));
        }
      });
      w.postMessage({ import: { name, options: { ...crossing(rest), onProgress: onProgress !== undefined } } });
    });
  } finally {
    w.terminate();
    chunks.return?.().catch?.(() => {});
  }
}

// importDatabase(name, image, { backend, onProgress, lockTimeoutMs, worker, workerUrl, wasmUrl })
// creates database `name` (missing or empty on that backend) from an image that db.export() or
// `strata export` wrote: a Uint8Array, an ArrayBuffer, or an (async) iterable or ReadableStream
// of chunks. The engine verifies every byte: a damaged or truncated image is STRATA_CORRUPTION
// and leaves nothing behind. Resolves once the database is durable.
export async function importDatabase(name, image, options = {}) {
  checkImport(name, image, options);
  if (options.worker !== undefined && typeof options.worker !== 'boolean') throw invalid(`worker must be true or false, not ${JSON.stringify(options.worker)}`);
  if (inWorker || options.worker === false) {
    await importHere(name, image, options);
    return;
  }
  await importFromPage(name, image, options);
}

// The worker side of importFromPage (browser_worker.js): `port` is the worker's own scope.
export async function serveImport({ name, options }, port) {
  const waiting = [];
  port.addEventListener('message', (ev) => waiting.shift()?.(ev.data));
  async function* pulled() {
    for (;;) {
      const msg = await new Promise((resolve) => {
        waiting.push(resolve);
        port.postMessage({ pull: true });
      });
      if (msg.end) return;
      if (msg.fail) throw new StrataError('STRATA_INVALID_ARGUMENT', `importDatabase: ${msg.fail}`);
      yield msg.chunk;
    }
  }
  const onProgress = options.onProgress ? (p) => port.postMessage({ progress: p }) : undefined;
  try {
    await importHere(name, pulled(), { ...options, onProgress });
    port.postMessage({ imported: true });
  } catch (err) {
    port.postMessage({ imported: false, error: toWire(err) });
  }
}

// The names of the databases this origin stores (OPFS and IndexedDB) and of this context's
// memory databases (a page's are in its worker), sorted, each once.
export async function listDatabases() {
  const names = new Set(await listStored());
  for (const w of pageWorkers.values()) for (const n of w.memory) names.add(n);
  return [...names].sort();
}

export default { open, deleteDatabase, listDatabases, importDatabase, StrataError };
