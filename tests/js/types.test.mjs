// The TypeScript declarations compile against a consumer that uses every method (tsc --noEmit),
// and reject obvious misuse.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';

import { removeTempDirs, root, tempDir } from './helpers.mjs';

after(() => removeTempDirs());
const tsc = path.join(root, 'node_modules/typescript/bin/tsc');

function compile(source) {
  const dir = tempDir('strata-types-');
  fs.writeFileSync(path.join(dir, 'use.mts'), source);
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['esnext'], skipLibCheck: false,
      types: ['node'], typeRoots: [path.join(root, 'node_modules/@types')], paths: { 'strata-lsm': [path.join(root, 'bindings/js/src/index.d.ts')], 'strata-lsm/level': [path.join(root, 'bindings/js/src/level.d.ts')] } },
    files: ['use.mts'],
  }));
  return spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
}

test('index.d.ts and level.d.ts type a consumer using every method', { skip: !fs.existsSync(tsc) && 'typescript not installed' }, () => {
  const r = compile(`
    import { open, importDatabase, StrataError, type Database, type DatabaseImage, type Stats } from 'strata-lsm';
    import { StrataLevel } from 'strata-lsm/level';
    async function main(): Promise<void> {
      const db: Database = await open('./x', { compression: 'lz4', memtableSize: 1 << 20, sync: true, threads: false });
      await db.put('k', new Uint8Array([1]));
      const v = await db.get('k', { valueEncoding: 'utf8' });
      const many = await db.getMany(['a', 'b']);
      const has: boolean = await db.has('k');
      await db.del('k', { sync: true });
      await db.batch([{ type: 'put', key: 'a', value: 'b' }, { type: 'del', key: 'a' }]);
      const snap = db.snapshot();
      await snap.get('a');
      for await (const [key, value] of db.iterator({ gte: 'a', lt: 'z', reverse: true, limit: 10, snapshot: snap })) void key, value;
      const it = db.keys({ prefix: 'a' });
      it.seek('ab');
      const page = await it.nextv(100);
      await it.close();
      snap.close();
      await db.clear({ prefix: 'tmp/' });
      await db.flush();
      await db.compact({ major: true });
      const s: Stats = db.stats();
      const wa: number = s.writeAmplification + s.levels[0].tables + s.cache.hits;
      const image: DatabaseImage = db.export({ chunkSize: 1 << 16, onProgress: ({ done, total }) => void (done + total) });
      for await (const chunk of image) void chunk.byteLength;
      const bytes: Uint8Array = await db.exportBytes();
      await importDatabase('./copy', bytes, { onProgress: (p) => void p.done });
      await importDatabase('./copy2', db.export().stream());
      await db.close();
      const w = await open('./w', { worker: true });
      const ws: Stats = await w.stats();
      void ws;
      const lvl = new StrataLevel<string, string>('./y', { valueEncoding: 'utf8', compression: 'none' });
      await lvl.put('a', 'b');
      await lvl.flush();
      void v, many, has, page, wa;
      try { await open(''); } catch (e) { if (e instanceof StrataError) { const c: string = e.code; void c; } }
    }
    void main;
  `);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const bad = compile(`
    import { open } from 'strata-lsm';
    const db = await open('./x', { compression: 'zstd' });
    await db.batch([{ type: 'merge', key: 'a' }]);
  `);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stdout, /zstd/);
  assert.match(bad.stdout, /merge/);
});
