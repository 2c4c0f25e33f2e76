// Byte arrays crossing to or from the database worker packed into one ArrayBuffer: a message's
// clone costs per buffer in it (~1.5-3 µs each in Chromium on this kind of machine, against
// ~0.1 µs for a JS allocation; bench/README.md "From a page: the round trip"), so a batch of
// 1,000 puts crossed as 2,000 buffers and getMany's 1,000 values as 1,000. Packed, each crosses
// as one buffer (transferred), and the values the caller gets back are unpacked into arrays of
// their own, as getMany's were. (An iterator page needs none of this: its entries are views of
// one page copy already, iterator.js, and the clone copies that buffer once.)
//
// Layout (little-endian Int32 words, then the bytes, each item's one after the other):
//   [kind, n, ...lengths]   kind OPS: n batch operations, 3 words each (type code, key length,
//                           value length or -1); kind BYTES: n items of Uint8Array | undefined
//                           (length or -1); kind PAIRS: n [key, value] pairs (2 lengths each).
// A batch's keys and values are packed as the engine takes them (keys.js checkBytes, toBytes):
// a string as its UTF-8 (TextEncoder's bytes, a lone surrogate as U+FFFD), any other
// ArrayBufferView as its bytes, whatever the database's keyEncoding and valueEncoding (they
// shape what reads return, not what writes take). What cannot be packed exactly crosses as a
// structured clone, as before, and meets the worker's checks, which refuse it with the message
// and operation index they give on its own thread: an operation that is not an object, a key or
// value that is not a string or bytes, an unknown type, a key, value or batch over the engine's
// limits (whose message names a key as the string it was). Read values are packed only when
// they are all Uint8Arrays (and misses).
const OPS = 1;
const BYTES = 2;
const PAIRS = 3;
const TYPES = ['put', 'del', 'singleDel'];

const isBytes = (x) => x instanceof Uint8Array;
const encoder = new TextEncoder();

function layout(kind, n, words, bytes) {
  const head = (2 + words) * 4;
  const buf = new ArrayBuffer(head + bytes);
  const w = new Int32Array(buf, 0, 2 + words);
  w[0] = kind;
  w[1] = n;
  return { buf, w, u8: new Uint8Array(buf), at: head };
}

// A key or value as packBatch takes it: a string, a Uint8Array, another view as a Uint8Array of
// its bytes (as checkBytes), or null when it cannot be packed.
function packable(x, strings) {
  if (isBytes(x)) return x;
  if (typeof x === 'string') return strings ? x : null;
  if (!ArrayBuffer.isView(x)) return null;
  try {
    return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  } catch {
    return null; // a detached buffer: the worker's checks say what is wrong
  }
}

// Writes s at u8[at..] as UTF-8 and returns the bytes written, or -1 when s is not ASCII and
// `wide` is false (then the room is one byte per UTF-16 unit). ASCII (the common key) is copied
// here: a call into the encoder costs more than a short string; the rest is TextEncoder's.
function writeUtf8(u8, at, s, wide) {
  const n = s.length;
  let i = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) break;
    u8[at + i] = c;
  }
  if (i === n) return n;
  if (!wide) return -1;
  return i + encoder.encodeInto(i === 0 ? s : s.slice(i), u8.subarray(at + i, at + i + 3 * (n - i))).written;
}

const NOT_ASCII = Symbol('not ASCII');

// The operations' keys and values (items: strings and byte arrays) into one buffer, `room` bytes
// for them. Not `wide`: a string gets a byte per UTF-16 unit (NOT_ASCII when one needs more);
// wide: up to 3, and the buffer is cut to what was written. null: over one of `limits`.
function fill(n, types, items, room, wide, limits) {
  const { buf, w, u8, at: head } = layout(OPS, n, 3 * n, room);
  let at = head;
  for (let i = 0; i < n; i++) {
    const t = types[i];
    w[2 + 3 * i] = t;
    for (let j = 0; j < (t === 0 ? 2 : 1); j++) {
      const x = items[2 * i + j];
      let len;
      if (typeof x === 'string') {
        len = writeUtf8(u8, at, x, wide);
        if (len < 0) return NOT_ASCII;
      } else {
        u8.set(x, at);
        len = x.length;
      }
      if (limits && len > (j === 0 ? limits.KEY_MAX : limits.VALUE_MAX)) return null;
      w[3 + 3 * i + j] = len;
      at += len;
    }
    if (t !== 0) w[4 + 3 * i] = -1;
  }
  if (limits && at - head > limits.BATCH_BYTES_MAX) return null;
  return at === buf.byteLength ? buf : buf.slice(0, at);
}

