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

// The requests the calling thread posts to database workers while `fn` runs: by op, and in all
// `calls` (answered: a round trip each) and `posts` (not answered).
async function countingPosts(fn) {
  const { Worker } = await import('node:worker_threads');
  const post = Worker.prototype.postMessage;
  const ops = { calls: 0, posts: 0 };
  Worker.prototype.postMessage = function counted(msg, ...rest) {
    // the flat wire of worker_protocol.js: [ch, id, target, op, handle, ...args], id 0 = a post
    if (Array.isArray(msg) && typeof msg[3] === 'string') {
      ops[msg[3]] = (ops[msg[3]] ?? 0) + 1;
      if (msg[1] !== 0) ops.calls++;
      else ops.posts++;
    }
    return post.call(this, msg, ...rest);
  };
  try {
    await fn(ops);
  } finally {
    Worker.prototype.postMessage = post;
  }
}

const key3 = (i) => `k${String(i).padStart(3, '0')}`;

test('worker_seek_plus_ten_entries_is_one_page_request_and_a_later_seek_drops_the_stale_page', async () => {
  const db = await open(tempDir(), { worker: true, keyEncoding: 'utf8', valueEncoding: 'buffer' });
  try {
    await db.batch(Array.from({ length: 300 }, (_, i) => ({ type: 'put', key: key3(i), value: new Uint8Array([i & 0xff, 7]) })));
    await countingPosts(async (ops) => {
      const it = db.iterator();
      it.seek(key3(10));
      const got = [];
      for (let j = 0; j < 10; j++) got.push(await it.next());
      assert.deepEqual(got.map(([k]) => k), Array.from({ length: 10 }, (_, j) => key3(10 + j)));
      assert.equal(ops.calls, 1, 'a seek + 10 entries is one round trip');
      assert.equal(ops.posts, 1, 'and one post (the iterator itself)');
      assert.equal(ops._seekPacked, 1, 'the seek went with the page request');
      // a value handed out by next() owns its buffer, though its page came as one copy
      const [, v] = got[3];
      assert.deepEqual([...v], [13, 7]);
      assert.equal(v.byteOffset, 0);
      assert.equal(v.byteLength, v.buffer.byteLength);
      // the page held k020..k025 too: a seek drops them and the worker reads from the target
      it.seek(key3(200));
      assert.deepEqual((await it.next())[0], key3(200));
      assert.equal(ops.calls, 2);
      assert.deepEqual((await it.nextv(3)).map(([k]) => k), [key3(201), key3(202), key3(203)]);
      assert.equal(ops.calls, 2, 'nextv took from the page read with the seek');
      // seeking back before what was read: the same entries again, not the page's rest
      it.seek(key3(5));
      assert.deepEqual((await it.nextv(2)).map(([k]) => k), [key3(5), key3(6)]);
      // two seeks before a read: the first is posted, the second goes with the read
      it.seek(key3(100));
      it.seek(key3(7));
      assert.deepEqual(await it.next(), [key3(7), new Uint8Array([7, 7])]);
      assert.equal(ops.seek, 1);
      assert.equal(ops.calls, 4);
      await it.close();
      assert.equal(ops.close, 1);
      assert.equal(ops.calls, 4, 'close after answered seeks is posted (nothing can fail)');
      await assert.rejects(it.next(), (e) => e.code === 'STRATA_NOT_OPEN');
    });
    // a scan asks for pages of 256 (the next one while the caller consumes this one)
    await countingPosts(async (ops) => {
      let n = 0;
      for await (const [k] of db.iterator({ keys: true, values: false })) {
        assert.equal(k, key3(n));
        n++;
      }
      assert.equal(n, 300);
      assert.ok(ops.calls <= 3, `${ops.calls} page requests for 300 entries`);
    });
  } finally {
    await db.close();
  }
});

