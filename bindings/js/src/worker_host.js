// The worker side of open(location, { worker: true }): runs the engine in a worker_threads
// Worker and executes requests from worker_client.js strictly in the order they were posted,
// dispatching each by the method table of worker_protocol.js.
import { parentPort, workerData } from 'node:worker_threads';

import { StrataError, invalid, toWire } from './errors.js';
import { open } from './index.js';
import { methodOf } from './worker_protocol.js';

// id -> { kind, obj } | { kind, error } (a handle whose opening failed: its calls reject with
// the error) ; `pending`: the failure of a posted request, reported by the handle's next call.
const handles = new Map();

// options.snapshot crosses as its handle id; here it becomes the snapshot again.
function withSnapshot(options) {
  if (options === null || typeof options !== 'object' || options.snapshot === undefined) return options;
  const h = handles.get(options.snapshot);
  if (!h || h.kind !== 'snapshot') throw new StrataError('STRATA_NOT_OPEN', 'the snapshot is closed');
  if (h.error) throw h.error;
  return { ...options, snapshot: h.obj };
}

async function run({ id, target, op, args = [], handle }) {
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
  const a = [...args];
  if (method.send === 'open') {
    try {
      if (method.options !== undefined) a[method.options] = withSnapshot(a[method.options]);
      handles.set(handle, { kind: method.makes, obj: h.obj[op](...a) });
    } catch (err) {
      handles.set(handle, { kind: method.makes, error: err });
    }
    return undefined;
  }
  if (method.options !== undefined) a[method.options] = withSnapshot(a[method.options]);
  if (method.progress !== undefined && a[method.progress]?.onProgress === true && id !== undefined) {
    a[method.progress] = { ...a[method.progress], onProgress: (value) => parentPort.postMessage({ progress: id, value }) };
  }
  try {
    const result = await h.obj[op](...a);
    return method.result === 'value' ? result : undefined;
  } finally {
    if (method.closes) {
      if (h.kind === 'db') handles.clear();
      else handles.delete(target);
    }
  }
}

let queue = Promise.resolve();
parentPort.on('message', (msg) => {
  queue = queue.then(async () => {
    try {
      const value = await run(msg);
      if (msg.id !== undefined) parentPort.postMessage({ id: msg.id, value });
    } catch (err) {
      if (msg.id !== undefined) parentPort.postMessage({ id: msg.id, error: toWire(err) });
      else {
        const h = handles.get(msg.target);
        if (h) h.pending = err; // a posted request failed: the handle's next call says so
      }
    }
  });
});

try {
  const db = await open(workerData.location, workerData.options);
  handles.set('db', { kind: 'db', obj: db });
  parentPort.postMessage({ ready: true, location: db.location, recovery: db.recovery });
} catch (err) {
  parentPort.postMessage({ ready: false, error: toWire(err) });
}
