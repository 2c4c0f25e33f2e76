// The package API of issue 16 through the public entries, in-thread, in a worker, with threads
// and from CommonJS, including bad input: createIfMissing, singleDel, dropRange and the exact
// clear, compaction filters, getSync, hasMany, the chained batch, AbortSignal on iterators,
// Symbol.asyncDispose, errors' causes and compact's onProgress.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { StrataError, open } from '../../bindings/js/src/index.js';
import { StrataLevel } from '../../bindings/js/src/level.js';
import { removeTempDirs, root, tempDir, strataError as code } from './helpers.mjs';

after(() => removeTempDirs());

const asyncDispose = Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose');
const SMALL = { memtableSize: 4096, valueEncoding: 'utf8', keyEncoding: 'utf8' };
const key = (i) => `k${String(i).padStart(5, '0')}`;

async function fill(db, from, to, value = (i) => `v${i}`) {
  const b = db.batch();
  for (let i = from; i < to; i++) b.put(key(i), value(i));
  await b.write();
}

describe('createIfMissing: false', () => {
  test('an existing folder that holds no database is STRATA_NOT_FOUND naming it, and stays empty', async () => {
    const dir = tempDir();
    await assert.rejects(open(dir, { createIfMissing: false }), code('STRATA_NOT_FOUND', new RegExp(`${dir}.*does not exist.*holds no database`)));
    assert.deepEqual(fs.readdirSync(dir), []);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a database');
    await assert.rejects(open(dir, { createIfMissing: false }), code('STRATA_NOT_FOUND'));
    const missing = path.join(dir, 'nope');
    await assert.rejects(open(missing, { createIfMissing: false }), code('STRATA_NOT_FOUND', /does not exist/));
    assert.ok(!fs.existsSync(missing));
    const db = await open(dir);
    await db.put('k', 'v');
    await db.close();
    const again = await open(dir, { createIfMissing: false, valueEncoding: 'utf8' });
    assert.equal(await again.get('k'), 'v');
    await again.close();
    await assert.rejects(open(dir, { createIfMissing: 'no' }), code('STRATA_INVALID_ARGUMENT', /createIfMissing/));
  });

  test('strata-lsm/level refuses it with LEVEL_DATABASE_NOT_OPEN whose cause says the database does not exist', async () => {
    const db = new StrataLevel(tempDir(), { createIfMissing: false });
    await assert.rejects(db.open(), (e) => e.code === 'LEVEL_DATABASE_NOT_OPEN' && e.cause instanceof StrataError &&
      e.cause.code === 'STRATA_NOT_FOUND' && /does not exist/.test(e.cause.message));
    await db.close();
  });
});

describe('singleDel', () => {
  test('removes a key written once, in a batch, chained, across flush, compaction and reopen', async () => {
    const dir = tempDir();
    let db = await open(dir, SMALL);
    await fill(db, 0, 300);
    await db.flush();
    await db.singleDel(key(1));
    await db.batch([{ type: 'singleDel', key: key(2) }, { type: 'put', key: 'x', value: 'y' }]);
    await db.batch().singleDel(key(3)).write();
    assert.deepEqual(await db.getMany([key(0), key(1), key(2), key(3), 'x']), ['v0', undefined, undefined, undefined, 'y']);
    await db.compact({ major: true });
    assert.equal(await db.get(key(1)), undefined);
    await db.close();
    db = await open(dir, SMALL);
    assert.deepEqual(await db.getMany([key(1), key(2), key(3), key(4)]), [undefined, undefined, undefined, 'v4']);
    await assert.rejects(db.singleDel(undefined), code('STRATA_INVALID_ARGUMENT'));
    await assert.rejects(db.singleDel('a'.repeat(70000)), code('STRATA_INVALID_ARGUMENT', /65535/));
    await assert.rejects(db.batch([{ type: 'single', key: 'a' }]), code('STRATA_INVALID_ARGUMENT', /'put', 'del' or 'singleDel'/));
    await db.close();
    await assert.rejects(db.singleDel('a'), code('STRATA_NOT_OPEN'));
  });
});

