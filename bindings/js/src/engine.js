// Loads the WebAssembly engine: the single-threaded build by default, the pthreads build on
// request. The module is instantiated once per call; each database owns its own instance, so
// no state is shared between them.
const variants = {
  st: () => import('../dist/st/strata.mjs'),
  mt: () => import('../dist/mt/strata.mjs'),
};

// `moduleArgs` become properties of the Emscripten module object (e.g. `strataHost`, the storage
// backend the JS-backed VFS calls).
export async function loadModule({ threads = false, moduleArgs = {}, moduleUrl } = {}) {
  const variant = threads ? 'mt' : 'st';
  let factory;
  try {
    factory = (await (moduleUrl ? import(moduleUrl) : variants[variant]())).default;
  } catch (err) {
    const e = new Error(`strata-lsm: the ${variant} engine build is missing (run \`npm run build\`): ${err.message}`);
    e.code = 'STRATA_NOT_SUPPORTED';
    throw e;
  }
  return { module: await factory(moduleArgs), variant };
}

export async function loadEngine({ threads = false } = {}) {
  const { module, variant } = await loadModule({ threads });
  return new Engine(module, variant);
}

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
