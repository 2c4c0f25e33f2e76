// The worker side of open(location, { worker: true }): runs the engine in a worker_threads
// Worker and executes requests from worker_client.js strictly in the order they were posted.
import { parentPort, workerData } from 'node:worker_threads';

import { open } from './index.js';

const handles = new Map(); // id -> snapshot or iterator
let db;

async function run({ target, op, args }) {
  if (target === 'db') {
    if (op === 'snapshot') return void handles.set(args[0], db.snapshot());
    if (op === 'iterator' || op === 'keys' || op === 'values') {
      const [id, options] = args;
      const opts = { ...options };
      if (opts.snapshot !== undefined) opts.snapshot = handles.get(opts.snapshot);
      return void handles.set(id, db[op](opts));
    }
    if (op === 'close') {
      await db.close();
      handles.clear();
      return undefined;
    }
    return db[op](...args);
  }
  const h = handles.get(target);
  if (op === 'iterator' || op === 'keys' || op === 'values') {
    const [id, options] = args;
    return void handles.set(id, h[op](options));
  }
  const result = await h[op](...args);
  if (op === 'close' || op === 'all') handles.delete(target);
  return result;
}

let queue = Promise.resolve();
parentPort.on('message', (msg) => {
  queue = queue.then(async () => {
    try {
      const value = await run(msg);
      if (msg.id !== undefined) parentPort.postMessage({ id: msg.id, value });
    } catch (err) {
      if (msg.id !== undefined) parentPort.postMessage({ id: msg.id, error: { code: err.code, message: err.message, name: err.name } });
    }
  });
});

try {
  db = await open(workerData.location, workerData.options);
  parentPort.postMessage({ ready: true, location: db.location, recovery: db.recovery });
} catch (err) {
  parentPort.postMessage({ ready: false, error: { code: err.code, message: err.message, name: err.name } });
}
