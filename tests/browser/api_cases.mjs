// The package's JS API, method by method, as a page or a worker sees it in a browser: run by
// api.test.mjs (through tests/browser/harness.mjs) in a page (calls proxied to the package's
// worker) and in a worker (the engine in that thread), for each backend. `strata` is the
// package's browser entry as the caller imported it (a relative path, an import map, a bundle).
// Returns { passed: [names], failed: [{ name, message }] }.
export async function apiCases(strata, { backend, prefix = 'api', options = {}, expectBuild }) {
  const { open, StrataError } = strata;
  const passed = [];
  const failed = [];
  let n = 0;
  const name = () => `${prefix}-${backend}-${Date.now().toString(36)}-${n++}`;
  const opts = (o = {}) => ({ backend, ...options, ...o });
  const fail = (message) => { throw new Error(message); };
  const eq = (a, b, what) => {
    const sa = JSON.stringify(a, (k, v) => (v instanceof Uint8Array ? `bytes:${[...v]}` : v));
    const sb = JSON.stringify(b, (k, v) => (v instanceof Uint8Array ? `bytes:${[...v]}` : v));
    if (sa !== sb) fail(`${what}: expected ${sb}, got ${sa}`);
  };
  const ok = (c, what) => { if (!c) fail(what); };
  const rejects = async (p, code, what, re) => {
    try {
      await (typeof p === 'function' ? p() : p);
    } catch (e) {
      if (!(e instanceof StrataError)) fail(`${what}: expected a StrataError, got ${e?.name}: ${e?.message}`);
      if (e.code !== code) fail(`${what}: expected ${code}, got ${e.code}: ${e.message}`);
      if (re && !re.test(e.message)) fail(`${what}: message ${JSON.stringify(e.message)} does not match ${re}`);
      return e;
    }
    return fail(`${what}: expected ${code}, but it succeeded`);
  };
  const text = (b) => new TextDecoder().decode(b);

  const cases = {
    async 'put, get, has, del, getMany with strings and bytes'() {
      const db = await open(name(), opts());
      try {
        await db.put('a', 'apple');
        await db.put(new Uint8Array([0, 1, 2]), new Uint8Array([9, 8, 7]));
        await db.put('', 'empty key is a key');
        const v = await db.get('a');
        ok(v instanceof Uint8Array, 'get returns a Uint8Array');
        eq(text(v), 'apple', 'get');
        eq(await db.get('a', { valueEncoding: 'utf8' }), 'apple', 'get utf8');
        eq([...await db.get(new Uint8Array([0, 1, 2]))], [9, 8, 7], 'binary key');
        eq(await db.get('', { valueEncoding: 'utf8' }), 'empty key is a key', 'empty key');
        eq(await db.get('missing'), undefined, 'missing key');
        eq(await db.has('a'), true, 'has');
        eq(await db.has('missing'), false, 'has missing');
        await db.del('a');
        eq(await db.get('a'), undefined, 'deleted');
        await db.del('never-there');
        eq(await db.getMany(['', 'a', 'zzz'], { valueEncoding: 'utf8' }), ['empty key is a key', undefined, undefined], 'getMany');
      } finally {
        await db.close();
      }
    },

    async 'large values and UTF-8 text cross intact; values read come as their own buffers'() {
      const db = await open(name(), opts({ valueEncoding: 'utf8' }));
      try {
        const big = 'x'.repeat(300_000) + 'é';
        await db.put('big', big);
        await db.put('ключ', 'значение ✓');
        eq(await db.get('big'), big, 'big value');
        eq(await db.get('ключ'), 'значение ✓', 'utf-8');
        const bytes = new Uint8Array(100_000).map((_, i) => i & 0xff);
        await db.put('bytes', bytes);
        ok(bytes.byteLength === 100_000, 'the caller\'s buffer is not detached by a put');
        const back = await db.get('bytes', { valueEncoding: 'buffer' });
        eq(back.byteLength, 100_000, 'length');
        ok(back.buffer.byteLength === back.byteLength && back.every((x, i) => x === (i & 0xff)), 'the value owns its buffer and is intact');
      } finally {
        await db.close();
      }
    },

    async 'batch: atomic, one call; bad operations refused before anything is written'() {
      const db = await open(name(), opts({ valueEncoding: 'utf8' }));
      try {
        await db.put('gone', 'x');
        const ops = [];
        for (let i = 0; i < 1000; i++) ops.push({ type: 'put', key: `k${String(i).padStart(4, '0')}`, value: `v${i}` });
        ops.push({ type: 'del', key: 'gone' });
        await db.batch(ops);
        eq(await db.get('k0999'), 'v999', 'batch put');
        eq(await db.get('gone'), undefined, 'batch del');
        await rejects(db.batch([{ type: 'put', key: 'ok', value: '1' }, { type: 'bogus', key: 'x' }]), 'STRATA_INVALID_ARGUMENT', 'bad op type', /operation 1/);
        eq(await db.get('ok'), undefined, 'nothing of a refused batch is written');
        await rejects(db.batch('nope'), 'STRATA_INVALID_ARGUMENT', 'batch of a string');
      } finally {
        await db.close();
      }
    },

    async 'batch and getMany of byte arrays: every operation type, misses and refusals, values in their own buffers'() {
      // from a page these cross packed in one buffer each way (worker_pack.js)
      const db = await open(name(), opts({ keyEncoding: 'buffer', valueEncoding: 'buffer' }));
      try {
        const k = (i) => Uint8Array.of(0x6b, i >> 8, i & 0xff);
        await db.put(k(5000), Uint8Array.of(1));
        await db.put(k(5001), Uint8Array.of(2));
        const ops = [];
        for (let i = 0; i < 1000; i++) ops.push({ type: 'put', key: k(i), value: new Uint8Array(i % 7).fill(i & 0xff) });
        ops.push({ type: 'del', key: k(5000) }, { type: 'singleDel', key: k(5001) });
        const view = new Uint8Array(new ArrayBuffer(10), 3, 3).fill(9); // a view into a larger buffer
        ops.push({ type: 'put', key: k(2000), value: view });
        await db.batch(ops);
        ok(ops[0].key.byteLength === 3 && view.byteLength === 3, 'the caller\'s arrays are not detached by a batch');
        const got = await db.getMany([k(999), k(5000), k(5001), k(7), k(2000), k(3000)]);
        eq(got, [new Uint8Array(999 % 7).fill(999 & 0xff), undefined, undefined, new Uint8Array(0), Uint8Array.of(9, 9, 9), undefined], 'getMany after the batch');
        ok(got.every((v) => v === undefined || (v.byteOffset === 0 && v.buffer.byteLength === v.byteLength)), 'each value owns its buffer');
        await rejects(db.batch([{ type: 'put', key: k(4000), value: Uint8Array.of(1) }, { type: 'put', key: k(4001), value: null }]), 'STRATA_INVALID_ARGUMENT', 'a null value', /must not be null/);
        eq(await db.getMany([k(4000)]), [undefined], 'nothing of a refused batch is written');
        const cb = db.batch();
        cb.put(k(4002), Uint8Array.of(4)).del(k(999));
        await cb.write();
        eq(await db.getMany([k(4002), k(999)]), [Uint8Array.of(4), undefined], 'a chained batch of byte arrays');
      } finally {
        await db.close();
      }
    },

    async 'requests keep their order: snapshot() and iterator() are synchronous and see the writes issued before them'() {
      const db = await open(name(), opts({ valueEncoding: 'utf8', keyEncoding: 'utf8' }));
      try {
        const writes = [];
        for (let i = 0; i < 200; i++) writes.push(db.put('counter', String(i)));
        db.put('a', '1');
        const snap = db.snapshot();
        const it = db.iterator({ gte: 'a', lt: 'b' });
        db.put('a', '2');
        await Promise.all(writes);
        eq(await db.get('counter'), '199', 'the last write wins');
        eq(await db.get('a'), '2', 'latest');
        eq(await snap.get('a'), '1', 'the snapshot sees the write before it');
        eq(await snap.getMany(['a', 'counter']), ['1', '199'], 'snapshot getMany');
        eq(await snap.has('a'), true, 'snapshot has');
        eq(await it.all(), [['a', '1']], 'the iterator sees the write before it only');
        eq(await db.iterator({ snapshot: snap }).all(), [['a', '1'], ['counter', '199']], 'iterator over a snapshot');
        snap.close();
        await rejects(snap.get('a'), 'STRATA_NOT_OPEN', 'a closed snapshot');
      } finally {
        await db.close();
      }
    },

    async 'iterators: bounds, prefix, reverse, limit, seek, keys, values, pages'() {
      const db = await open(name(), opts({ valueEncoding: 'utf8', keyEncoding: 'utf8' }));
      try {
        const ops = [];
        for (let i = 0; i < 1000; i++) ops.push({ type: 'put', key: `k${String(i).padStart(4, '0')}`, value: `v${i}` });
        ops.push({ type: 'put', key: 'p/1', value: 'one' }, { type: 'put', key: 'p/2', value: 'two' }, { type: 'put', key: 'q', value: 'q' });
        await db.batch(ops);
        eq(await db.keys({ gt: 'k0001', lte: 'k0004' }).all(), ['k0002', 'k0003', 'k0004'], 'gt/lte');
        eq(await db.keys({ gte: 'k0001', lt: 'k0003' }).all(), ['k0001', 'k0002'], 'gte/lt');
        eq(await db.iterator({ prefix: 'p/' }).all(), [['p/1', 'one'], ['p/2', 'two']], 'prefix');
        eq(await db.keys({ prefix: 'p/', reverse: true }).all(), ['p/2', 'p/1'], 'reverse');
        eq(await db.values({ lt: 'k0003', limit: 2 }).all(), ['v0', 'v1'], 'limit');
        eq(await db.keys({ reverse: true, limit: 1 }).all(), ['q'], 'reverse limit');
        const it = db.keys({ lt: 'p' });
        it.seek('k0990');
        eq(await it.nextv(3), ['k0990', 'k0991', 'k0992'], 'seek then nextv');
        eq(await it.next(), 'k0993', 'next');
        it.seek('a');
        eq(await it.next(), 'k0000', 'seek back');
        await it.close();
        await rejects(it.next(), 'STRATA_NOT_OPEN', 'a closed iterator');
        let count = 0;
        let last = '';
        for await (const [k, v] of db.iterator({ prefix: 'k' })) {
          ok(k > last && v === `v${Number(k.slice(1))}`, `entry ${k}`);
          last = k;
          count++;
        }
        eq(count, 1000, 'for await reads every entry (in pages)');
        const bin = await db.iterator({ prefix: 'p/', keyEncoding: 'buffer', valueEncoding: 'buffer' }).all();
        ok(bin[0][0] instanceof Uint8Array && text(bin[0][1]) === 'one', 'buffer encodings');
        await rejects(() => db.iterator({ limit: 'x' }).next(), 'STRATA_INVALID_ARGUMENT', 'a bad iterator option');
      } finally {
        await db.close();
      }
    },

    async 'clear, flush, compact and stats'() {
      const db = await open(name(), opts({ valueEncoding: 'utf8', keyEncoding: 'utf8' }));
      try {
        const ops = [];
        for (let i = 0; i < 3000; i++) ops.push({ type: 'put', key: `k${String(i).padStart(5, '0')}`, value: 'v'.repeat(50) });
        await db.batch(ops);
        await db.clear({ gte: 'k00100', lt: 'k02900' });
        eq((await db.keys().all()).length, 200, 'clear removed the range only');
        await db.flush();
        let stats = await db.stats();
        ok(stats.flushes >= 1 && Array.isArray(stats.levels), `stats after flush: ${JSON.stringify(stats.flushes)}`);
        await db.compact({ major: true });
        stats = await db.stats();
        ok(stats.levels.some((l) => l.tables > 0), 'tables after a major compaction');
        eq(await db.get('k02999'), 'v'.repeat(50), 'data after compaction');
        await db.clear();
        eq(await db.keys().all(), [], 'clear everything');
        await rejects(db.compact({ major: 'yes' }), 'STRATA_INVALID_ARGUMENT', 'compact with a bad option');
      } finally {
        await db.close();
      }
    },

    async 'sizeOf: value lengths from the handles of a separated database, no blob read'() {
      const db = await open(name(), opts({ keyEncoding: 'utf8', kvSeparation: { threshold: 64 } }));
      try {
        await db.put('big', 'b'.repeat(5000));
        await db.put('small', 'tiny');
        await db.put('gone', 'g'.repeat(300));
        await db.del('gone');
        await db.flush();
        const reads = (await db.stats()).blobs.reads;
        const snap = db.snapshot();
        await db.put('big', 'B'.repeat(7000));
        eq([await db.sizeOf('big'), await db.sizeOf('small'), await db.sizeOf('gone'), await db.sizeOf('nope')],
          [7000, 4, undefined, undefined], 'sizes');
        eq([await db.sizeOf('big', { snapshot: snap }), await snap.sizeOf('big')], [5000, 5000], 'sizes at a snapshot');
        eq((await db.stats()).blobs.reads, reads, 'no blob read');
        snap.close();
        await rejects(db.sizeOf(42), 'STRATA_INVALID_ARGUMENT', 'a number key', /key must be a string/);
      } finally {
        await db.close();
      }
    },

    async 'bad input is refused with STRATA_INVALID_ARGUMENT naming what was wrong'() {
      await rejects(open('', opts()), 'STRATA_INVALID_ARGUMENT', 'an empty name');
      await rejects(open('a/b', opts()), 'STRATA_INVALID_ARGUMENT', 'a name with a slash', /'\/'/);
      await rejects(open(name(), opts({ backend: 'floppy' })), 'STRATA_INVALID_ARGUMENT', 'an unknown backend', /backend/);
      await rejects(open(name(), opts({ memtableSize: 1 })), 'STRATA_INVALID_ARGUMENT', 'a bad memtableSize', /memtableSize/);
      await rejects(open(name(), opts({ compression: 'zip' })), 'STRATA_INVALID_ARGUMENT', 'a bad compression', /compression/);
      const db = await open(name(), opts());
      try {
        await rejects(db.put(null, 'x'), 'STRATA_INVALID_ARGUMENT', 'a null key');
        await rejects(db.put('k', 42), 'STRATA_INVALID_ARGUMENT', 'a number value');
        await rejects(db.get('k'.repeat(70_000)), 'STRATA_INVALID_ARGUMENT', 'a key over the limit', /65535/);
        await rejects(db.getMany('k'), 'STRATA_INVALID_ARGUMENT', 'getMany of a string');
        await rejects(db.get('k', { snapshot: {} }), 'STRATA_INVALID_ARGUMENT', 'a foreign snapshot');
      } finally {
        await db.close();
      }
    },

    async 'close: twice is fine, everything after it is STRATA_NOT_OPEN'() {
      const db = await open(name(), opts());
      await db.put('k', 'v');
      const it = db.iterator();
      await db.close();
      await db.close();
      eq(db.status, 'closed', 'status');
      await rejects(db.get('k'), 'STRATA_NOT_OPEN', 'get after close');
      await rejects(db.put('k', 'v'), 'STRATA_NOT_OPEN', 'put after close');
      await rejects(it.next(), 'STRATA_NOT_OPEN', 'an iterator after close');
      await rejects(() => db.snapshot(), 'STRATA_NOT_OPEN', 'snapshot after close');
    },
  };

  if (expectBuild) {
    cases[`the cases ran on the ${expectBuild} build`] = async () => {
      const db = await open(name(), opts());
      try {
        eq(db.build, expectBuild, 'db.build');
      } finally {
        await db.close();
      }
    };
  }

  // every backend: a memory database too lives, by name, in its context until deleteDatabase
  cases['data survives close and reopen; listDatabases and deleteDatabase; an open database cannot be deleted'] = async () => {
    const { listDatabases, deleteDatabase } = strata;
    const db1 = name();
    let db = await open(db1, opts({ valueEncoding: 'utf8' }));
    await db.put('kept', 'yes');
    await db.batch([{ type: 'put', key: 'also', value: 'kept' }]);
    await db.close();
    db = await open(db1, opts({ valueEncoding: 'utf8' }));
    eq(await db.get('kept'), 'yes', 'after reopen');
    eq(await db.get('also'), 'kept', 'a batch after reopen');
    ok((await listDatabases()).includes(db1), 'listDatabases names it');
    await rejects(deleteDatabase(db1, { lockTimeoutMs: 50 }), 'STRATA_LOCKED', 'deleting an open database', new RegExp(db1));
    await db.close();
    eq(await deleteDatabase(db1), true, 'deleted');
    ok(!(await listDatabases()).includes(db1), 'gone from the list');
    eq(await deleteDatabase(db1), false, 'deleting it again finds nothing');
    db = await open(db1, opts({ valueEncoding: 'utf8' }));
    eq(await db.get('kept'), undefined, 'a deleted database reopens empty');
    await db.close();
    await deleteDatabase(db1);
    await rejects(deleteDatabase('a/b'), 'STRATA_INVALID_ARGUMENT', 'a bad name');
  };

  for (const [title, fn] of Object.entries(cases)) {
    try {
      await fn();
      passed.push(title);
    } catch (e) {
      failed.push({ name: title, message: `${e?.name}: ${e?.message}\n${e?.stack ?? ''}` });
    }
  }
  return { passed, failed };
}