describe('dropRange and clear', () => {
  // One table over k00000..k00999 in the last level; then newer versions of k00500..k00509
  // alone in a level-0 table, which lies wholly inside [k00500, k00510).
  async function layered(dir) {
    const db = await open(dir, { ...SMALL, memtableSize: 1 << 20 });
    await fill(db, 0, 1000, () => 'old');
    await db.compact({ major: true });
    await fill(db, 500, 510, () => 'new');
    await db.flush();
    return db;
  }
  const range = { gte: key(500), lt: key(510) };

  test('dropRange drops whole tables only: older versions below reappear, memtable keys stay', async () => {
    const db = await layered(tempDir());
    const before = db.snapshot();
    await db.put(key(505), 'memtable');
    await db.dropRange(range);
    assert.equal(await db.get(key(500)), 'old', 'the dropped table held the newest version; the older one is visible again');
    assert.equal(await db.get(key(505)), 'memtable', 'memtable keys are not dropped');
    assert.equal(await before.get(key(500)), 'new', 'a snapshot taken before keeps reading the dropped table');
    before.close();
    await db.dropRange({ gte: key(100), lt: key(200) }); // inside the big table, which reaches past it: nothing dropped
    assert.equal(await db.get(key(150)), 'old');
    await db.dropRange({ prefix: 'zzz' });
    await assert.rejects(db.dropRange({ ...range, limit: 3 }), code('STRATA_INVALID_ARGUMENT', /limit is not a range option/));
    await assert.rejects(db.dropRange({ gt: null }), code('STRATA_INVALID_ARGUMENT'));
    await assert.rejects(db.dropRange('all'), code('STRATA_INVALID_ARGUMENT'));
    await db.dropRange(); // every table: only the memtable is left
    assert.deepEqual(await db.keys().all(), [key(505)]);
    await db.close();
  });

  test('clear is exact: the range is empty when it resolves, older versions included, the rest intact', async () => {
    const db = await layered(tempDir());
    const tablesBefore = db.stats().levels.reduce((n, l) => n + l.tables, 0);
    await db.put(key(507), 'memtable');
    await db.clear(range);
    assert.deepEqual(await db.keys(range).all(), []);
    assert.equal(db.stats().levels.reduce((n, l) => n + l.tables, 0), tablesBefore - 1, 'the level-0 table was dropped, not rewritten');
    assert.equal(await db.get(key(499)), 'old');
    assert.equal(await db.get(key(510)), 'old');
    assert.equal((await db.keys().all()).length, 990);
    // with a limit nothing is dropped: exactly `limit` keys go, from the start of the range
    await db.clear({ gte: key(0), lt: key(100), limit: 10 });
    assert.equal(await db.get(key(9)), undefined);
    assert.equal(await db.get(key(10)), 'old');
    await db.clear({ gte: key(0), lt: key(100), limit: 5, reverse: true });
    assert.deepEqual(await db.getMany([key(94), key(95), key(99)]), ['old', undefined, undefined]);
    await db.close();
  });
});

