// open(location, { worker: true }): the engine in a worker_threads Worker behind the same API.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { StrataError, open } from '../../bindings/js/src/index.js';
import { removeTempDirs, tempDir } from './helpers.mjs';

after(() => removeTempDirs());

test('worker: reads, writes, batches, snapshots and iterators behave as on the calling thread', async () => {
  const db = await open(tempDir(), { worker: true, valueEncoding: 'utf8', keyEncoding: 'utf8' });
  try {
    await db.put('a', '1');
    await db.batch([{ type: 'put', key: 'b', value: '2' }, { type: 'put', key: 'c', value: '3' }]);
    const snap = db.snapshot(); // synchronous; ordered after the writes above, before the ones below
    const it = db.iterator({ gte: 'b' }); // the same
    db.put('a', 'changed'); // not awaited: still ordered after snapshot() and iterator()
    await db.del('b');
    assert.equal(await db.get('a'), 'changed');
    assert.equal(await snap.get('a'), '1');
    assert.deepEqual(await snap.getMany(['b', 'z']), ['2', undefined]);
    assert.equal(await snap.has('b'), true);
    assert.deepEqual(await it.all(), [['b', '2'], ['c', '3']]);
    assert.deepEqual(await db.iterator({ snapshot: snap, reverse: true }).all(), [['c', '3'], ['b', '2'], ['a', '1']]);
    assert.deepEqual(await snap.keys().all(), ['a', 'b', 'c']);
    const keys = db.keys();
    keys.seek('b');
    assert.deepEqual(await keys.nextv(5), ['c']);
    await keys.close();
    const seen = [];
    for await (const [k, v] of db.iterator()) seen.push(`${k}=${v}`);
    assert.deepEqual(seen, ['a=changed', 'c=3']);
    snap.close();
    await db.flush();
    const stats = await db.stats();
    assert.ok(stats.flushes >= 1 && Array.isArray(stats.levels));
    await db.clear();
    assert.deepEqual(await db.keys().all(), []);
    const bytes = await db.get('missing', { valueEncoding: 'buffer' });
    assert.equal(bytes, undefined);
    await db.put(new Uint8Array([1, 2]), new Uint8Array([3]));
    assert.deepEqual([...await db.get(new Uint8Array([1, 2]), { valueEncoding: 'buffer' })], [3]);
  } finally {
    await db.close();
  }
});

test('worker: errors keep their codes; close ends the worker; the lock holds against the main thread', async () => {
  const dir = tempDir();
  const db = await open(dir, { worker: true });
  await assert.rejects(db.put(null, 'v'), (e) => e instanceof StrataError && e.code === 'STRATA_INVALID_ARGUMENT');
  await assert.rejects(db.batch([{ type: 'x', key: 'k' }]), (e) => e.code === 'STRATA_INVALID_ARGUMENT');
  await assert.rejects(open(dir), (e) => e.code === 'STRATA_LOCKED');
  await assert.rejects(open(dir, { worker: true }), (e) => e.code === 'STRATA_LOCKED');
  const it = db.iterator();
  await db.close();
  await db.close();
  assert.equal(db.status, 'closed');
  await assert.rejects(db.get('k'), (e) => e.code === 'STRATA_NOT_OPEN');
  await assert.rejects(it.next(), (e) => e.code === 'STRATA_NOT_OPEN');
  assert.throws(() => db.snapshot(), (e) => e.code === 'STRATA_NOT_OPEN');
  const again = await open(dir); // released
  await again.close();
  await assert.rejects(open(tempDir(), { worker: true, compression: 'zip' }), (e) => e.code === 'STRATA_INVALID_ARGUMENT');
});

test('bad iterator option in worker mode rejects with StrataError', async () => {
  const db = await open(tempDir(), { worker: true, valueEncoding: 'utf8', keyEncoding: 'utf8' });
  try {
    await db.put('a', '1');
    const bad = (e) => e instanceof StrataError && e.code === 'STRATA_INVALID_ARGUMENT' && /key must be a string or a Uint8Array/.test(e.message);
    // the iterator is made in the worker after the call returned: its failure is the handle's
    const it = db.iterator({ lt: 42 });
    await assert.rejects(it.next(), bad);
    await it.close(); // closing what never opened is fine
    await assert.rejects(db.keys({ gte: {} }).all(), bad);
    await assert.rejects(db.values({ prefix: 7 }).nextv(3), bad);
    await assert.rejects((async () => { for await (const e of db.iterator({ gt: true, lt: 5 })) void e; })(), bad);
    const snap = db.snapshot();
    await assert.rejects(snap.iterator({ lte: 1 }).next(), bad);
    // a seek is posted without an answer: its failure is reported by the iterator's next call
    const seeking = db.keys();
    seeking.seek(99);
    await assert.rejects(seeking.next(), bad);
    assert.deepEqual(await seeking.nextv(5), ['a']); // reported once; the iterator goes on
    await seeking.close();
    // options that are no object are refused on the calling thread, as without a worker
    assert.throws(() => db.iterator(5), (e) => e instanceof StrataError && e.code === 'STRATA_INVALID_ARGUMENT');
    // an argument that cannot cross to the worker is a StrataError too
    await assert.rejects(db.put('k', () => 1), (e) => e instanceof StrataError && e.code === 'STRATA_INVALID_ARGUMENT' && e.cause?.name === 'DataCloneError');
    // the same limit semantics as on the calling thread: a negative limit is no limit
    assert.deepEqual(await db.iterator({ limit: -5 }).all(), [['a', '1']]);
    snap.close();
    assert.equal(await db.get('a'), '1'); // the database is unharmed
  } finally {
    await db.close();
  }
});

test('worker: an error that is not the engine\'s crosses as a StrataError with the original as cause', async () => {
  const { fromWire, toWire } = await import('../../bindings/js/src/errors.js');
  const e = fromWire(toWire(new TypeError('x is not a function')));
  assert.ok(e instanceof StrataError);
  assert.equal(e.code, 'STRATA_IO');
  assert.equal(e.cause.name, 'TypeError');
  assert.match(e.message, /TypeError: x is not a function/);
  const s = fromWire(toWire(new StrataError('STRATA_LOCKED', 'held')));
  assert.equal(s.code, 'STRATA_LOCKED');
  assert.equal(s.message, 'held');
});

test('worker: maintenance steps run after each reply and go on while idle (sealed memtables flushed without flush())', async () => {
  const db = await open(tempDir(), { worker: true, memtableSize: 4096, valueEncoding: 'utf8', keyEncoding: 'utf8' });
  try {
    for (let i = 0; i < 3; i++) await db.put(`k${i}`, 'v'.repeat(5000));
    // a failed request in between: its error reply is correct and the steps still run after it
    await assert.rejects(db.put(null, 'v'), (e) => e.code === 'STRATA_INVALID_ARGUMENT');
    let stats = await db.stats();
    for (let turns = 0; stats.memtable.sealed > 0 && turns < 200; turns++) {
      await new Promise((r) => setTimeout(r, 5));
      stats = await db.stats();
    }
    assert.equal(stats.memtable.sealed, 0, 'the steps continued until no work remained');
    assert.ok(stats.flushes >= 1, `flushed without db.flush() (flushes ${stats.flushes})`);
    assert.ok(stats.levels.some((l) => l.tables > 0));
    assert.deepEqual(await db.getMany(['k0', 'k2']), ['v'.repeat(5000), 'v'.repeat(5000)]);
  } finally {
    await db.close();
  }
});
