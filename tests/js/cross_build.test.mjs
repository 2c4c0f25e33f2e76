// One folder format across builds: each build writes a database folder and every other build
// reads it, after flushes (tables + an unflushed journal tail), after a major compaction (LZ4
// tables in the last level), with all of them appending to one folder in turn, and after a crash
// of the writer (kill -9 of the native tool or a Node process mid-load), where each other build
// recovers its own copy of the crashed folder and must hold every acknowledged write.
//
// The builds: the native tool (build/native/strata), the Node package (bindings/js/src, the
// Emscripten engine, in this process and in a child), the WASI command module (the npm bin,
// bindings/js/dist/wasi/strata.wasm under node:wasi) and, when it is built, the WASI reactor
// (bindings/js/dist/wasi/strata-reactor.wasm through examples/wasi-host/strata_wasi.mjs).
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import v8 from 'node:v8';

import { procPreopen, wasiLockEnv } from '../../bindings/js/src/node_host.js';
import { child, killAll, pkgEntry, removeTempDirs, root, tempDir } from './helpers.mjs';

// Node 20's node:wasi reads a stale memory pointer through V8 fast API calls once a module's
// memory grows (nodejs/node#46777, #53087): set before node:wasi is loaded (for the reactor).
v8.setFlagsFromString('--no-turbo-fast-api-calls');
process.removeAllListeners('warning');

const { open } = await import(pkgEntry);

after(async () => { await killAll(); removeTempDirs(); });

const nativeCli = path.join(root, 'build/native/strata');
const npmBin = path.join(root, 'bindings/js/bin/strata.js');

function run(file, args) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      if (err) return reject(new Error(`${path.basename(file)} ${args.join(' ')} exited ${err.code}: ${stderr}`));
      resolve(stdout);
    });
  });
}

// A command-line build: writes by `load` (a TSV file), deletes by `del`, reads by `scan`.
function cliBuild(name, file, pre) {
  const cli = (...args) => run(file, [...pre, ...args]);
  return {
    name,
    async write(dir, records) {
      const puts = records.filter(([, v]) => v !== null);
      if (puts.length) {
        const tsv = path.join(path.dirname(dir), `${path.basename(dir)}-${name.replace(/\W/g, '')}.tsv`);
        fs.writeFileSync(tsv, puts.map(([k, v]) => `${k}\t${v}\n`).join(''));
        await cli(dir, 'load', tsv, '--quiet', '--batch', '100');
        fs.rmSync(tsv);
      }
      for (const [k, v] of records) if (v === null) await cli(dir, 'del', k);
    },
    flush: (dir) => cli(dir, 'flush'),
    compact: (dir) => cli(dir, 'compact'),
    async read(dir) {
      const out = await cli(dir, 'scan');
      return out.split('\n').filter(Boolean).map((l) => l.split('\t'));
    },
    check: (dir) => cli(dir, 'check'),
  };
}

// The Node package in this process.
const nodeBuild = {
  name: 'Node package',
  async write(dir, records) {
    const db = await open(dir);
    try {
      for (let i = 0; i < records.length; i += 100) {
        await db.batch(records.slice(i, i + 100).map(([key, value]) => (value === null ? { type: 'del', key } : { type: 'put', key, value })));
      }
    } finally {
      await db.close();
    }
  },
  async flush(dir) {
    const db = await open(dir, { createIfMissing: false });
    try { await db.flush(); } finally { await db.close(); }
  },
  async compact(dir) {
    const db = await open(dir, { createIfMissing: false });
    try { await db.compact({ major: true }); } finally { await db.close(); }
  },
  async read(dir) {
    const db = await open(dir, { createIfMissing: false, keyEncoding: 'utf8', valueEncoding: 'utf8' });
    try { return await db.iterator().all(); } finally { await db.close(); }
  },
};

