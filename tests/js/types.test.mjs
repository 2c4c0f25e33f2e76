// The TypeScript declarations, checked the way a user meets them: a strict consumer of every
// name the package exports, compiled with `tsc --noEmit` against the package installed in a
// node_modules folder (so the exports map picks the declarations: index.d.ts / level.d.ts for
// `import`, index.d.cts / level.d.cts for `require`), as an ES module (.mts) and as CommonJS
// (.cts), under module nodenext and node16. Misuse must fail to compile, and every name the
// entries export at run time must appear in the consumer, so a new export without types fails.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, test } from 'node:test';

import { removeTempDirs, root, tempDir } from './helpers.mjs';

after(() => removeTempDirs());
const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
const require = createRequire(import.meta.url);

function compile(files, module = 'nodenext') {
  const dir = tempDir('strata-types-');
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(root, path.join(dir, 'node_modules', 'strata-lsm'), 'dir');
  for (const [name, source] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), source);
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      strict: true, noEmit: true, module, moduleResolution: module, target: 'es2022', lib: ['esnext'],
      skipLibCheck: false, noUnusedLocals: true, types: ['node'], typeRoots: [path.join(root, 'node_modules/@types')],
    },
    files: Object.keys(files),
  }));
  return spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
}

// Every method, with the values it returns used as typed.
const BODY = `
  const db: Database = await open('./x', {
    compression: 'lz4', memtableSize: 1 << 20, sync: true, threads: false, valueEncoding: 'utf8',
    compaction: { strategy: 'leveled', level0Trigger: 4 }, recoveryMode: 'point-in-time',
    compactionFilter: (key: Bytes | string, value: Bytes | string): FilterVerdict =>
      String(key).startsWith('tmp/') ? 'remove' : String(value) === 'old' ? { replace: 'new' } : undefined,
  });
  const rec: RecoveryReport = db.recovery;
  await db.put('k', new Uint8Array([1]));
  const v: Bytes | string | undefined = await db.get('k', { valueEncoding: 'utf8' });
  const vs: Bytes | string | undefined = db.getSync('k');
  const many = await db.getMany(['a', 'b']);
  const has: boolean = await db.has('k');
  const hasMany: boolean[] = await db.hasMany(['a', 'b']);
  const size: number | undefined = await db.sizeOf('k', { snapshot: db.snapshot() });
  const sizeNow: number | undefined = db.sizeOfSync('k');
  await db.del('k', { sync: true });
  await db.singleDel('k');
  const ops: BatchOperation[] = [{ type: 'put', key: 'a', value: 'b' }, { type: 'del', key: 'a' }, { type: 'singleDel', key: 'c' }];
  await db.batch(ops);
  const chained: ChainedBatch = db.batch().put('a', 'b').del('c').singleDel('d');
  const n: number = chained.length;
  await chained.write({ sync: false });
  await db.batch().clear().close();
  const snap: Snapshot = db.snapshot();
  await snap.get('a');
  const sv: Bytes | string | undefined = snap.getSync('a');
  const sh: boolean[] = await snap.hasMany(['a']);
  const ss: number | undefined = (await snap.sizeOf('a')) ?? snap.sizeOfSync('a');
  const ac = new AbortController();
  const opts: IteratorOptions = { gte: 'a', lt: 'z', reverse: true, limit: 10, snapshot: snap, signal: ac.signal };
  for await (const [key, value] of db.iterator(opts)) void key, value;
  const it: StrataIterator<Bytes | string> = db.keys({ prefix: 'a' });
  it.seek('ab');
  const page = await it.nextv(100);
  const first = await db.values().next();
  await it[Symbol.asyncDispose]();
  await snap[Symbol.asyncDispose]();
  snap.close();
  const range: RangeOptions = { prefix: 'tmp/' };
  await db.clear(range);
  const drop: DropRangeOptions = { gte: 'a', lt: 'b' };
  await db.dropRange(drop);
  await db.flush();
  await db.resume();
  const seen: Progress[] = [];
  const onProgress: OnProgress = (p) => { seen.push(p); const share: number = p.bytesDone / p.bytesTotal; void share; };
  const co: CompactOptions = { major: true, onProgress };
  await db.compact(co);
  const image: DatabaseImage = db.export({ chunkSize: 1 << 16, onProgress });
  for await (const chunk of image) void chunk.byteLength;
  const eo: ExportOptions = { chunkSize: 4096 };
  const bytes: Uint8Array = await db.exportBytes(eo);
  const io: ImportOptions = { onProgress: (p) => void p.bytesDone };
  const src: ImageSource = db.export().stream();
  await importDatabase('./copy', bytes, io);
  await importDatabase('./copy2', src);
  const s: Stats = db.stats();
  const level0: LevelStats = s.levels[0];
  const wa: number = s.writeAmplification + level0.tables + s.cache.hits;
  const status: 'open' | 'closing' | 'closed' = db.status;
  await db[Symbol.asyncDispose]();
  await db.close();
  const w: WorkerDatabase = await open('./w', { worker: true });
  const ws: Stats = await w.stats();
  const wsz: number | undefined = await w.sizeOf('k');
  const wb: Uint8Array = await w.exportBytes();
  const wi: WorkerDatabaseImage = w.export({ chunkSize: 4096, onProgress });
  for await (const chunk of wi) void chunk.byteLength;
  const wt: number | undefined = wi.total;
  void wb, wt, wsz;
  await w.close();
  const report: RepairReport = await repairDatabase('./x');
  const lines: string[] = report.log;
  const lvl = new StrataLevel<string, string>('./y', { valueEncoding: 'utf8', compression: 'none', compactionFilter: () => 'keep' });
  await lvl.put('a', 'b');
  const got: string | undefined = lvl.getSync('a');
  const hm: boolean[] = await lvl.hasMany(['a']);
  await lvl.singleDel('a');
  await lvl.dropRange({ gte: 'a', lt: 'b' });
  await lvl.flush();
  await lvl.compact({ major: true, onProgress: (p) => void p.bytesTotal });
  const ls: Stats = lvl.stats();
  await lvl.close();
  const compactionChoices: CompactionOptions[] = [{ strategy: 'tiered', runTrigger: 4 }, { strategy: 'fifo', limitBytes: 1 << 30 }];
  const filter: CompactionFilter = (key) => (key.length > 10 ? 'remove' : 'keep');
  const oo: OpenOptions = { createIfMissing: false, errorIfExists: true, compactionFilter: filter };
  const kl: KeyLike = 'k'; const vl: ValueLike = new Uint8Array(0); const enc: Encoding = 'utf8';
  const e: Entry = ['k', 'v'];
  try { await open(''); } catch (err) {
    if (err instanceof StrataError) { const c: StrataErrorCode = err.code; const cause: unknown = err.cause; void c, cause; }
  }
  void rec, v, vs, many, has, hasMany, size, sizeNow, ss, n, sv, sh, page, first, wa, status, ws, lines, got, hm, ls, compactionChoices, oo, kl, vl, enc, e;
`;
const TYPES = 'Bytes, BatchOperation, ChainedBatch, CompactionFilter, CompactionOptions, CompactOptions, Database, DatabaseImage, DropRangeOptions, Encoding, Entry, ExportOptions, FilterVerdict, ImageSource, ImportOptions, IteratorOptions, KeyLike, LevelStats, OnProgress, OpenOptions, Progress, RangeOptions, RecoveryReport, RepairReport, Snapshot, Stats, StrataErrorCode, StrataIterator, ValueLike, WorkerDatabase, WorkerDatabaseImage';

