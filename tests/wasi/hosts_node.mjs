// The WASI hosts of the Node tests, each giving the reactor's test table (reactor_cases.mjs) the
// same interface over one temp folder, preopened as /db:
//   node:wasi   Node's own WASI (uvwasi) on the real folder
//   shim        @bjorn3/browser_wasi_shim on its in-memory file system, loaded from the real
//               folder and written back by sync() (tests/wasi/shim_folder.mjs)
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';

import { wasiLockEnv } from '../../bindings/js/src/node_host.js';
import { Strata } from '../../examples/wasi-host/strata_wasi.mjs';
import { root } from '../js/helpers.mjs';
import { instantiateReactor, treeFiles } from './shim.mjs';
import { loadTree, saveTree } from './shim_folder.mjs';

export const reactorPath = path.join(root, 'bindings/js/dist/wasi/strata-reactor.wasm');
export const commandPath = path.join(root, 'bindings/js/dist/wasi/strata.wasm');

// Node 20's node:wasi reads a stale memory pointer through V8 fast API calls once the module's
// memory grows (nodejs/node#46777, #53087): set before node:wasi is loaded.
v8.setFlagsFromString('--no-turbo-fast-api-calls');
process.removeAllListeners('warning');
const { WASI } = await import('node:wasi');

// Who runs the module, for the lock records (docs/LOCKING.md).
const lockEnv = wasiLockEnv();

let compiled;
export async function reactorModule() {
  compiled ??= await WebAssembly.compile(fs.readFileSync(reactorPath));
  return compiled;
}

const GUEST = '/db';
const REL = 'store';

function realFiles(dir) {
  return {
    list: (rel) => fs.readdirSync(path.join(dir, rel)).sort(),
    read: (rel) => new Uint8Array(fs.readFileSync(path.join(dir, rel))),
    write: (rel, bytes) => fs.writeFileSync(path.join(dir, rel), bytes),
  };
}

export const hosts = {
  'node:wasi': (dir) => ({
    path: `${GUEST}/${REL}`,
    rel: REL,
    files: realFiles(dir),
    async load() {
      const wasi = new WASI({ version: 'preview1', preopens: { [GUEST]: dir }, env: lockEnv, returnOnExit: true });
      const instance = await WebAssembly.instantiate(await reactorModule(), wasi.getImportObject());
      wasi.initialize(instance);
      return new Strata(instance);
    },
    sync() {},
  }),
  '@bjorn3/browser_wasi_shim': (dir) => {
    const tree = loadTree(dir);
    return {
      path: `${GUEST}/${REL}`,
      rel: REL,
      files: treeFiles(tree),
      async load() {
        const { instance } = await instantiateReactor(await reactorModule(), { tree, guest: GUEST, env: lockEnv });
        return new Strata(instance);
      },
      sync() { saveTree(tree, dir); },
    };
  },
};
