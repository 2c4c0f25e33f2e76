// Run in a Chromium page by image.test.mjs (bundled by it with esbuild): databases on the
// engine's memory backend, loaded with the browsers' loader (engine_browser.js; OPFS and
// IndexedDB: image_backend_fixture.mjs), exported to and imported from images, with a content
// hash computed as the Node side computes it (image_contents.mjs).
import { openDatabase } from '../../bindings/js/src/database.js';
import { importInto } from '../../bindings/js/src/image.js';
import { encodingOf } from '../../bindings/js/src/keys.js';
import { loadModule } from '../../bindings/js/src/engine_browser.js';
import { Native } from '../../bindings/js/src/native.js';
import { checkOpenOptions } from '../../bindings/js/src/options.js';
import { concat, contents, fromBase64, toBase64 } from './image_contents.mjs';

// The single-threaded build's glue, by absolute URL (it finds its .wasm beside itself).
const GLUE = new URL('/bindings/js/dist/st/strata.mjs', globalThis.location.origin).href;

async function openMemory(options = {}) {
  const native = await Native.load({ memory: true, moduleUrl: GLUE, loadModule });
  return { native, parsed: checkOpenOptions(options, native.limits) };
}

function dbOn(native, parsed, options = {}) {
  return openDatabase(native, 'memory-db', ':memory:', options, parsed, 'strict', {
    valueEncoding: encodingOf(undefined, 'valueEncoding'), keyEncoding: encodingOf(undefined, 'keyEncoding'),
  });
}

// A database with tables, deletes and journal-only writes; its image (base64) and contents.
export async function makeImage(n) {
  const { native, parsed } = await openMemory({ memtableSize: 64 << 10 });
  const db = dbOn(native, parsed, { memtableSize: 64 << 10 });
  const ops = [];
  for (let i = 0; i < n; i++) ops.push({ type: 'put', key: `key${String(i).padStart(6, '0')}`, value: `browser ${i} `.repeat(6) });
  await db.batch(ops);
  await db.flush();
  for (let i = 0; i < n; i += 4) await db.del(`key${String(i).padStart(6, '0')}`);
  await db.put('journal-only', 'written in the browser, never flushed');
  const expected = await contents(db);
  const tables = db.stats().levels.reduce((t, l) => t + l.tables, 0);
  let last = null;
  const chunks = [];
  for await (const c of db.export({ chunkSize: 8192, onProgress: (p) => { last = p; } })) chunks.push(c);
  await db.close();
  const bytes = concat(chunks);
  return { image: toBase64(bytes), ...expected, tables, progress: last };
}

// Imports an image (base64) into a memory database, reads it, and checks a damaged copy is refused.
export async function openImage(b64) {
  const bytes = fromBase64(b64);
  const { native, parsed } = await openMemory();
  await importInto(native, 'memory-db', bytes);
  const db = dbOn(native, parsed);
  const found = await contents(db);
  const journalOnly = await db.get('journal-only', { valueEncoding: 'utf8' });
  await db.close();
  const bad = Uint8Array.from(bytes);
  bad[bad.length >> 1] ^= 1;
  const other = await openMemory();
  let refused = null;
  try {
    await importInto(other.native, 'memory-db', bad);
  } catch (err) {
    refused = err.code;
  } finally {
    other.native.free();
  }
  return { ...found, journalOnly, refused };
}
