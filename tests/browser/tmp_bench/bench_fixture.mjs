import * as strata from '../../../bindings/js/src/index_browser.js';
export async function puts({ backend, n, name }) {
  const db = await strata.open(name, { backend });
  const v = 'x'.repeat(100);
  for (let i = 0; i < 2000; i++) await db.put(`w${i}`, v);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await db.put(`k${String(i).padStart(8, '0')}`, v);
  const ms = performance.now() - t0;
  const st = await db.stats();
  await db.close();
  await strata.deleteDatabase(name);
  return { putsPerSec: Math.round(n / ms * 1000), build: db.build, flushes: st.flushes, compactions: st.compactions };
}
