// What every JS storage host shares (node_host.js, opfs_host.js, idb_host.js): the strata codes
// and open flags of the host calls, the error-buffer size of vfs_js.c, and the check that a host
// and the engine it attaches to agree on them. No Node built-ins: browsers load it too.
//
// Host calls (bindings/js/c/vfs_js.c through library_strata_host.js) take numbers only and return
// a result >= 0, or minus a code after writing a message into the caller's `err` buffer.

export const CODES = Object.freeze({
  NOT_FOUND: 1, CORRUPTION: 2, IO: 3, INVALID_ARGUMENT: 4, NOT_SUPPORTED: 5, LOCKED: 6,
  NO_MEMORY: 7, EXISTS: 8, NOT_OPEN: 9, BUSY: 10, QUOTA: 11,
});

export const ERR_CAP = 512; // JS_ERR_CAP in vfs_js.c

export const OPEN = Object.freeze({ READ: 1, WRITE: 2, CREATE: 4, EXCLUSIVE: 8, TRUNCATE: 16 });

// Throws unless the engine's codes and open flags (its layout descriptors, codecs.readLayout) are
// the ones above: a host built against other values must not load.
export function checkLayout(layout, hostName) {
  if (!layout) return;
  for (const [name, value] of Object.entries(CODES)) {
    if (layout.codes[`STRATA_${name}`]?.value !== value) throw new Error(`strata-lsm: ${hostName} host: code ${name} is ${value}, the engine's is ${layout.codes[`STRATA_${name}`]?.value}`);
  }
  for (const [name, value] of Object.entries(OPEN)) {
    if (layout.open_flags[name]?.value !== value) throw new Error(`strata-lsm: ${hostName} host: open flag ${name} is ${value}, the engine's is ${layout.open_flags[name]?.value}`);
  }
}

// An Error carrying a strata code (hosts report it with that code and its message as is).
export function hostError(code, message, cause) {
  const e = new Error(message, cause ? { cause } : undefined);
  e.strataCode = code;
  return e;
}

// The error behind a host's last failure reported to C (host.lastError, its message
// host.lastMessage), when the engine's message carries that failure's text (so a failure C
// handled itself never becomes the cause of a later error); clears both.
export function takeLastError(host, message) {
  const { lastError: err, lastMessage } = host;
  host.lastError = host.lastMessage = null;
  return err && lastMessage && message.includes(lastMessage) ? err : null;
}

// The browser's "storage is full" (QuotaExceededError, a DOMException; legacy code 22).
export function isQuotaError(err) {
  return err?.name === 'QuotaExceededError' || err?.code === 22;
}

// Splits "a/b/c" into ["a/b", "c"]; "c" into ["", "c"]. Paths are the engine's ('/'-separated).
export function splitPath(p) {
  const i = p.lastIndexOf('/');
  return i < 0 ? ['', p] : [p.slice(0, i), p.slice(i + 1)];
}

// Writes the list format of strata_js_host_list (entries: is_dir byte, UTF-8 name, NUL) into a
// malloc'd buffer of `module`; stores its pointer and length at listOut/lenOut. Returns false
// when out of memory.
export function writeList(module, entries, listOut, lenOut) {
  const enc = new TextEncoder();
  const parts = entries.map(([name, isDir]) => [isDir ? 1 : 0, enc.encode(name)]);
  const total = parts.reduce((s, [, n]) => s + n.length + 2, 0);
  const ptr = module._malloc(Math.max(1, total));
  if (!ptr) return false;
  let pos = ptr;
  for (const [d, name] of parts) {
    module.HEAPU8[pos++] = d;
    module.HEAPU8.set(name, pos);
    pos += name.length;
    module.HEAPU8[pos++] = 0;
  }
  module.HEAPU32[listOut >>> 2] = ptr;
  module.HEAPU32[lenOut >>> 2] = total;
  return true;
}

// The one retry of work a storage host refused with "would block" (STRATA_BUSY from
// host.whenUnblocked: the OPFS pool had no pre-opened file free for a create; the engine did
// nothing and left nothing behind): database.js's calls held in order, the open, importDatabase
// and ingest. Awaits `ready` (when not null), then runs `attempt()` (synchronous or async) and
// returns what it returns; when it throws an error the host answers with a promise, awaits that
// and runs it again; any other error is thrown. Before every try `check()` may throw (the
// database closed meanwhile; again after a wait) and `prepare()` may return a promise to await
// once (the host's prepare(): the pool growing, a failed commit retried). Bounded by the host: at
// its handle cap a create fails with STRATA_IO ("too many files"), which ends the loop as any
// other error does.
export async function retryBlocked(host, attempt, { check = null, prepare = null } = {}, ready = null) {
  for (;;) {
    if (ready) await ready;
    check?.();
    const wait = prepare?.();
    if (wait) {
      await wait;
      check?.();
    }
    try {
      return await attempt();
    } catch (err) {
      ready = host?.whenUnblocked?.(err) ?? null;
      if (!ready) throw err;
    }
  }
}
