// The thin layer over one wasm module instance: statuses to errors, reusable buffers in wasm
// memory, keys and values copied in once (TextEncoder.encodeInto straight into wasm memory), and
// the module's layout descriptors (codecs.js). The storage backend is a parameter: `host` is the
// object the JS-backed VFS calls (node_host.js's NodeHost in Node, opfs_host.js, idb_host.js),
// registered in the module's host table (Module.strataHosts) under the index its vfs passes to
// every call, or none with `memory: true` (the engine's own memory backend); so is the runtime's
// engine loader (engine.js in Node, engine_browser.js in browsers). Several Natives may share one
// module instance (Native.on). No Node built-ins.
import { constants, readLayout } from './codecs.js';
import { StrataError, invalid } from './errors.js';
import { keyChecker, valueChecker } from './keys.js';

const encoder = new TextEncoder();
// Browsers refuse encodeInto on a SharedArrayBuffer (the pthreads build's memory); Node takes it.
const Shared = typeof SharedArrayBuffer === 'function' ? SharedArrayBuffer : null;
const sharedRefused = Shared !== null && (() => {
  try {
    encoder.encodeInto('', new Uint8Array(new Shared(1)));
    return false;
  } catch {
    return true;
  }
})();

// Every string written into wasm memory goes through here: UTF-8 encoded into `view` in place,
// except on shared memory where this runtime refuses that: there it is encoded to a copy first.
// Returns the bytes written.
function encodeInto(s, view) {
  if (sharedRefused && view.buffer instanceof Shared) {
    const bytes = encoder.encode(s);
    view.set(bytes);
    return bytes.length;
  }
  return encoder.encodeInto(s, view).written;
}

// Copies out of wasm memory (copyOut): up to SMALL_COPY bytes a copy of their own (V8 keeps
// those on its heap, cheap); up to POOLED_COPY bytes carved from a shared slab of SLAB bytes when
// the Native is `pooled` (an ArrayBuffer of its own costs ~200 ns and GC work; Node's pooled
// Buffers do the same); beyond, or not pooled, a copy of their own.
const SMALL_COPY = 64;
const POOLED_COPY = 4096;
const SLAB = 16384;

// Bytes a value needs at most once UTF-8 encoded.
function maxLength(x) {
  return typeof x === 'string' ? x.length * 3 : x.length;
}

export class Native {
  #inView = null;
  #inHeap = null;
  #inViewPtr = 0;
  #inViewCap = 0;
  #slab = null; // the current slab of copyOut and the offset of its free part
  #slabPos = 0;

  // `host`: the storage host (required unless `memory`). `loadModule`: the runtime's engine
  // loader (engine_core.js). `moduleUrl` (tests only) loads another build of the module, e.g.
  // the one linked with the test double of the database layer; `wasmUrl` (browsers) the .wasm
  // from where the app serves it. The module is this Native's own. `pooled`: short values read
  // may share a slab (copyOut); off (the default), each value read owns its ArrayBuffer (what a
  // worker that transfers its replies needs).
  static async load({ host = null, threads = false, memory = false, moduleUrl, wasmUrl, loadModule, pooled = false } = {}) {
    checkHost(host, memory);
    if (typeof loadModule !== 'function') throw invalid('the engine needs the runtime\'s loader (loadModule of engine.js or engine_browser.js)');
    const { module, variant } = await loadModule({ threads, moduleUrl, wasmUrl, moduleArgs: { strataHosts: [], strataFilters: new Map() } });
    return new Native(module, variant, { host, memory, pooled });
  }

  // A Native on a module instance held through `share` (engine_core.js acquireModule: one
  // instance serving several databases, each with its own host, buffers and vfs); `share` is
  // released when this Native is freed. `vfs`: a vfs made earlier on that module (a memory
  // database kept by name, browser_backends.js) that free() leaves alone; `onFree()` is called
  // once this Native is freed.
  static on(share, { host = null, memory = false, vfs = 0, onFree } = {}) {
    checkHost(host, memory);
    try {
      return new Native(share.module, share.variant, { host, memory, share, vfs, onFree });
    } catch (err) {
      share.release();
      throw err;
    }
  }

