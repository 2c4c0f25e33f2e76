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
    batchPacked: { send: 'call', result: 'none', unpacks: 'batch' }, // batch(operations) of byte arrays (worker_proxy.js)
    dropRange: { send: 'call', result: 'none' },
    hasMany: { send: 'call', options: 1, result: 'value', read: true },
    get: { send: 'call', options: 1, result: 'value', read: true },
    getMany: { send: 'call', options: 1, result: 'value', read: true, packs: true },
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
    getMany: { send: 'call', result: 'value', packs: true },
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
    nextv: { send: 'call', result: 'value' }, // entries: views of one page copy (iterator.js), one buffer
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

// The wire of a proxied call, flat (one array per request, a bare number per plain ok reply):
// a message of several objects cost more to clone than one array (bench/README.md "From a page:
// the round trip").
//   request   [ch, id, target, op, handle, ...args]: `ch` is the channel number the page's
//             database is served on (set by its endpoint; 0 elsewhere); id 0 for 'post' and
//             'open' (no reply); handle: the new handle id of an 'open', else 0.
//   reply     a number, ch + id * CHANNELS: the call resolved with undefined;
//             [ch, id, value]: it resolved with value;
//             [ch, id, undefined, error]: it failed (error as errors.js toWire made it);
//             [ch, id, buffer, PACKED]: it resolved with the value packed in buffer
//             (worker_pack.js, methods marked `packs`);
//             { ch, progress: id, value }: a progress report of call id.
// Ids are below 2^32 (worker_proxy.js wraps them) and channel numbers below CHANNELS, so the
// number stays an exact integer.
export const CHANNELS = 2 ** 20;
export const ARGS = 5; // index of the first argument in a request

export const request = (id, target, op, handle, args) => [0, id, target, op, handle, ...args];
export const okReply = (ch, id) => ch + id * CHANNELS;
export const valueReply = (ch, id, value) => [ch, id, value];
export const errorReply = (ch, id, wire) => [ch, id, undefined, wire];
export const PACKED = 1;
export const packedReply = (ch, id, buffer) => [ch, id, buffer, PACKED];

// The channel number of a reply (a page routes it to its database with it).
export const channelOf = (reply) => (typeof reply === 'number' ? reply % CHANNELS : Array.isArray(reply) ? reply[0] : reply?.ch);
