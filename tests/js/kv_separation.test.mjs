// Key-value separation through the package: open(..., { kvSeparation }), values behind handles
// read lazily (has() and keys() never read a blob), garbage collection in compaction, the mode
// fixed per database, and the stats it reports.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { StrataError, open as openPkg } from '../../bindings/js/src/index.js';
import { engineFor, removeTempDirs, root, tempDir } from './helpers.mjs';

let engine;
before(async () => { engine = await engineFor(false); });
after(() => removeTempDirs());

const open = (loc, opts = {}) => openPkg(loc, { ...opts, _moduleUrl: engine.moduleUrl });
const code = (c) => (e) => { assert.ok(e instanceof StrataError, `expected a StrataError, got ${e}`); assert.equal(e.code, c, e.message); return true; };
const KV = { threshold: 100, stalenessThreshold: 0.25, ageCutoff: 1 };
const OPTS = { memtableSize: 64 * 1024, keyEncoding: 'utf8', valueEncoding: 'utf8', kvSeparation: KV };
// A value of `len` letters for key k, generation g (half random, so LZ4 cannot take it all).
function value(k, g, len) {
  let x = 0x9e3779b9 ^ g;
  for (const ch of k) x = (x * 131 + ch.charCodeAt(0)) >>> 0;
  let s = '';
  for (let i = 0; i < len; i++) {
    x = (x ^ (x << 13)) >>> 0; x = (x ^ (x >>> 17)) >>> 0; x = (x ^ (x << 5)) >>> 0;
    s += String.fromCharCode(97 + (i & 1 ? x % 26 : (i >> 1) % 26));
  }
  return s;
}

