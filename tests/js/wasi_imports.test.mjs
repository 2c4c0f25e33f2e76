// Portable imports: both WASI modules (the command module strata.wasm and the reactor
// strata-reactor.wasm) import only wasi_snapshot_preview1, so they run unchanged in any
// preview-1 runtime (wasmtime, wasmer, node:wasi, browser shims). The import section is read by
// tests/wasi/wasm_imports.mjs, a bounds-checked decoder of our own, and compared with the engine's
// view. The reactor exports every function include/strata.h declares, malloc, free and
// _initialize, and no entry point.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import { root } from './helpers.mjs';
import { wasmExports, wasmImports } from '../wasi/wasm_imports.mjs';

const modules = {
  'strata.wasm': path.join(root, 'bindings/js/dist/wasi/strata.wasm'),
  'strata-reactor.wasm': path.join(root, 'bindings/js/dist/wasi/strata-reactor.wasm'),
};
const PORTABLE = 'wasi_snapshot_preview1';

// The functions strata.h declares (every prototype line: a return type, then strata_*( ).
function headerFunctions() {
  const h = fs.readFileSync(path.join(root, 'include/strata.h'), 'utf8');
  const names = new Set();
  for (const line of h.split('\n')) {
    if (line.startsWith('typedef')) continue;
    const m = /^[A-Za-z_][A-Za-z0-9_ ]*[ *](strata_[a-z0-9_]+)\(/.exec(line);
    if (m) names.add(m[1]);
  }
  return names;
}

// The smallest module importing `module`.`name` as a function: a type section with () -> (),
// then the import section.
function moduleImporting(module, name) {
  const enc = new TextEncoder();
  const str = (s) => [enc.encode(s).length, ...enc.encode(s)];
  const imports = [1, ...str(module), ...str(name), 0, 0];
  return new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 2, imports.length, ...imports]);
}

describe('portable imports', () => {
  for (const [name, file] of Object.entries(modules)) {
    test(`${name}_imports_only_wasi_snapshot_preview1`, () => {
      const bytes = new Uint8Array(fs.readFileSync(file));
      const imports = wasmImports(bytes);
      assert.ok(imports.length > 5, `${name} imports the WASI functions it uses (${imports.length})`);
      const foreign = imports.filter((i) => i.module !== PORTABLE);
      assert.deepEqual(foreign, [], `${name} imports from outside ${PORTABLE}`);
      assert.ok(imports.every((i) => i.kind === 'function'), 'functions only: no imported memory, table or global');
      // our decoder and the engine agree on every import
      const engine = WebAssembly.Module.imports(new WebAssembly.Module(bytes));
      assert.deepEqual(imports.map((i) => `${i.module}.${i.name}:${i.kind}`), engine.map((i) => `${i.module}.${i.name}:${i.kind}`));
    });
  }

  test('the_check_can_fail: a module importing from env is reported', () => {
    const bytes = moduleImporting('env', 'emscripten_memcpy_big');
    new WebAssembly.Module(bytes); // a valid module
    assert.deepEqual(wasmImports(bytes), [{ module: 'env', name: 'emscripten_memcpy_big', kind: 'function' }]);
  });

  test('import_decoder_bounds_checks: every truncation and bad header throws, never reads past the end', () => {
    const bytes = moduleImporting(PORTABLE, 'fd_write');
    let refused = 0;
    for (let n = 0; n < bytes.length; n++) {
      const prefix = bytes.slice(0, n);
      if (WebAssembly.validate(prefix)) { // cut at a section boundary: a smaller valid module
        assert.deepEqual(wasmImports(prefix), WebAssembly.Module.imports(new WebAssembly.Module(prefix)), `truncated to ${n} bytes`);
      } else {
        assert.throws(() => wasmImports(prefix), /malformed wasm at offset \d+/, `truncated to ${n} bytes`);
        refused++;
      }
    }
    assert.equal(refused, bytes.length - 2, 'only the cuts after the header and after the type section are valid');
    const bad = [
      [0, 0x61, 0x73, 0x6e, 1, 0, 0, 0], // magic
      [0, 0x61, 0x73, 0x6d, 2, 0, 0, 0], // version
      [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff, 0x7f], // section size over 32 bits
      [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 2, 6, 1, 0x7f, 0x41, 0, 0, 0], // name length past the section
      [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 2, 6, 1, 1, 0xff, 1, 0x61, 0], // a name that is not UTF-8
      [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 2, 6, 1, 1, 0x61, 1, 0x61, 9], // import kind 9
    ];
    for (const b of bad) assert.throws(() => wasmImports(new Uint8Array(b)), /malformed wasm/, JSON.stringify(b));
  });
});

describe('the reactor\'s exports', () => {
  test('reactor_exports_the_c_api: every strata.h function, malloc, free, memory and _initialize; no _start or main', () => {
    const exports = wasmExports(new Uint8Array(fs.readFileSync(modules['strata-reactor.wasm'])));
    const names = new Set(exports.map((e) => e.name));
    const declared = headerFunctions();
    assert.ok(declared.size > 60, `strata.h declares ${declared.size} functions`);
    for (const fn of declared) assert.ok(names.has(fn), `${fn} is declared in strata.h but not exported`);
    for (const fn of ['malloc', 'free', '_initialize']) assert.ok(names.has(fn), fn);
    assert.equal(exports.find((e) => e.name === 'memory')?.kind, 'memory');
    assert.ok(!names.has('_start') && !names.has('main'), 'a reactor has no entry point');
    const extra = [...names].filter((n) => !declared.has(n) && !['malloc', 'free', '_initialize', 'memory'].includes(n));
    assert.deepEqual(extra, [], 'nothing else is exported');
  });

  test('command_module_exports_start: strata.wasm is a command (memory and _start)', () => {
    const names = wasmExports(new Uint8Array(fs.readFileSync(modules['strata.wasm']))).map((e) => e.name).sort();
    assert.deepEqual(names, ['_start', 'memory']);
  });
});
