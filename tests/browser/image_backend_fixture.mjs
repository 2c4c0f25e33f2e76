// Run in a Chromium page by image.test.mjs, through the browser entry (the package's worker does
// the work): a database on OPFS or IndexedDB with tables, deletes, an overwrite made after a
// snapshot and journal-only writes is exported to an image; an image is imported into OPFS or
// IndexedDB and read back. Contents are hashed as the Node side hashes them (image_contents.mjs).
import { deleteDatabase, importDatabase, open } from '../../bindings/js/src/index_browser.js';
import { concat, contents, fromBase64, toBase64 } from './image_contents.mjs';

const key = (i) => `key${String(i).padStart(6, '0')}`;

// Writes n keys to `name` on `backend` (flushed into tables), deletes every fourth in the journal,
// overwrites one key after taking a snapshot, adds a journal-only key, and exports while the
// snapshot is still open. Returns the image (base64), the contents, and what the db held.
export async function makeImage(name, n, backend) {
  await deleteDatabase(name, { backend }).catch(() => {});
  const db = await open(name, { backend, memtableSize: 64 << 10 });
  try {
    const ops = [];
    for (let i = 0; i < n; i++) ops.push({ type: 'put', key: key(i), value: `${backend} ${i} `.repeat(6) });
    await db.batch(ops);
    await db.flush();
    for (let i = 0; i < n; i += 4) await db.del(key(i));
    await db.put('overwritten', 'the old value, seen by the snapshot only');
    const snap = db.snapshot();
    await db.put('overwritten', 'the new value');
    await db.put('journal-only', `written in the browser on ${backend}, never flushed`);
    const expected = await contents(db);
    const stats = await db.stats(); // a promise from a page (the worker answers)
    const tables = stats.levels.reduce((t, l) => t + l.tables, 0);
    const snapshotsBefore = stats.snapshotsOpen;
    const old = await db.get('overwritten', { snapshot: snap, valueEncoding: 'utf8' });
    const chunks = [];
    let last = null;
    for await (const c of db.export({ chunkSize: 8192, onProgress: (p) => { last = p; } })) chunks.push(c);
    snap.close();
    const bytes = concat(chunks);
    return { image: toBase64(bytes), ...expected, tables, snapshotsBefore, old, progress: last, backend: db.backend };
  } finally {
    await db.close();
  }
}

// Imports an image (base64) as `name` on `backend`, reads it back, and checks that a damaged copy
// is refused there and leaves nothing behind.
export async function openImage(name, b64, backend) {
  const bytes = fromBase64(b64);
  await deleteDatabase(name, { backend }).catch(() => {});
  await importDatabase(name, bytes, { backend });
  const db = await open(name, { backend, createIfMissing: false });
  let out;
  try {
    out = {
      ...(await contents(db)),
      backend: db.backend,
      journalOnly: await db.get('journal-only', { valueEncoding: 'utf8' }),
      overwritten: await db.get('overwritten', { valueEncoding: 'utf8' }),
      snapshotsOpen: (await db.stats()).snapshotsOpen,
    };
  } finally {
    await db.close();
  }
  const bad = Uint8Array.from(bytes);
  bad[bad.length >> 1] ^= 1;
  const badName = `${name}-damaged`;
  await deleteDatabase(badName, { backend }).catch(() => {});
  try {
    await importDatabase(badName, bad, { backend });
    out.refused = null;
  } catch (err) {
    out.refused = err.code;
  }
  try {
    await open(badName, { backend, createIfMissing: false }).then((d) => d.close());
    out.leftBehind = true;
  } catch (err) {
    out.leftBehind = err.code;
  }
  return out;
}
