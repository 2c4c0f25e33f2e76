// Run in Chromium by multi_tab.test.mjs: one database per tab opened with multiTab: true through
// the public API, kept in this module between calls, with a writer loop that runs across a
// hand-over and records what was acknowledged and what was rejected.
import { open } from '../../bindings/js/src/index_browser.js';

let db = null;
let snap = null;
let it = null;
const key = (i) => `k${String(i).padStart(7, '0')}`;
const value = (i) => `value ${i} `.padEnd(60, 'x');

export async function openDb(name, options = {}) {
  db = await open(name, { keyEncoding: 'utf8', valueEncoding: 'utf8', multiTab: true, ...options });
  return { backend: db.backend, build: db.build, status: db.status };
}

export async function tryOpen(name, options) {
  try {
    const d = await open(name, options);
    await d.close();
    return { opened: true };
  } catch (e) {
    return { opened: false, code: e.code, message: e.message };
  }
}

export async function closeDb() {
  await db.close();
  return db.status;
}

export async function write(from, count) {
  for (let i = from; i < from + count; i++) await db.put(key(i), value(i), { sync: true });
  return count;
}

// The keys of `list` that are missing or wrong.
export async function missing(list) {
  const got = await db.getMany(list.map(key));
  return list.filter((i, j) => got[j] !== value(i));
}

export async function range(from, count) {
  return missing(Array.from({ length: count }, (_, j) => from + j));
}

// Opens a snapshot and an iterator (handles on the serving tab) and reads through both.
export async function openHandles() {
  snap = db.snapshot();
  it = db.iterator({ snapshot: snap });
  const first = await it.next();
  return { first: first[0], snapGet: await snap.get(key(0)) };
}

export async function useHandles() {
  const out = {};
  for (const [what, fn] of [['iterator', () => it.next()], ['snapshot', () => snap.get(key(0))], ['iteratorOption', () => db.iterator({ snapshot: snap }).next()]]) {
    try {
      await fn();
      out[what] = { ok: true };
    } catch (e) {
      out[what] = { code: e.code, message: e.message };
    }
  }
  await it.close(); // closing what went away resolves
  snap.close();
  return out;
}

// sync: true puts from `from`, each awaited, until stopLoop(); a rejected put is recorded and the
// loop goes on with the next key.
let loop = null;
export function startLoop(from) {
  loop = { acked: [], rejected: [], stop: false, done: null };
  loop.done = (async () => {
    for (let i = from; !loop.stop; i++) {
      try {
        await db.put(key(i), value(i), { sync: true });
        loop.acked.push(i);
      } catch (e) {
        loop.rejected.push({ i, code: e.code, message: e.message });
      }
    }
  })();
  return true;
}

export function loopCount() {
  return loop.acked.length;
}

export async function stopLoop() {
  loop.stop = true;
  await loop.done;
  return { acked: loop.acked, rejected: loop.rejected };
}

// Posts `count` puts at once (none awaited before the next is sent); resolves with each outcome.
export async function burst(from, count) {
  const all = [];
  for (let i = from; i < from + count; i++) all.push(db.put(key(i), value(i), { sync: true }).then(() => ({ i, ok: true }), (e) => ({ i, code: e.code, message: e.message })));
  globalThis.__burst = Promise.all(all);
  return true;
}

export async function burstResult() {
  return globalThis.__burst;
}
