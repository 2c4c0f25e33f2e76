import { open } from '../../bindings/js/src/index_browser.js';
export async function go(n) {
  const t0 = Date.now();
  for (let i = 0; i < n; i++) {
    const db = await Promise.race([open(`m${i}`, { backend: 'memory' }), new Promise((r, j) => setTimeout(() => j(new Error(`open ${i} hung`)), 5000))]);
    await db.put('a', 'b');
    await db.close();
  }
  return Date.now() - t0;
}
