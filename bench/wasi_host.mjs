#!/usr/bin/env node
// Runs a WASI module through scripts/wasi-run.mjs and, at exit, prints one JSON line with the
// host's peak RSS: inside WASI there is no /proc, and the module's memory lives in this process.
//   node bench/wasi_host.mjs PEER REP N -- [wasi-run.mjs arguments...]
const [peer, rep, n, sep, ...rest] = process.argv.slice(2);
if (sep !== '--') {
  console.error('usage: wasi_host.mjs PEER REP N -- [wasi-run.mjs arguments...]');
  process.exit(2);
}
process.on('exit', (code) => {
  const line = {
    peer, rep: Number(rep), n: Number(n), workload: '_host', ops: 0, secs: process.uptime(), ops_per_s: null,
    peak_rss_kb: process.resourceUsage().maxRSS, exit_code: code,
  };
  process.stdout.write(JSON.stringify(line) + '\n');
});
// wasi-run.mjs reads process.argv.slice(2)
process.argv = [process.argv[0], new URL('../scripts/wasi-run.mjs', import.meta.url).pathname, ...rest];
await import('../scripts/wasi-run.mjs');
