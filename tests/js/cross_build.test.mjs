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

// Every build's write(dir, records, kvThreshold): a folder it creates is separated when
// kvThreshold is given (the tools' --kv-separation=N, the package's kvSeparation).

// A command-line build: writes by `load` (a TSV file), deletes by `del`, reads by `scan`.
function cliBuild(name, file, pre) {
  const cli = (...args) => run(file, [...pre, ...args]);
  return {
    name,
    cli,
    async write(dir, records, kvThreshold) {
      const puts = records.filter(([, v]) => v !== null);
      if (puts.length) {
        const tsv = path.join(path.dirname(dir), `${path.basename(dir)}-${name.replace(/\W/g, '')}.tsv`);
        fs.writeFileSync(tsv, puts.map(([k, v]) => `${k}\t${v}\n`).join(''));
        await cli(dir, 'load', tsv, '--quiet', '--batch', '100', ...(kvThreshold ? [`--kv-separation=${kvThreshold}`] : []));
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
  async write(dir, records, kvThreshold) {
    const db = await open(dir, kvThreshold ? { kvSeparation: { threshold: kvThreshold } } : {});
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
  const withDb = async (dir, create, fn, kvThreshold) => {
    const wasi = new WASI({ version: 'preview1', preopens: { '/x': path.dirname(dir), ...procPreopen() }, env: wasiLockEnv(), returnOnExit: true });
    const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
    wasi.initialize(instance);
    const db = new Strata(instance).open(`/x/${path.basename(dir)}`, { createIfMissing: create, kvThreshold });
    try {
      return await fn(db);
    } finally {
      db.close();
    }
  };
  const text = new TextDecoder();
  return {
    name: 'WASI reactor',
    write: (dir, recs, kvThreshold) => withDb(dir, true, (db) => {
      for (let i = 0; i < recs.length; i += 100) {
        db.batch(recs.slice(i, i + 100).map(([key, value]) => (value === null ? { type: 'del', key } : { type: 'put', key, value })));
      }
    }, kvThreshold),
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

// The writer writes a first round and flushes, then a second (overwrites and deletes) left in the
// journal; every other build reads the folder; the writer compacts; every build reads it again and
// both tools' checks verify it. `opts.records(tag, round, n)`; `opts.kvThreshold`: the writer
// creates the folder separated; `opts.written(dir, stage)` checks the files after 'flush' and
// 'compaction'.
async function writeFlushCompactRead(writer, dir, { records: make, counts, kvThreshold, written }) {
  const model = new Map();
  const first = make(writer.name, 0, counts[0]);
  await writer.write(dir, first, kvThreshold);
  apply(model, first);
  await writer.flush(dir);
  if (written) written(dir, 'flush');
  const second = make(writer.name, 1, counts[1]);
  await writer.write(dir, second);
  apply(model, second);
  for (const reader of builds) {
    if (reader === writer) continue;
    assert.deepEqual(await reader.read(dir), expected(model), `${reader.name} reading after a flush`);
  }
  await writer.compact(dir);
  if (written) written(dir, 'compaction');
  for (const reader of builds) {
    assert.deepEqual(await reader.read(dir), expected(model), `${reader.name} reading after the compaction`);
  }
  assert.match(await builds[0].check(dir), /^check: ok, /, 'the native check verifies every checksum');
  assert.match(await builds[2].check(dir), /^check: ok, /, 'and so does the WASI one');
}

describe('every build reads what every other build wrote', () => {
  for (const writer of builds) {
    test(`written by the ${writer.name}: read by every other build after a flush (tables + journal) and after a major compaction`, async () => {
      await writeFlushCompactRead(writer, path.join(tempDir('strata-cross-'), 'db'), { records, counts: [400, 300] });
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

// A load: `records` keys key(i) with value(i), written in batches of `batch`. key and value are
// self-contained arrow functions: their source is what the Node writer runs.
const plainLoad = {
  records: 300_000,
  batch: 100,
  key: (i) => `crash-${String(i).padStart(7, '0')}`,
  value: (i) => `value-${i}-${'y'.repeat(i % 40)}`,
};

// Every build opens its own copy of the crashed folder (each does its own recovery, the dead
// writer's lock file included) and must find a prefix of the load in whole batches holding
// every acknowledged record.
async function checkCrashed(dir, acked, writerName, load) {
  assert.ok(acked > 0, 'the writer acknowledged records before it was killed');
  assert.ok(acked < load.records, 'killed before the end');
  let agreed = null;
  for (const reader of builds) {
    if (reader.name === writerName) continue;
    const copy = `${dir}-${reader.name.replace(/\W/g, '')}`;
    fs.cpSync(dir, copy, { recursive: true });
    const got = await reader.read(copy);
    assert.ok(got.length >= acked, `${reader.name}: ${got.length} records, ${acked} acknowledged`);
    assert.ok(got.length === load.records || got.length % load.batch === 0, `${reader.name}: ${got.length} is not whole batches`);
    for (let i = 0; i < got.length; i++) {
      if (got[i][0] !== load.key(i) || got[i][1] !== load.value(i)) {
        assert.fail(`${reader.name}: record ${i} is ${JSON.stringify(got[i]).slice(0, 200)}, not ${load.key(i)} (${acked} acknowledged)`);
      }
    }
    if (agreed === null) agreed = got.length;
    assert.equal(got.length, agreed, `${reader.name} recovered as many records as the other builds`);
  }
}

// The native tool's `load` of the whole load from a TSV file, killed at its first progress line
// (10% written); returns the records that line counted.
async function nativeLoadKilled(dir, load) {
  const file = path.join(path.dirname(dir), 'load.tsv');
  const fd = fs.openSync(file, 'w');
  for (let i = 0; i < load.records; i += 10_000) {
    let text = '';
    for (let j = i; j < Math.min(i + 10_000, load.records); j++) text += `${load.key(j)}\t${load.value(j)}\n`;
    fs.writeSync(fd, text);
  }
  fs.closeSync(fd);
  const proc = spawn(nativeCli, [dir, 'load', file, '--batch', String(load.batch), ...(load.cliArgs ?? [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let acked = 0;
  const killed = new Promise((resolve) => {
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (chunk) => {
      stderr += chunk;
      for (const m of stderr.matchAll(/ {2}([\d,]+) records {2}/g)) acked = Math.max(acked, Number(m[1].replace(/,/g, '')));
      if (acked > 0 && !proc.killed) proc.kill('SIGKILL');
    });
    proc.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const { signal } = await killed;
  assert.equal(signal, 'SIGKILL', `the load was killed mid-way (stderr: ${stderr})`);
  return acked;
}

// A Node process writing the load in batches to `dir` opened with `options`, printing
// "acked N blobs B" after each; killed -9 at the first line matching `killAt`. Returns N.
async function nodeWriterKilled(dir, load, options, killAt) {
  const writer = child(`
    const { open } = await import(${JSON.stringify(pkgEntry)});
    const db = await open(${JSON.stringify(dir)}, ${JSON.stringify(options)});
    const key = ${load.key};
    const value = ${load.value};
    for (let i = 0; i < ${load.records}; i += ${load.batch}) {
      const ops = [];
      for (let j = i; j < i + ${load.batch}; j++) ops.push({ type: 'put', key: key(j), value: value(j) });
      await db.batch(ops);
      console.log('acked ' + (i + ${load.batch}) + ' blobs ' + db.stats().blobs.files);
    }
  `);
  await writer.waitFor(killAt, 60000);
  await writer.kill9();
  return Math.max(...writer.lines.filter((l) => l.startsWith('acked ')).map((l) => Number(l.split(' ')[1])));
}

describe('after a crash of the writer (kill -9 mid-load), every other build opens the folder and finds every acknowledged write', () => {
  test('the native tool killed during `load`: the records its last progress line counted are all there', async () => {
    const dir = path.join(tempDir('strata-crash-'), 'db');
    await checkCrashed(dir, await nativeLoadKilled(dir, plainLoad), 'native tool', plainLoad);
  });

  test('a Node process killed while writing batches: every batch it saw acknowledged is there', async () => {
    const dir = path.join(tempDir('strata-crash-'), 'db');
    await checkCrashed(dir, await nodeWriterKilled(dir, plainLoad, {}, /^acked 5000 /), 'Node package', plainLoad);
  });
});

// --- with key-value separation: values in blob files ---------------------------------------
//
// The same crossings on a separated database. The writer creates the folder separated (the
// tools with `--kv-separation=N` on their first load, the package and the reactor with their
// option) and writes everything in it; later writes and every reader open it without being told
// the mode (the manifest carries it) and separate values of the default threshold (1 KiB) and more.

const BLOB_THRESHOLD = 1024;
const blobFiles = (dir) => (fs.existsSync(path.join(dir, 'blobs')) ? fs.readdirSync(path.join(dir, 'blobs')).length : 0);

// Values over the threshold for most keys (1.1-3 KiB), some under it (inline in the tables).
function blobRecords(tag, round, n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const k = (i * 7919) % 400;
    const len = i % 4 === 0 ? 40 + (i % 300) : BLOB_THRESHOLD + 100 + ((i * 37) % 2000);
    const head = `${tag}-r${round}-${i}-`;
    out.push([`blob-${String(k).padStart(4, '0')}`, head + 'abcdefghijklmnopqrstuvwxyz'.repeat(Math.ceil(len / 26)).slice(0, len)]);
  }
  if (round > 0) for (let i = 0; i < n / 8; i++) out.push([`blob-${String((i * 7919 * 3) % 400).padStart(4, '0')}`, null]);
  return out;
}

describe('with kvSeparation: every build reads the blob files every other build wrote', () => {
  for (const writer of builds) {
    test(`written by the ${writer.name}: read by every other build after a flush (blob files + journal) and after a major compaction`, async () => {
      const dir = path.join(tempDir('strata-cross-blob-'), 'db');
      const written = (d, stage) => assert.ok(blobFiles(d) >= 1, `${writer.name}: values in blob files after the ${stage}`);
      await writeFlushCompactRead(writer, dir, { records: blobRecords, counts: [160, 120], kvThreshold: BLOB_THRESHOLD, written });
      const db = await open(dir, { createIfMissing: false });
      try {
        assert.ok(db.stats().blobs.files >= 1, 'the version lists blob files');
      } finally {
        await db.close();
      }
    });
  }
});

// Bulk ingestion by each tool (`load --sorted --kv-separation=N`: a new separated folder, tables
// and blob files of the last level, no journal); every other build reads it.
for (const tool of builds.filter((b) => b.cli)) {
  test(`with kvSeparation: \`load --sorted\` of the ${tool.name} writes blob files every other build reads`, async () => {
    const dir = path.join(tempDir('strata-cross-blob-'), 'db');
    const file = path.join(path.dirname(dir), 'sorted.tsv');
    const model = new Map();
    let text = '';
    for (let i = 0; i < 300; i++) {
      const k = `ingest-${String(i).padStart(5, '0')}`;
      const v = `${tool.name}-${i}-${'q'.repeat(i % 3 ? BLOB_THRESHOLD + i : 20)}`;
      model.set(k, v);
      text += `${k}\t${v}\n`;
    }
    fs.writeFileSync(file, text);
    await tool.cli(dir, 'load', file, '--sorted', '--quiet', `--kv-separation=${BLOB_THRESHOLD}`);
    assert.ok(blobFiles(dir) >= 1, 'the ingest wrote blob files');
    for (const reader of builds) {
      if (reader === tool) continue;
      assert.deepEqual(await reader.read(dir), expected(model), `${reader.name} reading the ingested folder`);
    }
    assert.match(await tool.check(dir), /^check: ok, /);
  });
}

// (the value's 1024 is BLOB_THRESHOLD: the function's source runs in the writer, alone)
const blobLoad = {
  records: 40_000,
  batch: 100,
  cliArgs: [`--kv-separation=${BLOB_THRESHOLD}`], // the native tool creates the folder separated
  key: (i) => `crash-${String(i).padStart(7, '0')}`,
  value: (i) => `value-${i}-${'z'.repeat(1024 + (i % 500))}`,
};

describe('with kvSeparation, after a crash of the writer (kill -9 mid-load), every other build finds every acknowledged write', () => {
  test('the native tool killed during `load` of values over the threshold', async () => {
    const dir = path.join(tempDir('strata-crash-blob-'), 'db');
    await checkCrashed(dir, await nativeLoadKilled(dir, blobLoad), 'native tool', blobLoad);
    // the tool created it separated: an open asking for separation is accepted (a plain one refuses it)
    const db = await open(dir, { createIfMissing: false, kvSeparation: { threshold: BLOB_THRESHOLD } });
    await db.close();
  });

  test('a Node process with a small memtable killed while writing: blob files flushed before the kill, every acknowledged batch there', async () => {
    const dir = path.join(tempDir('strata-crash-blob-'), 'db');
    const options = { memtableSize: 256 * 1024, kvSeparation: { threshold: BLOB_THRESHOLD } };
    const acked = await nodeWriterKilled(dir, blobLoad, options, /^acked \d+ blobs [3-9]/);
    assert.ok(blobFiles(dir) >= 3, 'blob files were on disk at the kill');
    await checkCrashed(dir, acked, 'Node package', blobLoad);
  });
});
