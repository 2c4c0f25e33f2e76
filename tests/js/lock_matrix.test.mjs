// The folder lock across runtimes (docs/LOCKING.md): native (build/native/lock_tool, and the
// native `strata` tool), Node (`open()` of strata-lsm), WASI (build/wasi/lock_tool.wasm under
// scripts/wasi-run.mjs) and Emscripten on the posix backend (build/wasm/lock_tool.js, NODERAWFS),
// each in its own process. Every ordered pair: A holds, B is refused with
// STRATA_LOCKED naming A, A releases, B opens. Two handles in one process of each runtime.
// kill -9 of each holder, then an open from each runtime. The C and JS record codecs agree byte
// for byte, and no one-byte change of a stale lock file blocks the folder or lets two writers in.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { open } from '../../bindings/js/src/index.js';
import { decodeRecord, encodeRecord, recordHost } from '../../bindings/js/src/lock_record.js';
import { acquireLock, releaseLock } from '../../bindings/js/src/node_host.js';
import { pkgEntry, removeTempDirs, root, tempDir } from './helpers.mjs';

const nativeTool = path.join(root, 'build/native/lock_tool');
const nativeCli = path.join(root, 'build/native/strata');
const wasiTool = path.join(root, 'build/wasi/lock_tool.wasm');
const emscriptenTool = path.join(root, 'build/wasm/lock_tool.js'); // the posix backend on NODERAWFS
const wasiRun = path.join(root, 'scripts/wasi-run.mjs');
const jsCli = path.join(root, 'bindings/js/bin/strata.js');

const procs = new Set();
after(() => {
  for (const p of procs) p.kill('SIGKILL');
  removeTempDirs();
});

// A Node process with the package: `hold` opens and waits for a line on stdin, `try` opens,
// puts and closes. Prints "open" or "<code> <message>", and "closed" after a hold.
const nodeScript = `
  const [entry, mode, dir] = process.argv.slice(1);
  const { open } = await import(entry);
  let db;
  try { db = await open(dir); if (mode === 'try') await db.put('k', 'v', { sync: true }); }
  catch (e) { console.log(e.code + ' ' + e.message); process.exit(0); }
  console.log('open');
  if (mode === 'try') { await db.close(); process.exit(0); }
  let closing = false;
  const close = async () => { if (closing) return; closing = true; await db.close(); console.log('closed'); process.exit(0); };
  process.stdin.on('data', close).on('end', close);
`;

// The command line that runs `mode` on folder `dir` (an absolute path) in a runtime.
function command(runtime, mode, dir) {
  switch (runtime) {
    case 'native': return [nativeTool, [mode, dir]];
    case 'node': return [process.execPath, ['--input-type=module', '-e', nodeScript, pkgEntry, mode, dir]];
    case 'wasi': return [process.execPath, [wasiRun, `--dir=${path.dirname(dir)}::.`, wasiTool, mode, path.basename(dir)]];
    // a WASI host that does not give the module its /proc: the module cannot check processes
    case 'wasi-noproc': return [process.execPath, [wasiRun, `--dir=${path.dirname(dir)}::.`, '--no-proc', wasiTool, mode, path.basename(dir)]];
    case 'emscripten': return [process.execPath, [emscriptenTool, mode, dir]];
    default: throw new Error(runtime);
  }
}

