// strata_wasi.mjs -- a small JavaScript binding over the WASI reactor (strata-reactor.wasm), for
// any host that can instantiate it: node:wasi, @bjorn3/browser_wasi_shim, Deno, a browser. It
// only follows the ABI of docs/WASI.md (nothing here is Node-specific), so it is also a worked
// example of that ABI for hosts in other languages:
//   - bytes go in by malloc + copy, as (pointer, length) pairs, and are freed after the call;
//   - every fallible export returns a strata_status pointer: 0 = ok, else read its code and
//     message, then strata_status_free it;
//   - handles are opaque i32 pointers, read back from 4-byte out-parameter slots;
//   - u64 parameters and results are BigInts, size_t and enums are i32 numbers.
// The host creates the WASI instance (with the folder preopened) and calls _initialize first.

const enc = new TextEncoder();
const dec = new TextDecoder();

export class StrataError extends Error {
  constructor(code, name, message) {
    super(message);
    this.code = name; // 'STRATA_NOT_FOUND', ...
    this.errno = code; // the numeric strata_code
  }
}

const toBytes = (b) => (typeof b === 'string' ? enc.encode(b) : b);

// The wasm32 layout of strata_stats (docs/WASI.md; wasi/reactor.c checks it at compile time).
const STATS_SIZE = 448;
const STATS = { level_count: 0, levels: 8, memtable_bytes: 264, flushes: 328, compactions: 336, seqno: 352, snapshots_open: 360 };
const RANGE_SIZE = 24;
const BOUND = { unbounded: 0, included: 1, excluded: 2 };

export class Strata {
  // `instance`: a WebAssembly.Instance of strata-reactor.wasm whose _initialize has run.
  constructor(instance) {
    this.x = instance.exports;
    this.version = this.#cstring(this.x.strata_version_string());
  }

  get #u8() { return new Uint8Array(this.x.memory.buffer); } // memory may grow: never cache a view
  get #dv() { return new DataView(this.x.memory.buffer); }

