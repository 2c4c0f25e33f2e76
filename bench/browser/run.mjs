// bench/browser/run.mjs -- runs bench/browser/bench.mjs in headless Chromium: one page (served by
// the test harness, tests/browser/harness.mjs, on 127.0.0.1, not cross-origin isolated) and one
// dedicated worker started by it; page peers run in the page, worker peers in the worker, one
// after the other. Used by `npm run bench -- --browser` (bench/run.mjs) and by
// tests/browser/bench_browser.test.mjs (small N, correctness only).
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { root, session } from '../../tests/browser/harness.mjs';

const MODULE = 'bench/browser/bench.mjs';
export const BROWSER_BUNDLE_DIR = path.join(root, 'build/browser-bench');

// browser-level is CommonJS with dependencies: bundle it once as an ES module the page imports.
export async function bundlePeers() {
  const out = path.join(BROWSER_BUNDLE_DIR, 'browser-level.js');
  fs.mkdirSync(BROWSER_BUNDLE_DIR, { recursive: true });
  await build({
    stdin: { contents: "export { BrowserLevel } from 'browser-level';", resolveDir: root, loader: 'js' },
    bundle: true, format: 'esm', platform: 'browser', outfile: out, logLevel: 'error',
    define: { global: 'globalThis' },
  });
  return out;
}

// Which engine builds exist: strata-lsm's peers need bindings/js/dist/st.
export function strataBuilt() {
  return fs.existsSync(path.join(root, 'bindings/js/dist/st/strata.wasm'));
}

// Runs the peers (all by default) and returns every JSON line; onPeer(name, lines) after each.
export async function runBrowserBench({ n = 100000, misses = 100000, seeks = 100000, peers = null, onPeer = () => {}, t } = {}) {
  await bundlePeers();
  const s = await session(t);
  try {
    const page = await s.page();
    const worker = await s.worker(page);
    const list = await s.run(page, MODULE, 'peers');
    const selected = list.filter((p) => !peers || peers.includes(p.name));
    const all = [];
    const tag = `r${Date.now().toString(36)}`;
    for (const p of selected) {
      const t0 = Date.now();
      const lines = p.where === 'page'
        ? await s.run(page, MODULE, 'runPeer', p.name, { n, misses, seeks, tag })
        : await worker.run(MODULE, 'runPeer', p.name, { n, misses, seeks, tag });
      lines.push({ peer: p.name, rep: 0, n, workload: '_load', ops: 0, secs: (Date.now() - t0) / 1000, ops_per_s: null,
        wall_secs: (Date.now() - t0) / 1000, exit_code: lines.some((l) => l.workload === '_error') ? 1 : 0 });
      all.push(...lines);
      onPeer(p.name, lines);
    }
    return { lines: all, peers: selected, browser: await page.evaluate(() => navigator.userAgent) };
  } finally {
    await s.close();
  }
}
