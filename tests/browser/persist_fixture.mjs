// Run in Chromium by persistence.test.mjs: databases opened through the package's public API
// (from a page: in the package's worker), kept open in this module between calls.
import { open } from '../../bindings/js/src/index_browser.js';

const dbs = new Map();
const key = (i) => `k${String(i).padStart(7, '0')}`;
const value = (i) => `value ${i} `.padEnd(100, 'x');

export async function openDb(name, options = {}) {
  const db = await open(name, { valueEncoding: 'utf8', ...options });
  dbs.set(name, db);
  return { backend: db.backend, recovery: db.recovery };
}

export async function closeDb(name) {
  await dbs.get(name).close();
  dbs.delete(name);
}

// Writes keys [from, from + count), each awaited; `batch` > 0 writes batches of that many.
export async function write(name, from, count, { sync = false, batch = 0 } = {}) {
  const db = dbs.get(name);
  if (batch) {
    for (let i = from; i < from + count; i += batch) {
      const ops = [];
      for (let j = i; j < Math.min(i + batch, from + count); j++) ops.push({ type: 'put', key: key(j), value: value(j) });
      await db.batch(ops, { sync });
    }
  } else {
    for (let i = from; i < from + count; i++) await db.put(key(i), value(i), { sync });
  }
  return count;
}

// Keeps writing `sync: true` puts from `from` until the page dies; globalThis.__acked is the
// count acknowledged so far.
export function writeUntilKilled(name, from) {
  const db = dbs.get(name);
  globalThis.__acked = 0;
  (async () => {
    for (let i = from; ; i++) {
      await db.put(key(i), value(i), { sync: true });
      globalThis.__acked = i - from + 1;
    }
  })().catch(() => {});
  return true;
}

// How many of [from, from + count) are present and right, and the first missing keys.
export async function verify(name, from, count) {
  const db = dbs.get(name);
  const keys = [];
  for (let i = from; i < from + count; i++) keys.push(key(i));
  const got = await db.getMany(keys);
  const missing = [];
  let good = 0;
  got.forEach((v, j) => { if (v === value(from + j)) good++; else if (missing.length < 5) missing.push(keys[j]); });
  return { good, missing };
}

// Opens `name` and reports the error's code and message (the second opener's STRATA_LOCKED).
export async function tryOpen(name, options = {}) {
  try {
    const db = await open(name, options);
    dbs.set(name, db);
    return { opened: true };
  } catch (e) {
    return { opened: false, code: e.code, message: e.message };
  }
}
