// scripts/profile_browser_host.mjs -- times the storage host's calls under the browser bench's
// fillrandom in a dedicated worker of headless Chromium (bench/browser/host_profile.mjs), to see
// what an awaited in-worker put spends in the host. Usage:
//   node scripts/profile_browser_host.mjs [--n 100000] [--backend opfs|idb|both] [--untimed]
// Needs bindings/js/dist/st (scripts/build.sh wasm). Prints one JSON object per run.
import { session } from '../tests/browser/harness.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : process.argv[i + 1];
};
const n = Number(arg('n', 100000));
const which = arg('backend', 'both');
const timed = !process.argv.includes('--untimed');
const s = await session();
try {
  const page = await s.page();
  const w = await s.worker(page);
  for (const backend of which === 'both' ? ['opfs', 'idb'] : [which]) {
    const r = await w.run('bench/browser/host_profile.mjs', 'fillrandom', backend, n, { timed });
    console.log(JSON.stringify(r));
  }
} finally {
  await s.close();
}
