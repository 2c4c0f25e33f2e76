// Compaction through the package: open(..., { compaction }), db.compact({ major }), the stats
// the engine reports for it, and snapshots across compactions.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { StrataError, open as openPkg } from '../../bindings/js/src/index.js';
import { engineFor, removeTempDirs, tempDir } from './helpers.mjs';

let engine;
before(async () => { engine = await engineFor(false); });
after(() => removeTempDirs());

const open = (loc, opts = {}) => openPkg(loc, { ...opts, _moduleUrl: engine.moduleUrl });
const code = (c) => (e) => { assert.ok(e instanceof StrataError, `expected a StrataError, got ${e}`); assert.equal(e.code, c, e.message); return true; };
const key = (i) => `k${String(i).padStart(6, '0')}`;
const turn = () => new Promise((r) => setImmediate(r)); // lets the maintenance steps run

// Small memtables and tables, so a few thousand writes make many tables.
const SMALL = { memtableSize: 16 * 1024, keyEncoding: 'utf8', valueEncoding: 'utf8' };

describe('db.compact({ major: true })', () => {
  test('moves everything out of level 0 into the last level; deleted keys stay deleted', async () => {
    const db = await open(tempDir(), { ...SMALL, compaction: { strategy: 'leveled', level0Trigger: 100, level0Stall: { slowdown: 200, stop: 300 } } });
    try {
      for (let i = 0; i < 3000; i++) await db.put(key(i), `v${i}`.repeat(10));
      for (let i = 0; i < 3000; i += 3) await db.del(key(i));
      await db.put(key(1), 'last write, still in the memtable');
      await db.flush();
      const before = db.stats();
      assert.ok(before.levels[0].tables > 1, `level 0 has ${before.levels[0].tables} tables before`);
      await db.compact({ major: true });
      const s = db.stats();
      const last = s.levels.length - 1;
      assert.ok(last > 0);
      for (const l of s.levels.slice(0, last)) assert.deepEqual([l.tables, l.bytes], [0, 0], `level ${l.level} is empty`);
      assert.ok(s.levels[last].tables >= 1 && s.levels[last].bytes > 0);
      assert.equal(s.levels[last].runs, 1);
      assert.equal(s.memtable.bytes, 0, 'the memtables were flushed into the merge');
      assert.ok(s.compactions >= 1);
      assert.ok(s.bytesWritten.compaction > 0);
      assert.ok(s.bytesRead.compaction >= before.levels[0].bytes);
      assert.ok(s.writeAmplification > before.writeAmplification, 'the engine counts the compaction output');
      const expectedWa = (s.bytesWritten.flush + s.bytesWritten.compaction) / s.bytesWritten.user;
      assert.ok(Math.abs(s.writeAmplification - expectedWa) < 1e-9, `${s.writeAmplification} vs ${expectedWa}`);

      assert.equal(await db.get(key(0)), undefined);
      assert.equal(await db.get(key(2997)), undefined);
      assert.equal(await db.get(key(1)), 'last write, still in the memtable');
      assert.equal(await db.get(key(2)), 'v2'.repeat(10));
      const keys = await db.keys().all();
      assert.equal(keys.length, 2000);
      assert.ok(keys.every((k) => Number(k.slice(1)) % 3 !== 0));
    } finally {
      await db.close();
    }
  });

  test('compact() without major runs the pending compactions; results survive a reopen', async () => {
    const dir = tempDir();
    let db = await open(dir, { ...SMALL, compaction: { strategy: 'leveled', level0Trigger: 2, level0Stall: { slowdown: 1000, stop: 1000 } } });
    for (let i = 0; i < 2000; i++) await db.put(key(i), `v${i}`);
    await db.flush();
    await db.compact();
    let s = db.stats();
    assert.ok(s.levels[0].tables < 2, `level 0 below the trigger: ${s.levels[0].tables}`);
    assert.ok(s.compactions >= 1);
    await db.close();
    db = await open(dir, { valueEncoding: 'utf8' });
    try {
      assert.equal(await db.get(key(1234)), 'v1234');
      assert.equal((await db.keys().all()).length, 2000);
      s = db.stats();
      assert.equal(s.levels.reduce((n, l) => n + l.bytes, 0) > 0, true);
    } finally {
      await db.close();
    }
  });

  test('a snapshot taken before a compaction still reads its values after it', async () => {
    const db = await open(tempDir(), SMALL);
    try {
      for (let i = 0; i < 1000; i++) await db.put(key(i), 'old');
      await db.flush();
      const snap = db.snapshot();
      for (let i = 0; i < 1000; i++) {
        if (i % 2) await db.put(key(i), 'new');
        else await db.del(key(i));
      }
      await db.compact({ major: true });
      assert.equal(await snap.get(key(0)), 'old');
      assert.equal(await snap.get(key(1)), 'old');
      const seen = await snap.iterator().all();
      assert.equal(seen.length, 1000);
      assert.ok(seen.every(([, v]) => v === 'old'));
      assert.equal(await db.get(key(0)), undefined);
      assert.equal(await db.get(key(1)), 'new');
      assert.equal((await db.keys().all()).length, 500);
      snap.close();
      // With the snapshot gone, another major compaction drops the old versions and deletes.
      const before = db.stats().levels.at(-1).bytes;
      await db.compact({ major: true });
      assert.ok(db.stats().levels.at(-1).bytes < before, 'old versions were dropped');
      assert.equal((await db.keys().all()).length, 500);
    } finally {
      await db.close();
    }
  });

  test('bad compact options', async () => {
    const db = await open(':memory:');
    try {
      await assert.rejects(db.compact({ major: 'yes' }), code('STRATA_INVALID_ARGUMENT'));
      await assert.rejects(db.compact(null), code('STRATA_INVALID_ARGUMENT'));
    } finally {
      await db.close();
    }
    await assert.rejects(db.compact(), code('STRATA_NOT_OPEN'));
  });
});

