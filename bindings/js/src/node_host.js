// The Node.js storage backend: the engine's files are real files, reached with Node's
// synchronous fs calls. The C side is bindings/js/c/vfs_js.c; its imports
// (library_strata_host.js) call the methods below with numbers only: pointers into wasm memory,
// NUL-terminated paths, offsets and sizes as doubles. A method returns a result >= 0, or minus a
// strata code after writing a message into the caller's `err` buffer.
//
// Locking: one holder per lock path, across processes, runtimes and within this one: the folder
// lock protocol of src/vfs/posix_lock.c (docs/LOCKING.md), in JS. The lock file holds the record
// of lock_record.js (the C format); it is published by writing a private file and hard-linking
// it into place (fails when the name exists). A lock whose process is gone, or whose pid now
// belongs to a process with another start time, is taken over; one of another host is refused
// with a hint; a damaged one is refused while younger than 10 s, then taken over. Node has no
// flock: a native holder is seen through its record and process.kill(pid, 0). Within the
// process, a registry shared by every module instance (globalThis, keyed by a Symbol.for name)
// holds the paths this process has locked.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { CODES, ERR_CAP, OPEN, checkLayout, takeLastError } from './host_common.js';
import { decodeRecord, describeRecord, encodeRecord, RECORD_MAX, recordHost } from './lock_record.js';

export { CODES };

const { WRITE: OPEN_WRITE, CREATE: OPEN_CREATE, EXCLUSIVE: OPEN_EXCLUSIVE, TRUNCATE: OPEN_TRUNCATE } = OPEN;

function codeOfErrno(err) {
  switch (err && err.code) {
    case 'ENOENT': return CODES.NOT_FOUND;
    case 'EEXIST': return CODES.EXISTS;
    case 'ENOMEM': return CODES.NO_MEMORY;
    case 'EINVAL': case 'ENAMETOOLONG': case 'ENOTDIR': case 'EISDIR': return CODES.INVALID_ARGUMENT;
    default: return CODES.IO;
  }
}

// The registry of lock paths held by this process, shared by all module instances.
const registryKey = Symbol.for('strata-lsm.node-locks');
const heldLocks = (globalThis[registryKey] ??= new Map()); // resolved path -> lock record

const DAMAGED_GRACE_S = 10; // LOCK_DAMAGED_GRACE_S in posix_lock.c
const RECLAIM_STALE_S = 10; // LOCK_RECLAIM_STALE_S
const ATTEMPTS = 50;

// Field 22 of /proc/<pid>/stat (after the parenthesised command name, which may hold spaces):
// the start time in clock ticks since boot, as a bigint; 0n when unreadable.
function processStartTime(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const field = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return /^[0-9]+$/.test(field) ? BigInt(field) : 0n;
  } catch {
    return 0n;
  }
}

const self = { runtime: 'node', pid: process.pid, start: processStartTime(process.pid), host: recordHost(os.hostname()) };

// WASI has no process API: a WASI module run by this process learns who runs it from these
// variables, for the records of its database locks (src/vfs/posix_lock.c), so that native and
// Node openers can see when this process is gone (docs/LOCKING.md).
export function wasiLockEnv() {
  return { STRATA_LOCK_PID: String(process.pid), STRATA_LOCK_START: String(self.start), STRATA_LOCK_HOST: os.hostname() };
}

// ... and through this process's /proc, preopened as /proc, it can judge a lock holder as
// native code does (whether the pid runs, and since when): the module trusts that /proc only
// when it shows this process with the start time of wasiLockEnv. {} where there is no /proc.
export function procPreopen() {
  return self.start ? { '/proc': '/proc' } : {};
}

// Rule 2 of the protocol for a record that parsed: 'alive', 'this' (this process), 'dead' or
// 'unknown' (another host, or no pid: liveness cannot be checked).
function judge(held) {
  if (held.host === '?' || held.host !== self.host || held.pid === 0) return 'unknown';
  if (held.pid === self.pid) {
    if (held.start === self.start) return 'this';
    if (held.start && self.start) return 'dead'; // an earlier process with our pid
  }
  try {
    process.kill(held.pid, 0);
  } catch (err) {
    if (err.code === 'ESRCH') return 'dead';
    // EPERM: alive, owned by someone else
  }
  if (held.start) {
    const now = processStartTime(held.pid);
    if (now && now !== held.start) return 'dead'; // the pid belongs to a newer process
  }
  return 'alive';
}

