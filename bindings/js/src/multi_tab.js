// multiTab: true (index_browser.js): several tabs and workers of an origin share one database.
// The context whose open() gets the database's Web Lock (web_lock.js) opens it and serves the
// others; a context that finds the lock held becomes a client of that holder, with the same API
// (worker_proxy.js on the client, worker_serve.js on the holder: the one request protocol, here
// over BroadcastChannels; snapshots and iterators are handles on the holder).
//
//   discovery  BroadcastChannel `<lock>/tabs`: a client posts { connect: id } (again every
//              CONNECT_RETRY_MS until answered: the holder may still be opening);
//   session    BroadcastChannel `<lock>/tabs/<id>`: the holder answers { ready }, then the
//              requests and replies of worker_proxy.js; { bye } once it closes the database.
//   liveness   the client holds the Web Lock `<lock>/tabs/<id>` while open: the holder waits on
//              it and drops the client's snapshots and iterators once it is granted (tab gone);
//              the client waits on the database's lock: granted once the holder closed it or
//              its tab went away, the client then opens the database itself (or, if another
//              waiting client got it first, becomes that one's client) and sends on from there.
//
// At a hand-over nothing is applied twice and nothing is silently dropped: what the old holder
// answered is acknowledged (with sync: true, durable); a request it did not answer is rejected
// with STRATA_NOT_OPEN saying which: after { bye } it was not applied (retry it), after the tab
// went away without one it may or may not have been applied. Snapshots and iterators opened
// through the old holder are gone: their calls reject with STRATA_NOT_OPEN 'the serving tab went
// away'. Requests made during the hand-over wait and go to the new holder.
import { StrataError } from './errors.js';
import { request } from './worker_protocol.js';
import { readyMessage, serve } from './worker_serve.js';

export const CONNECT_RETRY_MS = 50; // a client's { connect } is re-sent this often until answered
export const CONNECT_TIMEOUT_MS = 5000; // a held lock whose holder does not answer: STRATA_LOCKED
export const BYE_WAIT_MS = 200; // replies that may still be on their way when the lock is granted

const tabsChannel = (lock) => `${lock}/tabs`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The holder: serves the other tabs' requests on `db` (open in this context, under `lock`);
// db.close() then first answers what the clients sent, refuses what comes later, says { bye }.
export function serveTabs(lock, db) {
  const base = new BroadcastChannel(tabsChannel(lock));
  const clients = new Map(); // id -> { bc, server, abort }
  let closing = null;
  const drop = (id) => {
    const c = clients.get(id);
    if (!c) return;
    clients.delete(id);
    c.abort.abort();
    c.bc.close();
  };
  base.onmessage = (e) => {
    const id = e.data?.connect;
    if (typeof id !== 'string' || id === '' || clients.has(id) || closing) return;
    const name = `${tabsChannel(lock)}/${id}`;
    const bc = new BroadcastChannel(name);
    let listener = null;
    bc.onmessage = (ev) => listener?.(ev.data);
    const server = serve({ post: (m) => bc.postMessage(m), listen: (fn) => { listener = fn; } }, db, {
      shared: true,
      onClose: () => setTimeout(() => drop(id), 0), // after its reply is posted
    });
    const abort = new AbortController();
    clients.set(id, { bc, server, abort });
    // granted once the client's tab went away without closing: its handles are closed here
    navigator.locks.request(name, { signal: abort.signal }, () => listener?.(request(0, 'db', 'close', 0, []))).catch(() => {});
    bc.postMessage({ ...readyMessage(db), backend: db.backend, build: db.build });
  };
  const close = db.close.bind(db);
  db.close = () => {
    closing ??= (async () => {
      base.close();
      const refused = new StrataError('STRATA_NOT_OPEN', 'the serving tab went away: it closed the database before this request reached it (not applied; retry it)');
      const all = [...clients.values()];
      for (const c of all) c.server.stop(refused);
      await Promise.all(all.map((c) => c.server.idle()));
      for (const c of all) c.bc.postMessage({ bye: true });
      for (const id of [...clients.keys()]) drop(id);
      return close();
    })();
    return closing;
  };
}

