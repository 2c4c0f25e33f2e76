// Type declarations of strata-lsm's browser entry inside a worker (the `worker` condition): the
// engine runs in the calling thread, so open() returns an in-thread database (synchronous
// stats() and getSync(), export() read chunk by chunk). The rest is index_browser.d.ts.
import type { BrowserDatabase, BrowserOpenOptions } from './index_browser.js';
import { StrataError, importDatabase, deleteDatabase, listDatabases } from './index_browser.js';

export * from './index_browser.js';

export function open(name: string, options?: BrowserOpenOptions): Promise<BrowserDatabase>;

declare const _default: {
  open: typeof open; importDatabase: typeof importDatabase; deleteDatabase: typeof deleteDatabase;
  listDatabases: typeof listDatabases; StrataError: typeof StrataError;
};
export default _default;
