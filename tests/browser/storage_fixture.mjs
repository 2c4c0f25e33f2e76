// Run inside Chromium by the storage tests (tests/browser/*.test.mjs): the OPFS host (in a
// dedicated worker) and the IndexedDB host (page or worker) under the storage conformance suite
// and under the engine itself. Module-level state (open databases) persists between calls.
import { Native } from '../../bindings/js/src/native.js';
import { OpfsHost, deleteOpfsDatabase, listOpfsDatabases } from '../../bindings/js/src/opfs_host.js';

async function openHost(backend, name, options) {
  if (backend === 'opfs') return OpfsHost.open(name, options);
  const { IdbHost } = await import('../../bindings/js/src/idb_host.js');
  return IdbHost.open(name, options);
}

function vfsCheck(native, dir) {
  const p = native.cstring(dir);
  try {
    native.check(native.m._strata_js_vfs_check(native.vfs, p));
  } finally {
    native.m._free(p);
  }
}

// The storage conformance suite (tests/c/vfs_conformance.c) on a fresh host of `backend`.
export async function conformance(backend, name, options = {}) {
  const host = await openHost(backend, name, options);
  const native = await Native.load({ host });
  try {
    vfsCheck(native, 'walk');
    await host.settle();
    return { pool: host.pool ?? null };
  } finally {
    native.free();
  }
}

export { listOpfsDatabases, deleteOpfsDatabase };
