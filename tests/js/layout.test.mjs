// What JS and C share comes from the C side's descriptors (strata_js_describe): the layouts are
// complete, consistent and used; the storage host is a parameter; the core modules use no Node
// built-ins (the browser entry will load them as they are).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { STATS_PLACES, camel, readStruct, writeCompaction } from '../../bindings/js/src/codecs.js';
import { openDatabase } from '../../bindings/js/src/database.js';
import { StrataError } from '../../bindings/js/src/errors.js';
import { loadModule } from '../../bindings/js/src/engine.js';
import { Native } from '../../bindings/js/src/native.js';
import { loadNative } from '../../bindings/js/src/native_node.js';
import { NodeHost } from '../../bindings/js/src/node_host.js';
import { checkOpenOptions } from '../../bindings/js/src/options.js';
import { open, repairDatabase } from '../../bindings/js/src/index.js';
import { removeTempDirs, tempDir } from './helpers.mjs';

after(() => removeTempDirs());

const src = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../bindings/js/src');
const T_CONST = 0;
const fieldsOf = (table) => Object.entries(table).filter(([, e]) => e.type !== T_CONST);
const SCALAR_SIZE = { 1: 4, 2: 8, 3: 8, 4: 4, 6: 4 }; // u32, u64, f64, i32, pointer (wasm32)

test('every described struct: fields in order, inside sizeof, not overlapping, aligned', async () => {
  const native = await loadNative({ memory: true });
  try {
    const { layout } = native;
    for (const name of ['stats', 'level_stats', 'recovery', 'repair', 'compaction']) {
      const size = layout[name].sizeof.value;
      let end = 0;
      for (const [field, e] of fieldsOf(layout[name])) {
        const bytes = e.type === 5 ? e.count * layout.level_stats.sizeof.value : SCALAR_SIZE[e.type];
        assert.ok(bytes > 0, `${name}.${field}: known type`);
        assert.ok(e.offset >= end, `${name}.${field} at ${e.offset} overlaps the field before (ends at ${end})`);
        assert.equal(e.offset % Math.min(bytes, 8), 0, `${name}.${field} is aligned`);
        end = e.offset + bytes;
      }
      assert.ok(end <= size && size - end < 8, `${name}: fields end at ${end}, sizeof ${size}`);
    }
    assert.equal(layout.stats.levels.count, 16);
  } finally {
    native.free();
  }
});

test('status codes: the descriptor names are strata_code_name\'s and cover 0..STRATA_QUOTA', async () => {
  const native = await loadNative({ memory: true });
  try {
    const m = native.m;
    const entries = Object.entries(native.codes);
    assert.equal(entries.length, 12);
    for (const [name, value] of entries) assert.equal(m.UTF8ToString(m._strata_code_name(value)), name);
    assert.deepEqual(entries.map(([, v]) => v).sort((a, b) => a - b), [...Array(12).keys()]);
  } finally {
    native.free();
  }
});

test('every strata_stats field has its place in db.stats(), and every place is a field', async () => {
  const native = await loadNative({ memory: true });
  try {
    assert.deepEqual(fieldsOf(native.layout.stats).map(([n]) => n).sort(), Object.keys(STATS_PLACES).sort());
  } finally {
    native.free();
  }
  const db = await open(':memory:');
  try {
    await db.put('k', 'value');
    await db.flush();
    const s = db.stats();
    assert.ok(s.bytesWritten.user >= 6); // at least 'k' + 'value'
    assert.equal(s.snapshotsOpen, 0);
    assert.ok(s.versionsAlive >= 1 && s.writeAmplification > 0);
    assert.ok(s.flushes >= 1 && s.seqno >= 1 && s.levels.length >= 1 && s.levels[0].tables >= 1);
    assert.ok(s.bytesWritten.flush > 0);
  } finally {
    await db.close();
  }
});

test('recovery and repair reports are the C structs\' fields by name', async () => {
  const native = await loadNative({ memory: true });
  let recoveryKeys;
  let repairKeys;
  try {
    recoveryKeys = fieldsOf(native.layout.recovery).map(([n]) => camel(n));
    repairKeys = fieldsOf(native.layout.repair).map(([n]) => camel(n));
  } finally {
    native.free();
  }
  const dir = tempDir();
  const db = await open(dir);
  assert.deepEqual(Object.keys(db.recovery), recoveryKeys);
  assert.equal(typeof db.recovery.damaged, 'boolean');
  await db.put('a', '1');
  await db.close();
  const report = await repairDatabase(dir);
  assert.deepEqual(Object.keys(report).sort(), [...repairKeys].sort()); // the log pointer becomes the log lines
  assert.ok(Array.isArray(report.log));
  assert.equal(report.entries, 1);
});

