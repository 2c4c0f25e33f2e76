// The OPFS storage host (dedicated workers only): the engine's files live in a pool of OPFS files
// held open with FileSystemSyncAccessHandle, whose calls are synchronous as the host calls must be
// (bindings/js/c/vfs_js.c; the same methods and conventions as node_host.js).
//
// Layout: one OPFS folder per database, strata-lsm/<encodeURIComponent(name)>/, holding
//   slot-<n>       pool files; each holds one engine file's bytes, or nothing when free
//   meta-0, meta-1 the pool's metadata, written alternately: magic "STROPFS1", generation (u64),
//                  body length (u32), CRC-32 of generation + length + body, body = JSON
//                  { dirs: [path...], files: [[path, slot]...] }
// At open the valid metadata file of the higher generation is the truth; a torn write of the
// newer one fails its checksum, so the older one (the state before that change) is used; slots
// it does not map are emptied. Nothing relies on move()/rename.
//
// Opening a handle is asynchronous, so files are never opened on demand: creating a file claims
// a free slot, removing one releases it. The pool grows between requests (prepare(), and a top-up
// started whenever the free slots run low) up to `maxHandles` open handles (default 200, below
// Safari's limit of 252 sync handles per page), which also caps the files of a database. One
// engine call may need more new files than are free (a compaction writing many tables): the
// create that finds no free slot fails with STRATA_BUSY ("would block"), which the engine treats
// as a clean refusal (the write, flush or compaction step leaves nothing behind; see
// scheduler.h), and the host starts growing the pool to twice what that call had claimed. The JS
// layer (database.js) awaits whenUnblocked(err) and runs the call again (host_common.js
// retryBlocked), holding the database's later calls behind it in order. Only at the handle cap
// is a create refused for good: STRATA_IO "too many files", the database staying open.
//
// Writes: each SyncAccessHandle.write costs about as much as a whole awaited put (20-40 us here),
// so appends at a file's end gather in a per-file buffer (APPEND_BUFFER) and go out in one write
// when it is full, when the file is synced, read where the buffer lies, truncated below it or
// written elsewhere, at every commit, and by a timer DRAIN_DELAY_MS after an append (so an idle
// database's unsynced bytes reach the file soon; Chromium kept unflushed writes of an open handle
// after SIGKILL). A buffered append cannot fail later unseen: a failed drain keeps the bytes
// buffered and fails the call that drained (the next append, the sync, the commit), and a sync
// drains before it returns, so a quota refusal reaches the journal inside the engine call that
// wrote the batch, which then cuts the batch off and does not apply it.
//
// Durability: a file's sync() drains it and marks it; settle() flushes every marked file with one
// pass shared by all writes since the last (group commit): the JS layer awaits host.settle()
// before it acknowledges a `sync: true` write, flush() or close().
// Names change only in memory until a commit point: sync_dir(), replace() and settle() flush the
// marked files (in the order they were marked, so a table is durable before the manifest naming
// it), then write and flush the metadata. A removed file's slot is emptied and reused only once
// metadata without it is durable (and no handle reads it any more), so a crash can never map an
// old name to a reused slot. replace() writes a fresh slot, flushes it and commits metadata
// pointing the name at it: the name holds the old contents or the new, never a mix.
import { StrataError } from './errors.js';
import { CODES, ERR_CAP, OPEN, hostError, isQuotaError } from './host_common.js';
import { PathHost, normPath } from './path_host.js';
import { crc32 } from './lock_record.js';
import { LOCK_TIMEOUT_MS, acquireWebLock, webLockName, withWebLock } from './web_lock.js';

export const OPFS_ROOT = 'strata-lsm'; // the OPFS folder holding one folder per database
const META_FILES = ['meta-0', 'meta-1'];
const SLOT_PREFIX = 'slot-';
const META_MAGIC = 'STROPFS1';
const META_HEADER = 24; // magic 8, generation 8, length 4, crc 4
export const OPFS_MAX_HANDLES = 200; // default cap on open sync handles (Safari allows 252)
const DEFAULT_MIN_FREE = 8;
const GROW_BATCH = 16; // slots the pool opens side by side while it grows
// The pool a database opens with: the files a new database makes at open (journal, manifest),
// plus minFree kept free. Each handle costs the browser about a millisecond to open, and a
// database open was mostly its pool: no more than that is opened up front.
const DEFAULT_INITIAL_SLOTS = DEFAULT_MIN_FREE + 2;
const APPEND_BUFFER = 64 * 1024; // appends gathered per file before one SyncAccessHandle.write
const DRAIN_DELAY_MS = 10; // the timer that writes buffered appends out once the thread is free
// The end of a refused create's message: the engine carries it into the errors of what that
// refusal stopped (a background flush's error that a write then reports, in the pthreads build).
const WOULD_BLOCK = 'would block while the pool grows';