  #cstring(ptr) {
    const u8 = this.#u8;
    let end = ptr;
    while (u8[end] !== 0) end++;
    return dec.decode(u8.subarray(ptr, end));
  }

  // Copies `bytes` into fresh module memory; the caller frees the pointer (0 for no bytes).
  #alloc(bytes, extra = 0) {
    const ptr = this.x.malloc(Math.max(1, bytes.length + extra));
    if (ptr === 0) throw new StrataError(7, 'STRATA_NO_MEMORY', 'malloc failed in the module');
    this.#u8.set(bytes, ptr);
    return ptr;
  }

  // Runs fn(...pointers) with each argument copied in (strings NUL-terminated), then frees them.
  withBytes(list, fn) {
    const ptrs = [];
    try {
      for (const b of list) {
        if (typeof b === 'string') { // a C string
          const s = enc.encode(b);
          const p = this.#alloc(s, 1);
          this.#u8[p + s.length] = 0;
          ptrs.push(p);
        } else {
          ptrs.push(this.#alloc(b));
        }
      }
      return fn(...ptrs);
    } finally {
      for (const p of ptrs) this.x.free(p);
    }
  }

  // Throws the status `st` (a pointer; 0 = ok) as a StrataError, after freeing it.
  check(st) {
    if (st === 0) return;
    const code = this.x.strata_status_code(st);
    const message = this.#cstring(this.x.strata_status_message(st));
    this.x.strata_status_free(st);
    throw new StrataError(code, this.#cstring(this.x.strata_code_name(code)), message);
  }

  // Calls an export whose last parameter is an out-parameter of `size` bytes; returns the slot's
  // address to read(dv, ptr) while it is still allocated.
  out(size, call, read) {
    const slot = this.x.malloc(size);
    try {
      this.#u8.fill(0, slot, slot + size);
      this.check(call(slot));
      return read(this.#dv, slot);
    } finally {
      this.x.free(slot);
    }
  }

  readBytes(ptr, len) { return this.#u8.slice(ptr, ptr + len); }

  // Opens the database in `path` (a path the WASI host preopened). Options: createIfMissing,
  // memtableSize (bytes), kvThreshold (bytes: key-value separation of a database this open
  // creates, the other knobs at their defaults).
  open(path, { createIfMissing = true, memtableSize, kvThreshold } = {}) {
    const x = this.x;
    const opts = this.out(4, (p) => x.strata_options_new(p), (dv, p) => dv.getUint32(p, true));
    try {
      this.check(x.strata_options_set_create_if_missing(opts, createIfMissing ? 1 : 0));
      if (memtableSize !== undefined) this.check(x.strata_options_set_memtable_size(opts, BigInt(memtableSize)));
      // (64 MiB blob files, LZ4, staleness 0.25, age cutoff 0.25: strata.h's defaults)
      if (kvThreshold !== undefined) this.check(x.strata_options_set_kv_separation(opts, kvThreshold, 64n << 20n, 1, 0.25, 0.25));
      const db = this.withBytes([path], (p) => this.out(4, (out) => x.strata_open(p, opts, out), (dv, o) => dv.getUint32(o, true)));
      return new Db(this, db);
    } finally {
      x.strata_options_free(opts);
    }
  }
}

export class Db {
  constructor(s, handle) { this.s = s; this.x = s.x; this.handle = handle; }

  put(key, value, { sync = false } = {}) {
    const [k, v] = [toBytes(key), toBytes(value)];
    this.s.check(this.s.withBytes([k, v], (kp, vp) => this.x.strata_put(this.handle, kp, k.length, vp, v.length, sync ? 1 : 0)));
  }

  delete(key, { sync = false } = {}) {
    const k = toBytes(key);
    this.s.check(this.s.withBytes([k], (kp) => this.x.strata_delete(this.handle, kp, k.length, sync ? 1 : 0)));
  }

  // The value as a Uint8Array, or undefined when absent. `snapshot`: a Snapshot of this database.
  get(key, { snapshot } = {}) {
    const k = toBytes(key);
    const { x, s } = this;
    return s.withBytes([k], (kp) => s.out(12, (o) => x.strata_get(this.handle, snapshot ? snapshot.handle : 0, kp, k.length, o, o + 4, o + 8), (dv, o) => {
      if (dv.getInt32(o, true) === 0) return undefined;
      const [ptr, len] = [dv.getUint32(o + 4, true), dv.getUint32(o + 8, true)];
      const value = s.readBytes(ptr, len);
      x.strata_free(ptr); // the engine malloc'd it for us
      return value;
    }));
  }

  // ops: [{ type: 'put', key, value } | { type: 'del', key }], applied atomically.
  batch(ops, { sync = false } = {}) {
    const { x, s } = this;
    const b = s.out(4, (o) => x.strata_batch_new(o), (dv, o) => dv.getUint32(o, true));
    try {
      for (const op of ops) {
        const k = toBytes(op.key);
        if (op.type === 'put') {
          const v = toBytes(op.value);
          s.check(s.withBytes([k, v], (kp, vp) => x.strata_batch_put(b, kp, k.length, vp, v.length)));
        } else {
          s.check(s.withBytes([k], (kp) => x.strata_batch_delete(b, kp, k.length)));
        }
      }
      s.check(x.strata_write(this.handle, b, sync ? 1 : 0));
    } finally {
      x.strata_batch_free(b);
    }
  }

  snapshot() {
    const h = this.s.out(4, (o) => this.x.strata_snapshot_acquire(this.handle, o), (dv, o) => dv.getUint32(o, true));
    const x = this.x;
    return { handle: h, seqno: x.strata_snapshot_seqno(h), release: () => x.strata_snapshot_release(h) };
  }

  // Yields [key, value] pairs (Uint8Arrays). Options: gt, gte, lt, lte, prefix, reverse, limit, snapshot.
  * iterate({ gt, gte, lt, lte, prefix, reverse = false, limit = Infinity, snapshot } = {}) {
    const { x, s } = this;
    const snap = snapshot ? snapshot.handle : 0;
    let it;
    if (prefix !== undefined) {
      const p = toBytes(prefix);
      it = s.withBytes([p], (pp) => s.out(4, (o) => x.strata_iterator_new_prefix(this.handle, snap, pp, p.length, o), (dv, o) => dv.getUint32(o, true)));
    } else {
      const lo = gt ?? gte;
      const hi = lt ?? lte;
      const [l, h] = [toBytes(lo ?? new Uint8Array()), toBytes(hi ?? new Uint8Array())];
      it = s.withBytes([l, h, new Uint8Array(RANGE_SIZE)], (lp, hp, r) => { // strata_range, docs/WASI.md
        const dv = new DataView(x.memory.buffer);
        dv.setUint32(r, lo === undefined ? BOUND.unbounded : gt !== undefined ? BOUND.excluded : BOUND.included, true);
        dv.setUint32(r + 4, lp, true);
        dv.setUint32(r + 8, l.length, true);
        dv.setUint32(r + 12, hi === undefined ? BOUND.unbounded : lt !== undefined ? BOUND.excluded : BOUND.included, true);
        dv.setUint32(r + 16, hp, true);
        dv.setUint32(r + 20, h.length, true);
        return s.out(4, (o) => x.strata_iterator_new(this.handle, snap, r, o), (v, o) => v.getUint32(o, true));
      });
    }
    const len = x.malloc(4);
    try {
      if (reverse) x.strata_iterator_seek_last(it);
      else x.strata_iterator_seek_first(it);
      for (let n = 0; n < limit && x.strata_iterator_valid(it); n++) {
        const kp = x.strata_iterator_key(it, len);
        const key = s.readBytes(kp, new DataView(x.memory.buffer).getUint32(len, true));
        const vp = x.strata_iterator_value(it, len);
        const value = s.readBytes(vp, new DataView(x.memory.buffer).getUint32(len, true));
        yield [key, value];
        if (reverse) x.strata_iterator_prev(it);
        else x.strata_iterator_next(it);
      }
      s.check(x.strata_iterator_status(it)); // an error that ended the scan early
    } finally {
      x.free(len);
      x.strata_iterator_close(it);
    }
  }

  flush() { this.s.check(this.x.strata_flush(this.handle)); }
  compact({ major = true } = {}) { this.s.check(this.x.strata_compact(this.handle, major ? 1 : 0)); }

  // A few fields of strata_stats (the full layout is in docs/WASI.md).
  stats() {
    return this.s.out(STATS_SIZE, (o) => this.x.strata_get_stats(this.handle, o), (dv, o) => {
      const levels = [];
      for (let i = 0; i < dv.getUint32(o + STATS.level_count, true); i++) {
        const at = o + STATS.levels + 16 * i;
        levels.push({ tables: dv.getUint32(at, true), runs: dv.getUint32(at + 4, true), bytes: dv.getBigUint64(at + 8, true) });
      }
      return {
        levels,
        memtableBytes: dv.getBigUint64(o + STATS.memtable_bytes, true),
        flushes: dv.getBigUint64(o + STATS.flushes, true),
        compactions: dv.getBigUint64(o + STATS.compactions, true),
        seqno: dv.getBigUint64(o + STATS.seqno, true),
        snapshotsOpen: dv.getUint32(o + STATS.snapshots_open, true),
      };
    });
  }

  close() {
    const h = this.handle;
    this.handle = 0;
    this.s.check(this.x.strata_close(h));
  }
}