describe('compaction filters', () => {
  test('remove, replace and keep, with the database encodings, at compaction only', async () => {
    const seen = new Set();
    const db = await open(tempDir(), {
      ...SMALL,
      compactionFilter(k, v) {
        assert.equal(typeof k, 'string');
        seen.add(k);
        if (k.startsWith('tmp/')) return 'remove';
        if (v === 'old') return { replace: 'new' };
        if (k === 'bytes') return { replace: new Uint8Array([0xe2, 0x82, 0xac]) };
        return k === 'explicit' ? 'keep' : undefined;
      },
    });
    await db.batch([{ type: 'put', key: 'tmp/1', value: 'x' }, { type: 'put', key: 'a', value: 'old' },
      { type: 'put', key: 'b', value: 'kept' }, { type: 'put', key: 'bytes', value: 'x' }, { type: 'put', key: 'explicit', value: 'e' }]);
    assert.equal(await db.get('tmp/1'), 'x', 'nothing is filtered before a compaction');
    await db.del('b');
    await db.compact({ major: true });
    assert.deepEqual(await db.getMany(['tmp/1', 'a', 'b', 'bytes', 'explicit']), [undefined, 'new', undefined, '€', 'e']);
    assert.ok(!seen.has('b'), 'the filter never sees a deleted key');
    await db.close();
  });

  test('a filter that throws, returns nonsense or uses the database keeps the entry; compact reports it', async () => {
    let mode = 'throw';
    let db;
    db = await open(tempDir(), {
      ...SMALL,
      compactionFilter(k) {
        if (k !== 'a' || mode === 'none') return undefined;
        if (mode === 'throw') throw new RangeError('filter bug');
        if (mode === 'nonsense') return 42;
        if (mode === 'promise') return Promise.resolve('remove');
        if (mode === 'bad value') return { replace: null };
        db.getSync('b'); // refused: STRATA_BUSY
        return 'remove';
      },
    });
    for (const [m, check] of [
      ['throw', (e) => e.cause instanceof RangeError && /threw: filter bug/.test(e.message)],
      ['nonsense', (e) => /returned number/.test(e.message)],
      ['promise', (e) => /synchronous/.test(e.message)],
      ['bad value', (e) => /bad replacement/.test(e.message)],
      ['reentry', (e) => e.cause?.code === 'STRATA_BUSY' && /must not use the database/.test(e.cause.message)],
    ]) {
      mode = m;
      await db.put('a', `v-${m}`);
      await db.put('b', 'b');
      await assert.rejects(db.compact({ major: true }), (e) => code('STRATA_INVALID_ARGUMENT', /compactionFilter.*key "a"; the entry was kept/)(e) && check(e), m);
      assert.equal(await db.get('a'), `v-${m}`, `${m}: the entry was kept`);
      mode = 'none';
      await db.compact({ major: true }); // reported once
    }
    await db.close();
  });

  test('bad filters are refused at open; worker: true cannot take one', async () => {
    await assert.rejects(open(tempDir(), { compactionFilter: 'remove' }), code('STRATA_INVALID_ARGUMENT', /compactionFilter must be a function/));
    const dir = tempDir();
    await assert.rejects(open(dir, { worker: true, compactionFilter: () => 'keep' }), code('STRATA_NOT_SUPPORTED', /worker/));
    assert.deepEqual(fs.readdirSync(dir), [], 'refused before anything was created');
  });

  test('threads: true runs the filter on the calling thread for background and manual compactions, and reports progress', { timeout: 60000 }, async () => {
    const db = await open(tempDir(), {
      ...SMALL, threads: true, compaction: { strategy: 'leveled', level0Trigger: 2, tableTargetSize: 4096 },
      compactionFilter: (k, v) => (k.endsWith('7') ? 'remove' : { replace: v.toUpperCase() }),
    });
    for (let round = 0; round < 6; round++) {
      await fill(db, 0, 400, (i) => `r${round}-${i}`);
      await db.flush();
    }
    const reports = [];
    await db.compact({ major: true, onProgress: (p) => reports.push(p) });
    assert.ok(reports.length >= 1 && reports.at(-1).bytesDone === reports.at(-1).bytesTotal, 'progress in the pthreads build');
    const all = await db.iterator().all();
    assert.equal(all.length, 360);
    assert.ok(all.every(([k, v]) => !k.endsWith('7') && v === v.toUpperCase() && v.startsWith('R5-')), JSON.stringify(all.slice(0, 3)));
    assert.ok(db.stats().compactions >= 1);
    await db.close();
  });
});