// The WASI reactor under node:wasi in this process, through the JS host example's binding: the
// folder's parent is preopened as /x (and this process's /proc, to judge a dead writer's lock).
async function reactorBuild() {
  const wasm = path.join(root, 'bindings/js/dist/wasi/strata-reactor.wasm');
  if (!fs.existsSync(wasm)) return null;
  const { Strata } = await import('../../examples/wasi-host/strata_wasi.mjs');
  const { WASI } = await import('node:wasi');
  const module = await WebAssembly.compile(fs.readFileSync(wasm));
  const withDb = async (dir, create, fn) => {
    const wasi = new WASI({ version: 'preview1', preopens: { '/x': path.dirname(dir), ...procPreopen() }, env: wasiLockEnv(), returnOnExit: true });
    const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
    wasi.initialize(instance);
    const db = new Strata(instance).open(`/x/${path.basename(dir)}`, { createIfMissing: create });
    try {
      return await fn(db);
    } finally {
      db.close();
    }
  };
  const text = new TextDecoder();
  return {
    name: 'WASI reactor',
    write: (dir, recs) => withDb(dir, true, (db) => {
      for (let i = 0; i < recs.length; i += 100) {
        db.batch(recs.slice(i, i + 100).map(([key, value]) => (value === null ? { type: 'del', key } : { type: 'put', key, value })));
      }
    }),
    flush: (dir) => withDb(dir, false, (db) => db.flush()),
    compact: (dir) => withDb(dir, false, (db) => db.compact({ major: true })),
    read: (dir) => withDb(dir, false, (db) => [...db.iterate()].map(([k, v]) => [text.decode(k), text.decode(v)])),
  };
}

const builds = [
  cliBuild('native tool', nativeCli, []),
  nodeBuild,
  cliBuild('WASI command', process.execPath, [npmBin]),
];
const reactor = await reactorBuild();
if (reactor) builds.push(reactor);

// The records a writer adds: puts, overwrites of earlier keys and deletes, so reads see versions
// and tombstones across tables and the journal. The model is the expected scan.
function records(tag, round, n) {
  const out = [];
  for (let i = 0; i < n; i++) out.push([`key-${String((i * 7919) % 2000).padStart(5, '0')}`, `${tag}-r${round}-${i}-${'x'.repeat(i % 90)}`]);
  if (round > 0) for (let i = 0; i < n / 10; i++) out.push([`key-${String((i * 7919 * 3) % 2000).padStart(5, '0')}`, null]);
  return out;
}
function apply(model, recs) {
  for (const [k, v] of recs) {
    if (v === null) model.delete(k);
    else model.set(k, v);
  }
}
const expected = (model) => [...model].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

describe('every build reads what every other build wrote', () => {
  for (const writer of builds) {
    test(`written by the ${writer.name}: read by every other build after a flush (tables + journal) and after a major compaction`, async () => {
      const dir = path.join(tempDir('strata-cross-'), 'db');
      const model = new Map();
      const first = records(writer.name, 0, 400);
      await writer.write(dir, first);
      apply(model, first);
      await writer.flush(dir);
      const second = records(writer.name, 1, 300); // overwrites and deletes, left in the journal
      await writer.write(dir, second);
      apply(model, second);
      for (const reader of builds) {
        if (reader === writer) continue;
        assert.deepEqual(await reader.read(dir), expected(model), `${reader.name} reading after a flush`);
      }
      await writer.compact(dir);
      for (const reader of builds) {
        assert.deepEqual(await reader.read(dir), expected(model), `${reader.name} reading after the compaction`);
      }
      assert.match(await builds[0].check(dir), /^check: ok, /, 'the native check verifies every checksum');
      assert.match(await builds[2].check(dir), /^check: ok, /, 'and so does the WASI one');
    });
  }

  test('all builds append to one folder in turn (flushing every other turn), then each reads the same', async () => {
    const dir = path.join(tempDir('strata-cross-'), 'db');
    const model = new Map();
    let round = 0;
    for (const pass of [0, 1]) {
      for (const b of builds) {
        const recs = records(b.name, round++, 150);
        await b.write(dir, recs);
        apply(model, recs);
        if ((round + pass) % 2 === 0) await b.flush(dir);
      }
    }
    await builds[1].compact(dir);
    for (const b of builds) assert.deepEqual(await b.read(dir), expected(model), b.name);
  });
});

// --- the writer killed mid-load -------------------------------------------------------------

