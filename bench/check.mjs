#!/usr/bin/env node
// bench/check.mjs -- the correctness fields of a db_bench run (never timings). Used by the driver,
// and by the test command's smoke step:  db_bench ... | node bench/check.mjs N
export const WORKLOADS = ['fillseq', 'fillbatch', 'fillrandom', 'readrandom', 'readmissing', 'seekrandom', 'readseq'];
const SEEKS = 100000;

// lines: the parsed JSON lines of one peer's run; returns a list of failures (empty = fine).
// `seeks`: the seekrandom count when a run used fewer than WORKLOAD.md's 100,000 (small tests);
// `workloads`: the phases the run had (--phases; default all).
export function checkLines(lines, n, { seeks = SEEKS, workloads = WORKLOADS } = {}) {
  const errs = [];
  const get = (w) => lines.find((l) => l.workload === w);
  const need = (w, cond, what) => { if (!cond) errs.push(`${lines[0]?.peer ?? '?'} ${w}: ${what}`); };
  const ld = get('_load');
  if (ld) need('_load', ld.exit_code === 0, `exit code ${ld.exit_code}`);
  for (const w of workloads) need(w, get(w), 'missing');
  const rr = get('readrandom'), rm = get('readmissing'), sk = get('seekrandom'), rs = get('readseq');
  if (rr) need('readrandom', rr.hit_rate === 1 && !rr.bad_values, `hit_rate ${rr.hit_rate}, bad values ${rr.bad_values}`);
  if (rm) need('readmissing', rm.found === 0, `found ${rm.found}`);
  if (sk) {
    need('seekrandom', !sk.misplaced, `${sk.misplaced} seeks did not land on their key`);
    // 10 entries per seek, fewer only for seeks within 10 keys of the end
    need('seekrandom', sk.entries > seeks * 9.9 && sk.entries <= seeks * 10, `entries ${sk.entries}`);
  }
  const mt = get('fillrandom-mt');
  if (mt) need('fillrandom-mt', mt.missing === 0, `${mt.missing} sampled puts did not read back`);
  if (rs) need('readseq', rs.entries === n && !rs.unordered, `entries ${rs.entries} of ${n}, unordered ${rs.unordered}`);
  return errs;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = Number(process.argv[2]);
  let input = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) input += chunk;
  const lines = input.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  const errs = checkLines(lines, n);
  for (const e of errs) console.log(`FAIL ${e}`);
  const sum = (w, f) => lines.find((l) => l.workload === w)?.[f];
  console.log(`${lines[0]?.peer ?? '?'}: hit_rate ${sum('readrandom', 'hit_rate')}, found ${sum('readmissing', 'found')}, ` +
    `seek entries ${sum('seekrandom', 'entries')}, readseq entries ${sum('readseq', 'entries')} of ${n}: ${errs.length ? 'FAILED' : 'ok'}`);
  process.exit(errs.length ? 1 : 0);
}