// Starts a process; `line(re)` resolves with its first stdout line matching re (bounded time).
function start(runtime, mode, dir) {
  const [file, args] = command(runtime, mode, dir);
  const proc = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  procs.add(proc);
  const lines = [];
  let buf = '', stderr = '';
  const waiters = [];
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (c) => {
    buf += c;
    for (let nl; (nl = buf.indexOf('\n')) >= 0; buf = buf.slice(nl + 1)) {
      lines.push(buf.slice(0, nl));
      for (const w of waiters.splice(0)) w();
    }
  });
  proc.stderr.on('data', (c) => { stderr += c; });
  const exited = new Promise((resolve) => proc.on('exit', () => { procs.delete(proc); for (const w of waiters.splice(0)) w(); resolve(); }));
  let done = false;
  exited.then(() => { done = true; });
  return {
    proc, exited, lines,
    line(re = /./, ms = 15000) {
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`${runtime} ${mode}: timed out for ${re}; stdout ${lines.join('|')}; stderr ${stderr}`)), ms);
        const check = () => {
          const hit = lines.find((l) => re.test(l));
          if (hit !== undefined) { clearTimeout(t); resolve(hit); return; }
          if (done) { clearTimeout(t); reject(new Error(`${runtime} ${mode} exited: stdout ${lines.join('|')}; stderr ${stderr}`)); return; }
          waiters.push(check);
        };
        check();
      });
    },
    async release() {
      proc.stdin.write('\n');
      await this.line(/^closed$/);
      await exited;
    },
    async kill9() {
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

async function tryOpen(runtime, dir) {
  const p = start(runtime, 'try', dir);
  const l = await p.line(/^(open|STRATA_)/);
  await p.exited;
  return l;
}

const runtimes = ['native', 'node', 'wasi', 'emscripten'];

function freshDb() {
  return path.join(tempDir('strata-lock-'), 'db');
}

describe('every ordered pair of runtimes, in separate processes', () => {
  for (const a of runtimes) {
    for (const b of runtimes) {
      test(`${a} holds: ${b} is STRATA_LOCKED naming the holder, then opens once it is released`, async () => {
        const dir = freshDb();
        const holder = start(a, 'hold', dir);
        assert.equal(await holder.line(), 'open');
        const refused = await tryOpen(b, dir);
        assert.match(refused, /^STRATA_LOCKED /);
        // WASI's pid is the one of the Node process running it (wasi-run.mjs passes it in)
        assert.ok(refused.includes(`${a} process ${holder.proc.pid} on host ${recordHost(os.hostname())}`), refused);
        assert.match(refused, /lock taken \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
        await holder.release();
        assert.equal(fs.existsSync(path.join(dir, 'LOCK')), false, 'the holder removed its lock');
        assert.equal(await tryOpen(b, dir), 'open');
      });
    }
  }

  test('openers of all three runtimes started at once on a fresh folder: exactly one holds', async () => {
    for (let round = 0; round < 3; round++) {
      const dir = freshDb();
      fs.mkdirSync(dir);
      const holders = [...runtimes, 'native', 'node'].map((r) => start(r, 'hold', dir));
      const results = await Promise.all(holders.map((h) => h.line(/^(open|STRATA_)/)));
      assert.equal(results.filter((r) => r === 'open').length, 1, results.join('\n'));
      for (const r of results) if (r !== 'open') assert.match(r, /^STRATA_LOCKED /);
      for (const h of holders) h.proc.stdin.end();
      await Promise.all(holders.map((h) => h.exited));
    }
  });
});

describe('two handles in one process', () => {
  for (const r of ['native', 'wasi', 'emscripten']) {
    test(`${r}: the second open is STRATA_LOCKED naming this process`, async () => {
      const p = start(r, 'twice', freshDb());
      const l = await p.line();
      assert.match(l, /^STRATA_LOCKED .*another handle in this process/);
      await p.exited;
    });
  }
  test('node: the second open is STRATA_LOCKED; after close it opens', async () => {
    const dir = freshDb();
    const db = await open(dir);
    await assert.rejects(open(dir), (e) => e.code === 'STRATA_LOCKED' && /this process/.test(e.message));
    await db.close();
    await (await open(dir)).close();
  });
});

describe('kill -9 of the holder, then an open from each runtime', () => {
  for (const a of runtimes) {
    for (const b of runtimes) {
      test(`${a} holder killed: ${b} takes the lock over`, async () => {
        const dir = freshDb();
        const holder = start(a, 'hold', dir);
        assert.equal(await holder.line(), 'open');
        await holder.kill9();
        assert.ok(fs.existsSync(path.join(dir, 'LOCK')), 'kill -9 leaves the lock file');
        assert.equal(await tryOpen(b, dir), 'open'); // WASI: through the /proc its host preopened
        assert.equal(fs.existsSync(path.join(dir, 'LOCK')), false);
      });
    }
    test(`${a} holder killed: WASI without its host's /proc is told who held it and how to clear it`, async () => {
      const dir = freshDb();
      const holder = start(a, 'hold', dir);
      assert.equal(await holder.line(), 'open');
      await holder.kill9();
      const got = await tryOpen('wasi-noproc', dir);
      assert.match(got, /^STRATA_LOCKED /);
      assert.ok(got.includes(`${a} process ${holder.proc.pid}`), got);
      assert.ok(got.includes(`remove ${path.basename(dir)}/LOCK`), got);
      assert.equal(await tryOpen('native', dir), 'open', 'a runtime that can check takes it over');
    });
  }
  test('wasi_proc_is_trusted_only_for_its_host: a /proc that does not show the declared process is not used', async () => {
    const dir = freshDb();
    const holder = start('native', 'hold', dir);
    assert.equal(await holder.line(), 'open');
    await holder.kill9();
    // a host that preopens /proc but declares a start time that is not its own: not trusted
    const host = `
      import fs from 'node:fs';
      import { WASI } from 'node:wasi';
      const [wasm, parent, name] = process.argv.slice(1);
      const wasi = new WASI({ version: 'preview1', args: ['lock_tool', 'try', name], returnOnExit: true,
        env: { STRATA_LOCK_PID: String(process.pid), STRATA_LOCK_START: '1', STRATA_LOCK_HOST: (await import('node:os')).hostname() },
        preopens: { '.': parent, '/proc': '/proc' } });
      const instance = await WebAssembly.instantiate(await WebAssembly.compile(fs.readFileSync(wasm)), wasi.getImportObject());
      process.exitCode = wasi.start(instance);`;
    const proc = spawn(process.execPath, ['--no-turbo-fast-api-calls', '--no-warnings', '--input-type=module', '-e', host,
      wasiTool, path.dirname(dir), path.basename(dir)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (c) => { out += c; });
    await new Promise((resolve) => proc.on('exit', resolve));
    assert.match(out, /^STRATA_LOCKED .*cannot be checked from here/);
  });
});

describe('the tools', () => {
  test('native_tool_cannot_write_while_node_holds_the_folder (and the npm tool while native holds)', async () => {
    const dir = freshDb();
    const db = await open(dir);
    const run = (file, args) => new Promise((resolve) => execFile(file, args, { encoding: 'utf8' }, (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stderr })));
    const r = await run(nativeCli, [dir, 'put', 'k', 'v']);
    await db.close();
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`STRATA_LOCKED: .*locked by node process ${process.pid}`));
    const holder = start('native', 'hold', dir);
    assert.equal(await holder.line(), 'open');
    const j = await run(process.execPath, [jsCli, dir, 'put', 'k', 'v']);
    await holder.release();
    assert.notEqual(j.code, 0);
    assert.match(j.stderr, new RegExp(`STRATA_LOCKED.*locked by native process ${holder.proc.pid}`));
  });
});