// A seeded sequence of next / nextv / seek calls, made without waiting for each other, gives
// what the same calls give on the calling thread, for every kind of range.
test('worker_iterator_calls_in_flight_together_match_the_calling_thread', async () => {
  const dirW = tempDir();
  const dirT = tempDir();
  const ops = Array.from({ length: 120 }, (_, i) => ({ type: 'put', key: key3(i * 2), value: `v${i}` }));
  const worker = await open(dirW, { worker: true, keyEncoding: 'utf8', valueEncoding: 'utf8' });
  const local = await open(dirT, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  try {
    await worker.batch(ops);
    await local.batch(ops);
    let seed = 12345;
    const rand = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
    const ranges = [{}, { reverse: true }, { gte: key3(40), lt: key3(180) }, { gt: key3(100), reverse: true, limit: 30 },
      { prefix: 'k1', keys: false }, { limit: 5, values: false }, { limit: 0 }, { limit: 2.5 }, { limit: -1, reverse: true }];
    const rounds = Number(process.env.STRATA_TEST_ROUNDS ?? 4);
    for (const range of ranges) {
      for (let round = 0; round < rounds; round++) {
        const plan = Array.from({ length: 40 }, () => {
          const r = rand(10);
          if (r < 5) return ['next'];
          if (r < 8) return ['nextv', rand(40)];
          return ['seek', key3(rand(250))];
        });
        const run = async (db) => {
          const it = db.iterator(range);
          const pending = [];
          for (const [op, arg] of plan) {
            if (op === 'seek') it.seek(arg);
            else pending.push(it[op](arg)); // not awaited: every call is in flight at once
          }
          if (round % 2) pending.push(it.all()); // the rest, then closed
          const out = await Promise.all(pending);
          await it.close();
          return out;
        };
        assert.deepEqual(await run(worker), await run(local), `${JSON.stringify(range)} round ${round}`);
      }
    }
  } finally {
    await worker.close();
    await local.close();
  }
});

test('worker_iterator_page_failure_rejects_the_calls_waiting_for_it_and_the_iterator_goes_on', async () => {
  const db = await open(tempDir(), { worker: true, keyEncoding: 'utf8', valueEncoding: 'utf8' });
  try {
    await db.batch([{ type: 'put', key: 'a', value: '1' }, { type: 'put', key: 'b', value: '2' }]);
    // a key too long for the engine goes with the next request, which reports its refusal
    const long = db.keys();
    long.seek('k'.repeat(70000));
    await assert.rejects(long.next(), (e) => e.code === 'STRATA_INVALID_ARGUMENT' && /at most/.test(e.message));
    assert.equal(await long.next(), 'a', 'the iterator did not move');
    long.seek('k'.repeat(70000));
    await assert.rejects(long.close(), (e) => e.code === 'STRATA_INVALID_ARGUMENT', 'close reports a seek nothing read after');
    const it = db.keys();
    it.seek(99); // refused in the worker: the next request reports it
    const waiting = [it.next(), it.next(), it.nextv(2)];
    const settled = await Promise.allSettled(waiting);
    for (const s of settled) assert.ok(s.status === 'rejected' && s.reason.code === 'STRATA_INVALID_ARGUMENT', JSON.stringify(s));
    assert.deepEqual(await it.nextv(5), ['a', 'b']);
    assert.equal(await it.next(), undefined);
    // after the end, all() closes the iterator
    assert.deepEqual(await it.all(), []);
    await assert.rejects(it.next(), (e) => e.code === 'STRATA_NOT_OPEN');
    // all() after a prefetch hands out the rest of the page first
    const it2 = db.keys();
    assert.equal(await it2.next(), 'a');
    assert.deepEqual(await it2.all(), ['b']);
    // aborting drops what was read ahead
    const ac = new AbortController();
    const it3 = db.keys({ signal: ac.signal });
    assert.equal(await it3.next(), 'a');
    ac.abort();
    await assert.rejects(it3.next(), (e) => e.name === 'AbortError');
    // a snapshot's iterator pages from the snapshot
    const snap = db.snapshot();
    await db.put('c', '3');
    const it4 = db.keys({ snapshot: snap });
    assert.deepEqual([await it4.next(), await it4.next(), await it4.next()], ['a', 'b', undefined]);
    await it4.close();
    snap.close();
  } finally {
    await db.close();
  }
});

// Batches of strings, of byte arrays of every view kind and of both, plain and chained, cross
// packed (worker_pack.js): what they write is what the same batch writes on the calling thread,
// byte for byte, whatever the databases' encodings.
const MIXED = ['plain', 'é', '日本語', '😀', 'a\ud800b', '\udfff', '', 'x'.repeat(300) + 'ü'];
function mixedBatch(round) {
  const ops = [];
  for (let i = 0; i < 1000; i++) {
    const k = `${MIXED[i % MIXED.length]}/${round}/${String(i).padStart(4, '0')}`;
    const v = MIXED[(i + round) % MIXED.length].repeat(1 + (i % 3));
    switch (i % 7) {
      case 0: ops.push({ type: 'put', key: Buffer.from(k), value: v }); break;
      case 1: ops.push({ type: 'put', key: k, value: new Uint16Array([i, round, 0xffff]) }); break;
      case 2: ops.push({ type: 'put', key: new TextEncoder().encode(k), value: new DataView(new ArrayBuffer(9), 2, 5) }); break;
      case 3: ops.push({ type: 'del', key: `${MIXED[(i + 1) % MIXED.length]}/${round}/${String(i - 2).padStart(4, '0')}` }); break;
      default: ops.push({ type: 'put', key: k, value: v });
    }
  }
  ops.push({ type: 'singleDel', key: ops[5].key });
  return ops;
}

test('worker_string_and_view_batches_write_the_bytes_an_in_thread_batch_writes', async () => {
  const worker = await open(tempDir(), { worker: true, keyEncoding: 'utf8', valueEncoding: 'utf8' });
  const local = await open(tempDir()); // buffer encodings: encodings shape reads, not writes
  const raw = { keyEncoding: 'buffer', valueEncoding: 'buffer' };
  try {
    for (const db of [worker, local]) {
      await db.batch(mixedBatch(0));
      await db.batch(mixedBatch(1), { sync: true });
      const chained = db.batch();
      for (const op of mixedBatch(2)) {
        if (op.type === 'put') chained.put(op.key, op.value);
        else chained[op.type](op.key);
      }
      await chained.write();
      // a deletion's value is never read (nor, packed, sent): a function there is no error
      await db.batch([{ type: 'put', key: 'f', value: 'F' }, { type: 'del', key: 'g', value: () => {} }]);
    }
    const want = await local.iterator(raw).all();
    assert.ok(want.length > 2000, `${want.length} entries`);
    const got = await worker.iterator(raw).all();
    assert.equal(got.length, want.length);
    for (let i = 0; i < want.length; i++) {
      assert.ok(Buffer.from(got[i][0]).equals(Buffer.from(want[i][0])) && Buffer.from(got[i][1]).equals(Buffer.from(want[i][1])), `entry ${i}`);
    }
    assert.equal(await worker.get('a\ud800b/0/0004'), await local.get('a\ud800b/0/0004', { valueEncoding: 'utf8' }));
  } finally {
    await worker.close();
    await local.close();
  }
});

test('worker_bad_operation_at_index_500_of_a_string_batch_fails_as_in_thread', async () => {
  const worker = await open(tempDir(), { worker: true, keyEncoding: 'utf8' });
  const local = await open(tempDir(), { keyEncoding: 'utf8' });
  try {
    const bads = [
      { type: 'bogus', key: 'k', value: 'v' },
      { type: 'put', key: null, value: 'v' },
      { type: 'put', key: 'k' },
      { type: 'put', key: 42, value: 'v' },
      { type: 'put', key: 'k'.repeat(65536), value: 'v' }, // over KEY_MAX
      { type: 'del', key: 'é'.repeat(32768) }, // 65,536 bytes of UTF-8 in 32,768 characters
      { type: 'put', key: 'ключ', value: new Uint8Array((128 << 20) + 1) }, // over VALUE_MAX: names the key as a string
      null,
    ];
    for (const [n, bad] of bads.entries()) {
      const ops = Array.from({ length: 1000 }, (_, i) => ({ type: 'put', key: `key${i}`, value: `value ${i}` }));
      ops[500] = bad;
      const expected = await local.batch(ops).then(() => null, (e) => e);
      const actual = await worker.batch(ops).then(() => null, (e) => e);
      const name = `bad operation ${n}`;
      assert.ok(expected instanceof StrataError && expected.code === 'STRATA_INVALID_ARGUMENT', name);
      assert.ok(actual instanceof StrataError, `${name}: ${actual}`);
      assert.equal(actual.code, expected.code, name);
      assert.equal(actual.message, expected.message, name);
      if (/operation/.test(expected.message)) assert.match(actual.message, /operation 500\b/);
    }
    assert.deepEqual(await worker.keys().all(), [], 'nothing of a refused batch is written');
    assert.deepEqual(await local.keys().all(), []);
  } finally {
    await worker.close();
    await local.close();
  }
});

test('worker_batch_leaves_the_callers_arrays_attached_and_unchanged', async () => {
  const db = await open(tempDir(), { worker: true });
  try {
    const ops = Array.from({ length: 100 }, (_, i) => ({ type: 'put', key: new Uint8Array([i, 1, 2]), value: Buffer.from(`v${i}`) }));
    await db.batch(ops);
    const chained = db.batch();
    for (const op of ops) chained.put(op.key, op.value);
    await chained.write();
    ops.forEach((op, i) => {
      assert.deepEqual([...op.key], [i, 1, 2]);
      assert.equal(op.key.buffer.byteLength, 3);
      assert.equal(op.value.toString(), `v${i}`);
    });
    assert.equal((await db.keys().all()).length, 100);
  } finally {
    await db.close();
  }
});
