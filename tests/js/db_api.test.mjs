// The strata-lsm API, method by method, including bad input and use after close.
// Runs against the package's engine when it has the database layer, otherwise against the test
// module with the test double of src/db (see tests/js/helpers.mjs, engineFor).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { StrataError, open as openPkg } from '../../bindings/js/src/index.js';
import { engineFor, removeTempDirs, root, tempDir } from './helpers.mjs';

let engine;
before(async () => {
  engine = await engineFor(false);
  console.log(`# database tests run against: ${engine.name}`);
});
after(() => removeTempDirs());

const open = (loc, opts = {}) => openPkg(loc, { ...opts, _moduleUrl: engine.moduleUrl });
const utf8 = (b) => Buffer.from(b).toString('utf8');
const code = (c) => (e) => { assert.ok(e instanceof StrataError, `expected a StrataError, got ${e}`); assert.equal(e.code, c, e.message); return true; };

describe('reads and writes', () => {
  test('put, get, has, del, getMany with strings and bytes', async () => {
    const db = await open(tempDir());
    try {
      await db.put('a', 'apple');
      await db.put(new Uint8Array([0, 1, 2]), new Uint8Array([9, 8, 7]));
      await db.put('', 'empty key is a key');
      const v = await db.get('a');
      assert.ok(v instanceof Uint8Array);
      assert.equal(utf8(v), 'apple');
      assert.equal(await db.get('a', { valueEncoding: 'utf8' }), 'apple');
      assert.deepEqual([...await db.get(new Uint8Array([0, 1, 2]))], [9, 8, 7]);
      assert.equal(await db.get('', { valueEncoding: 'utf8' }), 'empty key is a key');
      assert.equal(await db.get('missing'), undefined);
      assert.equal(await db.has('a'), true);
      assert.equal(await db.has('missing'), false);
      await db.del('a');
      assert.equal(await db.get('a'), undefined);
      assert.equal(await db.has('a'), false);
      await db.del('never-there'); // deleting a missing key is fine
      assert.deepEqual(await db.getMany(['', 'a', 'zzz'], { valueEncoding: 'utf8' }), ['empty key is a key', undefined, undefined]);
    } finally {
      await db.close();
    }
  });

  test('values of every size, including larger than the reusable buffers, and UTF-8 text', async () => {
    const db = await open(tempDir(), { valueEncoding: 'utf8' });
    try {
      const big = 'x'.repeat(200_000) + 'é';
      await db.put('big', big);
      await db.put('ключ', 'значение ✓');
      await db.put('zero', '');
      assert.equal(await db.get('big'), big);
      assert.equal(await db.get('ключ'), 'значение ✓');
      assert.equal(await db.get('zero'), '');
      const maxKey = 'k'.repeat(65535);
      await db.put(maxKey, 'longest key');
      assert.equal(await db.get(maxKey), 'longest key');
    } finally {
      await db.close();
    }
  });

  test('batch applies puts and dels together; a bad operation applies nothing', async () => {
    const db = await open(tempDir(), { valueEncoding: 'utf8' });
    try {
      await db.put('gone', 'soon');
      await db.batch([{ type: 'put', key: 'a', value: '1' }, { type: 'put', key: 'b', value: '2' }, { type: 'del', key: 'gone' },
        { type: 'put', key: 'a', value: 'last wins' }]);
      assert.deepEqual(await db.getMany(['a', 'b', 'gone']), ['last wins', '2', undefined]);
      await assert.rejects(db.batch([{ type: 'put', key: 'c', value: '3' }, { type: 'nope', key: 'd' }]), code('STRATA_INVALID_ARGUMENT'));
      await assert.rejects(db.batch([{ type: 'put', key: 'c', value: '3' }, { type: 'put', key: 'd' }]), code('STRATA_INVALID_ARGUMENT'));
      await assert.rejects(db.batch('not an array'), code('STRATA_INVALID_ARGUMENT'));
      await assert.rejects(db.batch([null]), code('STRATA_INVALID_ARGUMENT'));
      assert.equal(await db.get('c'), undefined, 'nothing of a rejected batch was written');
      await db.batch([]);
    } finally {
      await db.close();
    }
  });

  test('bad keys and values are STRATA_INVALID_ARGUMENT naming the key, and lose nothing', async () => {
    const db = await open(tempDir(), { valueEncoding: 'utf8' });
    try {
      await db.put('keep', 'me');
      for (const bad of [null, undefined, 42, {}, [], true, Symbol('s')]) {
        await assert.rejects(db.put(bad, 'v'), code('STRATA_INVALID_ARGUMENT'));
        await assert.rejects(db.get(bad), code('STRATA_INVALID_ARGUMENT'));
        await assert.rejects(db.del(bad), code('STRATA_INVALID_ARGUMENT'));
        await assert.rejects(db.has(bad), code('STRATA_INVALID_ARGUMENT'));
      }
      await assert.rejects(db.put('k', undefined), (e) => code('STRATA_INVALID_ARGUMENT')(e) && /"k"/.test(e.message));
      await assert.rejects(db.put('k', null), code('STRATA_INVALID_ARGUMENT'));
      await assert.rejects(db.put('k', 12), code('STRATA_INVALID_ARGUMENT'));
      await assert.rejects(db.put('o'.repeat(65536), 'v'), (e) => code('STRATA_INVALID_ARGUMENT')(e) && /65536 bytes/.test(e.message));
      await assert.rejects(db.put(new Uint8Array(70000), 'v'), code('STRATA_INVALID_ARGUMENT'));
      await assert.rejects(db.getMany('k'), code('STRATA_INVALID_ARGUMENT'));
      await assert.rejects(db.get('k', { valueEncoding: 'latin9' }), code('STRATA_INVALID_ARGUMENT'));
      assert.equal(await db.get('keep'), 'me');
      // Other typed arrays are viewed as their bytes.
      await db.put(new Uint16Array([0x6261]), new Float64Array([1]));
      assert.equal((await db.get('ab', { valueEncoding: 'buffer' })).length, 8);
    } finally {
      await db.close();
    }
  });

  test('bad open arguments', async () => {
    await assert.rejects(open(''), code('STRATA_INVALID_ARGUMENT'));
    await assert.rejects(open(42), code('STRATA_INVALID_ARGUMENT'));
    await assert.rejects(open(tempDir(), { compression: 'zstd' }), code('STRATA_INVALID_ARGUMENT'));
    await assert.rejects(open(tempDir(), { memtableSize: -1 }), code('STRATA_INVALID_ARGUMENT'));
    await assert.rejects(open(tempDir(), { backend: 'floppy' }), code('STRATA_INVALID_ARGUMENT'));
    await assert.rejects(open(path.join(tempDir(), 'nope'), { createIfMissing: false }), code('STRATA_NOT_FOUND'));
  });

  test('errorIfExists refuses an existing database', async () => {
    const dir = tempDir();
    const db = await open(dir, { errorIfExists: true });
    await db.put('k', 'v');
    await db.close();
    await assert.rejects(open(dir, { errorIfExists: true }), code('STRATA_EXISTS'));
    const again = await open(dir); // and the failed open released the lock
    await again.close();
  });
});

