// One database worker per page and one engine instance per worker (index_browser.js PageWorker,
// engine_core.js acquireModule): a page opens more databases at once than Chromium allows wasm
// memories in one renderer (about 60), each keeps its own data on its own storage host, and the
// worker ends once it serves nothing; memory databases live by name until deleteDatabase. The
// same in both builds: the pthreads one (a COOP/COEP page) shares its instance, and one pool of
// background threads, the same way.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { session } from './harness.mjs';

const F = 'tests/browser/engine_sharing_fixture.mjs';
const COI_F = `coi/${F}`; // the same module in a cross-origin isolated page (COOP/COEP): the pthreads build
const WORKER_IDLE_MS = 1000; // index_browser.js

let s;
before(async () => { s = await session(); });
after(() => s?.close());

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function workersSettle(page, want, ms = 5000) {
  const deadline = Date.now() + ms;
  while (page.workers().length !== want && Date.now() < deadline) await sleep(50);
  return page.workers().length;
}

test('a_page_opens_100_databases_at_once_on_one_worker_and_one_engine', async () => {
  const page = await s.page();
  try {
    const names = await s.run(page, F, 'manyAtOnce', { prefix: 'many', count: 100, backends: ['memory', 'idb', 'opfs', 'memory'] });
    assert.equal(names.length, 100);
    // they are closed now; the memory ones live on in the page's one worker
    assert.equal(page.workers().length, 1, 'one database worker for the page');
    assert.equal(await s.run(page, F, 'readMemory', 'many-never-kept').catch((e) => e.code), 'STRATA_NOT_FOUND');
    for (const n of names.filter((_, i) => i % 4 === 0 || i % 4 === 3)) assert.equal(await s.run(page, F, 'remove', n), true, `${n} deleted`);
    assert.equal(await workersSettle(page, 0, WORKER_IDLE_MS + 4000), 0, 'the worker ends once it serves nothing and holds no memory database');
  } finally {
    await page.close();
  }
});

test('a_page_keeps_its_memory_database_in_its_worker_until_deleteDatabase', async () => {
  const page = await s.page();
  try {
    await s.run(page, F, 'keepMemory', 'kept-mem');
    await sleep(WORKER_IDLE_MS + 500);
    assert.equal(page.workers().length, 1, 'the worker stays while it holds a memory database');
    assert.equal(await s.run(page, F, 'readMemory', 'kept-mem'), 'yes', 'closed and reopened: its data is there');
    assert.equal(await s.run(page, F, 'remove', 'kept-mem'), true);
    assert.equal(await workersSettle(page, 0, WORKER_IDLE_MS + 4000), 0, 'the worker ends after the delete');
    // a fresh worker starts for the next open; the memory database went with the delete
    assert.equal(await s.run(page, F, 'readMemory', 'kept-mem').catch((e) => e.code), 'STRATA_NOT_FOUND');
  } finally {
    await page.close();
  }
});

test('memory_database_lifetime_by_name_in_a_page_and_in_a_worker', async () => {
  const page = await s.page();
  try {
    assert.equal(await s.run(page, F, 'memoryLifetime', 'life-p'), true);
    const w = await s.worker(page);
    assert.equal(await w.run(F, 'memoryLifetime', 'life-w'), true);
  } finally {
    await page.close();
  }
});

test('one_name_on_opfs_idb_and_memory_open_at_once_stays_three_databases', async () => {
  const page = await s.page();
  try {
    assert.deepEqual(await s.run(page, F, 'sameNameEachBackend', 'same-p'), ['opfs', 'idb', 'memory']);
    const w = await s.worker(page);
    assert.deepEqual(await w.run(F, 'sameNameEachBackend', 'same-w'), ['opfs', 'idb', 'memory']);
    assert.equal((await w.run(F, 'manyAtOnce', { prefix: 'many-w', count: 90, backends: ['idb', 'memory', 'opfs'] })).length, 90);
  } finally {
    await page.close();
  }
});

test('compaction_filters_of_two_databases_on_one_engine_stay_their_own', async () => {
  const page = await s.page();
  try {
    const w = await s.worker(page);
    for (const backend of ['memory', 'opfs']) {
      const seen = await w.run(F, 'twoFilters', `filters-${backend}`, backend);
      assert.ok(seen.a >= 2 && seen.b >= 2, `each filter ran on its database's entries (${JSON.stringify(seen)})`);
    }
    // the pthreads build's shared instance (a cross-origin isolated page's worker)
    const isolated = await s.page({ isolated: true });
    const wi = await s.worker(isolated);
    for (const backend of ['memory', 'opfs']) {
      const seen = await wi.run(COI_F, 'twoFilters', `filters-mt-${backend}`, backend);
      assert.ok(seen.a >= 2 && seen.b >= 2, `each filter ran on its database's entries (pthreads, ${JSON.stringify(seen)})`);
    }
    await isolated.close();
  } finally {
    await page.close();
  }
});

