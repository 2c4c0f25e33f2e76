// open(location, { worker: true }) in Node: the engine in a worker_threads Worker
// (worker_host.js), behind the proxies of worker_proxy.js, so the calling thread never runs
// engine code.
import { Worker } from 'node:worker_threads';

import { StrataError, fromWire } from './errors.js';
import { connect } from './worker_proxy.js';

export async function openInWorker(location, options) {
  const { worker, ...rest } = options;
  void worker;
  const w = new Worker(new URL('./worker_host.js', import.meta.url), { workerData: { location, options: rest } });
  const ready = await new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', (err) => reject(new StrataError('STRATA_IO', `the database worker failed: ${err.message}`, { cause: err })));
  });
  if (!ready.ready) {
    await w.terminate();
    throw fromWire(ready.error);
  }
  return connect({
    post: (msg, transfer = []) => w.postMessage(msg, transfer),
    listen: ({ message, error, exit }) => {
      w.on('message', message);
      w.on('error', error);
      w.on('exit', exit);
    },
    terminate: () => w.terminate(),
  }, ready);
}
