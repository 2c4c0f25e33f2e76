// The browsers' storage backends behind open(name, { backend }): which one 'auto' means here,
// the storage host of each (the object the JS-backed VFS calls, as node_host.js is in Node:
// opfs_host.js, idb_host.js), and the stored databases' list and removal. A name is a database
// on each backend: 'notes' on OPFS and 'notes' on IndexedDB are two databases (each with its own
// Web Lock). A 'memory' database is this context's own (a page's databases live in its worker):
// it lives, by name, in the context's shared engine until deleteDatabase(name), so closing and
// reopening it finds its data (as memory-level does). No Node built-ins.
import { StrataError } from './errors.js';

function assert(ok, what) {
  if (!ok) throw new Error(`strata-lsm: internal error: ${what}`);
}
import { IdbHost, deleteIdbDatabase, listIdbDatabases } from './idb_host.js';
import { OpfsHost, checkPoolOptions, deleteOpfsDatabase, listOpfsDatabases } from './opfs_host.js';

export const BROWSER_BACKEND_NAMES = "'auto', 'opfs', 'idb' or 'memory'";

// OPFS needs FileSystemSyncAccessHandle, which only dedicated workers have.
export function syncHandlesHere() {
  return typeof FileSystemSyncAccessHandle === 'function' && typeof navigator === 'object' && typeof navigator.storage?.getDirectory === 'function';
}

function opfsHere() {
  return typeof navigator === 'object' && typeof navigator.storage?.getDirectory === 'function';
}

function idbHere() {
  return typeof indexedDB === 'object' && indexedDB !== null;
}

// 'auto': OPFS where sync access handles exist (a dedicated worker), else IndexedDB.
export function resolveBackend(choice, inWorker) {
  if (choice === 'auto') return inWorker && syncHandlesHere() ? 'opfs' : 'idb';
  if (choice === 'opfs' && !syncHandlesHere()) {
    throw new StrataError('STRATA_NOT_SUPPORTED', "backend 'opfs' needs FileSystemSyncAccessHandle, which only dedicated workers have (open() from a page runs the engine in one unless worker: false)");
  }
  if (choice === 'idb' && !idbHere()) throw new StrataError('STRATA_NOT_SUPPORTED', "backend 'idb': IndexedDB is not available here");
  return choice;
}

// The storage host for database `name` (null for the engine's memory backend): its Web Lock
// taken (STRATA_LOCKED naming the database while another tab or worker holds it, after a short
// bounded retry), its files ready. `options.lockTimeoutMs` bounds the retry.
export async function hostFor(backend, name, options = {}) {
  const hostOptions = options.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: options.lockTimeoutMs };
  const pool = checkPoolOptions(options.opfs); // checked whatever the backend
  if (backend === 'memory') return null;
  if (backend === 'opfs') return OpfsHost.open(name, { ...hostOptions, ...pool });
  return IdbHost.open(name, hostOptions);
}

// The memory databases of this context: name -> { share, vfs, open } (share: the engine
// instance holding the vfs, engine_core.js acquireModule; open: a Native uses it now).
const memoryDatabases = new Map();

// The vfs of memory database `name` on `share` for a new open, and what to call once that open
// is over (its Native freed): { vfs, onFree(kept) }; kept false forgets a database this open
// just made (a failed open). STRATA_LOCKED while it is open here; another build's database of
// that name is refused.
export function memoryVfs(name, share) {
  let entry = memoryDatabases.get(name);
  if (entry?.open) throw new StrataError('STRATA_LOCKED', `memory database "${name}" is already open in this ${inWorkerName()} (close it first)`);
  assert(!entry || entry.share.module === share.module, 'a memory database opens on the instance holding it (memoryShare)');
  const fresh = !entry;
  if (fresh) {
    const vfs = share.module._strata_js_vfs_new(1, 0);
    if (!vfs) throw new StrataError('STRATA_NO_MEMORY', `memory database "${name}": out of wasm memory`);
    entry = { share: share.retain(), vfs, open: false };
    memoryDatabases.set(name, entry);
  }
  entry.open = true;
  return {
    vfs: entry.vfs,
    onFree(kept) {
      entry.open = false;
      if (fresh && !kept) dropMemory(name, entry);
    },
  };
}

// The engine instance holding memory database `name` here, if there is one.
export function memoryShare(name) {
  return memoryDatabases.get(name)?.share ?? null;
}

function dropMemory(name, entry) {
  if (memoryDatabases.get(name) === entry) memoryDatabases.delete(name);
  entry.share.module._strata_js_vfs_free(entry.vfs);
  entry.share.release();
}

function inWorkerName() {
  return typeof WorkerGlobalScope === 'function' && globalThis instanceof WorkerGlobalScope ? 'worker' : 'page';
}

// Forgets memory database `name` of this context (true when there was one); STRATA_LOCKED
// while it is open.
export function deleteMemory(name) {
  const entry = memoryDatabases.get(name);
  if (!entry) return false;
  if (entry.open) throw new StrataError('STRATA_LOCKED', `memory database "${name}" is open in this ${inWorkerName()}: close it before deleting it`);
  dropMemory(name, entry);
  return true;
}

function listMemory() {
  return [...memoryDatabases.keys()];
}

// Removes `name` from every backend of this context; STRATA_LOCKED while it is open anywhere.
export async function deleteStored(name, options = {}) {
  const hostOptions = options.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: options.lockTimeoutMs };
  let existed = deleteMemory(name);
  if (opfsHere()) existed = (await deleteOpfsDatabase(name, hostOptions)) || existed;
  if (idbHere()) existed = (await deleteIdbDatabase(name, hostOptions)) || existed;
  return existed;
}

// The names stored on any backend (this context's memory databases too), sorted, each once.
export async function listStored() {
  const names = new Set(listMemory());
  if (opfsHere()) for (const n of await listOpfsDatabases()) names.add(n);
  if (idbHere()) for (const n of await listIdbDatabases()) names.add(n);
  return [...names].sort();
}