// The kind of an engine file by its path (util/db_files.h): the key of stats().opfs.refusalsBy.
function refusedKind(path) {
  const m = /(?:^|\/)(journal|tables|blobs|lost)\/[^/]+$/.exec(path);
  if (m) return m[1];
  return /(?:^|\/)manifest-\d$/.test(path) ? 'manifest' : 'other';
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function checkName(name) {
  if (typeof name !== 'string' || name === '' || name.length > 200) {
    throw new StrataError('STRATA_INVALID_ARGUMENT', `OPFS database name must be a non-empty string of at most 200 characters, got ${JSON.stringify(name)}`);
  }
}

async function databasesFolder(create) {
  if (typeof navigator?.storage?.getDirectory !== 'function') {
    throw new StrataError('STRATA_NOT_SUPPORTED', 'OPFS (navigator.storage.getDirectory) is not available in this context');
  }
  const root = await navigator.storage.getDirectory();
  try {
    return await root.getDirectoryHandle(OPFS_ROOT, { create });
  } catch (err) {
    if (err?.name === 'NotFoundError') return null;
    throw err;
  }
}

// The names of the OPFS databases of this origin (any context: page or worker).
export async function listOpfsDatabases() {
  const folder = await databasesFolder(false);
  const names = [];
  if (!folder) return names;
  for await (const [entry, handle] of folder.entries()) {
    if (handle.kind !== 'directory') continue;
    try {
      names.push(decodeURIComponent(entry));
    } catch {
      // not one of ours
    }
  }
  return names.sort();
}

// Deletes an OPFS database (any context). Resolves true when it existed, false when not;
// STRATA_LOCKED while another context has it open.
export async function deleteOpfsDatabase(name, { lockTimeoutMs = LOCK_TIMEOUT_MS } = {}) {
  checkName(name);
  return withWebLock(webLockName('opfs', name), { timeoutMs: lockTimeoutMs, what: `OPFS database "${name}"` }, async () => {
    const folder = await databasesFolder(false);
    if (!folder) return false;
    try {
      await folder.removeEntry(encodeURIComponent(name), { recursive: true });
      return true;
    } catch (err) {
      if (err?.name === 'NotFoundError') return false;
      throw new StrataError(isQuotaError(err) ? 'STRATA_QUOTA' : 'STRATA_IO', `deleting OPFS database "${name}": ${err?.message ?? err}`, { cause: err });
    }
  });
}

// The open option `opfs` ({ maxHandles, initialSlots, minFree }: OpfsHost.open's pool options),
// checked; {} when absent. Unknown names are refused.
export function checkPoolOptions(pool) {
  if (pool === undefined) return {};
  if (pool === null || typeof pool !== 'object') throw new StrataError('STRATA_INVALID_ARGUMENT', 'opfs must be an object: { maxHandles, initialSlots, minFree }');
  const out = {};
  for (const [key, value] of Object.entries(pool)) {
    if (!['maxHandles', 'initialSlots', 'minFree'].includes(key)) throw new StrataError('STRATA_INVALID_ARGUMENT', `opfs.${key} is not an option (maxHandles, initialSlots, minFree)`);
    if (value !== undefined) out[key] = value;
  }
  const { maxHandles = OPFS_MAX_HANDLES, initialSlots = DEFAULT_INITIAL_SLOTS, minFree = DEFAULT_MIN_FREE } = out;
  if (!Number.isInteger(maxHandles) || maxHandles < 4 || maxHandles > 250) {
    throw new StrataError('STRATA_INVALID_ARGUMENT', `opfs.maxHandles must be an integer from 4 to 250, got ${maxHandles}`);
  }
  if (!Number.isInteger(minFree) || minFree < 1 || minFree > maxHandles - 2) {
    throw new StrataError('STRATA_INVALID_ARGUMENT', `opfs.minFree must be an integer from 1 to maxHandles - 2, got ${minFree}`);
  }
  if (!Number.isInteger(initialSlots) || initialSlots < 1 || initialSlots > maxHandles - 2) {
    throw new StrataError('STRATA_INVALID_ARGUMENT', `opfs.initialSlots must be an integer from 1 to maxHandles - 2, got ${initialSlots}`);
  }
  return out;
}

// createSyncAccessHandle, retried while another context still holds the file (a reloading page
// releases its handles late).
async function syncHandle(fileHandle, deadline) {
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    try {
      return await fileHandle.createSyncAccessHandle();
    } catch (err) {
      if (err?.name !== 'NoModificationAllowedError' || Date.now() >= deadline) throw err;
      await sleep(delay);
    }
  }
}

