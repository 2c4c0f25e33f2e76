// bench/browser/roundtrip.mjs -- what one awaited call from a page costs, piece by piece
// (bench/browser/roundtrip_run.mjs loads this module in a page and in a worker of the test
// harness): the bare page<->worker message round trip, strata-lsm's awaited put / has / get from
// the page (the package's worker) and in the worker (no messages), and browser-level's awaited
// put, each returning ops/s and µs per op. Not a test: timings only.
// Relative to this module, so that on a cross-origin isolated page (this module loaded from the
// harness's /coi/ path, roundtrip_run.mjs --isolated) the package and its worker come with
// COOP/COEP too: a worker script served without them is refused there, and a call awaiting
// that worker would never settle.
const SRC = new URL('../../bindings/js/src/', import.meta.url).pathname;
const STRATA = `${SRC}index_browser.js`;
const BROWSER_LEVEL = new URL('../../build/browser-bench/browser-level.js', import.meta.url).pathname; // bundled by run.mjs (bundlePeers)

const key = (i) => {
  const k = new Uint8Array(16);
  new DataView(k.buffer).setUint32(12, i);
  return k;
};
const value = (i) => new Uint8Array(100).fill(i & 0xff);
const rate = (ops, ms) => ({ ops, ms, ops_per_s: Math.round(ops / (ms / 1000)), us_per_op: Math.round((ms * 1000 / ops) * 10) / 10 });

// Runs `op(i)` awaited n times: ops/s over the whole run, and the median µs/op of chunks of 500
// (less sensitive to the other processes of a loaded machine than the whole run's mean).
async function timed(n, op) {
  const CHUNK = 500;
  const chunks = [];
  const t0 = performance.now();
  for (let i = 0; i < n;) {
    const c0 = performance.now();
    const end = Math.min(n, i + CHUNK);
    for (; i < end; i++) await op(i);
    chunks.push(((performance.now() - c0) * 1000) / CHUNK);
  }
  const r = rate(n, performance.now() - t0);
  chunks.sort((a, b) => a - b);
  r.chunk_us = Math.round(chunks[chunks.length >> 1] * 10) / 10;
  return r;
}

// The floor: a worker that echoes each message, awaited one at a time, over a MessagePort
// (as the package's databases are served) or the worker's own postMessage.
// With `task`, each echo also schedules a task first, as the engine's maintenance is scheduled
// after a write ('channel': a MessageChannel message to itself, 'postTask': scheduler.postTask,
// 'timeout': setTimeout 0, 'micro': queueMicrotask).
const ECHO = (task) => `
  let ch = null;
  const schedule = {
    channel: () => { if (!ch) { ch = new MessageChannel(); ch.port1.onmessage = () => {}; } ch.port2.postMessage(0); },
    postTask: () => scheduler.postTask(() => {}),
    timeout: () => setTimeout(() => {}, 0),
    micro: () => queueMicrotask(() => {}),
    none: () => {},
  }[${JSON.stringify(task)}];
  self.onmessage = (e) => {
    if (e.data && e.data.port) { const p = e.data.port; p.onmessage = (m) => { schedule(); p.postMessage(m.data); }; return; }
    schedule();
    self.postMessage(e.data);
  };`;