const ESM = `
  import strata, { open, repairDatabase, importDatabase, StrataError, type ${TYPES.split(', ').join(', type ')} } from 'strata-lsm';
  import StrataLevelDefault, { StrataLevel, type StrataLevelOptions } from 'strata-lsm/level';
  import { Engine, engineConstants, loadEngine, loadModule } from 'strata-lsm/engine';
  export async function main(): Promise<void> {
    ${BODY}
    const same: typeof open = strata.open; void same, strata.repairDatabase, strata.importDatabase, strata.StrataError;
    const L: typeof StrataLevel = StrataLevelDefault; void L;
    const lo: StrataLevelOptions<string, string> = { valueEncoding: 'utf8', memtableSize: 1 << 20 }; void lo;
    const engine: Engine = await loadEngine({ threads: false });
    const version: string = engine.version(); const h: string = engine.xxh3(new Uint8Array(1)); engine.unload();
    const limits = await engineConstants(); const km: number | undefined = limits.KEY_MAX;
    const { variant } = await loadModule(); void version, h, km, variant;
    await using scoped = await open('./z');
    await scoped.put('k', 'v');
  }
`;
const CJS = `
  import { open, repairDatabase, importDatabase, StrataError, type ${TYPES.split(', ').join(', type ')} } from 'strata-lsm';
  import { StrataLevel, type StrataLevelOptions } from 'strata-lsm/level';
  import levelModule = require('strata-lsm/level');
  export async function main(): Promise<void> {
    ${BODY}
    const L: typeof StrataLevel = levelModule.default; void L;
    const lo: StrataLevelOptions<string, string> = { valueEncoding: 'utf8' }; void lo;
    const { loadEngine } = await import('strata-lsm/engine');
    const engine = await loadEngine(); const version: string = engine.version(); void version;
  }
`;

