// Shared by the JS tests: temp folders that are removed, child processes that are killed.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const pkgEntry = path.join(root, 'bindings/js/src/index.js');
export const nativeEntry = path.join(root, 'bindings/js/src/native.js');

const made = new Set();
export function tempDir(prefix = 'strata-js-') {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.add(d);
  return d;
}
export function removeTempDirs() {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
  made.clear();
}

// Runs an ES-module script in a child Node process. `lines` collects its stdout lines;
// `waitFor(re)` resolves with the first line matching re. Every child is killed by killAll().
const children = new Set();
export function child(source, args = []) {
  const proc = spawn(process.execPath, ['--input-type=module', '-e', source, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  const lines = [];
  const waiters = [];
  let stderr = '';
  let buf = '';
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (chunk) => {
    buf += chunk;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push(line);
      for (const w of [...waiters]) if (w.re.test(line)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(line); }
    }
  });
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (c) => { stderr += c; });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => { children.delete(proc); resolve({ code, signal }); }));
  return {
    proc, lines, exited,
    get stderr() { return stderr; },
    waitFor(re, ms = 20000) {
      const hit = lines.find((l) => re.test(l));
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const w = { re, resolve };
        waiters.push(w);
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${re}; stdout: ${lines.join('|')}; stderr: ${stderr}`)), ms);
        exited.then(() => setTimeout(() => reject(new Error(`child exited before ${re}; stdout: ${lines.join('|')}; stderr: ${stderr}`)), 50));
        const done = w.resolve;
        w.resolve = (l) => { clearTimeout(t); done(l); };
      });
    },
    kill9() { proc.kill('SIGKILL'); return exited; },
  };
}
export async function killAll() {
  for (const c of children) c.kill('SIGKILL');
}

// Which module the database tests run: the package's own build when it has the database layer,
// otherwise the test module linked with tests/js/model/model_db.c (a test double of src/db/).
import { Native } from '../../bindings/js/src/native.js';
let engineChoice;
export async function engineFor(threads = false) {
  engineChoice ??= {};
  if (engineChoice[threads] !== undefined) return engineChoice[threads];
  const n = await Native.load({ threads });
  const real = n.hasDb();
  n.free();
  const model = path.join(root, threads ? 'build/wasm-mt/js-model/strata.mjs' : 'build/wasm/js-model/strata.mjs');
  engineChoice[threads] = real || process.env.STRATA_JS_ENGINE === 'real'
    ? { name: 'engine', moduleUrl: undefined }
    : { name: 'test double of src/db (tests/js/model)', moduleUrl: fs.existsSync(model) ? model : null };
  return engineChoice[threads];
}