export async function echo({ n = 20000, via = 'port', payload = 'small', task = 'none' } = {}) {
  const w = new Worker(URL.createObjectURL(new Blob([ECHO(task)], { type: 'text/javascript' })));
  try {
    let target = w;
    let recv = (fn) => { w.onmessage = (e) => fn(e.data); };
    if (via === 'port') {
      const { port1, port2 } = new MessageChannel();
      w.postMessage({ port: port2 }, [port2]);
      target = port1;
      recv = (fn) => { port1.onmessage = (e) => fn(e.data); };
    }
    let wake = null;
    recv((d) => wake(d));
    // the shapes a put could cross in: as worker_proxy.js posts it, its two buffers as one
    // array, that array's buffer transferred, and without buffers at all
    const both = () => { const b = new Uint8Array(116); b.set(key(1)); b.set(value(1), 16); return b; };
    const make = {
      small: () => ({ id: 1 }),
      put: () => ({ id: 1, target: 'db', op: 'put', args: [key(1), value(1), undefined] }),
      put1: () => ({ id: 1, target: 'db', op: 'put', args: [both(), 16] }),
      putT: () => { const b = both(); return [{ id: 1, target: 'db', op: 'put', args: [b, 16] }, [b.buffer]]; },
      strings: () => ({ id: 1, target: 'db', op: 'put', args: ['k'.repeat(16), 'v'.repeat(100)] }),
    }[payload];
    const once = () => new Promise((resolve) => {
      wake = resolve;
      const m = make();
      if (payload === 'putT') target.postMessage(m[0], m[1]);
      else target.postMessage(m);
    });
    for (let i = 0; i < 1000; i++) await once(); // warm up
    return await timed(n, once);
  } finally {
    w.terminate();
  }
}

// Cross-origin isolated pages only: the same awaited echo over a SharedArrayBuffer, the page
// bumping a request counter with Atomics.notify and awaiting the reply counter with
// Atomics.waitAsync, the worker waiting with Atomics.waitAsync (so it could still take messages)
// and copying a 116-byte request into the reply area.
const SAB_ECHO = `
  self.onmessage = (e) => {
    const flags = new Int32Array(e.data.sab, 0, 2);
    const bytes = new Uint8Array(e.data.sab, 8);
    let seen = 0;
    const loop = () => {
      const w = Atomics.waitAsync(flags, 0, seen);
      const go = () => {
        seen = Atomics.load(flags, 0);
        bytes.copyWithin(128, 0, 116);
        Atomics.store(flags, 1, seen);
        Atomics.notify(flags, 1);
        loop();
      };
      if (w.async) w.value.then(go); else go();
    };
    loop();
    self.postMessage('ready');
  };`;

export async function echoShared({ n = 20000 } = {}) {
  if (!globalThis.crossOriginIsolated) return { ops: 0, ms: 0, ops_per_s: null, us_per_op: null, chunk_us: null };
  const w = new Worker(URL.createObjectURL(new Blob([SAB_ECHO], { type: 'text/javascript' })));
  try {
    const sab = new SharedArrayBuffer(8 + 256);
    const flags = new Int32Array(sab, 0, 2);
    const bytes = new Uint8Array(sab, 8);
    await new Promise((resolve) => { w.onmessage = resolve; w.postMessage({ sab }); });
    let seq = 0;
    const once = async () => {
      bytes.set(key(seq));
      bytes.set(value(seq), 16);
      const want = ++seq;
      Atomics.store(flags, 0, want);
      Atomics.notify(flags, 0);
      while (Atomics.load(flags, 1) !== want) {
        const r = Atomics.waitAsync(flags, 1, want - 1);
        if (r.async) await r.value;
      }
    };
    for (let i = 0; i < 1000; i++) await once();
    return await timed(n, once);
  } finally {
    w.terminate();
  }
}

// worker_proxy.js <-> worker_serve.js over a database that does nothing (roundtrip_worker.mjs):
// the messaging layer's own cost per awaited call.
export async function proxyNoop({ n = 20000 } = {}) {
  const { connect } = await import(`${SRC}worker_proxy.js`);
  const w = new Worker(new URL('./roundtrip_worker.mjs', import.meta.url), { type: 'module' });
  const { port1, port2 } = new MessageChannel();
  // a worker that did not start (its script refused) fails here rather than leaving every call
  // waiting
  await new Promise((resolve, reject) => {
    w.onmessage = resolve;
    w.onerror = (e) => reject(new Error(`the no-op worker did not start: ${e.message ?? 'error'}`));
    w.postMessage({ port: port2 }, [port2]);
  });
  const endpoint = {
    post: (msg) => port1.postMessage(msg),
    listen: ({ message }) => { port1.onmessage = (e) => message(e.data); },
    terminate: () => { port1.close(); w.terminate(); },
  };
  const db = connect(endpoint, { location: 'noop', recovery: {} });
  try {
    const k = key(1), v = value(1);
    for (let i = 0; i < 1000; i++) await db.put(k, v);
    return await timed(n, () => db.put(k, v));
  } finally {
    await db.close();
  }
}

