// The maintenance pool of a shared pthreads instance (bindings/js/c/maintenance_pool.c): the
// databases of one instance open without threads of their own and the pool's threads run their
// flushes and compactions, kicked after writes. Browsers use it (one instance per worker,
// tests/browser/engine_sharing.test.mjs); here the same module runs under Node, on the Node
// storage host, where a wrapper host can refuse or fail the creation of tables.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';

import { openDatabase } from '../../bindings/js/src/database.js';
import { MAINTENANCE_THREADS } from '../../bindings/js/src/engine_core.js';
import { engineConstants, loadModule } from '../../bindings/js/src/engine.js';
import { CODES, ERR_CAP } from '../../bindings/js/src/host_common.js';
import { encodingOf } from '../../bindings/js/src/keys.js';
import { Native } from '../../bindings/js/src/native.js';
import { NodeHost } from '../../bindings/js/src/node_host.js';
import { checkOpenOptions } from '../../bindings/js/src/options.js';
import { removeTempDirs, strataError, tempDir } from './helpers.mjs';

// One pthreads instance with its maintenance pool, held for the whole file, as the browsers'
// acquireModule holds one per worker (engine_core.js; Node's entry gives each database an
// instance of its own, so its loader does not share).
let shared = null;
let loading = null;
function instance() {
  loading ??= loadModule({ threads: true, moduleArgs: { strataHosts: [], strataFilters: new Map() } }).then(({ module, variant }) => {
    module.strataPool = module._strata_js_pool_new(MAINTENANCE_THREADS);
    assert.ok(module.strataPool, 'the pool started');
    shared = { module, variant, retain() { return this; }, release() {} };
    return shared;
  });
  return loading;
}
after(() => {
  removeTempDirs();
  if (shared) {
    shared.module._strata_js_pool_free(shared.module.strataPool); // every database left
    shared.module.PThread.terminateAllThreads();
  }
});

const OPTIONS = { memtableSize: 64 * 1024, threads: true };
const encodings = { valueEncoding: encodingOf('utf8', 'valueEncoding'), keyEncoding: encodingOf('utf8', 'keyEncoding') };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const key = (i) => `k${String(i).padStart(6, '0')}`;
const value = (i) => `${i}:`.padEnd(100, 'v');

// A database on the shared pthreads instance, as the browser entry opens one (index_browser.js).
async function openPooled(dir, host = new NodeHost()) {
  const parsed = checkOpenOptions(OPTIONS, await engineConstants({ threads: true }));
  const native = Native.on(await instance(), { host });
  return openDatabase(native, path.join(dir, 'db'), dir, OPTIONS, parsed, 'strict', encodings);
}

// Until `done(db.stats())` (stats() does not kick the pool: nothing here asks for maintenance).
async function until(db, done, what) {
  let st = db.stats();
  for (const deadline = Date.now() + 10_000; !done(st) && Date.now() < deadline; st = db.stats()) await sleep(10);
  assert.ok(done(st), `${what}: ${JSON.stringify({ flushes: st.flushes, compactions: st.compactions, sealed: st.memtable.sealed })}`);
}

// The Node host, with table creations refused by `refuse(path)` (a code and message, or null).
// host.refusals counts them.
function refusingHost(refuse) {
  const host = new NodeHost();
  const open = host.open.bind(host);
  host.refusals = 0;
  host.open = (pathPtr, flags, err) => {
    const p = host.module.UTF8ToString(pathPtr);
    const r = p.includes('/tables/') ? refuse(p) : null;
    if (!r) return open(pathPtr, flags, err);
    host.refusals++;
    host.module.stringToUTF8(r.message, err, ERR_CAP);
    return -r.code;
  };
  return host;
}

const fill = async (db, from, to) => {
  for (let i = from; i < to; i += 100) await db.batch(Array.from({ length: 100 }, (_, k) => ({ type: 'put', key: key(i + k), value: value(i + k) })));
};

