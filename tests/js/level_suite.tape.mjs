// abstract-level's own test suite over strata-lsm/level, run with tape (node tests/js/level_suite.tape.mjs).
// level_suite.test.mjs runs this file and reports its totals to node --test.
// STRATA_LEVEL_LOCATION picks how each database's location is given: 'missing' (default), a
// folder that does not exist yet; 'empty', an existing empty folder, as classic-level's own
// test setup hands out (tempy.directory()).
import suite from 'abstract-level/test/index.js';
import test from 'tape';

import { StrataLevel } from '../../bindings/js/src/level.js';
import path from 'node:path';

import { engineFor, removeTempDirs, tempDir } from './helpers.mjs';

const engine = await engineFor(false);
// Picks the test module without adding an option the suite would see in its hooks.
class TestLevel extends StrataLevel {
  constructor(location, options) {
    super(location, options);
    this.strataOptions = { ...this.strataOptions, _moduleUrl: engine.moduleUrl };
  }
}
test.onFinish(() => removeTempDirs());
suite({
  test,
  factory(options) {
    const location = process.env.STRATA_LEVEL_LOCATION === 'empty' ? tempDir('strata-level-') : path.join(tempDir('strata-level-'), 'db');
    return new TestLevel(location, options);
  },
});
