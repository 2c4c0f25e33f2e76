// db.clear(range) with and without its dropRange step (node bench/js_clear.mjs [N]): N keys
// (default 200,000; 100-byte random values) under one prefix between two keys outside it,
// compacted into tables of 1 MiB; then clear(prefix) (drops the tables wholly inside, deletes
// the rest) against clear(prefix, limit > N) (deletes every key). Prints the time, the tables
// before and after, and the keys the delete pass had to write tombstones for.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { open } from '../bindings/js/src/index.js';

const N = Number(process.argv[2] ?? 200_000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-clear-bench-'));
const tables = (db) => db.stats().levels.reduce((n, l) => n + l.tables, 0);
try {
  for (const mode of ['clear (dropRange, then deletes)', 'deletes only (clear with a limit)']) {
    fs.rmSync(path.join(dir, 'db'), { recursive: true, force: true });
    const db = await open(path.join(dir, 'db'), { keyEncoding: 'utf8', compaction: { strategy: 'leveled', tableTargetSize: 1 << 20 } });
    await db.put('a-before', 'x');
    for (let b = 0; b < N; b += 1000) {
      const batch = db.batch();
      for (let i = b; i < Math.min(N, b + 1000); i++) batch.put(`log/${String(i).padStart(9, '0')}`, crypto.getRandomValues(new Uint8Array(100)));
      await batch.write();
    }
    await db.put('z-after', 'x');
    await db.compact({ major: true });
    const before = tables(db);
    const seqno = db.stats().seqno;
    const t0 = performance.now();
    await db.clear(mode.startsWith('clear') ? { prefix: 'log/' } : { prefix: 'log/', limit: N + 1 });
    const ms = performance.now() - t0;
    const left = (await db.keys({ prefix: 'log/' }).all()).length;
    console.log(`${mode}: ${ms.toFixed(0)} ms; tables ${before} -> ${tables(db)}; delete batches ${db.stats().seqno - seqno}; keys left ${left}`);
    await db.close();
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