function encodeMeta(generation, body) {
  const bytes = enc.encode(JSON.stringify(body));
  const out = new Uint8Array(META_HEADER + bytes.length);
  out.set(enc.encode(META_MAGIC), 0);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(8, BigInt(generation), true);
  dv.setUint32(16, bytes.length, true);
  out.set(bytes, META_HEADER);
  const sum = new Uint8Array(12 + bytes.length);
  sum.set(out.subarray(8, 20), 0);
  sum.set(bytes, 12);
  dv.setUint32(20, crc32(sum), true);
  return out;
}

// { generation, body } or null when the bytes are not a whole, valid metadata record.
function decodeMeta(bytes) {
  if (bytes.length < META_HEADER || dec.decode(bytes.subarray(0, 8)) !== META_MAGIC) return null;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = dv.getUint32(16, true);
  if (META_HEADER + len > bytes.length) return null;
  const sum = new Uint8Array(12 + len);
  sum.set(bytes.subarray(8, 20), 0);
  sum.set(bytes.subarray(META_HEADER, META_HEADER + len), 12);
  if (crc32(sum) !== dv.getUint32(20, true)) return null;
  try {
    const body = JSON.parse(dec.decode(bytes.subarray(META_HEADER, META_HEADER + len)));
    if (!Array.isArray(body?.dirs) || !Array.isArray(body?.files)) return null;
    return { generation: Number(dv.getBigUint64(8, true)), body };
  } catch {
    return null;
  }
}

function readAll(handle) {
  const bytes = new Uint8Array(handle.getSize());
  let done = 0;
  while (done < bytes.length) {
    const n = handle.read(bytes.subarray(done), { at: done });
    if (n <= 0) break;
    done += n;
  }
  return bytes.subarray(0, done);
}

// A pool slot over an open sync handle. size counts the buffered appends: bytes
// [bufStart, bufStart + bufLen) are in buf, not yet in the file.
function newSlot(index, handle) {
  return { index, handle, size: handle.getSize(), path: null, durablePath: null, refs: 0, free: false,
    buf: null, bufStart: 0, bufLen: 0 };
}

export class OpfsHost extends PathHost {
  // Opens (creating when missing) the OPFS database `name` in this dedicated worker: takes its Web
  // Lock, opens the pool and reads the metadata. Options: maxHandles (open sync handles at most,
  // metadata included), initialSlots, minFree (free slots kept ready), lockTimeoutMs.
  static async open(name, options = {}) {
    checkName(name);
    const { lockTimeoutMs = LOCK_TIMEOUT_MS, ...pool } = options;
    const { maxHandles = OPFS_MAX_HANDLES, initialSlots = DEFAULT_INITIAL_SLOTS, minFree = DEFAULT_MIN_FREE } = checkPoolOptions(pool);
    if (typeof FileSystemFileHandle === 'undefined' || typeof FileSystemFileHandle.prototype.createSyncAccessHandle !== 'function') {
      throw new StrataError('STRATA_NOT_SUPPORTED', `OPFS database "${name}": sync access handles exist only in dedicated workers`);
    }
    const what = `OPFS database "${name}"`;
    const lock = await acquireWebLock(webLockName('opfs', name), { timeoutMs: lockTimeoutMs, what });
    const host = new OpfsHost(name, lock, { maxHandles, minFree });
    try {
      await host.#load(Date.now() + lockTimeoutMs, Math.min(initialSlots, maxHandles - 2));
    } catch (err) {
      host.closeAll();
      if (err instanceof StrataError) throw err;
      throw new StrataError(err?.name === 'NoModificationAllowedError' ? 'STRATA_LOCKED' : isQuotaError(err) ? 'STRATA_QUOTA' : 'STRATA_IO',
        `${what}: opening its files failed: ${err?.name}: ${err?.message ?? err}`, { cause: err });
    }
    return host;
  }