describe('kvSeparation options', () => {
  test('out-of-range knobs are refused before the engine loads, naming the option', async () => {
    for (const [kv, what] of [
      [{ threshold: 0 }, 'kvSeparation.threshold'],
      [{ threshold: 2 ** 31 }, 'kvSeparation.threshold'],
      [{ threshold: 1.5 }, 'kvSeparation.threshold'],
      [{ fileTargetSize: 10 }, 'kvSeparation.fileTargetSize'],
      [{ compression: 'zstd' }, 'kvSeparation.compression'],
      [{ stalenessThreshold: 0 }, 'kvSeparation.stalenessThreshold'],
      [{ stalenessThreshold: 1.01 }, 'kvSeparation.stalenessThreshold'],
      [{ ageCutoff: -1 }, 'kvSeparation.ageCutoff'],
      [{ ageCutoff: NaN }, 'kvSeparation.ageCutoff'],
      [{ thresold: 10 }, 'kvSeparation.thresold'],
      ['yes', 'kvSeparation'],
    ]) {
      await assert.rejects(open(':memory:', { kvSeparation: kv }), (e) => code('STRATA_INVALID_ARGUMENT')(e) && e.message.includes(what));
    }
  });

  test('the mode is the database\'s: a separated one opens without the option, a plain one refuses it', async () => {
    const dir = tempDir();
    let db = await open(dir, OPTS);
    await db.put('k', value('k', 1, 500));
    await db.flush();
    await db.close();
    db = await open(dir, { ...OPTS, kvSeparation: undefined }); // a reader that does not know the mode
    assert.equal(await db.get('k'), value('k', 1, 500));
    await db.put('big', value('big', 2, 2000)); // over the default 1 KiB threshold: a blob file
    await db.flush();
    assert.equal(db.stats().blobs.files, 2);
    await db.close();
    db = await open(dir, OPTS);
    assert.equal(await db.get('big'), value('big', 2, 2000));
    assert.equal(await db.get('k'), value('k', 1, 500));
    await db.close();
    const plain = tempDir();
    db = await open(plain, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    await db.put('k', 'v');
    await db.close();
    await assert.rejects(open(plain, OPTS), (e) => code('STRATA_INVALID_ARGUMENT')(e) && /without key-value separation/.test(e.message));
  });

  test('true takes the defaults (1 KiB threshold)', async () => {
    const db = await open(':memory:', { keyEncoding: 'utf8', valueEncoding: 'utf8', kvSeparation: true });
    try {
      await db.put('small', value('small', 1, 1023));
      await db.put('big', value('big', 1, 1024));
      await db.flush();
      assert.equal(db.stats().blobs.files, 1);
      const reads = db.stats().blobs.reads;
      assert.equal(await db.get('small'), value('small', 1, 1023));
      assert.equal(db.stats().blobs.reads, reads);
      assert.equal(await db.get('big'), value('big', 1, 1024));
      assert.equal(db.stats().blobs.reads, reads + 1);
    } finally {
      await db.close();
    }
  });
});

describe('values in blob files', () => {
  test('values under, at and over the threshold read back, also after reopening', async () => {
    const dir = tempDir();
    let db = await open(dir, OPTS);
    const lens = { under: 99, at: 100, over: 101, empty: 0 };
    for (const [k, n] of Object.entries(lens)) await db.put(k, value(k, 1, n));
    await db.flush();
    const s = db.stats();
    assert.equal(s.blobs.files, 1);
    assert.ok(s.blobs.bytes > 0);
    assert.equal(s.blobs.staleBytes, 0);
    for (const [k, n] of Object.entries(lens)) assert.equal(await db.get(k), value(k, 1, n), k);
    await db.close();
    db = await open(dir, OPTS);
    for (const [k, n] of Object.entries(lens)) assert.equal(await db.get(k), value(k, 1, n), k);
    assert.deepEqual(await db.getMany(['at', 'nope', 'under']), [value('at', 1, 100), undefined, value('under', 1, 99)]);
    await db.close();
  });

  test('has(), keys() and iterators with values: false never read a blob', async () => {
    const db = await open(':memory:', OPTS);
    try {
      for (let i = 0; i < 50; i++) await db.put(`k${i}`, value(`k${i}`, 1, 300));
      await db.flush();
      const reads = db.stats().blobs.reads;
      assert.equal(await db.has('k7'), true);
      assert.equal(await db.has('nope'), false);
      assert.equal((await db.keys().all()).length, 50);
      assert.equal((await db.iterator({ values: false }).all()).length, 50);
      assert.equal((await db.keys({ reverse: true }).all()).length, 50);
      assert.equal(db.stats().blobs.reads, reads, 'no blob was read');
      const entries = await db.iterator().all();
      assert.equal(entries.length, 50);
      for (const [k, v] of entries) assert.equal(v, value(k, 1, 300));
      assert.equal(db.stats().blobs.reads, reads + 50);
    } finally {
      await db.close();
    }
  });

  test('overwrites across flushes read the newest; compaction drops the dead files', async () => {
    const db = await open(':memory:', OPTS);
    try {
      for (let g = 1; g <= 3; g++) {
        await db.put('k', value('k', g, 400));
        await db.flush();
        assert.equal(await db.get('k'), value('k', g, 400));
      }
      assert.equal(db.stats().blobs.files, 3);
      await db.compact({ major: true });
      const s = db.stats().blobs;
      assert.equal(s.files, 1, 'only the newest value lives');
      assert.equal(s.reclaimedFiles, 2);
      assert.ok(s.reclaimedBytes > 0);
      assert.equal(await db.get('k'), value('k', 3, 400));
    } finally {
      await db.close();
    }
  });
});

describe('garbage collection', () => {
  test('stale bytes are counted, relocated, and a snapshot taken before reads its values after', async () => {
    const dir = tempDir();
    let db = await open(dir, OPTS);
    for (let i = 0; i < 10; i++) await db.put(`k${i}`, value(`k${i}`, 1, 500));
    await db.flush();
    for (let i = 0; i < 4; i++) await db.put(`k${i}`, value(`k${i}`, 2, 500));
    await db.flush();
    await db.compact({ major: true });
    const stale = db.stats().blobs.staleBytes;
    assert.ok(stale > 0, 'the overwritten values are stale');
    await db.close();
    db = await open(dir, OPTS); // the fragmentation map survives a reopen
    assert.equal(db.stats().blobs.staleBytes, stale);
    const snap = db.snapshot();
    await db.put('k9', value('k9', 3, 500));
    await db.flush();
    await db.compact({ major: true }); // relocates the 40%-stale file's live values
    const s = db.stats().blobs;
    assert.ok(s.relocatedBytes > 0);
    for (let i = 0; i < 10; i++) {
      assert.equal(await db.get(`k${i}`, { snapshot: snap }), value(`k${i}`, i < 4 ? 2 : 1, 500), `k${i} at the snapshot`);
      assert.equal(await db.get(`k${i}`), value(`k${i}`, i < 4 ? 2 : i === 9 ? 3 : 1, 500), `k${i}`);
    }
    const before = db.stats().blobs.reclaimedFiles;
    snap.close();
    await db.put('x', 'y');
    await db.flush();
    assert.ok(db.stats().blobs.reclaimedFiles > before, 'the old file goes once the snapshot lets go');
    await db.close();
    db = await open(dir, OPTS);
    for (let i = 0; i < 10; i++) assert.equal(await db.get(`k${i}`), value(`k${i}`, i < 4 ? 2 : i === 9 ? 3 : 1, 500));
    await db.close();
  });
});

describe('FIFO with kvSeparation', () => {
  test('fifo_counts_blob_bytes_against_limitBytes: the oldest tables and their blob files go, the newest values stay', async () => {
    const db = await open(':memory:', { ...OPTS, compaction: { strategy: 'fifo', limitBytes: 64 * 1024 } });
    try {
      for (let f = 0; f < 20; f++) {
        // 16 KB of values a flush, in blob files; the table itself is a few hundred bytes
        for (let i = 0; i < 8; i++) await db.put(`f${String(f).padStart(2, '0')}-${i}`, value(`f${f}-${i}`, f, 2000));
        await db.flush();
        await db.compact();
      }
      const s = db.stats().blobs;
      assert.ok(s.reclaimedFiles > 0, 'blob files went with the tables FIFO dropped');
      assert.ok(s.bytes - s.staleBytes <= 96 * 1024, `live blob bytes ${s.bytes - s.staleBytes} within the limit (and one flush)`);
      assert.equal(await db.get('f19-0'), value('f19-0', 19, 2000));
      assert.equal(await db.get('f00-0'), undefined, 'the oldest values were dropped');
    } finally {
      await db.close();
    }
  });
});

describe('db.ingest(sortedEntries)', () => {
  for (const kvSeparation of [KV, undefined]) {
    test(`loads a sorted stream into the last level (${kvSeparation ? 'with' : 'without'} separation); writes win`, async () => {
      const dir = tempDir();
      const opts = { ...OPTS, kvSeparation, compaction: { strategy: 'leveled', tableTargetSize: 8192 } };
      let db = await open(dir, opts);
      await db.put('k0005', 'written before');
      const snap = db.snapshot();
      async function* entries() {
        for (let i = 0; i < 300; i++) yield [`k${String(i).padStart(4, '0')}`, value(`k${i}`, 1, i % 2 ? 300 : 20)];
      }
      assert.equal(await db.ingest(entries()), 300);
      const s = db.stats();
      assert.equal(s.levels[0].tables, 0);
      assert.ok(s.levels.at(-1).tables >= 1);
      assert.equal(s.blobs.files > 0, !!kvSeparation);
      assert.equal(await db.get('k0001'), value('k1', 1, 300));
      assert.equal(await db.get('k0002'), value('k2', 1, 20));
      assert.equal(await db.get('k0005'), 'written before');
      assert.equal(await db.get('k0001', { snapshot: snap }), undefined, 'the snapshot from before does not see it');
      snap.close();
      assert.equal((await db.keys().all()).length, 300);
      await db.close();
      db = await open(dir, opts);
      assert.equal(await db.get('k0299'), value('k299', 1, 300));
      await db.close();
    });
  }

  test('out of order, bad entries and a database with tables are refused; nothing is installed', async () => {
    const db = await open(':memory:', OPTS);
    try {
      await assert.rejects(db.ingest([['b', 'x'], ['a', 'y']]), (e) => code('STRATA_INVALID_ARGUMENT')(e) && /ascend/.test(e.message));
      await assert.rejects(db.ingest([['a', 'x'], 'b']), (e) => code('STRATA_INVALID_ARGUMENT')(e) && /pair/.test(e.message));
      await assert.rejects(db.ingest(42), code('STRATA_INVALID_ARGUMENT'));
      assert.equal(await db.get('a'), undefined);
      assert.equal(db.stats().levels.at(-1).tables, 0);
      assert.equal(await db.ingest([['a', 'x'.repeat(200)], ['b', 'y']]), 2);
      await assert.rejects(db.ingest([['c', 'z']]), (e) => code('STRATA_INVALID_ARGUMENT')(e) && /holds 1 tables/.test(e.message));
      assert.equal(await db.get('a'), 'x'.repeat(200));
    } finally {
      await db.close();
    }
  });
});

describe('db.ingest(entries, { onProgress })', () => {
  const pairs = (n) => Array.from({ length: n }, (_, i) => [`k${String(i).padStart(5, '0')}`, i % 7 ? `v${i}` : `välue ${i}`]);
  const bytesOf = (list) => list.reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v), 0);

  test('ingest_progress_of_an_array: bytesTotal is the sum of key and value bytes from the first report; bytesDone grows to it', async () => {
    const db = await open(':memory:', OPTS);
    try {
      const list = pairs(9000); // three chunks of at most 4096 entries
      const total = bytesOf(list);
      const reports = [];
      assert.equal(await db.ingest(list, { onProgress: (p) => reports.push(p) }), 9000);
      assert.ok(reports.length >= 3, JSON.stringify(reports));
      for (const r of reports) {
        assert.deepEqual(Object.keys(r).sort(), ['bytesDone', 'bytesTotal']);
        assert.equal(r.bytesTotal, total);
        assert.ok(r.bytesDone > 0 && r.bytesDone <= total);
      }
      for (let i = 1; i < reports.length; i++) assert.ok(reports[i].bytesDone >= reports[i - 1].bytesDone);
      assert.ok(reports[0].bytesDone < total, 'reports come while it runs, not only at the end');
      assert.deepEqual(reports.at(-1), { bytesDone: total, bytesTotal: total });
      assert.equal(await db.get('k08999'), 'v8999');
    } finally {
      await db.close();
    }
  });

  test('ingest_progress_of_an_async_iterable: bytesTotal equals bytesDone (the length is unknown until the end)', async () => {
    const db = await open(':memory:', OPTS);
    try {
      const list = pairs(5000);
      async function* stream() { yield* list; }
      const reports = [];
      assert.equal(await db.ingest(stream(), { onProgress: (p) => reports.push(p) }), 5000);
      assert.ok(reports.length >= 2, JSON.stringify(reports));
      for (const r of reports) assert.equal(r.bytesTotal, r.bytesDone);
      assert.deepEqual(reports.at(-1), { bytesDone: bytesOf(list), bytesTotal: bytesOf(list) });
    } finally {
      await db.close();
    }
  });

  test('ingest_progress_refusals: a non-function is refused before anything starts; a throwing callback does not stop the ingest', async () => {
    const db = await open(':memory:', OPTS);
    try {
      await assert.rejects(db.ingest([['a', '1']], { onProgress: 'yes' }), (e) => code('STRATA_INVALID_ARGUMENT')(e) && /onProgress must be a function/.test(e.message));
      await assert.rejects(db.ingest([['a', '1']], null), code('STRATA_INVALID_ARGUMENT'));
      // a bad pair anywhere in an array is refused before the ingest begins (its total is counted first)
      const seen = [];
      await assert.rejects(db.ingest([['a', '1'], ['b']], { onProgress: (p) => seen.push(p) }), (e) => code('STRATA_INVALID_ARGUMENT')(e) && /entry 1/.test(e.message));
      assert.deepEqual(seen, []);
      assert.equal(db.stats().levels.at(-1).tables, 0);
      let calls = 0;
      await assert.rejects(db.ingest(pairs(100), { onProgress: () => { calls++; throw new TypeError('progress bar gone'); } }), (e) => e instanceof TypeError);
      assert.equal(calls, 1, 'after the first throw the callback is not called again');
      assert.equal(await db.get('k00099'), 'v99', 'the ingest was installed anyway');
      const empty = await open(':memory:', OPTS);
      const none = [];
      assert.equal(await empty.ingest([], { onProgress: (p) => none.push(p) }), 0);
      assert.deepEqual(none, [{ bytesDone: 0, bytesTotal: 0 }]);
      await empty.close();
    } finally {
      await db.close();
    }
  });
});

