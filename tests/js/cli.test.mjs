// The strata command-line tool, run as a child process against temp folders. There is one tool
// (wasi/cli_*.c): every case runs twice, through the npm bin (bindings/js/bin/strata.js, the
// tool compiled to WASI under node:wasi) and through the native build (build/native/strata).
// Every command, exit codes, stats, check on a good and on a damaged database, bad input that
// must create nothing, load (TSV, JSON lines, bad files), dump, bench, --help, and demo.
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
      const counted = new RegExp(`^tables: ${names.length} files \\([^,]+, ([\\d,]+) data blocks, ([\\d,]+) entries of every version\\) verified: every block and file checksum$`, 'm');
      assert.match(good, counted);
      const [, blocks, versions] = good.match(counted);
      assert.ok(Number(blocks.replace(/,/g, '')) >= names.length, `${blocks} data blocks in ${names.length} tables`);
      assert.ok(Number(versions.replace(/,/g, '')) >= 5000, `${versions} entries of every version`);
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

  describe(`${name}: load, dump, bench, help`, () => {
    test('load a TSV file: KEY<TAB>VALUE lines in order, a TAB inside the value kept, CRLF and empty lines; scan output loads back', async () => {
      const dir = tempDir('strata-cli-load-');
      const db = path.join(dir, 'db');
      const file = path.join(dir, 'in.tsv');
      fs.writeFileSync(file, 'b\t2\r\na\tone\ttab\n\n\tempty key\nb\tlater wins\nz\t\n');
      const r = await strata(db, 'load', file);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^load: 5 records \(\d+ B of keys and values\) from .*in\.tsv in /);
      assert.deepEqual(lines(await ok(db, 'scan')), ['\tempty key', 'a\tone\ttab', 'b\tlater wins', 'z\t']);
      // what scan prints loads back as it was
      const again = path.join(dir, 'again.tsv');
      fs.writeFileSync(again, await ok(db, 'scan'));
      await ok(path.join(dir, 'copy'), 'load', again);
      assert.equal(await ok(path.join(dir, 'copy'), 'scan'), await ok(db, 'scan'));
    });

    test('load JSON lines: string keys and values decoded (escapes, surrogate pairs), other values stored as their JSON text', async () => {
      const dir = tempDir('strata-cli-load-');
      const db = path.join(dir, 'db');
      const file = path.join(dir, 'in.jsonl');
      fs.writeFileSync(file, [
        '{"key": "k1", "value": "caf\\u00e9 \\ud83d\\ude00 \\"q\\" \\\\ \\/"}',
        '  ',
        '{"value": {"a": [1, -2.5e3, null, true]}, "key": "k2"}',
        '{"key":"k3","value":42}',
        '{"key":"","value":""}',
      ].join('\n'));
      await ok(db, 'load', file, '--quiet');
      assert.equal(await ok(db, 'get', 'k1'), 'café 😀 "q" \\ /\n');
      assert.equal(await ok(db, 'get', 'k2'), '{"a": [1, -2.5e3, null, true]}\n');
      assert.equal(await ok(db, 'get', 'k3'), '42\n');
      assert.equal(lines(await ok(db, 'scan')).length, 4);
      assert.equal((await ok(db, 'scan', '--limit', '1')), '\t\n');
    });

    test('load_bad_file_writes_nothing: each malformed line is named by FILE:LINE:COLUMN and nothing is created', async () => {
      const dir = tempDir('strata-cli-load-');
      const db = path.join(dir, 'db');
      const cases = [
        ['a.tsv', 'k\tv\nno tab here\n', /a\.tsv:2:12: no TAB between the key and the value/],
        ['b.jsonl', '{"key":"k","value":"v"}\n{"key":1,"value":"v"}\n', /b\.jsonl:2:8: the key must be a JSON string/],
        ['c.jsonl', '{"key":"k"}\n', /c\.jsonl:1:1: no "value" member/],
        ['d.jsonl', '{"key":"k","value":"v","extra":1}\n', /d\.jsonl:1:24: an unknown member/],
        ['e.jsonl', '{"key":"k","value":"v"} trailing\n', /e\.jsonl:1:25: text after the object/],
        ['f.jsonl', '{"key":"\\ud800","value":"v"}\n', /f\.jsonl:1:9: a high surrogate without a low one/],
        ['g.jsonl', '{"key":"k","value":[1,2}\n', /g\.jsonl:1:24: expected ',' or '\]'/],
        ['h.jsonl', '{"key":"k","value":01}\n', /h\.jsonl:1:21: expected ',' or '}'/],
        ['i.jsonl', '{"key":"k\tv","value":"v"}\n', /i\.jsonl:1:10: a control character in a string/],
        ['j.jsonl', '[1]\n', /j\.jsonl:1:1: a line must be an object/],
        ['k.jsonl', '{"key":"k","key":"l","value":""}\n', /k\.jsonl:1:12: "key" appears twice/],
        ['l.jsonl', `{"key":"k","value":${'['.repeat(70)}${']'.repeat(70)}}\n`, /l\.jsonl:1:\d+: the value nests deeper than 64 levels/],
        ['m.tsv', `${'k'.repeat(65536)}\tv\n`, /m\.tsv:1: the key is 65536 bytes; keys are at most 65535/],
      ];
      for (const [name, text, re] of cases) {
        fs.writeFileSync(path.join(dir, name), text);
        const r = await strata(db, 'load', path.join(dir, name));
        assert.equal(r.code, 1, `${name}: ${r.stderr}`);
        assert.match(r.stderr, /^strata: STRATA_INVALID_ARGUMENT: /);
        assert.match(r.stderr, re, name);
        assert.ok(!fs.existsSync(db), `${name}: the database was created`);
      }
      const missing = await strata(db, 'load', path.join(dir, 'none.tsv'));
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /^strata: STRATA_NOT_FOUND: load: cannot open .*none\.tsv/);
      for (const args of [['load'], ['load', 'x.csv'], ['load', 'a.tsv', '--format', 'csv'], ['load', 'a.tsv', '--batch', '0'],
        ['load', 'a.tsv', 'b.tsv']]) {
        const r = await strata(db, ...args);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, /usage: strata/);
      }
      assert.ok(!fs.existsSync(db));
      // --format overrides the name; a bad file into an existing database leaves it as it was
      fs.writeFileSync(path.join(dir, 'good.txt'), '{"key":"j","value":"son"}\n');
      await ok(db, 'load', '--format=jsonl', path.join(dir, 'good.txt'));
      const r = await strata(db, 'load', path.join(dir, 'b.jsonl'));
      assert.equal(r.code, 1);
      assert.deepEqual(lines(await ok(db, 'scan')), ['j\tson'], 'the good first line of b.jsonl was not written');
    });

    test('load progress: one line per 10% of the file on stderr when it is not a terminal, counting written records', async () => {
      const dir = tempDir('strata-cli-load-');
      const file = path.join(dir, 'big.tsv');
      const n = 20000;
      let text = '';
      for (let i = 0; i < n; i++) text += `key${String(i).padStart(6, '0')}\tvalue-${i}\n`;
      fs.writeFileSync(file, text);
      const r = await strata(path.join(dir, 'db'), 'load', file, '--batch', '500');
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /\r/);
      const progress = lines(r.stderr);
      assert.ok(progress.length >= 10 && progress.length <= 11, progress.join('\n'));
      const counts = progress.map((l) => {
        const m = l.match(/^load \[[#.]{30}\] +(\d+)% [\d.]+ [KMG]?i?B\/[\d.]+ [KMG]?i?B {2}([\d,]+) records {2}[\d.]+ [KMG]?i?B\/s$/);
        assert.ok(m, l);
        return Number(m[2].replace(/,/g, ''));
      });
      for (let i = 1; i < counts.length; i++) assert.ok(counts[i] > counts[i - 1], counts.join(' '));
      assert.ok(counts.every((c) => c % 500 === 0 || c === n), `whole batches: ${counts.join(' ')}`);
      assert.equal(counts.at(-1), n);
      assert.match(progress.at(-1), / 100% /);
      assert.equal((await ok(path.join(dir, 'db'), 'get', 'key019999')).trim(), 'value-19999');
      const quiet = await strata(path.join(dir, 'db2'), 'load', file, '--quiet');
      assert.equal(quiet.stderr, '');
    });

    test('load --sorted ingests ascending keys in bulk: same progress line, then get, scan and check see every record', async () => {
      const dir = tempDir('strata-cli-load-');
      const file = path.join(dir, 'sorted.tsv');
      const db = path.join(dir, 'db');
      const n = 20000;
      let text = '';
      for (let i = 0; i < n; i++) text += `key${String(i).padStart(6, '0')}\tvalue-${i}\n`;
      fs.writeFileSync(file, text);
      const r = await strata(db, 'load', file, '--sorted');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^load: 20,000 records \(\d+(\.\d+)? [KM]iB of keys and values\) from .*sorted\.tsv in /);
      const progress = lines(r.stderr);
      assert.ok(progress.length >= 2 && progress.length <= 11, progress.join('\n'));
      for (const l of progress) assert.match(l, /^load \[[#.]{30}\] +\d+% [\d.]+ [KMG]?i?B\/[\d.]+ [KMG]?i?B {2}[\d,]+ records {2}[\d.]+ [KMG]?i?B\/s$/);
      assert.match(progress.at(-1), / 100% .* 20,000 records /);
      assert.equal(await ok(db, 'get', 'key000000'), 'value-0\n');
      assert.equal(await ok(db, 'get', 'key019999'), 'value-19999\n');
      assert.equal(lines(await ok(db, 'scan')).length, n);
      assert.deepEqual(lines(await ok(db, 'scan', '--gte', 'key010000', '--limit', '2')), ['key010000\tvalue-10000', 'key010001\tvalue-10001']);
      assert.equal((await strata(db, 'check')).code, 0);
      assert.match(await ok(db, 'dump'), /"key000000" \.\. /, 'the records are in table files');
      // later writes win over ingested ones
      await ok(db, 'put', 'key000005', 'newer');
      assert.equal(await ok(db, 'get', 'key000005'), 'newer\n');
      const quiet = await strata(path.join(dir, 'db2'), 'load', file, '--sorted', '--quiet');
      assert.equal(quiet.code, 0, quiet.stderr);
      assert.equal(quiet.stderr, '');
    });

    test('load_sorted_refuses_unsorted_input: a key not above the one before is named by FILE:LINE and nothing is created', async () => {
      const dir = tempDir('strata-cli-load-');
      const db = path.join(dir, 'db');
      const cases = [
        ['down.tsv', 'a\t1\nc\t2\nb\t3\n', /down\.tsv:3: the key is not above the one on line 2 \(--sorted needs strictly ascending keys\)/],
        ['dup.jsonl', '{"key":"a","value":1}\n\n{"key":"a","value":2}\n', /dup\.jsonl:3: the key is not above the one on line 1/],
        ['bytes.tsv', '\xc3\xa9\tv\nz\tv\n', /bytes\.tsv:2: the key is not above/], // 0xc3 > 'z': bytes compare unsigned
      ];
      for (const [name, text, re] of cases) {
        fs.writeFileSync(path.join(dir, name), Buffer.from(text, 'latin1'));
        const r = await strata(db, 'load', path.join(dir, name), '--sorted');
        assert.equal(r.code, 1, `${name}: ${r.stderr}`);
        assert.match(r.stderr, /^strata: STRATA_INVALID_ARGUMENT: /);
        assert.match(r.stderr, re, name);
        assert.ok(!fs.existsSync(db), `${name}: the database was created`);
      }
      for (const args of [['--sorted', '--batch', '10'], ['--sorted', '--sync']]) {
        const r = await strata(db, 'load', path.join(dir, 'down.tsv'), ...args);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, /--batch and --sync do not apply/);
      }
      assert.ok(!fs.existsSync(db));
    });

    test('load_sorted_refuses_a_database_with_tables: a clear error, and the database is left as it was', async () => {
      const dir = tempDir('strata-cli-load-');
      const db = path.join(dir, 'db');
      await ok(db, 'put', 'old', 'value');
      await ok(db, 'flush');
      const file = path.join(dir, 'in.tsv');
      fs.writeFileSync(file, 'a\t1\nb\t2\n');
      const r = await strata(db, 'load', file, '--sorted');
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^strata: STRATA_INVALID_ARGUMENT: load --sorted: .*db needs a database without tables \(.*holds 1 tables\)$/m);
      assert.match(r.stderr, /^strata: load --sorted: nothing was loaded$/m);
      assert.deepEqual(lines(await ok(db, 'scan')), ['old\tvalue']);
      assert.equal((await strata(db, 'check')).code, 0);
    });

    test('kv_separation_option_creates_a_separated_database: put and load --kv-separation[=N] write blob files, later commands follow the mode', async () => {
      const dir = tempDir('strata-cli-kv-');
      const blobs = (db) => (fs.existsSync(path.join(db, 'blobs')) ? fs.readdirSync(path.join(db, 'blobs')).length : 0);
      const big = (c, n) => c.repeat(n);
      // put --kv-separation=100: a value of 300 bytes goes to a blob file at the flush
      const byPut = path.join(dir, 'put');
      await ok(byPut, 'put', 'big', big('p', 300), '--kv-separation=100');
      await ok(byPut, 'flush');
      assert.equal(blobs(byPut), 1, 'the flush wrote a blob file');
      assert.equal(await ok(byPut, 'get', 'big'), `${big('p', 300)}\n`);
      // without the option the database stays separated (the default 1 KiB threshold)
      await ok(byPut, 'put', 'bigger', big('q', 3000));
      await ok(byPut, 'flush');
      assert.equal(blobs(byPut), 2, 'a later put without the option separated its value too');
      assert.deepEqual(lines(await ok(byPut, 'scan')), [`big\t${big('p', 300)}`, `bigger\t${big('q', 3000)}`]);
      assert.match(await ok(byPut, 'check'), /^check: ok, /);
      // load --kv-separation (the default threshold), and load --sorted --kv-separation=N
      const file = path.join(dir, 'in.tsv');
      fs.writeFileSync(file, Array.from({ length: 50 }, (_, i) => `k${String(i).padStart(3, '0')}\t${big(String.fromCharCode(97 + (i % 26)), i % 2 ? 1500 : 20)}\n`).join(''));
      const byLoad = path.join(dir, 'load');
      await ok(byLoad, 'load', file, '--quiet', '--kv-separation');
      await ok(byLoad, 'flush');
      assert.ok(blobs(byLoad) >= 1, 'load --kv-separation: blob files');
      assert.equal(lines(await ok(byLoad, 'scan')).length, 50);
      assert.equal(await ok(byLoad, 'get', 'k001'), `${big('b', 1500)}\n`);
      const bySorted = path.join(dir, 'sorted');
      await ok(bySorted, 'load', file, '--quiet', '--sorted', '--kv-separation=64');
      assert.ok(blobs(bySorted) >= 1, 'load --sorted --kv-separation=64: the ingest wrote blob files');
      assert.equal(await ok(bySorted, 'get', 'k049'), `${big('x', 1500)}\n`);
      assert.match(await ok(bySorted, 'check'), /^check: ok, /);
    });

    test('check_verifies_every_blob_file_whole: a damaged record no live key points to fails the check', async () => {
      const db = path.join(tempDir('strata-cli-kv-'), 'db');
      await ok(db, 'put', 'big', 'p'.repeat(300), '--kv-separation=100');
      await ok(db, 'flush');
      await ok(db, 'put', 'big', 'q'.repeat(300), '--kv-separation=100'); // the first blob file's record is now dead
      await ok(db, 'flush');
      const files = fs.readdirSync(path.join(db, 'blobs')).sort((a, b) => a - b);
      assert.equal(files.length, 2);
      assert.match(await ok(db, 'check'), /^blob files: 2 files \([\d.]+ [KM]?i?B, 2 records\) verified: every record's and the file checksum$/m);
      const first = path.join(db, 'blobs', files[0]);
      const bytes = fs.readFileSync(first);
      bytes[Math.floor(bytes.length / 3)] ^= 0x40; // inside the record, before the trailer
      fs.writeFileSync(first, bytes);
      assert.equal(await ok(db, 'get', 'big'), `${'q'.repeat(300)}\n`, 'the live value is elsewhere: reads still work');
      const bad = await strata(db, 'check');
      assert.equal(bad.code, 1, `check exits 1: ${bad.stdout} ${bad.stderr}`);
      assert.match(bad.stderr, new RegExp(`^strata: STRATA_CORRUPTION: .*blobs/${files[0]}`, 'm'));
      assert.match(bad.stdout, /^check: FAILED: 0 of 2 table files and 1 of 2 blob files damaged$/m);
    });

    test('kv_separation_option_is_refused_on_a_plain_database: exit 1 naming the mode, nothing written', async () => {
      const dir = tempDir('strata-cli-kv-');
      const db = path.join(dir, 'db');
      await ok(db, 'put', 'k', 'v');
      const put = await strata(db, 'put', 'k2', 'x'.repeat(2000), '--kv-separation');
      assert.equal(put.code, 1, put.stderr);
      assert.match(put.stderr, /^strata: STRATA_INVALID_ARGUMENT: .*db was created without key-value separation.* \(--kv-separation chooses the mode of a database put or load creates\)$/m);
      const file = path.join(dir, 'in.tsv');
      fs.writeFileSync(file, 'a\t1\nb\t2\n');
      for (const extra of [[], ['--sorted']]) {
        const load = await strata(db, 'load', file, '--quiet', '--kv-separation=10', ...extra);
        assert.equal(load.code, 1, load.stderr);
        assert.match(load.stderr, /created without key-value separation/);
      }
      assert.deepEqual(lines(await ok(db, 'scan')), ['k\tv'], 'nothing was written');
      assert.ok(!fs.existsSync(path.join(db, 'blobs')));
    });

    test('kv_separation_bad_values_are_usage_errors: exit 2 and nothing is created', async () => {
      const dir = tempDir('strata-cli-kv-');
      const db = path.join(dir, 'db');
      for (const [args, re] of [
        [['put', 'k', 'v', '--kv-separation=0'], /--kv-separation must be at least 1/],
        [['put', 'k', 'v', '--kv-separation=134217729'], /--kv-separation must be at most 134217728/],
        [['put', 'k', 'v', '--kv-separation=1k'], /--kv-separation must be a whole number >= 0, not "1k"/],
        [['put', 'k', 'v', '--kv-separation='], /--kv-separation= needs a number after the =/],
        [['put', 'k', 'v', '--kv-separation', '100'], /put takes KEY VALUE/], // the value only after =
        [['get', 'k', '--kv-separation'], /unknown option --kv-separation/],
        [['scan', '--kv-separation=10'], /unknown option --kv-separation/],
      ]) {
        const r = await strata(db, ...args);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, re, args.join(' '));
      }
      assert.ok(!fs.existsSync(db), 'nothing was created');
      for (const cmd of ['put', 'load']) assert.match(await ok('help', cmd), /^ {2}--kv-separation\[=N\] +a database this command creates keeps values of at least N bytes/m, cmd);
      assert.doesNotMatch(await ok('help', 'get'), /kv-separation/);
    });

    test('dump lists the tables, then one table: summary, one index line per data block, every version of every entry', async () => {
      const dir = tempDir('strata-cli-dump-');
      const db = path.join(dir, 'db');
      const file = path.join(dir, 'in.tsv');
      let text = '';
      for (let i = 0; i < 300; i++) text += `k${String(i).padStart(4, '0')}\t${'v'.repeat(40)}\n`;
      fs.writeFileSync(file, text);
      await ok(db, 'load', file, '--quiet');
      await ok(db, 'put', 'k0001', 'new\tline\nnext');
      await ok(db, 'del', 'k0002');
      await ok(db, 'flush');
      const list = await ok(db, 'dump');
      assert.match(list, /^1 table files in .*tables$/m);
      const row = list.match(/^ +(\d+) +[\d.]+ KiB +302 +(\d+) +"k0000" \.\. "k0299"$/m);
      assert.ok(row, list);
      const id = row[1], blocks = Number(row[2]);
      assert.ok(blocks > 1, 'several data blocks');
      const out = await ok(db, 'dump', id);
      assert.match(out, new RegExp(`^table ${id} \\(.*tables/${id}\\): `, 'm'));
      assert.match(out, /^entries +302: 301 values, 1 tombstones, 0 single-delete tombstones$/m);
      assert.match(out, /^keys +"k0000" \.\. "k0299"$/m);
      assert.match(out, new RegExp(`^data blocks +${blocks}: `, 'm'));
      assert.match(out, /^filter +bloom, /m);
      const index = out.split('\n').filter((l) => /^ +\d+ +[\d,]+ +[\d.]+ K?i?B +"k\d{4}"$/.test(l));
      assert.equal(index.length, blocks, 'one index line per data block');
      assert.match(index.at(-1), /"k0299"$/);
      const entries = out.slice(out.indexOf('entries (key, seqno, kind, value):')).split('\n').slice(1).filter(Boolean);
      assert.equal(entries.length, 302);
      assert.match(entries[1], /^k0001\t\d+\tvalue\tnew\\tline\\nnext$/, 'the newest version first, escaped to one line');
      assert.match(entries[2], /^k0001\t\d+\tvalue\tv{40}$/, 'the older version too');
      assert.match(entries[3], /^k0002\t\d+\ttombstone\t$/);
      const limited = await ok(db, 'dump', id, '--limit', '2');
      assert.match(limited, /^\(2 of 302 entries shown: --limit\)$/m);
      for (const [arg, re, code] of [['99', /STRATA_NOT_FOUND: dump: there is no table 99 in /, 1], ['x', /STRATA_INVALID_ARGUMENT: dump: TABLE is a table id/, 1]]) {
        const r = await strata(db, 'dump', arg);
        assert.equal(r.code, code);
        assert.match(r.stderr, re);
      }
      assert.equal((await strata(db, 'dump', '1', '2')).code, 2);
    });

    test('bench runs the WORKLOAD.md phases with their checks, in a folder it removes afterwards', async () => {
      const dir = path.join(tempDir('strata-cli-bench-'), 'b');
      const out = await ok('bench', '--n', '3000', '--dir', dir);
      assert.match(out, /^strata bench: the WORKLOAD.md phases, N=3,000, in /);
      for (const phase of ['fillseq', 'fillbatch', 'fillrandom', 'readrandom', 'readseq'])
        assert.match(out, new RegExp(`^${phase} +3,000 +[\\d.]+ +[\\d.]+ +[\\d,]+ +ok$`, 'm'));
      for (const phase of ['readmissing', 'seekrandom']) assert.match(out, new RegExp(`^${phase} +100,000 +[\\d.]+ +[\\d.]+ +[\\d,]+ +ok$`, 'm'));
      assert.match(out, /^settle +[\d.]+ +[\d.]+ +[\d.]+ [KM]iB on disk$/m);
      assert.ok(!fs.existsSync(dir), 'the folder is removed');
      const json = await ok('bench', '--n', '2000', '--dir', dir, '--json');
      const rows = lines(json).map((l) => JSON.parse(l));
      assert.deepEqual(rows.map((r) => r.workload), ['fillseq', 'fillbatch', 'fillrandom', 'settle', 'readrandom', 'readmissing', 'seekrandom', 'readseq']);
      assert.equal(rows[4].hit_rate, 1);
      assert.equal(rows[7].entries, 2000);
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'mine'), 'x');
      const busy = await strata('bench', '--n', '10', '--dir', dir);
      assert.equal(busy.code, 1);
      assert.match(busy.stderr, /STRATA_EXISTS: bench: .* is not empty/);
      assert.equal(fs.readFileSync(path.join(dir, 'mine'), 'utf8'), 'x');
      assert.equal((await strata('bench', '--n', '0')).code, 2);
    });

    test('--help: each command explains itself on stdout (exit 0), from every position', async () => {
      for (const cmd of ['put', 'get', 'del', 'scan', 'load', 'stats', 'check', 'compact', 'flush', 'dump', 'repair', 'export', 'import', 'bench', 'demo', 'version', 'xxh3']) {
        const out = await ok('help', cmd);
        assert.match(out, new RegExp(`^usage: strata .*${cmd}`), cmd);
        assert.match(out, /^exit codes: 0 ok; 1 /m, cmd);
        assert.equal(await ok(cmd, '--help'), out, `${cmd} --help`);
      }
      assert.equal(await ok('somedb', 'load', '--help'), await ok('help', 'load'));
      assert.equal(await ok('somedb', 'scan', '-h'), await ok('help', 'scan'));
      assert.match(await ok('help', 'load'), /^Progress goes to stderr, on a terminal or not/m);
      assert.match(await ok('help'), /^usage: strata DIR put KEY VALUE/);
      assert.match(await ok('--help'), /`strata help COMMAND`/);
      const bad = await strata('help', 'frobnicate');
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /no help for "frobnicate"/);
      assert.ok(!fs.existsSync('somedb'));
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
