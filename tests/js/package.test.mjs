// The packed npm package: installed into a node_modules folder, it resolves through its exports
// map from ES modules and CommonJS, finds its .wasm files, and ships types and no install scripts.
// The last test is a new user's first steps: a scratch project that runs `npm install` of the
// tarball alone (its dependency, abstract-level, comes from npm's cache, offline) and uses
// strata-lsm and strata-lsm/level from ESM and CommonJS scripts and from TypeScript.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { removeTempDirs, root, tempDir } from './helpers.mjs';

let app;
let pkgJson;
let tarball;
before(() => {
  app = tempDir('strata-pkg-');
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', app], { cwd: root, encoding: 'utf8' }).trim().split('\n').pop();
  tarball = path.join(app, out);
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
  assert.deepEqual(Object.keys(dot), ['types', 'browser', 'worker', 'node', 'default'], 'types first, then the browser entry, then node, then default');
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

// The package's dependencies, transitively, as this repository's lock file has them.
function scratchLock(tgz) {
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')).packages;
  const own = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const packages = {
    '': { name: 'scratch', version: '1.0.0', dependencies: { 'strata-lsm': `file:${tgz}` } },
    'node_modules/strata-lsm': { version: own.version, resolved: `file:${tgz}`, license: own.license, dependencies: own.dependencies, bin: own.bin, engines: own.engines },
  };
  const todo = Object.keys(own.dependencies);
  while (todo.length) {
    const name = todo.pop();
    const at = `node_modules/${name}`;
    if (packages[at]) continue;
    assert.ok(lock[at], `${name} is in the repository's lock file`);
    packages[at] = lock[at];
    todo.push(...Object.keys(lock[at].dependencies ?? {}));
  }
  return { name: 'scratch', version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}

test('a new project with only the tarball installed uses the API and strata-lsm/level from ESM, CommonJS and TypeScript', { timeout: 180_000 }, () => {
  const user = tempDir('strata-user-');
  const tgz = path.basename(tarball);
  fs.copyFileSync(tarball, path.join(user, tgz));
  fs.writeFileSync(path.join(user, 'package.json'), JSON.stringify({ name: 'scratch', version: '1.0.0', private: true }));
  // Offline (CI has no registry): the lock file npm would write for `npm install <tarball>`,
  // pinned to the versions of this repository's lock file, so npm takes every dependency of the
  // package from its cache by integrity; a dependency the package forgot to declare fails here.
  fs.writeFileSync(path.join(user, 'package-lock.json'), JSON.stringify(scratchLock(tgz)));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', `./${tgz}`], { cwd: user, stdio: 'pipe' });
  const installed = JSON.parse(fs.readFileSync(path.join(user, 'package.json'), 'utf8'));
  assert.deepEqual(Object.keys(installed.dependencies), ['strata-lsm'], 'the user installed one package');
  assert.ok(fs.existsSync(path.join(user, 'node_modules/abstract-level/package.json')), 'abstract-level came with it');
  const db = (name) => JSON.stringify(path.join(user, name));
  const run = (file, source) => {
    fs.writeFileSync(path.join(user, file), source);
    return execFileSync(process.execPath, [file], { cwd: user, encoding: 'utf8' }).trim();
  };
  const esm = run('esm.mjs', `
    import { open } from 'strata-lsm';
    import { StrataLevel } from 'strata-lsm/level';
    const db = await open(${db('esm-db')}, { valueEncoding: 'utf8', keyEncoding: 'utf8', compactionFilter: (k) => (k === 'tmp' ? 'remove' : undefined) });
    await db.batch().put('a', '1').put('b', '2').put('tmp', 'x').singleDel('b').write();
    let last;
    await db.compact({ major: true, onProgress: (p) => { last = p; } });
    const out = [db.getSync('a'), await db.get('tmp'), JSON.stringify(await db.hasMany(['a', 'b'])), last.bytesDone === last.bytesTotal];
    await db[Symbol.asyncDispose]();
    const lvl = new StrataLevel(${db('esm-level')}, { valueEncoding: 'json' });
    await lvl.open(); // abstract-level: a chained batch needs an open database
    await lvl.batch().put('k', { n: 1 }).write();
    out.push(lvl.getSync('k').n, (await lvl.iterator().all()).length);
    await lvl.close();
    console.log(out.join(' '));`);
  assert.equal(esm, '1  [true,false] true 1 1', 'a, tmp (removed by the filter), hasMany, the last progress report, the level');
  const cjs = run('cjs.cjs', `
    const { open, StrataError } = require('strata-lsm');
    const { StrataLevel } = require('strata-lsm/level');
    (async () => {
      const db = await open(${db('esm-db')}, { valueEncoding: 'utf8', createIfMissing: false });
      const out = [await db.get('a')];
      const ac = new AbortController();
      const it = db.iterator({ signal: ac.signal });
      ac.abort();
      await it.next().catch((e) => out.push(e.name));
      await db.close();
      await open(${db('missing')}, { createIfMissing: false }).catch((e) => out.push(e instanceof StrataError && e.code));
      const lvl = new StrataLevel(${db('cjs-level')});
      await lvl.put('k', 'v');
      await lvl.singleDel('k');
      out.push(await lvl.get('k'), lvl.supports.getSync);
      await lvl.close();
      console.log(out.join(' '));
    })();`);
  assert.equal(cjs, '1 AbortError STRATA_NOT_FOUND  true');
  // the user's TypeScript sees the installed declarations (the package's own typescript compiles)
  fs.writeFileSync(path.join(user, 'use.mts'), `
    import { open, type Progress } from 'strata-lsm';
    import { StrataLevel } from 'strata-lsm/level';
    const db = await open('./x', { valueEncoding: 'utf8' });
    const v: string | Uint8Array | undefined = db.getSync('a');
    await db.batch().put('a', 'b').singleDel('c').write();
    await db.compact({ onProgress: (p: Progress) => void p.bytesDone });
    await db.ingest([["a", "b"]], { onProgress: (p: Progress) => void p.bytesTotal });
    const lvl = new StrataLevel<string, string>('./y');
    const s: string | undefined = lvl.getSync('a');
    void v, s;`);
  fs.writeFileSync(path.join(user, 'use.cts'), `
    import { open } from 'strata-lsm';
    import { StrataLevel } from 'strata-lsm/level';
    export async function f(): Promise<void> { const db = await open('./x'); await db.singleDel('a'); await new StrataLevel('./y').close(); }`);
  fs.writeFileSync(path.join(user, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, module: 'node16', moduleResolution: 'node16', target: 'es2022', lib: ['esnext'],
      types: ['node'], typeRoots: [path.join(root, 'node_modules/@types')] },
    files: ['use.mts', 'use.cts'],
  }));
  const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', user], { encoding: 'utf8' });
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
});
