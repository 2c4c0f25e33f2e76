// bench/browser/main.mjs -- `npm run bench -- --browser`: builds the single-threaded engine module,
// runs every browser peer once in Chromium (bench/browser/run.mjs), checks the correctness fields,
// prints the table with each strata-lsm variant's ratio to the best other peer per workload, and
// writes bench/results/browser-<stamp>.{json,jsonl,svg} (plus browser-latest.*) next to the
// native and Node results.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fmtOps, renderSvg } from '../chart.mjs';
import { WORKLOADS, checkLines } from '../check.mjs';
import { runBrowserBench, strataBuilt } from './run.mjs';

const isStrata = (p) => p.startsWith('strata-lsm');

export function browserTable(summary) {
  const { peers, median: med, extra } = summary;
  const others = peers.filter((p) => !isStrata(p));
  const mine = peers.filter(isStrata);
  const pad = (s, w) => String(s).padStart(w);
  const cols = peers.map((p) => Math.max(p.length, 8));
  let out = pad('workload', 12) + peers.map((p, i) => pad(p, cols[i] + 2)).join('') + '   best peer\n';
  for (const w of WORKLOADS) {
    out += pad(w, 12) + peers.map((p, i) => pad(fmtOps(med[w][p]), cols[i] + 2)).join('');
    const best = others.filter((p) => med[w][p] != null).sort((a, b) => med[w][b] - med[w][a])[0];
    out += `   ${best ?? '–'}\n`;
  }
  out += pad('settle s', 12) + peers.map((p, i) => pad(extra[p].settle_secs == null ? '–' : extra[p].settle_secs.toFixed(2), cols[i] + 2)).join('') + '\n';
  out += pad('usage MiB', 12) + peers.map((p, i) => pad(Number.isFinite(extra[p].disk_mib) ? extra[p].disk_mib.toFixed(1) : '–', cols[i] + 2)).join('') + '\n';
  if (mine.length && others.length) {
    out += `\nstrata-lsm / best other peer (${others.join(', ')}), per workload:\n`;
    const rc = mine.map((p) => Math.max(p.length - 'strata-lsm-'.length, 6));
    out += pad('workload', 12) + mine.map((p, i) => pad(p.slice('strata-lsm-'.length) || p, rc[i] + 2)).join('') + '\n';
    for (const w of WORKLOADS) {
      const best = Math.max(0, ...others.map((p) => med[w][p] ?? 0));
      out += pad(w, 12) + mine.map((p, i) => pad(med[w][p] != null && best ? `${(med[w][p] / best).toFixed(2)}x` : '–', rc[i] + 2)).join('') + '\n';
    }
  }
  return out;
}

export async function browserMain(args, { sh, summarize, ROOT }) {
  const n = args.nGiven ?? 100000;
  if (args.build) {
    sh('bash', ['scripts/setup.sh']); // Debian's chromium, emsdk, npm ci (the peers are devDependencies)
    sh('bash', ['scripts/build.sh', 'wasm'], { TARGETS: 'strata_js' });
  }
  if (!strataBuilt()) console.error('   bindings/js/dist/st is missing: the strata-lsm peers will fail (run without --no-build)');
  const resultsDir = path.join(ROOT, 'bench/results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const jsonl = path.join(resultsDir, `browser-${stamp}.jsonl`);
  const errors = [];
  const skipped = {};
  const t0 = Date.now();
  console.log(`== browser bench: N=${n}, 1 run, headless Chromium, one page and one worker`);
  console.log(`   machine: ${os.cpus().length} cores (${os.cpus()[0]?.model}), load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const r = await runBrowserBench({
    n, peers: args.peers,
    onPeer: (p, lines) => {
      fs.appendFileSync(jsonl, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
      const err = lines.find((l) => l.workload === '_error');
      const ld = lines.at(-1);
      if (err) {
        skipped[p] = err.error;
        console.log(`-- ${p}: not run: ${err.error}`);
        return;
      }
      const errs = checkLines(lines, n);
      errors.push(...errs);
      console.log(`-- ${p}: ${ld.wall_secs.toFixed(1)} s${errs.length ? '  CHECK FAILED: ' + errs.join('; ') : ''}`);
    },
  });
  const ran = r.peers.map((p) => p.name).filter((p) => !skipped[p]);
  const summary = summarize(r.lines.filter((l) => ran.includes(l.peer)), ran);
  const result = {
    stamp, n, reps: 1, browser: r.browser,
    machine: { cores: os.cpus().length, model: os.cpus()[0]?.model, total_mem: os.totalmem(), node: process.version },
    wall_secs: (Date.now() - t0) / 1000, errors, skipped, summary, lines: r.lines,
  };
  for (const name of [`browser-${stamp}`, 'browser-latest']) {
    fs.writeFileSync(path.join(resultsDir, `${name}.json`), JSON.stringify(result, null, 1) + '\n');
    fs.writeFileSync(path.join(resultsDir, `${name}.svg`), renderSvg(summary, `strata-lsm in Chromium, N=${n}, 1 run, ops/s (bars relative to the fastest peer)`));
  }
  console.log(`\nops/s, one run in ${r.browser}`);
  console.log(browserTable(summary));
  for (const p of ran) console.log(`  ${p}: ${summary.extra[p].describe ?? ''}`);
  for (const [p, e] of Object.entries(skipped)) console.log(`  ${p}: not run (${e})`);
  console.log(`\nresults: bench/results/browser-${stamp}.{json,jsonl,svg} (and browser-latest.*); ${(result.wall_secs / 60).toFixed(1)} min`);
  if (errors.length) {
    console.log(`checks: ${errors.length} failed`);
    return 1;
  }
  console.log('checks: all passed');
  return 0;
}
