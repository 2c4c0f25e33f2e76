// Imports a bare specifier as seen from this folder, so bench/node_bench.mjs finds the peers that
// bench/run.mjs installed into bench/node_peers/node_modules (not the repository's node_modules).
export const load = (spec) => import(spec);
