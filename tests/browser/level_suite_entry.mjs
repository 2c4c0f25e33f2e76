// abstract-level's own test suite over strata-lsm/level in a browser (a page or a worker), with
// tape: bundled by level.test.mjs with esbuild (abstract-level and tape are CommonJS and use
// Node's events, stream and path, which the bundle gets from their browser ports).
import suite from 'abstract-level/test/index.js';
import tape from 'tape';

import { StrataLevel } from '../../bindings/js/src/level_browser.js';

// The suite checks that the options it gives reach the database's hooks unchanged: the test's
// own (backend, wasmUrl, workerUrl) go in behind its back, as the Node run does with its module.
class TestLevel extends StrataLevel {
  constructor(location, options, extra) {
    super(location, options);
    this.strataOptions = { ...this.strataOptions, ...extra };
  }
}

// Runs the suite; resolves with { pass, fail, failures: [first failing lines] }. `options`: open
// options for every database (a bundle passes workerUrl and wasmUrl: the package's files are not
// beside it).
export function runLevelSuite({ backend, prefix, options = {} }) {
  return new Promise((resolve) => {
    const test = tape.createHarness();
    const failures = [];
    let pass = 0;
    let fail = 0;
    const titles = new Map(); // test id -> name
    const started = new Map();
    const slow = [];
    test.createStream({ objectMode: true }).on('data', (row) => {
      if (row.type === 'test') { titles.set(row.id, row.name); started.set(row.id, performance.now()); }
      if (row.type === 'end') slow.push([Math.round(performance.now() - started.get(row.test)), titles.get(row.test)]);
      if (row.type !== 'assert') return;
      if (row.ok) pass++;
      else {
        fail++;
        if (failures.length < 40) failures.push(`${titles.get(row.test)} / ${row.name}: ${JSON.stringify(row.actual)} vs ${JSON.stringify(row.expected)} ${row.error?.message ?? ''}`);
      }
    });
    test.onFinish(() => resolve({ pass, fail, failures, slow: slow.sort((a, b) => b[0] - a[0]).slice(0, 15) }));
    let n = 0;
    suite({
      test,
      factory(suiteOptions) {
        return new TestLevel(`${prefix}-${Date.now().toString(36)}-${n++}`, suiteOptions, { ...options, backend });
      },
    });
  });
}