const CRASH_RECORDS = 300_000;
const CRASH_BATCH = 100;
const crashKey = (i) => `crash-${String(i).padStart(7, '0')}`;
const crashValue = (i) => `value-${i}-${'y'.repeat(i % 40)}`;

// Every build opens its own copy of the crashed folder (each does its own recovery, the dead
// writer's lock file included) and must find a prefix of the load in whole batches holding
// every acknowledged record.
async function checkCrashed(dir, acked, writerName) {
  assert.ok(acked > 0, 'the writer acknowledged records before it was killed');
  let agreed = null;
  for (const reader of builds) {
    if (reader.name === writerName) continue;
    const copy = `${dir}-${reader.name.replace(/\W/g, '')}`;
    fs.cpSync(dir, copy, { recursive: true });
    const got = await reader.read(copy);
    assert.ok(got.length >= acked, `${reader.name}: ${got.length} records, ${acked} acknowledged`);
    assert.ok(got.length === CRASH_RECORDS || got.length % CRASH_BATCH === 0, `${reader.name}: ${got.length} is not whole batches`);
    for (let i = 0; i < got.length; i++) {
      if (got[i][0] !== crashKey(i) || got[i][1] !== crashValue(i)) {
        assert.fail(`${reader.name}: record ${i} is ${JSON.stringify(got[i])}, not ${crashKey(i)} (${acked} acknowledged)`);
      }
    }
    if (agreed === null) agreed = got.length;
    assert.equal(got.length, agreed, `${reader.name} recovered as many records as the other builds`);
  }
}

describe('after a crash of the writer (kill -9 mid-load), every other build opens the folder and finds every acknowledged write', () => {
  test('the native tool killed during `load`: the records its last progress line counted are all there', async () => {
    const dir = path.join(tempDir('strata-crash-'), 'db');
    const file = path.join(path.dirname(dir), 'load.tsv');
    let text = '';
    for (let i = 0; i < CRASH_RECORDS; i++) text += `${crashKey(i)}\t${crashValue(i)}\n`;
    fs.writeFileSync(file, text);
    const proc = spawn(nativeCli, [dir, 'load', file, '--batch', String(CRASH_BATCH)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let acked = 0;
    const killed = new Promise((resolve) => {
      proc.stderr.setEncoding('utf8');
      proc.stderr.on('data', (chunk) => {
        stderr += chunk;
        for (const m of stderr.matchAll(/ {2}([\d,]+) records {2}/g)) acked = Math.max(acked, Number(m[1].replace(/,/g, '')));
        if (acked > 0 && !proc.killed) proc.kill('SIGKILL'); // at the first progress line: 10% written
      });
      proc.on('exit', (code, signal) => resolve({ code, signal }));
    });
    const { signal } = await killed;
    assert.equal(signal, 'SIGKILL', `the load was killed mid-way (stderr: ${stderr})`);
    assert.ok(acked < CRASH_RECORDS, 'killed before the end');
    await checkCrashed(dir, acked, 'native tool');
  });

  test('a Node process killed while writing batches: every batch it saw acknowledged is there', async () => {
    const dir = path.join(tempDir('strata-crash-'), 'db');
    const writer = child(`
      const { open } = await import(${JSON.stringify(pkgEntry)});
      const db = await open(${JSON.stringify(dir)});
      const key = (i) => 'crash-' + String(i).padStart(7, '0');
      const value = (i) => 'value-' + i + '-' + 'y'.repeat(i % 40);
      for (let i = 0; i < ${CRASH_RECORDS}; i += ${CRASH_BATCH}) {
        const ops = [];
        for (let j = i; j < i + ${CRASH_BATCH}; j++) ops.push({ type: 'put', key: key(j), value: value(j) });
        await db.batch(ops);
        console.log('acked ' + (i + ${CRASH_BATCH}));
      }
    `);
    await writer.waitFor(/^acked 5000$/, 60000);
    await writer.kill9();
    const acked = Math.max(...writer.lines.filter((l) => l.startsWith('acked ')).map((l) => Number(l.slice(6))));
    assert.ok(acked < CRASH_RECORDS, 'killed before the end');
    await checkCrashed(dir, acked, 'Node package');
  });
});
