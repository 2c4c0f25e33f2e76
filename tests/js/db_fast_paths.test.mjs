// The in-thread fast paths of the JS package (issue 17): iterator pages copied out of wasm once
// and decoded lazily, short values carved from a shared slab (native.copyOut), puts and deletes
// through the reusable input buffer, batches encoded by hand, the async-iterator object of
// for await, and the Node host's append at a known end. Each is checked for what it must keep:
// the bytes, their independence, the order, the closing, and the errors.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { open } from '../../bindings/js/src/index.js';
import { removeTempDirs, tempDir } from './helpers.mjs';

after(() => removeTempDirs());

const key = (i) => Buffer.from(String(i).padStart(8, '0'));
// a value of `len` bytes that names its key: a mixed-up copy cannot pass
const valueOf = (i, len) => {
  const v = Buffer.alloc(len);
  for (let j = 0; j < len; j++) v[j] = (i * 31 + j) & 0xff;
  return v;
};

test('del and singleDel as the first call of a fresh database (the input buffer not yet allocated)', async () => {
  for (const op of ['del', 'singleDel']) {
    const db = await open(tempDir());
    await db[op]('never-written');
    assert.equal(await db.get('never-written'), undefined);
    await db.put('k', 'v');
    await db[op]('k');
    assert.equal(await db.get('k'), undefined);
    await db.close();
  }
});

test('values of every copy path (own copy, slab, own copy again, grown output) are exact and independent', async () => {
  const db = await open(tempDir());
  // around SMALL_COPY (64), POOLED_COPY (4096) and the 64 KiB output buffer
  const sizes = [0, 1, 63, 64, 65, 100, 4095, 4096, 4097, 65535, 65536, 70000];
  for (const [i, len] of sizes.entries()) await db.put(key(i), valueOf(i, len));
  const got = [];
  for (let round = 0; round < 200; round++) { // many slabs' worth: reuse must never overlap
    for (const [i, len] of sizes.entries()) {
      const v = await db.get(key(i));
      assert.ok(v instanceof Uint8Array);
      assert.equal(v.length, len);
      if (round === 0) got.push(v);
      else if (round % 50 === 0) assert.deepEqual(Buffer.from(v), valueOf(i, len));
    }
  }
  // the first round's values still hold their bytes after 2400 later reads; writing into one
  // changes no other value and nothing stored
  for (const [i, len] of sizes.entries()) assert.deepEqual(Buffer.from(got[i]), valueOf(i, len), `size ${len}`);
  got[5].fill(0xee);
  for (const [i, len] of sizes.entries()) if (i !== 5) assert.deepEqual(Buffer.from(got[i]), valueOf(i, len));
  assert.deepEqual(Buffer.from(await db.get(key(5))), valueOf(5, 100));
  assert.deepEqual(Buffer.from(db.getSync(key(5))), valueOf(5, 100));
  await db.close();
});

test('values read from a table into the output buffer, larger than it or a byte short, are exact; a snapshot of an empty memtable sees none of the later writes', async () => {
  const db = await open(tempDir());
  const early = db.snapshot(); // nothing written yet: an empty memtable at its pin
  const sizes = [0, 1, 100, 65535, 65536, 65537, 70000, 200000];
  for (const [i, len] of sizes.entries()) await db.put(key(i), valueOf(i, len));
  await db.flush();
  const pinned = db.snapshot(); // the tables hold everything; the new memtable is empty
  await db.put(key(0), valueOf(99, 10)); // newer than `pinned`
  for (let round = 0; round < 2; round++) { // the second round reuses a grown output buffer
    for (const [i, len] of sizes.entries()) {
      const want = i === 0 ? valueOf(99, 10) : valueOf(i, len);
      assert.deepEqual(Buffer.from(await db.get(key(i))), want, `size ${len}`);
      assert.deepEqual(Buffer.from(db.getSync(key(i))), want, `size ${len}`);
      assert.deepEqual(Buffer.from(await pinned.get(key(i))), valueOf(i, len), `size ${len} at the snapshot`);
      assert.equal(await early.get(key(i)), undefined);
    }
  }
  assert.deepEqual((await db.getMany(sizes.map((_, i) => key(i)))).map((v) => v.length), [10, ...sizes.slice(1)]);
  early.close();
  pinned.close();
  await db.close();
});

