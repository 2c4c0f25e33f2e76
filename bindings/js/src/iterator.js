// A range iterator over a database or a snapshot: entries come from wasm in pages (one
// strata_js_iter_page call per page), the first page small (a seek often reads a few entries),
// later ones up to PAGE_ENTRIES. A page is copied out of wasm memory once (one allocation) and
// decoded lazily, entry by entry as they are handed out: keys and values in the default 'view'
// encoding are subarrays of that copy when the Native is pooled (each entry's own bytes; entries
// of a page share one ArrayBuffer, as Node's pooled Buffers do), else copies of their own, so
// entries never read cost nothing but their part of the page copy.
import { utf8 } from './codecs.js';
import { StrataError, abortError, invalid } from './errors.js';
import { compareBytes, toBytes } from './keys.js';

const asyncDispose = Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose');

export const PAGE_ENTRIES = 256; // entries fetched per wasm call by next() and for await, at most
// A fresh or re-seeked iterator starts small (seeks often read a few entries; the C side pays for
// every entry it copies), then doubles per page.
const FIRST_PAGE = 16;
const DONE = Object.freeze({ value: undefined, done: true });

const u32 = (b, pos) => (b[pos] | (b[pos + 1] << 8) | (b[pos + 2] << 16) | (b[pos + 3] << 24)) >>> 0;

// The entry of page copy `b` at `at.pos` (then moved past it), shaped by `o` ({ want, keyEncoding,
// valueEncoding, shape }); see codecs.js's page layout: per entry u32 key length | key (when keys
// are wanted, or when neither is) | u32 value length | value (when wanted). Bytes are views of
// `b` when `views`, else copies of their own. Shared with the worker proxy, which gets pages
// packed (Iterator._packed).
export function decodeEntry(b, at, o, views) {
  const { want, keyEncoding, valueEncoding, shape } = o;
  let pos = at.pos;
  let key;
  let value;
  if (want & 1 || !want) {
    const kl = u32(b, pos);
    if (want & 1) key = keyEncoding === 'utf8' ? utf8(b.subarray(pos + 4, pos + 4 + kl)) : views ? b.subarray(pos + 4, pos + 4 + kl) : b.slice(pos + 4, pos + 4 + kl);
    pos += 4 + kl;
  }
  if (want & 2) {
    const vl = u32(b, pos);
    value = valueEncoding === 'utf8' ? utf8(b.subarray(pos + 4, pos + 4 + vl)) : views ? b.subarray(pos + 4, pos + 4 + vl) : b.slice(pos + 4, pos + 4 + vl);
    pos += 4 + vl;
  }
  at.pos = pos;
  if (shape === 'keys') return key;
  if (shape === 'values') return value;
  return [key, value];
}

// The offset just past the entry at `pos` (the layout of decodeEntry).
function skipEntry(b, pos, want) {
  if (want & 1 || !want) pos += 4 + u32(b, pos);
  if (want & 2) pos += 4 + u32(b, pos);
  return pos;
}

export class Iterator {
  #db;
  #n;
  #ptr;
  #o;
  #onClose;
  #buf = null; // the current page, copied out of wasm memory
  #at = { pos: 0 }; // byte offset of its next entry not handed out
  #left = 0; // its entries not handed out yet
  #pageSize = FIRST_PAGE; // doubles with each page fetched, up to PAGE_ENTRIES
  #exhausted = false;
  #count = 0; // entries handed out (for limit)
  #closed = false;
  #batch = false; // inside #take: entries handed out together

  constructor(db, native, ptr, o, onClose) {
    this.#db = db;
    this.#n = native;
    this.#ptr = ptr;
    this.#o = o;
    this.#onClose = onClose;
  }

  // An aborted signal (options.signal) wins over everything: the iterator is released and
  // every later call rejects with an AbortError.
  #ensureOpen(what) {
    const { signal } = this.#o;
    if (signal?.aborted) {
      this._release();
      throw abortError(signal, `iterator.${what}`);
    }
    if (this.#closed) throw new StrataError('STRATA_NOT_OPEN', `iterator.${what}: the iterator is closed`);
    this.#db._ensureUsable(`iterator.${what}`);
  }