test('pool_threads_flush_and_compact_several_databases_of_one_instance', async () => {
  const dirs = [tempDir(), tempDir(), tempDir()];
  let dbs = await Promise.all(dirs.map((d) => openPooled(d)));
  try {
    assert.deepEqual(dbs.map((db) => db.stats().engine.databases), [3, 3, 3], 'one instance for the three');
    await Promise.all(dbs.map((db) => fill(db, 0, 4000)));
    for (const db of dbs) await until(db, (st) => st.flushes >= 4 && st.compactions >= 1 && st.memtable.sealed === 0, 'flushed and compacted in the background');
    await Promise.all(dbs.map((db) => db.close()));
    dbs = await Promise.all(dirs.map((d) => openPooled(d)));
    for (const db of dbs) {
      const got = await db.getMany(Array.from({ length: 4000 }, (_, i) => key(i)));
      assert.equal(got.filter((v, i) => v !== value(i)).length, 0, 'every write after reopen');
    }
    await dbs[2].close();
    assert.equal(dbs[0].stats().engine.databases, 2, 'a closed database left the instance');
  } finally {
    await Promise.all(dbs.map((db) => db.close()));
  }
});

test('a_pool_step_that_would_block_runs_again_by_itself', async () => {
  let refusals = 5;
  const db = await openPooled(tempDir(), refusingHost((p) => (refusals-- > 0 ? { code: CODES.BUSY, message: `create ${p}: injected: would block` } : null)));
  try {
    await fill(db, 0, 800); // one memtable sealed, not enough for a write to flush inline
    await until(db, (st) => st.flushes >= 1 && st.memtable.sealed === 0, 'the flush ran again after its refusals');
    assert.ok(refusals < 0, 'every refusal was met');
    assert.deepEqual(await db.getMany([key(0), key(799)]), [value(0), value(799)]);
  } finally {
    await db.close();
  }
});

test('a_failed_pool_step_is_reported_by_the_first_write_after_it_and_heals_with_resume', async () => {
  const dir = tempDir();
  let failing = true;
  const host = refusingHost((p) => (failing ? { code: CODES.IO, message: `create ${p}: injected: the device failed` } : null));
  let db = await openPooled(dir, host);
  try {
    await sealOne(db);
    await untilRefused(host, 1);
    await assert.rejects(db.put('refused', 'x'), strataError('STRATA_IO', /^maintenance: flushing memtable: create .*injected: the device failed/));
    failing = false;
    await db.resume();
    await until(db, (st) => st.flushes >= 1 && st.memtable.sealed === 0, 'flushed once the device works');
    await db.put('later', 'fine'); // no stale failure left behind
    await db.close();
    db = await openPooled(dir);
    assert.deepEqual(await db.getMany([key(0), key(SEAL - 1), 'refused', 'later']), [value(0), value(SEAL - 1), undefined, 'fine']);
  } finally {
    await db.close();
  }
});

// A failed background step, in the two builds that run steps outside the engine's own threads:
// the single-threaded build (database.js runs the steps between requests, #scheduleMaintenance)
// and the pthreads build on a shared instance (the pool's threads run them). Both must behave the
// same, and as the native engine's background error does for the first call: the first write
// after the failure is refused with it (before, the pool's was taken after that write had applied
// and reported by the second). The single-threaded build's contract, which the pool now follows:
// a failure that can heal (STRATA_IO, a full disk) is reported once, to that first write; the
// write after it is accepted and its maintenance retries the step, and a retry that fails again
// is reported to the next write again. One that cannot heal (STRATA_CORRUPTION) becomes the
// engine's own error: every later write fails until the database is reopened. Either way the
// database stays readable, close() does not hang, and every acknowledged write is there after
// the reopen.
const SEAL = 700; // one batch this size fills a 64 KiB memtable: one seal, whose flush fails
async function sealOne(db) {
  await db.batch(Array.from({ length: SEAL }, (_, i) => ({ type: 'put', key: key(i), value: value(i) })));
  await db.put('seal', 'x'); // the memtable is full: sealed here, its flush queued
}
// Until the host refused `n` table creations, then a while for the step that met the refusal to
// end (its failure is recorded by the thread that ran it, after the host call returned).
async function untilRefused(host, n) {
  for (const deadline = Date.now() + 10_000; host.refusals < n && Date.now() < deadline;) await sleep(5);
  assert.ok(host.refusals >= n, `the host refused ${host.refusals} table creations, expected ${n}`);
  await sleep(50);
}
async function openSt(dir, host = new NodeHost()) {
  const options = { memtableSize: OPTIONS.memtableSize };
  const parsed = checkOpenOptions(options, await engineConstants({ threads: false }));
  const native = await Native.load({ host, loadModule });
  return openDatabase(native, path.join(dir, 'db'), dir, options, parsed, 'strict', encodings);
}
const BUILDS = { 'single-threaded': openSt, pthreads_pool: openPooled };
const settlesWithin = (p, ms, what) => Promise.race([p.then(() => 'resolved', () => 'rejected'),
  sleep(ms).then(() => assert.fail(`${what} did not settle in ${ms} ms`))]);