// What the lock file holds now: null when absent, else { bytes, ageS }.
function look(file) {
  let fd;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if (err.code === 'ENOENT') return null;
    throw err;
  }
  try {
    const ageS = Math.max(0, Math.floor(Date.now() / 1000) - Math.floor(fs.fstatSync(fd).mtimeMs / 1000));
    const buf = Buffer.alloc(RECORD_MAX + 1);
    let len = 0;
    for (let n; len < buf.length && (n = fs.readSync(fd, buf, len, buf.length - len, len)) > 0;) len += n;
    return { bytes: buf.subarray(0, len), ageS };
  } finally {
    fs.closeSync(fd);
  }
}

function sleepMs(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function lockedError(message) {
  const e = new Error(message);
  e.strataCode = CODES.LOCKED;
  return e;
}

// Rule 2: returns normally when the lock file `s` may be reclaimed, else throws STRATA_LOCKED.
function judgeSeen(file, s) {
  let held;
  try {
    held = decodeRecord(s.bytes);
  } catch (err) {
    if (err.code !== 'ELOCKRECORD') throw err;
    if (s.ageS >= DAMAGED_GRACE_S) return;
    throw lockedError(`${file}: the lock record is damaged (LOCK: ${err.message}); it is taken over once ` +
      `${DAMAGED_GRACE_S} s old (now ${s.ageS} s): if no process uses the database, remove ${file}`);
  }
  const who = describeRecord(held);
  switch (judge(held)) {
    case 'dead': return;
    case 'this': throw lockedError(`${file}: locked by another handle in this process (${who})`);
    case 'unknown':
      throw lockedError(`${file}: locked by ${who}; whether it still runs cannot be checked from here: ` +
        `if no process uses the database, remove ${file}`);
    default: throw lockedError(`${file}: locked by ${who}`);
  }
}

// Rule 3: removes the lock file if it still holds exactly what `judged` saw, under the reclaim
// mutex; returns with nothing done when another reclaimer is at work or the file changed.
function reclaim(file, judged, token) {
  const mutex = `${file}.reclaim`;
  let fd;
  try {
    fd = fs.openSync(mutex, 'wx');
  } catch (err) {
    if (err.code !== 'EEXIST') throw err;
    let old = false;
    try { old = fs.statSync(mutex).mtimeMs / 1000 + RECLAIM_STALE_S < Date.now() / 1000; } catch {}
    if (old) { try { fs.unlinkSync(mutex); } catch {} } else sleepMs(2);
    return;
  }
  fs.closeSync(fd);
  try {
    const again = look(file);
    if (!again || !again.bytes.equals(judged.bytes)) return;
    const aside = `${file}.${token}.stale`;
    try {
      fs.renameSync(file, aside);
    } catch (err) {
      if (err.code === 'ENOENT') return;
      throw err;
    }
    const moved = look(aside);
    if (!moved || !moved.bytes.equals(judged.bytes)) { try { fs.linkSync(aside, file); } catch {} } // not the one judged
    try { fs.unlinkSync(aside); } catch {}
  } finally {
    try { fs.unlinkSync(mutex); } catch {}
  }
}

// Takes the lock file (the protocol of src/vfs/posix_lock.c and docs/LOCKING.md, without the
// flock Node lacks). Returns the held lock, or throws an Error with strataCode LOCKED.
export function acquireLock(file) {
  const resolved = path.resolve(file);
  if (heldLocks.has(resolved)) throw lockedError(`${file}: locked by another handle in this process`);
  const record = { ...self, since: Date.now(), token: crypto.randomBytes(8).toString('hex') };
  const bytes = encodeRecord(record);
  const tmp = `${resolved}.${record.token}.tmp`;
  fs.writeFileSync(tmp, bytes, { flag: 'wx' });
  let byLink = true;
  try {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        if (byLink) {
          try {
            fs.linkSync(tmp, resolved);
          } catch (err) {
            if (!['EMLINK', 'ENOSYS', 'ENOTSUP', 'EOPNOTSUPP', 'EPERM'].includes(err.code)) throw err;
            // No hard links on this file system: create exclusively, then write. A reader may
            // see it empty for a moment: damaged and fresh, so refused, never reclaimed.
            byLink = false;
            fs.writeFileSync(resolved, bytes, { flag: 'wx' });
          }
        } else {
          fs.writeFileSync(resolved, bytes, { flag: 'wx' });
        }
        const held = { record, bytes, ino: fs.statSync(resolved).ino };
        heldLocks.set(resolved, held);
        return held;
      } catch (err) {
        if (err.code !== 'EEXIST') throw err;
      }
      const s = look(resolved);
      if (!s) continue; // released meanwhile
      judgeSeen(file, s);
      reclaim(resolved, s, record.token);
    }
  } finally {
    try { fs.unlinkSync(tmp); } catch {} // the lock file, if taken, is a second name of it
  }
  throw lockedError(`${file}: could not take the lock (contended)`);
}

