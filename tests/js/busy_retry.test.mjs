// Calls a storage host refuses with "would block" (STRATA_BUSY: the OPFS pool had no pre-opened
// file free for a create) run again once the host is ready (host_common.js retryBlocked), here on
// Node's files through a host that refuses chosen creates: a point-in-time open refused at any
// file it makes (lost/ copies, tables, the new journal) reports what an unrefused open reports,
// once, and an ingest with key-value separation refused at its blob files or at the manifest slot
// its finish installs loads every entry once.
// (The browser tests do the same on the real OPFS pool: tests/browser/opfs_busy.test.mjs.)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';

import { openDatabaseOnHost } from '../../bindings/js/src/database.js';
import { engineConstants, loadModule } from '../../bindings/js/src/engine.js';
import { CODES, ERR_CAP, OPEN } from '../../bindings/js/src/host_common.js';
import { open } from '../../bindings/js/src/index.js';
import { encodingOf } from '../../bindings/js/src/keys.js';
import { Native } from '../../bindings/js/src/native.js';
import { NodeHost } from '../../bindings/js/src/node_host.js';
import { checkOpenOptions } from '../../bindings/js/src/options.js';
import { removeTempDirs, tempDir } from './helpers.mjs';

after(removeTempDirs);

// The Node host, refusing the creation of a new file when refuse(path) says so, and ready again at
// once (whenUnblocked, as the OPFS host is once its pool grew).
class RefusingHost extends NodeHost {
  refused = [];
  constructor(refuse) {
    super();
    this.refuse = refuse;
  }

  open(pathPtr, flags, errPtr) {
    const p = this.str(pathPtr);
    if ((flags & OPEN.CREATE) && !fs.existsSync(p) && this.refuse(p)) {
      this.refused.push(p);
      this.module.stringToUTF8(`create ${p}: injected: would block`, errPtr, ERR_CAP);
      return -CODES.BUSY;
    }
    return super.open(pathPtr, flags, errPtr);
  }

  // a replace writes a fresh file on the OPFS host (then names it): refused the same way
  replace(pathPtr, data, n, errPtr) {
    const p = this.str(pathPtr);
    if (this.refuse(p)) {
      this.refused.push(p);
      this.module.stringToUTF8(`create ${p}: injected: would block`, errPtr, ERR_CAP);
      return -CODES.BUSY;
    }
    return super.replace(pathPtr, data, n, errPtr);
  }

  whenUnblocked(err) {
    return err?.code === 'STRATA_BUSY' && /injected: would block/.test(err.message) ? Promise.resolve() : null;
  }
}

const encodings = { valueEncoding: encodingOf('utf8', 'valueEncoding'), keyEncoding: encodingOf('utf8', 'keyEncoding') };

// Opens `dir` on `host` as the browser entry does on an OPFS host (openDatabaseOnHost: the open
// runs again after a refusal).
async function openOn(host, dir, options, recoveryMode = 'strict') {
  const parsed = checkOpenOptions(options, await engineConstants({ threads: false }));
  const native = await Native.load({ host, loadModule });
  return openDatabaseOnHost(native, dir, dir, options, parsed, recoveryMode, encodings);
}

async function entries(db) {
  const out = [];
  for await (const [k, v] of db.iterator()) out.push(`${k}=${v}`);
  return out;
}

const ikey = (i) => `b${String(i).padStart(3, '0')}`;

// Three sessions of ten synced batches (journals 0, 1, 2), then 16 bytes of journal 1 overwritten
// in its middle: point-in-time recovery keeps journal 0 and the batches of journal 1 before them.
async function damagedHistory(dir) {
  for (let s = 0; s < 3; s++) {
    const db = await open(dir, { valueEncoding: 'utf8' });
    for (let i = s * 10 + 1; i <= s * 10 + 10; i++) await db.batch([{ type: 'put', key: ikey(i), value: `v${i}` }, { type: 'put', key: 'counter', value: String(i) }], { sync: true });
    await db.close();
  }
  const j = path.join(dir, 'journal', '1');
  const bytes = fs.readFileSync(j);
  bytes.fill(0xa5, Math.floor(bytes.length * 0.6), Math.floor(bytes.length * 0.6) + 16);
  fs.writeFileSync(j, bytes);
}