// The client side and the hand-over: resolves with { endpoint, ready } for connect()
// (worker_proxy.js). `startOwn()` opens the database in this context and resolves with
// { endpoint, ready } of its server, or rejects with STRATA_LOCKED carrying `lockName`.
export async function openShared(startOwn) {
  const tabId = crypto.randomUUID();
  let handlers = null; // the proxy channel's
  let current = null; // { endpoint, gone?: Promise, bye?: boolean, close() }
  let buffer = null; // requests posted during a hand-over (null: none under way)
  let closed = false;
  let tabLock = null; // { release } of `<lock>/tabs/<id>`, held while a client

  function holdTabLock(lock) {
    if (tabLock) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let release;
      const held = new Promise((r) => { release = r; });
      navigator.locks.request(`${tabsChannel(lock)}/${tabId}`, () => { resolve(); return held; }).catch(reject);
      tabLock = { release };
    });
  }

  // A client of the tab holding `lock`; null when the lock was granted here first.
  async function connectTo(lock) {
    await holdTabLock(lock);
    const bc = new BroadcastChannel(`${tabsChannel(lock)}/${tabId}`);
    const base = new BroadcastChannel(tabsChannel(lock));
    const abort = new AbortController();
    const c = { bye: false, ready: null };
    let readyNow;
    const ready = new Promise((r) => { readyNow = r; });
    bc.onmessage = (e) => {
      const m = e.data;
      if (m?.ready && !c.ready) { c.ready = m; readyNow(m); } else if (m?.bye) c.bye = true;
      else if (c.ready && current === c) handlers.message(m);
    };
    c.gone = navigator.locks.request(lock, { signal: abort.signal }, () => undefined).then(() => true, () => false);
    c.close = () => { abort.abort(); bc.close(); base.close(); };
    c.endpoint = { post: (m) => bc.postMessage(m), terminate: () => c.close() };
    const deadline = Date.now() + CONNECT_TIMEOUT_MS;
    for (;;) {
      base.postMessage({ connect: tabId });
      const r = await Promise.race([ready, c.gone.then((g) => (g ? 'free' : null)), sleep(CONNECT_RETRY_MS)]);
      if (r === 'free') { c.close(); return null; }
      if (r && r.ready) break;
      if (Date.now() > deadline) {
        c.close();
        tabLock?.release();
        tabLock = null;
        throw new StrataError('STRATA_LOCKED', `the Web Lock "${lock}" is held by a tab or worker that does not serve it (opened without multiTab: true?)`);
      }
    }
    base.close();
    c.gone.then((g) => { if (g && current === c && !closed) handover(c); });
    return c;
  }

  async function attach() {
    for (;;) {
      let own;
      try {
        own = await startOwn();
      } catch (err) {
        if (err?.code !== 'STRATA_LOCKED' || !err.lockName) throw err;
        const c = await connectTo(err.lockName);
        if (c) return c;
        continue;
      }
      tabLock?.release();
      tabLock = null;
      own.endpoint.listen({
        message: (m) => { if (current === own) handlers.message(m); },
        error: (e) => { if (current === own) handlers.error(e); },
        exit: () => { if (current === own) handlers.exit?.(); },
      });
      return own;
    }
  }

  async function handover(c) {
    buffer = [];
    if (!c.bye) await sleep(BYE_WAIT_MS); // its last replies may still be on their way
    c.close();
    handlers.handover(new StrataError('STRATA_NOT_OPEN', c.bye
      ? 'the serving tab went away: it closed the database before answering this request (not applied; retry it)'
      : 'the serving tab went away before answering this request: it may or may not have been applied'));
    try {
      current = await attach();
    } catch (err) {
      buffer = null;
      handlers.error(err);
      return;
    }
    const queued = buffer;
    buffer = null;
    if (closed) return;
    for (const m of queued) current.endpoint.post(m);
  }

  current = await attach();
  const endpoint = {
    post: (msg) => {
      if (buffer) {
        structuredClone(msg); // what cannot cross is refused now, as a direct post would be
        buffer.push(msg);
      } else current.endpoint.post(msg);
    },
    listen: (h) => { handlers = h; },
    terminate: async () => {
      closed = true;
      tabLock?.release();
      tabLock = null;
      return current.endpoint.terminate();
    },
  };
  return { endpoint, ready: current.ready };
}