const readable = async (db, extra) => {
  const got = await db.getMany(Array.from({ length: SEAL }, (_, i) => key(i)));
  assert.equal(got.filter((v, i) => v !== value(i)).length, 0, 'every acknowledged write reads back');
  let n = 0;
  for await (const _ of db.iterator({ gte: key(0), lte: key(SEAL) })) n++;
  assert.equal(n, SEAL, 'an iterator sees them');
  assert.deepEqual(await db.getMany(Object.keys(extra)), Object.values(extra));
};

for (const [build, open] of Object.entries(BUILDS)) {
  test(`${build}: a_failed_background_flush_that_can_heal_is_refused_to_the_first_write_after_it`, async () => {
    const dir = tempDir();
    let failing = true;
    const host = refusingHost((p) => (failing ? { code: CODES.IO, message: `create ${p}: injected: the device failed` } : null));
    let db = await open(dir, host);
    try {
      await sealOne(db);
      await untilRefused(host, 1);
      const failure = strataError('STRATA_IO', /^maintenance: flushing memtable: create .*\/tables\/.*: injected: the device failed$/);
      await assert.rejects(db.put('first', 'x'), failure, 'the first write after the failure is refused with it');
      await readable(db, { seal: 'x', first: undefined });
      // reported once: the next write is accepted, and its maintenance retries the flush, which
      // fails again and is reported to the write after it
      await db.put('second', 'y');
      await untilRefused(host, 2);
      await assert.rejects(db.put('third', 'z'), failure, 'the retry failed too: the next write is refused with it');
      await readable(db, { second: 'y', third: undefined });
      await db.put('fourth', 'w'); // a retry queued again, failing meanwhile
      await untilRefused(host, 3);
      assert.equal(await settlesWithin(db.close(), 5000, 'close after the failure'), 'resolved');
      failing = false;
      db = await open(dir);
      await readable(db, { seal: 'x', first: undefined, second: 'y', third: undefined, fourth: 'w' });
    } finally {
      await db.close();
    }
  });

  test(`${build}: a_failed_background_flush_that_cannot_heal_refuses_every_later_write_until_reopened`, async () => {
    const dir = tempDir();
    let failing = true;
    const host = refusingHost((p) => (failing ? { code: CODES.CORRUPTION, message: `create ${p}: injected: bad bytes` } : null));
    let db = await open(dir, host);
    try {
      await sealOne(db);
      await untilRefused(host, 1);
      failing = false; // the engine keeps the failure: a retry that would work never runs
      await assert.rejects(db.put('first', 'x'), strataError('STRATA_CORRUPTION', /^maintenance: flushing memtable: create .*injected: bad bytes$/));
      for (const k of ['second', 'third']) {
        await assert.rejects(db.put(k, 'y'), strataError('STRATA_CORRUPTION', /background flush failed \(reopen the database\): flushing memtable: create .*injected: bad bytes/));
        await sleep(30);
      }
      await readable(db, { seal: 'x', first: undefined, second: undefined });
      assert.equal(await settlesWithin(db.close(), 5000, 'close after the failure'), 'resolved');
      db = await open(dir);
      await db.put('after reopen', 'fine');
      await readable(db, { seal: 'x', first: undefined, third: undefined, 'after reopen': 'fine' });
    } finally {
      await db.close();
    }
  });
}