  #folder = null;
  #metas = []; // the two metadata sync handles
  #generation = 0;
  #slots = []; // index -> { index, handle, size, path (mapped in memory), durablePath, refs }
  #free = []; // free slot indexes (empty, unmapped, durable metadata maps nothing to them)
  // the PathHost's _files: path -> slot; its fds: { slot, writable, path }
  #marked = new Set(); // slots whose sync() asked for a flush, in order
  #buffered = new Set(); // slots holding appends not yet written to their file
  #drainTimer = null;
  #metaDirty = false;
  #growing = null;
  #settling = null;
  #closed = false;
  lastGrowthError = null; // why the pool last failed to grow (reported by the create that needed it)
  #claims = 0; // slots claimed since the last prepare(): what the current engine call took
  #demand = 0; // free slots wanted since a call was refused for want of them
  #blocked = false; // a create was refused with STRATA_BUSY; cleared when the growth it started ends
  #refusals = 0; // creates refused with STRATA_BUSY so far (stats)
  #refusalsBy = { journal: 0, tables: 0, blobs: 0, manifest: 0, lost: 0, other: 0 }; // ... by the file's kind
  #maxHandles;
  #minFree;

  constructor(name, lock, { maxHandles, minFree }) {
    super(name, lock, { hostName: 'opfs', what: `OPFS database "${name}"`, context: 'worker' });
    this.#maxHandles = maxHandles;
    this.#minFree = minFree;
  }

  // The pool's state, for tests and stats.
  get pool() {
    return { slots: this.#slots.length, free: this.#free.length, files: this._files.size,
      openHandles: this.#slots.length + this.#metas.length, maxHandles: this.#maxHandles, generation: this.#generation,
      refusals: this.#refusals, refusalsBy: { ...this.#refusalsBy } };
  }

  async #load(deadline, initialSlots) {
    const folder = await databasesFolder(true);
    this.#folder = await folder.getDirectoryHandle(encodeURIComponent(this._name), { create: true });
    for (const m of META_FILES) {
      this.#metas.push(await syncHandle(await this.#folder.getFileHandle(m, { create: true }), deadline));
    }
    const found = this.#metas.map((h) => decodeMeta(readAll(h)));
    let best = -1;
    found.forEach((m, i) => {
      if (m && (best < 0 || m.generation > found[best].generation)) best = i;
    });
    const slotNames = [];
    for await (const [entry, handle] of this.#folder.entries()) {
      if (handle.kind === 'file' && entry.startsWith(SLOT_PREFIX) && /^\d+$/.test(entry.slice(SLOT_PREFIX.length))) {
        slotNames.push(Number(entry.slice(SLOT_PREFIX.length)));
      }
    }
    const count = slotNames.length ? Math.max(...slotNames) + 1 : 0;
    if (count > this.#maxHandles - 2) {
      throw new StrataError('STRATA_IO', `OPFS database "${this._name}" has ${count} files, more than maxHandles - 2 = ${this.#maxHandles - 2} this host may keep open`);
    }
    await this.#addSlots(count, deadline);
    if (best < 0 && this.#metas.some((h) => h.getSize() > 0)) {
      throw new StrataError('STRATA_CORRUPTION', `OPFS database "${this._name}": neither ${META_FILES.join(' nor ')} holds valid metadata ` +
        `(sizes ${this.#metas.map((h) => h.getSize()).join(', ')} bytes): its files cannot be named; delete the database to start over`);
    }
    if (best >= 0) {
      this.#generation = found[best].generation;
      const { dirs, files } = found[best].body;
      for (const d of dirs) this._dirs.add(String(d));
      for (const [p, index] of files) {
        const slot = this.#slots[index];
        if (!slot) throw new StrataError('STRATA_CORRUPTION', `OPFS database "${this._name}": ${META_FILES[best]} maps ${p} to missing slot-${index}`);
        slot.path = slot.durablePath = String(p);
        this._files.set(slot.path, slot);
      }
    }
    // unmapped slots hold what a crash left behind: empty them
    for (const slot of this.#slots) {
      if (slot.path === null) {
        this.#empty(slot);
        this.#pushFree(slot);
      }
    }
    for (const slot of await this.#addSlots(initialSlots - this.#slots.length, deadline)) this.#pushFree(slot);
    if (this.#needsGrowth()) this.#grow();
    if (this.#growing) await this.#growing;
  }

  // Setup: opens the next n slots at once (the browser answers the requests side by side; one
  // after the other, opening a database's pool was most of its open time). On a failure the
  // handles that did open are closed.
  async #addSlots(n, deadline) {
    if (n <= 0) return [];
    const first = this.#slots.length;
    const opened = await Promise.allSettled(Array.from({ length: n }, async (_, i) => {
      const fh = await this.#folder.getFileHandle(`${SLOT_PREFIX}${first + i}`, { create: true });
      return syncHandle(fh, deadline);
    }));
    const failed = opened.find((r) => r.status === 'rejected');
    if (failed || this.#closed) {
      for (const r of opened) if (r.status === 'fulfilled') try { r.value.close(); } catch {}
      throw failed ? failed.reason : new StrataError('STRATA_NOT_OPEN', `OPFS database "${this._name}" is closed`);
    }
    return opened.map(({ value: handle }, i) => {
      const slot = newSlot(first + i, handle);
      this.#slots[first + i] = slot;
      return slot;
    });
  }

  #pushFree(slot) {
    slot.free = true;
    this.#free.push(slot.index);
  }

  // Free slots to keep ready: minFree, a quarter of the files, or what a refused call needed,
  // within the handle cap.
  #wantFree() {
    return Math.max(this.#minFree, Math.ceil(this._files.size / 4), this.#demand);
  }

  #needsGrowth() {
    return !this.#closed && this.#free.length < this.#wantFree() && this.#slots.length + this.#metas.length < this.#maxHandles;
  }

