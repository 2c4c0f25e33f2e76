// The Node.js storage backend: the engine's files are real files, reached with Node's
// synchronous fs calls. The C side is bindings/js/c/vfs_js.c; its imports
// (library_strata_host.js) call the methods below with numbers only: pointers into wasm memory,
// NUL-terminated paths, offsets and sizes as doubles. A method returns a result >= 0, or minus a
// strata code after writing a message into the caller's `err` buffer.
//
// Locking: one holder per lock path, across processes and within this one.
//   - Within the process, a registry shared by every module instance (globalThis, keyed by a
//     Symbol.for name) holds the paths this process has locked.
//   - Across processes, the lock file holds {pid, start, host}. It is created complete
//     (written to a private temporary name, then hard-linked into place, which fails if the
//     name exists), so a reader never sees a half-written lock. A lock file whose process is
//     gone (process.kill(pid, 0) fails with ESRCH) or whose pid was reused by a younger process
//     (Linux: the start time in /proc/<pid>/stat differs) is stale: it is moved aside and
//     the acquisition retried. A lock left by `kill -9` therefore never blocks the next open.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const CODES = Object.freeze({
  NOT_FOUND: 1, CORRUPTION: 2, IO: 3, INVALID_ARGUMENT: 4, NOT_SUPPORTED: 5, LOCKED: 6,
  NO_MEMORY: 7, EXISTS: 8, NOT_OPEN: 9, BUSY: 10,
});

const ERR_CAP = 512; // JS_ERR_CAP in vfs_js.c

const OPEN_READ = 1, OPEN_WRITE = 2, OPEN_CREATE = 4, OPEN_EXCLUSIVE = 8, OPEN_TRUNCATE = 16;

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

function processStartTime(pid) {
  // Field 22 of /proc/<pid>/stat (after the parenthesised command name, which may hold spaces).
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return null;
  }
}

const self = { pid: process.pid, start: processStartTime(process.pid), host: os.hostname() };

// Whether the process that wrote a lock file can still hold it.
function holderAlive(owner) {
  if (!owner || typeof owner.pid !== 'number') return false; // unreadable: written by no live holder
  if (owner.host !== self.host) return true; // another machine (shared file system): cannot tell
  if (owner.pid === self.pid) {
    // This process, or an earlier one with the same pid.
    return owner.start == null || self.start == null || owner.start === self.start;
  }
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if (err.code === 'ESRCH') return false;
    return true; // EPERM: alive, owned by someone else
  }
  if (owner.start != null) {
    const now = processStartTime(owner.pid);
    if (now != null && now !== owner.start) return false; // the pid belongs to a newer process
  }
  return true;
}

function readOwner(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    if (err.code === 'ENOENT') return undefined;
    return null;
  }
}

let tmpCounter = 0;

// Creates `file` holding our identity, or reports who holds it. Returns true when acquired.
function tryCreateLockFile(file, record) {
  const tmp = `${file}.${process.pid}.${++tmpCounter}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(record));
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (err) {
    if (err.code === 'EEXIST') return false;
    throw err;
  } finally {
    try { fs.unlinkSync(tmp); } catch {}
  }
}

export function acquireLock(file) {
  const resolved = path.resolve(file);
  if (heldLocks.has(resolved)) {
    const e = new Error(`${file} is locked by another handle in this process`);
    e.strataCode = CODES.LOCKED;
    throw e;
  }
  const record = { ...self, token: `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}` };
  for (let attempt = 0; attempt < 8; attempt++) {
    if (tryCreateLockFile(resolved, record)) {
      heldLocks.set(resolved, record);
      return record;
    }
    const owner = readOwner(resolved);
    if (owner === undefined) continue; // released meanwhile: try again
    if (holderAlive(owner)) {
      const who = owner && owner.pid === self.pid ? 'this process' : `process ${owner && owner.pid}`;
      const e = new Error(`${file} is locked by ${who}`);
      e.strataCode = CODES.LOCKED;
      throw e;
    }
    // Stale: move it aside under a unique name, then check that what moved is the stale lock we
    // judged (another opener may have replaced it in between); if not, put it back.
    const aside = `${resolved}.stale.${process.pid}.${++tmpCounter}`;
    try {
      fs.renameSync(resolved, aside);
    } catch (err) {
      if (err.code === 'ENOENT') continue;
      throw err;
    }
    const moved = readOwner(aside);
    if (moved && owner && moved.token !== owner.token && holderAlive(moved)) {
      try { fs.linkSync(aside, resolved); } catch {}
    }
    try { fs.unlinkSync(aside); } catch {}
  }
  const e = new Error(`${file}: could not take the lock (contended)`);
  e.strataCode = CODES.LOCKED;
  throw e;
}

export function releaseLock(record, file) {
  const resolved = path.resolve(file);
  if (heldLocks.get(resolved) !== record) return;
  heldLocks.delete(resolved);
  // Remove the file only if it is still ours.
  const owner = readOwner(resolved);
  if (owner && owner.token === record.token) fs.unlinkSync(resolved);
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
    if (layout) {
      for (const [name, value] of Object.entries(CODES)) {
        if (layout.codes[`STRATA_${name}`]?.value !== value) throw new Error(`strata-lsm: node host: code ${name} is ${value}, the engine's is ${layout.codes[`STRATA_${name}`]?.value}`);
      }
      const flags = { READ: OPEN_READ, WRITE: OPEN_WRITE, CREATE: OPEN_CREATE, EXCLUSIVE: OPEN_EXCLUSIVE, TRUNCATE: OPEN_TRUNCATE };
      for (const [name, value] of Object.entries(flags)) {
        if (layout.open_flags[name]?.value !== value) throw new Error(`strata-lsm: node host: open flag ${name} is ${value}, the engine's is ${layout.open_flags[name]?.value}`);
      }
    }
    this.module = module;
  }

  // The system error behind the last failure reported to C, when the engine's message carries
  // that failure's text (so a failure C handled itself never becomes the cause of a later error).
  takeLastError(message) {
    const { lastError: err, lastMessage } = this;
    this.lastError = this.lastMessage = null;
    return err && lastMessage && message.includes(lastMessage) ? err : null;
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
    this.openFds.set(fd, { path: p, writable: (flags & OPEN_WRITE) !== 0 });
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
      return this.fail(err, errPtr, 'write', file.path);
    }
    return 0;
  }

  append(fd, data, n, errPtr) {
    let end;
    try {
      end = fs.fstatSync(fd).size;
    } catch (err) {
      return this.fail(err, errPtr, 'stat', this.fileOf(fd).path);
    }
    return this.write(fd, end, data, n, errPtr);
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
      return this.fail(err, errPtr, 'truncate', file.path);
    }
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
