// The browser entry's TypeScript declarations, checked as an app meets them: a strict consumer
// compiled with `tsc --noEmit` against the package installed in node_modules, resolved through
// the exports map's `browser` condition (index_browser.d.ts: open() from a page returns the
// worker's proxy) and its `worker` condition (index_worker.d.ts: the engine in that thread),
// with the DOM / WebWorker libraries and no Node types. Misuse must fail to compile, and every
// name the browser entry exports for apps must appear in the consumer.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';

import { removeTempDirs, root, tempDir } from './helpers.mjs';

after(() => removeTempDirs());
const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
const skip = !fs.existsSync(tsc) && 'typescript not installed';

function compile(files, condition) {
  const dir = tempDir('strata-types-browser-');
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(root, path.join(dir, 'node_modules', 'strata-lsm'), 'dir');
  for (const [name, source] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), source);
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      strict: true, noEmit: true, module: 'esnext', moduleResolution: 'bundler', customConditions: [condition],
      target: 'es2022', lib: ['esnext', condition === 'worker' ? 'webworker' : 'dom', 'esnext.disposable'],
      skipLibCheck: false, noUnusedLocals: true, types: [],
    },
    files: Object.keys(files),
  }));
  return spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
}

// What a page does: every option of open(), the proxy's own shape, the storage functions.
const PAGE = `
  import strata, { open, importDatabase, deleteDatabase, listDatabases, StrataError,
    type BrowserBackend, type BrowserOpenOptions, type BrowserImportOptions, type PageDatabase, type BrowserDatabase,
    type WorkerDatabaseImage, type StoredBackend, type Stats, type ImageSource } from 'strata-lsm';
  export async function main(): Promise<void> {
    const backend: BrowserBackend = 'auto';
    const options: BrowserOpenOptions = {
      backend, valueEncoding: 'utf8', lockTimeoutMs: 500, workerUrl: new URL('./w.js', location.href),
      wasmUrl: { st: '/st.wasm', mt: new URL('/mt.wasm', location.href) }, threads: false, compression: 'lz4',
    };
    const db: PageDatabase = await open('notes', options);
    const where: StoredBackend = db.backend;
    const build: 'st' | 'mt' = db.build;
    await db.put('k', 'v');
    const v = await db.get('k', { valueEncoding: 'utf8' });
    const size: number | undefined = await db.sizeOf('k');
    const stats: Stats = await db.stats();
    const image: WorkerDatabaseImage = db.export({ chunkSize: 1 << 16, onProgress: (p) => void p.bytesDone });
    const total: number | undefined = image.total;
    const chunks: Uint8Array[] = [];
    for await (const c of image) chunks.push(c);
    const src: ImageSource = db.export().stream();
    await db.close();
    const io: BrowserImportOptions = { backend: 'opfs', onProgress: (p) => void p.bytesTotal, lockTimeoutMs: 100 };
    await importDatabase('copy', chunks, io);
    await importDatabase('copy2', src, { backend: 'idb', worker: false });
    const inPage: BrowserDatabase = await open('local', { backend: 'idb', worker: false });
    const sync: Stats = inPage.stats();
    const got = inPage.getSync('k');
    await inPage.close();
    const gone: boolean = await deleteDatabase('copy', { lockTimeoutMs: 0 });
    const names: string[] = await listDatabases();
    try { await open(''); } catch (err) { if (err instanceof StrataError) void err.code; }
    const same: typeof open = strata.open; void strata.importDatabase, strata.deleteDatabase, strata.listDatabases, strata.StrataError;
    void where, build, v, size, stats, total, sync, got, gone, names, same;
  }
`;
// Inside a worker: open() is in-thread (synchronous stats and getSync, export read chunk by chunk).
const WORKER = `
  import { open, importDatabase, listDatabases, type BrowserDatabase } from 'strata-lsm';
  export async function main(): Promise<void> {
    const db: BrowserDatabase = await open('notes', { backend: 'opfs' });
    const levels: number = db.stats().levels.length;
    const chunk: Uint8Array | null = db.export().read();
    const v = db.getSync('k');
    const size: number | undefined = db.sizeOfSync('k');
    await importDatabase('copy', await db.exportBytes(), { backend: 'opfs' });
    await db.close();
    void levels, chunk, v, size, (await listDatabases()).length, self.postMessage;
  }
`;

test('every name the browser entry exports for apps is used by the typed page consumer', { skip }, async () => {
  // the browser entry's exports, read from its source (importing it in Node would need browser globals)
  const src = fs.readFileSync(path.join(root, 'bindings/js/src/index_browser.js'), 'utf8');
  const names = [...src.matchAll(/^export (?:async )?(?:function|const|class) (\w+)|^export \{ (\w+) \}/gm)].map((m) => m[1] ?? m[2]);
  // used only by the package's own worker script (browser_worker.js), declared @internal
  const internal = new Set(['openHere', 'importHere', 'serveImport', 'checkName']);
  assert.ok(names.length >= 8, names.join(', '));
  for (const name of names) if (!internal.has(name)) assert.match(PAGE, new RegExp(`\\b${name}\\b`), `the page consumer uses ${name}`);
  for (const name of internal) assert.ok(names.includes(name), `${name} is still exported`);
});

test('a strict page consumer compiles under the browser condition, a worker consumer under the worker condition', { skip }, () => {
  const page = compile({ 'page.ts': PAGE }, 'browser');
  assert.equal(page.status, 0, page.stdout + page.stderr);
  const worker = compile({ 'worker.ts': WORKER }, 'worker');
  assert.equal(worker.status, 0, worker.stdout + worker.stderr);
});

test('misuse of the browser declarations fails to compile, naming each mistake', { skip }, () => {
  const bad = compile({
    'bad.ts': `
      import { open, importDatabase, deleteDatabase } from 'strata-lsm';
      const db = await open('x'); await open('x2', { backend: 'fs' });
      db.export().read();
      const n: number = db.stats().seqno;
      await importDatabase('y', 42);
      await open('z', { lockTimeoutMs: '1s' });
      const b: 'opfs' = db.build;
      await deleteDatabase();
      await open('w', { wasmUrl: 7 });
    `,
  }, 'browser');
  assert.notEqual(bad.status, 0);
  for (let line = 3; line <= 10; line++) assert.match(bad.stdout, new RegExp(`bad\\.ts\\(${line},`), `line ${line} is refused:\n${bad.stdout}`);
  // the page's proxy: the worker condition's in-thread database takes the same line
  const inWorker = compile({ 'ok.ts': `import { open } from 'strata-lsm'; const db = await open('x'); const n: number = db.stats().seqno; void n;` }, 'worker');
  assert.equal(inWorker.status, 0, inWorker.stdout);
});
