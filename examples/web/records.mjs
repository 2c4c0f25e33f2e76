// examples/web/records.mjs -- the log lines the example writes: record(i) is deterministic, so the
// page and its test (tests/browser/example_web.test.mjs) agree on every key and value.
export const T0 = Date.UTC(2026, 10, 30, 0, 0, 0); // the first record's time (2026-11-30T00:00:00Z)
const LEVELS = ['INFO', 'INFO', 'INFO', 'INFO', 'DEBUG', 'DEBUG', 'WARN', 'ERROR'];
const SERVICES = ['api', 'auth', 'billing', 'search', 'worker', 'cdn', 'mailer'];
const WORDS = ['request', 'served', 'user', 'token', 'cache', 'miss', 'retry', 'timeout', 'queue', 'flushed',
  'compacted', 'session', 'invoice', 'index', 'shard', 'upstream', 'latency', 'ms', 'ok', 'rejected'];

function xorshift(seed) {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
}
// Record i: about 0.8 s apart, so 100,000 records span about 22 hours.
export function record(i) {
  const r = xorshift(0x9e3779b9 ^ Math.imul(i + 1, 0x85ebca6b));
  const t = T0 + i * 800 + (r() % 800);
  const words = Array.from({ length: 4 + (r() % 6) }, () => WORDS[r() % WORDS.length]).join(' ');
  const level = LEVELS[r() % LEVELS.length];
  return { key: `${new Date(t).toISOString()}#${String(i).padStart(7, '0')}`, value: `${level} ${SERVICES[r() % SERVICES.length]}: ${words} (${r() % 1000} ms)` };
}

