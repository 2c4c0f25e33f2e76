// The engine in Node: native.js with the storage backend chosen for Node, the engine's memory
// backend or Node's files (node_host.js). The Node entry (index.js) and the tests load it here.
import { isMainThread } from 'node:worker_threads';

import { loadModule } from './engine.js';
import { Native } from './native.js';
import { NodeHost } from './node_host.js';

export { Native };

// Values are pooled copies (native.js, copyOut) on the main thread; in a worker thread (the
// package's worker host, whose replies transfer each value's own ArrayBuffer) each owns its bytes.
export function loadNative({ memory = false, threads = false, moduleUrl } = {}) {
  return Native.load({ host: memory ? null : new NodeHost(), memory, threads, moduleUrl, loadModule, pooled: isMainThread });
}