test('entries of a lazily decoded page stay exact across other calls, seeks and writes', async () => {
  const db = await open(tempDir());
  const n = 3000;
  await db.batch(Array.from({ length: n }, (_, i) => ({ type: 'put', key: key(i), value: valueOf(i, 20 + (i % 150)) })));
  await db.flush();
  const a = db.iterator();
  const b = db.iterator({ gte: key(1000) });
  const held = [];
  for (let i = 0; i < n; i++) {
    const e = await a.next();
    held.push(e);
    // other users of wasm memory between entries of one page
    if (i % 7 === 0) assert.deepEqual(Buffer.from(await db.get(key(i))), valueOf(i, 20 + (i % 150)));
    if (i % 11 === 0) assert.deepEqual(Buffer.from((await b.next())[0]), key(1000 + i / 11));
    if (i % 500 === 0) await db.put(key(n + i), 'later'); // not in a's view
  }
  assert.equal(await a.next(), undefined);
  held.forEach(([k, v], i) => {
    assert.deepEqual(Buffer.from(k), key(i));
    assert.deepEqual(Buffer.from(v), valueOf(i, 20 + (i % 150)));
  });
  held[10][1].fill(0); // an entry's bytes are its own
  assert.deepEqual(Buffer.from(held[11][1]), valueOf(11, 20 + 11));
  assert.deepEqual(Buffer.from(held[10][0]), key(10));
  // seek drops the rest of a page: the next entry is the target's
  b.seek(key(2500));
  assert.deepEqual(Buffer.from((await b.next())[0]), key(2500));
  b.seek(key(5)); // below gte: clamped to the bound
  assert.deepEqual(Buffer.from((await b.next())[0]), key(1000));
  await a.close();
  await b.close();
  await db.close();
});

