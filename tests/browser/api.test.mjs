// The package's JS API in Chromium (tests/browser/api_cases.mjs): from a page (the package
// starts its worker and proxies every call) and inside a worker (the engine in that thread),
// for each backend; which build runs with and without COOP/COEP.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { session } from './harness.mjs';

const FIXTURE = 'tests/browser/api_fixture.mjs';
// The same module served with COOP/COEP (the harness serves /coi/* with them): a worker started
// from a cross-origin isolated page must come with them too, so the package's files must.
const COI_FIXTURE = `coi/${FIXTURE}`;
let s;
before(async () => {
  s = await session();
});
after(() => s?.close());

function report(result) {
  assert.deepEqual(result.failed, [], result.failed.map((f) => `${f.name}: ${f.message}`).join('\n\n'));
  assert.ok(result.passed.length >= 8, `only ${result.passed.length} cases ran`);
}

for (const backend of ['memory', 'opfs', 'idb']) {
  test(`the API from a page, proxied to the package's worker (${backend})`, async () => {
    const page = await s.page();
    report(await s.run(page, FIXTURE, 'run', { backend, prefix: 'page' }));
    await page.close();
  });

  test(`the API inside a worker, the engine in that thread (${backend})`, async () => {
    const page = await s.page();
    const w = await s.worker(page);
    report(await w.run(FIXTURE, 'run', { backend, prefix: 'worker' }));
    await page.close();
  });
}

// The pthreads build's wasm memory is a SharedArrayBuffer, which TextDecoder refuses: every utf8
// read of the cases (get, getMany, iterators, snapshots, the filter) runs on it here.
for (const backend of ['memory', 'opfs']) {
  test(`the API under the pthreads build (COOP/COEP), from a page and inside a worker (${backend})`, async () => {
    const page = await s.page({ isolated: true });
    report(await s.run(page, COI_FIXTURE, 'run', { backend, prefix: 'coi-page', expectBuild: 'mt' }));
    const w = await s.worker(page);
    report(await w.run(COI_FIXTURE, 'run', { backend, prefix: 'coi-worker', expectBuild: 'mt' }));
    await page.close();
  });
}

test('without COOP/COEP the single-threaded build runs; with them the pthreads build, in a page\'s worker and in a worker', async () => {
  const plain = await s.page();
  assert.deepEqual(await s.run(plain, FIXTURE, 'picks', { backend: 'memory' }), { backend: 'memory', build: 'st', isolated: false });
  const isolated = await s.page({ isolated: true });
  assert.deepEqual(await s.run(isolated, COI_FIXTURE, 'picks', { backend: 'memory' }), { backend: 'memory', build: 'mt', isolated: true });
  assert.deepEqual(await s.run(isolated, COI_FIXTURE, 'picks', { backend: 'memory', threads: false }), { backend: 'memory', build: 'st', isolated: true });
  const w = await s.worker(isolated);
  assert.deepEqual(await w.run(COI_FIXTURE, 'picks', { backend: 'memory' }), { backend: 'memory', build: 'mt', isolated: true });
  await assert.rejects(s.run(plain, FIXTURE, 'picks', { backend: 'memory', threads: true }), (e) => e.code === 'STRATA_NOT_SUPPORTED' && /cross-origin isolated/.test(e.message));
  await plain.close();
  await isolated.close();
});

test('the API with the engine on the page\'s own thread (worker: false, IndexedDB)', async () => {
  const page = await s.page();
  report(await s.run(page, FIXTURE, 'run', { backend: 'idb', prefix: 'inpage', options: { worker: false } }));
  await page.close();
});

test('backend \'auto\' is OPFS where sync access handles exist (the package\'s worker, a worker), else IndexedDB (the page\'s thread)', async () => {
  const page = await s.page();
  assert.equal((await s.run(page, FIXTURE, 'picks', {})).backend, 'opfs');
  assert.equal((await s.run(page, FIXTURE, 'picks', { worker: false })).backend, 'idb');
  await assert.rejects(s.run(page, FIXTURE, 'picks', { backend: 'opfs', worker: false }), (e) => e.code === 'STRATA_NOT_SUPPORTED' && /FileSystemSyncAccessHandle/.test(e.message));
  const w = await s.worker(page);
  assert.equal((await w.run(FIXTURE, 'picks', { backend: 'auto' })).backend, 'opfs');
  await page.close();
});

test('from a page, a batch of 1,000 is one message and 1,000 entries read with for await are one message per page of 256', async () => {
  const page = await s.page();
  const r = await s.run(page, FIXTURE, 'messageCounts');
  assert.equal(r.entries, 1000);
  assert.equal(r.batch, 1, 'one message for the batch');
  // iterator() opening (1), ceil(1000 / 256) = 4 pages, the empty page that ends it (1), close (1)
  assert.ok(r.iterate <= 7, `${r.iterate} messages for 1,000 entries`);
  await page.close();
});

test('persist: true asks the browser for persistent storage and never fails the open; a bad value is refused', async () => {
  const page = await s.page();
  const asked = await s.run(page, FIXTURE, 'persistence', { backend: 'idb', persist: true });
  assert.equal(typeof asked.persisted, 'boolean');
  assert.equal(asked.persisted, asked.direct, 'db.persisted is what navigator.storage.persist() answers');
  assert.deepEqual(await s.run(page, FIXTURE, 'persistence', { backend: 'idb' }), { persisted: undefined, direct: asked.direct });
  // a memory database is not stored: nothing to ask
  assert.equal((await s.run(page, FIXTURE, 'persistence', { backend: 'memory', persist: true })).persisted, undefined);
  // workers have no navigator.storage.persist(): false, and the open still succeeds
  const w = await s.worker(page);
  assert.equal((await w.run(FIXTURE, 'persistence', { backend: 'opfs', persist: true })).persisted, false);
  await assert.rejects(s.run(page, FIXTURE, 'persistence', { backend: 'idb', persist: 'yes' }),
    (e) => e.code === 'STRATA_INVALID_ARGUMENT' && /persist must be true or false/.test(e.message));
  await page.close();
});
