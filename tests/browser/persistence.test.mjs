// Through the public API, on OPFS and IndexedDB: data is found after a page reload, a browser
// restart with the same profile and a SIGKILL of every browser process (each acknowledged
// `sync: true` write present); a second tab gets STRATA_LOCKED naming the database while the
// first holds it, and opens it once the first closes it or goes away.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { session } from './harness.mjs';

const F = 'tests/browser/persist_fixture.mjs';
let s;
before(async () => {
  s = await session();
});
after(() => s?.close());

for (const backend of ['opfs', 'idb']) {
  test(`${backend}: data after a reload and after a browser restart (same profile), through the public API`, async () => {
    const name = `persist-${backend}`;
    let page = await s.page();
    assert.equal((await s.run(page, F, 'openDb', name, { backend })).backend, backend);
    await s.run(page, F, 'write', name, 0, 2000, { batch: 500 });
    await s.run(page, F, 'closeDb', name);
    await s.run(page, F, 'openDb', name, { backend });
    await s.run(page, F, 'write', name, 2000, 100, { sync: true });
    await s.reload(page); // left open: the page's worker goes with it
    await s.run(page, F, 'openDb', name, { backend });
    assert.deepEqual(await s.run(page, F, 'verify', name, 0, 2100), { good: 2100, missing: [] }, 'after the reload');
    await s.run(page, F, 'write', name, 2100, 100, { sync: true });
    await s.restart();
    page = await s.page();
    await s.run(page, F, 'openDb', name, { backend });
    assert.deepEqual(await s.run(page, F, 'verify', name, 0, 2200), { good: 2200, missing: [] }, 'after the restart');
    await s.run(page, F, 'closeDb', name);
    await page.close();
  });

  test(`${backend}: every acknowledged sync write is there after SIGKILL of the browser`, async () => {
    const name = `crash-${backend}`;
    let page = await s.page();
    await s.run(page, F, 'openDb', name, { backend });
    await s.run(page, F, 'writeUntilKilled', name, 0);
    await page.waitForFunction(() => globalThis.__acked >= 300, null, { timeout: 30000 });
    const acked = await page.evaluate(() => globalThis.__acked);
    await s.crash();
    page = await s.page();
    const { recovery } = await s.run(page, F, 'openDb', name, { backend });
    assert.ok(recovery.journalsReplayed >= 1, 'the journal was replayed');
    const r = await s.run(page, F, 'verify', name, 0, acked);
    assert.deepEqual(r, { good: acked, missing: [] }, `all ${acked} acknowledged writes are there`);
    await s.run(page, F, 'closeDb', name);
    await page.close();
  });
}

test('two tabs: the second opener gets STRATA_LOCKED naming the database; it opens once the first closes it, or its tab goes', async () => {
  const a = await s.page();
  const b = await s.page();
  await s.run(a, F, 'openDb', 'shared');
  const refused = await s.run(b, F, 'tryOpen', 'shared', { lockTimeoutMs: 100 });
  assert.equal(refused.opened, false);
  assert.equal(refused.code, 'STRATA_LOCKED', refused.message);
  assert.match(refused.message, /"shared"/);
  await s.run(a, F, 'closeDb', 'shared');
  assert.deepEqual(await s.run(b, F, 'tryOpen', 'shared'), { opened: true });
  assert.equal((await s.run(a, F, 'tryOpen', 'shared', { lockTimeoutMs: 100 })).code, 'STRATA_LOCKED');
  await b.close(); // the lock goes with the tab (the default bounded retry covers a late release)
  assert.deepEqual(await s.run(a, F, 'tryOpen', 'shared'), { opened: true });
  await s.run(a, F, 'closeDb', 'shared');
  await a.close();
});