  constructor(module, variant, { host = null, memory = false, share = null, vfs = 0, onFree, pooled = false } = {}) {
    const layout = module.strataLayout ?? (module.strataLayout = readLayout(module)); // once per instance
    host?.attach(module, layout);
    this.m = module;
    this.pooled = pooled;
    this.variant = variant;
    this.host = host;
    this.share = share;
    this.onFree = onFree;
    this.layout = layout;
    this.codes = constants(layout.codes);
    this.limits = constants(layout.limits);
    this.batch = layout.batch;
    this.checkKey = keyChecker(this.limits.KEY_MAX);
    this.checkValue = valueChecker(this.limits.VALUE_MAX); // strata_limits.h: KEY_MAX, VALUE_MAX, BATCH_*, ...
    this.words = this.alloc(64); // out-parameters: 16 x u32 (or 8 x f64)
    this.inPtr = 0;
    this.inCap = 0;
    this.pairValueLength = 0; // putPair's value length
    this.keysLength = 0; // putKeys' bytes
    this.outPtr = 0;
    this.outCap = 0;
    // one area for the structs that cross: stats, reports, compaction options
    const size = Math.max(...['stats', 'recovery', 'repair', 'compaction'].map((t) => layout[t].sizeof.value));
    this.structPtr = this.alloc(size);
    // the host's index in the module's table: the vfs passes it to every host call (vfs_js.c)
    this.hostIndex = -1;
    if (host) {
      const hosts = module.strataHosts;
      this.hostIndex = hosts.indexOf(undefined) >= 0 ? hosts.indexOf(undefined) : hosts.length;
      hosts[this.hostIndex] = host;
    }
    this.ownsVfs = !vfs;
    this.vfs = vfs || module._strata_js_vfs_new(memory ? 1 : 0, Math.max(0, this.hostIndex));
    if (!this.vfs) throw new StrataError('STRATA_NO_MEMORY', 'out of wasm memory');
    module.strataNatives = (module.strataNatives ?? 0) + 1; // stats().engine.databases
  }

  // The Natives (databases, repairs, imports) open on this one's module instance, itself included.
  get onInstance() {
    return this.m.strataNatives;
  }

  alloc(n) {
    const p = this.m._malloc(n);
    if (!p) throw new StrataError('STRATA_NO_MEMORY', `out of wasm memory (allocating ${n} bytes)`);
    return p;
  }

  // Throws the status as a StrataError (and frees it); does nothing for NULL.
  // `context` may be a function, so hot paths build their message (naming the key) only on error.
  check(st, context) {
    if (!st) return;
    if (typeof context === 'function') context = context();
    const m = this.m;
    const code = m.UTF8ToString(m._strata_code_name(m._strata_status_code(st)));
    const message = m.UTF8ToString(m._strata_status_message(st));
    m._strata_status_free(st);
    const cause = this.host?.takeLastError?.(message);
    throw new StrataError(code, context ? `${context}: ${message}` : message, cause ? { cause } : undefined);
  }

  word(i) {
    return this.m.HEAPU32[(this.words >>> 2) + i];
  }

  ensureIn(n) {
    if (n <= this.inCap) return;
    const cap = Math.max(n, this.inCap * 2, 4096);
    const p = this.alloc(cap);
    if (this.inPtr) this.m._free(this.inPtr);
    this.inPtr = p;
    this.inCap = cap;
  }

  ensureOut(n) {
    if (n <= this.outCap) return;
    const cap = Math.max(n, this.outCap * 2, 65536);
    const p = this.alloc(cap);
    if (this.outPtr) this.m._free(this.outPtr);
    this.outPtr = p;
    this.outCap = cap;
  }

  // A view of the input buffer, rebuilt only when the buffer moved or wasm memory grew.
  get inView() {
    const heap = this.m.HEAPU8;
    if (this.#inHeap !== heap || this.#inViewPtr !== this.inPtr || this.#inViewCap !== this.inCap) {
      this.#inView = heap.subarray(this.inPtr, this.inPtr + this.inCap);
      this.#inHeap = heap;
      this.#inViewPtr = this.inPtr;
      this.#inViewCap = this.inCap;
    }
    return this.#inView;
  }

  // Copies one key (string or Uint8Array) to the start of the input buffer; returns its length.
  // The point-read path: no argument array, no result array.
  putOne(x) {
    if (typeof x === 'string') {
      this.ensureIn(x.length * 3);
      return encodeInto(x, this.inView);
    }
    this.ensureIn(x.length);
    this.m.HEAPU8.set(x, this.inPtr);
    return x.length;
  }

