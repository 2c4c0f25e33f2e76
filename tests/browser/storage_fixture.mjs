// Run inside Chromium by the storage tests (tests/browser/*.test.mjs): the OPFS host (in a
// dedicated worker) and the IndexedDB host (page or worker) under the storage conformance suite
// and under the engine itself. Module-level state (open databases) persists between calls.
import { Native } from '../../bindings/js/src/native.js';
import { OpfsHost, deleteOpfsDatabase, listOpfsDatabases } from '../../bindings/js/src/opfs_host.js';

async function openHost(backend, name, options) {
  if (backend === 'opfs') return OpfsHost.open(name, options);
  const { IdbHost } = await import('../../bindings/js/src/idb_host.js');
  return IdbHost.open(name, options);
}

function vfsCheck(native, dir) {
  const p = native.cstring(dir);
  try {
    native.check(native.m._strata_js_vfs_check(native.vfs, p));
  } finally {
    native.m._free(p);
  }
}

// The storage conformance suite (tests/c/vfs_conformance.c) on a fresh host of `backend`.
export async function conformance(backend, name, options = {}) {
  const host = await openHost(backend, name, options);
  const native = await Native.load({ host });
  try {
    vfsCheck(native, 'walk');
    await host.settle();
    return { pool: host.pool ?? null };
  } finally {
    native.free();
  }
}

export { listOpfsDatabases, deleteOpfsDatabase };
export { listIdbDatabases, deleteIdbDatabase } from '../../bindings/js/src/idb_host.js';

// Host calls made directly, as vfs_js.c makes them: C strings and an error buffer in wasm memory.
function caller(native) {
  const m = native.m;
  const err = native.alloc(512);
  const withPath = (p, fn) => {
    const ptr = native.cstring(p);
    try {
      m.HEAPU8[err] = 0;
      const r = fn(ptr);
      return r < 0 ? { code: -r, message: m.UTF8ToString(err) } : r;
    } finally {
      m._free(ptr);
    }
  };
  const bytes = (text) => {
    const b = new TextEncoder().encode(text);
    const ptr = native.alloc(Math.max(1, b.length));
    m.HEAPU8.set(b, ptr);
    return [ptr, b.length];
  };
  const h = native.host;
  return {
    open: (p, flags) => withPath(p, (ptr) => h.open(ptr, flags, err)),
    mkdir: (p) => withPath(p, (ptr) => h.mkdir(ptr, err)),
    syncDir: (p) => withPath(p, (ptr) => h.sync_dir(ptr, err)),
    exists: (p) => withPath(p, (ptr) => h.exists(ptr, err)),
    append(fd, text) {
      const [ptr, n] = bytes(text);
      try {
        return h.append(fd, ptr, n, err);
      } finally {
        m._free(ptr);
      }
    },
    read(fd, n) {
      const ptr = native.alloc(Math.max(1, n));
      try {
        const r = h.read(fd, 0, ptr, n, err);
        return new TextDecoder().decode(m.HEAPU8.slice(ptr, ptr + Math.max(0, r)));
      } finally {
        m._free(ptr);
      }
    },
    close: (fd) => h.close(fd, err),
  };
}

const CREATE_WRITE = 2 | 4; // OPEN.WRITE | OPEN.CREATE

// Creates files in one folder until the pool's handle cap refuses one. In `burst` mode no
// prepare() is awaited between creates (as within one engine call); otherwise prepare() runs
// between them (as between requests). Reports the pool sizes seen and the refusal.
export async function fillPool(name, hostOptions, burst) {
  const host = await OpfsHost.open(name, hostOptions);
  const native = await Native.load({ host });
  try {
    const c = caller(native);
    const initial = host.pool;
    if (c.mkdir('d') !== 0) throw new Error('mkdir failed');
    const sizes = [];
    let refusal = null;
    for (let i = 0; i < 300 && !refusal; i++) {
      if (!burst) {
        const ready = host.prepare();
        if (ready) await ready;
      }
      const fd = c.open(`d/f${i}`, CREATE_WRITE);
      if (typeof fd === 'object') {
        refusal = { ...fd, at: i };
        break;
      }
      c.append(fd, `file ${i}`);
      c.close(fd);
      sizes.push(host.pool.slots);
    }
    if (c.syncDir('d') !== 0) throw new Error('sync_dir failed');
    let afterWait = null;
    if (burst) { // the pool catches up between requests
      const ready = host.prepare();
      if (ready) await ready;
      await new Promise((r) => setTimeout(r, 50));
      const fd = c.open('d/after', CREATE_WRITE);
      afterWait = typeof fd === 'object' ? fd : 'created';
      if (typeof fd !== 'object') c.close(fd);
    }
    await host.settle();
    return { initial, final: host.pool, created: sizes.length, maxSlots: Math.max(...sizes), refusal, afterWait };
  } finally {
    native.free();
  }
}

