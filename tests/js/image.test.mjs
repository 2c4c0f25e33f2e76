// Database images (docs/IMAGE.md) through the package and the command-line tool: db.export() as
// chunks, bytes and a ReadableStream with progress; a pin that excludes later writes;
// importDatabase() from bytes, chunks and streams; damaged, truncated and misplaced imports refused
// with nothing left; and the round trip Node -> native CLI -> WASI CLI -> Node with identical
// contents (a hash of every entry). The browser leg belongs to the browser package's tests.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';

import { removeTempDirs, root, tempDir } from './helpers.mjs';
import { importDatabase, open } from '../../bindings/js/src/index.js';

after(() => removeTempDirs());

const nativeTool = path.join(root, 'build/native/strata');
const wasiTool = [process.execPath, path.join(root, 'bindings/js/bin/strata.js')];

function run(file, args) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? err.code : 0, stdout, stderr });
    });
  });
}
const native = (...args) => run(nativeTool, args);
const wasi = (...args) => run(wasiTool[0], [wasiTool[1], ...args]);

// The WASI leg of a round trip: `image` imported into dir/wasi-1 (w1), exported again as
// dir/3.image (image3).
async function throughWasi(dir, image) {
  const w1 = path.join(dir, 'wasi-1');
  const wi = await wasi('import', image, w1);
  assert.equal(wi.code, 0, wi.stderr);
  const image3 = path.join(dir, '3.image');
  const we = await wasi('export', w1, image3);
  assert.equal(we.code, 0, we.stderr);
  return { w1, image3 };
}

// A hash of every live entry, in order, and their count.
async function contents(db) {
  const h = createHash('sha256');
  let n = 0;
  for await (const [k, v] of db.iterator()) {
    const len = Buffer.alloc(8);
    len.writeUInt32LE(k.length, 0);
    len.writeUInt32LE(v.length, 4);
    h.update(len).update(k).update(v);
    n++;
  }
  return { hash: h.digest('hex'), count: n };
}

async function contentsAt(location) {
  const db = await open(location, { createIfMissing: false });
  try {
    return await contents(db);
  } finally {
    await db.close();
  }
}

// Tables (flushed), then deletes, overwrites and new keys only in the journal.
async function fill(db, n = 2000) {
  const ops = [];
  for (let i = 0; i < n; i++) ops.push({ type: 'put', key: `key${String(i).padStart(6, '0')}`, value: `value ${i} `.repeat(8) });
  await db.batch(ops);
  await db.flush();
  for (let i = 0; i < n; i += 3) await db.del(`key${String(i).padStart(6, '0')}`);
  for (let i = 1; i < n; i += 7) await db.put(`key${String(i).padStart(6, '0')}`, 'overwritten, journal only');
  await db.put('journal-only', new Uint8Array([0, 1, 2, 255]));
}

