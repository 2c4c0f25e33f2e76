// repairDatabase() (C strata_repair through the wasm build) and the CLI's repair command, on
// databases whose manifest slots are both damaged, with tables and journal-only writes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { StrataError, open, repairDatabase } from '../../bindings/js/src/index.js';
import { removeTempDirs, root, tempDir } from './helpers.mjs';

after(() => removeTempDirs());

const code = (c) => (err) => err instanceof StrataError && err.code === c && err.message.length > 0;

// 600 keys over three flushed tables (overwrites and deletes among them), then journal-only
// writes; returns the model (key -> value, deleted keys absent).
async function buildDb(dir) {
  const model = new Map();
  const db = await open(dir, { valueEncoding: 'utf8', memtableSize: 1 << 20 });
  for (let i = 0; i < 600; i++) {
    const k = `key${String(i).padStart(4, '0')}`;
    await db.put(k, `v1-${i}`);
    model.set(k, `v1-${i}`);
  }
  await db.flush();
  for (let i = 0; i < 600; i += 3) {
    const k = `key${String(i).padStart(4, '0')}`;
    await db.put(k, `v2-${i}`);
    model.set(k, `v2-${i}`);
  }
  await db.flush();
  for (let i = 0; i < 600; i += 7) {
    const k = `key${String(i).padStart(4, '0')}`;
    await db.del(k);
    model.delete(k);
  }
  await db.flush();
  for (let i = 1; i < 600; i += 10) { // journal only
    const k = `key${String(i).padStart(4, '0')}`;
    await db.put(k, `v3-${i}`, { sync: true });
    model.set(k, `v3-${i}`);
  }
  await db.close();
  return model;
}

function damageBothSlots(dir) {
  for (const slot of ['manifest-0', 'manifest-1']) {
    const p = path.join(dir, slot);
    const b = fs.readFileSync(p);
    b[30] ^= 0x5a;
    fs.writeFileSync(p, b);
  }
}

async function assertModel(dir, model) {
  const db = await open(dir, { createIfMissing: false, valueEncoding: 'utf8', keyEncoding: 'utf8' });
  try {
    const seen = new Map();
    for await (const [k, v] of db.iterator()) seen.set(k, v);
    assert.deepEqual(seen, model);
    for (const [k, v] of model) assert.equal(await db.get(k), v, k);
  } finally {
    await db.close();
  }
}

describe('repairDatabase', () => {
  test('restores a database whose manifest slots are both damaged', async () => {
    const dir = tempDir('strata-repair-');
    const model = await buildDb(dir);
    damageBothSlots(dir);
    await assert.rejects(open(dir, { createIfMissing: false }), code('STRATA_CORRUPTION'));
    const r = await repairDatabase(dir);
    assert.equal(r.manifestSlotsDamaged, 2);
    assert.equal(r.tablesDamaged, 0);
    assert.equal(r.tablesKept + r.tablesMerged, r.tablesFound);
    assert.ok(r.tablesFound >= 3, `tables found: ${r.tablesFound}`);
    assert.equal(r.journalBatchesSalvaged, 60);
    assert.equal(r.journalBytesLost, 0);
    assert.ok(r.highestSeqno >= 600 + 200 + 86 + 60, `highest seqno ${r.highestSeqno}`);
    assert.ok(r.log.some((l) => /lost\/manifest-0/.test(l)), r.log.join('\n'));
    assert.ok(fs.existsSync(path.join(dir, 'lost', 'manifest-1')));
    await assertModel(dir, model);

    const db = await open(dir, { valueEncoding: 'utf8' }); // new writes win over everything repaired
    await db.put('key0007', 'after');
    await db.close();
    model.set('key0007', 'after');
    await assertModel(dir, model);
  });

  test('a kvSeparation database: blob files kept, values in a lost blob file become deletes', async () => {
    const dir = tempDir('strata-repair-');
    const kvSeparation = { threshold: 100, ageCutoff: 1 };
    const big = (k, g) => `${k}:${g}:`.padEnd(400, String.fromCharCode(97 + g));
    let db = await open(dir, { valueEncoding: 'utf8', keyEncoding: 'utf8', kvSeparation });
    for (let i = 0; i < 40; i++) await db.put(`k${String(i).padStart(3, '0')}`, big(i, 1));
    await db.flush();
    for (let i = 0; i < 20; i++) await db.put(`k${String(i).padStart(3, '0')}`, big(i, 2));
    await db.put('small', 'inline');
    await db.flush();
    assert.equal(db.stats().blobs.files, 2);
    await db.close();
    const blobs = fs.readdirSync(path.join(dir, 'blobs')).map(Number).sort((a, b) => a - b);
    fs.rmSync(path.join(dir, 'blobs', String(blobs[1]))); // the newer values' file
    damageBothSlots(dir);
    const r = await repairDatabase(dir);
    assert.equal(r.blobFilesFound, 1);
    assert.equal(r.blobFilesKept, 1);
    assert.equal(r.blobFilesDamaged, 0);
    assert.equal(r.tablesRewritten, 1);
    assert.equal(r.blobValuesLost, 20);
    assert.ok(r.log.some((l) => /missing or damaged blob files/.test(l)), r.log.join('\n'));
    db = await open(dir, { valueEncoding: 'utf8', keyEncoding: 'utf8' }); // separated without the option
    try {
      for (let i = 0; i < 40; i++) {
        const k = `k${String(i).padStart(3, '0')}`;
        // a lost value reads as absent, never as the older generation
        assert.equal(await db.get(k), i < 20 ? undefined : big(i, 1), k);
      }
      assert.equal(await db.get('small'), 'inline');
    } finally {
      await db.close();
    }
  });

  test('refuses an open database, and bad locations', async () => {
    const dir = tempDir('strata-repair-');
    const db = await open(dir);
    await db.put('k', 'v');
    await assert.rejects(repairDatabase(dir), code('STRATA_LOCKED'));
    await db.close();
    const r = await repairDatabase(dir);
    assert.equal(r.journalBatchesSalvaged, 1);
    await assert.rejects(repairDatabase(path.join(dir, 'missing')), code('STRATA_NOT_FOUND'));
    fs.writeFileSync(path.join(dir, 'a-file'), 'x');
    await assert.rejects(repairDatabase(path.join(dir, 'a-file')), code('STRATA_INVALID_ARGUMENT'));
    await assert.rejects(repairDatabase(''), code('STRATA_INVALID_ARGUMENT'));
    await assert.rejects(repairDatabase(':memory:'), code('STRATA_INVALID_ARGUMENT'));
    await assert.rejects(repairDatabase(`${dir}\0x`), code('STRATA_INVALID_ARGUMENT'));
    await assert.rejects(repairDatabase(42), code('STRATA_INVALID_ARGUMENT'));
  });

  test('is exported by the CommonJS entry too', async () => {
    const require = createRequire(import.meta.url);
    const cjs = require(path.join(root, 'bindings/js/src/index.cjs'));
    assert.equal(typeof cjs.repairDatabase, 'function');
    await assert.rejects(cjs.repairDatabase(''), code('STRATA_INVALID_ARGUMENT'));
  });
});