test('compaction options reach every strata_js_compaction field by name; an unknown field is refused', async () => {
  const native = await loadNative({ memory: true });
  const m = native.m;
  try {
    const table = native.layout.compaction;
    const full = checkOpenOptions({ compaction: { strategy: 'tiered', runTrigger: 3, sizeRatio: 2, maxSpaceAmplificationPercent: 150, tableTargetSize: 4096, level0Stall: { slowdown: 8, stop: 9 } } }, native.limits).compaction;
    writeCompaction(m, native.structPtr, full, table);
    const back = readStruct(m, native.structPtr, table, native.layout);
    assert.deepEqual(back, {
      strategy: table.STRATEGY_TIERED.value, level0_trigger: -1, level_ratio: -1, run_trigger: 3, size_ratio: 2,
      max_space_amplification_percent: 150, limit_bytes: -1, ttl_ms: -1, table_target_size: 4096, level0_slowdown: 8, level0_stop: 9,
      kv_threshold: -1, kv_file_target_size: -1, kv_compression: -1, kv_staleness_threshold: -1, kv_age_cutoff: -1,
    });
    // key-value separation rides in the same struct (its garbage collection is compaction's)
    const kv = checkOpenOptions({ kvSeparation: { threshold: 512, fileTargetSize: 1 << 20, compression: 'none', stalenessThreshold: 0.5, ageCutoff: 0.75 } }, native.limits).compaction;
    writeCompaction(m, native.structPtr, kv, table);
    const kvBack = readStruct(m, native.structPtr, table, native.layout);
    assert.deepEqual([kvBack.strategy, kvBack.kv_threshold, kvBack.kv_file_target_size, kvBack.kv_compression, kvBack.kv_staleness_threshold, kvBack.kv_age_cutoff],
      [table.STRATEGY_DEFAULT.value, 512, 1 << 20, 0, 0.5, 0.75]);
    assert.throws(() => writeCompaction(m, native.structPtr, { strategy: 'leveled', no_such_knob: 1 }, table),
      (e) => e instanceof StrataError && /no option no_such_knob/.test(e.message));
  } finally {
    native.free();
  }
});

test('the storage host is a parameter: a host passed in serves the database', async () => {
  class CountingHost extends NodeHost {
    opens = 0;
    open(...args) {
      this.opens++;
      return super.open(...args);
    }
  }
  const host = new CountingHost();
  const native = await Native.load({ host, loadModule });
  const dir = tempDir();
  const db = openDatabase(native, dir, dir, {}, checkOpenOptions({}, native.limits), 'strict', { valueEncoding: 'utf8', keyEncoding: 'utf8' });
  await db.put('k', 'v');
  await db.flush();
  assert.equal(await db.get('k'), 'v');
  await db.close();
  assert.ok(host.opens > 0, 'the engine opened its files through the host it was given');
  await assert.rejects(Native.load({}), (e) => e instanceof StrataError && e.code === 'STRATA_INVALID_ARGUMENT' && /storage host/.test(e.message));
});

test('a host whose constants differ from the engine\'s refuses to attach', async () => {
  const native = await loadNative({ memory: true });
  try {
    const drifted = { ...native.layout, open_flags: { ...native.layout.open_flags, CREATE: { value: 64 } } };
    assert.throws(() => new NodeHost().attach(native.m, drifted), /open flag CREATE/);
    const codes = { ...native.layout, codes: { ...native.layout.codes, STRATA_LOCKED: { value: 60 } } };
    assert.throws(() => new NodeHost().attach(native.m, codes), /code LOCKED/);
  } finally {
    native.free();
  }
});

test('the core modules import no Node built-ins and use no Node globals', () => {
  const core = ['database.js', 'snapshot.js', 'iterator.js', 'codecs.js', 'options.js', 'keys.js', 'errors.js', 'native.js', 'worker_protocol.js', 'chained_batch.js', 'progress.js', 'image.js', 'host_common.js'];
  for (const file of core) {
    const text = fs.readFileSync(path.join(src, file), 'utf8');
    const code = text.replace(/^\s*\/\/.*$/gm, '');
    assert.doesNotMatch(code, /from\s+'node:|import\('node:|require\(/, `${file} imports a Node module`);
    assert.doesNotMatch(code, /\bBuffer\.|\bprocess\./, `${file} uses a Node global`);
    for (const [, dep] of code.matchAll(/from\s+'\.\/([^']+)'/g)) {
      assert.ok(core.includes(dep) || dep === 'engine.js', `${file} imports ${dep}, which is no core module`);
    }
  }
});

test('a host failure keeps the system error as the StrataError\'s cause; a failure C handled does not', async () => {
  const file = path.join(tempDir(), 'a-file');
  fs.writeFileSync(file, 'x');
  await assert.rejects(open(path.join(file, 'db')), (e) => e instanceof StrataError && e.code === 'STRATA_INVALID_ARGUMENT' &&
    /ENOTDIR/.test(e.message) && e.cause?.code === 'ENOTDIR');
  // an engine refusal that no host call failed for has no cause
  const dir = tempDir();
  await (await open(dir)).close();
  await assert.rejects(open(dir, { errorIfExists: true }), (e) => e instanceof StrataError && e.code === 'STRATA_EXISTS' && e.cause === undefined);
});
