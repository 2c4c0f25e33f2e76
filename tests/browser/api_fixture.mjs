// The API cases (api_cases.mjs) over the package's browser entry, imported by relative path.
import * as strata from '../../bindings/js/src/index_browser.js';
import { apiCases } from './api_cases.mjs';

export function run(args) {
  return apiCases(strata, args);
}

// Which build and backend an open picks here: { backend, build, isolated }.
export async function picks(options) {
  const db = await strata.open(`picks-${Date.now()}`, options);
  try {
    return { backend: db.backend, build: db.build, isolated: globalThis.crossOriginIsolated === true };
  } finally {
    await db.close();
  }
}
