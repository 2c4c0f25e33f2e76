// The database across processes: the folder lock (in-process, another process, a process killed
// with kill -9) and durability of acknowledged sync writes when the writer is killed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { open as openPkg } from '../../bindings/js/src/index.js';
import { child, engineFor, killAll, pkgEntry, removeTempDirs, tempDir } from './helpers.mjs';

let engine;
before(async () => { engine = await engineFor(false); });
after(async () => { await killAll(); removeTempDirs(); });
const open = (loc, opts = {}) => openPkg(loc, { ...opts, _moduleUrl: engine.moduleUrl });

// argv: entry, module url ('' = the package's), folder. Prints 'open' or the error code, then
// waits; with 'write' as 4th argument it puts sync writes forever, printing each acknowledged key.
const childScript = `
  const [entry, moduleUrl, dir, mode] = process.argv.slice(1);
  const { open } = await import(entry);
  let db;
  try { db = await open(dir, { _moduleUrl: moduleUrl || undefined, sync: mode === 'write' }); }
  catch (e) { console.log(e.code); process.exit(0); }
  console.log('open');
  if (mode === 'write') {
    for (let i = 0; ; i++) {
      const key = 'k' + String(i).padStart(8, '0');
      await db.put(key, 'value of ' + key, { sync: true });
      console.log('acked ' + key);
    }
  }
  setInterval(() => {}, 1000);
`;
const spawnDb = (dir, mode = '') => child(childScript, [pkgEntry, engine.moduleUrl ?? '', dir, mode]);

test('a second open of the same folder in this process is STRATA_LOCKED until the first closes', async () => {
  const dir = tempDir();
  const db = await open(dir);
  await assert.rejects(open(dir), (e) => e.code === 'STRATA_LOCKED' && e.message.includes(dir));
  await assert.rejects(open(path.join(dir, '.', '')), (e) => e.code === 'STRATA_LOCKED');
  await db.close();
  const again = await open(dir);
  await again.close();
});

test('an open from another process is STRATA_LOCKED; after the holder is killed with kill -9 the folder opens', async () => {
  const dir = tempDir();
  const holder = spawnDb(dir);
  await holder.waitFor(/^open$/);
  await assert.rejects(open(dir), (e) => e.code === 'STRATA_LOCKED' && e.message.includes(`process ${holder.proc.pid}`));
  const other = spawnDb(dir);
  assert.equal(await other.waitFor(/^STRATA_|^open$/), 'STRATA_LOCKED');
  await holder.kill9();
  const db = await open(dir); // the lock file left behind names a dead process
  await db.close();
  // and this process's lock is refused to a child until released
  const db2 = await open(dir);
  const third = spawnDb(dir);
  assert.equal(await third.waitFor(/^STRATA_|^open$/), 'STRATA_LOCKED');
  await db2.close();
});

test('kill -9 of a process writing with sync: true loses no acknowledged write', async () => {
  const dir = tempDir();
  const writer = spawnDb(dir, 'write');
  await writer.waitFor(/^acked k00000050$/, 60000);
  await writer.kill9();
  const acked = writer.lines.filter((l) => l.startsWith('acked ')).map((l) => l.slice(6));
  assert.ok(acked.length >= 50);
  const db = await open(dir, { valueEncoding: 'utf8' });
  try {
    const values = await db.getMany(acked);
    const lost = acked.filter((k, i) => values[i] !== `value of ${k}`);
    assert.deepEqual(lost, [], `${lost.length} of ${acked.length} acknowledged writes lost`);
    const keys = await db.keys({ keyEncoding: 'utf8' }).all();
    assert.ok(keys.length >= acked.length && keys.length <= acked.length + 1, 'at most the one unacknowledged write is extra');
  } finally {
    await db.close();
  }
  assert.ok(fs.existsSync(dir));
});
