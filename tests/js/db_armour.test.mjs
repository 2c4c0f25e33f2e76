// API armour in the JS package: locations with NUL refused, snapshots of another database
// refused before any wasm call, and open/close cycles that leak neither process listeners nor
// wasm memory (each open instantiates its own module; close must let all of it go).
// STRATA_ARMOUR_CYCLES scales the cycle counts (1 = the defaults below).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';

import { StrataError, open } from '../../bindings/js/src/index.js';
import { StrataLevel } from '../../bindings/js/src/level.js';
import { removeTempDirs, root, tempDir } from './helpers.mjs';

after(() => removeTempDirs());

const SCALE = Number(process.env.STRATA_ARMOUR_CYCLES ?? 1);
const hasMt = fs.existsSync(path.join(root, 'bindings/js/dist/mt/strata.mjs'));
const code = (c, re) => (e) => e instanceof StrataError && e.code === c && (!re || re.test(e.message));

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

// Every process event's listener count (uncaughtException, unhandledRejection, exit, ...).
function listeners() {
  const out = {};
  for (const name of ['uncaughtException', 'unhandledRejection', 'exit', 'beforeExit', 'warning', 'SIGINT', ...process.eventNames()]) {
    if (typeof name === 'string') out[name] = process.listenerCount(name);
  }
  return out;
}

// Memory after collecting until nothing more goes (wasm memories are freed by the collector).
async function settledMemory() {
  let last = Infinity;
  for (let i = 0; i < 10; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
    const ext = process.memoryUsage().external;
    if (ext >= last) break;
    last = ext;
  }
  return process.memoryUsage();
}

const MiB = 2 ** 20;
const BOUND = 64 * MiB;
const RETURN_MS = 5000;
const GREW_KEYS = ['rss', 'external', 'arrayBuffers'];