// The pthreads build (a cross-origin isolated page, COOP/COEP) shares one instance per worker the
// same way, with one pool of background threads for all its databases (bindings/js/c/
// maintenance_pool.c): before, each database had an instance (a wasm memory and a pthread pool)
// of its own, and 100 at once failed with "WebAssembly.instantiate(): Out of memory".
const SHARED = { count: 100, backends: ['opfs', 'idb', 'memory'] };

function checkShared(r, count) {
  assert.deepEqual(r.seen, { [count]: count }, 'every database reports the one instance of all of them');
  assert.equal(r.after, count - r.closed, 'a closed database left the instance');
  assert.equal(r.again, count, 'the reopened ones are on it again');
}

// The most workers the page had (its own and the ones they started: the pthreads build's pool
// workers are nested workers) while `run` went on.
async function mostWorkersDuring(page, run) {
  let most = page.workers().length;
  const timer = setInterval(() => { most = Math.max(most, page.workers().length); }, 20);
  try {
    return { result: await run, most: Math.max(most, page.workers().length) };
  } finally {
    clearInterval(timer);
  }
}
// One database worker (or the test's worker), the instance's pool of PTHREAD_POOL_SIZE = 4
// (cmake/StrataJsModule.cmake) and, for a moment, the pool of the instance that reads the
// build's limits (engine_core.js engineConstants). With an instance per database it was 401.
const MOST_WORKERS = 1 + 4 + 4;

test('pthreads_build_page_opens_100_databases_at_once_on_one_engine_instance', async () => {
  const page = await s.page({ isolated: true });
  try {
    assert.equal(await page.evaluate(() => globalThis.crossOriginIsolated), true);
    const { result, most } = await mostWorkersDuring(page, s.run(page, COI_F, 'shareOneEngine', { prefix: 'mt-page', build: 'mt', ...SHARED }));
    checkShared(result, SHARED.count);
    assert.ok(most <= MOST_WORKERS, `${most} workers for ${SHARED.count} databases`);
  } finally {
    await page.close();
  }
});

// 200: past the renderer's wasm memories (with an instance per database, the open failed with
// "RangeError: WebAssembly.Memory(): could not allocate memory")
test('pthreads_build_worker_opens_200_databases_at_once_on_one_engine_instance', async () => {
  const page = await s.page({ isolated: true });
  try {
    const w = await s.worker(page);
    const { result, most } = await mostWorkersDuring(page, w.run(COI_F, 'shareOneEngine', { prefix: 'mt-worker', build: 'mt', ...SHARED, count: 200 }));
    checkShared(result, 200);
    assert.ok(most <= MOST_WORKERS, `${most} workers for 200 databases`);
  } finally {
    await page.close();
  }
});

test('single_threaded_build_reports_its_shared_engine_instance_in_stats', async () => {
  const page = await s.page();
  try {
    checkShared(await s.run(page, F, 'shareOneEngine', { prefix: 'st-page', build: 'st', count: 30, backends: SHARED.backends }), 30);
  } finally {
    await page.close();
  }
});

test('pthreads_build_background_compaction_waits_for_the_opfs_pool_and_completes', async () => {
  const page = await s.page({ isolated: true });
  try {
    const w = await s.worker(page);
    const r = await w.run(COI_F, 'pooledCompactionOutgrowsItsFiles', 'mt-busy');
    for (const one of r) {
      assert.ok(one.tables > 40, `the background compactions wrote ${one.tables} tables`);
      assert.ok(one.slots >= one.tables, `the pool grew to ${one.slots} slots`);
      assert.ok(one.refusals > 0, 'some create found no free file and its step ran again');
    }
  } finally {
    await page.close();
  }
});

// A background flush that fails on a full quota is refused to the first write after it in both
// builds (before, the pthreads build's pool reported it to the second write); the database stays
// readable, close does not hang, nothing acknowledged is lost (engine_sharing_fixture.mjs).
for (const build of ['mt', 'st']) {
  test(`${build === 'mt' ? 'pthreads' : 'single_threaded'}_build_background_flush_failing_on_a_full_quota_is_refused_to_the_first_write_after_it`, async () => {
    const page = await s.page({ isolated: build === 'mt' });
    try {
      const w = await s.worker(page);
      const r = await w.run(build === 'mt' ? COI_F : F, 'backgroundFlushOnAFullQuota', `quota-${build}`, build);
      assert.ok(r.refused, 'the first write after the failed flush was refused');
      assert.equal(r.refused.code, 'STRATA_QUOTA', r.refused.message);
      assert.match(r.refused.message, /^maintenance: flushing memtable: .*QuotaExceededError/);
      assert.equal(r.refused.cause, 'QuotaExceededError');
      assert.equal(r.unreadable, 0, 'every acknowledged write reads back meanwhile');
      assert.equal(r.closed, 'closed');
      assert.deepEqual(r.after, r.expected);
    } finally {
      await page.close();
    }
  });
}
