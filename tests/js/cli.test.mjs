// The strata command-line tool, run as a child process against temp folders. There is one tool
// (wasi/cli_*.c): every case runs twice, through the npm bin (bindings/js/bin/strata.js, the
// tool compiled to WASI under node:wasi) and through the native build (build/native/strata).
// Every command, exit codes, stats, check on a good and on a damaged database, bad input that
// must create nothing, and demo.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { removeTempDirs, root, tempDir } from './helpers.mjs';

after(() => removeTempDirs());

const tools = [
  ['npm bin (WASI)', process.execPath, [path.join(root, 'bindings/js/bin/strata.js')]],
  ['native', path.join(root, 'build/native/strata'), []],
];

const lines = (s) => s.split('\n').filter((l) => l !== '');

for (const [name, file, pre] of tools) {
  // Runs the tool; resolves with { code, stdout, stderr } whatever the exit code.
  const strata = (...args) => new Promise((resolve, reject) => {
    execFile(file, [...pre, ...args], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? err.code : 0, stdout, stderr });
    });
  });
  const ok = async (...args) => {
    const r = await strata(...args);
    assert.equal(r.code, 0, `strata ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };

  describe(`${name}: DIR commands`, () => {
    test('put, get, del, and get of a missing key exits 1', async () => {
      const dir = tempDir('strata-cli-');
      await ok(dir, 'put', 'greeting', 'hello, wörld');
      assert.equal(await ok(dir, 'get', 'greeting'), 'hello, wörld\n');
      const missing = await strata(dir, 'get', 'nope');
      assert.equal(missing.code, 1);
      assert.equal(missing.stdout, '');
      assert.match(missing.stderr, /^strata: STRATA_NOT_FOUND: key "nope" not found/);
      await ok(dir, 'del', 'greeting');
      assert.equal((await strata(dir, 'get', 'greeting')).code, 1, 'deleted keys are absent');
    });

    test('relative and absolute paths, inside and outside the current folder', async () => {
      const dir = tempDir('strata-cli-');
      await ok(path.join(dir, 'abs'), 'put', 'k', 'absolute');
      const rel = path.relative(process.cwd(), path.join(dir, 'abs')); // starts with ../ from the repo
      assert.equal(await ok(rel, 'get', 'k'), 'absolute\n');
      const run = (...args) => new Promise((resolve) => {
        execFile(file, [...pre, ...args], { cwd: dir, encoding: 'utf8' }, (err, stdout) => resolve({ code: err ? err.code : 0, stdout }));
      });
      assert.equal((await run('abs', 'get', 'k')).stdout, 'absolute\n', 'a path inside the current folder');
      assert.equal((await run('./abs/../abs', 'get', 'k')).stdout, 'absolute\n');
    });

    test('scan: all, prefix, reverse, limit, and bounds', async () => {
      const dir = tempDir('strata-cli-');
      for (const k of ['a/1', 'a/2', 'a/3', 'b/1', 'b/2', 'c']) await ok(dir, 'put', k, `v-${k}`);
      const keys = async (...opts) => lines(await ok(dir, 'scan', ...opts)).map((l) => l.split('\t')[0]);
      assert.deepEqual(lines(await ok(dir, 'scan')), ['a/1\tv-a/1', 'a/2\tv-a/2', 'a/3\tv-a/3', 'b/1\tv-b/1', 'b/2\tv-b/2', 'c\tv-c']);
      assert.deepEqual(await keys('--prefix', 'a/'), ['a/1', 'a/2', 'a/3']);
      assert.deepEqual(await keys('--prefix=b/', '--reverse'), ['b/2', 'b/1']);
      assert.deepEqual(await keys('--reverse', '--limit', '2'), ['c', 'b/2']);
      assert.deepEqual(await keys('--limit', '0'), []);
      assert.deepEqual(await keys('--gt', 'a/1', '--lt', 'b/2'), ['a/2', 'a/3', 'b/1']);
      assert.deepEqual(await keys('--gte', 'a/2', '--lte', 'b/1'), ['a/2', 'a/3', 'b/1']);
      assert.deepEqual(await keys('--gte', 'a/2', '--lte', 'b/1', '--reverse', '--limit', '2'), ['b/1', 'a/3']);
      assert.deepEqual(await keys('--prefix', 'a/', '--gt', 'a/1'), ['a/2', 'a/3'], 'bounds intersect with the prefix');
      assert.deepEqual(await keys('--prefix', 'a/', '--lte', 'b/9'), ['a/1', 'a/2', 'a/3'], 'the prefix is the tighter bound');
      assert.deepEqual(await keys('--gt', 'b/1', '--lt', 'a/3'), [], 'an empty range');
      const bad = await strata(dir, 'scan', '--limit', 'many');
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--limit must be a whole number/);
    });

    test('stats prints the levels, memtable, cache and write amplification; compact and flush', async () => {
      const dir = tempDir('strata-cli-');
      for (let i = 0; i < 20; i++) await ok(dir, 'put', `k${i}`, 'x'.repeat(100));
      assert.match(await ok(dir, 'flush'), /^flush: done in /);
      assert.match(await ok(dir, 'stats'), /^L0\s+1\s+1\s+\d/m, 'the flush wrote one table');
      await ok(dir, 'put', 'k0', 'again'); // in the journal: the major compaction flushes it too
      const run = await strata(dir, 'compact'); // major: everything in one run in the last level
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^compact: done in .*major/m);
      // the progress line on stderr (not a terminal: one line per quarter and the last), in bytes
      const progress = lines(run.stderr);
      assert.ok(progress.length >= 1 && progress.every((l) => /^compact \[[#.]{30}\] +\d+% [\d.]+ (B|KiB|MiB)\/[\d.]+ (B|KiB|MiB)  [\d.]+ (B|KiB|MiB)\/s$/.test(l)), run.stderr);
      assert.match(progress.at(-1), /^compact \[#{30}\] 100% /);
      const out = await ok(dir, 'stats');
      assert.match(out, /^level\s+tables\s+runs\s+bytes$/m);
      assert.match(out, /^L0\s+0\s+0\s+0 B$/m);
      assert.match(out, /^L1\s+0\s+0\s+0 B$/m);
      assert.match(out, /^L6\s+1\s+1\s+\d/m);
      assert.equal((await ok(dir, 'get', 'k0')).trim(), 'again');
      for (const re of [/^memtable\s/m, /^block cache\s+\d+ hits, \d+ misses/m, /^write amplification\s/m,
        /^recovery\s+replayed \d+ batches from \d+ journals/m]) assert.match(out, re);
    });

    test('check verifies every table file and passes on a good database, reports STRATA_CORRUPTION after a table is damaged', async () => {
      const dir = tempDir('strata-cli-');
      const db = path.join(dir, 'db');
      const load = await strata('demo', '--dir', db, '--count', '5000');
      assert.equal(load.code, 0, load.stderr);
      const good = await ok(db, 'check');
      assert.match(good, /^check: ok, 5,000 entries/);
      const tables = path.join(db, 'tables');
      const names = fs.readdirSync(tables);
      assert.ok(names.length > 0, 'flushed: tables exist');
      assert.match(good, new RegExp(`^tables: ${names.length} files .* verified: every block and file checksum$`, 'm'));
      assert.match(good, /^recovery\s+replayed/m);
      for (const name of names) { // flip bytes in the middle of every table file
        const f = path.join(tables, name);
        const size = fs.statSync(f).size;
        const fd = fs.openSync(f, 'r+');
        const buf = Buffer.alloc(32);
        const at = Math.floor(size / 2);
        fs.readSync(fd, buf, 0, buf.length, at);
        for (let i = 0; i < buf.length; i++) buf[i] ^= 0xff;
        fs.writeSync(fd, buf, 0, buf.length, at);
        fs.closeSync(fd);
      }
      const bad = await strata(db, 'check');
      assert.equal(bad.code, 1, `check exits 1: ${bad.stdout} ${bad.stderr}`);
      assert.match(bad.stderr, /^strata: STRATA_CORRUPTION: /m);
      assert.doesNotMatch(bad.stdout, /check: ok/);
    });

    test('usage errors exit 2 with the usage on stderr: unknown command, no command, wrong arguments', async () => {
      const dir = tempDir('strata-cli-');
      for (const args of [[dir, 'frobnicate'], [dir], [], [dir, 'put', 'only-key'], [dir, 'get'], [dir, 'scan', '--nope'],
        [dir, 'get', 'k', '--recovery'], ['demo', '--count', '0'], ['demo', 'extra'], ['repair', dir, 'extra'], ['version', 'x'],
        ['xxh3']]) {
        const r = await strata(...args);
        assert.equal(r.code, 2, `strata ${args.join(' ')}`);
        assert.match(r.stderr, /usage: strata/);
        assert.equal(r.stdout, '');
      }
      assert.match(await ok('help'), /usage: strata/);
      assert.match(await ok('version'), /^strata \d+\.\d+\.\d+\n$/);
    });

    test('unknown_command_creates_nothing: a typo or a bad argument leaves no folder behind', async () => {
      const dir = tempDir('strata-cli-');
      const db = path.join(dir, 'mydb');
      for (const args of [[db, 'dle', 'k'], [db, 'put', 'k'], [db, 'put', 'k', 'v', 'extra'], [db, 'put', 'k', 'v', '--recovery', 'lenient'],
        [db, 'put', 'k', 'v', '--limit', '3'], [db, 'scan', '--limit', 'x'], ['demo', '--dir', db, '--count', 'lots']]) {
        const r = await strata(...args);
        assert.equal(r.code, 2, `strata ${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, /^strata: .*\nusage: strata/);
        assert.ok(!fs.existsSync(db), `strata ${args.join(' ')} created ${db}`);
      }
      for (const cmd of [['get', 'k'], ['del', 'k'], ['scan'], ['stats'], ['check'], ['flush'], ['compact']]) {
        const r = await strata(db, ...cmd);
        assert.equal(r.code, 1, `${cmd[0]} on a missing database is an engine error`);
        assert.match(r.stderr, /^strata: STRATA_NOT_FOUND: .*mydb/);
        assert.ok(!fs.existsSync(db), `${cmd[0]} created the database`);
      }
      assert.deepEqual(fs.readdirSync(dir), []);
      // an existing folder that holds no database stays as it was
      fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
      for (const cmd of [['get', 'k'], ['del', 'k'], ['stats'], ['check'], ['flush']]) {
        const r = await strata(dir, ...cmd);
        assert.equal(r.code, 1, cmd[0]);
        assert.match(r.stderr, /^strata: STRATA_NOT_FOUND: .* holds no database/);
      }
      assert.deepEqual(fs.readdirSync(dir), ['notes.txt']);
    });

    test('--recovery: a bad mode is a usage error', async () => {
      const dir = tempDir('strata-cli-');
      await ok(dir, 'put', 'k', 'v');
      const r = await strata(dir, 'stats', '--recovery', 'lenient');
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--recovery must be strict or point-in-time/);
      assert.match(await ok(dir, 'stats', '--recovery=point-in-time'), /^recovery\s+replayed 1 batches/m);
    });
  });

  describe(`${name}: demo`, () => {
    test('demo --count 5000 loads, reads, scans, checks a snapshot, flushes and prints stats; reruns replace it', async () => {
      const dir = path.join(tempDir('strata-cli-demo-'), 'data');
      const r = await strata('demo', '--dir', dir, '--count', '5000');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^strata demo: 5,000 records in /);
      assert.match(r.stdout, /loaded 5,000 records/);
      assert.match(r.stdout, /random gets: 5,000 keys .* all values correct/);
      assert.match(r.stdout, /prefix scan "user\/00025": 100 records/);
      assert.match(r.stdout, /^ {2}user\/0002500\t\{"id":2500,/m);
      assert.match(r.stdout, /^ {2}user\/0002599\t\{"id":2599,/m);
      assert.match(r.stdout, /^snapshot check: ok: the snapshot reads the old value of 1,000\/1,000 keys, the database the new value of 1,000\/1,000$/m);
      assert.match(r.stdout, /^ {2}snapshot reads \{.*"version":1\}$/m);
      assert.match(r.stdout, /^ {2}database reads \{.*"version":2\}$/m);
      assert.match(r.stdout, /^flushed in /m);
      assert.match(r.stdout, /^L0\s+\d+\s+\d+\s+\d/m);
      assert.match(r.stdout, /^write amplification\s+\d/m);
      assert.match(r.stdout, /^total\s+[\d.]+$/m, 'timing summary');
      assert.match(r.stdout, /^on disk: .* get user\/\d{7}\)$/m);
      assert.match(r.stderr, /100% 5,000\/5,000 +[\d,]+ records\/s/, 'progress on stderr');
      assert.doesNotMatch(r.stderr, /\r/, 'no carriage returns when stderr is not a terminal');
      // the database is usable by the other commands
      assert.match(await ok(dir, 'get', 'user/0000007'), /"id":7,/);
      // a second demo removes the first one's folder
      const again = await strata('demo', '--dir', dir, '--count', '1000');
      assert.equal(again.code, 0, again.stderr);
      assert.match(await ok(dir, 'check'), /^check: ok, 1,000 entries/);
    });

    test('demo refuses to remove a folder it did not make', async () => {
      const dir = tempDir('strata-cli-demo-');
      fs.writeFileSync(path.join(dir, 'precious.txt'), 'keep me');
      const r = await strata('demo', '--dir', dir, '--count', '10');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^strata: STRATA_EXISTS: /);
      assert.equal(fs.readFileSync(path.join(dir, 'precious.txt'), 'utf8'), 'keep me');
    });
  });
}
