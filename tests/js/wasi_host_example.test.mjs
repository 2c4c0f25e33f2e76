// examples/wasi-host/example.mjs, the smallest embedding of the WASI reactor (node:wasi, one
// preopened folder, put / get / batch / prefix scan / flush), run as a user would run it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, test } from 'node:test';

import { removeTempDirs, root, tempDir } from './helpers.mjs';

after(() => removeTempDirs());

const example = path.join(root, 'examples/wasi-host/example.mjs');

test('wasi_host_example_runs: opens a folder, writes, reads and scans; a second run reopens it; the tool reads it', () => {
  const db = path.join(tempDir('strata-wasi-example-'), 'db');
  const run = () => execFileSync(process.execPath, [example, db], { encoding: 'utf8' });
  const first = run();
  assert.match(first, /^strata \d+\.\d+\.\d+ \(WASI reactor\) in /);
  assert.match(first, /^get fruit\/apple -> red$/m);
  assert.match(first, /^get fruit\/kiwi -> \(absent\)$/m);
  assert.deepEqual(first.match(/^scan .*$/gm), ['scan fruit/apple = red', 'scan fruit/banana = yellow', 'scan fruit/cherry = dark red']);
  assert.match(first, /^flushed: 1 table\(s\), next seqno 4$/m);
  const second = run(); // reopens: the journal and the table of the first run, then three more writes
  assert.match(second, /^flushed: 2 table\(s\), next seqno 7$/m);
  const tool = (...args) => execFileSync(process.execPath, [path.join(root, 'bindings/js/bin/strata.js'), db, ...args], { encoding: 'utf8' });
  assert.equal(tool('get', 'veg/leek'), 'green\n');
  assert.match(tool('check'), /^check: ok, 4 entries/);
});