describe('reads: getSync and hasMany', () => {
  test('getSync and hasMany at the latest state and at a snapshot; bad input; after close', async () => {
    const db = await open(tempDir(), SMALL);
    await db.put('a', '1');
    const snap = db.snapshot();
    await db.put('a', '2');
    await db.put('b', '3');
    assert.equal(db.getSync('a'), '2');
    assert.equal(db.getSync('a', { snapshot: snap }), '1');
    assert.equal(snap.getSync('a'), '1');
    assert.deepEqual(db.getSync('a', { valueEncoding: 'buffer' }), new Uint8Array([0x32]));
    assert.equal(db.getSync('nope'), undefined);
    assert.deepEqual(await db.hasMany(['a', 'b', 'c']), [true, true, false]);
    assert.deepEqual(await db.hasMany(['a', 'b'], { snapshot: snap }), [true, false]);
    assert.deepEqual(await snap.hasMany(['b']), [false]);
    assert.throws(() => db.getSync(null), code('STRATA_INVALID_ARGUMENT'));
    await assert.rejects(db.hasMany('a'), code('STRATA_INVALID_ARGUMENT', /array/));
    await assert.rejects(db.hasMany([1]), code('STRATA_INVALID_ARGUMENT'));
    snap.close();
    assert.throws(() => snap.getSync('a'), code('STRATA_NOT_OPEN'));
    await db.close();
    assert.throws(() => db.getSync('a'), code('STRATA_NOT_OPEN'));
    await assert.rejects(db.hasMany(['a']), code('STRATA_NOT_OPEN'));
  });
});

describe('chained batch', () => {
  test('put, del, singleDel, length, write (atomic), close; every misuse refused', async () => {
    const db = await open(tempDir(), SMALL);
    await db.put('gone', 'x');
    await db.put('once', 'x');
    const b = db.batch();
    assert.equal(b.put('a', '1').put('b', '2').del('gone').singleDel('once'), b, 'operations chain');
    assert.equal(b.length, 4);
    assert.equal(await db.get('a'), undefined, 'nothing is applied before write');
    assert.throws(() => b.put('c', null), code('STRATA_INVALID_ARGUMENT', /value/));
    assert.throws(() => b.del({}), code('STRATA_INVALID_ARGUMENT'));
    assert.equal(b.length, 4, 'a refused operation is not added');
    const seqno = db.stats().seqno;
    await b.write();
    assert.equal(db.stats().seqno, seqno + 1, 'one seqno for the whole batch');
    assert.deepEqual(await db.getMany(['a', 'b', 'gone', 'once']), ['1', '2', undefined, undefined]);
    assert.throws(() => b.put('x', 'y'), code('STRATA_NOT_OPEN', /chained batch is closed/));
    await assert.rejects(b.write(), code('STRATA_NOT_OPEN'));
    const discarded = db.batch().put('never', '1');
    await discarded.close();
    await discarded.close();
    await assert.rejects(discarded.write(), code('STRATA_NOT_OPEN'));
    assert.equal(await db.get('never'), undefined);
    const cleared = db.batch().put('p', '1').clear().put('q', '2');
    assert.equal(cleared.length, 1);
    await cleared.write({ sync: true });
    assert.deepEqual(await db.getMany(['p', 'q']), [undefined, '2']);
    await assert.rejects(db.batch().write('sync'), code('STRATA_INVALID_ARGUMENT'));
    const late = db.batch().put('late', '1');
    await db.close();
    await assert.rejects(late.write(), code('STRATA_NOT_OPEN'));
    assert.throws(() => db.batch(), code('STRATA_NOT_OPEN'));
  });
});

describe('AbortSignal on iterators', () => {
  test('an aborted next, nextv, all or for await rejects with an AbortError whose cause is the reason', async () => {
    const db = await open(tempDir(), SMALL);
    await fill(db, 0, 50);
    for (const step of ['next', 'nextv', 'all', 'for await']) {
      const ac = new AbortController();
      const it = db.iterator({ signal: ac.signal });
      assert.equal((await it.next())[0], key(0));
      const reason = new Error(`stop ${step}`);
      ac.abort(reason);
      const run = step === 'for await' ? (async () => { for await (const e of it) void e; })()
        : step === 'nextv' ? it.nextv(10) : it[step]();
      await assert.rejects(run, (e) => e.name === 'AbortError' && e.code === 'ABORT_ERR' && e.cause === reason);
      await assert.rejects(it.next(), (e) => e.name === 'AbortError', 'it stays aborted');
      await it.close();
    }
    const pre = AbortSignal.abort();
    await assert.rejects(db.keys({ signal: pre }).next(), (e) => e.name === 'AbortError');
    const ac = new AbortController();
    const loop = (async () => { let n = 0; for await (const e of db.values({ signal: ac.signal })) { void e; if (++n === 20) ac.abort(); } })();
    await assert.rejects(loop, (e) => e.name === 'AbortError');
    assert.throws(() => db.iterator({ signal: 'stop' }), code('STRATA_INVALID_ARGUMENT', /AbortSignal/));
    assert.equal(db.stats().snapshotsOpen, 0);
    await db.close();
  });
});

