// Runs abstract-level's own test suite (with tape) over strata-lsm/level in a child process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

import { root } from './helpers.mjs';

for (const location of ['missing', 'empty']) {
test(`strata-lsm/level passes the abstract-level test suite (each location ${location === 'missing' ? 'a folder not there yet' : 'an existing empty folder'})`, () => {
  const r = spawnSync(process.execPath, [path.join(root, 'tests/js/level_suite.tape.mjs')], {
    encoding: 'utf8', timeout: 900_000, maxBuffer: 64 << 20, env: { ...process.env, STRATA_LEVEL_LOCATION: location },
  });
  const pass = Number(/^# pass +(\d+)/m.exec(r.stdout)?.[1] ?? 0);
  const fail = Number(/^# fail +(\d+)/m.exec(r.stdout)?.[1] ?? 0);
  const failures = r.stdout.split('\n').filter((l, i, all) => l.startsWith('not ok') || (all[i + 1] ?? '').startsWith('not ok')).slice(0, 40);
  console.log(`# abstract-level suite (${location}): ${pass} assertions passed, ${fail} failed`);
  assert.equal(fail, 0, failures.join('\n'));
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  assert.ok(pass > 4000, `only ${pass} assertions ran`);
});
}
