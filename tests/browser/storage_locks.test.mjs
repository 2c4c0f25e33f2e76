// One writer per database across pages (docs/LOCKING.md, Web Locks): a second opener of the same
// database gets STRATA_LOCKED naming it; the lock goes with close() and with the page; a page
// opening right after the holder's page closed or reloaded gets it within the retry window.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { session } from './harness.mjs';

const F = 'tests/browser/storage_fixture.mjs';
const E = 'tests/browser/engine_fixture.mjs';

test('a_second_page_opening_a_held_database_gets_STRATA_LOCKED_naming_it', async (t) => {
  const s = await session(t);
  const a = await s.page();
  const b = await s.page();
  const wa = await s.worker(a);
  const wb = await s.worker(b);
  // OPFS through the engine in page A's worker; page B's worker is refused
  await wa.run(E, 'openDb', 'opfs', 'shared');
  await wa.run(E, 'write', 'shared', 0, 10, { sync: true });
  const refused = await wb.run(F, 'tryOpenHost', 'opfs', 'shared', true, { lockTimeoutMs: 100 });
  assert.equal(refused.ok, false);
  assert.equal(refused.code, 'STRATA_LOCKED');
  assert.match(refused.message, /OPFS database "shared": locked by another tab or worker of this origin \(the Web Lock "strata-lsm\/opfs\/shared" is held/);
  // a different database, and the same name on the other backend, are independent
  assert.deepEqual(await wb.run(F, 'tryOpenHost', 'opfs', 'other', false), { ok: true });
  assert.deepEqual(await wb.run(F, 'tryOpenHost', 'idb', 'shared', false), { ok: true });
  // close() releases the lock: B opens it and finds A's data
  await wa.run(E, 'closeDb', 'shared');
  await wb.run(E, 'openDb', 'opfs', 'shared');
  assert.deepEqual(await wb.run(E, 'verify', 'shared', 0, 10), { good: 10, bad: [] });

  // IndexedDB in pages: the same
  await s.run(a, E, 'openDb', 'idb', 'pages');
  const r2 = await s.run(b, F, 'tryOpenHost', 'idb', 'pages', true, { lockTimeoutMs: 100 });
  assert.equal(r2.code, 'STRATA_LOCKED');
  assert.match(r2.message, /IndexedDB database "pages"/);
});

test('the_lock_goes_with_the_page_and_is_retried_briefly_after_a_close_or_reload', async (t) => {
  const s = await session(t);
  const a = await s.page();
  const b = await s.page();
  await (await s.worker(a)).run(E, 'openDb', 'opfs', 'tab');
  await s.run(a, E, 'openDb', 'idb', 'tab');
  // page A goes away without closing anything; B asks at once and gets both within the retry
  const closing = a.close();
  const [opfs, idb] = await Promise.all([
    (await s.worker(b)).run(F, 'tryOpenHost', 'opfs', 'tab'),
    s.run(b, F, 'tryOpenHost', 'idb', 'tab'),
  ]);
  await closing;
  assert.deepEqual(opfs, { ok: true });
  assert.deepEqual(idb, { ok: true });

  // a reloading page gets its own lock back
  const c = await s.page();
  await (await s.worker(c)).run(E, 'openDb', 'opfs', 'reload');
  await s.reload(c);
  assert.deepEqual(await (await s.worker(c)).run(F, 'tryOpenHost', 'opfs', 'reload'), { ok: true });
});

test('the_engine_lock_is_refused_once_the_web_lock_was_stolen', async (t) => {
  const s = await session(t);
  const a = await s.page();
  const b = await s.page();
  const wa = await s.worker(a);
  for (const backend of ['opfs', 'idb']) {
    assert.deepEqual(await wa.run(F, 'tryOpenHost', backend, 'held'), { ok: true });
    const fine = await wa.run(F, 'engineLock', backend, 'held', 'LOCK');
    assert.equal(fine.ok, true);
    assert.equal(fine.second.code, 'STRATA_LOCKED', 'one holder per path in a host');
    assert.deepEqual(await wa.run(F, 'tryOpenHost', backend, 'stolen'), { ok: true });
    await s.run(b, F, 'stealWebLock', `strata-lsm/${backend}/stolen`);
    const refused = await wa.run(F, 'engineLock', backend, 'stolen', 'LOCK');
    assert.equal(refused.code, 'STRATA_LOCKED');
    assert.match(refused.message, /lost its Web Lock "strata-lsm\/(opfs|idb)\/stolen" \(taken by another context\)/);
  }
});
