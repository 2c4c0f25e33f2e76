// The three builds run the same C code: the native tool, the WASI module under node:wasi and the
// Emscripten modules (single-threaded and pthreads) must agree on what they compute.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { loadEngine } from '../../bindings/js/src/engine.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const nativeCli = path.join(root, 'build/native/strata');
const wasiCli = path.join(root, 'build/wasi/strata.wasm');
const wasiRun = path.join(root, 'scripts/wasi-run.mjs');
const npmBin = path.join(root, 'bindings/js/bin/strata.js');

let dir;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-builds-'));
  const bytes = Buffer.alloc(100_000);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
  fs.writeFileSync(path.join(dir, 'sample.bin'), bytes);
  fs.writeFileSync(path.join(dir, 'empty.bin'), '');
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function native(...args) {
  return execFileSync(nativeCli, args, { cwd: dir, encoding: 'utf8' });
}
function wasi(...args) {
  return execFileSync(process.execPath, [wasiRun, `--dir=${dir}::.`, wasiCli, ...args], { encoding: 'utf8' });
}

test('native and WASI tools report the same version and checksums', () => {
  const version = native('version');
  assert.match(version, /^strata \d+\.\d+\.\d+\n$/);
  assert.equal(wasi('version'), version);
  const sums = native('xxh3', 'sample.bin', 'empty.bin');
  assert.match(sums, /^2d06800538d394c2 {2}empty\.bin$/m); // published xxh3-64 of no bytes
  assert.equal(wasi('xxh3', 'sample.bin', 'empty.bin'), sums);
});

test('a missing file is a clear error from both tools, not a crash', () => {
  for (const run of [native, wasi]) {
    let err;
    try {
      run('xxh3', 'no-such-file');
    } catch (e) {
      err = e;
    }
    assert.ok(err, 'expected a failure');
    assert.equal(err.status, 1);
    assert.match(err.stderr.toString(), /STRATA_NOT_FOUND: open no-such-file/);
  }
});

test('native and WASI builds read and write the same database folder', () => {
  native('shared.db', 'put', 'apple', 'pie');
  native('shared.db', 'put', 'hello', 'world');
  wasi('shared.db', 'put', 'zebra', 'stripes'); // the WASI build appends to the native journal
  native('shared.db', 'flush'); // native writes a table from both builds' writes
  wasi('shared.db', 'del', 'hello');
  assert.equal(wasi('shared.db', 'scan'), 'apple\tpie\nzebra\tstripes\n');
  assert.equal(native('shared.db', 'scan', '--reverse'), 'zebra\tstripes\napple\tpie\n');
  assert.equal(wasi('shared.db', 'get', 'apple'), 'pie\n');
  assert.match(native('shared.db', 'stats'), /^L0 +1 +1 /m);
  let missing;
  try {
    wasi('shared.db', 'get', 'hello');
  } catch (e) {
    missing = e;
  }
  assert.equal(missing?.status, 1); // absent keys exit 1, like grep
});

test('the native tool and the npm bin (the same tool under WASI) print the same for the same commands', () => {
  const run = (cmd, args) => {
    try {
      return { code: 0, out: execFileSync(cmd[0], [...cmd.slice(1), ...args], { cwd: dir, encoding: 'utf8', stdio: 'pipe' }) };
    } catch (e) {
      return { code: e.status, out: e.stdout.toString(), err: e.stderr.toString() };
    }
  };
  const script = (db) => [
    [db, 'put', 'a/1', 'one'], [db, 'put', 'a/2', 'two'], [db, 'put', 'b', 'bee'], [db, 'del', 'a/2'],
    [db, 'scan'], [db, 'scan', '--prefix', 'a/', '--reverse'], [db, 'scan', '--gt', 'a/1', '--limit', '1'],
    [db, 'get', 'a/1'], [db, 'get', 'a/2'], [db, 'flush'], [db, 'stats'], [db, 'check'], [db, 'dle', 'k'], ['help'],
  ];
  // timings differ between runs: "in 1.2 ms" and "read in ..." are masked
  const mask = (s) => s.replace(/in [\d.]+ m?s\b/g, 'in T');
  const outputs = [[nativeCli], [process.execPath, npmBin]].map((cmd, i) =>
    script(`agree-${i}.db`).map((args) => { const r = run(cmd, args); return [r.code, mask(r.out).replaceAll(`agree-${i}.db`, 'DB')]; }));
  assert.deepEqual(outputs[1], outputs[0]);
  assert.equal(outputs[0][4][1], 'a/1\tone\nb\tbee\n');
  assert.equal(outputs[0][8][0], 1, 'an absent key exits 1');
  assert.equal(outputs[0][12][0], 2, 'a typo is a usage error');
  assert.ok(!fs.existsSync(path.join(dir, 'DB')));
});

for (const threads of [false, true]) {
  test(`the ${threads ? 'pthreads' : 'single-threaded'} wasm engine agrees with the native tool`, async () => {
    const engine = await loadEngine({ threads });
    try {
      assert.equal(engine.variant, threads ? 'mt' : 'st');
      assert.equal(`strata ${engine.version()}\n`, native('version'));
      const sample = fs.readFileSync(path.join(dir, 'sample.bin'));
      const expected = native('xxh3', 'sample.bin').split(' ')[0];
      assert.equal(engine.xxh3(sample), expected);
      assert.equal(engine.xxh3(new Uint8Array(0)), '2d06800538d394c2');
    } finally {
      engine.unload();
    }
  });
}
