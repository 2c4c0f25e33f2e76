// The thin layer over one wasm module instance: statuses to errors, reusable buffers in wasm
// memory, keys and values copied in once (TextEncoder.encodeInto straight into wasm memory).
import { loadModule, readConstants } from './engine.js';
import errors from './errors.cjs';
import { NodeHost } from './node_host.js';

const { StrataError } = errors;
const encoder = new TextEncoder();

export const STATS_COUNT = 69; // doubles written by strata_js_stats

export function invalid(message) {
  return new StrataError('STRATA_INVALID_ARGUMENT', message);
}

// A location (a database folder) crosses to C as a NUL-terminated string, so a NUL inside it
// would silently cut the path short: refused, as are non-strings and the empty string.
export function checkLocation(location, what = 'location') {
  if (typeof location !== 'string' || location === '') throw invalid(`${what} must be a non-empty string (a folder, or ':memory:')`);
  if (location.includes('\0')) throw invalid(`${what} must not contain a NUL character: ${JSON.stringify(location)}`);
  return location;
}

// Describes a key for messages: strings quoted, bytes in hex, both cut short.
export function describeKey(key) {
  if (typeof key === 'string') return JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key);
  if (key instanceof Uint8Array) {
    const hex = Buffer.from(key.buffer, key.byteOffset, Math.min(key.length, 24)).toString('hex');
    return `0x${hex}${key.length > 24 ? '…' : ''}`;
  }
  return String(key);
}

// Accepts a string or any ArrayBufferView (Uint8Array, Buffer, ...); returns what can be encoded.
export function checkBytes(x, what) {
  if (typeof x === 'string') return x;
  if (x instanceof Uint8Array) return x;
  if (ArrayBuffer.isView(x)) return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  if (x === null || x === undefined) throw invalid(`${what} must not be ${x}`);
  throw invalid(`${what} must be a string or a Uint8Array, not ${typeof x === 'object' ? x.constructor?.name ?? 'object' : typeof x}`);
}

// Bytes a value needs at most once UTF-8 encoded.
function maxLength(x) {
  return typeof x === 'string' ? x.length * 3 : x.length;
}

export class Native {
  // `moduleUrl` (tests only) loads another build of the module, e.g. the one linked with the
  // test double of the database layer.
  static async load({ threads = false, memory = false, moduleUrl } = {}) {
    const host = new NodeHost();
    const { module, variant } = await loadModule({ threads, moduleUrl, moduleArgs: { strataHost: host } });
    host.attach(module);
    return new Native(module, variant, host, memory);
  }

  constructor(module, variant, host, memory) {
    this.m = module;
    this.variant = variant;
    this.host = host;
    this.limits = readConstants(module); // strata_limits.h: KEY_MAX, VALUE_MAX, BATCH_*, ...
    this.words = this.alloc(64); // out-parameters: 16 x u32 (or 8 x f64)
    this.inPtr = 0;
    this.inCap = 0;
    this.outPtr = 0;
    this.outCap = 0;
    this.statsPtr = this.alloc(STATS_COUNT * 8); // also holds the compaction options during open
    this.vfs = module._strata_js_vfs_new(memory ? 1 : 0);
    if (!this.vfs) throw new StrataError('STRATA_NO_MEMORY', 'out of wasm memory');
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
    throw new StrataError(code, context ? `${context}: ${message}` : message);
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
    if (this._inHeap !== heap || this._inViewPtr !== this.inPtr || this._inViewCap !== this.inCap) {
      this._inView = heap.subarray(this.inPtr, this.inPtr + this.inCap);
      this._inHeap = heap;
      this._inViewPtr = this.inPtr;
      this._inViewCap = this.inCap;
    }
    return this._inView;
  }

  // Copies one key (string or Uint8Array) to the start of the input buffer; returns its length.
  // The point-read path: no argument array, no result array.
  putOne(x) {
    if (typeof x === 'string') {
      this.ensureIn(x.length * 3);
      return encoder.encodeInto(x, this.inView).written;
    }
    this.ensureIn(x.length);
    this.m.HEAPU8.set(x, this.inPtr);
    return x.length;
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
      if (typeof x === 'string') n = encoder.encodeInto(x, heap.subarray(pos, pos + x.length * 3)).written;
      else {
        heap.set(x, pos);
        n = x.length;
      }
      out.push(pos, n);
      pos += n;
    }
    return out;
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

  // Frees the buffers and the backend, ends the pthread pool, and drops every reference to the
  // module: a closed database that the caller keeps does not keep its wasm memory alive.
  free() {
    const m = this.m;
    if (!m) return;
    for (const p of [this.words, this.inPtr, this.outPtr, this.statsPtr]) if (p) m._free(p);
    this.words = this.inPtr = this.outPtr = this.statsPtr = 0;
    if (this.vfs) m._strata_js_vfs_free(this.vfs);
    this.vfs = 0;
    this.host.closeAll();
    m.PThread?.terminateAllThreads();
    this.host.module = null;
    this.m = null;
    this._inView = this._inHeap = null;
  }
}
