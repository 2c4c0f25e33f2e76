// Keys, values and ranges as the engine takes them: strings (UTF-8) or byte arrays, checked
// against the key limit, and {gt, gte, lt, lte, prefix} folded into one lower and one upper bound.
// No Node built-ins: the browser entry uses this module too.
import { invalid } from './errors.js';

const encoder = new TextEncoder();

// A location (a database folder) crosses to C as a NUL-terminated string, so a NUL inside it
// would silently cut the path short: refused, as are non-strings and the empty string.
export function checkLocation(location, what = 'location') {
  if (typeof location !== 'string' || location === '') throw invalid(`${what} must be a non-empty string (a folder, or ':memory:')`);
  if (location.includes('\0')) throw invalid(`${what} must not contain a NUL character: ${JSON.stringify(location)}`);
  return location;
}

function hex(bytes) {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

// Describes a key for messages: strings quoted, bytes in hex, both cut short.
export function describeKey(key) {
  if (typeof key === 'string') return JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key);
  if (key instanceof Uint8Array) return `0x${hex(key.subarray(0, 24))}${key.length > 24 ? '…' : ''}`;
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

// UTF-8 length of a string (lone surrogates count 3, as TextEncoder writes U+FFFD).
function utf8Length(s) {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) { n += 4; i++; }
    else n += 3;
  }
  return n;
}

// The key checker for a build's key limit (KEY_MAX of the limits descriptor).
export function keyChecker(keyMax) {
  return (key) => {
    const k = checkBytes(key, 'key');
    if (typeof k === 'string' ? k.length * 3 > keyMax && utf8Length(k) > keyMax : k.length > keyMax) {
      const len = typeof k === 'string' ? utf8Length(k) : k.length;
      throw invalid(`key ${describeKey(k)} is ${len} bytes; keys are at most ${keyMax} bytes`);
    }
    return k;
  };
}

// The value checker for a build's value limit (VALUE_MAX of the limits descriptor): refused
// here, before the value is copied into wasm memory (where a value of gigabytes would fail to
// allocate), the limit every build of the engine stores, flushes and reads back. A string that
// cannot exceed it (each UTF-16 unit is at most 3 bytes of UTF-8) is not measured.
export function valueChecker(valueMax) {
  return (value, key) => {
    if (value === null || value === undefined) throw invalid(`value of key ${describeKey(key)} must not be ${value}`);
    // strings and Uint8Arrays (the common case) pass without building checkBytes' message
    const v = typeof value === 'string' || value instanceof Uint8Array ? value : checkBytes(value, `value of key ${describeKey(key)}`);
    const len = typeof v === 'string' ? (v.length * 3 <= valueMax ? v.length : utf8Length(v)) : v.length;
    if (len > valueMax) {
      throw invalid(`value of key ${describeKey(key)} is ${len} bytes; values are at most ${valueMax} bytes (STRATA_VALUE_MAX)`);
    }
    return v;
  };
}

export function toBytes(x) {
  return typeof x === 'string' ? encoder.encode(x) : x;
}

export function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

// The smallest key greater than every key that starts with prefix (undefined: no such key).
function prefixEnd(prefix) {
  const p = Uint8Array.from(prefix);
  for (let i = p.length - 1; i >= 0; i--) {
    if (p[i] !== 0xff) {
      const end = p.slice(0, i + 1);
      end[i]++;
      return end;
    }
  }
  return undefined;
}

// Normalises {gt, gte, lt, lte, prefix} to one lower and one upper bound of bytes.
export function rangeOf(opts, checkKey) {
  let lo = null; // { key, inclusive }
  let hi = null;
  const tighterLo = (key, inclusive) => {
    if (!lo) { lo = { key, inclusive }; return; }
    const c = compareBytes(key, lo.key);
    if (c > 0 || (c === 0 && !inclusive)) lo = { key, inclusive };
  };
  const tighterHi = (key, inclusive) => {
    if (!hi) { hi = { key, inclusive }; return; }
    const c = compareBytes(key, hi.key);
    if (c < 0 || (c === 0 && !inclusive)) hi = { key, inclusive };
  };
  for (const [name, inclusive, set] of [['gt', false, tighterLo], ['gte', true, tighterLo], ['lt', false, tighterHi], ['lte', true, tighterHi]]) {
    if (opts[name] !== undefined) set(toBytes(checkKey(opts[name])), inclusive);
  }
  if (opts.prefix !== undefined) {
    const p = toBytes(checkKey(opts.prefix));
    tighterLo(p, true);
    const end = prefixEnd(p);
    if (end) tighterHi(end, false);
  }
  return { lo, hi };
}

export function encodingOf(name, what) {
  if (name === undefined || name === 'buffer' || name === 'view' || name === 'binary') return 'view';
  if (name === 'utf8' || name === 'utf-8' || name === 'string') return 'utf8';
  throw invalid(`${what} must be 'utf8' or 'buffer', not ${JSON.stringify(name)}`);
}
