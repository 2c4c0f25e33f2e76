// strata-lsm/level in browsers: StrataLevel (level_core.js) over the browser entry's open(), so
// `location` is a database name and the options take backend, worker, workerUrl, wasmUrl.
import { open } from './index_browser.js';
import { levelClass } from './level_core.js';

export const StrataLevel = levelClass(open);
export default StrataLevel;
