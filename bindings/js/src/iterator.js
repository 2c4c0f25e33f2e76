// A range iterator over a database or a snapshot: entries come from wasm in pages (one
// strata_js_iter_page call per page, decoded by codecs.decodePage), the first page small (a seek
// often reads a few entries), later ones up to PAGE_ENTRIES.
import { decodeBytes, decodePage } from './codecs.js';
import { StrataError, abortError, invalid } from './errors.js';
import { compareBytes, toBytes } from './keys.js';

const asyncDispose = Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose');

export const PAGE_ENTRIES = 256; // entries fetched per wasm call by next() and for await, at most
const FIRST_PAGE = 8; // a fresh or re-seeked iterator starts small: seeks often read a few entries

export class Iterator {
  #db;
  #n;
  #ptr;
  #o;
  #onClose;
  #page = []; // decoded entries not handed out yet
  #pageSize = FIRST_PAGE; // doubles with each page fetched, up to PAGE_ENTRIES
  #exhausted = false;
  #count = 0; // entries handed out (for limit)
  #closed = false;

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
  // than the output buffer, which is then grown).
  #fill(max) {
    const n = this.#n;
    const m = n.m;
    const { want, keyEncoding, valueEncoding } = this.#o;
    n.ensureOut(65536);
    for (;;) {
      n.check(m._strata_js_iter_page(this.#ptr, n.outPtr, n.outCap, max, want || 1, n.words), 'iterator');
      const count = n.word(0);
      const need = n.word(3);
      this.#exhausted = n.word(2) !== 0;
      if (count === 0 && need > 0) {
        n.ensureOut(need);
        continue;
      }
      decodePage(m.HEAPU8, n.outPtr, count, want, (k, v) => {
        this.#page.push(this.#shape(k && decodeBytes(k, keyEncoding), v && decodeBytes(v, valueEncoding)));
      });
      return;
    }
  }

  // db.iterator() yields [key, value]; keys() yields keys; values() yields values.
  #shape(key, value) {
    const { shape } = this.#o;
    if (shape === 'keys') return key;
    if (shape === 'values') return value;
    return [key, value];
  }

  #remaining() {
    return this.#o.limit - this.#count;
  }

  #take(max) {
    const out = [];
    while (out.length < max && this.#remaining() > 0) {
      if (this.#page.length === 0) {
        if (this.#exhausted) break;
        this.#fill(Math.min(Math.max(this.#pageSize, max - out.length), this.#remaining(), 1 << 16));
        this.#pageSize = Math.min(this.#pageSize * 2, PAGE_ENTRIES);
        if (this.#page.length === 0) break;
      }
      const k = Math.min(this.#page.length, max - out.length, this.#remaining());
      const got = this.#page.splice(0, k);
      for (const e of got) out.push(e);
      this.#count += k;
    }
    return out;
  }

  // The next entry, or undefined at the end.
  async next() {
    this.#ensureOpen('next');
    const [e] = this.#take(1);
    return e;
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
    let t = toBytes(this.#n.checkKey(target));
    const { lo, hi, reverse } = this.#o;
    if (!reverse && lo && compareBytes(t, lo.key) < 0) t = lo.key;
    if (reverse && hi && compareBytes(t, hi.key) > 0) t = hi.key;
    const [p, l] = this.#n.put(t);
    this.#n.m._strata_js_iter_seek(this.#ptr, p, l);
    this.#page = [];
    this.#pageSize = FIRST_PAGE;
    this.#exhausted = false;
  }

  async close() {
    this._release();
  }

  // Called by close() and by db.close().
  _release() {
    if (this.#closed) return;
    this.#closed = true;
    this.#page = [];
    this.#n.m._strata_js_iter_close(this.#ptr);
    this.#ptr = 0;
    this.#n = null;
    this.#onClose(this);
    this.#o.snapshot?._unuse();
  }

  async *[Symbol.asyncIterator]() {
    try {
      for (;;) {
        this.#ensureOpen('next');
        if (this.#page.length === 0) {
          const batch = this.#take(PAGE_ENTRIES);
          if (batch.length === 0) return;
          yield* batch;
        } else {
          yield* this.#take(this.#page.length);
        }
      }
    } finally {
      await this.close();
    }
  }

  async [asyncDispose]() {
    await this.close();
  }
}
