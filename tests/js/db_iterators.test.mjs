// Iterators (both directions, every bound, prefix, limit, seek, paging) and snapshots
// (isolation across writes and flush), checked against a sorted model of the data.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { StrataError, open as openPkg } from '../../bindings/js/src/index.js';
import { engineFor, removeTempDirs, tempDir } from './helpers.mjs';

let engine;
before(async () => { engine = await engineFor(false); });
after(() => removeTempDirs());
const open = (loc, opts = {}) => openPkg(loc, { ...opts, _moduleUrl: engine.moduleUrl });

const KEYS = ['', 'a', 'aa', 'ab', 'abc', 'b', 'ba', 'c', 'c\u00ff', 'd'];

async function filled() {
  const db = await open(tempDir(), { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  await db.batch(KEYS.map((k) => ({ type: 'put', key: k, value: `v:${k}` })));
  return db;
}

function model(opts) {
  const enc = (s) => Buffer.from(s, 'utf8');
  let ks = KEYS.filter((k) => {
    const b = enc(k);
    if (opts.gt !== undefined && Buffer.compare(b, enc(opts.gt)) <= 0) return false;
    if (opts.gte !== undefined && Buffer.compare(b, enc(opts.gte)) < 0) return false;
    if (opts.lt !== undefined && Buffer.compare(b, enc(opts.lt)) >= 0) return false;
    if (opts.lte !== undefined && Buffer.compare(b, enc(opts.lte)) > 0) return false;
    if (opts.prefix !== undefined && !b.subarray(0, enc(opts.prefix).length).equals(enc(opts.prefix))) return false;
    return true;
  }).sort((x, y) => Buffer.compare(enc(x), enc(y)));
  if (opts.reverse) ks = ks.reverse();
  if (opts.limit !== undefined && opts.limit >= 0) ks = ks.slice(0, opts.limit);
  return ks;
}

const RANGES = [
  {}, { gt: 'a' }, { gte: 'a' }, { lt: 'c' }, { lte: 'c' }, { gt: 'a', lt: 'c' }, { gte: 'aa', lte: 'ba' },
  { gt: 'zz' }, { lt: '' }, { gte: 'b', lte: 'b' }, { gt: 'b', lt: 'b' }, { prefix: 'a' }, { prefix: 'ab' },
  { prefix: 'c' }, { prefix: 'q' }, { prefix: 'a', gt: 'aa' }, { prefix: 'a', lt: 'ab' }, { limit: 3 }, { limit: 0 },
  { gte: 'a', limit: 2 }, { gt: 'x', lt: 'a' },
];

test('iterators: every bound, prefix and limit, forwards and in reverse, through all(), next(), nextv() and for await', async () => {
  const db = await filled();
  try {
    for (const r of RANGES) {
      for (const reverse of [false, true]) {
        const opts = { ...r, reverse };
        const want = model(opts);
        const label = JSON.stringify(opts);
        assert.deepEqual((await db.iterator(opts).all()).map(([k]) => k), want, `all ${label}`);
        assert.deepEqual(await db.keys(opts).all(), want, `keys ${label}`);
        assert.deepEqual(await db.values(opts).all(), want.map((k) => `v:${k}`), `values ${label}`);
        const it = db.iterator(opts);
        const got = [];
        for (let e; (e = await it.next()) !== undefined;) got.push(e[0]);
        await it.close();
        assert.deepEqual(got, want, `next ${label}`);
        const it2 = db.keys(opts);
        const pages = [];
        for (let p; (p = await it2.nextv(3)).length > 0;) {
          assert.ok(p.length <= 3);
          pages.push(...p);
        }
        await it2.close();
        assert.deepEqual(pages, want, `nextv ${label}`);
        const viaFor = [];
        for await (const [k, v] of db.iterator(opts)) {
          assert.equal(v, `v:${k}`);
          viaFor.push(k);
        }
        assert.deepEqual(viaFor, want, `for await ${label}`);
      }
    }
  } finally {
    await db.close();
  }
});

test('iterators return Uint8Array by default, copies that stay valid', async () => {
  const db = await open(tempDir());
  try {
    await db.put(new Uint8Array([1]), new Uint8Array([10]));
    await db.put(new Uint8Array([2]), new Uint8Array([20]));
    const entries = await db.iterator().all();
    assert.ok(entries[0][0] instanceof Uint8Array && entries[0][1] instanceof Uint8Array);
    await db.put(new Uint8Array([3]), new Uint8Array(100_000)); // may grow wasm memory
    assert.deepEqual(entries.map(([k, v]) => [k[0], v[0]]), [[1, 10], [2, 20]]);
    assert.deepEqual((await db.iterator({ keys: false }).all()).map(([k, v]) => [k, v.length]), [[undefined, 1], [undefined, 1], [undefined, 100_000]]);
  } finally {
    await db.close();
  }
});

test('seek moves within the range in both directions', async () => {
  const db = await filled();
  try {
    const it = db.keys();
    it.seek('b');
    assert.deepEqual(await it.nextv(2), ['b', 'ba']);
    it.seek('aaa');
    assert.equal(await it.next(), 'ab');
    it.seek('zzz');
    assert.equal(await it.next(), undefined);
    it.seek('');
    assert.equal(await it.next(), '');
    await it.close();
    const rev = db.keys({ reverse: true });
    rev.seek('b');
    assert.deepEqual(await rev.nextv(2), ['b', 'abc']);
    rev.seek('bz');
    assert.equal(await rev.next(), 'ba');
    await rev.close();
    const bounded = db.keys({ gte: 'b', lt: 'd' });
    bounded.seek('a'); // below the range: starts at its lower bound
    assert.equal(await bounded.next(), 'b');
    bounded.seek('e');
    assert.equal(await bounded.next(), undefined);
    await bounded.close();
    const boundedRev = db.keys({ gt: 'a', lte: 'c', reverse: true });
    boundedRev.seek('z');
    assert.equal(await boundedRev.next(), 'c');
    await boundedRev.close();
  } finally {
    await db.close();
  }
});

test('an iterator pages many entries and sees the data as of its creation', async () => {
  const db = await open(tempDir(), { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  try {
    const ops = [];
    for (let i = 0; i < 3000; i++) ops.push({ type: 'put', key: `k${String(i).padStart(5, '0')}`, value: 'x'.repeat(i % 50) });
    await db.batch(ops);
    const it = db.iterator();
    const first = await it.nextv(10);
    await db.put('k00005', 'changed');
    await db.put('k99999', 'new');
    await db.del('k02999');
    const rest = await it.all();
    const all = [...first, ...rest];
    assert.equal(all.length, 3000);
    assert.equal(all[2999][0], 'k02999', 'the deleted key is still seen');
    assert.equal(all.find(([k]) => k === 'k00005')[1], 'x'.repeat(5));
    assert.equal((await db.keys({ reverse: true, limit: 1 }).all())[0], 'k99999');
  } finally {
    await db.close();
  }
});

test('bad iterator options are STRATA_INVALID_ARGUMENT', async () => {
  const db = await filled();
  try {
    assert.throws(() => db.iterator({ gt: 5 }), (e) => e instanceof StrataError && e.code === 'STRATA_INVALID_ARGUMENT');
    assert.throws(() => db.iterator({ lt: null }), (e) => e.code === 'STRATA_INVALID_ARGUMENT');
    assert.throws(() => db.iterator({ snapshot: {} }), (e) => e.code === 'STRATA_INVALID_ARGUMENT');
    assert.throws(() => db.iterator({ keyEncoding: 'hex' }), (e) => e.code === 'STRATA_INVALID_ARGUMENT');
    const it = db.keys();
    await assert.rejects(it.nextv(-1), (e) => e.code === 'STRATA_INVALID_ARGUMENT');
    assert.throws(() => it.seek(undefined), (e) => e.code === 'STRATA_INVALID_ARGUMENT');
    await it.close();
  } finally {
    await db.close();
  }
});

test('snapshots are isolated from later writes, deletes, batches and flushes', async () => {
  const db = await open(tempDir(), { valueEncoding: 'utf8', keyEncoding: 'utf8' });
  try {
    await db.put('a', '1');
    await db.put('b', '2');
    const snap = db.snapshot();
    await db.put('a', 'changed');
    await db.del('b');
    await db.batch([{ type: 'put', key: 'c', value: '3' }]);
    await db.flush();
    await db.put('d', '4');
    assert.equal(await snap.get('a'), '1');
    assert.equal(await snap.get('b'), '2');
    assert.equal(await snap.get('c'), undefined);
    assert.equal(await snap.has('b'), true);
    assert.equal(await snap.has('d'), false);
    assert.deepEqual(await snap.getMany(['a', 'c']), ['1', undefined]);
    assert.deepEqual(await snap.iterator().all(), [['a', '1'], ['b', '2']]);
    assert.deepEqual(await db.iterator({ snapshot: snap }).all(), [['a', '1'], ['b', '2']]);
    assert.deepEqual(await snap.keys({ reverse: true }).all(), ['b', 'a']);
    assert.deepEqual(await db.keys().all(), ['a', 'c', 'd']);
    // An iterator keeps its snapshot readable after snapshot.close().
    const it = snap.values();
    snap.close();
    snap.close();
    assert.deepEqual(await it.all(), ['1', '2']);
    await assert.rejects(snap.get('a'), (e) => e.code === 'STRATA_NOT_OPEN');
    assert.throws(() => snap.iterator(), (e) => e.code === 'STRATA_NOT_OPEN');
  } finally {
    await db.close();
  }
});

test('clear removes a range (or everything) and leaves the rest', async () => {
  const db = await filled();
  try {
    await db.clear({ gte: 'a', lt: 'b' });
    assert.deepEqual(await db.keys().all(), ['', 'b', 'ba', 'c', 'c\u00ff', 'd']);
    await db.clear({ prefix: 'c' });
    assert.deepEqual(await db.keys().all(), ['', 'b', 'ba', 'd']);
    await db.clear({ reverse: true, limit: 1 });
    assert.deepEqual(await db.keys().all(), ['', 'b', 'ba']);
    const ops = [];
    for (let i = 0; i < 2500; i++) ops.push({ type: 'put', key: `n${i}`, value: 'v' });
    await db.batch(ops);
    await db.clear();
    assert.deepEqual(await db.keys().all(), []);
  } finally {
    await db.close();
  }
});
