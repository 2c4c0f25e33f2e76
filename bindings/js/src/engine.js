// Loads the WebAssembly engine in Node (engine_core.js with Node's platform): the .wasm is read
// from the package's dist folder and compiled once per build; the glue gets the require and
// __dirname its Node code calls (glue/module-pre.js). Browsers use engine_browser.js.
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Engine, engineLoader } from './engine_core.js';

export { Engine };

export const { loadModule, engineConstants, loadEngine } = engineLoader({
  wasmUrl: (variant) => new URL(`../dist/${variant}/strata.wasm`, import.meta.url),
  compile: async (url) => WebAssembly.compile(await fs.readFile(new URL(url))),
  moduleArgs: (variant, wasmUrl, glueUrl) => ({
    strataNode: { require: createRequire(glueUrl), dirname: path.dirname(fileURLToPath(glueUrl)) },
  }),
});
