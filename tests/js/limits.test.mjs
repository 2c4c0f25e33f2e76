// The limits of include/strata_limits.h in the JS package (wasm build): the numbers come from the
// engine (its limits descriptor, strata_js_describe), keys, values and batches at their limit are
// stored and read back, one byte or one operation beyond is refused with STRATA_INVALID_ARGUMENT naming the size and
// the limit, before anything is copied into wasm memory, and nothing refused is journaled.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { engineConstants } from '../../bindings/js/src/engine.js';
import { StrataError, open } from '../../bindings/js/src/index.js';
import { loadNative } from '../../bindings/js/src/native_node.js';
import { removeTempDirs, tempDir } from './helpers.mjs';

after(() => removeTempDirs());

const C = await engineConstants();

const refused = (...parts) => (e) => {
  assert.ok(e instanceof StrataError, `expected a StrataError, got ${e}`);
  assert.equal(e.code, 'STRATA_INVALID_ARGUMENT', e.message);
  for (const p of parts) assert.ok(e.message.includes(String(p)), `"${e.message}" should name ${p}`);
  return true;
};

// A value of n bytes with a pattern a wrong offset would break.
function pattern(n, seed) {
  const v = new Uint8Array(n);
  const cycle = new Uint8Array(251);
  for (let i = 0; i < cycle.length; i++) cycle[i] = (seed + i) & 0xff;
  for (let at = 0; at < n; at += cycle.length) v.set(cycle.subarray(0, Math.min(cycle.length, n - at)), at);
  return v;
}

