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
// Anything else (a string, a number, a subclass of Uint8Array the other side would not rebuild
// as such, a sparse or odd entry) is not packed: it crosses as a structured clone, as before.
const OPS = 1;
const BYTES = 2;
const PAIRS = 3;
const TYPES = ['put', 'del', 'singleDel'];

const isBytes = (x) => x instanceof Uint8Array;

function layout(kind, n, words, bytes) {
  const head = (2 + words) * 4;
  const buf = new ArrayBuffer(head + bytes);
  const w = new Int32Array(buf, 0, 2 + words);
  w[0] = kind;
  w[1] = n;
  return { buf, w, u8: new Uint8Array(buf), at: head };
}

// batch(operations): an ArrayBuffer, or null when some operation is not a put/del/singleDel
// with Uint8Array key (and value).
export function packBatch(ops) {
  if (!Array.isArray(ops) || ops.length === 0) return null;
  let bytes = 0;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if (op === null || typeof op !== 'object' || !isBytes(op.key)) return null;
    const t = TYPES.indexOf(op.type);
    if (t < 0 || (t === 0 && !isBytes(op.value))) return null;
    bytes += op.key.length + (t === 0 ? op.value.length : 0);
  }
  const { buf, w, u8 } = layout(OPS, ops.length, 3 * ops.length, bytes);
  let at = (2 + 3 * ops.length) * 4;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    const t = TYPES.indexOf(op.type);
    w[2 + 3 * i] = t;
    w[3 + 3 * i] = op.key.length;
    u8.set(op.key, at);
    at += op.key.length;
    if (t === 0) {
      w[4 + 3 * i] = op.value.length;
      u8.set(op.value, at);
      at += op.value.length;
    } else {
      w[4 + 3 * i] = -1;
    }
  }
  return buf;
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
