// One writer per database across tabs and workers of an origin: a Web Lock (navigator.locks) per
// database, taken before the browser hosts (opfs_host.js, idb_host.js) open anything and held
// until they close (or the tab goes away: the browser releases it then). docs/LOCKING.md.
//
// Chromium grants a lock that a closed tab held a few milliseconds after the close, and a
// reloading page may release it late: an unavailable lock is asked again with a short backoff
// for `timeoutMs` before it becomes STRATA_LOCKED naming the database.
import { StrataError } from './errors.js';

export const LOCK_TIMEOUT_MS = 1000; // how long an unavailable lock is retried by default

// The lock's name for a database of a backend ('opfs', 'idb'): one name per stored database.
export function webLockName(backend, name) {
  return `strata-lsm/${backend}/${name}`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Resolves with a held lock { name, held, release() } once granted; rejects with STRATA_LOCKED
// (naming `what`) when still unavailable after timeoutMs, STRATA_NOT_SUPPORTED without Web Locks.
// `held` turns false if the browser takes the lock away (another context requesting it with
// `steal: true`); the hosts then refuse their lock() calls.
export async function acquireWebLock(name, { timeoutMs = LOCK_TIMEOUT_MS, what = name } = {}) {
  const locks = globalThis.navigator?.locks;
  if (typeof locks?.request !== 'function') {
    throw new StrataError('STRATA_NOT_SUPPORTED', `${what}: Web Locks (navigator.locks) are not available in this context`);
  }
  const deadline = Date.now() + timeoutMs;
  for (let delay = 2, attempt = 1; ; delay = Math.min(delay * 2, 100), attempt++) {
    let release;
    const released = new Promise((resolve) => { release = resolve; });
    const lock = { name, held: false, release: () => { lock.held = false; release(); } };
    const granted = await new Promise((resolve, reject) => {
      locks.request(name, { ifAvailable: true }, (l) => {
        if (!l) {
          resolve(false);
          return undefined;
        }
        lock.held = true;
        resolve(true);
        return released; // held until release()
      }).catch((err) => {
        lock.held = false; // stolen, or the request failed
        reject(err);
      });
    }).catch((err) => {
      throw new StrataError('STRATA_IO', `${what}: requesting the Web Lock "${name}" failed: ${err?.message ?? err}`, { cause: err });
    });
    if (granted) return lock;
    if (Date.now() >= deadline) {
      throw new StrataError('STRATA_LOCKED', `${what}: locked by another tab or worker of this origin ` +
        `(the Web Lock "${name}" is held; asked ${attempt} times over ${timeoutMs} ms)`);
    }
    await sleep(Math.min(delay, Math.max(1, deadline - Date.now())));
  }
}

// Runs `fn` (async) while holding the database's lock, e.g. to delete the database's storage;
// STRATA_LOCKED when another context has the database open.
export async function withWebLock(name, options, fn) {
  const lock = await acquireWebLock(name, options);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
