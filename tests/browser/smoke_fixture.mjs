// Run in a page or a worker by smoke.test.mjs: opens OPFS and IndexedDB and reports what it found.

function idbOpen(name) {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, 1);
    req.onupgradeneeded = () => req.result.createObjectStore('s');
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('aborted'));
  });
}

// Writes `text` to OPFS file `file` and IndexedDB key `file`, reads both back.
export async function probe(file, text) {
  const out = {
    worker: typeof WorkerGlobalScope !== 'undefined' && self instanceof WorkerGlobalScope,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    locks: typeof navigator.locks?.request === 'function',
  };
  const dir = await navigator.storage.getDirectory();
  const fh = await dir.getFileHandle(file, { create: true });
  const w = await fh.createWritable();
  await w.write(new TextEncoder().encode(text));
  await w.close();
  out.opfs = await (await fh.getFile()).text();
  out.syncHandle = typeof fh.createSyncAccessHandle === 'function';
  if (out.syncHandle && out.worker) {
    const h = await fh.createSyncAccessHandle();
    const buf = new Uint8Array(h.getSize());
    h.read(buf, { at: 0 });
    h.close();
    out.syncRead = new TextDecoder().decode(buf);
  }
  const db = await idbOpen('smoke');
  const tx = db.transaction('s', 'readwrite', { durability: 'strict' });
  tx.objectStore('s').put(new TextEncoder().encode(text), file);
  await done(tx);
  const rtx = db.transaction('s', 'readonly');
  const req = rtx.objectStore('s').get(file);
  await done(rtx);
  out.idb = new TextDecoder().decode(req.result);
  db.close();
  return out;
}

// Reads back what probe() wrote (after a reload or a restart).
export async function readBack(file) {
  const dir = await navigator.storage.getDirectory();
  const fh = await dir.getFileHandle(file);
  const opfs = await (await fh.getFile()).text();
  const db = await idbOpen('smoke');
  const tx = db.transaction('s', 'readonly');
  const req = tx.objectStore('s').get(file);
  await done(tx);
  db.close();
  return { opfs, idb: req.result ? new TextDecoder().decode(req.result) : null };
}

// Throws an error with a cause, to show the harness brings errors back whole.
export async function fails() {
  const cause = new DOMException('the cause', 'QuotaExceededError');
  const e = new Error('it failed', { cause });
  e.code = 'STRATA_TEST';
  throw e;
}

// Logs an error to the console, then fails: the harness shows the console error with the failure.
export async function logsThenFails(text) {
  console.error(text);
  await new Promise((r) => setTimeout(r, 50));
  throw new Error('failed after logging');
}
