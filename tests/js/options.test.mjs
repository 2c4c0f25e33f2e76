// open() options at the edge: every option's boundaries accepted and just-outside refused with
// STRATA_INVALID_ARGUMENT naming the option, before the database's wasm module is loaded; the JS
// ranges are the engine's (its limits descriptor, strata_js_describe); and db.resume() retries a flush that
// a full disk failed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, describe, test } from 'node:test';

import { StrataError, open } from '../../bindings/js/src/index.js';
import { loadNative } from '../../bindings/js/src/native_node.js';
import { engineConstants } from '../../bindings/js/src/engine.js';
import { engineLimits, optionLimits } from '../../bindings/js/src/options.js';
import { removeTempDirs, tempDir } from './helpers.mjs';

after(() => removeTempDirs());

const LIMITS = optionLimits(await engineConstants());

const refused = (name) => (e) => {
  assert.ok(e instanceof StrataError, `expected a StrataError, got ${e}`);
  assert.equal(e.code, 'STRATA_INVALID_ARGUMENT', e.message);
  assert.ok(e.message.includes(name), `"${e.message}" should name ${name}`);
  return true;
};

async function opens(options) {
  const db = await open(':memory:', { ...options, valueEncoding: 'utf8' });
  try {
    await db.put('k', 'v');
    assert.equal(await db.get('k'), 'v');
  } finally {
    await db.close();
  }
}

// option -> [build the options from a value, the values just outside the range]
const numeric = {
  memtableSize: [(v) => ({ memtableSize: v }), [LIMITS.memtableSize.min - 1, LIMITS.memtableSize.max + 1, 0, 4096.5]],
  blockCacheSize: [(v) => ({ blockCacheSize: v }), [-1, LIMITS.blockCacheSize.max + 1, 1.5]],
  bloomBitsPerKey: [(v) => ({ bloomBitsPerKey: v }), [-5, -0.001, 100.001, 1e6, NaN, Infinity]],
  maxSealedMemtables: [(v) => ({ maxSealedMemtables: v }), [-1, LIMITS.maxSealedMemtables.max + 1, 1.5, Infinity]],
  level0Trigger: [(v) => ({ compaction: { strategy: 'leveled', level0Trigger: v, level0Stall: { slowdown: 2 ** 32 - 1, stop: 2 ** 32 - 1 } } }), [0, 2 ** 32, 2.5]],
  levelRatio: [(v) => ({ compaction: { strategy: 'leveled', levelRatio: v } }), [1, 1000.001, -2, NaN]],
  runTrigger: [(v) => ({ compaction: { strategy: 'tiered', runTrigger: v, level0Stall: { slowdown: 2 ** 32 - 1, stop: 2 ** 32 - 1 } } }), [0, 2 ** 32]],
  sizeRatio: [(v) => ({ compaction: { strategy: 'tiered', sizeRatio: v } }), [-0.5, 1000.5, NaN]],
  maxSpaceAmplificationPercent: [(v) => ({ compaction: { strategy: 'tiered', maxSpaceAmplificationPercent: v } }), [0, 2 ** 32]],
  tableTargetSize: [(v) => ({ compaction: { strategy: 'fifo', tableTargetSize: v } }), [1023, 2 ** 40 + 1, 0]],
  limitBytes: [(v) => ({ compaction: { strategy: 'fifo', limitBytes: v } }), [-1, 2 ** 53]],
  ttlMs: [(v) => ({ compaction: { strategy: 'fifo', ttlMs: v } }), [-1, Infinity]],
  slowdown: [(v) => ({ compaction: { strategy: 'fifo', level0Stall: { slowdown: v, stop: 2 ** 32 - 1 } } }), [0, 2 ** 32]],
  stop: [(v) => ({ compaction: { strategy: 'fifo', level0Stall: { slowdown: 1, stop: v } } }), [0, 2 ** 32]],
};

describe('numeric options: the boundaries open, one step beyond is refused', () => {
  for (const [name, [build, outside]] of Object.entries(numeric)) {
    const { min, max, above } = LIMITS[name];
    test(name, async () => {
      // the smallest accepted value: min itself, or just above an exclusive min
      await opens(build(above ? min + 1e-9 : min));
      await opens(build(max));
      for (const v of [...outside, '4', null]) await assert.rejects(open(':memory:', build(v)), refused(name));
    });
  }
});

