// strata-lsm in browsers: the same API as the Node entry (index.js), with databases named
// instead of folders and kept in the origin's storage.
//
//   import { open } from 'strata-lsm';
//   const db = await open('notes', { backend: 'auto', valueEncoding: 'utf8' });
//
// Called from a page, open() starts a dedicated worker (browser_worker.js) that runs the engine,
// and returns a proxy (worker_proxy.js): every call is one message, in call order; a batch and
// an iterator page are one message each; buffers read come back transferred. Called inside a
// worker, the engine runs in that thread and calls are direct. Backends: 'opfs' (sync access
// handles: dedicated workers only), 'idb' (IndexedDB), 'memory'; 'auto' is OPFS where
// FileSystemSyncAccessHandle exists, else IndexedDB. Threads: the pthreads build when the page
// is cross-origin isolated (COOP/COEP), else the single-threaded build with its maintenance steps
// between requests. No Node built-ins.
import { BROWSER_BACKEND_NAMES, deleteStored, hostFor, listStored, resolveBackend } from './browser_backends.js';
import { RECOVERY_MODES, openDatabase } from './database.js';
import { StrataError, fromWire, invalid } from './errors.js';
import { engineConstants, loadModule } from './engine_browser.js';
import { checkLocation, encodingOf } from './keys.js';
import { Native } from './native.js';
import { BROWSER_BACKENDS, checkOpenOptions } from './options.js';
import { connect } from './worker_proxy.js';

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
  const host = await hostFor(backend, name, options);
  let native;
  try {
    native = await Native.load({ host, memory: backend === 'memory', threads, wasmUrl, loadModule });
  } catch (err) {
    host?.closeAll(); // its Web Lock and files go with the failed open
    throw err;
  }
  // the host keeps each database's files apart: the engine's folder is the same name in each
  const db = openDatabase(native, 'db', name, { ...options, threads }, parsed, recoveryMode, encodings);
  db.backend = backend;
  db.build = native.variant; // 'st' or 'mt'
  return db;
}

// The page side: a dedicated worker per database, which opens it and serves it.
function workerUrlOf(options) {
  if (options.workerUrl === undefined) return new URL('./browser_worker.js', import.meta.url);
  if (typeof options.workerUrl !== 'string' && !(options.workerUrl instanceof URL)) throw invalid('workerUrl must be a URL or a string');
  return new URL(options.workerUrl, globalThis.location?.href);
}

// Starts the package's worker and sends it `request`; resolves with its first answer.
function startWorker(options, request, label) {
  const url = workerUrlOf(options);
  const w = new Worker(url, { type: 'module', name: label });
  return new Promise((resolve, reject) => {
    const fail = (e) => {
      e?.preventDefault?.();
      w.terminate();
      reject(new StrataError('STRATA_NOT_SUPPORTED', `the database worker ${url.href} did not start${e?.message ? `: ${e.message} (${e.filename}:${e.lineno})` : ''} (pass workerUrl where the app serves bindings/js/src/browser_worker.js)`));
    };
    w.addEventListener('error', fail, { once: true });
    w.addEventListener('message', (e) => {
      w.removeEventListener('error', fail);
      resolve({ worker: w, answer: e.data });
    }, { once: true });
    try {
      w.postMessage(request);
    } catch (err) {
      w.terminate();
      reject(new StrataError('STRATA_INVALID_ARGUMENT', `${label}: an option cannot be sent to the database worker (${err.message})`, { cause: err }));
    }
  });
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
  const { worker, answer } = await startWorker(options, { open: { name, options: crossing(options) } }, `strata-lsm ${name}`);
  if (!answer.ready) {
    worker.terminate();
    throw fromWire(answer.error);
  }
  const db = connect({
    post: (msg) => worker.postMessage(msg),
    listen: ({ message, error }) => {
      worker.addEventListener('message', (e) => message(e.data));
      worker.addEventListener('error', (e) => { e.preventDefault?.(); error(new Error(e.message || 'the worker failed')); });
      worker.addEventListener('messageerror', () => error(new Error('a reply could not be deserialized')));
    },
    terminate: () => worker.terminate(),
  }, answer);
  db.backend = answer.backend;
  db.build = answer.build;
  return db;
}

// open(name, { backend, worker, workerUrl, wasmUrl, ...the Node options }).
export async function open(name, options = {}) {
  if (options === null || typeof options !== 'object') throw invalid('options must be an object');
  if (options.worker !== undefined && typeof options.worker !== 'boolean') throw invalid(`worker must be true or false, not ${JSON.stringify(options.worker)}`);
  if (inWorker || options.worker === false) return openHere(name, options);
  return openFromPage(name, options);
}

// Deletes a closed database from every backend that has it (resolves true when one had it);
// STRATA_LOCKED, naming it, while it is open in any tab or worker. Runs in the calling context
// (OPFS folders and IndexedDB can be removed from pages too).
export async function deleteDatabase(name, options = {}) {
  checkName(name);
  if (options === null || typeof options !== 'object') throw invalid('options must be an object');
  return deleteStored(name, options);
}

// The names of the databases this origin stores (OPFS and IndexedDB), sorted, each once.
export async function listDatabases() {
  return listStored();
}

export default { open, deleteDatabase, listDatabases, StrataError };
