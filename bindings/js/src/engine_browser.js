// Loads the WebAssembly engine in browsers (engine_core.js with the browser's platform): the
// .wasm is fetched and compiled while it streams in (WebAssembly.compileStreaming), once per
// build and URL. By default it is the package's own file, located from this module
// (`new URL('../dist/st/strata.wasm', import.meta.url)`, a pattern bundlers recognise); an app
// that serves it elsewhere passes `wasmUrl`. The pthreads build's worker script (strata.worker.js)
// and glue (strata.mjs) are taken from the folder of its .wasm. No Node built-ins.
import { Engine, engineLoader } from './engine_core.js';

export { Engine };

const defaults = {
  st: () => new URL('../dist/st/strata.wasm', import.meta.url),
  mt: () => new URL('../dist/mt/strata.wasm', import.meta.url),
};

async function compile(url) {
  const response = await fetch(url, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`fetching ${url}: HTTP ${response.status}`);
  // compileStreaming needs the application/wasm type; a server that sends another gets the
  // buffered path instead of a failure
  if (typeof WebAssembly.compileStreaming === 'function' && /^application\/wasm\b/.test(response.headers.get('content-type') ?? '')) {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

export const { loadModule, engineConstants, loadEngine, acquireModule } = engineLoader({
  wasmUrl: (variant) => defaults[variant](),
  compile,
  // The pthreads build starts its pool workers from strata.worker.js, which imports the glue:
  // both beside the .wasm (a bundled page's import.meta.url is the bundle's, not the glue's).
  moduleArgs: (variant, wasmUrl) => (variant === 'mt'
    ? { locateFile: (name) => new URL(name, wasmUrl).href, mainScriptUrlOrBlob: new URL('strata.mjs', wasmUrl).href }
    : {}),
});
