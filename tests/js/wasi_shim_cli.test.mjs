// The command module (strata.wasm, the strata tool) under the second WASI implementation,
// @bjorn3/browser_wasi_shim, on real folders: each run loads the database's parent folder into
// the shim's memory and writes it back afterwards (tests/wasi/shim_folder.mjs). The cases are the
// core of tests/js/cli.test.mjs (which runs the same tool under node:wasi and natively): put, get,
// del, scan, stats, flush, compact, check on a good and a damaged folder, usage errors; and the
// folders cross between the shim, node:wasi and the native build.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { wasiLockEnv } from '../../bindings/js/src/node_host.js';
import { removeTempDirs, root, tempDir } from './helpers.mjs';
import { runCommand } from '../wasi/shim.mjs';
import { loadTree, saveTree } from '../wasi/shim_folder.mjs';

after(() => removeTempDirs());

const command = await WebAssembly.compile(fs.readFileSync(path.join(root, 'bindings/js/dist/wasi/strata.wasm')));
const env = wasiLockEnv(); // who runs the module, for its lock records
const GUEST = '/work';

// strata DB ARGS... under the shim, DB a host folder; resolves with { code, stdout, stderr }.
async function shim(db, ...args) {
  const parent = path.dirname(db);
  const tree = loadTree(parent);
  const r = await runCommand(command, { tree, guest: GUEST, args: ['strata', `${GUEST}/${path.basename(db)}`, ...args], env });
  saveTree(tree, parent);
  return r;
}
async function ok(db, ...args) {
  const r = await shim(db, ...args);
  assert.equal(r.code, 0, `strata ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
const lines = (s) => s.split('\n').filter((l) => l !== '');
const nodeBin = (...args) => execFileSync(process.execPath, [path.join(root, 'bindings/js/bin/strata.js'), ...args], { encoding: 'utf8' });
const native = path.join(root, 'build/native/strata');

describe('strata.wasm under @bjorn3/browser_wasi_shim', () => {
  test('put, get, del, and get of a missing key exits 1', async () => {
    const db = path.join(tempDir('strata-shim-cli-'), 'db');
    await ok(db, 'put', 'greeting', 'hello, wörld');
    assert.equal(await ok(db, 'get', 'greeting'), 'hello, wörld\n');
    const missing = await shim(db, 'get', 'nope');
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, /^strata: STRATA_NOT_FOUND: key "nope" not found/);
    await ok(db, 'del', 'greeting');
    assert.equal((await shim(db, 'get', 'greeting')).code, 1, 'deleted keys are absent');
    assert.ok(!fs.existsSync(path.join(db, 'LOCK')), 'every run released its lock');
  });

  test('scan: all, prefix, reverse, limit, and bounds', async () => {
    const db = path.join(tempDir('strata-shim-cli-'), 'db');
    for (const k of ['a/1', 'a/2', 'a/3', 'b/1', 'b/2', 'c']) await ok(db, 'put', k, `v-${k}`);
    const keys = async (...opts) => lines(await ok(db, 'scan', ...opts)).map((l) => l.split('\t')[0]);
    assert.deepEqual(lines(await ok(db, 'scan')), ['a/1\tv-a/1', 'a/2\tv-a/2', 'a/3\tv-a/3', 'b/1\tv-b/1', 'b/2\tv-b/2', 'c\tv-c']);
    assert.deepEqual(await keys('--prefix', 'a/'), ['a/1', 'a/2', 'a/3']);
    assert.deepEqual(await keys('--prefix=b/', '--reverse'), ['b/2', 'b/1']);
    assert.deepEqual(await keys('--reverse', '--limit', '2'), ['c', 'b/2']);
    assert.deepEqual(await keys('--gt', 'a/1', '--lt', 'b/2'), ['a/2', 'a/3', 'b/1']);
    assert.deepEqual(await keys('--gte', 'a/2', '--lte', 'b/1', '--reverse', '--limit', '2'), ['b/1', 'a/3']);
    const bad = await shim(db, 'scan', '--limit', 'many');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--limit must be a whole number/);
  });

  test('stats, flush and compact: one table after a flush, one run in L6 after a major compaction', async () => {
    const db = path.join(tempDir('strata-shim-cli-'), 'db');
    for (let i = 0; i < 20; i++) await ok(db, 'put', `k${i}`, 'x'.repeat(100));
    assert.match(await ok(db, 'flush'), /^flush: done in /);
    assert.match(await ok(db, 'stats'), /^L0\s+1\s+1\s+\d/m);
    await ok(db, 'put', 'k0', 'again');
    assert.match(await ok(db, 'compact'), /^compact: done in .*major/m);
    const out = await ok(db, 'stats');
    assert.match(out, /^L0\s+0\s+0\s+0 B$/m);
    assert.match(out, /^L6\s+1\s+1\s+\d/m);
    assert.match(out, /^recovery\s+replayed \d+ batches from \d+ journals/m);
    assert.equal((await ok(db, 'get', 'k0')).trim(), 'again');
  });

  test('check passes on a good folder and reports STRATA_CORRUPTION (exit 1) after its tables are damaged', async () => {
    const db = path.join(tempDir('strata-shim-cli-'), 'db');
    nodeBin('demo', '--dir', db, '--count', '3000'); // written under node:wasi
    const good = await ok(db, 'check');
    assert.match(good, /^check: ok, 3,000 entries/);
    const tables = fs.readdirSync(path.join(db, 'tables'));
    assert.match(good, new RegExp(`^tables: ${tables.length} files .* verified: every block and file checksum$`, 'm'));
    for (const name of tables) {
      const f = path.join(db, 'tables', name);
      const b = fs.readFileSync(f);
      for (let i = 0; i < 32; i++) b[(b.length >> 1) + i] ^= 0xff;
      fs.writeFileSync(f, b);
    }
    const bad = await shim(db, 'check');
    assert.equal(bad.code, 1, `${bad.stdout} ${bad.stderr}`);
    assert.match(bad.stderr, /^strata: STRATA_CORRUPTION: /m);
    assert.doesNotMatch(bad.stdout, /check: ok/);
  });

  test('usage errors exit 2 and create nothing; a missing database is STRATA_NOT_FOUND', async () => {
    const dir = tempDir('strata-shim-cli-');
    const db = path.join(dir, 'mydb');
    for (const args of [['frobnicate'], ['put', 'only-key'], ['scan', '--nope'], ['get', 'k', '--recovery']]) {
      const r = await shim(db, ...args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /usage: strata/);
    }
    const r = await shim(db, 'get', 'k');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^strata: STRATA_NOT_FOUND: .*mydb/);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  test('shim_cli_folders_cross: the shim writes, node:wasi and the native tool read; the native tool writes, the shim reads', async (t) => {
    const dir = tempDir('strata-shim-cli-');
    const db = path.join(dir, 'db');
    for (let i = 0; i < 10; i++) await ok(db, 'put', `key${i}`, `value${i}`);
    await ok(db, 'flush');
    await ok(db, 'put', 'tail', 'in the journal');
    assert.equal(nodeBin(db, 'get', 'key7'), 'value7\n');
    assert.equal(nodeBin(db, 'get', 'tail'), 'in the journal\n');
    if (!fs.existsSync(native)) return t.skip('build/native/strata not built');
    assert.match(execFileSync(native, [db, 'check'], { encoding: 'utf8' }), /^check: ok, 11 entries/);
    execFileSync(native, [db, 'put', 'from-native', 'yes']);
    execFileSync(native, [db, 'compact']);
    assert.equal(await ok(db, 'get', 'from-native'), 'yes\n');
    assert.match(await ok(db, 'check'), /^check: ok, 12 entries/);
  });
});