const bin = path.join(root, 'bindings/js/bin/strata.js');

const nativeTool = path.join(root, 'build/native/strata');

function run(file, args) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? err.code : 0, stdout, stderr });
    });
  });
}
const strata = (...args) => run(process.execPath, [bin, ...args]);

describe('strata repair (CLI)', () => {
  test('repair DIR restores a database with both manifest slots damaged and prints the report', async () => {
    const dir = tempDir('strata-cli-repair-');
    const model = await buildDb(dir);
    damageBothSlots(dir);
    const before = await strata(dir, 'get', 'key0001');
    assert.equal(before.code, 1);
    assert.match(before.stderr, /STRATA_CORRUPTION/);
    const r = await strata('repair', dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /manifest slots damaged 2/);
    assert.match(r.stdout, /journals: \d+ read, 60 batches salvaged/);
    assert.match(r.stdout, /0 damaged and 0 obsolete \(moved to lost\/\)/);
    const got = await strata(dir, 'get', 'key0001');
    assert.equal(got.code, 0, got.stderr);
    assert.equal(got.stdout, `${model.get('key0001')}\n`);
    assert.equal((await strata(dir, 'get', 'key0007')).code, 1, 'a deleted key stays deleted');
    const missing = await strata('repair', path.join(dir, 'missing'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^strata: STRATA_NOT_FOUND: /);
    assert.equal((await strata('repair', dir, 'extra')).code, 2);
  });

  test('repair_of_a_separated_database_prints_the_blob_file_line: native and WASI tools, a lost blob file turned into deletes', async () => {
    const tools = [['native', nativeTool, []], ['WASI', process.execPath, [bin]]];
    for (const [name, file, pre] of tools) {
      if (!fs.existsSync(file)) continue;
      const dir = tempDir('strata-cli-repair-blob-');
      const big = (i, g) => `${i}:${g}:`.padEnd(300, String.fromCharCode(97 + g));
      let db = await open(dir, { valueEncoding: 'utf8', keyEncoding: 'utf8', kvSeparation: { threshold: 100 } });
      for (let i = 0; i < 30; i++) await db.put(`k${String(i).padStart(3, '0')}`, big(i, 1));
      await db.flush();
      for (let i = 0; i < 10; i++) await db.put(`k${String(i).padStart(3, '0')}`, big(i, 2));
      await db.flush();
      await db.close();
      const blobs = fs.readdirSync(path.join(dir, 'blobs')).map(Number).sort((a, b) => a - b);
      assert.equal(blobs.length, 2);
      fs.rmSync(path.join(dir, 'blobs', String(blobs[1]))); // the newer values' file
      const r = await run(file, [...pre, 'repair', dir]);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      assert.match(r.stdout, /^blob files: 1 found, 1 kept, 0 damaged, 0 obsolete, 0 unreferenced \(moved to lost\/\); 1 tables rewritten, 10 values lost \(now deletes\)$/m, name);
      const lost = await run(file, [...pre, dir, 'get', 'k003']);
      assert.equal(lost.code, 1, `${name}: a lost value is a delete, never the older one (${lost.stdout})`);
      const kept = await run(file, [...pre, dir, 'get', 'k013']);
      assert.equal(kept.stdout, `${big(13, 1)}\n`, name);
    }
  });
});
