// multiTab: true in Chromium, through the public API: tabs share one database, the tab holding
// its Web Lock serves the others; when that tab goes away or closes the database another takes
// over with every acknowledged (sync: true) write there; what was in flight is either
// acknowledged or rejected with STRATA_NOT_OPEN saying so (bindings/js/src/multi_tab.js).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { session } from './harness.mjs';

const FIXTURE = 'tests/browser/multi_tab_fixture.mjs';
const F = FIXTURE;
let s;
before(async () => {
  s = await session();
});
after(() => s?.close());

const until = async (page, pred, what) => {
  const deadline = Date.now() + 20000;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

for (const [backend, isolated] of [['opfs', false], ['idb', false], ['opfs', true]]) {
  test(`${backend}${isolated ? ' (cross-origin isolated: the pthreads build)' : ''}: two tabs read each other's writes; the holder tab goes away; the other keeps every acknowledged write; a third joins`, async () => {
    const name = `mt-${backend}${isolated ? '-coi' : ''}`;
    const F = isolated ? `coi/${FIXTURE}` : FIXTURE;
    const a = await s.page({ isolated });
    const b = await s.page({ isolated });
    assert.deepEqual(await s.run(a, F, 'openDb', name, { backend }), { backend, build: isolated ? 'mt' : 'st', status: 'open' });
    assert.equal((await s.run(b, F, 'openDb', name, { backend })).backend, backend, 'the second tab opens it (a client of the first), no STRATA_LOCKED');
    await s.run(a, F, 'write', 0, 50);
    await s.run(b, F, 'write', 50, 50);
    assert.deepEqual(await s.run(a, F, 'range', 0, 100), [], 'a reads b\'s writes');
    assert.deepEqual(await s.run(b, F, 'range', 0, 100), [], 'b reads a\'s writes');
    const h = await s.run(b, F, 'openHandles');
    assert.equal(h.first, 'k0000000');
    assert.match(h.snapGet, /^value 0 /);

    // b writes (sync: true, each awaited) while a's tab goes away
    await s.run(b, F, 'startLoop', 100);
    await until(b, async () => (await s.run(b, F, 'loopCount')) >= 30, 'writes through a');
    await a.close();
    const before = await s.run(b, F, 'loopCount');
    await until(b, async () => (await s.run(b, F, 'loopCount')) >= before + 30, 'writes after the hand-over');
    const { acked, rejected } = await s.run(b, F, 'stopLoop');
    assert.ok(rejected.length <= 2, `at most the requests in flight are rejected: ${JSON.stringify(rejected)}`);
    for (const r of rejected) {
      assert.equal(r.code, 'STRATA_NOT_OPEN');
      assert.match(r.message, /the serving tab went away/);
    }
    assert.deepEqual(await s.run(b, F, 'missing', acked), [], `all ${acked.length} acknowledged writes are there`);
    assert.deepEqual(await s.run(b, F, 'range', 0, 100), []);

    const used = await s.run(b, F, 'useHandles');
    for (const what of ['iterator', 'snapshot', 'iteratorOption']) {
      assert.equal(used[what].code, 'STRATA_NOT_OPEN', `${what}: ${JSON.stringify(used[what])}`);
      assert.match(used[what].message, /the serving tab went away/);
    }

    // a third tab joins: a client of b
    const c = await s.page({ isolated });
    await s.run(c, F, 'openDb', name, { backend });
    assert.deepEqual(await s.run(c, F, 'missing', acked), []);
    await s.run(c, F, 'write', 5000, 20);
    assert.deepEqual(await s.run(b, F, 'range', 5000, 20), [], 'b reads c\'s writes');

    // b closes the database: c takes over, with everything
    assert.equal(await s.run(b, F, 'closeDb'), 'closed');
    assert.deepEqual(await s.run(c, F, 'range', 5000, 20), []);
    assert.deepEqual(await s.run(c, F, 'missing', acked), []);
    assert.equal(await s.run(c, F, 'closeDb'), 'closed');
    await b.close();
    await c.close();
  });
}

test('requests in flight when the serving tab closes the database: each acknowledged (and there) or rejected as not applied (and absent)', async () => {
  const a = await s.page();
  const b = await s.page();
  await s.run(a, F, 'openDb', 'mt-burst');
  await s.run(b, F, 'openDb', 'mt-burst');
  await s.run(b, F, 'burst', 0, 400);
  await s.run(a, F, 'closeDb');
  const results = await s.run(b, F, 'burstResult');
  const ok = results.filter((r) => r.ok).map((r) => r.i);
  const refused = results.filter((r) => !r.ok);
  for (const r of refused) {
    assert.equal(r.code, 'STRATA_NOT_OPEN', JSON.stringify(r));
    assert.match(r.message, /the serving tab went away/);
  }
  assert.deepEqual(await s.run(b, F, 'missing', ok), [], `all ${ok.length} acknowledged are there`);
  const notApplied = refused.filter((r) => /not applied/.test(r.message)).map((r) => r.i);
  assert.deepEqual(await s.run(b, F, 'missing', notApplied), notApplied, `the ${notApplied.length} refused as not applied are absent`);
  await s.run(b, F, 'write', 1000, 5); // b serves itself now
  assert.deepEqual(await s.run(b, F, 'range', 1000, 5), []);
  await s.run(b, F, 'closeDb');
  await a.close();
  await b.close();
});

test('multiTab: bad values are refused; a plain opener still gets STRATA_LOCKED; a multiTab opener of a database held without multiTab gets STRATA_LOCKED', async () => {
  const a = await s.page();
  const b = await s.page();
  const bad = await s.run(a, F, 'tryOpen', 'mt-bad', { multiTab: 'yes' });
  assert.equal(bad.code, 'STRATA_INVALID_ARGUMENT');
  assert.match(bad.message, /multiTab must be true or false/);
  const mem = await s.run(a, F, 'tryOpen', 'mt-bad', { multiTab: true, backend: 'memory' });
  assert.equal(mem.code, 'STRATA_INVALID_ARGUMENT');
  assert.match(mem.message, /multiTab needs a stored backend/);

  await s.run(a, F, 'openDb', 'mt-mixed');
  const plain = await s.run(b, F, 'tryOpen', 'mt-mixed', { lockTimeoutMs: 50 });
  assert.equal(plain.code, 'STRATA_LOCKED', plain.message);
  await s.run(a, F, 'closeDb');

  await s.run(a, F, 'openDb', 'mt-mixed', { multiTab: false });
  const shared = await s.run(b, F, 'tryOpen', 'mt-mixed', { multiTab: true });
  assert.equal(shared.code, 'STRATA_LOCKED', shared.message);
  assert.match(shared.message, /does not serve it/);
  await s.run(a, F, 'closeDb');
  await a.close();
  await b.close();
});

test('a worker with multiTab: a client of a tab, then the holder in its own thread once the tab closes the database; the tab then is its client', async () => {
  const a = await s.page();
  const b = await s.page();
  const w = await s.worker(b);
  await s.run(a, F, 'openDb', 'mt-worker');
  assert.equal((await w.run(F, 'openDb', 'mt-worker')).backend, 'opfs');
  await s.run(a, F, 'write', 0, 20);
  await w.run(F, 'write', 20, 20);
  assert.deepEqual(await s.run(a, F, 'range', 0, 40), []);
  assert.deepEqual(await w.run(F, 'range', 0, 40), []);
  await s.run(a, F, 'closeDb');
  await w.run(F, 'write', 40, 20); // the worker has taken over: the engine runs in its thread
  await s.run(a, F, 'openDb', 'mt-worker');
  assert.deepEqual(await s.run(a, F, 'range', 0, 60), [], 'the tab, now a client of the worker, reads everything');
  await s.run(a, F, 'write', 60, 5);
  assert.deepEqual(await w.run(F, 'range', 60, 5), []);
  await s.run(a, F, 'closeDb');
  assert.equal(await w.run(F, 'closeDb'), 'closed');
  await w.terminate();
  await a.close();
  await b.close();
});
