// The browser benchmark (bench/browser) at a small N in Chromium: every phase of every peer runs
// and returns correct results (keys found, absent keys missed, seeks landing on their key with 10
// entries, a full ordered scan). Correctness only: timings are never judged here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkLines } from '../../bench/check.mjs';
import { runBrowserBench } from '../../bench/browser/run.mjs';

const N = 2000;

test('browser_bench_phases_are_correct_for_every_peer_at_small_n', { timeout: 120000 }, async (t) => {
  const r = await runBrowserBench({ n: N, misses: N, seeks: N, t });
  const names = r.peers.map((p) => p.name);
  for (const want of ['browser-level', 'idb-keyval', 'sqlite-wasm', 'strata-lsm-opfs', 'strata-lsm-idb',
    'strata-lsm-opfs-inworker', 'strata-lsm-idb-inworker', 'strata-lsm-memory-inworker']) {
    assert.ok(names.includes(want), `peer ${want} is listed`);
  }
  for (const name of names) {
    const lines = r.lines.filter((l) => l.peer === name);
    const err = lines.find((l) => l.workload === '_error');
    assert.equal(err, undefined, `${name}: ${err?.error}`);
    assert.deepEqual(checkLines(lines, N, { seeks: N }), [], name);
    const rm = lines.find((l) => l.workload === 'readmissing');
    assert.equal(rm.ops, N, `${name} readmissing count`);
    const info = lines.find((l) => l.workload === '_info');
    assert.match(info.describe, /sync/, `${name} says its durability`);
    const backend = /^strata-lsm-(opfs|idb|memory)/.exec(name)?.[1];
    if (backend) assert.match(info.describe, new RegExp(`\\[backend ${backend}, build st\\]`), `${name} ran on its backend`);
  }
});