describe('strategies', () => {
  const strategies = {
    leveled: { strategy: 'leveled', level0Trigger: 2, levelRatio: 4, tableTargetSize: 16 * 1024 },
    tiered: { strategy: 'tiered', runTrigger: 3, sizeRatio: 1, maxSpaceAmplificationPercent: 150, tableTargetSize: 16 * 1024 },
    fifo: { strategy: 'fifo', ttlMs: 0, tableTargetSize: 16 * 1024 },
  };
  for (const [name, compaction] of Object.entries(strategies)) {
    test(`${name}: survives many writes, overwrites and deletes with reads correct`, async () => {
      const dir = tempDir();
      let db = await open(dir, { ...SMALL, compaction });
      const model = new Map();
      try {
        for (let round = 0; round < 6; round++) {
          const ops = [];
          for (let i = 0; i < 800; i++) {
            const k = key((i * 7 + round * 131) % 2500);
            if ((i + round) % 5 === 0) { ops.push({ type: 'del', key: k }); model.delete(k); }
            else { const v = `${name}-${round}-${i}`.padEnd(60, '.'); ops.push({ type: 'put', key: k, value: v }); model.set(k, v); }
          }
          for (let j = 0; j < ops.length; j += 50) await db.batch(ops.slice(j, j + 50));
          await turn(); // maintenance steps (flushes and compactions) between rounds
          await turn();
        }
        await db.compact();
        const s = db.stats();
        assert.ok(s.flushes >= 3, `flushes ${s.flushes}`);
        if (name !== 'fifo') assert.ok(s.compactions >= 1, `${name} compacted: ${s.compactions}`);
        const expected = [...model.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
        assert.deepEqual(await db.iterator().all(), expected);
        for (const k of [key(0), key(7), key(1000), key(2499)]) assert.equal(await db.get(k), model.get(k));
        await db.close();
        db = await open(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8', compaction });
        assert.deepEqual(await db.iterator().all(), expected, 'the same after a reopen');
        await db.compact({ major: true });
        assert.deepEqual(await db.iterator().all(), expected, 'and after a major compaction');
      } finally {
        await db.close();
      }
    });
  }

  test('fifo with limitBytes drops the oldest tables', async () => {
    const db = await open(tempDir(), { ...SMALL, compaction: { strategy: 'fifo', limitBytes: 64 * 1024 } });
    try {
      for (let i = 0; i < 4000; i++) await db.put(key(i), 'x'.repeat(100));
      await db.flush();
      await db.compact();
      const s = db.stats();
      const total = s.levels.reduce((n, l) => n + l.bytes, 0);
      assert.ok(total <= 64 * 1024 + 32 * 1024, `tree holds ${total} bytes`);
      assert.equal(await db.get(key(0)), undefined, 'the oldest keys went with their tables');
      assert.equal(await db.get(key(3999)), 'x'.repeat(100));
    } finally {
      await db.close();
    }
  });

  test('threads: true accepts compaction options and compacts in the background build', async () => {
    const mt = await engineFor(true);
    const db = await openPkg(tempDir(), { ...SMALL, threads: true, _moduleUrl: mt.moduleUrl, compaction: { strategy: 'tiered', runTrigger: 2 } });
    try {
      for (let i = 0; i < 2000; i++) await db.put(key(i), `v${i}`);
      await db.compact({ major: true });
      const s = db.stats();
      assert.equal(s.levels[0].tables, 0);
      assert.equal(await db.get(key(1999)), 'v1999');
    } finally {
      await db.close();
    }
  });
});

describe('bad compaction options are STRATA_INVALID_ARGUMENT', () => {
  const bad = [
    ['not an object', 'leveled'],
    ['null', null],
    ['no strategy', {}],
    ['unknown strategy', { strategy: 'universal' }],
    ['a knob of another strategy', { strategy: 'leveled', runTrigger: 4 }],
    ['a misspelt knob', { strategy: 'tiered', sizeRation: 1 }],
    ['a string number', { strategy: 'leveled', level0Trigger: '4' }],
    ['a fraction where an integer is needed', { strategy: 'leveled', level0Trigger: 2.5 }],
    ['zero trigger', { strategy: 'leveled', level0Trigger: 0 }],
    ['levelRatio <= 1', { strategy: 'leveled', levelRatio: 1 }],
    ['NaN', { strategy: 'tiered', sizeRatio: NaN }],
    ['negative', { strategy: 'tiered', sizeRatio: -1 }],
    ['runTrigger 0', { strategy: 'tiered', runTrigger: 0 }],
    ['trigger above the slowdown mark', { strategy: 'leveled', level0Trigger: 21 }],
    ['negative limit', { strategy: 'fifo', limitBytes: -5 }],
    ['Infinity ttl', { strategy: 'fifo', ttlMs: Infinity }],
    ['tableTargetSize 0', { strategy: 'fifo', tableTargetSize: 0 }],
    ['level0Stall a number', { strategy: 'leveled', level0Stall: 20 }],
    ['level0Stall stop < slowdown', { strategy: 'leveled', level0Stall: { slowdown: 20, stop: 10 } }],
    ['level0Stall unknown field', { strategy: 'leveled', level0Stall: { pause: 3 } }],
  ];
  for (const [what, compaction] of bad) {
    test(what, async () => {
      await assert.rejects(open(':memory:', { compaction }), (e) => code('STRATA_INVALID_ARGUMENT')(e) && /compaction/.test(e.message));
    });
  }
  test('worker: true validates before starting the worker', async () => {
    await assert.rejects(open(':memory:', { worker: true, compaction: { strategy: 'lsm' } }), code('STRATA_INVALID_ARGUMENT'));
  });
  test('good options open', async () => {
    for (const compaction of [{ strategy: 'leveled' }, { strategy: 'tiered', sizeRatio: 0 }, { strategy: 'fifo', limitBytes: 0 },
      { strategy: 'leveled', level0Stall: { stop: 50 } }, { strategy: 'tiered', runTrigger: 1 }, undefined]) {
      const db = await open(':memory:', { compaction, valueEncoding: 'utf8' });
      await db.put('k', 'v');
      assert.equal(await db.get('k'), 'v');
      await db.close();
    }
  });
});

// cacheWrittenBlocks (default on): the blocks a flush writes, and those a compaction rewrites,
// are in the block cache before anything reads them; off, every block starts as a miss.
describe('cacheWrittenBlocks', () => {
  const fill = async (db, tag) => { for (let i = 0; i < 3000; i++) await db.put(key(i), `${tag}${i}`.repeat(5)); };
  const readAll = async (db, tag) => {
    let wrong = 0;
    for (let i = 0; i < 3000; i++) if ((await db.get(key(i))) !== `${tag}${i}`.repeat(5)) wrong++;
    return wrong;
  };
  for (const [name, opts, warm] of [['default', {}, true], ['true', { cacheWrittenBlocks: true }, true], ['false', { cacheWrittenBlocks: false }, false]]) {
    test(`${name}: reads after a flush and after a major compaction ${warm ? 'all hit the cache' : 'start with misses'}`, async () => {
      const db = await open(tempDir(), { memtableSize: 1 << 20, blockCacheSize: 8 << 20, ...opts, keyEncoding: 'utf8', valueEncoding: 'utf8' });
      try {
        await fill(db, 'a');
        await db.flush();
        let before = db.stats().cache;
        assert.equal(await readAll(db, 'a'), 0);
        let after = db.stats().cache;
        if (warm) assert.equal(after.misses, before.misses, 'no miss after the flush');
        else assert.ok(after.misses > before.misses + 10, `${after.misses - before.misses} misses after the flush`);
        await fill(db, 'b');
        await db.flush();
        await db.compact({ major: true });
        before = db.stats().cache;
        assert.equal(await readAll(db, 'b'), 0);
        after = db.stats().cache;
        if (warm) assert.equal(after.misses, before.misses, 'no miss after the compaction');
        else assert.ok(after.misses > before.misses + 10, `${after.misses - before.misses} misses after the compaction`);
        assert.ok(after.bytes <= 8 << 20, `cache holds ${after.bytes} bytes`);
      } finally {
        await db.close();
      }
    });
  }
  test('must be a boolean', async () => {
    await assert.rejects(open(':memory:', { cacheWrittenBlocks: 'yes' }), (e) => e instanceof StrataError && e.code === 'STRATA_INVALID_ARGUMENT' && e.message.includes('cacheWrittenBlocks'));
    await assert.rejects(open(':memory:', { cacheWrittenBlocks: 1 }), code('STRATA_INVALID_ARGUMENT'));
  });
});