describe('Symbol.asyncDispose', () => {
  test('database, snapshot, iterator and chained batch close through it (await using)', async () => {
    assert.equal(typeof Symbol.asyncDispose === 'symbol' || asyncDispose === Symbol.for('nodejs.asyncDispose'), true);
    const dir = tempDir();
    const db = await open(dir, SMALL);
    await db.put('a', '1');
    const snap = db.snapshot();
    const it = db.iterator();
    const b = db.batch().put('b', '2');
    await it[asyncDispose]();
    await assert.rejects(it.next(), code('STRATA_NOT_OPEN'));
    await snap[asyncDispose]();
    await assert.rejects(snap.get('a'), code('STRATA_NOT_OPEN'));
    await b[asyncDispose]();
    await assert.rejects(b.write(), code('STRATA_NOT_OPEN'));
    await db[asyncDispose]();
    assert.equal(db.status, 'closed');
    const again = await open(dir, SMALL); // the lock was released
    assert.equal(await again.get('b'), undefined);
    await again.close();
  });
});

describe('onProgress', () => {
  test('compact reports bytes done and total, monotonically, ending equal; bad callbacks', async () => {
    const db = await open(tempDir(), { ...SMALL, memtableSize: 1 << 16 });
    for (let r = 0; r < 4; r++) {
      await fill(db, r * 3000, (r + 1) * 3000, (i) => `value-${i}-`.padEnd(40, 'x'));
      await db.flush();
    }
    const read = db.stats().bytesRead.compaction;
    const reports = [];
    await db.compact({ major: true, onProgress: (p) => reports.push(p) });
    assert.ok(reports.length >= 3, `${reports.length} reports`);
    for (let i = 1; i < reports.length; i++) assert.ok(reports[i].bytesDone >= reports[i - 1].bytesDone);
    assert.ok(reports.every((p) => p.bytesDone <= p.bytesTotal && Object.keys(p).join() === 'bytesDone,bytesTotal'));
    const last = reports.at(-1);
    assert.equal(last.bytesDone, last.bytesTotal);
    assert.equal(last.bytesTotal, db.stats().bytesRead.compaction - read, 'the total is what the merge read');
    const none = [];
    await db.compact({ onProgress: (p) => none.push(p) }); // nothing pending
    assert.deepEqual(none, [{ bytesDone: 0, bytesTotal: 0 }]);
    await assert.rejects(db.compact({ onProgress: 'yes' }), code('STRATA_INVALID_ARGUMENT', /onProgress must be a function/));
    await db.put('more', 'x');
    await assert.rejects(db.compact({ major: true, onProgress: () => { throw new TypeError('ui gone'); } }), (e) => e instanceof TypeError);
    assert.equal(db.stats().levels.slice(0, -1).every((l) => l.tables === 0), true, 'the compaction finished anyway');
    await db.close();
  });
});

