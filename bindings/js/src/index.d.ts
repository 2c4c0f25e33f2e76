// Type declarations of strata-lsm for `import` (index.js): the declarations of index.d.cts (the
// CommonJS entry's), plus the default export only the ES module has.
import { open, repairDatabase, importDatabase, StrataError } from './index.cjs';

export * from './index.cjs';

declare const _default: {
  open: typeof open; repairDatabase: typeof repairDatabase; importDatabase: typeof importDatabase; StrataError: typeof StrataError;
};
export default _default;
