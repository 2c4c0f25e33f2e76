// The one table of the worker proxy (open(location, { worker: true })): every method of the
// database, snapshot and iterator handles that crosses to the worker, with how it crosses.
// worker_client.js builds the proxies' methods from it and worker_host.js dispatches by it, so a
// method exists on both sides or on neither.
//
//   send     'call': posted with an id, the promise settles with the worker's answer;
//            'post': posted without an id (ordering still holds; a failure is kept and
//                    reported by the handle's next call);
//            'open': synchronous on the client; posted with a new handle id the worker stores
//                    the result under (a failure is kept under that id: the handle's next call
//                    rejects with it).
//   options  index of the options argument, whose `snapshot` crosses as its handle id.
//   makes    for 'open': the kind of handle made.
//   closes   the handle is gone on both sides afterwards.
//   result   'value' (a structured clone) or 'none'.
//   progress index of the options argument whose onProgress callback stays on the client; the
//            worker posts each report back ({ progress: call id, value }).
export const PROTOCOL = Object.freeze({
  db: Object.freeze({
    put: { send: 'call', result: 'none' },
    del: { send: 'call', result: 'none' },
    singleDel: { send: 'call', result: 'none' },
    batch: { send: 'call', result: 'none' },
    dropRange: { send: 'call', result: 'none' },
    hasMany: { send: 'call', options: 1, result: 'value', read: true },
    get: { send: 'call', options: 1, result: 'value', read: true },
    getMany: { send: 'call', options: 1, result: 'value', read: true },
    has: { send: 'call', options: 1, result: 'value', read: true },
    sizeOf: { send: 'call', options: 1, result: 'value', read: true },
    clear: { send: 'call', options: 0, result: 'none' },
    flush: { send: 'call', result: 'none' },
    ingest: { send: 'call', result: 'value', progress: 1 }, // an array of pairs (iterables do not clone); onProgress relayed
    resume: { send: 'call', result: 'none' },
    compact: { send: 'call', result: 'none', progress: 0 }, // options.onProgress: reports relayed
    stats: { send: 'call', result: 'value' },
    exportBytes: { send: 'call', result: 'value' }, // the image as one Uint8Array (no onProgress: functions do not cross)
    export: { send: 'open', makes: 'image', options: 0 }, // chunked; onProgress stays on the client (worker_proxy.js)
    snapshot: { send: 'open', makes: 'snapshot' },
    iterator: { send: 'open', makes: 'iterator', options: 0 },
    keys: { send: 'open', makes: 'iterator', options: 0 },
    values: { send: 'open', makes: 'iterator', options: 0 },
    close: { send: 'call', result: 'none', closes: true },
  }),
  snapshot: Object.freeze({
    get: { send: 'call', result: 'value' },
    getMany: { send: 'call', result: 'value' },
    has: { send: 'call', result: 'value' },
    sizeOf: { send: 'call', result: 'value' },
    hasMany: { send: 'call', result: 'value' },
    iterator: { send: 'open', makes: 'iterator', options: 0 },
    keys: { send: 'open', makes: 'iterator', options: 0 },
    values: { send: 'open', makes: 'iterator', options: 0 },
    close: { send: 'post', closes: true },
  }),
  image: Object.freeze({
    info: { send: 'call', result: 'value' }, // { total, done }
    read: { send: 'call', result: 'value' }, // the next chunk (transferred), null at the end
    close: { send: 'call', result: 'none', closes: true },
  }),
  iterator: Object.freeze({
    next: { send: 'call', result: 'value' },
    nextv: { send: 'call', result: 'value' },
    all: { send: 'call', result: 'value', closes: true },
    seek: { send: 'post' },
    // what the proxy reads: pages packed into one buffer (iterator.js _packed), and a seek with
    // the first page after it
    _packed: { send: 'call', result: 'value' },
    _seekPacked: { send: 'call', result: 'value' },
    close: { send: 'call', result: 'none', closes: true },
  }),
});

// The kind of the handle a target id names: 'db', or the kind recorded when it was opened.
export function methodOf(kind, op) {
  const table = PROTOCOL[kind];
  return table && Object.hasOwn(table, op) ? table[op] : undefined;
}
