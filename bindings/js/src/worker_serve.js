// The worker side of a proxied database (worker_proxy.js): runs the engine in this thread and
// executes requests strictly in the order they were posted, dispatching each by the method table
// of worker_protocol.js. Buffers in a reply are transferred (they were made for it). Used by
// worker_host.js (Node worker_threads) and browser_worker.js (the browsers' dedicated worker).
// No Node built-ins: `port` is { post(msg, transfer), listen(onMessage) }.
import { StrataError, invalid, toWire } from './errors.js';
import { unpackBatch, packValues } from './worker_pack.js';
import { ARGS, errorReply, methodOf, okReply, packedReply, valueReply } from './worker_protocol.js';

// The ArrayBuffers of the Uint8Arrays in a reply (a value, or arrays of values and entries)
// that own their whole buffer: those can move instead of being copied.
function transferables(value, out = []) {
  if (value instanceof Uint8Array) {
    const b = value.buffer;
    if (b instanceof ArrayBuffer && value.byteOffset === 0 && value.byteLength === b.byteLength && !out.includes(b)) out.push(b);
  } else if (Array.isArray(value)) {
    for (const v of value) if (v instanceof Uint8Array || Array.isArray(v)) transferables(v, out);
  }
  return out;
}

const PACKED_VALUE = Symbol('packed'); // run()'s result when the value was packed

// Serves `db` (an open database of database.js) on `port` until it is closed. With
// `shared` (another tab's requests, multi_tab.js) the database stays open when that side closes
// it: only its own snapshots and iterators close, then `onClose()`. Returns { idle(), stop(err) }:
// the promise of the requests received so far, and stop() that answers every later one with err.
export function serve(port, db, { shared = false, onClose } = {}) {
  // id -> { kind, obj } | { kind, error } (a handle whose opening failed: its calls reject with
  // the error) ; `pending`: the failure of a posted request, reported by the handle's next call.
  const handles = new Map([['db', { kind: 'db', obj: db }]]);

  // options.snapshot crosses as its handle id; here it becomes the snapshot again.
  function withSnapshot(options) {
    if (options === null || typeof options !== 'object' || options.snapshot === undefined) return options;
    const h = handles.get(options.snapshot);
    if (!h || h.kind !== 'snapshot') throw new StrataError('STRATA_NOT_OPEN', 'the snapshot is closed');
    if (h.error) throw h.error;
    return { ...options, snapshot: h.obj };
  }

  // msg: a request (worker_protocol.js), [ch, id, target, op, handle, ...args].
  async function run(msg) {
    const id = msg[1];
    const target = msg[2];
    const op = msg[3];
    const h = handles.get(target);
    if (!h) throw new StrataError('STRATA_NOT_OPEN', `${op}: the handle is closed`);
    const method = methodOf(h.kind, op);
    if (!method) throw invalid(`${op} is not a method of a ${h.kind}`);
    if (h.error || h.pending) {
      const err = h.error ?? h.pending;
      h.pending = null;
      if (method.closes) handles.delete(target);
      if (h.error && method.closes && op === 'close') return undefined; // closing what never opened
      throw err;
    }
    const a = msg.slice(ARGS);
    if (method.send === 'open') {
      const handle = msg[4];
      try {
        if (method.options !== undefined) a[method.options] = withSnapshot(a[method.options]);
        handles.set(handle, { kind: method.makes, obj: h.obj[op](...a) });
      } catch (err) {
        handles.set(handle, { kind: method.makes, error: err });
      }
      return undefined;
    }
    if (method.options !== undefined) a[method.options] = withSnapshot(a[method.options]);
    // the caller's onProgress stays on its side: reports are posted back under the call's id
    if (method.progress !== undefined && a[method.progress]?.onProgress === true && id) {
      a[method.progress] = { ...a[method.progress], onProgress: (value) => port.post({ ch: msg[0], progress: id, value }, []) };
    }
    if (shared && h.kind === 'db' && op === 'close') {
      const open = [...handles.values()].filter((x) => x.kind !== 'db' && x.obj && !x.error);
      handles.clear();
      for (const x of open) await Promise.resolve(x.obj.close()).catch(() => {});
      return undefined;
    }
    try {
      if (method.unpacks) {
        a[0] = unpackBatch(a[0]);
        return void await h.obj[method.unpacks](...a);
      }
      const result = await h.obj[op](...a);
      if (method.result !== 'value') return undefined;
      // a packed value travels as { packed: buffer } (the listener's reply)
      if (method.packs) {
        const packed = packValues(result);
        if (packed) return { [PACKED_VALUE]: packed };
      }
      return result;
    } finally {
      if (method.closes) {
        if (h.kind === 'db') handles.clear();
        else handles.delete(target);
      }
    }
  }

  // The maintenance step a request schedules (database.js) runs once its reply is posted, before
  // the next request, instead of as a task of its own (which delayed every reply). One server
  // per database takes them: a shared one (another tab's) leaves them to the database's tasks.
  let serving = false;
  let deferred = null;
  if (!shared) {
    db._deferMaintenance?.((task) => {
      if (!serving || deferred) return false;
      deferred = task;
      return true;
    });
  }

  let queue = Promise.resolve();
  let stopped = null;
  port.listen((msg) => {
    queue = queue.then(async () => {
      serving = true;
      try {
        if (stopped) throw stopped;
        const value = await run(msg);
        if (msg[1]) {
          if (value === undefined) port.post(okReply(msg[0], msg[1]), []);
          else if (value !== null && value[PACKED_VALUE]) port.post(packedReply(msg[0], msg[1], value[PACKED_VALUE]), [value[PACKED_VALUE]]);
          else port.post(valueReply(msg[0], msg[1], value), transferables(value));
        }
      } catch (err) {
        if (msg[1]) port.post(errorReply(msg[0], msg[1], toWire(err)), []);
        else {
          const h = handles.get(msg[2]);
          if (h) h.pending = err; // a posted request failed: the handle's next call says so
        }
      }
      serving = false;
      const task = deferred;
      deferred = null;
      task?.(); // it reports its own failures (database.js)
      if (shared && msg[2] === 'db' && msg[3] === 'close' && !stopped) {
        stopped = new StrataError('STRATA_NOT_OPEN', 'the database is closed');
        onClose?.();
      }
    });
  });
  return {
    idle: () => queue,
    stop: (err) => { stopped ??= err; },
  };
}

// What the worker reports once its database is open (or failed to open); `limits`: the engine's
// key and value limits, by which the proxy packs string batches (worker_pack.js).
export function readyMessage(db) {
  return { ready: true, location: db.location, recovery: db.recovery, limits: db._writeLimits };
}

export function failedMessage(err) {
  return { ready: false, error: toWire(err) };
}
