import { StrataLevel } from '../../bindings/js/src/level_browser.js';
export async function go() {
  const log = [];
  const db = new StrataLevel('rx', { backend: 'memory', wasmUrl: '/bindings/js/dist/st/strata.wasm' });
  await db.open(); log.push('open');
  await db.batch([{ type: 'put', key: '"a"', value: 'a' }, { type: 'put', key: '"b"', value: 'b' }]); log.push('batch');
  await db.close(); log.push('closed ' + db.status);
  const t0 = Date.now(); const p = db.open(); log.push('opening ' + db.status);
  await Promise.race([db.clear({ gte: '"b"', keyEncoding: 'utf8' }), new Promise((r) => setTimeout(r, 3000))]); log.push('cleared ' + (Date.now() - t0));
  await Promise.race([p, new Promise((r) => setTimeout(r, 3000))]); log.push('opened ' + db.status + (Date.now() - t0));
  log.push(JSON.stringify(await Promise.race([db.keys().all(), new Promise((r) => setTimeout(() => r('HUNG'), 3000))])));
  return log;
}
