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
function refusingHost(refuse) {
  const host = new NodeHost();
  const open = host.open.bind(host);
  host.open = (pathPtr, flags, err) => {
    const p = host.module.UTF8ToString(pathPtr);
    const r = p.includes('/tables/') ? refuse(p) : null;
    if (!r) return open(pathPtr, flags, err);
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

test('a_failed_pool_step_is_reported_by_the_next_write_and_heals_with_resume', async () => {
  const dir = tempDir();
  let failing = true;
  const host = refusingHost((p) => (failing ? { code: CODES.IO, message: `create ${p}: injected: the device failed` } : null));
  let db = await openPooled(dir, host);
  try {
    await fill(db, 0, 800); // a memtable sealed: its flush on the pool fails
    await sleep(200);
    await db.put('after', 'applied'); // its kick takes the failure
    await assert.rejects(db.put('refused', 'x'), strataError('STRATA_IO', /^maintenance: .*injected: the device failed/));
    failing = false;
    await db.resume();
    await until(db, (st) => st.flushes >= 1 && st.memtable.sealed === 0, 'flushed once the device works');
    await db.put('later', 'fine'); // no stale failure left behind
    await db.close();
    db = await openPooled(dir);
    assert.deepEqual(await db.getMany([key(0), key(799), 'after', 'refused', 'later']), [value(0), value(799), 'applied', undefined, 'fine']);
  } finally {
    await db.close();
  }
});
