// The API cases (api_cases.mjs) over the package's browser entry, imported by relative path.
import * as strata from '../../bindings/js/src/index_browser.js';
import { apiCases } from './api_cases.mjs';

export function run(args) {
  return apiCases(strata, args);
}

// Which build and backend an open picks here: { backend, build, isolated }.
export async function picks(options) {
  const db = await strata.open(`picks-${Date.now()}`, options);
  try {
    return { backend: db.backend, build: db.build, isolated: globalThis.crossOriginIsolated === true };
  } finally {
    await db.close();
  }
}

// persist: true asks navigator.storage.persist() where it exists (pages) and never fails the
// open; what the browser answered is db.persisted. Also what a page's own answer would be, so the
// test compares the package against the browser itself.
export async function persistence(options) {
  const db = await strata.open(`persist-${Date.now()}`, options);
  try {
    const direct = typeof navigator.storage?.persist === 'function' ? await navigator.storage.persist() : false;
    return { persisted: db.persisted, direct };
  } finally {
    await db.close();
  }
}

// The messages a page posts to the package's worker: a batch of 1,000 is one, reading 1,000
// entries with for await is one per page of 256, 200 puts not awaited are 200 (one per call).
export async function messageCounts() {
  // every message the page posts: to the worker, or on the database's MessageChannel to it
  const post = Worker.prototype.postMessage;
  const portPost = MessagePort.prototype.postMessage;
  let count = 0;
  Worker.prototype.postMessage = function counted(...args) {
    count++;
    return post.apply(this, args);
  };
  MessagePort.prototype.postMessage = function counted(...args) {
    count++;
    return portPost.apply(this, args);
  };
  try {
    const db = await strata.open(`msgs-${Date.now()}`, { backend: 'memory' });
    const ops = [];
    for (let i = 0; i < 1000; i++) ops.push({ type: 'put', key: `k${String(i).padStart(4, '0')}`, value: 'v' });
    count = 0;
    await db.batch(ops);
    const batch = count;
    count = 0;
    let n = 0;
    for await (const entry of db.iterator()) if (entry) n++;
    const iterate = count;
    await db.close();
    return { batch, iterate, entries: n };
  } finally {
    Worker.prototype.postMessage = post;
    MessagePort.prototype.postMessage = portPost;
  }
}