const skip = !fs.existsSync(tsc) && 'typescript not installed';

test('every name the entries export at run time is used by the typed consumers', { skip }, async () => {
  const names = new Set([
    ...Object.keys(await import(path.join(root, 'bindings/js/src/index.js'))),
    ...Object.keys(require(path.join(root, 'bindings/js/src/index.cjs'))),
    ...Object.keys(await import(path.join(root, 'bindings/js/src/level.js'))),
    ...Object.keys(require(path.join(root, 'bindings/js/src/level.cjs'))),
    ...Object.keys(await import(path.join(root, 'bindings/js/src/engine.js'))),
  ]);
  assert.ok(names.size >= 8, [...names].join(', '));
  for (const name of names) {
    if (name === 'default') continue; // used as strata / StrataLevelDefault / levelModule.default
    assert.match(ESM, new RegExp(`\\b${name}\\b`), `the ES-module consumer uses ${name}`);
  }
  for (const name of Object.keys(require(path.join(root, 'bindings/js/src/index.cjs')))) assert.match(CJS, new RegExp(`\\b${name}\\b`));
});

for (const module of ['nodenext', 'node16']) {
  test(`a strict consumer of every export compiles as an ES module and as CommonJS (module ${module})`, { skip }, () => {
    const r = compile({ 'use.mts': ESM, 'use.cts': CJS }, module);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
}

test('misuse of the declarations fails to compile, naming each mistake', { skip }, () => {
  const bad = compile({
    'bad.mts': `
      import { open } from 'strata-lsm';
      const db = await open('./x', { compression: 'zstd' });
      await db.batch([{ type: 'merge', key: 'a' }]);
      db.batch().put('a');
      await open('./y', { compactionFilter: () => 42 });
      await db.compact({ onProgress: (p) => p.percent });
      db.iterator({ signal: 'stop' });
      const size: string | undefined = await db.sizeOf('k');
    `,
    'bad.cts': `
      import { open } from 'strata-lsm';
      export async function f(): Promise<void> { const db = await open('./x'); await db.singleDel(); }
    `,
  });
  assert.notEqual(bad.status, 0);
  for (const mistake of [/zstd/, /merge/, /bad\.mts\(5,/, /bad\.mts\(6,/, /percent/, /bad\.mts\(8,/, /bad\.mts\(9,/, /bad\.cts\(3,.*singleDel|bad\.cts\(3,/]) {
    assert.match(bad.stdout, mistake);
  }
});