describe('the record: one format in C and JS', () => {
  const records = [
    { runtime: 'native', pid: 1234, start: 5678n, host: 'host-1', since: 1764580000123n, token: '0123456789abcdef' },
    { runtime: 'wasi', pid: 0, start: 0n, host: '?', since: 0n, token: 'ffffffffffffffff' },
    { runtime: 'emscripten', pid: 4294967295, start: 18446744073709551615n, host: 'h'.repeat(255), since: 18446744073709551615n, token: '00000000000000aa' },
    { runtime: 'node', pid: 1, start: 2n, host: recordHost('héllo wörld\n'), since: 3n, token: 'abcdefabcdef0123' },
  ];
  const c = (...args) => new Promise((resolve, reject) => execFile(nativeTool, args, { encoding: 'latin1' }, (err, stdout) => (err ? reject(err) : resolve(stdout))));

  test('C and JS encode the same bytes, and each decodes the other', async () => {
    const dir = tempDir('strata-lock-');
    for (const r of records) {
      const js = encodeRecord(r);
      const fromC = Buffer.from(await c('encode', r.runtime, String(r.pid), String(r.start), r.host, String(r.since), r.token), 'latin1');
      assert.deepEqual(fromC, js, `${r.runtime}: C ${fromC.toString('latin1')} JS ${js.toString('latin1')}`);
      assert.deepEqual(decodeRecord(fromC), { ...r, pid: r.pid });
      const file = path.join(dir, `${r.runtime}.lock`);
      fs.writeFileSync(file, js);
      assert.equal(await c('decode', file), `${r.runtime} ${r.pid} ${r.start} ${r.host} ${r.since} ${r.token}\n`);
    }
    assert.equal(recordHost('héllo wörld\n'), 'h__llo_w__rld_');
  });

  test('both decoders refuse every one-byte change of a record', async () => {
    const good = encodeRecord(records[0]);
    const dir = tempDir('strata-lock-');
    for (let i = 0; i < good.length; i++) {
      for (let v = 0; v < 256; v++) {
        if (v === good[i]) continue;
        const bad = Buffer.from(good);
        bad[i] = v;
        assert.throws(() => decodeRecord(bad), (e) => e.code === 'ELOCKRECORD', `byte ${i} = ${v}`);
      }
    }
    // the C side over every byte with one value each (its full sweep is in test_lock_record.c)
    for (let i = 0; i < good.length; i += 1) {
      const bad = Buffer.from(good);
      bad[i] ^= 0x01;
      const file = path.join(dir, 'bad.lock');
      fs.writeFileSync(file, bad);
      assert.match(await c('decode', file), /^STRATA_CORRUPTION .*not a lock record/);
    }
  });
});