// batch(operations, limits): an ArrayBuffer, or null when some operation is not a put/del/
// singleDel of packable keys (and values), or is over a limit. `limits`: { KEY_MAX, VALUE_MAX,
// BATCH_BYTES_MAX } of the engine the worker runs: an operation over one crosses as it is, and
// the worker refuses it with the message it gives on its own thread (naming a string key as the
// string); without them only byte arrays are packed.
export function packBatch(ops, limits) {
  if (!Array.isArray(ops) || ops.length === 0) return null;
  const n = ops.length;
  const strings = limits !== undefined;
  const items = new Array(2 * n); // each key and value read once, as the engine reads them
  const types = new Int8Array(n);
  let known = 0; // bytes of the byte arrays
  let units = 0; // UTF-16 units of the strings
  for (let i = 0; i < n; i++) {
    const op = ops[i];
    if (op === null || typeof op !== 'object') return null;
    const k = packable(op.key, strings);
    if (k === null) return null;
    const t = TYPES.indexOf(op.type);
    if (t < 0) return null;
    types[i] = t;
    items[2 * i] = k;
    if (typeof k === 'string') units += k.length;
    else known += k.length;
    if (t === 0) {
      const v = packable(op.value, strings);
      if (v === null) return null;
      items[2 * i + 1] = v;
      if (typeof v === 'string') units += v.length;
      else known += v.length;
    }
  }
  if (strings && known + units > limits.BATCH_BYTES_MAX) return null; // at least this many bytes
  const buf = fill(n, types, items, known + units, false, limits);
  return buf === NOT_ASCII ? fill(n, types, items, known + 3 * units, true, limits) : buf;
}

// Reads the header of a packed buffer; throws on one that is not (a bug: only this module makes
// them) rather than reading out of bounds.
function header(buf, kind, per) {
  if (!(buf instanceof ArrayBuffer) || buf.byteLength < 8) throw new TypeError('not a packed buffer');
  const w0 = new Int32Array(buf, 0, 2);
  const n = w0[1];
  if (w0[0] !== kind || n < 0 || (2 + per * n) * 4 > buf.byteLength) throw new TypeError('not a packed buffer');
  return { w: new Int32Array(buf, 0, 2 + per * n), n, at: (2 + per * n) * 4 };
}

function take(buf, state, len) {
  if (len < 0) return undefined;
  if (state.at + len > buf.byteLength) throw new TypeError('a packed buffer is truncated');
  const v = new Uint8Array(buf, state.at, len);
  state.at += len;
  return v;
}

// The worker's side of packBatch: the operations again, their keys and values views of buf
// (the engine copies them before the request ends; buf belongs to this request alone).
export function unpackBatch(buf) {
  const { w, n, at } = header(buf, OPS, 3);
  const state = { at };
  const ops = new Array(n);
  for (let i = 0; i < n; i++) {
    const type = TYPES[w[2 + 3 * i]];
    if (type === undefined) throw new TypeError('a packed batch has an unknown operation type');
    const key = take(buf, state, w[3 + 3 * i]);
    ops[i] = type === 'put' ? { type, key, value: take(buf, state, w[4 + 3 * i]) } : { type, key };
  }
  return ops;
}

// A reply's value (getMany): an ArrayBuffer, or null when it is not an
// array of Uint8Array | undefined, or of [Uint8Array, Uint8Array] pairs.
export function packValues(value) {
  if (!Array.isArray(value) || value.length === 0) return null;
  const first = value[0];
  if (Array.isArray(first)) {
    let bytes = 0;
    for (let i = 0; i < value.length; i++) {
      const e = value[i];
      if (!Array.isArray(e) || e.length !== 2 || !isBytes(e[0]) || !isBytes(e[1])) return null;
      bytes += e[0].length + e[1].length;
    }
    const { buf, w, u8 } = layout(PAIRS, value.length, 2 * value.length, bytes);
    let at = (2 + 2 * value.length) * 4;
    for (let i = 0; i < value.length; i++) {
      const [k, v] = value[i];
      w[2 + 2 * i] = k.length;
      w[3 + 2 * i] = v.length;
      u8.set(k, at);
      at += k.length;
      u8.set(v, at);
      at += v.length;
    }
    return buf;
  }
  let bytes = 0;
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (v === undefined) {
      if (!(i in value)) return null; // a hole stays a hole only in a clone
    } else if (!isBytes(v)) return null;
    else bytes += v.length;
  }
  const { buf, w, u8 } = layout(BYTES, value.length, value.length, bytes);
  let at = (2 + value.length) * 4;
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (v === undefined) {
      w[2 + i] = -1;
    } else {
      w[2 + i] = v.length;
      u8.set(v, at);
      at += v.length;
    }
  }
  return buf;
}

// The caller's side of packValues: every Uint8Array its own copy.
export function unpackValues(buf) {
  const kind = buf instanceof ArrayBuffer && buf.byteLength >= 8 ? new Int32Array(buf, 0, 1)[0] : 0;
  if (kind === PAIRS) {
    const { w, n, at } = header(buf, PAIRS, 2);
    const state = { at };
    const out = new Array(n);
    for (let i = 0; i < n; i++) {
      const k = take(buf, state, w[2 + 2 * i]);
      const v = take(buf, state, w[3 + 2 * i]);
      out[i] = [k.slice(), v.slice()];
    }
    return out;
  }
  const { w, n, at } = header(buf, BYTES, 1);
  const state = { at };
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = take(buf, state, w[2 + i])?.slice();
  return out;
}
