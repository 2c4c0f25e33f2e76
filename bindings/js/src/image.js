// Database images (docs/IMAGE.md): a whole database as one file, written and read by the C engine
// (src/db/db_export.c, db_import.c), so an image made here opens natively, under WASI and in a
// browser, and back. No Node built-ins: the Node entry (index.js) and the browser one use it.
//
//   const image = db.export({ onProgress });  // pinned now: later writes are not in it
//                                             // onProgress({ bytesDone, bytesTotal }) (progress.js)
//   for await (const chunk of image) ...      // Uint8Array chunks; image.total bytes in all
//   image.stream()                            // the same as a ReadableStream
//   await db.exportBytes()                    // one Uint8Array
//   await importDatabase(location, bytesOrChunks, { onProgress })
import { StrataError, invalid, notOpen } from './errors.js';
import { checkProgress, reporter } from './progress.js';
import { retryBlocked } from './host_common.js';

const DEFAULT_CHUNK = 1 << 20;
const CHUNK_MAX = 64 << 20;

function progressOf(options, what) {
  if (options === null || typeof options !== 'object') throw invalid(`${what} options must be an object`);
  return checkProgress(options.onProgress, what);
}

export function checkChunkSize(options) {
  const size = options.chunkSize ?? DEFAULT_CHUNK;
  if (!Number.isInteger(size) || size < 1 || size > CHUNK_MAX) {
    throw invalid(`export: chunkSize must be a whole number of bytes in 1..${CHUNK_MAX}, not ${String(options.chunkSize)}`);
  }
  return size;
}

// The image of one pinned moment. Reading it copies chunks out of the engine; return() or
// close() (and closing the database) ends the pin.
export class DatabaseImage {
  #native;
  #handle;
  #onEnd;
  #chunk;
  #progress;
  #done = 0;
  #status = 'open';

  constructor(native, handle, total, { chunkSize, onProgress }, onEnd) {
    this.#native = native;
    this.#handle = handle;
    this.total = total;
    this.#chunk = chunkSize;
    this.#progress = reporter(onProgress);
    this.#onEnd = onEnd;
  }

  // Bytes read so far.
  get done() {
    return this.#done;
  }