describe('other options', () => {
  test('compression, booleans and the rules between options', async () => {
    await assert.rejects(open(':memory:', { compression: 'zstd' }), refused('compression'));
    await assert.rejects(open(':memory:', { compression: 1 }), refused('compression'));
    for (const name of ['createIfMissing', 'errorIfExists', 'sync', 'threads']) {
      await assert.rejects(open(':memory:', { [name]: 'yes' }), refused(name));
    }
    await assert.rejects(open(':memory:', { compaction: { strategy: 'leveled', level0Trigger: 21 } }), refused('level0Trigger (21) must be <= compaction.level0Stall.slowdown (20)'));
    await assert.rejects(open(':memory:', { compaction: { strategy: 'tiered', runTrigger: 9, level0Stall: { slowdown: 8 } } }), refused('runTrigger'));
    await assert.rejects(open(':memory:', { compaction: { strategy: 'leveled', level0Stall: { slowdown: 40 } } }), refused('stop (30) must be >= slowdown (40)'));
    await opens({ compaction: { strategy: 'leveled', level0Trigger: 20 } });
    await opens({ compaction: { strategy: 'fifo', level0Stall: { slowdown: 5, stop: 5 } } });
    await opens({ compaction: { strategy: 'tiered', runTrigger: 1 } }); // used to hang strata_compact
  });

  test('refusals come before any wasm is loaded', async () => {
    const nowhere = 'file:///nonexistent/strata.mjs'; // loading this would fail differently
    await assert.rejects(open(':memory:', { memtableSize: 1, _moduleUrl: nowhere }), refused('memtableSize'));
    await assert.rejects(open(':memory:', { bloomBitsPerKey: NaN, _moduleUrl: nowhere }), refused('bloomBitsPerKey'));
  });
});

describe('maxSealedMemtables', () => {
  // Without threads nothing flushes between awaited puts (maintenance steps are tasks of their
  // own), so sealed memtables pile up: a write that finds more than the option waiting flushes
  // them first, so after a write at most one more (the memtable that write sealed) waits.
  test('maxSealedMemtables_bounds_the_sealed_memtables_waiting_for_flush', async () => {
    for (const max of [undefined, 0, 3]) {
      const db = await open(tempDir(), { memtableSize: 4096, maxSealedMemtables: max, valueEncoding: 'utf8' });
      try {
        let most = 0;
        for (let i = 0; i < 40; i++) {
          await db.put(`k${i}`, 'x'.repeat(1500));
          most = Math.max(most, db.stats().memtable.sealed);
        }
        const limit = max ?? (await engineConstants()).DEFAULT_MAX_SEALED_MEMTABLES;
        assert.equal(most, limit + 1, `maxSealedMemtables ${max}: at most ${limit} wait before a write`);
        assert.ok(db.stats().writeStalls > 0, 'writes that found more flushed first');
        for (let i = 0; i < 40; i++) assert.equal(await db.get(`k${i}`), 'x'.repeat(1500));
      } finally {
        await db.close();
      }
    }
    assert.equal(LIMITS.maxSealedMemtables.max, 1024); // STRATA_MAX_SEALED_MEMTABLES_MAX
  });
});

describe('the JS ranges are the engine\'s', () => {
  test('the ranges come from the module a database runs on (its limits descriptor)', async () => {
    const native = await loadNative({ memory: true });
    try {
      // a database's own module (a separate instance) reports the constants open() checked with
      assert.deepEqual(optionLimits(native.limits), LIMITS);
      const c = engineLimits(native);
      assert.deepEqual(c.memtableSize, [LIMITS.memtableSize.min, LIMITS.memtableSize.max]);
      assert.deepEqual(c.blockCacheSize, [LIMITS.blockCacheSize.min, LIMITS.blockCacheSize.max]);
      assert.deepEqual(c.bloomBitsPerKey, [LIMITS.bloomBitsPerKey.min, LIMITS.bloomBitsPerKey.max]);
      assert.deepEqual(c.maxSealedMemtables, [LIMITS.maxSealedMemtables.min, LIMITS.maxSealedMemtables.max]);
      assert.deepEqual(c.levelRatio, [LIMITS.levelRatio.min, LIMITS.levelRatio.max]);
      assert.deepEqual(c.sizeRatio, [LIMITS.sizeRatio.min, LIMITS.sizeRatio.max]);
      assert.deepEqual(c.tableTargetSize, [LIMITS.tableTargetSize.min, LIMITS.tableTargetSize.max]);
      assert.equal(LIMITS.memtableSize.max, 2 ** 30); // STRATA_MEMTABLE_SIZE_MAX where size_t is 32 bits
      assert.equal(LIMITS.blockCacheSize.max, 2 ** 32 - 1); // SIZE_MAX on wasm32
    } finally {
      native.free();
    }
  });

  test('the engine itself refuses just outside, past the JS checks', async () => {
    const native = await loadNative({ memory: true });
    const m = native.m;
    const tryOpen = (memtable, bloom, sealed = -1) => {
      const p = native.cstring('edge-db');
      try {
        const st = m._strata_js_open(p, native.vfs, 1, 0, memtable, -1, -1, bloom, 0, 1, -1, sealed, 0, 0, native.words);
        if (!st) return 'ok';
        const code = m.UTF8ToString(m._strata_code_name(m._strata_status_code(st)));
        const msg = m.UTF8ToString(m._strata_status_message(st));
        m._strata_status_free(st);
        return `${code}: ${msg}`;
      } finally {
        m._free(p);
      }
    };
    try {
      assert.match(tryOpen(LIMITS.memtableSize.min - 1, -1), /^STRATA_INVALID_ARGUMENT: memtable size 4095 outside/);
      assert.match(tryOpen(-1, LIMITS.bloomBitsPerKey.max + 0.5), /^STRATA_INVALID_ARGUMENT: bloom bits per key 100.5 outside/);
      assert.match(tryOpen(-1, -1, LIMITS.maxSealedMemtables.max + 1), /^STRATA_INVALID_ARGUMENT: max sealed memtables 1025 outside/);
      assert.match(tryOpen(-1, -1, 2 ** 40), /^STRATA_INVALID_ARGUMENT: max sealed memtables \d+ outside/);
      const ok = tryOpen(LIMITS.memtableSize.min, LIMITS.bloomBitsPerKey.max);
      assert.equal(ok, 'ok');
      native.check(m._strata_js_close(native.word(0)), 'close');
    } finally {
      native.free();
    }
  });
});

