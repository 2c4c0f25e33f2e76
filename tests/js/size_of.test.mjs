// db.sizeOf(key) (lsm-tree's size_of): the length of a key's value in bytes, or undefined, at the
// latest state or a snapshot, in-thread and through the worker proxy, on a plain database and on
// a separated one, where a value in a blob file is measured from its handle: sizeOf never reads
// a blob (stats().blobs.reads stays where it was), while get() does.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { open } from '../../bindings/js/src/index.js';
import { removeTempDirs, tempDir, strataError as code } from './helpers.mjs';

after(() => removeTempDirs());

// Half pseudo-random letters, so LZ4 cannot shrink it much; `flat` is one letter repeated (a blob
// record far smaller than the value: the size reported must be the value's, not the record's).
function noisy(seed, len) {
  let x = 0x9e3779b9 ^ seed;
  let s = '';
  for (let i = 0; i < len; i++) {
    x = (x ^ (x << 13)) >>> 0; x = (x ^ (x >>> 17)) >>> 0; x = (x ^ (x << 5)) >>> 0;
    s += String.fromCharCode(97 + (i & 1 ? x % 26 : (i >> 1) % 26));
  }
  return s;
}
const VALUES = {
  small: 'tiny',
  empty: '',
  flat: 'a'.repeat(50_000),
  noisy: noisy(1, 3000),
  accented: 'é'.repeat(300), // 600 bytes of UTF-8 in 300 UTF-16 units
  doomed: noisy(2, 800),
};
const bytes = (v) => Buffer.byteLength(v, 'utf8');
const THRESHOLD = 100;

for (const worker of [false, true]) {
  for (const separated of [false, true]) {
    const mode = `${worker ? 'worker: true' : 'in-thread'}, ${separated ? 'kvSeparation' : 'plain'}`;
    describe(`sizeOf (${mode})`, () => {
      test('sizes of values in the memtable and in tables, missing and deleted keys, snapshots; no blob read', async () => {
        const db = await open(tempDir(), {
          keyEncoding: 'utf8', valueEncoding: 'utf8', worker,
          ...(separated ? { kvSeparation: { threshold: THRESHOLD } } : {}),
        });
        const stats = async () => (await db.stats()).blobs;
        try {
          for (const [k, v] of Object.entries(VALUES)) await db.put(k, v);
          await db.put(new Uint8Array([0, 255]), new Uint8Array(321));
          const expectSizes = async (what) => {
            for (const [k, v] of Object.entries(VALUES)) assert.equal(await db.sizeOf(k), bytes(v), `${what}: ${k}`);
            assert.equal(await db.sizeOf(new Uint8Array([0, 255])), 321, `${what}: a binary key`);
            assert.equal(await db.sizeOf('missing'), undefined, `${what}: a missing key`);
          };
          await expectSizes('in the memtable');
          await db.flush();
          const before = await stats();
          if (separated) assert.ok(before.files >= 1, 'the large values went to blob files');
          else assert.equal(before.files, 0);
          await expectSizes('in a table');

          await db.del('doomed');
          assert.equal(await db.sizeOf('doomed'), undefined, 'a deleted key (tombstone in the memtable)');
          const snap = db.snapshot();
          await db.put('noisy', noisy(3, 5000));
          await db.flush();
          assert.equal(await db.sizeOf('doomed'), undefined, 'a deleted key (tombstone in a table)');
          assert.equal(await db.sizeOf('noisy'), 5000, 'the newest value');
          assert.equal(await db.sizeOf('noisy', { snapshot: snap }), 3000, 'the snapshot\'s value, through the option');
          assert.equal(await snap.sizeOf('noisy'), 3000, 'the snapshot\'s value, through the snapshot');
          assert.equal(await snap.sizeOf('doomed'), undefined, 'deleted before the snapshot');
          if (!worker) {
            assert.equal(db.sizeOfSync('flat'), 50_000);
            assert.equal(db.sizeOfSync('noisy', { snapshot: snap }), 3000);
            assert.equal(snap.sizeOfSync('noisy'), 3000);
            assert.equal(db.sizeOfSync('missing'), undefined);
          } else {
            assert.throws(() => db.sizeOfSync('flat'), code('STRATA_NOT_SUPPORTED', /sizeOfSync needs an in-thread database/));
            assert.throws(() => snap.sizeOfSync('flat'), code('STRATA_NOT_SUPPORTED', /in-thread/));
          }
          assert.equal((await stats()).reads, before.reads, 'no sizeOf read a blob');

          // the counter does count: get() of a separated value reads its blob
          assert.equal((await db.get('flat')).length, 50_000);
          assert.equal(await db.get('noisy', { snapshot: snap }), VALUES.noisy);
          assert.equal((await stats()).reads, before.reads + (separated ? 2 : 0), 'get() read the blobs');
          snap.close();
          await assert.rejects(snap.sizeOf('flat'), code('STRATA_NOT_OPEN', /snapshot is closed/));
        } finally {
          await db.close();
        }
        await assert.rejects(db.sizeOf('flat'), code('STRATA_NOT_OPEN'));
      });

      test('bad keys and foreign snapshots are refused with a clear error', async () => {
        const db = await open(':memory:', { worker, ...(separated ? { kvSeparation: { threshold: THRESHOLD } } : {}) });
        const other = await open(':memory:', { worker });
        try {
          await db.put('k', 'v');
          await assert.rejects(db.sizeOf(42), code('STRATA_INVALID_ARGUMENT', /key must be a string or a Uint8Array, not number/));
          await assert.rejects(db.sizeOf({ k: 1 }), code('STRATA_INVALID_ARGUMENT', /key must be a string or a Uint8Array, not Object/));
          await assert.rejects(db.sizeOf(null), code('STRATA_INVALID_ARGUMENT', /key must not be null/));
          await assert.rejects(db.sizeOf(undefined), code('STRATA_INVALID_ARGUMENT', /key must not be undefined/));
          await assert.rejects(db.sizeOf('x'.repeat(70_000)), code('STRATA_INVALID_ARGUMENT', /keys are at most 65535 bytes/));
          const foreign = other.snapshot();
          await assert.rejects(db.sizeOf('k', { snapshot: foreign }), code('STRATA_INVALID_ARGUMENT', /sizeOf: the snapshot belongs to another database/));
          await assert.rejects(db.sizeOf('k', { snapshot: {} }), code('STRATA_INVALID_ARGUMENT', /sizeOf: snapshot must come from db.snapshot\(\)/));
          foreign.close();
          if (!worker) assert.throws(() => db.sizeOfSync(7), code('STRATA_INVALID_ARGUMENT', /key must be a string/));
          assert.equal(await db.sizeOf('k'), 1, 'the database still answers');
        } finally {
          await other.close();
          await db.close();
        }
      });
    });
  }
}