test('lazily decoded pages honour limit, keys/values shapes, reverse and utf8', async () => {
  const db = await open(':memory:', { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  const words = ['é', 'a', 'ß', 'b', 'ü', 'c', 'zz', '日本'];
  await db.batch(words.map((w) => ({ type: 'put', key: w, value: `${w}!` })));
  const sorted = [...words].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
  assert.deepEqual(await db.keys().all(), sorted);
  assert.deepEqual(await db.values({ reverse: true }).all(), [...sorted].reverse().map((w) => `${w}!`));
  assert.deepEqual(await db.iterator({ limit: 3 }).all(), sorted.slice(0, 3).map((w) => [w, `${w}!`]));
  assert.deepEqual(await db.iterator({ values: false, limit: 2 }).all(), sorted.slice(0, 2).map((w) => [w, undefined]));
  assert.deepEqual(await db.iterator({ keys: false, values: false, limit: 2 }).all(), [[undefined, undefined], [undefined, undefined]]);
  const it = db.iterator({ limit: 5 });
  assert.deepEqual(await it.nextv(3), sorted.slice(0, 3).map((w) => [w, `${w}!`]));
  assert.deepEqual(await it.nextv(10), sorted.slice(3, 5).map((w) => [w, `${w}!`]));
  assert.deepEqual(await it.nextv(1), []);
  await it.close();
  await db.close();
});

test('for await closes the iterator at the end, on break and on an error; its iterator is done afterwards', async () => {
  const db = await open(':memory:', { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  await db.batch(Array.from({ length: 600 }, (_, i) => ({ type: 'put', key: `k${String(i).padStart(4, '0')}`, value: 'v' })));
  const full = db.iterator();
  let count = 0;
  for await (const [k] of full) {
    assert.equal(k, `k${String(count).padStart(4, '0')}`);
    count++;
  }
  assert.equal(count, 600);
  await assert.rejects(full.next(), { code: 'STRATA_NOT_OPEN' }); // closed at the end

  const broken = db.iterator();
  for await (const e of broken) { void e; break; }
  await assert.rejects(broken.next(), { code: 'STRATA_NOT_OPEN' }); // closed by break

  const it = db.keys();
  const ai = it[Symbol.asyncIterator]();
  assert.equal(ai[Symbol.asyncIterator](), ai);
  assert.deepEqual(await ai.next(), { value: 'k0000', done: false });
  assert.deepEqual(await ai.return('x'), { value: 'x', done: true });
  assert.deepEqual(await ai.next(), { value: undefined, done: true });

  const controller = new AbortController();
  const aborted = db.iterator({ signal: controller.signal });
  await assert.rejects(async () => {
    for await (const e of aborted) { void e; controller.abort(); }
  }, { name: 'AbortError' });
  await assert.rejects(aborted.next(), { name: 'AbortError' });
  await db.close();
});

test('batches encoded by hand: short and long keys and values, strings and bytes, deletes, limits', async () => {
  const db = await open(':memory:');
  const long = Buffer.alloc(1000, 7);
  await db.batch([
    { type: 'put', key: 'short', value: 'é' },
    { type: 'put', key: Buffer.alloc(33, 1), value: long },
    { type: 'put', key: new Uint16Array([0x6868, 0x6969]), value: new DataView(new ArrayBuffer(3)) },
    { type: 'put', key: 'gone', value: '' },
    { type: 'del', key: 'gone' },
    { type: 'put', key: 'once', value: 'x' },
    { type: 'singleDel', key: 'once' },
  ]);
  assert.deepEqual(Buffer.from(await db.get('short')), Buffer.from('é'));
  assert.deepEqual(Buffer.from(await db.get(Buffer.alloc(33, 1))), long);
  assert.deepEqual(Buffer.from(await db.get(Buffer.from(new Uint16Array([0x6868, 0x6969]).buffer))), Buffer.alloc(3));
  assert.equal(await db.get('gone'), undefined);
  assert.equal(await db.get('once'), undefined);
  await assert.rejects(db.batch([{ type: 'put', key: 'a', value: 'b' }, { type: 'nope', key: 'a' }]), /operation 1 has type "nope"/);
  await assert.rejects(db.batch([{ type: 'put', key: 'a', value: 5 }]), /value of key "a" must be a string or a Uint8Array, not number/);
  await assert.rejects(db.put('a', null), /value of key "a" must not be null/);
  assert.equal(await db.get('a'), undefined); // nothing of a refused batch is written
  const chained = db.batch();
  chained.put('c1', 'v1').put(Buffer.alloc(40, 2), 'v2').del('short');
  await chained.write();
  assert.deepEqual(Buffer.from(await db.get('c1')), Buffer.from('v1'));
  assert.deepEqual(Buffer.from(await db.get(Buffer.alloc(40, 2))), Buffer.from('v2'));
  assert.equal(await db.get('short'), undefined);
  await db.close();
});

test('the Node host appends at the end it knows: every acknowledged put survives reopens, nothing recovered as damaged', async () => {
  const dir = tempDir();
  let db = await open(dir);
  for (let i = 0; i < 500; i++) await db.put(key(i), valueOf(i, 50));
  await db.close(); // the journal as written, recovered at the next open
  db = await open(dir);
  for (let i = 500; i < 1000; i++) await db.put(key(i), valueOf(i, 50)); // appends to a journal opened anew
  await db.close();
  db = await open(dir);
  for (let i = 0; i < 1000; i++) assert.deepEqual(Buffer.from(await db.get(key(i))), valueOf(i, 50), `key ${i}`);
  assert.equal(db.recovery.damaged, false);
  await db.close();
});

test('getMany reads in few wasm calls: order, misses, values larger than the output buffer, snapshots, bad keys', async () => {
  const db = await open(tempDir());
  const big = (i) => valueOf(i, 30000 + i); // two of these overflow a 64 KiB output buffer
  const keys = [];
  const want = [];
  for (let i = 0; i < 40; i++) {
    const k = i % 3 === 0 ? `s${i}` : key(i); // strings and bytes
    keys.push(k);
    if (i % 5 === 4) { want.push(undefined); continue; } // never written
    const v = i % 4 === 0 ? big(i) : valueOf(i, i);
    await db.put(k, v);
    want.push(v);
  }
  keys.push('s0'); // a key twice
  want.push(want[0]);
  const got = await db.getMany(keys);
  assert.equal(got.length, keys.length);
  got.forEach((v, i) => {
    if (want[i] === undefined) assert.equal(v, undefined, `key ${i}`);
    else assert.deepEqual(Buffer.from(v), Buffer.from(want[i]), `key ${i}`);
  });
  assert.deepEqual(await db.getMany([]), []);
  const snap = db.snapshot();
  await db.put(key(1), 'changed');
  await db.del(key(2));
  const [a, b] = await snap.getMany([key(1), key(2)]);
  assert.deepEqual(Buffer.from(a), valueOf(1, 1));
  assert.deepEqual(Buffer.from(b), valueOf(2, 2));
  assert.deepEqual(await db.getMany([key(1), key(2)], { valueEncoding: 'utf8' }), ['changed', undefined]);
  await snap.close();
  await assert.rejects(db.getMany([key(1), 42]), /key must be a string or a Uint8Array, not number/);
  await assert.rejects(db.getMany([key(1), 'x'.repeat(70000)]), /keys are at most 65535 bytes/);
  await db.close();
});

test('worker values own their buffers (no slab crosses threads): get, getMany, next; nextv entries share one buffer per page', async () => {
  const db = await open(tempDir(), { worker: true });
  await db.batch(Array.from({ length: 50 }, (_, i) => ({ type: 'put', key: key(i), value: valueOf(i, 100) })));
  const owns = (v) => v instanceof Uint8Array && v.byteOffset === 0 && v.buffer.byteLength === v.length;
  const v = await db.get(key(3));
  assert.ok(owns(v), `get: a view of ${v.buffer.byteLength} bytes`);
  assert.deepEqual(Buffer.from(v), valueOf(3, 100));
  for (const x of await db.getMany([key(1), key(2)])) assert.ok(owns(x));
  const it = db.iterator();
  const [k0, v0] = await it.next();
  assert.ok(owns(k0) && owns(v0));
  const page = await it.nextv(20); // one page copy cloned once, not 40 buffers
  assert.equal(page.length, 20);
  page.forEach(([k, x], i) => {
    assert.deepEqual(Buffer.from(k), key(i + 1));
    assert.deepEqual(Buffer.from(x), valueOf(i + 1, 100));
  });
  // the rest of the first page (16 entries) and part of the second: two buffers for 40 arrays
  const buffers = new Set(page.flatMap(([k, x]) => [k.buffer, x.buffer]));
  assert.equal(buffers.size, 2);
  for (const b of buffers) assert.ok(b.byteLength <= 65536);
  const [k21] = await it.next();
  assert.ok(owns(k21));
  await it.close();
  await db.close();
});
