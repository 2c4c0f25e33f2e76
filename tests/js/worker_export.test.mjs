// db.export() in chunks through the worker proxy (open(location, { worker: true })): the image
// pinned at the call, chunks of chunkSize, onProgress on the caller's side, bad options refused
// at the call, and the image importing into a database with the same contents.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';

import { importDatabase, open } from '../../bindings/js/src/index.js';
import { removeTempDirs, tempDir } from './helpers.mjs';

after(() => removeTempDirs());

test('worker_export_streams_chunks_pinned_at_the_call', async () => {
  const db = await open(tempDir(), { worker: true, memtableSize: 64 << 10 });
  const ops = [];
  for (let i = 0; i < 2000; i++) ops.push({ type: 'put', key: `k${String(i).padStart(5, '0')}`, value: `v${i}`.repeat(8) });
  await db.batch(ops);
  await db.flush();
  assert.throws(() => db.export({ chunkSize: 0 }), (e) => e.code === 'STRATA_INVALID_ARGUMENT' && /chunkSize/.test(e.message));
  assert.throws(() => db.export({ onProgress: 5 }), (e) => e.code === 'STRATA_INVALID_ARGUMENT');
  const reports = [];
  const image = db.export({ chunkSize: 4096, onProgress: (p) => reports.push(p) });
  await db.put('after', 'x'); // not in the image
  const chunks = [];
  for await (const c of image) chunks.push(c);
  const size = chunks.reduce((n, c) => n + c.length, 0);
  assert.equal(image.total, size);
  assert.ok(chunks.length > 1 && chunks.every((c) => c.length <= 4096));
  assert.equal(reports.length, chunks.length);
  assert.deepEqual(reports.at(-1), { bytesDone: size, bytesTotal: size });
  const streamed = [];
  for await (const c of db.export({ chunkSize: 65536 }).stream()) streamed.push(c);
  await db.close();
  const copy = path.join(tempDir(), 'copy');
  await importDatabase(copy, chunks);
  const back = await open(copy, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  assert.equal((await back.keys().all()).length, 2000);
  assert.equal(await back.get('after'), undefined);
  assert.equal(await back.get('k01234'), 'v1234'.repeat(8));
  await back.close();
  const copy2 = path.join(tempDir(), 'copy2');
  await importDatabase(copy2, streamed);
  const back2 = await open(copy2);
  assert.equal(await back2.has('after'), true, 'the second export was pinned after the write');
  await back2.close();
});
