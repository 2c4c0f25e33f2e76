// The worker side of open(location, { worker: true }) in Node: a worker_threads Worker that opens
// the database and serves it (worker_serve.js) to worker_client.js.
import { parentPort, workerData } from 'node:worker_threads';

import { open } from './index.js';
import { failedMessage, readyMessage, serve } from './worker_serve.js';

try {
  const db = await open(workerData.location, workerData.options);
  serve({ post: (msg, transfer) => parentPort.postMessage(msg, transfer), listen: (fn) => parentPort.on('message', fn) }, db);
  parentPort.postMessage(readyMessage(db));
} catch (err) {
  parentPort.postMessage(failedMessage(err));
}
