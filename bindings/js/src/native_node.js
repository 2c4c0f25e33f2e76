// The engine in Node: native.js with the storage backend chosen for Node, the engine's memory
// backend or Node's files (node_host.js). The Node entry (index.js) and the tests load it here.
import { loadModule } from './engine.js';
import { Native } from './native.js';
import { NodeHost } from './node_host.js';

export { Native };

export function loadNative({ memory = false, threads = false, moduleUrl } = {}) {
  return Native.load({ host: memory ? null : new NodeHost(), memory, threads, moduleUrl, loadModule });
}