// strata-lsm: awaited single puts, then has() and get() of keys written (from a page: through the
// package's worker; in a worker: in that thread).
// `src`: another copy of bindings/js/src served by the harness (roundtrip_run.mjs --before).
export async function strata({ backend = 'memory', n = 20000, tag = 'rt', src = null } = {}) {
  const { open, deleteDatabase } = await import(src ? `${src}/index_browser.js` : STRATA);
  const name = `roundtrip-${tag}-${backend}`;
  const db = await open(name, { backend, sync: false, keyEncoding: 'buffer', valueEncoding: 'buffer' });
  const out = { backend: db.backend, build: db.build };
  try {
    for (let i = 0; i < 1000; i++) await db.put(key(n + i), value(i)); // warm up
    out.put = await timed(n, (i) => db.put(key(i), value(i)));
    out.has = await timed(n, (i) => db.has(key(i)));
    out.get = await timed(n, async (i) => {
      const v = await db.get(key((i * 7919) % n));
      if (!v || v.length !== 100) throw new Error(`get ${i}: wrong value`);
    });
    out.batch = await batches(db, n, 2 * n);
    out.getMany = await getManys(db, n);
    out.scan = await scan(db, 2 * n + 1000);
  } finally {
    await db.close();
    if (backend !== 'memory') await deleteDatabase(name);
  }
  return out;
}

// Awaited batches of 1,000 puts (ops/s per put; building the operations included), keys from
// `base` on.
async function batches(db, n, base) {
  const t0 = performance.now();
  for (let i = 0; i < n; i += 1000) {
    const ops = [];
    for (let j = i; j < Math.min(n, i + 1000); j++) ops.push({ type: 'put', key: key(base + j), value: value(j) });
    await db.batch(ops);
  }
  const r = rate(n, performance.now() - t0);
  r.chunk_us = r.us_per_op;
  return r;
}

// getMany of 1,000 keys at random, awaited one after the other (ops/s per key).
async function getManys(db, n) {
  const t0 = performance.now();
  for (let i = 0; i < n; i += 1000) {
    const keys = [];
    for (let j = i; j < Math.min(n, i + 1000); j++) keys.push(key((j * 7919) % n));
    const vs = await db.getMany(keys);
    if (vs.length !== keys.length || vs.some((v) => !v || v.length !== 100)) throw new Error(`getMany ${i}: wrong values`);
  }
  const r = rate(n, performance.now() - t0);
  r.chunk_us = r.us_per_op;
  return r;
}

// One for await over every entry (ops/s per entry); `want` entries expected.
async function scan(db, want) {
  const t0 = performance.now();
  let count = 0;
  for await (const [k, v] of db.iterator()) {
    if (k.length !== 16 || v.length !== 100) throw new Error(`scan: entry ${count} is wrong`);
    count++;
  }
  if (count !== want) throw new Error(`scan: ${count} entries, ${want} expected`);
  const r = rate(count, performance.now() - t0);
  r.chunk_us = r.us_per_op;
  return r;
}

export async function browserLevel({ n = 2000, tag = 'rt' } = {}) {
  const { BrowserLevel } = await import(BROWSER_LEVEL);
  const db = new BrowserLevel(`roundtrip-${tag}`, { keyEncoding: 'view', valueEncoding: 'view', prefix: 'rt-bl-' });
  await db.open();
  try {
    for (let i = 0; i < 100; i++) await db.put(key(n + i), value(i));
    const put = await timed(n, (i) => db.put(key(i), value(i)));
    const get = await timed(n, async (i) => {
      const v = await db.get(key((i * 7919) % n));
      if (!v || v.length !== 100) throw new Error(`get ${i}: wrong value`);
    });
    return { put, get, batch: await batches(db, 5 * n, 2 * n) };
  } finally {
    await db.close();
    await new Promise((resolve) => { const r = indexedDB.deleteDatabase(`rt-bl-roundtrip-${tag}`); r.onsuccess = r.onerror = r.onblocked = () => resolve(); });
  }
}