// Reopens a database made by fillPool: which files it has, with their contents.
export async function readPool(name, count) {
  const host = await OpfsHost.open(name);
  const native = await Native.load({ host });
  try {
    const c = caller(native);
    let intact = 0;
    for (let i = 0; i < count; i++) {
      const fd = c.open(`d/f${i}`, 1);
      if (typeof fd === 'object') continue;
      if (c.read(fd, 64) === `file ${i}`) intact++;
      c.close(fd);
    }
    return { intact, pool: host.pool };
  } finally {
    native.free();
  }
}

// Two generations of metadata: file a named by the first, b by the second. Returns both.
export async function twoGenerations(name) {
  const host = await OpfsHost.open(name);
  const native = await Native.load({ host });
  try {
    const c = caller(native);
    c.mkdir('d');
    const a = c.open('d/a', CREATE_WRITE);
    c.append(a, 'contents of a');
    c.close(a);
    c.syncDir('d');
    const first = host.pool.generation;
    const b = c.open('d/b', CREATE_WRITE);
    c.append(b, 'contents of b');
    c.close(b);
    c.syncDir('d');
    return { first, second: host.pool.generation };
  } finally {
    native.free();
  }
}

// Damages a metadata file of a closed OPFS database (a torn write): flips bytes in its body.
export async function damageMeta(name, which) {
  const root = await navigator.storage.getDirectory();
  const dir = await (await root.getDirectoryHandle('strata-lsm')).getDirectoryHandle(encodeURIComponent(name));
  const h = await (await dir.getFileHandle(`meta-${which}`)).createSyncAccessHandle();
  try {
    const at = Math.floor(h.getSize() / 2);
    h.write(new Uint8Array([0xde, 0xad, 0xbe, 0xef]), { at });
    h.flush();
  } finally {
    h.close();
  }
  return true;
}

// What a reopened database made by twoGenerations has: generation, and files a and b.
export async function readGenerations(name) {
  let host;
  try {
    host = await OpfsHost.open(name);
  } catch (err) {
    return { error: { code: err.code, message: err.message } };
  }
  const native = await Native.load({ host });
  try {
    const c = caller(native);
    const contents = (p) => {
      const fd = c.open(p, 1);
      if (typeof fd === 'object') return fd.code === 1 ? null : fd;
      try {
        return c.read(fd, 64);
      } finally {
        c.close(fd);
      }
    };
    return { generation: host.pool.generation, a: contents('d/a'), b: contents('d/b'), free: host.pool.free, slots: host.pool.slots };
  } finally {
    native.free();
  }
}

// Opens a host (taking its Web Lock) and reports the outcome; `hold` keeps it open here.
const held = new Map();
export async function tryOpenHost(backend, name, hold = true, options = {}) {
  try {
    const host = await openHost(backend, name, options);
    if (hold) held.set(`${backend}:${name}`, host);
    else host.closeAll();
    return { ok: true };
  } catch (err) {
    return { ok: false, code: err.code, message: err.message };
  }
}

export function releaseHost(backend, name) {
  const host = held.get(`${backend}:${name}`);
  held.delete(`${backend}:${name}`);
  host?.closeAll();
  return !!host;
}

// The engine's lock() call (strata_js_vfs_lock) on a host held by tryOpenHost, at `path`.
export async function engineLock(backend, name, path) {
  const host = held.get(`${backend}:${name}`);
  const native = await Native.load({ host });
  const p = native.cstring(path);
  try {
    native.check(native.m._strata_js_vfs_lock(native.vfs, p, native.words));
    const handle = native.word(0);
    let second;
    try {
      native.check(native.m._strata_js_vfs_lock(native.vfs, p, native.words));
      second = { ok: true };
    } catch (err) {
      second = { ok: false, code: err.code, message: err.message };
    }
    native.check(native.m._strata_js_vfs_unlock(native.vfs, handle));
    return { ok: true, second };
  } catch (err) {
    return { ok: false, code: err.code, message: err.message };
  } finally {
    native.m._free(p);
    held.delete(`${backend}:${name}`);
    native.free();
  }
}

// Takes a Web Lock away from its holder (navigator.locks steal), holding it `ms`.
export async function stealWebLock(lockName, ms = 500) {
  await new Promise((granted) => {
    navigator.locks.request(lockName, { steal: true }, () => {
      granted();
      return new Promise((r) => setTimeout(r, ms));
    });
  });
  return true;
}
