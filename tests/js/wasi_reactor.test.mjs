// The WASI reactor (strata-reactor.wasm, docs/WASI.md) as a library, under two WASI
// implementations that share no code: node:wasi and @bjorn3/browser_wasi_shim. The same table
// (tests/wasi/reactor_cases.mjs) runs under both; the browser test runs it a third time in
// Chromium. Then folders cross: what the reactor writes under the shim, the command module
// reads under node:wasi and the native tool reads, and the other way round.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { removeTempDirs, root, tempDir } from './helpers.mjs';
import { hosts } from '../wasi/hosts_node.mjs';
import { reactorCases } from '../wasi/reactor_cases.mjs';

after(() => removeTempDirs());

for (const [hostName, makeHost] of Object.entries(hosts)) {
  describe(`reactor under ${hostName}`, () => {
    for (const c of reactorCases) {
      test(c.name, async () => {
        const h = makeHost(tempDir('strata-reactor-'));
        await c.run(h);
        h.sync();
      });
    }
  });
}

const bin = path.join(root, 'bindings/js/bin/strata.js');
const native = path.join(root, 'build/native/strata');
const tool = (file, pre, ...args) => execFileSync(file, [...pre, ...args], { encoding: 'utf8' });

describe('reactor folders are the other builds\' folders', () => {
  for (const [hostName, makeHost] of Object.entries(hosts)) {
    test(`reactor_folder_reads_everywhere: written by the reactor under ${hostName}, read by the command module and the native tool`, async (t) => {
      const dir = tempDir('strata-reactor-x-');
      const h = makeHost(dir);
      const db = (await h.load()).open(h.path);
      for (let i = 0; i < 300; i++) db.put(`k${String(i).padStart(3, '0')}`, `v${i}`);
      db.flush();
      db.put('in-journal', 'yes'); // not flushed: replayed by the reader
      db.close();
      h.sync();
      const folder = path.join(dir, h.rel);
      assert.equal(tool(process.execPath, [bin], folder, 'get', 'k123'), 'v123\n');
      assert.equal(tool(process.execPath, [bin], folder, 'get', 'in-journal'), 'yes\n');
      assert.match(tool(process.execPath, [bin], folder, 'check'), /^check: ok, 301 entries/);
      if (!fs.existsSync(native)) return t.skip('build/native/strata not built');
      assert.match(tool(native, [], folder, 'check'), /^check: ok, 301 entries/);
      assert.equal(tool(native, [], folder, 'scan', '--prefix', 'k29').split('\n').length - 1, 10);
    });

    test(`reactor_reads_other_builds: written by the command module, read by the reactor under ${hostName}`, async () => {
      const dir = tempDir('strata-reactor-y-');
      const folder = path.join(dir, 'store');
      tool(process.execPath, [bin], 'demo', '--dir', folder, '--count', '2000');
      tool(process.execPath, [bin], folder, 'put', 'extra', 'from the tool');
      const h = makeHost(dir);
      const db = (await h.load()).open(h.path, { createIfMissing: false });
      assert.equal(new TextDecoder().decode(db.get('extra')), 'from the tool');
      assert.match(new TextDecoder().decode(db.get('user/0000042')), /"id":42,/);
      assert.equal([...db.iterate({ prefix: 'user/' })].length, 2000);
      db.close();
    });
  }
});

test('reactor_lock_is_seen_by_other_runtimes: while the reactor (node:wasi) holds a folder, the tool is refused with STRATA_LOCKED naming this process', async (t) => {
  const dir = tempDir('strata-reactor-lock-');
  const h = hosts['node:wasi'](dir);
  const db = (await h.load()).open(h.path);
  db.put('k', 'v');
  const folder = path.join(dir, h.rel);
  const lock = fs.readFileSync(path.join(folder, 'LOCK'), 'utf8');
  assert.match(lock, /^strata-lock 1\nruntime wasi\n/);
  assert.match(lock, new RegExp(`^pid ${process.pid}$`, 'm'), 'the record names the process that runs the module');
  const tools = [['npm bin (WASI)', process.execPath, [bin]]];
  if (fs.existsSync(native)) tools.push(['native', native, []]);
  for (const [name, file, pre] of tools) {
    const r = spawnSync(file, [...pre, folder, 'get', 'k'], { encoding: 'utf8' });
    assert.equal(r.status, 1, `${name}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /STRATA_LOCKED/, name);
    assert.match(r.stderr, new RegExp(`${process.pid}`), `${name} names the holder`);
  }
  db.close();
  assert.ok(!fs.existsSync(path.join(folder, 'LOCK')), 'close removed the lock');
  assert.equal(tool(process.execPath, [bin], folder, 'get', 'k'), 'v\n');
  if (!fs.existsSync(native)) t.skip('build/native/strata not built');
});