describe('limits', () => {
  test('the engine reports the same limits on every build', () => {
    assert.equal(C.KEY_MAX, 65535);
    assert.equal(C.VALUE_MAX, 128 * 2 ** 20);
    assert.equal(C.BATCH_BYTES_MAX, 256 * 2 ** 20);
    assert.equal(C.BATCH_COUNT_MAX, 2 ** 20);
    assert.equal(C.BATCH_ITEM_OVERHEAD, 7);
    assert.equal(C.DEFAULT_MEMTABLE_SIZE, 64 * 2 ** 20);
    assert.equal(C.DEFAULT_TABLE_TARGET_SIZE, 64 * 2 ** 20);
    assert.equal(C.DEFAULT_BLOCK_CACHE_SIZE, 16 * 2 ** 20);
  });

  test('key at the limit is stored; one byte more is refused everywhere a key is taken', async () => {
    const db = await open(':memory:', { valueEncoding: 'utf8' });
    try {
      const max = 'k'.repeat(C.KEY_MAX);
      const over = new Uint8Array(C.KEY_MAX + 1);
      await db.put(max, 'v');
      assert.equal(await db.get(max), 'v');
      const named = refused(C.KEY_MAX + 1, C.KEY_MAX);
      await assert.rejects(db.put(over, 'v'), named);
      await assert.rejects(db.put('é'.repeat((C.KEY_MAX + 1) / 2), 'v'), named); // UTF-8 bytes count
      await assert.rejects(db.del(over), named);
      await assert.rejects(db.get(over), named);
      await assert.rejects(db.batch([{ type: 'put', key: over, value: 'v' }]), named);
      assert.throws(() => db.iterator({ gte: over }), named);
      assert.equal(db.stats().seqno, 2); // the one put: nothing refused took a seqno
    } finally {
      await db.close();
    }
  });

  // The 2^31 + 16 case (regression: acknowledged, journaled, then failed every flush): refused at
  // put, before the engine is asked to copy 2 GiB into wasm memory, and nothing is replayed.
  test('value_over_block_limit_refused_at_put', async () => {
    const dir = tempDir();
    let db = await open(dir);
    const huge = new Uint8Array(2 ** 31 + 16); // never written: its pages are never touched
    try {
      await assert.rejects(db.put('k', huge), refused(2 ** 31 + 16, C.VALUE_MAX));
      await assert.rejects(db.batch([{ type: 'put', key: 'k', value: huge }]), refused(2 ** 31 + 16, C.VALUE_MAX));
      await assert.rejects(db.put('k', new Uint8Array(C.VALUE_MAX + 1)), refused(C.VALUE_MAX + 1, C.VALUE_MAX));
      await db.flush();
    } finally {
      await db.close();
    }
    db = await open(dir);
    try {
      assert.equal(db.recovery.batchesReplayed, 0);
      assert.equal(await db.get('k'), undefined);
    } finally {
      await db.close();
    }
  });

  // Past the JS checks, the engine itself refuses on the length alone: a 16-byte buffer passed
  // with a length of 2^31 + 16 is never read.
  test('the engine refuses an oversized value by its length, before reading it', async () => {
    const native = await loadNative({ memory: true });
    const m = native.m;
    const p = native.cstring('edge-db');
    try {
      native.check(m._strata_js_open(p, native.vfs, 1, 0, -1, -1, -1, -1, 0, 1, -1, -1, 0, 0, native.words), 'open');
      const db = native.word(0);
      const buf = native.alloc(16);
      const attempt = (len) => {
        const st = m._strata_js_put(db, buf, 1, buf, len, 0);
        if (!st) return 'ok';
        const msg = m.UTF8ToString(m._strata_status_message(st));
        const code = m.UTF8ToString(m._strata_code_name(m._strata_status_code(st)));
        m._strata_status_free(st);
        return `${code}: ${msg}`;
      };
      assert.match(attempt(2 ** 31 + 16), /^STRATA_INVALID_ARGUMENT: value of 2147483664 bytes is larger than the limit of 134217728 bytes/);
      assert.match(attempt(C.VALUE_MAX + 1), /^STRATA_INVALID_ARGUMENT: value of 134217729 bytes/);
      assert.equal(attempt(16), 'ok');
      m._free(buf);
      native.check(m._strata_js_close(db), 'close');
    } finally {
      m._free(p);
      native.free();
    }
  });

  test('a value at the limit is replayed, flushed, compacted and read back', async () => {
    const dir = tempDir();
    const value = pattern(C.VALUE_MAX, 3);
    let db = await open(dir);
    try {
      await db.put('big', value);
    } finally {
      await db.close();
    }
    db = await open(dir);
    try {
      assert.equal(db.recovery.batchesReplayed, 1);
      assert.deepEqual(await db.get('big'), value);
      await db.flush();
      await db.compact({ major: true });
      assert.deepEqual(await db.get('big'), value);
    } finally {
      await db.close();
    }
  });

  test('a batch at its byte limit is written; one operation more is refused', async () => {
    const dir = tempDir();
    const first = new Uint8Array(C.VALUE_MAX);
    first.fill(1);
    // two puts of the empty key: (7 + first) + (7 + second) = the limit
    const second = first.subarray(0, C.BATCH_BYTES_MAX - 2 * C.BATCH_ITEM_OVERHEAD - C.VALUE_MAX);
    const ops = [{ type: 'put', key: '', value: first }, { type: 'put', key: '', value: second }];
    let db = await open(dir);
    try {
      await assert.rejects(db.batch([...ops, { type: 'del', key: '' }]), refused(C.BATCH_BYTES_MAX + 7, C.BATCH_BYTES_MAX));
      await db.batch(ops);
    } finally {
      await db.close();
    }
    db = await open(dir);
    try {
      assert.equal(db.recovery.batchesReplayed, 1);
      assert.equal((await db.get('')).length, second.length); // the later put of the key wins
    } finally {
      await db.close();
    }
  });

  test('a batch of more operations than the count limit is refused', async () => {
    const db = await open(':memory:');
    try {
      const ops = Array.from({ length: C.BATCH_COUNT_MAX + 1 }, () => ({ type: 'del', key: 'k' }));
      await assert.rejects(db.batch(ops), refused(C.BATCH_COUNT_MAX + 1, C.BATCH_COUNT_MAX));
      ops.pop();
      await db.batch(ops); // exactly at the limit
      assert.equal(db.stats().seqno, 2);
    } finally {
      await db.close();
    }
  });
});
