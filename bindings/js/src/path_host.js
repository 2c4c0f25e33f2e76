// What the two browser storage hosts (idb_host.js, opfs_host.js) share: both keep the engine's
// names in memory (a path -> file map and a set of folders, '' being the root), hand out file
// descriptors from a table, and hold the database's Web Lock, taken at open, under which an
// engine lock is one holder per path. A subclass keeps the files (`_files`: path -> its own file
// object) and implements the calls that touch bytes or must be written back.
import { CODES, checkLayout, hostError, splitPath, takeLastError, writeList } from './host_common.js';

export class PathHost {
  #hostName; // 'idb' | 'opfs' (checkLayout's messages)
  #what; // 'IndexedDB database "x"' (lock messages)
  #context; // 'context' | 'worker' (lock messages)
  #fds = new Map(); // fd -> { path, writable, ... } (the subclass's fields)
  #nextFd = 1;
  #locks = new Map(); // lock id -> path
  #nextLock = 1;

  constructor(name, lock, { hostName, what, context }) {
    this._name = name;
    this._lock = lock;
    this.#hostName = hostName;
    this.#what = what;
    this.#context = context;
    this._files = new Map(); // path -> the subclass's file object
    this._dirs = new Set();
    this.module = null;
    this.lastError = null;
    this.lastMessage = null;
  }

  get name() {
    return this._name;
  }

  attach(module, layout) {
    checkLayout(layout, this.#hostName);
    this.module = module;
  }

  takeLastError(message) {
    return takeLastError(this, message);
  }

  str(ptr) {
    return this.module.UTF8ToString(ptr);
  }

  // Forgets every descriptor and lock (closeAll).
  _dropHandles() {
    this.#fds.clear();
    this.#locks.clear();
  }

  _isDir(p) {
    return p === '' || this._dirs.has(p);
  }

  // Throws STRATA_NOT_FOUND unless the folder holding p exists.
  _checkParent(op, p) {
    const parent = splitPath(p)[0];
    if (!this._isDir(parent)) throw hostError(CODES.NOT_FOUND, `${op} ${p}: no such folder ${parent}`);
  }

  _newFd(entry) {
    const fd = this.#nextFd++;
    this.#fds.set(fd, entry);
    return fd;
  }

  _fd(fd) {
    const f = this.#fds.get(fd);
    if (!f) throw hostError(CODES.INVALID_ARGUMENT, `fd ${fd}: not an open file`);
    return f;
  }

  // Closes fd; returns its entry (throws when it is not open).
  _closeFd(fd) {
    const f = this._fd(fd);
    this.#fds.delete(fd);
    return f;
  }

  // What an error on fd names: its path when open.
  _fdTarget(fd) {
    return this.#fds.get(fd)?.path ?? `fd ${fd}`;
  }

  // The checks of rmdir: p is an existing, empty folder (not the root).
  _checkRmdir(p) {
    if (this._files.has(p)) throw hostError(CODES.INVALID_ARGUMENT, `rmdir ${p}: is a file`);
    if (!this._dirs.has(p)) throw hostError(CODES.NOT_FOUND, `rmdir ${p}: no such folder`);
    const prefix = `${p}/`;
    for (const name of [...this._files.keys(), ...this._dirs]) {
      if (name.startsWith(prefix)) throw hostError(CODES.IO, `rmdir ${p}: the folder is not empty`);
    }
  }

  // The checks of mkdir: false when p is a folder already (nothing to do), true when it may be made.
  _checkMkdir(p) {
    if (this._isDir(p)) return false;
    if (this._files.has(p)) throw hostError(CODES.EXISTS, `mkdir ${p}: a file of that name exists`);
    this._checkParent('mkdir', p);
    return true;
  }

  // The calls on an open file a subclass implements through _writeAt(f, off, data, n),
  // _fileSize(f) and _truncate(f, size).
  write(fd, off, data, n, errPtr) {
    try {
      this._writeAt(this.#writable(this._fd(fd), 'write'), off, data, n);
      return 0;
    } catch (err) {
      return this.fail(err, errPtr, 'write', this._fdTarget(fd));
    }
  }

  append(fd, data, n, errPtr) {
    try {
      const f = this.#writable(this._fd(fd), 'write');
      this._writeAt(f, this._fileSize(f), data, n);
      return 0;
    } catch (err) {
      return this.fail(err, errPtr, 'append', this._fdTarget(fd));
    }
  }

  truncate(fd, size, errPtr) {
    try {
      this._truncate(this.#writable(this._fd(fd), 'truncate'), size);
      return 0;
    } catch (err) {
      return this.fail(err, errPtr, 'truncate', this._fdTarget(fd));
    }
  }

  size(fd, errPtr) {
    try {
      return this._fileSize(this._fd(fd));
    } catch (err) {
      return this.fail(err, errPtr, 'size', `fd ${fd}`);
    }
  }

  #writable(f, op) {
    if (!f.writable) throw hostError(CODES.INVALID_ARGUMENT, `${op} ${f.path}: opened read-only`);
    return f;
  }

  exists(pathPtr) {
    const p = normPath(this.str(pathPtr));
    return this._isDir(p) ? 2 : this._files.has(p) ? 1 : 0;
  }

  list(dirPtr, listOut, lenOut, errPtr) {
    const dir = normPath(this.str(dirPtr));
    try {
      if (!this._isDir(dir)) {
        if (this._files.has(dir)) throw hostError(CODES.INVALID_ARGUMENT, `list ${dir}: is a file`);
        throw hostError(CODES.NOT_FOUND, `list ${dir}: no such folder`);
      }
      const entries = [];
      for (const [names, isDir] of [[this._files.keys(), false], [this._dirs, true]]) {
        for (const name of names) {
          const [parent, base] = splitPath(name);
          if (parent === dir) entries.push([base, isDir]);
        }
      }
      if (!writeList(this.module, entries, listOut, lenOut)) throw hostError(CODES.NO_MEMORY, `list ${dir}: out of memory`);
      return 0;
    } catch (err) {
      return this.fail(err, errPtr, 'list', dir);
    }
  }

  // Makes the folder's names durable through the subclass's _syncNames().
  sync_dir(dirPtr, errPtr) {
    const dir = normPath(this.str(dirPtr));
    try {
      if (!this._isDir(dir)) throw hostError(CODES.NOT_FOUND, `sync_dir ${dir}: no such folder`);
      this._syncNames();
      return 0;
    } catch (err) {
      return this.fail(err, errPtr, 'sync_dir', dir);
    }
  }

  // No LOCK file is written: the Web Lock taken at open is the lock across contexts.
  lock(pathPtr, errPtr) {
    const p = normPath(this.str(pathPtr));
    try {
      this._checkParent('lock', p);
      if (!this._lock.held) throw hostError(CODES.LOCKED, `lock ${p}: ${this.#what} lost its Web Lock "${this._lock.name}" (taken by another context)`);
      for (const held of this.#locks.values()) {
        if (held === p) throw hostError(CODES.LOCKED, `lock ${p}: ${this.#what}: locked by another handle in this ${this.#context}`);
      }
      const id = this.#nextLock++;
      this.#locks.set(id, p);
      return id;
    } catch (err) {
      return this.fail(err, errPtr, 'lock', p);
    }
  }

  unlock(id) {
    this.#locks.delete(id);
    return 0;
  }
}

// The engine's paths without leading or trailing '/'.
export function normPath(p) {
  return p.replace(/^\/+/, '').replace(/\/+$/, '');
}
