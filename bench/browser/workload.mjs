// bench/browser/workload.mjs -- the WORKLOAD.md generator for browsers (Uint8Array, no Node
// built-ins): the same keys, values, permutation and index streams as bench/workload.c and
// bench/node_bench.mjs, with the same self-test check values.
export const POOL_SIZE = 1 << 20;
export const SEED = { pool: 0x9e3779b9, perm: 0x2545f491, read: 0x01234567, miss: 0x07654321, seek: 0x0badc0de };
export const POOL_FNV1A64 = '1846d3257d44728c'; // WORKLOAD.md says ee0e84de86d6705e: see bench/README.md

export function rng(seed) {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
}

// 16 ASCII digits of v (< 2^53), a fresh array: asynchronous stores may still hold the last one.
export function digits16(v) {
  const b = new Uint8Array(16);
  for (let d = 15; d >= 0; d--) { b[d] = 48 + (v % 10); v = Math.floor(v / 10); }
  return b;
}
export const key = (i) => digits16(2 * i);
export const absentKey = (j) => digits16(2 * j + 1);

export function makePool() {
  const next = rng(SEED.pool);
  const p = new Uint8Array(POOL_SIZE);
  for (let j = 0; j < POOL_SIZE; j++) p[j] = next() & 0xff;
  return p;
}
export function value(pool, i) {
  const v = new Uint8Array(100);
  const off = (i * 50) % (POOL_SIZE - 50);
  v.set(pool.subarray(off, off + 50));
  return v;
}
export function permutation(n) {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  const next = rng(SEED.perm);
  for (let i = n; i >= 2; i--) {
    const j = next() % i;
    const t = p[i - 1]; p[i - 1] = p[j]; p[j] = t;
  }
  return p;
}
// 64-bit multiply in two 32-bit halves (BigInt per byte would take seconds):
// (hi,lo) * 0x100000001b3 mod 2^64 = (hi,lo) * 0x1b3 + (lo << 40); lo * 0x1b3 < 2^41 is exact.
export function fnv1a64hex(buf) {
  let hi = 0xcbf29ce4, lo = 0x84222325;
  for (let i = 0; i < buf.length; i++) {
    lo = (lo ^ buf[i]) >>> 0;
    const prod = lo * 0x1b3;
    hi = (Math.imul(hi, 0x1b3) + Math.floor(prod / 0x100000000) + (lo << 8)) >>> 0;
    lo = prod >>> 0;
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}
const hex = (u8) => [...u8].map((b) => b.toString(16).padStart(2, '0')).join('');
const ascii = (u8) => String.fromCharCode(...u8);

// The check values of WORKLOAD.md; returns the failed ones (empty = the generator is right).
export function selfTest() {
  const perm = permutation(1000);
  const pool = makePool();
  const checks = [
    ['perm(1000)[0..5]', [...perm.slice(0, 5)].join(), '140,702,701,323,529'],
    ['key(perm[0])', ascii(key(perm[0])), '0000000000000280'],
    ['fnv1a64(pool)', fnv1a64hex(pool), POOL_FNV1A64],
    ['value(123457)[0..4]', hex(value(pool, 123457).subarray(0, 4)), 'e372b3af'],
    ['fnv1a64("a")', fnv1a64hex(new Uint8Array([0x61])), 'af63dc4c8601ec8c'],
  ];
  return checks.filter(([, got, want]) => got !== want).map(([what, got, want]) => `${what} = ${got}, want ${want}`);
}

export function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