describe('worker: true', () => {
  test('singleDel, dropRange, hasMany, chained batch, signal, onProgress and the refusals', async () => {
    const db = await open(tempDir(), { ...SMALL, worker: true });
    await fill(db, 0, 100);
    await db.singleDel(key(1));
    const b = db.batch().put('x', 'y').singleDel(key(2)).del(key(3));
    assert.equal(b.length, 3);
    await b.write();
    assert.throws(() => b.put('z', 'z'), code('STRATA_NOT_OPEN'));
    assert.deepEqual(await db.hasMany([key(0), key(1), key(2), key(3), 'x']), [true, false, false, false, true]);
    const reports = [];
    await db.compact({ major: true, onProgress: (p) => reports.push(p) });
    assert.ok(reports.length >= 2 && reports.at(-1).bytesDone === reports.at(-1).bytesTotal && reports.at(-1).bytesTotal > 0);
    await assert.rejects(db.compact({ onProgress: 1 }), code('STRATA_INVALID_ARGUMENT'));
    const ac = new AbortController();
    const it = db.iterator({ signal: ac.signal });
    assert.equal((await it.next())[0], key(0));
    ac.abort();
    await assert.rejects(it.next(), (e) => e.name === 'AbortError');
    assert.throws(() => db.getSync('x'), code('STRATA_NOT_SUPPORTED', /in-thread/));
    const snap = db.snapshot();
    assert.throws(() => snap.getSync('x'), code('STRATA_NOT_SUPPORTED', /in-thread/));
    assert.deepEqual(await snap.hasMany(['x', 'nope']), [true, false]);
    snap.close();
    await db.dropRange();
    assert.deepEqual(await db.keys().all(), [], 'the major compaction left one table, now dropped');
    await assert.rejects(db.dropRange({ limit: 1 }), code('STRATA_INVALID_ARGUMENT'));
    await db[asyncDispose]();
    assert.equal(db.status, 'closed');
  });
  test('ingest_progress_through_a_worker: the array crosses, its reports are posted back in the compact shape', async () => {
    const db = await open(tempDir(), { ...SMALL, worker: true });
    try {
      const list = Array.from({ length: 5000 }, (_, i) => [key(i), `v${i}`]);
      const total = list.reduce((sum, [k, v]) => sum + k.length + v.length, 0);
      const reports = [];
      assert.equal(await db.ingest(list, { onProgress: (p) => reports.push(p) }), 5000);
      assert.ok(reports.length >= 2, JSON.stringify(reports));
      assert.ok(reports.every((r) => r.bytesTotal === total && r.bytesDone <= total));
      assert.deepEqual(reports.at(-1), { bytesDone: total, bytesTotal: total });
      assert.equal(await db.get(key(4999)), 'v4999');
      await assert.rejects(db.ingest([], { onProgress: 1 }), code('STRATA_INVALID_ARGUMENT', /onProgress/));
    } finally {
      await db.close();
    }
  });
});

describe('errors', () => {
  test('a failed system call is the cause, with its code, in-thread and from a worker', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'file'), 'not a folder');
    for (const worker of [false, true]) {
      await assert.rejects(open(path.join(dir, 'file', 'db'), { worker }), (e) => code('STRATA_INVALID_ARGUMENT', /ENOTDIR/)(e) &&
        e.cause instanceof Error && e.cause.code === 'ENOTDIR' && typeof e.cause.syscall === (worker ? 'undefined' : 'string'));
    }
    const level = new StrataLevel(path.join(dir, 'file', 'db'));
    await assert.rejects(level.open(), (e) => e.code === 'LEVEL_DATABASE_NOT_OPEN' && e.cause?.cause?.code === 'ENOTDIR');
  });
});

test('CommonJS: require("strata-lsm") and require("strata-lsm/level") reach the same API', () => {
  const dir = tempDir();
  const script = path.join(dir, 'use.cjs');
  fs.writeFileSync(script, `
    const { open, StrataError } = require(${JSON.stringify(path.join(root, 'bindings/js/src/index.cjs'))});
    const { StrataLevel } = require(${JSON.stringify(path.join(root, 'bindings/js/src/level.cjs'))});
    (async () => {
      const db = await open(${JSON.stringify(path.join(dir, 'db'))}, { valueEncoding: 'utf8' });
      await db.batch().put('a', '1').put('b', '2').singleDel('b').write();
      const out = [db.getSync('a'), JSON.stringify(await db.hasMany(['a', 'b']))];
      await db.close();
      await open(${JSON.stringify(dir)}, { createIfMissing: false }).catch((e) => out.push(e instanceof StrataError && e.code));
      const lvl = new StrataLevel(${JSON.stringify(path.join(dir, 'lvl'))}, { valueEncoding: 'json' });
      await lvl.put('k', { n: 1 });
      out.push(lvl.getSync('k').n, lvl.supports.getSync);
      await lvl.singleDel('k');
      out.push(await lvl.get('k'));
      await lvl.close();
      console.log(out.join(' '));
    })();
  `);
  assert.equal(execFileSync(process.execPath, [script], { encoding: 'utf8' }).trim(), '1 [true,false] STRATA_NOT_FOUND 1 true');
});
