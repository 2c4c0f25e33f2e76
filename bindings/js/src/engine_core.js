// Loads the WebAssembly engine, whatever the runtime: the single-threaded build by default, the
// pthreads build on request. loadModule() instantiates the module once per call (in Node each
// database owns its own instance); acquireModule() hands out one instance of a build shared by
// every database of this thread that asks for it (browsers: all the databases of a worker, so a
// page's hundred databases are one wasm memory, not a hundred, and in the pthreads build one
// pool of background threads), each database with its own storage host, buffers and vfs in it
// (native.js). What differs between runtimes is the
// platform: how the .wasm bytes become a compiled module and what the glue needs from its host
// (engine.js for Node, engine_browser.js for browsers). No Node built-ins.
import { constants, readLayout } from './codecs.js';

// The glue of each build: the same file in Node, pages and workers (-sENVIRONMENT=web,worker,node).
const variants = {
  st: () => import('../dist/st/strata.mjs'),
  mt: () => import('../dist/mt/strata.mjs'),
};

// platform: {
//   wasmUrl(variant)                 the default URL of the build's strata.wasm;
//   compile(url)                     Promise<WebAssembly.Module>;
//   moduleArgs(variant, wasmUrl, glueUrl)  properties for the Emscripten module object.
// }
export function engineLoader(platform) {
  // The compiled code of each build, shared by every instance: compiling is most of the cost
  // of an open. Only code is kept here; each instance's memory is its own and goes away with it.
  const compiled = new Map(); // wasm URL -> Promise<WebAssembly.Module>
  function compiledModule(url) {
    let p = compiled.get(url);
    if (!p) {
      p = platform.compile(url);
      p.catch(() => compiled.delete(url)); // a later load tries again
      compiled.set(url, p);
    }
    return p;
  }

  // `moduleArgs` become properties of the Emscripten module object (e.g. `strataHost`, the
  // storage backend the JS-backed VFS calls). `moduleUrl` (tests only) loads another build's
  // glue, which then finds its own .wasm; `wasmUrl` names where the build's .wasm is served.
  async function loadModule({ threads = false, moduleArgs = {}, moduleUrl, wasmUrl } = {}) {
    const variant = threads ? 'mt' : 'st';
    const url = String(wasmUrl ?? platform.wasmUrl(variant));
    let factory;
    let code;
    try {
      factory = (await (moduleUrl ? import(moduleUrl) : variants[variant]())).default;
      if (!moduleUrl) code = await compiledModule(url);
    } catch (err) {
      const e = new Error(`strata-lsm: the ${variant} engine build is missing or cannot load from ${moduleUrl ?? url} (run \`npm run build\`): ${err.message}`, { cause: err });
      e.code = 'STRATA_NOT_SUPPORTED';
      throw e;
    }
    const args = Object.assign(moduleArgs, platform.moduleArgs(variant, url, moduleUrl ?? new URL(`../dist/${variant}/strata.mjs`, import.meta.url).href));
    if (!code) return { module: await factory(args), variant };
    // Emscripten's hook: instantiate the shared compiled code; a failure rejects the load (the
    // glue would otherwise wait for the instance forever).
    let fail;
    const failed = new Promise((resolve, reject) => { fail = reject; });
    args.instantiateWasm = (imports, receive) => {
      WebAssembly.instantiate(code, imports).then((instance) => receive(instance, code), fail);
      return {};
    };
    return { module: await Promise.race([factory(args), failed]), variant };
  }

  // The limits and defaults of include/strata_limits.h of a build, by name without the STRATA_
  // prefix (KEY_MAX, VALUE_MAX, DEFAULT_MEMTABLE_SIZE, ...): the limits descriptor
  // (strata_js_describe, read by codecs.js), read once per loader and build from an instance of
  // its own, so open() can check options before it loads the module the database will run on.
  const engineLimits = new Map(); // variant -> Promise<constants>
  function engineConstants({ threads = false, wasmUrl } = {}) {
    const variant = threads ? 'mt' : 'st';
    let p = engineLimits.get(variant);
    if (!p) {
      p = loadModule({ threads, wasmUrl }).then(({ module }) => {
        try {
          return constants(readLayout(module).limits);
        } finally {
          module.PThread?.terminateAllThreads(); // the pthreads build's pool would keep the process alive
        }
      });
      p.catch(() => engineLimits.delete(variant)); // a later call tries again
      engineLimits.set(variant, p);
    }
    return p;
  }

  async function loadEngine({ threads = false, wasmUrl } = {}) {
    const { module, variant } = await loadModule({ threads, wasmUrl });
    return new Engine(module, variant);
  }

  // A module instance with a reference count: { module, variant, release() }, shared by every
  // database of this thread that asks for the same build and URL, each with its own storage host
  // (one per URL and build) and kept SHARE_IDLE_MS after its last holder let go, for the next
  // open. The pthreads build's instance also runs one pool of MAINTENANCE_THREADS background
  // threads for all its databases (bindings/js/c/maintenance_pool.c, module.strataPool), which
  // open without threads of their own; it ends with the instance.
  const shares = new Map(); // `${variant} ${wasm URL}` -> { promise, held, timer }
  function share(loaded, onEnd) {
    let refs = 1;
    return {
      module: loaded.module,
      variant: loaded.variant,
      retain() { refs++; return this; },
      release() {
        if (--refs === 0) onEnd();
      },
      get holders() { return refs; },
    };
  }
  async function loadShared(threads, wasmUrl) {
    const loaded = await loadModule({ threads, wasmUrl, moduleArgs: { strataHosts: [], strataFilters: new Map() } });
    const m = loaded.module;
    if (threads) {
      m.strataPool = m._strata_js_pool_new(MAINTENANCE_THREADS);
      if (!m.strataPool) {
        m.PThread?.terminateAllThreads();
        const e = new Error(`strata-lsm: the pthreads build cannot start its ${MAINTENANCE_THREADS} background threads`);
        e.code = 'STRATA_NO_MEMORY';
        throw e;
      }
    }
    return loaded;
  }
  function endShared(m) {
    if (m.strataPool) m._strata_js_pool_free(m.strataPool); // joins its idle threads
    m.strataPool = 0;
    m.PThread?.terminateAllThreads();
  }
  async function acquireModule({ threads = false, wasmUrl } = {}) {
    const variant = threads ? 'mt' : 'st';
    const key = `${variant} ${String(wasmUrl ?? platform.wasmUrl(variant))}`;
    let entry = shares.get(key);
    if (!entry) {
      entry = { promise: null, held: null, timer: null };
      entry.promise = loadShared(threads, wasmUrl).then((loaded) => {
        entry.held = share(loaded, () => {
          // idle: kept a while for the next open, then dropped (its memory goes with it)
          entry.timer = setTimeout(() => {
            if (shares.get(key) === entry && entry.held.holders === 0) {
              shares.delete(key);
              endShared(loaded.module);
            }
          }, SHARE_IDLE_MS);
        });
        return entry.held;
      });
      entry.promise.catch(() => { if (shares.get(key) === entry) shares.delete(key); });
      shares.set(key, entry);
      return entry.promise; // the first holder's reference
    }
    const held = await entry.promise;
    if (shares.get(key) !== entry) return acquireModule({ threads, wasmUrl }); // dropped meanwhile
    if (entry.timer !== null) {
      clearTimeout(entry.timer);
      entry.timer = null;
    }
    return held.retain();
  }

  return { loadModule, engineConstants, loadEngine, acquireModule };
}

