// The browser entries import nothing from Node: every module reachable from them (static and
// dynamic imports with a literal specifier, the engine's Emscripten glue included) is walked, and
// a `node:` specifier, a Node built-in's bare name or a CommonJS file fails the test. The Node
// entries keep theirs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';

import { root } from './helpers.mjs';

const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

// Import specifiers of a module's source: `import ... from 'x'`, `import 'x'`, `export ... from
// 'x'`, `import('x')`; comments removed first.
function specifiers(source) {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out = [];
  for (const re of [/\bimport\s*(?:[\w*{}\s,$]+\s*from\s*)?['"]([^'"]+)['"]/g, /\bexport\s+[\w*{}\s,$]+\s+from\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g]) {
    for (const m of code.matchAll(re)) out.push(m[1]);
  }
  return out;
}

// Every file reachable from `entry`, with the bare specifiers it leaves to the app.
function graph(entry) {
  const seen = new Map(); // file -> [specifiers]
  const bare = new Set();
  const todo = [path.resolve(root, entry)];
  while (todo.length) {
    const file = todo.pop();
    if (seen.has(file)) continue;
    const specs = specifiers(fs.readFileSync(file, 'utf8'));
    seen.set(file, specs);
    for (const s of specs) {
      if (s.startsWith('./') || s.startsWith('../')) todo.push(path.resolve(path.dirname(file), s));
      else bare.add(s);
    }
  }
  return { files: [...seen.keys()], seen, bare: [...bare] };
}

// A condition's file: a path, or { types, default } where the condition has its own declarations.
const fileOf = (c) => (typeof c === 'string' ? c : c?.default);
const browserEntries = {
  '.': fileOf(pkg.exports['.'].browser),
  './level': fileOf(pkg.exports['./level'].browser),
  './engine': fileOf(pkg.exports['./engine'].browser),
  './worker': pkg.exports['./worker'],
};

test('the exports map sends browsers and workers to the browser entries and keeps Node\'s', () => {
  for (const key of ['.', './level', './engine']) {
    assert.equal(fileOf(pkg.exports[key].worker), fileOf(pkg.exports[key].browser), `${key}: the worker condition is the browser entry`);
    assert.match(fileOf(pkg.exports[key].browser), /_browser\.js$/, `${key}: a browser entry`);
  }
  assert.deepEqual(pkg.exports['.'].node, { import: './bindings/js/src/index.js', require: './bindings/js/src/index.cjs' });
  assert.equal(pkg.exports['./level'].default, './bindings/js/src/level.js');
  assert.equal(pkg.exports['./engine'].default, './bindings/js/src/engine.js');
});

for (const [name, entry] of Object.entries(browserEntries)) {
  test(`the browser entry ${name} (${entry}) reaches no Node built-in${name === './level' ? '' : ' and no CommonJS file'}`, () => {
    const { files, seen, bare } = graph(entry);
    for (const file of files) {
      const rel = path.relative(root, file);
      // strata-lsm/level is for bundlers (abstract-level itself is CommonJS): its class is level_class.cjs
      if (name !== './level') assert.ok(!file.endsWith('.cjs'), `${rel} is CommonJS, which browsers cannot import`);
      for (const s of seen.get(file)) assert.ok(!builtins.has(s) && !s.startsWith('node:'), `${rel} imports ${s}`);
    }
    for (const glue of ['dist/st/strata.mjs', 'dist/mt/strata.mjs']) assert.ok(files.some((f) => f.endsWith(glue)), `the walk reached the engine's glue ${glue}`);
    assert.deepEqual(bare.filter((b) => b !== 'abstract-level'), [], 'no bare specifier but the optional peer abstract-level');
  });
}

test('the walk finds what it looks for: the Node entry does reach node: modules and CommonJS', () => {
  const { seen } = graph(pkg.exports['.'].node.import);
  const all = [...seen.values()].flat();
  assert.ok(all.includes('node:path') && all.includes('node:fs'), 'the Node entry imports node:path and node:fs');
  const glue = graph('./bindings/js/src/engine_core.js').files.map((f) => path.relative(root, f));
  assert.ok(glue.includes('bindings/js/dist/st/strata.mjs') && glue.includes('bindings/js/dist/mt/strata.mjs'), `the glue of both builds is walked: ${glue}`);
});
