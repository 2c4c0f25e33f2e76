// Run by import_export.test.mjs in a page (the package's worker does the work) and in a worker
// (in that thread): db.export() in chunks, importDatabase() from bytes, an async iterable and a
// ReadableStream, on OPFS and IndexedDB, through the browser entry only.
import * as strata from '../../bindings/js/src/index_browser.js';
import { errorOf } from './harness_common.mjs';

const { open, importDatabase, deleteDatabase } = strata;

const key = (i) => `key${String(i).padStart(6, '0')}`;
const value = (i) => `value ${i} `.repeat(1 + (i % 7));

// The database's entries, in order, checked against what fill() wrote: { count, bad }.
async function verify(db, n) {
  let count = 0;
  const bad = [];
  for await (const [k, v] of db.iterator({ keyEncoding: 'utf8', valueEncoding: 'utf8' })) {
    if (k !== key(count) || v !== value(count)) bad.push(k);
    count++;
  }
  return { count, bad: bad.slice(0, 5), expected: n };
}

// Writes n entries (flushed into tables, plus a journal-only tail) to `name`.
export async function fill(name, n, options) {
  await deleteDatabase(name).catch(() => {});
  const db = await open(name, { ...options, memtableSize: 64 << 10 });
  const ops = [];
  for (let i = 0; i < n - 10; i++) ops.push({ type: 'put', key: key(i), value: value(i) });
  await db.batch(ops);
  await db.flush();
  for (let i = n - 10; i < n; i++) await db.put(key(i), value(i), { sync: true });
  await db.close();
}

// Exports `from` in chunks (for await, then stream()), imports each copy under a new name
// (from an async iterable, a ReadableStream, one Uint8Array) and reads the copies back.
export async function roundTrip(from, n, options) {
  const db = await open(from, options);
  const progress = [];
  const image = db.export({ chunkSize: 16384, onProgress: (p) => progress.push(p) });
  const chunks = [];
  for await (const c of image) chunks.push(c);
  const total = image.total;
  const streamed = db.export({ chunkSize: 32768 }).stream();
  const later = db.export(); // pinned before the next write
  await db.put('after-the-export', 'x');
  const names = [`${from}-iter`, `${from}-stream`, `${from}-bytes`];
  for (const nm of names) await deleteDatabase(nm).catch(() => {});
  await importDatabase(names[1], streamed, options); // while its database is open: the pin holds
  const laterBytes = [];
  for await (const c of later) laterBytes.push(c);
  await db.close();

  const sizes = chunks.map((c) => c.length);
  const out = { total, summed: sizes.reduce((a, b) => a + b, 0), chunks: chunks.length, maxChunk: Math.max(...sizes), lastProgress: progress.at(-1), reports: progress.length };
  const importProgress = [];
  await importDatabase(names[0], (async function* gen() { yield* chunks; })(), { ...options, onProgress: (p) => importProgress.push(p) });
  const whole = new Uint8Array(out.summed);
  let pos = 0;
  for (const c of chunks) { whole.set(c, pos); pos += c.length; }
  await importDatabase(names[2], whole, options);
  out.importLastProgress = importProgress.at(-1);
  out.copies = [];
  for (const nm of names) {
    const copy = await open(nm, { ...options, createIfMissing: false });
    out.copies.push(await verify(copy, n));
    await copy.close();
  }
  const laterDb = `${from}-later`;
  await deleteDatabase(laterDb).catch(() => {});
  await importDatabase(laterDb, laterBytes, options);
  const l = await open(laterDb, { ...options, createIfMissing: false });
  out.laterHasNewKey = await l.has('after-the-export');
  out.later = await verify(l, n);
  await l.close();
  return out;
}

// Bad input through the public API: a damaged image, a truncated one, something that is no
// image, the memory backend, an open database; then the good image imports under the same name
// (nothing was left behind).
export async function refusals(from, options) {
  const db = await open(from, options);
  const good = await db.exportBytes();
  const target = `${from}-bad`;
  await deleteDatabase(target).catch(() => {});
  const damaged = good.slice();
  damaged[damaged.length >> 1] ^= 1;
  const out = {
    damaged: await errorOf(importDatabase(target, damaged, options)),
    truncated: await errorOf(importDatabase(target, good.subarray(0, good.length - 100), options)),
    notAnImage: await errorOf(importDatabase(target, 42, options)),
    missing: await errorOf(importDatabase(target, undefined, options)),
    memory: await errorOf(importDatabase(target, good, { ...options, backend: 'memory' })),
    badName: await errorOf(importDatabase('a/b', good, options)),
    intoOpen: await errorOf(importDatabase(from, good, { ...options, lockTimeoutMs: 50 })),
    exportBadOptions: await errorOf((async () => db.export({ chunkSize: 0 }))()),
  };
  await db.close();
  await importDatabase(target, good, options);
  const copy = await open(target, { ...options, createIfMissing: false });
  out.afterRefusals = await copy.get('key000003', { valueEncoding: 'utf8' });
  await copy.close();
  return out;
}

// Imports and resolves; the test then kills the browser at once.
export async function importThenReturn(from, to, options) {
  const db = await open(from, options);
  const bytes = await db.exportBytes();
  await db.close();
  await deleteDatabase(to).catch(() => {});
  await importDatabase(to, bytes, options);
  return bytes.length;
}

export async function check(name, n, options) {
  const db = await open(name, { ...options, createIfMissing: false });
  try {
    return await verify(db, n);
  } finally {
    await db.close();
  }
}
