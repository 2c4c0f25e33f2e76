// strata-lsm/level for `import`: the class of level.cjs (one implementation for both entries,
// so `instanceof` holds whichever loaded it).
import level from './level.cjs';

export const { StrataLevel } = level;
export default StrataLevel;
