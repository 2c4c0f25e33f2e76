// The browsers' storage backends behind open(name, { backend }): which one 'auto' means here,
// the storage host of each (the object the JS-backed VFS calls, as node_host.js is in Node),
// and the stored databases' list and removal. No Node built-ins.
import { StrataError } from './errors.js';

export const BROWSER_BACKEND_NAMES = "'auto', 'opfs', 'idb' or 'memory'";

// OPFS needs FileSystemSyncAccessHandle, which only dedicated workers have.
export function syncHandlesHere() {
  return typeof FileSystemSyncAccessHandle === 'function' && typeof navigator === 'object' && typeof navigator.storage?.getDirectory === 'function';
}

export function resolveBackend(choice, inWorker) {
  if (choice === 'auto') return inWorker && syncHandlesHere() ? 'opfs' : 'idb';
  if (choice === 'opfs' && !syncHandlesHere()) {
    throw new StrataError('STRATA_NOT_SUPPORTED', "backend 'opfs' needs FileSystemSyncAccessHandle, which only dedicated workers have (open from a page runs in one unless worker: false)");
  }
  return choice;
}

function unavailable(backend) {
  return new StrataError('STRATA_NOT_SUPPORTED', `the ${backend} storage host is not part of this build yet`);
}

// The storage host for database `name` (null for the engine's memory backend).
export async function hostFor(backend, name) {
  void name;
  if (backend === 'memory') return null;
  throw unavailable(backend);
}

export async function deleteStored(name) {
  void name;
}

export async function listStored() {
  return [];
}