  // Copies a key and a value to the input buffer back to back (the value at inPtr + the key's
  // length); returns the key's length, the value's is left in pairValueLength. The single-put
  // path: no argument array, no result array.
  putPair(k, v) {
    this.ensureIn(maxLength(k) + maxLength(v));
    let kl;
    if (typeof k === 'string') kl = encodeInto(k, this.inView);
    else {
      this.m.HEAPU8.set(k, this.inPtr);
      kl = k.length;
    }
    if (typeof v === 'string') this.pairValueLength = encodeInto(v, this.inView.subarray(kl));
    else {
      this.m.HEAPU8.set(v, this.inPtr + kl);
      this.pairValueLength = v.length;
    }
    return kl;
  }

  // Writes checked keys to the input buffer as u32 length | bytes each (strata_js_get_many),
  // after ensureIn for their largest size; returns their encoded lengths (all of them together,
  // prefixes included, in keysLength).
  putKeys(keys) {
    const heap = this.m.HEAPU8;
    const lens = new Array(keys.length);
    let pos = this.inPtr;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      let len;
      if (typeof k === 'string') len = encodeInto(k, heap.subarray(pos + 4, pos + 4 + k.length * 3));
      else {
        heap.set(k, pos + 4);
        len = k.length;
      }
      heap[pos] = len;
      heap[pos + 1] = len >>> 8;
      heap[pos + 2] = len >>> 16;
      heap[pos + 3] = len >>> 24;
      lens[i] = len;
      pos += 4 + len;
    }
    this.keysLength = pos - this.inPtr;
    return lens;
  }

  // Copies the items (strings or Uint8Arrays) into the input buffer back to back; returns
  // [ptr0, len0, ptr1, len1, ...]. Earlier results are invalid after the next call.
  put(...items) {
    let need = 0;
    for (const x of items) need += maxLength(x);
    this.ensureIn(need);
    const heap = this.m.HEAPU8;
    const out = [];
    let pos = this.inPtr;
    for (const x of items) {
      let n;
      if (typeof x === 'string') n = encodeInto(x, heap.subarray(pos, pos + x.length * 3));
      else {
        heap.set(x, pos);
        n = x.length;
      }
      out.push(pos, n);
      pos += n;
    }
    return out;
  }

  // The `len` bytes at `ptr` of wasm memory as a Uint8Array of JS memory (see SLAB above: a
  // short copy may share its ArrayBuffer with other copies; it never overlaps them).
  copyOut(ptr, len) {
    const heap = this.m.HEAPU8;
    if (len <= SMALL_COPY || len > POOLED_COPY || !this.pooled) return heap.slice(ptr, ptr + len);
    let at = this.#slabPos;
    if (this.#slab === null || at + len > SLAB) {
      this.#slab = new Uint8Array(SLAB);
      at = 0;
    }
    this.#slab.set(heap.subarray(ptr, ptr + len), at);
    this.#slabPos = (at + len + 7) & ~7;
    return this.#slab.subarray(at, at + len);
  }

  // A NUL-terminated string in a fresh allocation (free with m._free). A string holding a NUL
  // would arrive cut short, so it is refused.
  cstring(s) {
    if (s.includes('\0')) throw invalid(`string passed to the engine contains a NUL character: ${JSON.stringify(s)}`);
    const n = this.m.lengthBytesUTF8(s) + 1;
    const p = this.alloc(n);
    this.m.stringToUTF8(s, p, n);
    return p;
  }

  // Frees the buffers and the backend, ends the pthread pool (or releases the shared module),
  // and drops every reference to the module: a closed database that the caller keeps does not
  // keep its wasm memory alive.
  free() {
    const m = this.m;
    if (!m) return;
    for (const p of [this.words, this.inPtr, this.outPtr, this.structPtr]) if (p) m._free(p);
    this.words = this.inPtr = this.outPtr = this.structPtr = 0;
    if (this.vfs && this.ownsVfs) m._strata_js_vfs_free(this.vfs);
    this.vfs = 0;
    this.host?.closeAll();
    if (this.hostIndex >= 0) m.strataHosts[this.hostIndex] = undefined;
    m.strataNatives--;
    if (this.share) this.share.release();
    else m.PThread?.terminateAllThreads();
    if (this.host) this.host.module = null;
    this.m = null;
    this.share = null;
    this.#inView = this.#inHeap = this.#slab = null;
    const onFree = this.onFree;
    this.onFree = undefined;
    onFree?.();
  }
}

function checkHost(host, memory) {
  if (!memory && (host === null || typeof host !== 'object' || typeof host.attach !== 'function')) {
    throw invalid('the engine needs a storage host (an object with attach(module) and the host calls), or memory: true');
  }
}
