// worker_pack.js: what crosses to and from the database worker packed in one buffer comes back
// equal and in order, every value its own array; what it cannot pack is left to the clone.
import assert from 'node:assert/strict';
import test from 'node:test';

import { packBatch, packValues, unpackBatch, unpackValues } from '../../bindings/js/src/worker_pack.js';

const b = (...xs) => Uint8Array.from(xs);

test('a batch of byte arrays round-trips packed, in order, with every operation type', () => {
  const ops = [
    { type: 'put', key: b(1, 2), value: b(9) },
    { type: 'del', key: b(3) },
    { type: 'singleDel', key: b(4, 5, 6) },
    { type: 'put', key: b(7), value: new Uint8Array(0) },
    { type: 'put', key: new Uint8Array(new ArrayBuffer(8), 2, 3).fill(8), value: b(1, 1) }, // a view
  ];
  const buf = packBatch(ops);
  assert.ok(buf instanceof ArrayBuffer);
  const back = unpackBatch(structuredClone(buf));
  assert.deepEqual(back.map((o) => ({ type: o.type, key: [...o.key], value: o.value && [...o.value] })), [
    { type: 'put', key: [1, 2], value: [9] },
    { type: 'del', key: [3], value: undefined },
    { type: 'singleDel', key: [4, 5, 6], value: undefined },
    { type: 'put', key: [7], value: [] },
    { type: 'put', key: [8, 8, 8], value: [1, 1] },
  ]);
  assert.ok(!('value' in back[1]), 'a del carries no value');
});

test('a batch with anything but byte arrays of a known type is left to the clone', () => {
  assert.equal(packBatch([{ type: 'put', key: 'k', value: b(1) }]), null);
  assert.equal(packBatch([{ type: 'put', key: b(1), value: 'v' }]), null);
  assert.equal(packBatch([{ type: 'put', key: b(1) }]), null); // the worker refuses it with its message
  assert.equal(packBatch([{ type: 'merge', key: b(1), value: b(1) }]), null);
  assert.equal(packBatch([null]), null);
  assert.equal(packBatch([]), null);
  assert.equal(packBatch('not an array'), null);
});

test('read values round-trip packed, each its own buffer; misses stay undefined', () => {
  const values = [b(1, 2, 3), undefined, new Uint8Array(0), b(4)];
  const back = unpackValues(structuredClone(packValues(values)));
  assert.deepEqual(back.map((v) => v && [...v]), [[1, 2, 3], undefined, [], [4]]);
  assert.ok(back.every((v) => v === undefined || (v.byteOffset === 0 && v.buffer.byteLength === v.length)), 'every value owns its buffer');
  const pairs = [[b(1), b(2, 2)], [b(3, 3, 3), new Uint8Array(0)]];
  const backPairs = unpackValues(structuredClone(packValues(pairs)));
  assert.deepEqual(backPairs.map(([k, v]) => [[...k], [...v]]), [[[1], [2, 2]], [[3, 3, 3], []]]);
  assert.ok(backPairs.flat().every((v) => v.byteOffset === 0 && v.buffer.byteLength === v.length));
});

test('read values of strings, mixed pairs or holes are left to the clone', () => {
  assert.equal(packValues(['a', b(1)]), null);
  assert.equal(packValues([[b(1), 'v']]), null);
  assert.equal(packValues([[b(1), b(2)], b(3)]), null);
  assert.equal(packValues([b(1), , b(2)]), null); // eslint-disable-line no-sparse-arrays
  assert.equal(packValues([]), null);
  assert.equal(packValues(undefined), null);
});

test('a buffer that is not a packed one is refused, never read out of bounds', () => {
  assert.throws(() => unpackBatch(new ArrayBuffer(4)), /not a packed buffer/);
  const w = new Int32Array([1, 1000, 0, 5, -1]);
  assert.throws(() => unpackBatch(w.buffer), /not a packed buffer/);
  const short = new Int32Array([1, 1, 0, 5, -1]); // a key of 5 bytes, none there
  assert.throws(() => unpackBatch(short.buffer), /truncated/);
  assert.throws(() => unpackValues(new Int32Array([7, 0]).buffer), /not a packed buffer/);
});
