// Types of strata-lsm/level for `import` (level.js): those of level.d.cts (level.js re-exports
// level.cjs's class).
import { StrataLevel } from './level.cjs';

export * from './level.cjs';
export default StrataLevel;