describe('a stale lock file with one byte changed', () => {
  // A lock Node left when killed; every byte changed in turn, the file older than the grace.
  async function staleNodeLock() {
    const dir = freshDb();
    const holder = start('node', 'hold', dir);
    assert.equal(await holder.line(), 'open');
    await holder.kill9();
    return { dir, file: path.join(dir, 'LOCK'), bytes: fs.readFileSync(path.join(dir, 'LOCK')) };
  }
  const backdate = (file, s) => { const t = Date.now() / 1000 - s; fs.utimesSync(file, t, t); };

  test('stale_node_lock_with_one_byte_changed_never_blocks_for_good (every byte, Node and native openers)', async () => {
    const { dir, file, bytes } = await staleNodeLock();
    for (let i = 0; i < bytes.length; i++) {
      for (const v of [bytes[i] ^ 0x01, 0x30, 0x0a, 0x00]) {
        if (v === bytes[i]) continue;
        const bad = Buffer.from(bytes);
        bad[i] = v;
        fs.writeFileSync(file, bad);
        // fresh damage is refused with the way out, never a bare "locked by process N"
        assert.throws(() => acquireLock(file), (e) => e.strataCode === 6 && /damaged.*remove /.test(e.message), `byte ${i}`);
        backdate(file, 60);
        const held = acquireLock(file);
        releaseLock(held, file);
        assert.equal(fs.existsSync(file), false);
      }
      const bad = Buffer.from(bytes);
      bad[i] ^= 0x20;
      fs.writeFileSync(file, bad);
      backdate(file, 60);
      assert.equal(await tryOpen('native', dir), 'open', `native, byte ${i}`);
    }
  });

  test('wasi opens past a damaged stale lock too (a sample of bytes)', async () => {
    const { dir, file, bytes } = await staleNodeLock();
    for (let i = 0; i < bytes.length; i += 13) {
      const bad = Buffer.from(bytes);
      bad[i] ^= 0x04;
      fs.writeFileSync(file, bad);
      backdate(file, 60);
      assert.equal(await tryOpen('wasi', dir), 'open', `byte ${i}`);
    }
  });

  test('never two writers: three runtimes race for a damaged stale lock, exactly one wins', async () => {
    const { dir, file, bytes } = await staleNodeLock();
    for (const i of [0, 20, 40, 60, 80, bytes.length - 2]) {
      const bad = Buffer.from(bytes);
      bad[i] ^= 0x02;
      fs.writeFileSync(file, bad);
      backdate(file, 60);
      const holders = runtimes.map((r) => start(r, 'hold', dir));
      const results = await Promise.all(holders.map((h) => h.line(/^(open|STRATA_)/)));
      assert.equal(results.filter((r) => r === 'open').length, 1, `byte ${i}: ${results.join(' | ')}`);
      for (const h of holders) h.proc.stdin.end();
      await Promise.all(holders.map((h) => h.exited));
    }
  });
});
