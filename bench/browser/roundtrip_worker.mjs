// bench/browser/roundtrip_worker.mjs -- a dedicated worker for bench/browser/roundtrip.mjs: serves a
// database whose methods do nothing (worker_serve.js on the port it is sent), so that a page's
// awaited call through worker_proxy.js measures the messaging layer alone.
import { serve } from '../../bindings/js/src/worker_serve.js';

const noop = {
  put: async () => {},
  has: async () => false,
  get: async () => undefined,
  close: async () => {},
};

self.onmessage = (e) => {
  const port = e.data.port;
  serve({ post: (msg, transfer) => port.postMessage(msg, transfer), listen: (fn) => { port.onmessage = (ev) => fn(ev.data); } }, noop);
  self.postMessage({ ready: true });
};
