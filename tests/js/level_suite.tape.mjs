// abstract-level's own test suite over strata-lsm/level, run with tape (node tests/js/level_suite.tape.mjs).
// level_suite.test.mjs runs this file and reports its totals to node --test.
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
    return new TestLevel(path.join(tempDir('strata-level-'), 'db'), options);
  },
});