// Rule 4: removes the lock file only while it holds this lock's record (or is this lock's own
// file, damaged).
export function releaseLock(held, file) {
  const resolved = path.resolve(file);
  if (heldLocks.get(resolved) !== held) return;
  heldLocks.delete(resolved);
  const s = look(resolved);
  if (!s) return;
  let ours = s.bytes.equals(held.bytes);
  if (!ours) {
    let parses = true;
    try { decodeRecord(s.bytes); } catch { parses = false; }
    try { ours = !parses && fs.statSync(resolved).ino === held.ino; } catch {}
  }
  if (ours) fs.unlinkSync(resolved);
}

export class NodeHost {
  constructor() {
    this.module = null;
    this.locks = new Map(); // id -> { record, file }
    this.nextLockId = 1;
    this.openFds = new Map(); // fd -> { path, writable }
  }

  // `layout` is the module's descriptors (codecs.readLayout): the codes and open flags this host
  // uses are the C side's, checked here so that a host built against other values cannot load.
  attach(module, layout) {
    checkLayout(layout, 'node');
    this.module = module;
  }

  // The system error behind the last failure reported to C, when the engine's message carries
  // that failure's text (so a failure C handled itself never becomes the cause of a later error).
  takeLastError(message) {
    return takeLastError(this, message);
  }

  // Closes whatever the engine left open (used after a failed open or on forced teardown).
  closeAll() {
    for (const fd of this.openFds.keys()) try { fs.closeSync(fd); } catch {}
    this.openFds.clear();
    for (const { record, file } of this.locks.values()) try { releaseLock(record, file); } catch {}
    this.locks.clear();
  }

