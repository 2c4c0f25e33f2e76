// The page side of the harness (tests/browser/harness.mjs): runs exports of test modules in this
// page or in dedicated module workers it starts.
import { call, serializeError } from './harness_common.mjs';

const workers = new Map();
let nextWorker = 1;
let nextCall = 1;

function newWorker() {
  const id = nextWorker++;
  const worker = new Worker(new URL('./harness_worker.mjs', import.meta.url), { type: 'module' });
  const pending = new Map();
  const state = { worker, pending, error: null };
  worker.onmessage = (e) => {
    const { id: callId, result } = e.data;
    const p = pending.get(callId);
    if (!p) return;
    pending.delete(callId);
    p(result);
  };
  // an error outside any call (a failed import of the worker script, an uncaught exception)
  const fail = (error) => {
    state.error = error;
    for (const p of pending.values()) p({ ok: false, error });
    pending.clear();
  };
  worker.onerror = (e) => {
    e.preventDefault?.();
    fail({ name: 'WorkerError', message: `worker ${id}: ${e.message || 'error'} (${e.filename || '?'}:${e.lineno || '?'})` });
  };
  worker.onmessageerror = () => fail({ name: 'WorkerError', message: `worker ${id}: a message could not be deserialized` });
  workers.set(id, state);
  return id;
}

function runInWorker(id, url, name, args) {
  const state = workers.get(id);
  if (!state) return Promise.resolve({ ok: false, error: { name: 'Error', message: `no worker ${id}` } });
  if (state.error) return Promise.resolve({ ok: false, error: state.error });
  const callId = nextCall++;
  return new Promise((resolve) => {
    state.pending.set(callId, resolve);
    try {
      state.worker.postMessage({ id: callId, url: new URL(url, location.href).href, name, args });
    } catch (e) {
      state.pending.delete(callId);
      resolve({ ok: false, error: serializeError(e) });
    }
  });
}

function terminateWorker(id) {
  const state = workers.get(id);
  if (!state) return false;
  state.worker.terminate();
  for (const p of state.pending.values()) p({ ok: false, error: { name: 'WorkerError', message: `worker ${id} terminated` } });
  workers.delete(id);
  return true;
}

globalThis.__strataHarness = {
  run: (url, name, args) => call(new URL(url, location.href).href, name, args),
  newWorker,
  runInWorker,
  terminateWorker,
  ready: true,
};
