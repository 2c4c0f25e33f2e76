// The packed npm package: installed into a node_modules folder, it resolves through its exports
// map from ES modules and CommonJS, finds its .wasm files, and ships types and no install scripts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { removeTempDirs, root, tempDir } from './helpers.mjs';

let app;
let pkgJson;
before(() => {
  app = tempDir('strata-pkg-');
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', app], { cwd: root, encoding: 'utf8' }).trim().split('\n').pop();
  const dest = path.join(app, 'node_modules', 'strata-lsm');
  fs.mkdirSync(dest, { recursive: true });
  execFileSync('tar', ['-xzf', path.join(app, out), '-C', dest, '--strip-components=1']);
  pkgJson = JSON.parse(fs.readFileSync(path.join(dest, 'package.json'), 'utf8'));
});
after(() => removeTempDirs());

function run(file, source) {
  fs.writeFileSync(path.join(app, file), source);
  return execFileSync(process.execPath, [file], { cwd: app, encoding: 'utf8' }).trim();
}

test('the package has the wasm builds, types and no install scripts', () => {
  const dest = path.join(app, 'node_modules', 'strata-lsm');
  for (const f of ['bindings/js/dist/st/strata.wasm', 'bindings/js/dist/st/strata.mjs', 'bindings/js/dist/mt/strata.wasm',
    'bindings/js/dist/mt/strata.worker.js', 'bindings/js/dist/wasi/strata.wasm',
    'bindings/js/dist/wasi/strata-reactor.wasm', 'bindings/js/src/index.d.ts', 'bindings/js/src/index.cjs']) {
    assert.ok(fs.existsSync(path.join(dest, f)), `${f} is in the package`);
  }
  for (const s of ['preinstall', 'install', 'postinstall', 'prepare']) assert.equal(pkgJson.scripts?.[s], undefined, `no ${s} script`);
  const dot = pkgJson.exports['.'];
  assert.deepEqual(Object.keys(dot), ['types', 'node', 'default'], 'types first, then node, then default');
  assert.ok(!fs.existsSync(path.join(dest, 'tests')), 'tests (and the test double) stay out of the package');
});

test('import and require resolve the package and load its wasm engine from node_modules', () => {
  const esm = run('esm.mjs', `
    import { open, StrataError } from 'strata-lsm';
    import { loadEngine } from 'strata-lsm/engine';
    const e = await loadEngine();
    console.log(typeof open, typeof StrataError, e.version());`);
  assert.match(esm, /^function function \d+\.\d+\.\d+$/);
  const cjs = run('cjs.cjs', `
    const { open, StrataError } = require('strata-lsm');
    open('').catch((e) => console.log(e instanceof StrataError, e.code));`);
  assert.equal(cjs, 'true STRATA_INVALID_ARGUMENT');
});

test('the package bin `strata` is shipped, executable, and works from node_modules', () => {
  const dest = path.join(app, 'node_modules', 'strata-lsm');
  assert.equal(pkgJson.bin?.strata, './bindings/js/bin/strata.js');
  const binFile = path.join(dest, pkgJson.bin.strata);
  assert.match(fs.readFileSync(binFile, 'utf8'), /^#!\/usr\/bin\/env node\n/);
  const db = path.join(app, 'cli-db');
  execFileSync(process.execPath, [binFile, db, 'put', 'k', 'from the packed bin'], { cwd: app });
  assert.equal(execFileSync(process.execPath, [binFile, db, 'get', 'k'], { cwd: app, encoding: 'utf8' }), 'from the packed bin\n');
  // the bin runs the packed WASI tool: a typo is a usage error that creates nothing
  const typo = path.join(app, 'typo-db');
  assert.throws(() => execFileSync(process.execPath, [binFile, typo, 'dle', 'k'], { cwd: app, stdio: 'pipe' }), (e) => e.status === 2);
  assert.ok(!fs.existsSync(typo));
});
