// The engine on the browser storage hosts (Native.load({ host }) + openDatabase), through real
// Chromium: OPFS in a dedicated worker, IndexedDB in a page. Every acknowledged sync write is
// found again after a page reload, a browser restart on the same profile, and a SIGKILL of the
// whole browser in the middle of a load of sync writes (with flushes installing tables
// meanwhile: a small memtable), and the database reopens cleanly in strict recovery mode.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { session } from './harness.mjs';

const F = 'tests/browser/engine_fixture.mjs';
const OPTS = { memtableSize: 64 * 1024 };

// `where(s, page)`: the runner for the backend: the page itself, or a worker it starts.
const backends = {
  opfs: async (s, page) => {
    const w = await s.worker(page);
    return (...args) => w.run(...args);
  },
  idb: async (s, page) => (...args) => s.run(page, ...args),
};

for (const [backend, runner] of Object.entries(backends)) {
  test(`${backend}_acknowledged_writes_survive_reload_restart_and_browser_sigkill`, async (t) => {
    const s = await session(t);
    let page = await s.page();
    let run = await runner(s, page);
    await run(F, 'openDb', backend, 'p', OPTS);
    assert.equal(await run(F, 'write', 'p', 0, 100, { sync: true }), 100);
    assert.equal(await run(F, 'writeConcurrently', 'p', 100, 200), 200); // one group commit
    assert.equal(await run(F, 'write', 'p', 300, 1500, { sync: false, batch: 100 }), 1500);
    await run(F, 'flush', 'p'); // the unsynced batches are durable once flush() resolves
    assert.deepEqual(await run(F, 'verify', 'p', 0, 1800), { good: 1800, bad: [] });

    // reload: the page (and its worker) go away without closing anything
    await s.reload(page);
    run = await runner(s, page);
    const reopened = await run(F, 'openDb', backend, 'p', OPTS);
    assert.equal(reopened.recovery.damaged, false);
    assert.deepEqual(await run(F, 'verify', 'p', 0, 1800), { good: 1800, bad: [] });
    await run(F, 'write', 'p', 1800, 100, { sync: true });

    // browser restart on the same profile
    await s.restart();
    page = await s.page();
    run = await runner(s, page);
    await run(F, 'openDb', backend, 'p', OPTS);
    assert.deepEqual(await run(F, 'verify', 'p', 0, 1900), { good: 1900, bad: [] });

    // SIGKILL in the middle of a load of sync writes (plus unsynced bulk ones filling memtables)
    await run(F, 'startLoad', 'p', 10000);
    let p;
    for (let i = 0; i < 400; i++) {
      p = await run(F, 'progress', 'p');
      if ((p.acked >= 150 && p.flushes >= 2) || p.error) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(p.error, null);
    assert.ok(p.acked >= 150, `the load made progress (${p.acked})`);
    assert.ok(p.flushes >= 2, `tables were installed during the load (${p.flushes} flushes)`);
    const acked = p.acked; // acknowledged before this moment; more may follow until the kill
    await s.crash();
    page = await s.page();
    run = await runner(s, page);
    const after = await run(F, 'openDb', backend, 'p', OPTS);
    assert.equal(after.recovery.damaged, false, 'strict recovery found nothing damaged');
    assert.deepEqual(await run(F, 'verify', 'p', 10000, acked), { good: acked, bad: [] });
    assert.deepEqual(await run(F, 'verify', 'p', 0, 1900), { good: 1900, bad: [] });
    await run(F, 'closeDb', 'p');
  });
}