test('a_point_in_time_open_refused_at_any_file_it_creates_reports_the_damage_as_an_unrefused_one_once', async () => {
  const base = tempDir();
  await damagedHistory(base);
  // the unrefused recovery, on a copy
  const plainDir = tempDir();
  fs.cpSync(base, plainDir, { recursive: true });
  const plain = await openOn(new NodeHost(), plainDir, {}, 'point-in-time');
  const want = { recovery: plain.recovery, entries: await entries(plain), lost: fs.readdirSync(path.join(plainDir, 'lost')).sort() };
  await plain.close();
  assert.equal(want.recovery.damaged, true);
  assert.ok(want.recovery.batchesDiscarded > 0 && want.recovery.filesMovedToLost === 2, JSON.stringify(want.recovery));
  assert.deepEqual(want.lost, ['journal-1', 'journal-2']);
  // refused once at each kind of file the recovery creates, and at the new journal (journal 3)
  // over and over: the open runs again every time
  for (const [what, pick] of [
    ['the new journal', (p) => /journal\/3$/.test(p)],
    ['the lost/ copies', (p) => /lost\/journal-\d$/.test(p)],
    ['a table of the flush', (p) => /tables\/\d+$/.test(p)],
    ['the report in lost/', (p) => /lost\/point-in-time-report$/.test(p)],
  ]) {
    const dir = tempDir();
    fs.cpSync(base, dir, { recursive: true });
    const seen = new Set();
    let journalRefusals = 3;
    const host = new RefusingHost((p) => {
      if (!pick(p)) return false;
      if (/journal\/3$/.test(p)) return journalRefusals-- > 0;
      if (seen.has(p)) return false;
      seen.add(p);
      return true;
    });
    const db = await openOn(host, dir, {}, 'point-in-time');
    const got = { recovery: db.recovery, entries: await entries(db), lost: fs.readdirSync(path.join(dir, 'lost')).sort() };
    await db.close();
    assert.ok(host.refused.length > 0, `${what}: refused`);
    assert.deepEqual(got, want, `${what} refused (${host.refused.map((p) => path.relative(dir, p)).join(', ')})`);
    // reported once: the next open finds nothing to report
    const again = await openOn(new NodeHost(), dir, {});
    assert.equal(again.recovery.damaged, false, what);
    assert.equal(again.recovery.filesMovedToLost, 0, what);
    assert.deepEqual(await entries(again), want.entries, what);
    await again.close();
  }
});

test('an_ingest_with_key_value_separation_refused_at_its_blob_files_loads_every_entry_once', async () => {
  const dir = tempDir();
  let n = 0;
  const host = new RefusingHost((p) => /blobs\/\d+$/.test(p) && n++ % 3 === 0); // every third blob file, once
  const db = await openOn(host, dir, { kvSeparation: { threshold: 32, fileTargetSize: 1024 }, compaction: { strategy: 'leveled', tableTargetSize: 1024 } });
  try {
    const list = Array.from({ length: 2000 }, (_, i) => [`key${String(i).padStart(6, '0')}`, `value ${i} `.padEnd(60, '.')]);
    assert.equal(await db.ingest(list), 2000);
    assert.ok(host.refused.length >= 10, `${host.refused.length} blob files refused`);
    const got = await entries(db);
    assert.equal(got.length, 2000);
    assert.deepEqual(got, list.map(([k, v]) => `${k}=${v}`));
    const stats = db.stats();
    assert.ok(stats.levels.reduce((s, l) => s + l.tables, 0) > 0);
  } finally {
    await db.close();
  }
  const again = await openOn(new NodeHost(), dir, {});
  assert.equal((await entries(again)).length, 2000);
  await again.close();
});

test('an_ingest_whose_finish_is_refused_at_the_manifest_slot_installs_once_when_run_again', async () => {
  const dir = tempDir();
  let ingesting = false;
  let refusals = 1;
  // a new database has written one manifest slot; the ingest's install makes the other
  const host = new RefusingHost((p) => ingesting && /manifest-\d$/.test(p) && refusals-- > 0);
  const db = await openOn(host, dir, { kvSeparation: { threshold: 32, fileTargetSize: 1024 } });
  try {
    const list = Array.from({ length: 500 }, (_, i) => [`key${String(i).padStart(6, '0')}`, `value ${i} `.padEnd(60, '.')]);
    ingesting = true;
    assert.equal(await db.ingest(list), 500);
    assert.deepEqual(host.refused.map((p) => path.basename(p)), ['manifest-0']);
    assert.deepEqual(await entries(db), list.map(([k, v]) => `${k}=${v}`));
  } finally {
    await db.close();
  }
  const again = await openOn(new NodeHost(), dir, {});
  assert.equal((await entries(again)).length, 500);
  await again.close();
});
