// Runs in a browser page: the WASI reactor's test table (tests/wasi/reactor_cases.mjs) under
// @bjorn3/browser_wasi_shim, on the shim's in-memory file system, the module fetched from the
// test server. Driven by tests/browser/wasi_reactor.test.mjs.
import { Strata } from '../../examples/wasi-host/strata_wasi.mjs';
import { reactorCases } from '../wasi/reactor_cases.mjs';
import { instantiateReactor, newTree, treeFiles } from '../wasi/shim.mjs';

const reactorUrl = new URL('../../bindings/js/dist/wasi/strata-reactor.wasm', import.meta.url);
let compiled;

export function caseNames() {
  return reactorCases.map((c) => c.name);
}

// Runs one case on a fresh folder; resolves with what the page is (so the test knows where it ran).
export async function runCase(name) {
  const c = reactorCases.find((x) => x.name === name);
  if (!c) throw new Error(`no reactor case ${name}`);
  compiled ??= await WebAssembly.compileStreaming(fetch(reactorUrl));
  const tree = newTree();
  await c.run({
    path: '/db/store',
    rel: 'store',
    files: treeFiles(tree),
    async load() {
      const { instance } = await instantiateReactor(compiled, { tree, guest: '/db' });
      return new Strata(instance);
    },
  });
  return { userAgent: navigator.userAgent, node: typeof process !== 'undefined' };
}
