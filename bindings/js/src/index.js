// strata-lsm: an LSM-tree key-value store (C compiled to WebAssembly) for Node.js.
//
//   const db = await open('./data', { compression: 'lz4' });
//   await db.put('k', 'v'); await db.get('k', { valueEncoding: 'utf8' }); await db.close();
//
// The engine runs on the calling thread: each method does its work synchronously inside the
// returned promise (no thread hop). Keys and values are strings (UTF-8) or Uint8Arrays; reads
// return Uint8Array unless valueEncoding/keyEncoding is 'utf8'. Errors are StrataError with a
// stable `code` (STRATA_NOT_OPEN, STRATA_LOCKED, STRATA_INVALID_ARGUMENT, ...).
//
// This is the Node entry: it resolves paths and plugs the Node file-system host (node_host.js)
// into the engine; database.js, snapshot.js, iterator.js, codecs.js and options.js use no Node
// built-ins.
import path from 'node:path';

import { RECOVERY_MODES, openDatabase, repairWith } from './database.js';
import { StrataError, invalid } from './errors.js';
import { importWith } from './image.js';
import { checkLocation, encodingOf } from './keys.js';
import { engineConstants } from './engine.js';
import { loadNative } from './native_node.js';
import { checkOpenOptions } from './options.js';

export { StrataError };

export async function open(location, options = {}) {
  checkLocation(location);
  // Checked against the limits and defaults of the build the database will run on (st or mt),
  // read from the engine once per process, before the database's own module is loaded.
  const parsed = checkOpenOptions(options, await engineConstants({ threads: options?.threads === true }));
  const memory = location === ':memory:' || options.backend === 'memory';
  const recoveryMode = options.recoveryMode === undefined ? 'strict' : options.recoveryMode;
  if (typeof recoveryMode !== 'string' || !Object.hasOwn(RECOVERY_MODES, recoveryMode)) {
    throw invalid(`recoveryMode must be 'strict' or 'point-in-time', not ${JSON.stringify(options.recoveryMode)}`);
  }
  const valueEncoding = encodingOf(options.valueEncoding, 'valueEncoding');
  if (options.worker) {
    if (options._moduleUrl !== undefined) throw invalid('worker: true cannot be combined with _moduleUrl');
    const { openInWorker } = await import('./worker_client.js');
    return openInWorker(location, options);
  }
  const keyEncoding = encodingOf(options.keyEncoding, 'keyEncoding');
  const native = await loadNative({ threads: !!options.threads, memory, moduleUrl: options._moduleUrl });
  const where = memory ? 'memory-db' : path.resolve(location);
  return openDatabase(native, where, memory ? ':memory:' : where, options, parsed, recoveryMode, { valueEncoding, keyEncoding });
}

// repairDatabase(location) rebuilds a database that no longer opens (C strata_repair): it keeps
// the tables that verify, salvages every intact journal batch, writes a new manifest and moves
// what it could not use to <location>/lost/. Resolves to the report; the database must be closed.
export async function repairDatabase(location, options = {}) {
  checkLocation(location);
  if (location === ':memory:') throw invalid('repairDatabase needs a database folder, not :memory:');
  if (options === null || typeof options !== 'object') throw invalid('options must be an object');
  const native = await loadNative({ moduleUrl: options._moduleUrl });
  return repairWith(native, path.resolve(location));
}

// importDatabase(location, image, { onProgress }) creates the database in `location` (a missing
// or empty folder) from an image that db.export() or `strata export` wrote: a Uint8Array, an
// ArrayBuffer, or an (async) iterable or ReadableStream of chunks. The engine verifies every byte;
// a damaged or truncated image is STRATA_CORRUPTION and leaves nothing behind.
export async function importDatabase(location, image, options = {}) {
  checkLocation(location);
  if (location === ':memory:') throw invalid('importDatabase needs a database folder, not :memory:');
  if (options === null || typeof options !== 'object') throw invalid('options must be an object');
  if (image === null || image === undefined) throw invalid('importDatabase: the image is missing');
  const native = await loadNative({ moduleUrl: options._moduleUrl });
  return importWith(native, path.resolve(location), image, options);
}

export default { open, repairDatabase, importDatabase, StrataError };
