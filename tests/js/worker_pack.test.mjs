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

test('a batch with anything but byte arrays of a known type is left to the clone (no limits given)', () => {
  assert.equal(packBatch([{ type: 'put', key: 'k', value: b(1) }]), null);
  assert.equal(packBatch([{ type: 'put', key: b(1), value: 'v' }]), null);
  assert.equal(packBatch([{ type: 'put', key: b(1) }]), null); // the worker refuses it with its message
  assert.equal(packBatch([{ type: 'merge', key: b(1), value: b(1) }]), null);
  assert.equal(packBatch([null]), null);
  assert.equal(packBatch([]), null);
  assert.equal(packBatch('not an array'), null);
});

const LIMITS = { KEY_MAX: 65535, VALUE_MAX: 128 << 20, BATCH_BYTES_MAX: 256 << 20 }; // the ready message's
const utf8 = (s) => [...new TextEncoder().encode(s)];
const plain = (ops) => ops.map((o) => ({ type: o.type, key: [...o.key], value: o.value && [...o.value] }));

test('string_keys_and_values_pack_as_the_engine_encodes_them_and_other_views_as_their_bytes', () => {
  const i16 = new Int16Array([0x0201, 0x0403]);
  const ascii = [
    { type: 'put', key: 'k1', value: 'v1' },
    { type: 'put', key: '', value: '' }, // the empty key is valid
    { type: 'del', key: 'gone', value: 'not read' },
    { type: 'put', key: b(7), value: 'bytes key, string value' },
    { type: 'singleDel', key: Buffer.from('buf') },
    { type: 'put', key: new DataView(i16.buffer, 1, 2), value: i16 }, // views of any kind: their bytes
  ];
  const buf = packBatch(ascii, LIMITS);
  assert.ok(buf instanceof ArrayBuffer);
  const expect = [
    { type: 'put', key: utf8('k1'), value: utf8('v1') },
    { type: 'put', key: [], value: [] },
    { type: 'del', key: utf8('gone'), value: undefined },
    { type: 'put', key: [7], value: utf8('bytes key, string value') },
    { type: 'singleDel', key: utf8('buf'), value: undefined },
    { type: 'put', key: [0x02, 0x03], value: [0x01, 0x02, 0x03, 0x04] }, // little-endian words
  ];
  assert.deepEqual(plain(unpackBatch(structuredClone(buf))), expect);
  const bytes = expect.reduce((n, o) => n + o.key.length + (o.value?.length ?? 0), 0);
  assert.equal(buf.byteLength, (2 + 3 * ascii.length) * 4 + bytes, 'ASCII strings take one byte per character, no room left over');
  // beyond ASCII: TextEncoder's bytes, a lone surrogate as U+FFFD; the buffer is cut to them
  const wide = ['é', '日本語', '😀', 'a\ud800b', '\udfff', 'x'.repeat(40) + 'ü', 'ascii'];
  const ops = wide.map((s, i) => ({ type: 'put', key: s, value: wide[(i + 1) % wide.length] }));
  const wbuf = packBatch(ops, LIMITS);
  assert.deepEqual(plain(unpackBatch(wbuf)), ops.map((o) => ({ type: 'put', key: utf8(o.key), value: utf8(o.value) })));
  const wbytes = ops.reduce((n, o) => n + utf8(o.key).length + utf8(o.value).length, 0);
  assert.equal(wbuf.byteLength, (2 + 3 * ops.length) * 4 + wbytes);
});

test('without the engine limits strings are left to the clone; byte arrays still pack', () => {
  assert.equal(packBatch([{ type: 'put', key: 'k', value: 'v' }]), null);
  assert.ok(packBatch([{ type: 'put', key: b(1), value: b(2) }]) instanceof ArrayBuffer);
});

test('an_operation_over_a_limit_or_that_is_not_a_string_or_bytes_leaves_the_batch_to_the_clone', () => {
  const small = { KEY_MAX: 3, VALUE_MAX: 4, BATCH_BYTES_MAX: 12 };
  const ok = { type: 'put', key: 'abc', value: 'wxyz' };
  assert.ok(packBatch([ok], small) instanceof ArrayBuffer, 'at the limits it packs');
  for (const [name, bad] of [
    ['a string key over KEY_MAX', { type: 'put', key: 'abcd', value: '' }],
    ['a key whose UTF-8 is over KEY_MAX though its length is not', { type: 'del', key: 'éé' }],
    ['a byte key over KEY_MAX', { type: 'del', key: b(1, 2, 3, 4) }],
    ['a string value over VALUE_MAX', { type: 'put', key: 'k', value: 'vvvvv' }],
    ['a byte value over VALUE_MAX with a string key', { type: 'put', key: 'k', value: b(1, 2, 3, 4, 5) }],
    ['a value whose UTF-8 is over VALUE_MAX', { type: 'put', key: 'k', value: '日本' }],
    ['a number key', { type: 'put', key: 5, value: 'v' }],
    ['a String object', { type: 'put', key: new String('k'), value: 'v' }], // eslint-disable-line no-new-wrappers
    ['a missing value', { type: 'put', key: 'k' }],
    ['a null value', { type: 'put', key: 'k', value: null }],
    ['an unknown type', { type: 'merge', key: 'k', value: 'v' }],
    ['null', null],
    ['a string', 'put'],
  ]) {
    assert.equal(packBatch([ok, bad], small), null, name);
  }
  assert.equal(packBatch([ok, ok, ok], small), null, 'a batch over BATCH_BYTES_MAX');
  assert.equal(packBatch([ok, { type: 'put', key: 'é', value: 'éé' }], small), null, 'a batch whose UTF-8 is over BATCH_BYTES_MAX');
  assert.equal(packBatch([ok, , ok], LIMITS), null, 'a hole'); // eslint-disable-line no-sparse-arrays
});

test('packing_copies_the_callers_arrays_and_never_detaches_them', () => {
  const key = b(1, 2, 3);
  const pooled = Buffer.from('pooled'); // a view of a shared pool buffer
  const value = new Uint8Array(new ArrayBuffer(16), 4, 4).fill(9);
  const ops = [{ type: 'put', key, value }, { type: 'put', key: pooled, value: 'v' }];
  const buf = packBatch(ops, LIMITS);
  const moved = structuredClone(buf, { transfer: [buf] }); // as postMessage transfers it
  assert.equal(buf.byteLength, 0, 'the packed buffer moved');
  assert.deepEqual([...key], [1, 2, 3]);
  assert.deepEqual([...value], [9, 9, 9, 9]);
  assert.equal(value.buffer.byteLength, 16);
  assert.equal(pooled.toString(), 'pooled');
  const back = unpackBatch(moved);
  back[0].key[0] = 42; // the worker's views are of the packed buffer, not of the caller's arrays
  assert.equal(key[0], 1);
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
