// Shared by the JS tests: temp folders that are removed, child processes that are killed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StrataError } from '../../bindings/js/src/errors.js';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const pkgEntry = path.join(root, 'bindings/js/src/index.js');
export const nativeEntry = path.join(root, 'bindings/js/src/native_node.js');

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

// The database tests once ran against a test double while src/db/ was empty; they now run
// against the package's own engine build. engineFor() is kept as the one place to change that.
export async function engineFor() {
  return { name: 'engine', moduleUrl: undefined };
}

// For assert.throws / assert.rejects: a StrataError with this code (and a message matching re).
export const strataError = (c, re) => (e) => {
  assert.ok(e instanceof StrataError, `expected a StrataError, got ${e?.stack ?? e}`);
  assert.equal(e.code, c, e.message);
  if (re) assert.match(e.message, re);
  return true;
};