// The same folder through every build: Node writes it with kvSeparation, the native tool and the
// WASI tool read it without being told the mode (the manifest carries it), and write to it.
const nativeTool = path.join(root, 'build/native/strata');
const wasiCli = path.join(root, 'bindings/js/bin/strata.js');
function run(file, args) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 26 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? err.code : 0, stdout, stderr });
    });
  });
}
const tools = { native: (...a) => run(nativeTool, a), wasi: (...a) => run(process.execPath, [wasiCli, ...a]) };

test('a folder written by Node with kvSeparation reads back through the native and the WASI tools',
  { skip: !fs.existsSync(nativeTool) && 'build/native/strata is not built' }, async () => {
    const dir = tempDir();
    let db = await open(dir, OPTS);
    for (let i = 0; i < 60; i++) await db.put(`k${String(i).padStart(3, '0')}`, value(`k${i}`, 1, i % 3 ? 400 : 30));
    await db.flush();
    await db.put('journal', value('journal', 2, 500)); // left in the journal
    assert.ok(db.stats().blobs.files >= 1);
    await db.close();
    let written = 0; // keys the tools before this one put
    for (const [name, tool] of Object.entries(tools)) {
      for (const i of [1, 2, 3, 59]) {
        const r = await tool(dir, 'get', `k${String(i).padStart(3, '0')}`);
        assert.equal(r.code, 0, `${name}: ${r.stderr}`);
        assert.equal(r.stdout, `${value(`k${i}`, 1, i % 3 ? 400 : 30)}\n`, `${name} k${i}`);
      }
      const j = await tool(dir, 'get', 'journal');
      assert.equal(j.stdout, `${value('journal', 2, 500)}\n`, name);
      const scan = await tool(dir, 'scan');
      assert.equal(scan.code, 0, scan.stderr);
      assert.equal(scan.stdout.trim().split('\n').length, 61 + written, name);
      const put = await tool(dir, 'put', `from-${name}`, 'x'.repeat(3000)); // over the default threshold
      assert.equal(put.code, 0, put.stderr);
      assert.equal((await tool(dir, 'flush')).code, 0);
      written++;
    }
    db = await open(dir, { ...OPTS, kvSeparation: undefined });
    try {
      assert.equal(await db.get('from-native'), 'x'.repeat(3000));
      assert.equal(await db.get('from-wasi'), 'x'.repeat(3000));
      assert.equal(await db.get('k001'), value('k1', 1, 400));
      assert.ok(db.stats().blobs.files >= 2, 'the tools wrote blob files too');
    } finally {
      await db.close();
    }
  });