// The shape a request and its reply cross in, over the worker's own postMessage (as the
// package's databases are served): a worker that answers each request with a reply of the shape
// `reply`, awaited one at a time. `request`: 'object' (worker_proxy.js's message before: { id,
// target, op, args: [key, value, options], ch }), 'flat' ([id, ch, op, target, key, value]),
// 'flat1' (one Uint8Array for key and value), 'bytes' (one Uint8Array holding the header too),
// 'bytesT' (that, its buffer transferred), 'small' ({ id }). `reply`: 'object' ({ id, value, ch }),
// 'array' ([ch, id]), 'number' (ch * 2^21 + id as one number), 'value' ([ch, id, a 100-byte
// Uint8Array]).
const SHAPE_ECHO = `
  const v = new Uint8Array(100);
  const make = {
    object: (id) => ({ id, value: undefined, ch: 1 }),
    array: (id) => [1, id],
    number: (id) => 1 * 2097152 + id,
    value: (id) => [1, id, v.slice()],
    str: (id) => [1, id, String.fromCharCode.apply(null, v)],
  };
  const scratch = new Uint8Array(4096);
  const unpack = (s) => { for (let i = 0; i < s.length; i++) scratch[i] = s.charCodeAt(i); return scratch.subarray(0, s.length); };
  let reply = null;
  self.onmessage = (e) => {
    const d = e.data;
    if (d && d.reply) { reply = make[d.reply]; self.postMessage(0); return; }
    const id = d.id ?? (Array.isArray(d) ? d[0] : d instanceof Uint8Array ? d[0] : 0);
    if (Array.isArray(d) && typeof d[4] === 'string') { unpack(d[4]); if (typeof d[5] === 'string') unpack(d[5]); }
    self.postMessage(reply(id));
  };`;

export async function shape({ n = 20000, request = 'object', reply = 'object' } = {}) {
  const w = new Worker(URL.createObjectURL(new Blob([SHAPE_ECHO], { type: 'text/javascript' })));
  try {
    let wake = null;
    w.onmessage = reply === 'str' ? (e) => wake(e.data === 0 ? 0 : pack(e.data[2])) : (e) => wake(e.data);
    await new Promise((resolve) => { wake = resolve; w.postMessage({ reply }); });
    const one = () => {
      const b = new Uint8Array(116);
      b.set(key(1));
      b.set(value(1), 16);
      return b;
    };
    const make = {
      object: (id) => ({ id, target: 'db', op: 'put', args: [key(1), value(1), undefined], ch: 1 }),
      flat: (id) => [id, 1, 'put', 'db', key(1), value(1)],
      flat1: (id) => [id, 1, 'put', 'db', one(), 16],
      bytes: (id) => { const b = new Uint8Array(128); b[0] = id & 0xff; b.set(key(1), 12); b.set(value(1), 28); return b; },
      bytesT: (id) => { const b = new Uint8Array(128); b[0] = id & 0xff; b.set(key(1), 12); b.set(value(1), 28); return b; },
      small: (id) => ({ id }),
      str: (id) => [id, 1, 'put', 'db', String.fromCharCode.apply(null, key(1)), String.fromCharCode.apply(null, value(1))],
    }[request];
    const pack = (s) => { const b = new Uint8Array(s.length); for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i); return b; };
    let id = 0;
    const once = () => new Promise((resolve) => {
      wake = resolve;
      const m = make(++id);
      if (request === 'bytesT') w.postMessage(m, [m.buffer]);
      else w.postMessage(m);
    });
    for (let i = 0; i < 1000; i++) await once();
    return await timed(n, once);
  } finally {
    w.terminate();
  }
}