  // Fetches up to `max` more entries with one wasm call (more only if one entry is larger
  // than the output buffer, which is then grown) and copies the page out of wasm memory.
  #fill(max) {
    const n = this.#n;
    const m = n.m;
    n.ensureOut(65536);
    for (;;) {
      n.check(m._strata_js_iter_page(this.#ptr, n.outPtr, n.outCap, max, this.#o.want || 1, n.words), 'iterator');
      const count = n.word(0);
      const need = n.word(3);
      this.#exhausted = n.word(2) !== 0;
      if (count === 0 && need > 0) {
        n.ensureOut(need);
        continue;
      }
      this.#buf = count ? n.copyOut(n.outPtr, n.word(1)) : null;
      this.#at.pos = 0;
      this.#left = count;
      return;
    }
  }

  // The next entry of the page, shaped: views of the page copy when pooled or for nextv/all (a
  // worker's reply then clones each page once, not a buffer per entry); else (next() off the
  // main thread) a copy of its own.
  #decodeOne() {
    const e = decodeEntry(this.#buf, this.#at, this.#o, this.#n.pooled || this.#batch);
    this.#left--;
    this.#count++;
    if (this.#left === 0) this.#buf = null;
    return e;
  }

  // The next entry, or undefined at the end (or at the limit); fetches a page when needed.
  // `hint`: how many entries the caller wants in all (a bigger first page for nextv).
  #one(hint) {
    return this.#ready(hint) ? this.#decodeOne() : undefined;
  }

  // Fetches a page when none is left; false at the end (or the limit).
  #ready(hint) {
    if (this.#count >= this.#o.limit) return false;
    if (this.#left > 0) return true;
    if (this.#exhausted) return false;
    this.#fill(Math.min(Math.max(this.#pageSize, hint), this.#o.limit - this.#count, 1 << 16));
    this.#pageSize = Math.min(this.#pageSize * 2, PAGE_ENTRIES);
    return this.#left > 0;
  }

  #take(max) {
    const out = [];
    this.#batch = true;
    try {
      while (out.length < max) {
        const e = this.#one(max - out.length);
        if (e === undefined) break;
        out.push(e);
      }
    } finally {
      this.#batch = false;
    }
    return out;
  }

  // The next entry, or undefined at the end.
  async next() {
    this.#ensureOpen('next');
    return this.#one(1);
  }

  // Up to `size` entries (fewer only at the end).
  async nextv(size) {
    this.#ensureOpen('nextv');
    if (typeof size !== 'number' || Number.isNaN(size) || size < 0) throw invalid('nextv: size must be a number >= 0');
    const max = Math.floor(size);
    return max === 0 ? [] : this.#take(max);
  }

  // nextv for the package's own loops (db.clear): no promise, no signal.
  _takeSync(max) {
    if (this.#closed) throw new StrataError('STRATA_NOT_OPEN', 'iterator: the iterator is closed');
    return this.#take(max);
  }

  // Every remaining entry; closes the iterator.
  async all() {
    this.#ensureOpen('all');
    try {
      return this.#take(Infinity);
    } finally {
      await this.close();
    }
  }

  // Moves to the first key >= target (the last key <= target when reverse), within the range.
  seek(target) {
    this.#ensureOpen('seek');
    const n = this.#n;
    let t = n.checkKey(target);
    const { lo, hi, reverse } = this.#o;
    if (!reverse && lo && compareBytes(t = toBytes(t), lo.key) < 0) t = lo.key;
    if (reverse && hi && compareBytes(t = toBytes(t), hi.key) > 0) t = hi.key;
    const l = n.putOne(t);
    n.m._strata_js_iter_seek(this.#ptr, n.inPtr, l);
    this.#buf = null;
    this.#at.pos = 0;
    this.#left = 0;
    this.#pageSize = FIRST_PAGE;
    this.#exhausted = false;
  }

  // What the worker proxy reads (worker_serve.js posts the reply, the bytes transferred): up to
  // `max` entries as one packed page, [bytes, count, want, keyEncoding, valueEncoding, shape],
  // the bytes in the page layout of decodeEntry, which the proxy decodes. A page taken whole is
  // its own copy (a worker's Native is not pooled); parts of pages are joined.
  async _packed(max) {
    this.#ensureOpen('nextv');
    const parts = [];
    let count = 0;
    let bytes = 0;
    const { want } = this.#o;
    while (count < max && this.#ready(max - count)) {
      const b = this.#buf;
      const from = this.#at.pos;
      const k = Math.min(this.#left, max - count, this.#o.limit - this.#count);
      let end = from;
      for (let i = 0; i < k; i++) end = skipEntry(b, end, want);
      parts.push(b.subarray(from, end));
      bytes += end - from;
      count += k;
      this.#count += k;
      this.#left -= k;
      this.#at.pos = end;
      if (this.#left === 0) this.#buf = null;
    }
    let out;
    if (parts.length === 1 && parts[0].byteOffset === 0 && parts[0].byteLength === parts[0].buffer.byteLength) {
      out = parts[0];
    } else {
      out = new Uint8Array(bytes);
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
    }
    const { keyEncoding, valueEncoding, shape } = this.#o;
    return [out, count, want, keyEncoding, valueEncoding, shape];
  }

  // seek + _packed in one call: the proxy's first read after a seek is one message.
  async _seekPacked(target, max) {
    this.seek(target);
    return this._packed(max);
  }

  async close() {
    this._release();
  }

  // Called by close() and by db.close().
  _release() {
    if (this.#closed) return;
    this.#closed = true;
    this.#buf = null;
    this.#left = 0;
    this.#n.m._strata_js_iter_close(this.#ptr);
    this.#ptr = 0;
    this.#n = null;
    this.#onClose(this);
    this.#o.snapshot?._unuse();
  }

  // for await: an async iterator object rather than an async generator, so each entry costs
  // one resolved promise (a generator's yield adds several microtask turns). As the generator
  // did, it closes the iterator at the end, on break (return()) and on an error.
  [Symbol.asyncIterator]() {
    let finished = false;
    const finish = () => {
      finished = true;
      return this.close();
    };
    return {
      next: () => {
        if (finished) return Promise.resolve(DONE);
        let e;
        try {
          this.#ensureOpen('next');
          e = this.#one(PAGE_ENTRIES);
        } catch (err) {
          return finish().then(() => { throw err; });
        }
        if (e === undefined) return finish().then(() => DONE);
        return Promise.resolve({ value: e, done: false });
      },
      return: async (value) => {
        if (!finished) await finish();
        return { value, done: true };
      },
      throw: async (err) => {
        if (!finished) await finish();
        throw err;
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  async [asyncDispose]() {
    await this.close();
  }
}