describe('db.resume()', () => {
  test('retries the flush a full disk failed, and heals once there is room', async () => {
    const dir = tempDir();
    const db = await open(dir, { memtableSize: 4096, valueEncoding: 'utf8' });
    const realWrite = fs.writeSync;
    let full = false;
    fs.writeSync = function (...args) {
      if (full) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });
      return realWrite.apply(this, args);
    };
    try {
      await db.resume(); // healthy: nothing to retry
      let i = 0;
      while (db.stats().memtable.sealed === 0) await db.put(`k${i++}`, 'x'.repeat(500));
      full = true; // before the maintenance step that would flush it runs
      await new Promise((resolve) => setImmediate(resolve));
      await assert.rejects(db.resume(), (e) => e instanceof StrataError && e.code === 'STRATA_IO' && /ENOSPC/.test(e.message));
      assert.equal(db.stats().flushes, 0);
      await assert.rejects(db.put('during', 'full'), (e) => e.code === 'STRATA_IO');
      full = false;
      await db.resume();
      assert.equal(db.stats().flushes, 1);
      assert.equal(db.stats().memtable.sealed, 0);
      await db.put('after', 'room');
      assert.equal(await db.get('after'), 'room');
      assert.equal(await db.get('during'), undefined); // the failed write was not applied
      for (let j = 0; j < i; j++) assert.equal(await db.get(`k${j}`), 'x'.repeat(500));
    } finally {
      fs.writeSync = realWrite;
      await db.close();
    }
  });

  test('pthreads build: the background flush fails while table writes hit ENOSPC; resume heals it', async () => {
    const dir = tempDir();
    const db = await open(dir, { memtableSize: 4096, valueEncoding: 'utf8', threads: true });
    const realOpen = fs.openSync, realWrite = fs.writeSync, realClose = fs.closeSync;
    const tableFds = new Set();
    let full = true; // for table files only: the journal keeps working, so the flush is what fails
    fs.openSync = function (p, ...rest) {
      const fd = realOpen.call(this, p, ...rest);
      if (String(p).includes('/tables/')) tableFds.add(fd);
      return fd;
    };
    fs.closeSync = function (fd) { tableFds.delete(fd); return realClose.call(this, fd); };
    fs.writeSync = function (fd, ...args) {
      if (full && tableFds.has(fd)) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });
      return realWrite.call(this, fd, ...args);
    };
    try {
      let failed = null, i = 0;
      for (; i < 2000 && !failed; i++) {
        try {
          await db.put(`k${i}`, 'x'.repeat(500));
        } catch (e) {
          failed = e;
        }
        await new Promise((resolve) => setImmediate(resolve)); // the flush thread's file calls run here
      }
      assert.ok(failed, 'writes should fail once the flush fails');
      assert.equal(failed.code, 'STRATA_IO');
      assert.match(failed.message, /background flush failed/);
      await assert.rejects(db.resume(), (e) => e.code === 'STRATA_IO' && /ENOSPC/.test(e.message));
      full = false;
      await db.resume();
      assert.ok(db.stats().flushes >= 1);
      await db.put('after', 'room');
      assert.equal(await db.get('after'), 'room');
      assert.equal(await db.get(`k${i - 1}`), undefined); // the write that failed was not applied
      for (let j = 0; j < i - 1; j++) assert.equal(await db.get(`k${j}`), 'x'.repeat(500));
    } finally {
      fs.openSync = realOpen;
      fs.writeSync = realWrite;
      fs.closeSync = realClose;
      await db.close();
    }
  });
});
