// db.export() in chunks and importDatabase() through the browser entry, from a page (the
// package's worker does the work; chunks cross one message each) and inside a worker (in that
// thread), on OPFS and IndexedDB: round trips from an async iterable, a ReadableStream and bytes,
// the export pinned at its call, bad input refused with nothing left behind, and an imported
// database present after SIGKILL of the browser right after importDatabase() resolved.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { session } from './harness.mjs';

const F = 'tests/browser/import_export_fixture.mjs';
const N = 3000;
let s;
before(async () => {
  s = await session();
});
after(() => s?.close());

function checkRoundTrip(r) {
  assert.ok(r.total > 0 && r.summed === r.total, `chunks add up to the image: ${r.summed} of ${r.total}`);
  assert.ok(r.chunks > 1 && r.maxChunk <= 16384, `${r.chunks} chunks of at most 16 KiB (${r.maxChunk})`);
  assert.deepEqual(r.lastProgress, { bytesDone: r.total, bytesTotal: r.total });
  assert.equal(r.reports, r.chunks, 'one progress report per chunk');
  assert.equal(r.importLastProgress.bytesDone, r.total, 'the import reported every byte');
  for (const c of r.copies) assert.deepEqual(c, { count: N, bad: [], expected: N });
  assert.equal(r.laterHasNewKey, false, 'an export holds the database as of its call');
  assert.deepEqual(r.later, { count: N, bad: [], expected: N });
}

function checkRefusals(r) {
  assert.equal(r.damaged.code, 'STRATA_CORRUPTION', r.damaged.message);
  assert.equal(r.truncated.code, 'STRATA_CORRUPTION', r.truncated.message);
  assert.equal(r.notAnImage.code, 'STRATA_INVALID_ARGUMENT', r.notAnImage.message);
  assert.equal(r.missing.code, 'STRATA_INVALID_ARGUMENT', r.missing.message);
  assert.equal(r.memory.code, 'STRATA_INVALID_ARGUMENT');
  assert.match(r.memory.message, /memory/);
  assert.equal(r.badName.code, 'STRATA_INVALID_ARGUMENT');
  assert.equal(r.intoOpen.code, 'STRATA_LOCKED', r.intoOpen.message);
  assert.equal(r.exportBadOptions.code, 'STRATA_INVALID_ARGUMENT');
  assert.match(r.exportBadOptions.message, /chunkSize/);
  assert.equal(r.afterRefusals, 'value 3 value 3 value 3 value 3 ', 'the good image imports where the bad ones were refused');
}

for (const backend of ['opfs', 'idb']) {
  test(`export_in_chunks_and_import_round_trip_from_a_page (${backend})`, async () => {
    const page = await s.page();
    const name = `xp-page-${backend}`;
    await s.run(page, F, 'fill', name, N, { backend });
    checkRoundTrip(await s.run(page, F, 'roundTrip', name, N, { backend }));
    checkRefusals(await s.run(page, F, 'refusals', name, { backend }));
    await page.close();
  });

  test(`export_in_chunks_and_import_round_trip_inside_a_worker (${backend})`, async () => {
    const page = await s.page();
    const w = await s.worker(page);
    const name = `xp-worker-${backend}`;
    await w.run(F, 'fill', name, N, { backend });
    checkRoundTrip(await w.run(F, 'roundTrip', name, N, { backend }));
    checkRefusals(await w.run(F, 'refusals', name, { backend }));
    await page.close();
  });

  test(`imported_database_survives_sigkill_right_after_import_resolves (${backend})`, async () => {
    let page = await s.page();
    await s.run(page, F, 'fill', `kill-src-${backend}`, N, { backend });
    assert.ok(await s.run(page, F, 'importThenReturn', `kill-src-${backend}`, `kill-dst-${backend}`, { backend }) > 0);
    await s.crash();
    page = await s.page();
    assert.deepEqual(await s.run(page, F, 'check', `kill-dst-${backend}`, N, { backend }), { count: N, bad: [], expected: N });
    await page.close();
  });
}

test('import_with_worker_false_on_the_pages_thread (idb)', async () => {
  const page = await s.page();
  const options = { backend: 'idb', worker: false };
  await s.run(page, F, 'fill', 'xp-inpage', N, options);
  checkRoundTrip(await s.run(page, F, 'roundTrip', 'xp-inpage', N, options));
  await page.close();
});
