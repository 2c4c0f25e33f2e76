// strata-lsm/level in browsers: StrataLevel (level_class.cjs) over the browser entry's open(), so
// `location` is a database name and the options take backend, worker, workerUrl, wasmUrl. It
// needs a bundler: abstract-level is CommonJS and requires Node's events (its browser port).
import level from './level_class.cjs';

import * as strata from './index_browser.js';

const inWorker = typeof WorkerGlobalScope === 'function' && globalThis instanceof WorkerGlobalScope;

export const StrataLevel = level.levelClass(async () => strata, (options) => !inWorker && options.worker !== false);
export default StrataLevel;