test('db.export() streams chunks with progress; exportBytes() and stream() give the same image', async () => {
  const dir = tempDir('strata-image-');
  const db = await open(path.join(dir, 'a'), { memtableSize: 64 << 10 });
  await fill(db);
  const expected = await contents(db);
  const progress = [];
  const image = db.export({ chunkSize: 4096, onProgress: (p) => progress.push(p) });
  assert.ok(image.total > 4096);
  const chunks = [];
  for await (const chunk of image) chunks.push(chunk);
  const joined = Buffer.concat(chunks);
  assert.equal(joined.length, image.total);
  assert.ok(chunks.length > 1 && chunks.every((c) => c.length <= 4096));
  assert.deepEqual(progress.at(-1), { bytesDone: image.total, bytesTotal: image.total });
  assert.ok(progress.every((p, i) => p.bytesTotal === image.total && (i === 0 || p.bytesDone > progress[i - 1].bytesDone)),
    'progress only grows, against a total known from the start');
  const bytes = await db.exportBytes();
  assert.ok(bytes instanceof Uint8Array);
  assert.deepEqual(Buffer.from(bytes), joined, 'nothing changed in between: the same bytes');
  const streamed = [];
  for await (const c of db.export().stream()) streamed.push(c);
  assert.deepEqual(Buffer.concat(streamed), joined);
  await db.close();

  const fromChunks = path.join(dir, 'from-chunks');
  const seen = [];
  await importDatabase(fromChunks, chunks, { onProgress: (p) => seen.push(p) });
  assert.deepEqual(seen.at(-1), { bytesDone: joined.length, bytesTotal: joined.length });
  assert.ok(seen.every((p) => p.bytesDone <= p.bytesTotal));
  assert.deepEqual(await contentsAt(fromChunks), expected);
  const fromStream = path.join(dir, 'from-stream');
  await importDatabase(fromStream, new ReadableStream({
    start(c) { for (const x of chunks) c.enqueue(x); c.close(); },
  }));
  assert.deepEqual(await contentsAt(fromStream), expected);
  const fromBuffer = path.join(dir, 'from-arraybuffer');
  await importDatabase(fromBuffer, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  assert.deepEqual(await contentsAt(fromBuffer), expected);
});

test('an export holds the moment it was called: later writes, flushes and compactions are not in it', async () => {
  const dir = tempDir('strata-image-');
  const db = await open(path.join(dir, 'a'), { memtableSize: 64 << 10 });
  await fill(db, 1500);
  const snap = db.snapshot(); // an older view does not come along either
  await db.put('before-the-export', 'in');
  const expected = await contents(db);
  const image = db.export({ chunkSize: 1 << 14 });
  await db.put('after-the-export', 'not in the image');
  await db.del('key000001');
  await db.flush();
  await db.compact({ major: true });
  const chunks = [];
  for await (const c of image) chunks.push(c);
  snap.close();
  await db.close();
  const b = path.join(dir, 'b');
  await importDatabase(b, Buffer.concat(chunks));
  assert.deepEqual(await contentsAt(b), expected);
  const copy = await open(b);
  assert.equal(await copy.get('after-the-export'), undefined);
  assert.equal(await copy.get('before-the-export', { valueEncoding: 'utf8' }), 'in');
  assert.equal(copy.stats().snapshotsOpen, 0);
  await copy.close();
});

test('a damaged or truncated image is STRATA_CORRUPTION and creates nothing; a used folder is refused', async () => {
  const dir = tempDir('strata-image-');
  const db = await open(path.join(dir, 'a'));
  await db.put('k', 'v');
  const bytes = await db.exportBytes();
  await db.close();
  const target = path.join(dir, 'target');
  for (const at of [0, 9, 40, 85, 100, bytes.length >> 1, bytes.length - 20, bytes.length - 1]) {
    const bad = Uint8Array.from(bytes);
    bad[at] ^= 0x40;
    await assert.rejects(importDatabase(target, bad), { code: 'STRATA_CORRUPTION' }, `a flip at ${at}`);
    assert.equal(fs.existsSync(target), false);
  }
  for (const len of [0, 79, 200, bytes.length - 1]) {
    await assert.rejects(importDatabase(target, [bytes.subarray(0, len)]), (err) => {
      assert.equal(err.code, 'STRATA_CORRUPTION');
      assert.match(err.message, /truncated|too small|room/);
      return true;
    }, `cut at ${len}`);
    assert.equal(fs.existsSync(target), false);
  }
  fs.mkdirSync(target);
  fs.writeFileSync(path.join(target, 'mine.txt'), 'keep me');
  await assert.rejects(importDatabase(target, bytes), { code: 'STRATA_EXISTS' });
  assert.equal(fs.readFileSync(path.join(target, 'mine.txt'), 'utf8'), 'keep me');
  await assert.rejects(importDatabase(path.join(dir, 'a'), bytes), { code: 'STRATA_EXISTS' }, 'an existing database');
  await assert.rejects(importDatabase(path.join(dir, 'x'), 'not bytes'), { code: 'STRATA_INVALID_ARGUMENT' });
  await assert.rejects(importDatabase(':memory:', bytes), { code: 'STRATA_INVALID_ARGUMENT' });
  assert.equal(fs.existsSync(path.join(dir, 'x')), false);
});

test('an onProgress that throws does not stop an export or an import; its error comes at the end', async () => {
  const dir = tempDir('strata-image-');
  const db = await open(path.join(dir, 'a'));
  await fill(db, 300);
  const expected = await contents(db);
  let calls = 0;
  const boom = () => { calls++; throw new Error('progress bar broke'); };
  const image = db.export({ chunkSize: 1024, onProgress: boom });
  const chunks = [];
  await assert.rejects(async () => { for await (const c of image) chunks.push(c); }, /progress bar broke/);
  assert.equal(Buffer.concat(chunks).length, image.total, 'every chunk came before the error');
  assert.equal(calls, 1, 'the callback is not called again after it threw');
  await db.close();
  const b = path.join(dir, 'b');
  await assert.rejects(importDatabase(b, chunks, { onProgress: boom }), /progress bar broke/);
  assert.deepEqual(await contentsAt(b), expected, 'the import completed');
});

test('closing the database ends its exports; bad export options are refused', async () => {
  const dir = tempDir('strata-image-');
  const db = await open(path.join(dir, 'a'));
  await db.put('k', 'v');
  assert.throws(() => db.export({ chunkSize: 0 }), { code: 'STRATA_INVALID_ARGUMENT' });
  assert.throws(() => db.export({ onProgress: 5 }), { code: 'STRATA_INVALID_ARGUMENT' });
  const image = db.export({ chunkSize: 16 });
  assert.ok(image.read().length === 16);
  await db.close();
  assert.throws(() => image.read(), { code: 'STRATA_NOT_OPEN' });
  assert.throws(() => db.export(), { code: 'STRATA_NOT_OPEN' });
});

test('a worker database exports its image whole', async () => {
  const dir = tempDir('strata-image-');
  const a = path.join(dir, 'a');
  const db = await open(a, { memtableSize: 64 << 10 });
  await fill(db, 500);
  const expected = await contents(db);
  await db.close();
  const w = await open(a, { worker: true });
  const bytes = await w.exportBytes({ chunkSize: 1000 });
  await assert.rejects(w.exportBytes({ onProgress: () => {} }), 'a function does not cross to the worker');
  await w.close();
  assert.ok(bytes instanceof Uint8Array && bytes.length > 0);
  const b = path.join(dir, 'b');
  await importDatabase(b, bytes);
  assert.deepEqual(await contentsAt(b), expected);
});

test('round trip Node -> native CLI -> WASI CLI -> Node keeps identical contents',
  { skip: !fs.existsSync(nativeTool) && 'build/native/strata is not built' }, async () => {
    const dir = tempDir('strata-image-');
    const a = path.join(dir, 'node-a');
    const db = await open(a, { memtableSize: 64 << 10 });
    await fill(db, 3000);
    const expected = await contents(db);
    const image1 = path.join(dir, '1.image');
    fs.writeFileSync(image1, await db.exportBytes());
    await db.close();

    const n1 = path.join(dir, 'native-1');
    const imp = await native('import', image1, n1);
    assert.equal(imp.code, 0, imp.stderr);
    assert.match(imp.stdout, /^imported .* into /);
    assert.equal((await native(n1, 'get', 'journal-only')).code, 0);
    const image2 = path.join(dir, '2.image');
    const exp = await native('export', n1, image2);
    assert.equal(exp.code, 0, exp.stderr);
    assert.equal((await native('export', n1, image2)).code, 1, 'an existing file is not overwritten');

    const { w1, image3 } = await throughWasi(dir, image2);

    const back = path.join(dir, 'node-back');
    await importDatabase(back, fs.createReadStream(image3, { highWaterMark: 10_000 }));
    assert.deepEqual(await contentsAt(back), expected);
    assert.deepEqual(await contentsAt(n1), expected);
    assert.deepEqual(await contentsAt(w1), expected);

    // both tools refuse a damaged image and leave nothing
    const bad = fs.readFileSync(image3);
    bad[bad.length >> 1] ^= 1;
    const badFile = path.join(dir, 'bad.image');
    fs.writeFileSync(badFile, bad);
    for (const tool of [native, wasi]) {
      const r = await tool('import', badFile, path.join(dir, 'refused'));
      assert.equal(r.code, 1);
      assert.match(r.stderr, /STRATA_CORRUPTION/);
      assert.equal(fs.existsSync(path.join(dir, 'refused')), false);
    }
  });

test('a kvSeparation database: Node -> native CLI -> WASI CLI -> Node keeps identical contents and its blob files',
  { skip: !fs.existsSync(nativeTool) && 'build/native/strata is not built' }, async () => {
    const dir = tempDir('strata-image-');
    const a = path.join(dir, 'node-a');
    const db = await open(a, { memtableSize: 64 << 10, kvSeparation: { threshold: 200 } });
    const big = (i) => `big ${i} `.repeat(60);
    const ops = [];
    for (let i = 0; i < 400; i++) ops.push({ type: 'put', key: `key${String(i).padStart(6, '0')}`, value: i % 2 ? big(i) : `small ${i}` });
    await db.batch(ops);
    await db.flush();
    await fill(db, 300); // small values, deletes and journal-only writes over it
    await db.put('journal-only big', big(-1));
    const blobFiles = db.stats().blobs.files;
    assert.ok(blobFiles >= 1);
    const expected = await contents(db);
    const image1 = path.join(dir, '1.image');
    fs.writeFileSync(image1, await db.exportBytes());
    await db.close();

    const n1 = path.join(dir, 'native-1');
    const imp = await native('import', image1, n1); // the tool opens it without knowing the mode
    assert.equal(imp.code, 0, imp.stderr);
    assert.equal(fs.readdirSync(path.join(n1, 'blobs')).length, blobFiles);
    const got = await native(n1, 'get', 'key000301'); // a value in a blob file
    assert.equal(got.code, 0, got.stderr);
    assert.equal(got.stdout, `${big(301)}\n`);
    const image2 = path.join(dir, '2.image');
    assert.equal((await native('export', n1, image2)).code, 0);
    const { w1, image3 } = await throughWasi(dir, image2);
    const back = path.join(dir, 'node-back');
    await importDatabase(back, fs.createReadStream(image3, { highWaterMark: 7_000 }));
    assert.equal(fs.readdirSync(path.join(back, 'blobs')).length, blobFiles);
    assert.deepEqual(await contentsAt(back), expected);
    assert.deepEqual(await contentsAt(n1), expected);
    assert.deepEqual(await contentsAt(w1), expected);
  });