  // Reports an error to C: writes "<op> <target>: <why> (<ERRNO>)" into err, returns -code.
  fail(err, errPtr, op, target, code) {
    this.lastError = err instanceof Error ? err : null;
    const c = code ?? err?.strataCode ?? codeOfErrno(err);
    let msg;
    if (err?.strataCode) {
      msg = err.message;
    } else {
      const why = String(err?.message ?? err).replace(/^E[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
      msg = `${op} ${target}: ${why}${err?.code ? ` (${err.code})` : ''}`;
    }
    if (errPtr) this.module.stringToUTF8(msg, errPtr, ERR_CAP);
    this.lastMessage = msg;
    return -c;
  }

  str(ptr) {
    return this.module.UTF8ToString(ptr);
  }

  bytes(ptr, n) {
    return this.module.HEAPU8.subarray(ptr, ptr + n);
  }

  open(pathPtr, flags, errPtr) {
    const p = this.str(pathPtr);
    let f = (flags & OPEN_WRITE) ? fs.constants.O_RDWR : fs.constants.O_RDONLY;
    if (flags & OPEN_CREATE) f |= fs.constants.O_CREAT;
    if (flags & OPEN_EXCLUSIVE) f |= fs.constants.O_EXCL;
    if (flags & OPEN_TRUNCATE) f |= fs.constants.O_TRUNC;
    let fd;
    try {
      fd = fs.openSync(p, f, 0o644);
    } catch (err) {
      return this.fail(err, errPtr, 'open', p);
    }
    try {
      if (fs.fstatSync(fd).isDirectory()) {
        fs.closeSync(fd);
        return this.fail(new Error('is a folder'), errPtr, 'open', p, CODES.INVALID_ARGUMENT);
      }
    } catch (err) {
      try { fs.closeSync(fd); } catch {}
      return this.fail(err, errPtr, 'open', p);
    }
    // end: the file's size as this fd last left it, for append() (undefined: not known, fstat it).
    // Only this host writes the database's files (the lock), and each file through one fd; a new
    // writable fd forgets every known end all the same, so two fds of one file never disagree.
    if (flags & OPEN_WRITE) for (const other of this.openFds.values()) other.end = undefined;
    this.openFds.set(fd, { path: p, writable: (flags & OPEN_WRITE) !== 0, end: undefined });
    return fd;
  }

  fileOf(fd) {
    return this.openFds.get(fd) ?? { path: `fd ${fd}`, writable: false };
  }

  read(fd, off, buf, n, errPtr) {
    let done = 0;
    try {
      while (done < n) {
        const r = fs.readSync(fd, this.module.HEAPU8, buf + done, n - done, off + done);
        if (r === 0) break;
        done += r;
      }
    } catch (err) {
      return this.fail(err, errPtr, 'read', this.fileOf(fd).path);
    }
    return done;
  }

  write(fd, off, data, n, errPtr) {
    const file = this.fileOf(fd);
    if (!file.writable) return this.fail(new Error('opened read-only'), errPtr, 'write', file.path, CODES.INVALID_ARGUMENT);
    let done = 0;
    try {
      while (done < n) done += fs.writeSync(fd, this.module.HEAPU8, data + done, n - done, off + done);
    } catch (err) {
      file.end = undefined; // a part may have been written
      return this.fail(err, errPtr, 'write', file.path);
    }
    if (file.end !== undefined && off + n > file.end) file.end = off + n;
    return 0;
  }

  // Writes at the file's end: the end this fd knows (one fstat the first time, not one per
  // append: a Stats object per journal record cost a put ~15 %).
  append(fd, data, n, errPtr) {
    const file = this.fileOf(fd);
    let end = file.end;
    if (end === undefined) {
      try {
        end = fs.fstatSync(fd).size;
      } catch (err) {
        return this.fail(err, errPtr, 'stat', file.path);
      }
    }
    const r = this.write(fd, end, data, n, errPtr);
    if (r === 0 && this.openFds.has(fd)) file.end = end + n;
    return r;
  }

  sync(fd, errPtr) {
    try {
      fs.fsyncSync(fd);
    } catch (err) {
      return this.fail(err, errPtr, 'sync', this.fileOf(fd).path);
    }
    return 0;
  }

  truncate(fd, size, errPtr) {
    const file = this.fileOf(fd);
    if (!file.writable) return this.fail(new Error('opened read-only'), errPtr, 'truncate', file.path, CODES.INVALID_ARGUMENT);
    try {
      fs.ftruncateSync(fd, size);
    } catch (err) {
      file.end = undefined;
      return this.fail(err, errPtr, 'truncate', file.path);
    }
    file.end = size;
    return 0;
  }

  size(fd, errPtr) {
    try {
      return fs.fstatSync(fd).size;
    } catch (err) {
      return this.fail(err, errPtr, 'stat', this.fileOf(fd).path);
    }
  }

  close(fd, errPtr) {
    const file = this.fileOf(fd);
    this.openFds.delete(fd);
    try {
      fs.closeSync(fd);
    } catch (err) {
      return this.fail(err, errPtr, 'close', file.path);
    }
    return 0;
  }

  exists(pathPtr, errPtr) {
    const p = this.str(pathPtr);
    try {
      return fs.statSync(p).isDirectory() ? 2 : 1;
    } catch (err) {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return 0;
      return this.fail(err, errPtr, 'stat', p);
    }
  }

  remove(pathPtr, errPtr) {
    const p = this.str(pathPtr);
    try {
      fs.unlinkSync(p);
    } catch (err) {
      return this.fail(err, errPtr, 'remove', p);
    }
    return 0;
  }

  mkdir(pathPtr, errPtr) {
    const p = this.str(pathPtr);
    try {
      fs.mkdirSync(p);
    } catch (err) {
      if (err.code === 'EEXIST') {
        let isDir = false;
        try { isDir = fs.statSync(p).isDirectory(); } catch {}
        if (isDir) return 0;
        return this.fail(new Error('a file of that name exists'), errPtr, 'mkdir', p, CODES.EXISTS);
      }
      return this.fail(err, errPtr, 'mkdir', p);
    }
    return 0;
  }

  rmdir(pathPtr, errPtr) {
    const p = this.str(pathPtr);
    try {
      fs.rmdirSync(p);
    } catch (err) {
      // A non-empty folder is an I/O error, as in the posix and memory backends.
      return this.fail(err, errPtr, 'rmdir', p, err.code === 'ENOTEMPTY' ? CODES.IO : undefined);
    }
    return 0;
  }

  list(dirPtr, listOut, lenOut, errPtr) {
    const dir = this.str(dirPtr);
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      return this.fail(err, errPtr, 'list', dir);
    }
    const enc = new TextEncoder();
    const parts = [];
    let total = 0;
    for (const e of entries) {
      let isDir = e.isDirectory();
      if (e.isSymbolicLink()) try { isDir = fs.statSync(path.join(dir, e.name)).isDirectory(); } catch {}
      const name = enc.encode(e.name);
      parts.push(isDir ? 1 : 0, name);
      total += 1 + name.length + 1;
    }
    const m = this.module;
    const ptr = m._malloc(Math.max(1, total));
    if (!ptr) return this.fail(new Error('out of memory'), errPtr, 'list', dir, CODES.NO_MEMORY);
    let pos = ptr;
    for (let i = 0; i < parts.length; i += 2) {
      m.HEAPU8[pos++] = parts[i];
      m.HEAPU8.set(parts[i + 1], pos);
      pos += parts[i + 1].length;
      m.HEAPU8[pos++] = 0;
    }
    m.HEAPU32[listOut >>> 2] = ptr;
    m.HEAPU32[lenOut >>> 2] = total;
    return 0;
  }

  // Writes `path.tmp`, syncs it, renames it over `path` and syncs the folder.
  replace(pathPtr, data, n, errPtr) {
    const p = this.str(pathPtr);
    const tmp = `${p}.tmp`;
    let fd = -1;
    try {
      fd = fs.openSync(tmp, 'w', 0o644);
      let done = 0;
      while (done < n) done += fs.writeSync(fd, this.module.HEAPU8, data + done, n - done, done);
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      fd = -1;
      fs.renameSync(tmp, p);
    } catch (err) {
      if (fd >= 0) try { fs.closeSync(fd); } catch {}
      try { fs.unlinkSync(tmp); } catch {}
      return this.fail(err, errPtr, 'replace', p);
    }
    return this.syncDirPath(path.dirname(p), errPtr);
  }

  syncDirPath(dir, errPtr) {
    let fd;
    try {
      fd = fs.openSync(dir, 'r');
    } catch (err) {
      return this.fail(err, errPtr, 'open folder', dir);
    }
    try {
      fs.fsyncSync(fd);
    } catch (err) {
      // Some platforms refuse fsync on folders (EINVAL, EPERM, EISDIR on Windows); nothing to do.
      if (!['EINVAL', 'EPERM', 'EISDIR', 'EBADF'].includes(err.code)) {
        fs.closeSync(fd);
        return this.fail(err, errPtr, 'sync folder', dir);
      }
    }
    fs.closeSync(fd);
    return 0;
  }

  sync_dir(dirPtr, errPtr) {
    return this.syncDirPath(this.str(dirPtr), errPtr);
  }

  lock(pathPtr, errPtr) {
    const file = this.str(pathPtr);
    try {
      const record = acquireLock(file);
      const id = this.nextLockId++;
      this.locks.set(id, { record, file });
      return id;
    } catch (err) {
      return this.fail(err, errPtr, 'lock', file);
    }
  }

  unlock(id, errPtr) {
    const held = this.locks.get(id);
    if (!held) return 0;
    this.locks.delete(id);
    try {
      releaseLock(held.record, held.file);
    } catch (err) {
      return this.fail(err, errPtr, 'unlock', held.file);
    }
    return 0;
  }
}