// Runs `cycles` open/use/close rounds and checks listener counts and memory before and after.
async function cyclesLeakNothing(cycles, openOne, { keep = 0 } = {}) {
  await (await openOne(-1)).close(); // the first load (module import, compiled code) is not a leak
  const before = listeners();
  const mem0 = await settledMemory();
  const kept = []; // closed handles the caller holds on to: they must not pin their module
  for (let i = 0; i < cycles; i++) {
    const db = await openOne(i);
    await db.put('k', `v${i}`);
    assert.equal(await db.get('k', { valueEncoding: 'utf8' }), `v${i}`);
    const snap = db.snapshot();
    const it = db.iterator();
    await db.close();
    if (keep) {
      kept.push({ db, snap, it });
      if (kept.length > keep) kept.shift();
    }
  }
  assert.deepEqual(listeners(), before, 'process listeners after the cycles');
  // A closed worker's isolate and a collected module's memory are returned a little later, and
  // later still on a loaded machine: memory that comes back within RETURN_MS was not leaked; a
  // leak never comes back.
  let mem1, grew;
  for (const deadline = Date.now() + RETURN_MS; ;) {
    mem1 = await settledMemory();
    grew = (k) => mem1[k] - mem0[k];
    if (GREW_KEYS.every((k) => grew(k) < BOUND) || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const k of GREW_KEYS) {
    assert.ok(grew(k) < BOUND, `${k} grew by ${(grew(k) / MiB).toFixed(1)} MiB over ${cycles} cycles`);
  }
  assert.equal(kept.length, Math.min(keep, cycles));
  return { cycles, externalMiB: grew('external') / MiB, rssMiB: grew('rss') / MiB };
}

describe('locations with NUL', () => {
  test('open refuses a location containing NUL, creating nothing', async () => {
    const dir = tempDir();
    const bad = path.join(dir, 'db\0evil');
    await assert.rejects(open(bad), code('STRATA_INVALID_ARGUMENT', /NUL/));
    await assert.rejects(open('\0'), code('STRATA_INVALID_ARGUMENT', /NUL/));
    await assert.rejects(open(bad, { backend: 'memory' }), code('STRATA_INVALID_ARGUMENT', /NUL/));
    await assert.rejects(open(bad, { worker: true }), code('STRATA_INVALID_ARGUMENT', /NUL/));
    await assert.rejects(open(bad, { threads: true }), code('STRATA_INVALID_ARGUMENT', /NUL/));
    assert.deepEqual(fs.readdirSync(dir), []); // the part before the NUL was not opened as a folder
    const level = new StrataLevel(bad);
    await assert.rejects(level.open(), (e) => /NUL/.test(`${e.message} ${e.cause?.message}`));
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  test('a location with a NUL-free name next to it still opens', async () => {
    const dir = tempDir();
    const db = await open(path.join(dir, 'db'));
    await db.put('k', 'v');
    await db.close();
    assert.deepEqual(fs.readdirSync(dir), ['db']);
  });
});

describe('snapshots of another database', () => {
  test('iterator, get, getMany and has refuse another database\'s snapshot before any wasm call', async () => {
    const a = await open(':memory:', { valueEncoding: 'utf8', keyEncoding: 'utf8' });
    const b = await open(':memory:', { valueEncoding: 'utf8', keyEncoding: 'utf8' });
    try {
      await a.put('k', 'a-old');
      await b.put('k', 'b');
      const snapA = a.snapshot();
      await a.put('k', 'a-new');
      // A pointer that the other instance would read as garbage: the refusal is the JS check's.
      const real = snapA._ptr;
      snapA._ptr = 0x7ffffff0;
      const foreign = /belongs to another database/;
      assert.throws(() => b.iterator({ snapshot: snapA }), code('STRATA_INVALID_ARGUMENT', foreign));
      assert.throws(() => b.keys({ snapshot: snapA }), code('STRATA_INVALID_ARGUMENT', foreign));
      assert.throws(() => b.values({ snapshot: snapA }), code('STRATA_INVALID_ARGUMENT', foreign));
      await assert.rejects(b.get('k', { snapshot: snapA }), code('STRATA_INVALID_ARGUMENT', foreign));
      await assert.rejects(b.getMany(['k'], { snapshot: snapA }), code('STRATA_INVALID_ARGUMENT', foreign));
      await assert.rejects(b.has('k', { snapshot: snapA }), code('STRATA_INVALID_ARGUMENT', foreign));
      await assert.rejects(b.clear({ snapshot: snapA }), code('STRATA_INVALID_ARGUMENT', foreign));
      assert.throws(() => b.iterator({ snapshot: { _ptr: real } }), code('STRATA_INVALID_ARGUMENT', /db\.snapshot\(\)/));
      snapA._ptr = real;
      // b is unharmed, and a reads through its own snapshot, as an option or through the snapshot
      assert.equal(await b.get('k'), 'b');
      assert.deepEqual(await b.iterator().all(), [['k', 'b']]);
      assert.equal(await a.get('k', { snapshot: snapA }), 'a-old');
      assert.deepEqual(await a.getMany(['k', 'x'], { snapshot: snapA }), ['a-old', undefined]);
      assert.equal(await a.has('k', { snapshot: snapA }), true);
      assert.deepEqual(await a.iterator({ snapshot: snapA }).all(), [['k', 'a-old']]);
      assert.equal(await a.get('k'), 'a-new');
      snapA.close();
      await assert.rejects(a.get('k', { snapshot: snapA }), code('STRATA_NOT_OPEN', /snapshot is closed/));
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('a snapshot of a closed database is refused by another one on the same folder', async () => {
    const dir = tempDir();
    const first = await open(dir, { valueEncoding: 'utf8' });
    await first.put('k', 'v');
    const snap = first.snapshot();
    await first.close();
    const second = await open(dir, { valueEncoding: 'utf8' });
    try {
      assert.throws(() => second.iterator({ snapshot: snap }), code('STRATA_INVALID_ARGUMENT', /another database/));
      assert.equal(await second.get('k'), 'v');
    } finally {
      await second.close();
    }
  });

  test('worker: another database\'s snapshot is refused, not read as the same-numbered handle', async () => {
    const a = await open(':memory:', { worker: true, valueEncoding: 'utf8', keyEncoding: 'utf8' });
    const b = await open(':memory:', { worker: true, valueEncoding: 'utf8', keyEncoding: 'utf8' });
    try {
      await a.put('k', 'a');
      await b.put('k', 'b-old');
      const snapA = a.snapshot(); // both snapshots are handle "h1" inside their own worker
      const snapB = b.snapshot();
      await b.put('k', 'b-new');
      assert.throws(() => b.iterator({ snapshot: snapA }), code('STRATA_INVALID_ARGUMENT', /another database/));
      await assert.rejects(b.get('k', { snapshot: snapA }), code('STRATA_INVALID_ARGUMENT', /another database/));
      await assert.rejects(b.has('k', { snapshot: snapA }), code('STRATA_INVALID_ARGUMENT', /another database/));
      assert.equal(await b.get('k', { snapshot: snapB }), 'b-old');
      assert.deepEqual(await b.getMany(['k'], { snapshot: snapB }), ['b-old']);
      assert.deepEqual(await b.iterator({ snapshot: snapB }).all(), [['k', 'b-old']]);
      snapA.close();
      snapB.close();
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('strata-lsm/level: another StrataLevel\'s snapshot is refused', async () => {
    const a = new StrataLevel(':memory:', { valueEncoding: 'utf8' });
    const b = new StrataLevel(':memory:', { valueEncoding: 'utf8' });
    await a.open();
    await b.open();
    try {
      await a.put('k', 'a');
      await b.put('k', 'b');
      const snapA = a.snapshot();
      await assert.rejects(b.get('k', { snapshot: snapA }), (e) => /another database/.test(`${e.message} ${e.cause?.message}`));
      assert.throws(() => b.iterator({ snapshot: snapA }), (e) => /another database/.test(e.message));
      assert.equal(await a.get('k', { snapshot: snapA }), 'a');
      assert.equal(await b.get('k'), 'b');
      await snapA.close();
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('open/close leaks nothing', () => {
  test('10,000 open/close cycles in one process: flat listener counts, bounded memory', { timeout: 120_000 }, async () => {
    const started = Date.now();
    const r = await cyclesLeakNothing(Math.round(10_000 * SCALE), () => open(':memory:'));
    const secs = (Date.now() - started) / 1000;
    console.log(`# in-thread: ${r.cycles} cycles in ${secs.toFixed(1)} s, external +${r.externalMiB.toFixed(1)} MiB, rss +${r.rssMiB.toFixed(1)} MiB`);
  });

  test('closed handles kept by the caller do not keep their wasm memory', async () => {
    // 300 closed databases with a snapshot and an iterator each, all still referenced: with the
    // module reachable from any of them this would hold 300 x 16 MiB.
    await cyclesLeakNothing(Math.round(300 * SCALE), () => open(':memory:'), { keep: 300 });
  });

  test('on a folder: open/close cycles leave no listeners, memory or lock behind', async () => {
    const dir = tempDir();
    await cyclesLeakNothing(Math.round(300 * SCALE), () => open(dir));
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('LOCK')), []);
  });

  test('worker: true open/close cycles', { timeout: 120_000 }, async () => {
    const started = Date.now();
    const r = await cyclesLeakNothing(Math.round(200 * SCALE), () => open(':memory:', { worker: true }));
    console.log(`# worker: ${r.cycles} cycles in ${((Date.now() - started) / 1000).toFixed(1)} s, external +${r.externalMiB.toFixed(1)} MiB, rss +${r.rssMiB.toFixed(1)} MiB`);
  });

  test('threads: true open/close cycles', { skip: !hasMt && 'the wasm-mt build is missing', timeout: 120_000 }, async () => {
    const started = Date.now();
    const r = await cyclesLeakNothing(Math.round(200 * SCALE), () => open(':memory:', { threads: true }));
    console.log(`# threads: ${r.cycles} cycles in ${((Date.now() - started) / 1000).toFixed(1)} s, external +${r.externalMiB.toFixed(1)} MiB, rss +${r.rssMiB.toFixed(1)} MiB`);
  });
});
