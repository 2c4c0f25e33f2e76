'use strict';
// strata-lsm/level: Strata as an abstract-level database (the `level` ecosystem's interface),
// for `require` and (through level.js) `import`. abstract-level is a dependency of the package,
// as it is of classic-level and memory-level.
//
//   const { StrataLevel } = require('strata-lsm/level');   // or: import { StrataLevel } from 'strata-lsm/level'
//   const db = new StrataLevel('./data', { valueEncoding: 'json' });
//   await db.put('k', { a: 1 });
//
// The class is level_class.cjs's over the Node entry's open().
const { levelClass } = require('./level_class.cjs');

// The package's open() is an ES module (the engine's loader is one): loaded at the first open.
let esm;
function strata() {
  esm ??= import('./index.js');
  return esm;
}

const StrataLevel = levelClass(strata, (options) => !!options.worker);

module.exports = { StrataLevel, default: StrataLevel };
