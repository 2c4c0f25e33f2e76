// strata-lsm/level: Strata as an abstract-level database (the `level` ecosystem's interface).
// `abstract-level` is an optional peer dependency: install it to use this entry.
//
//   import { StrataLevel } from 'strata-lsm/level';
//   const db = new StrataLevel('./data', { valueEncoding: 'json' });
//   await db.put('k', { a: 1 });
//
// The class is level_core.js's over the Node entry's open(); browsers get level_browser.js.
import { open } from './index.js';
import { levelClass } from './level_core.js';

export const StrataLevel = levelClass(open);
export default StrataLevel;