  // Between requests: grows the pool so the next request finds free slots. Returns a promise
  // when the request should wait (fewer than minFree slots free while the pool grows), else null
  // (the growth goes on in the background). Never rejects for the growth itself (a failure shows
  // later as "no free file" on the create that needed it).
  prepare() {
    this.#claims = 0;
    if (this.#needsGrowth()) this.#grow();
    return this.#growing && (this.#blocked || this.#free.length < this.#minFree) ? this.#growing : null;
  }

  // What a call the engine refused with STRATA_BUSY because a create found no free slot waits for
  // before it runs again: a promise that resolves once the pool has grown (never rejects). Null
  // for any other error.
  whenUnblocked(err) {
    if (err?.code !== 'STRATA_BUSY' || !(this.#blocked || err.cause?.wouldBlock || String(err.message).includes(WOULD_BLOCK))) return null;
    // grown already (or a background thread's refusal, healed by its own retry): a short pause,
    // never a loop of microtasks
    return this.#growing ?? sleep(5);
  }

  #grow() {
    if (this.#growing) return;
    this.#growing = (async () => {
      try {
        // side by side, at most GROW_BATCH at a time (what a refused call needs may be many)
        while (this.#needsGrowth()) {
          const n = Math.min(GROW_BATCH, this.#wantFree() - this.#free.length,
            this.#maxHandles - this.#slots.length - this.#metas.length);
          for (const slot of await this.#addSlots(n, Date.now())) this.#pushFree(slot);
        }
        this.lastGrowthError = null;
      } catch (err) {
        this.lastGrowthError = err;
      } finally {
        this.#growing = null;
        this.#blocked = false;
      }
    })();
  }

  // Group commit: one flush pass, shared by every sync() since the last, then the metadata if
  // names changed. Rejects with STRATA_QUOTA / STRATA_IO (the browser's error as cause) when the
  // files cannot be flushed. The metadata is best effort here: every name the engine relies on
  // was made durable by its own sync_dir() or replace() inside the engine call, so what is left
  // (removals) is no reason to reject writes that are durable; a failure keeps it for the next
  // commit.
  settle() {
    if (this.#closed) return Promise.resolve();
    this.#settling ??= Promise.resolve().then(() => {
      this.#settling = null;
      if (this.#closed) return;
      try {
        this.#flushMarked();
      } catch (err) {
        throw new StrataError(isQuotaError(err) ? 'STRATA_QUOTA' : 'STRATA_IO',
          `OPFS database "${this._name}": flushing failed: ${err?.name}: ${err?.message ?? err}`, { cause: err });
      }
      try {
        this.#commitNames();
      } catch {
        // still dirty: the next sync_dir(), replace() or settle() writes it
      }
    });
    return this.#settling;
  }

  // Closes every handle and releases the Web Lock (Native.free calls it; also after a failed
  // open). Marked files are flushed first, best effort.
  closeAll() {
    if (this.#closed) return;
    try {
      if (this.#folder) this.#commit();
    } catch {
      // nothing to report to: the engine is gone
    }
    this.#closed = true;
    if (this.#drainTimer !== null) clearTimeout(this.#drainTimer);
    this.#drainTimer = null;
    for (const slot of this.#slots) try { slot?.handle.close(); } catch {}
    for (const h of this.#metas) try { h.close(); } catch {}
    this._dropHandles();
    this._lock.release();
  }

  fail(err, errPtr, op, target, code) {
    this.lastError = err?.strataCode && err.cause ? err.cause : err instanceof Error || err instanceof DOMException ? err : null;
    const c = code ?? err?.strataCode ?? (isQuotaError(err) ? CODES.QUOTA : CODES.IO);
    const msg = err?.strataCode ? err.message : `${op} ${target}: ${err?.name && err.name !== 'Error' ? `${err.name}: ` : ''}${err?.message ?? err}`;
    if (errPtr) this.module.stringToUTF8(msg, errPtr, ERR_CAP);
    this.lastMessage = msg;
    return -c;
  }

  // Memory for the browser: a view of wasm memory, copied when the memory is shared (the pthreads
  // build), since the OPFS calls refuse views of a SharedArrayBuffer.
  #view(ptr, n) {
    const heap = this.module.HEAPU8;
    const v = heap.subarray(ptr, ptr + n);
    return typeof SharedArrayBuffer !== 'undefined' && heap.buffer instanceof SharedArrayBuffer ? v.slice() : v;
  }

  #claim(path) {
    if (this.#free.length === 0) {
      this.#grow();
      if (this.#slots.length + this.#metas.length >= this.#maxHandles) {
        throw hostError(CODES.IO, `create ${path}: too many files: OPFS database "${this._name}" holds at most ${this.#maxHandles - 2} files (maxHandles ${this.#maxHandles})`);
      }
      const why = this.lastGrowthError;
      if (why) { // the pool could not grow (an origin out of quota, ...): a retry would not help
        this.lastGrowthError = null; // the next refused call tries growing again
        throw hostError(isQuotaError(why) ? CODES.QUOTA : CODES.IO, `create ${path}: no pre-opened OPFS file is free and the pool cannot grow: ${why.name}: ${why.message}`, why);
      }
      // would block: the call is retried once the pool has room for twice what it claimed
      this.#demand = Math.max(this.#demand, 2 * (this.#claims + 1));
      this.#blocked = true;
      this.#refusals++;
      this.#refusalsBy[refusedKind(path)]++;
      this.#grow();
      const err = hostError(CODES.BUSY, `create ${path}: no pre-opened OPFS file is free (${this.#slots.length} in use): ${WOULD_BLOCK}`);
      err.wouldBlock = true;
      throw err;
    }
    this.#claims++;
    const slot = this.#slots[this.#free.pop()];
    slot.free = false;
    slot.path = path;
    this._files.set(path, slot);
    this.#metaDirty = true;
    if (this.#needsGrowth()) this.#grow();
    return slot;
  }

  // Empties and frees a slot nothing refers to: no name in memory, no handle, no durable name.
  #tryRelease(slot) {
    if (slot.free || slot.path !== null || slot.refs > 0 || slot.durablePath !== null || this.#closed) return;
    this.#empty(slot);
    this.#marked.delete(slot);
    slot.free = true;
    this.#free.push(slot.index);
  }

  // Truncates the slot's file to nothing, dropping what its buffer held.
  #empty(slot) {
    this.#drop(slot);
    if (slot.size !== 0 || slot.handle.getSize() !== 0) slot.handle.truncate(0);
    slot.size = 0;
  }

  #drop(slot) {
    slot.bufLen = 0;
    this.#buffered.delete(slot);
  }

  // Writes the slot's buffered appends to its file. On failure what was not written stays
  // buffered and the browser's error is thrown (the caller's call reports it).
  #drain(slot) {
    if (slot.bufLen === 0) return;
    let done = 0;
    try {
      while (done < slot.bufLen) {
        const w = slot.handle.write(slot.buf.subarray(done, slot.bufLen), { at: slot.bufStart + done });
        if (w <= 0) throw hostError(CODES.IO, `write ${slot.path ?? `slot-${slot.index}`}: the browser wrote nothing at offset ${slot.bufStart + done}`);
        done += w;
      }
    } finally {
      if (done === slot.bufLen) {
        this.#drop(slot);
      } else if (done > 0) {
        slot.buf.copyWithin(0, done, slot.bufLen);
        slot.bufStart += done;
        slot.bufLen -= done;
      }
    }
  }

  #drainAll() {
    for (const slot of this.#buffered) this.#drain(slot);
  }

  // After an append: drains what is buffered DRAIN_DELAY_MS later, unless something did before.
  #drainSoon() {
    if (this.#drainTimer !== null) return;
    this.#drainTimer = setTimeout(() => {
      this.#drainTimer = null;
      if (this.#closed) return;
      try {
        this.#drainAll();
      } catch {
        // kept buffered: the next append, sync or commit of that file drains again and reports it
      }
    }, DRAIN_DELAY_MS);
  }

  // Drains every buffer, flushes the marked files in order, then writes the metadata when names
  // changed.
  #commit() {
    this.#flushMarked();
    this.#commitNames();
  }

  #flushMarked() {
    this.#drainAll();
    for (const slot of this.#marked) {
      slot.handle.flush();
      this.#marked.delete(slot);
    }
  }

  #commitNames() {
    if (!this.#metaDirty) return;
    const generation = this.#generation + 1;
    const bytes = encodeMeta(generation, {
      dirs: [...this._dirs],
      files: [...this._files].map(([p, s]) => [p, s.index]),
    });
    const h = this.#metas[generation & 1];
    let done = 0;
    while (done < bytes.length) done += h.write(bytes.subarray(done), { at: done });
    h.truncate(bytes.length);
    h.flush();
    this.#generation = generation;
    this.#metaDirty = false;
    for (const slot of this.#slots) {
      slot.durablePath = slot.path;
      this.#tryRelease(slot);
    }
  }

  open(pathPtr, flags, errPtr) {
    const p = normPath(this.str(pathPtr));
    try {
      if (this._isDir(p)) throw hostError(CODES.INVALID_ARGUMENT, `open ${p}: is a folder`);
      let slot = this._files.get(p);
      if (!slot) {
        if (!(flags & OPEN.CREATE)) throw hostError(CODES.NOT_FOUND, `open ${p}: no such file`);
        this._checkParent('open', p);
        slot = this.#claim(p);
      } else if ((flags & OPEN.CREATE) && (flags & OPEN.EXCLUSIVE)) {
        throw hostError(CODES.EXISTS, `open ${p}: the file exists`);
      } else if ((flags & OPEN.TRUNCATE) && (flags & OPEN.WRITE) && slot.size !== 0) {
        this.#empty(slot);
      }
      const fd = this._newFd({ slot, writable: (flags & OPEN.WRITE) !== 0, path: p });
      slot.refs++;
      return fd;
    } catch (err) {
      return this.fail(err, errPtr, 'open', p);
    }
  }

  read(fd, off, buf, n, errPtr) {
    try {
      const { slot } = this._fd(fd);
      const want = Math.max(0, Math.min(n, slot.size - off));
      if (want === 0) return 0;
      if (slot.bufLen !== 0 && off + want > slot.bufStart) this.#drain(slot);
      const heap = this.module.HEAPU8;
      const shared = typeof SharedArrayBuffer !== 'undefined' && heap.buffer instanceof SharedArrayBuffer;
      const target = shared ? new Uint8Array(want) : heap.subarray(buf, buf + want);
      let done = 0;
      while (done < want) {
        const r = slot.handle.read(target.subarray(done), { at: off + done });
        if (r <= 0) break;
        done += r;
      }
      if (shared) this.module.HEAPU8.set(target.subarray(0, done), buf);
      return done;
    } catch (err) {
      return this.fail(err, errPtr, 'read', this._fdTarget(fd));
    }
  }

  // PathHost's hooks: n bytes of wasm memory at `data` into the open file f at off (f is
  // writable: PathHost checked), its size, its new size.
  _writeAt(f, off, data, n) {
    const slot = f.slot;
    if (off === slot.size && n < APPEND_BUFFER && slot.path !== null) { // an append: gathered
      if (slot.bufLen !== 0 && slot.bufLen + n > APPEND_BUFFER) this.#drain(slot);
      if (slot.bufLen === 0) slot.bufStart = off;
      slot.buf ??= new Uint8Array(APPEND_BUFFER);
      slot.buf.set(this.module.HEAPU8.subarray(data, data + n), slot.bufLen);
      slot.bufLen += n;
      slot.size += n;
      this.#buffered.add(slot);
      this.#drainSoon();
      return;
    }
    this.#drain(slot); // what lies before (or under) these bytes goes first
    const bytes = this.#view(data, n);
    let done = 0;
    while (done < n) {
      const w = slot.handle.write(bytes.subarray(done), { at: off + done });
      if (w <= 0) throw hostError(CODES.IO, `write ${f.path}: the browser wrote nothing at offset ${off + done}`);
      done += w;
      slot.size = Math.max(slot.size, off + done);
    }
  }

  _fileSize(f) {
    return f.slot.size;
  }

  _truncate(f, size) {
    const slot = f.slot;
    if (slot.bufLen !== 0 && size >= slot.bufStart && size <= slot.bufStart + slot.bufLen) {
      slot.bufLen = size - slot.bufStart; // cut inside the buffer (a failed journal append rolled back)
      if (slot.bufLen === 0) this.#drop(slot);
      slot.size = size;
      return;
    }
    if (slot.bufLen !== 0 && size < slot.bufStart) this.#drop(slot);
    else this.#drain(slot);
    slot.handle.truncate(size);
    slot.size = size;
  }

  sync(fd, errPtr) {
    try {
      const f = this._fd(fd);
      if (f.writable && f.slot.path !== null) {
        this.#drain(f.slot); // a refusal (quota) is this sync's, inside the engine call
        this.#marked.add(f.slot);
      }
      return 0;
    } catch (err) {
      return this.fail(err, errPtr, 'sync', `fd ${fd}`);
    }
  }

  close(fd, errPtr) {
    try {
      const f = this._closeFd(fd);
      f.slot.refs--;
      this.#tryRelease(f.slot);
      return 0;
    } catch (err) {
      return this.fail(err, errPtr, 'close', `fd ${fd}`);
    }
  }

  remove(pathPtr, errPtr) {
    const p = normPath(this.str(pathPtr));
    try {
      if (this._isDir(p)) throw hostError(CODES.INVALID_ARGUMENT, `remove ${p}: is a folder`);
      const slot = this._files.get(p);
      if (!slot) throw hostError(CODES.NOT_FOUND, `remove ${p}: no such file`);
      this._files.delete(p);
      slot.path = null;
      this.#metaDirty = true;
      this.#tryRelease(slot); // at once when no durable metadata names it
      return 0;
    } catch (err) {
      return this.fail(err, errPtr, 'remove', p);
    }
  }

  mkdir(pathPtr, errPtr) {
    const p = normPath(this.str(pathPtr));
    try {
      if (!this._checkMkdir(p)) return 0;
      this._dirs.add(p);
      this.#metaDirty = true;
      return 0;
    } catch (err) {
      return this.fail(err, errPtr, 'mkdir', p);
    }
  }

  rmdir(pathPtr, errPtr) {
    const p = normPath(this.str(pathPtr));
    try {
      this._checkRmdir(p);
      this._dirs.delete(p);
      this.#metaDirty = true;
      return 0;
    } catch (err) {
      return this.fail(err, errPtr, 'rmdir', p);
    }
  }

  replace(pathPtr, data, n, errPtr) {
    const p = normPath(this.str(pathPtr));
    let fresh = null;
    const old = this._files.get(p) ?? null;
    try {
      if (this._isDir(p)) throw hostError(CODES.INVALID_ARGUMENT, `replace ${p}: is a folder`);
      this._checkParent('replace', p);
      fresh = this.#claim(p); // maps p to the fresh slot in memory
      if (old) old.path = null;
      this._writeAt({ slot: fresh, writable: true, path: p }, 0, data, n);
      this.#marked.add(fresh);
      this.#commit(); // the fresh slot is flushed, then the metadata naming it
      if (old) this.#tryRelease(old);
      return 0;
    } catch (err) {
      // undo in memory: the name keeps the old contents (the metadata on disk still says so,
      // unless the commit itself was the last step to fail, when either is whole)
      if (fresh && this._files.get(p) === fresh && fresh.durablePath !== p) {
        fresh.path = null;
        // a failed commit may still have left metadata naming the fresh slot: keep it until a
        // later commit has durably named the old one again
        fresh.durablePath = p;
        this.#metaDirty = true;
        if (old) {
          old.path = p;
          this._files.set(p, old);
        } else {
          this._files.delete(p);
        }
        this.#tryRelease(fresh);
      }
      return this.fail(err, errPtr, 'replace', p);
    }
  }

  // PathHost's sync_dir: the marked files, then the metadata, flushed now.
  _syncNames() {
    this.#commit();
  }
}
