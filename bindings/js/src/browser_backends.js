// The browsers' storage backends behind open(name, { backend }): which one 'auto' means here,
// the storage host of each (the object the JS-backed VFS calls, as node_host.js is in Node:
// opfs_host.js, idb_host.js), and the stored databases' list and removal. A name is a database
// on each backend: 'notes' on OPFS and 'notes' on IndexedDB are two databases (each with its own
// Web Lock). No Node built-ins.
import { StrataError } from './errors.js';
import { IdbHost, deleteIdbDatabase, listIdbDatabases } from './idb_host.js';
import { OpfsHost, deleteOpfsDatabase, listOpfsDatabases } from './opfs_host.js';

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
  if (backend === 'memory') return null;
  if (backend === 'opfs') return OpfsHost.open(name, hostOptions);
  return IdbHost.open(name, hostOptions);
}

// Removes `name` from every backend of this context; STRATA_LOCKED while it is open anywhere.
export async function deleteStored(name, options = {}) {
  const hostOptions = options.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: options.lockTimeoutMs };
  let existed = false;
  if (opfsHere()) existed = (await deleteOpfsDatabase(name, hostOptions)) || existed;
  if (idbHere()) existed = (await deleteIdbDatabase(name, hostOptions)) || existed;
  return existed;
}

// The names stored on any backend, sorted, each once.
export async function listStored() {
  const names = new Set();
  if (opfsHere()) for (const n of await listOpfsDatabases()) names.add(n);
  if (idbHere()) for (const n of await listIdbDatabases()) names.add(n);
  return [...names].sort();
}