describe('close', () => {
  test('every method after close is STRATA_NOT_OPEN; close twice is fine; reopen works', async () => {
    const dir = tempDir();
    const db = await open(dir);
    await db.put('k', 'v');
    const it = db.iterator();
    const snap = db.snapshot();
    await db.close();
    await db.close();
    assert.equal(db.status, 'closed');
    for (const call of [() => db.put('a', 'b'), () => db.get('k'), () => db.del('k'), () => db.has('k'), () => db.getMany(['k']),
      () => db.batch([]), () => db.clear(), () => db.flush(), () => db.compact(), () => it.next(), () => it.nextv(2), () => it.all(),
      () => snap.get('k')]) {
      await assert.rejects(call(), code('STRATA_NOT_OPEN'));
    }
    for (const call of [() => db.snapshot(), () => db.iterator(), () => db.keys(), () => db.stats(), () => it.seek('a'), () => snap.iterator()]) {
      assert.throws(call, code('STRATA_NOT_OPEN'));
    }
    const db2 = await open(dir, { valueEncoding: 'utf8' });
    assert.equal(await db2.get('k'), 'v');
    await db2.close();
  });

  test('an iterator closed by the user reports STRATA_NOT_OPEN; closing it twice is fine', async () => {
    const db = await open(tempDir());
    try {
      await db.put('a', '1');
      const it = db.iterator();
      await it.close();
      await it.close();
      await assert.rejects(it.next(), code('STRATA_NOT_OPEN'));
      assert.throws(() => it.seek('a'), code('STRATA_NOT_OPEN'));
    } finally {
      await db.close();
    }
  });

  test('Symbol.asyncDispose closes databases and snapshots', async () => {
    const dir = tempDir();
    const db = await open(dir);
    const snap = db.snapshot();
    await snap[Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose')]();
    await assert.rejects(snap.get('k'), code('STRATA_NOT_OPEN'));
    await db[Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose')]();
    assert.equal(db.status, 'closed');
  });
});

describe('persistence and backends', () => {
  test('data survives close and reopen (flush, then more writes)', async () => {
    const dir = tempDir();
    let db = await open(dir, { compression: 'lz4', bloomBitsPerKey: 10, memtableSize: 1 << 20, blockCacheSize: 1 << 20 });
    for (let i = 0; i < 500; i++) await db.put(`key${String(i).padStart(4, '0')}`, `value ${i}`);
    await db.flush();
    for (let i = 500; i < 600; i++) await db.put(`key${String(i).padStart(4, '0')}`, `value ${i}`);
    await db.del('key0007');
    await db.close();
    db = await open(dir, { valueEncoding: 'utf8' });
    try {
      assert.equal(await db.get('key0000'), 'value 0');
      assert.equal(await db.get('key0599'), 'value 599');
      assert.equal(await db.get('key0007'), undefined);
      assert.equal((await db.keys().all()).length, 599);
      assert.ok(fs.readdirSync(dir).length > 0, 'the database is real files in its folder');
    } finally {
      await db.close();
    }
  });

  test("':memory:' and backend 'memory' keep nothing on disk and are independent", async () => {
    const a = await open(':memory:', { valueEncoding: 'utf8' });
    const b = await open('ignored-name', { backend: 'memory', valueEncoding: 'utf8' });
    try {
      await a.put('k', 'a');
      await b.put('k', 'b');
      assert.equal(await a.get('k'), 'a');
      assert.equal(await b.get('k'), 'b');
      assert.equal(a.location, ':memory:');
      assert.equal(fs.existsSync('ignored-name'), false);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('flush, compact, stats', async () => {
    const db = await open(tempDir());
    try {
      for (let i = 0; i < 100; i++) await db.put(`k${i}`, 'v'.repeat(100));
      await db.flush();
      await db.compact({ major: true });
      const s = db.stats();
      assert.ok(Array.isArray(s.levels) && s.levels.length >= 1);
      for (const l of s.levels) for (const f of ['level', 'tables', 'bytes']) assert.equal(typeof l[f], 'number');
      assert.equal(typeof s.memtable.bytes, 'number');
      assert.equal(typeof s.cache.hits, 'number');
      assert.equal(typeof s.cache.misses, 'number');
      assert.ok(s.bytesWritten.user >= 100 * 100);
      assert.ok(s.writeAmplification > 0);
      assert.ok(s.compactions >= 1, "compact({ major: true }) compacted");
      assert.equal(s.levels[0].tables, 0);
      assert.ok(s.flushes >= 1);
    } finally {
      await db.close();
    }
  });

  test('the CommonJS entry opens the same kind of database', async () => {
    const require = createRequire(import.meta.url);
    const cjs = require(path.join(root, 'bindings/js/src/index.cjs'));
    const db = await cjs.open(tempDir(), { _moduleUrl: engine.moduleUrl, valueEncoding: 'utf8' });
    try {
      await db.put('k', 'from cjs');
      assert.equal(await db.get('k'), 'from cjs');
      await assert.rejects(db.put(null, 'x'), (e) => e instanceof cjs.StrataError && e instanceof StrataError);
    } finally {
      await db.close();
    }
  });
});

test('threads: true loads the pthreads build, works, and close lets the process exit', async () => {
  const mt = await engineFor(true);
  const db = await openPkg(tempDir(), { threads: true, valueEncoding: 'utf8', _moduleUrl: mt.moduleUrl });
  try {
    for (let i = 0; i < 200; i++) await db.put(`k${i}`, `v${i}`);
    await db.flush();
    assert.equal(await db.get('k150'), 'v150');
    assert.equal((await db.keys().all()).length, 200);
  } finally {
    await db.close(); // terminates the pthread pool; a leftover worker would keep the runner alive
  }
});

test('single-threaded build: sealed memtables are flushed by maintenance steps between requests', async () => {
  const db = await open(tempDir(), { memtableSize: 4096 });
  try {
    // One put past the memtable's size seals it (a second would meet the default limit of one
    // sealed memtable and flush inline); awaiting it yields to microtasks only, so no step runs.
    await db.put('k1', 'v'.repeat(5000));
    const before = db.stats();
    assert.ok(before.memtable.sealed >= 1, `sealed ${before.memtable.sealed}`);
    assert.equal(before.flushes, 0);
    let turns = 0;
    while (db.stats().memtable.sealed > 0 && turns < 100) {
      await new Promise((r) => setImmediate(r));
      turns++;
    }
    const afterSteps = db.stats();
    assert.equal(afterSteps.memtable.sealed, 0, 'the steps continued until no work remained');
    assert.ok(afterSteps.flushes >= 1, 'flushed without db.flush()');
    assert.ok(afterSteps.levels.some((l) => l.tables > 0));
    assert.equal(await db.get('k1', { valueEncoding: 'utf8' }), 'v'.repeat(5000));
  } finally {
    await db.close();
  }
});

test('a damaged table surfaces as STRATA_CORRUPTION naming the file, from an iterator page', async () => {
  const dir = tempDir();
  let db = await open(dir, { compression: 'none' });
  for (let i = 0; i < 2000; i++) await db.put(`k${String(i).padStart(5, '0')}`, 'v'.repeat(200));
  await db.flush();
  await db.close();
  const tables = path.join(dir, 'tables');
  const [name] = fs.readdirSync(tables);
  const file = path.join(tables, name);
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.alloc(64, 0xab), 0, 64, 5000); // inside the second data block
  fs.closeSync(fd);
  db = await open(dir, { valueEncoding: 'utf8' });
  try {
    await assert.rejects(db.keys().all(), (e) => code('STRATA_CORRUPTION')(e) && e.message.includes(file));
    assert.equal(await db.get('k00000'), 'v'.repeat(200), 'undamaged blocks still read');
  } finally {
    await db.close();
  }
});
