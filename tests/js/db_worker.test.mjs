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