  // { total, done }: what a proxy (worker_proxy.js) asks for once, as total is known here.
  info() {
    return { total: this.total, done: this.#done };
  }

  // The next chunk (a copy), or null once the image is complete.
  read() {
    if (this.#status !== 'open') throw notOpen('export: the image was closed (or its database)');
    const n = this.#native;
    n.ensureOut(this.#chunk);
    let got;
    try {
      n.check(n.m._strata_js_export_read(this.#handle, n.outPtr, this.#chunk, n.words), 'export');
      got = n.word(0);
    } catch (err) {
      this._release();
      throw err;
    }
    if (got === 0) {
      this._release();
      if (this.#done !== this.total) {
        throw new StrataError('STRATA_CORRUPTION', `export: the image ended at ${this.#done} of ${this.total} bytes`);
      }
      this.#progress.take(); // the callback's first error, now that the image is complete
      return null;
    }
    const bytes = n.m.HEAPU8.slice(n.outPtr, n.outPtr + got);
    this.#done += got;
    this.#progress.report(this.#done, this.total);
    return bytes;
  }

  async next() {
    const value = this.read();
    return value === null ? { done: true, value: undefined } : { done: false, value };
  }

  async return() {
    this._release();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  // A ReadableStream of the chunks (pull-based: a chunk is read when the consumer wants one).
  stream() {
    return new ReadableStream({
      pull: (controller) => {
        try {
          const chunk = this.read();
          if (chunk === null) controller.close();
          else controller.enqueue(chunk);
        } catch (err) {
          controller.error(err);
        }
      },
      cancel: () => this._release(),
    }, { highWaterMark: 0 });
  }

  async close() {
    this._release();
  }

  // Ends the pin (idempotent); the database calls it when it closes.
  _release() {
    if (this.#status !== 'open') return;
    this.#status = 'closed';
    this.#native.m._strata_js_export_end(this.#handle);
    this.#handle = 0;
    this.#onEnd(this);
  }
}

// Starts an export on a database handle; `onEnd` is called once the pin ends.
export function beginExport(native, db, options, onEnd) {
  const onProgress = progressOf(options, 'export');
  const chunkSize = checkChunkSize(options);
  native.check(native.m._strata_js_export_begin(db, native.words, native.words + 8), 'export');
  const handle = native.word(0);
  const total = native.m.HEAPF64[(native.words + 8) >>> 3];
  return new DatabaseImage(native, handle, total, { chunkSize, onProgress }, onEnd);
}

// Reads a whole image into one Uint8Array.
export async function imageBytes(image) {
  const out = new Uint8Array(image.total);
  let pos = 0;
  for (let chunk = image.read(); chunk !== null; chunk = image.read()) {
    out.set(chunk, pos);
    pos += chunk.length;
  }
  return out;
}

function asBytes(x, what) {
  if (x instanceof Uint8Array) return x;
  if (x instanceof ArrayBuffer) return new Uint8Array(x);
  if (ArrayBuffer.isView(x)) return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  throw invalid(`${what} must be a Uint8Array, an ArrayBuffer or an (async) iterable or ReadableStream of them`);
}

// The chunks of `source`: bytes, an (async) iterable of bytes, or a ReadableStream.
export async function* chunksOf(source) {
  if (source instanceof Uint8Array || source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    yield asBytes(source, 'importDatabase: the image');
    return;
  }
  if (typeof ReadableStream !== 'undefined' && source instanceof ReadableStream) {
    const reader = source.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield asBytes(value, 'importDatabase: a chunk');
      }
    } finally {
      reader.releaseLock();
    }
  }
  if (source && (typeof source[Symbol.asyncIterator] === 'function' || typeof source[Symbol.iterator] === 'function')) {
    for await (const chunk of source) yield asBytes(chunk, 'importDatabase: a chunk');
    return;
  }
  throw invalid('importDatabase: the image must be a Uint8Array, an ArrayBuffer or an (async) iterable or ReadableStream of them');
}

// Creates the database in `where` (missing or empty) on `native`'s backend from `source`; the
// native is freed afterwards. Everything is verified by the engine: a damaged or truncated image
// is STRATA_CORRUPTION, and nothing is left in `where`.
// On a storage host that may refuse a create with "would block" (the OPFS pool had no file free
// for the image's next file), the import, which then removed everything it had written, runs
// again from the image's start once the host is ready (retryBlocked): bytes are read again, an
// iterable's or stream's chunks are kept as they are read for that (on such a host only).
// Progress never goes back: a second pass reports only past where the first got.
export async function importWith(native, where, source, options = {}) {
  const host = native.host;
  const again = host?.whenUnblocked ? replayable(source) : null;
  try {
    if (!again) {
      await importInto(native, where, source, options);
      return;
    }
    const progress = reporter(progressOf(options, 'importDatabase'));
    let high = -1;
    const onward = { report(done, total) { if (done >= high) { high = done; progress.report(done, total); } }, take: () => progress.take() };
    await retryBlocked(host, () => importInto(native, where, again.source, options, onward));
  } finally {
    again?.close();
    native.free();
  }
}

// `source` readable again from its start: bytes as they are; an iterable's or stream's chunks
// kept as the first pass reads them, and read on from the source by a later pass that gets
// past them. close() lets go of the source.
function replayable(source) {
  if (source instanceof Uint8Array || source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return { source, close() {} };
  const seen = [];
  let live = null; // chunksOf(source), shared by every pass
  return {
    source: {
      async* [Symbol.asyncIterator]() {
        yield* seen;
        live ??= chunksOf(source);
        for (;;) {
          const { done, value } = await live.next();
          if (done) return;
          seen.push(value);
          yield value;
        }
      },
    },
    close() {
      live?.return().catch(() => {});
    },
  };
}

// The same on a native that stays loaded: a memory backend's database is opened afterwards on
// the same native (openDatabase), since its files live in that instance only. A browser storage
// host's prepare() runs before each write (the OPFS pool grows, a failed IndexedDB commit is
// retried) and its settle() before this resolves: the imported database is durable by then.
export async function importInto(native, where, source, options = {}, progress = reporter(progressOf(options, 'importDatabase'))) {
  const m = native.m;
  const host = native.host;
  let ok = false;
  let cpath = 0;
  let handle = 0;
  try {
    cpath = native.cstring(where);
    native.check(m._strata_js_import_begin(cpath, native.vfs, native.words), `importDatabase ${where}`);
    handle = native.word(0);
    let done = 0;
    let total = source instanceof Uint8Array || source instanceof ArrayBuffer ? source.byteLength : 0;
    const piece = DEFAULT_CHUNK;
    for await (const chunk of chunksOf(source)) {
      for (let off = 0; off < chunk.length; off += piece) {
        const part = chunk.subarray(off, Math.min(chunk.length, off + piece));
        const ready = host?.prepare?.();
        if (ready) await ready;
        native.ensureIn(part.length);
        m.HEAPU8.set(part, native.inPtr);
        native.check(m._strata_js_import_write(handle, native.inPtr, part.length, native.words + 8), `importDatabase ${where}`);
        done += part.length;
        total = total || m.HEAPF64[(native.words + 8) >>> 3];
        progress.report(done, Math.max(done, total));
      }
    }
    const h = handle;
    handle = 0;
    native.check(m._strata_js_import_finish(h), `importDatabase ${where}`);
    const settled = host?.settle?.();
    if (settled) await settled;
    progress.take(); // the callback's first error, now that the database is complete
    ok = true;
  } finally {
    if (handle) m._strata_js_import_abort(handle);
    // a failed import (aborted here, or by import_finish itself) removed what it had written:
    // that removal is made durable too, before the caller can start another import
    if (!ok) await host?.settle?.()?.catch(() => {});
    if (cpath) m._free(cpath);
  }
}