// How long a shared instance nobody holds is kept for the next open.
export const SHARE_IDLE_MS = 2000;
// Background threads of a shared pthreads instance, whatever the number of its databases (a
// native database has two: flush and compaction).
export const MAINTENANCE_THREADS = 2;

export class Engine {
  constructor(module, variant) {
    this.module = module;
    this.variant = variant;
  }

  version() {
    return this.module.UTF8ToString(this.module._strata_version_string());
  }

  // xxh3-64 of the bytes, as a 16-digit hex string (the format of `strata xxh3`).
  xxh3(bytes) {
    const m = this.module;
    const ptr = m._malloc(Math.max(1, bytes.length));
    if (!ptr) throw Object.assign(new Error('strata-lsm: out of wasm memory'), { code: 'STRATA_NO_MEMORY' });
    try {
      m.HEAPU8.set(bytes, ptr);
      // built with WASM_BIGINT: the uint64_t arrives as a (signed) BigInt
      return BigInt.asUintN(64, m._strata_xxh3_64(ptr, bytes.length)).toString(16).padStart(16, '0');
    } finally {
      m._free(ptr);
    }
  }

  // Ends the pthread pool so the process can exit; the engine is unusable afterwards.
  unload() {
    this.module.PThread?.terminateAllThreads();
  }
}
