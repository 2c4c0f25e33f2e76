// Journal recovery through the package: db.recovery, the recoveryMode open option, and the CLI's
// check / stats / --recovery on a database whose middle journal was damaged on disk.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { StrataError, open } from '../../bindings/js/src/index.js';
import { removeTempDirs, root, tempDir } from './helpers.mjs';

after(() => removeTempDirs());

const code = (c) => (e) => { assert.ok(e instanceof StrataError, `expected a StrataError, got ${e}`); assert.equal(e.code, c, e.message); return true; };
const bin = path.join(root, 'bindings/js/bin/strata.js');

function strata(...args) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? err.code : 0, stdout, stderr });
    });
  });
}

// Three sessions of ten synced puts: journals 0, 1 and 2 hold k01-k10, k11-k20, k21-k30.
async function makeHistory(dir) {
  for (let s = 0; s < 3; s++) {
    const db = await open(dir);
    for (let i = s * 10 + 1; i <= s * 10 + 10; i++) await db.put(`k${String(i).padStart(2, '0')}`, `v${i}`, { sync: true });
    await db.close();
  }
}

// Flips a byte inside batch `index` of journal `n`; returns that batch's offset.
function damageBatch(dir, n, index) {
  const file = path.join(dir, 'journal', String(n));
  const buf = fs.readFileSync(file);
  let off = 8;
  for (let i = 0; i < index; i++) off += 25 + Number(buf.readBigUInt64LE(off + 13)) + 9;
  buf[off + 30] ^= 0x5a;
  fs.writeFileSync(file, buf);
  return off;
}

const FIELDS = ['journalsReplayed', 'batchesReplayed', 'tornBytesCut', 'damaged', 'damagedJournal', 'damagedOffset',
  'batchesDiscarded', 'highestSeqnoSeen', 'manifestFallback', 'filesMovedToLost', 'obsoleteFilesRemoved'];

describe('db.recovery and recoveryMode', () => {
  test('recoveryMode other than strict or point-in-time is refused at open', async () => {
    const dir = tempDir('strata-recovery-');
    for (const bad of ['lenient', 1, null, 'Point-In-Time']) {
      await assert.rejects(open(dir, { recoveryMode: bad }), code('STRATA_INVALID_ARGUMENT'));
    }
    assert.deepEqual(fs.readdirSync(dir), [], 'nothing was created');
  });

  test('a clean reopen reports what it replayed', async () => {
    const dir = tempDir('strata-recovery-');
    await makeHistory(dir);
    const db = await open(dir, { recoveryMode: 'strict' });
    try {
      assert.deepEqual(Object.keys(db.recovery), FIELDS);
      assert.equal(db.recovery.journalsReplayed, 3);
      assert.equal(db.recovery.batchesReplayed, 30);
      assert.equal(db.recovery.highestSeqnoSeen, 30);
      assert.equal(db.recovery.damaged, false);
      assert.equal(db.recovery.manifestFallback, false);
      assert.ok(Object.isFrozen(db.recovery));
    } finally {
      await db.close();
    }
  });

  test('journal_damage_in_middle: strict open fails naming journal, offset and later batches; point-in-time opens at the prefix and new writes win for good', async () => {
    const dir = tempDir('strata-recovery-');
    await makeHistory(dir);
    const off = damageBatch(dir, 1, 4); // k15
    await assert.rejects(open(dir), (e) => {
      code('STRATA_CORRUPTION')(e);
      assert.match(e.message, /journal\/1\b/);
      assert.match(e.message, new RegExp(`at offset ${off};`));
      assert.match(e.message, /15 intact batches after it/);
      return true;
    });
    let db = await open(dir, { recoveryMode: 'point-in-time', valueEncoding: 'utf8' });
    try {
      const r = db.recovery;
      assert.equal(r.damaged, true);
      assert.equal(r.damagedJournal, 1);
      assert.equal(r.damagedOffset, off);
      assert.equal(r.batchesReplayed, 14);
      assert.equal(r.batchesDiscarded, 15);
      assert.equal(r.highestSeqnoSeen, 30);
      assert.equal(r.filesMovedToLost, 2);
      assert.equal(await db.get('k14'), 'v14');
      assert.equal(await db.get('k15'), undefined);
      assert.equal(await db.get('k30'), undefined);
      for (let i = 1; i <= 30; i++) await db.put(`k${String(i).padStart(2, '0')}`, `new${i}`, { sync: true });
    } finally {
      await db.close();
    }
    assert.deepEqual(fs.readdirSync(path.join(dir, 'lost')).sort(), ['journal-1', 'journal-2']);
    db = await open(dir, { valueEncoding: 'utf8' }); // strict: nothing damaged is left, and nothing old comes back
    try {
      assert.equal(db.recovery.damaged, false);
      for (let i = 1; i <= 30; i++) assert.equal(await db.get(`k${String(i).padStart(2, '0')}`), `new${i}`);
    } finally {
      await db.close();
    }
  });

  test('worker handles carry db.recovery too', async () => {
    const dir = tempDir('strata-recovery-');
    await makeHistory(dir);
    const db = await open(dir, { worker: true, recoveryMode: 'point-in-time' });
    try {
      assert.equal(db.recovery.batchesReplayed, 30);
      assert.equal(db.recovery.damaged, false);
    } finally {
      await db.close();
    }
  });
});

describe('CLI', () => {
  test('check and stats show what recovery did; --recovery point-in-time opens a damaged database', async () => {
    const dir = tempDir('strata-recovery-cli-');
    await makeHistory(dir);
    const good = await strata(dir, 'check');
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /^check: ok, 30 entries/);
    assert.match(good.stdout, /^recovery\s+replayed 30 batches from 3 journals, highest seqno seen 30$/m);
    damageBatch(dir, 1, 4);
    const strict = await strata(dir, 'check');
    assert.equal(strict.code, 1);
    assert.match(strict.stderr, /^strata: STRATA_CORRUPTION: .*journal\/1: batch checksum mismatch, at offset \d+; 15 intact batches/m);
    const pit = await strata(dir, 'stats', '--recovery', 'point-in-time');
    assert.equal(pit.code, 0, pit.stderr);
    assert.match(pit.stdout, /^damage\s+journal 1 at offset \d+: opened at the last consistent point, 15 later batches set aside$/m);
    // the copy of journal 1, journal 2, and journal 3 (the first check's open made it, empty)
    assert.match(pit.stdout, /^lost\/\s+3 files moved there by this open$/m);
    const after = await strata(dir, 'check');
    assert.equal(after.code, 0, after.stderr);
    assert.match(after.stdout, /^check: ok, 14 entries/);
    const bad = await strata(dir, 'stats', '--recovery', 'lenient');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--recovery must be strict or point-in-time/);
  });
});
