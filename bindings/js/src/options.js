// open() options: checked here, before any wasm is touched, against the engine's own ranges
// (include/strata.h as built for wasm32; strata_js_option_limits() reports the C side, and
// tests/js/options.test.mjs checks that the two agree). Every refusal is a StrataError with code
// STRATA_INVALID_ARGUMENT naming the option and its range. The engine checks again at open.
import { invalid } from './native.js';

const U32_MAX = 2 ** 32 - 1;

// [min, max] of each numeric option; `above` marks an exclusive minimum.
export const LIMITS = Object.freeze({
  memtableSize: { min: 4096, max: 2 ** 30, int: true },           // STRATA_MEMTABLE_SIZE_MIN/MAX (32-bit)
  blockCacheSize: { min: 0, max: U32_MAX, int: true },            // STRATA_BLOCK_CACHE_SIZE_MAX = SIZE_MAX
  bloomBitsPerKey: { min: 0, max: 100 },                          // STRATA_BLOOM_BITS_MAX; 0 = no filter
  level0Trigger: { min: 1, max: U32_MAX, int: true },
  levelRatio: { min: 1, above: true, max: 1000 },                 // STRATA_LEVEL_RATIO_MAX
  runTrigger: { min: 1, max: U32_MAX, int: true },
  sizeRatio: { min: 0, max: 1000 },                               // STRATA_SIZE_RATIO_MAX
  maxSpaceAmplificationPercent: { min: 1, max: U32_MAX, int: true },
  limitBytes: { min: 0, max: Number.MAX_SAFE_INTEGER, int: true },
  ttlMs: { min: 0, max: Number.MAX_SAFE_INTEGER, int: true },
  tableTargetSize: { min: 1024, max: 2 ** 40, int: true },        // STRATA_TABLE_TARGET_SIZE_MIN/MAX
  slowdown: { min: 1, max: U32_MAX, int: true },
  stop: { min: 1, max: U32_MAX, int: true },
});

// The engine's defaults that the rules between options need.
const DEFAULT_TRIGGER = 4;
const DEFAULT_SLOWDOWN = 20;
const DEFAULT_STOP = 30;

// The C side's limits, in strata_js_option_limits() order, for the agreement test.
export function engineLimits(native) {
  const m = native.m;
  const p = native.alloc(11 * 8);
  try {
    m._strata_js_option_limits(p);
    const d = Array.from(m.HEAPF64.subarray(p >>> 3, (p >>> 3) + 11));
    return {
      memtableSize: [d[0], d[1]], blockCacheSize: [0, d[2]], blockSize: [d[3], d[4]], bloomBitsPerKey: [0, d[5]],
      maxSealedMemtables: [0, d[6]], levelRatio: [1, d[7]], sizeRatio: [0, d[8]], tableTargetSize: [d[9], d[10]],
    };
  } finally {
    m._free(p);
  }
}

function show(v) {
  return typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' && v !== null ? 'an object' : String(v);
}

// The value of a numeric option (undefined stays undefined), or a refusal naming it.
function number(obj, name, label = name) {
  const v = obj[name];
  if (v === undefined) return undefined;
  const { min, max, above = false, int = false } = LIMITS[name];
  const ok = typeof v === 'number' && Number.isFinite(v) && (above ? v > min : v >= min) && v <= max &&
    (!int || Number.isInteger(v));
  if (!ok) {
    const range = above ? `(${min}, ${max}]` : `${min}..${max}`;
    throw invalid(`${label} must be ${int ? 'an integer' : 'a number'} in ${range}, not ${show(v)}`);
  }
  return v;
}

function flag(obj, name) {
  const v = obj[name];
  if (v !== undefined && typeof v !== 'boolean') throw invalid(`${name} must be true or false, not ${show(v)}`);
  return v;
}

const COMPACTION_KNOBS = {
  leveled: ['level0Trigger', 'levelRatio'],
  tiered: ['runTrigger', 'sizeRatio', 'maxSpaceAmplificationPercent'],
  fifo: ['limitBytes', 'ttlMs'],
};
const COMMON_KNOBS = ['strategy', 'tableTargetSize', 'level0Stall'];

// { strategy, ...knobs } -> the 8 doubles strata_js_open takes (bindings/js/c/strata_js.c);
// -1 = the engine's default.
function compactionParams(c) {
  if (c === undefined) return null;
  if (c === null || typeof c !== 'object' || Array.isArray(c)) throw invalid('compaction must be an object like { strategy: \'leveled\' }');
  if (!Object.hasOwn(COMPACTION_KNOBS, c.strategy)) {
    throw invalid(`compaction.strategy must be 'leveled', 'tiered' or 'fifo', not ${JSON.stringify(c.strategy)}`);
  }
  const knobs = COMPACTION_KNOBS[c.strategy];
  for (const name of Object.keys(c)) {
    if (c[name] !== undefined && !COMMON_KNOBS.includes(name) && !knobs.includes(name)) {
      throw invalid(`compaction.${name} is not an option of the ${c.strategy} strategy (it takes ${[...knobs, 'tableTargetSize', 'level0Stall'].join(', ')})`);
    }
  }
  const k = (name) => number(c, name, `compaction.${name}`) ?? -1;
  const p = [0, -1, -1, -1, -1, -1, -1, -1];
  if (c.strategy === 'leveled') {
    p[0] = 1;
    p[1] = k('level0Trigger');
    p[2] = k('levelRatio');
  } else if (c.strategy === 'tiered') {
    p[0] = 2;
    p[1] = k('runTrigger');
    p[2] = k('sizeRatio');
    p[3] = k('maxSpaceAmplificationPercent');
  } else {
    p[0] = 3;
    p[1] = k('limitBytes');
    p[2] = k('ttlMs');
  }
  p[4] = k('tableTargetSize');
  const stall = c.level0Stall;
  if (stall !== undefined) {
    if (stall === null || typeof stall !== 'object' || Array.isArray(stall)) throw invalid('compaction.level0Stall must be an object { slowdown, stop }');
    for (const name of Object.keys(stall)) {
      if (name !== 'slowdown' && name !== 'stop') throw invalid(`compaction.level0Stall.${name} is not an option (it takes slowdown, stop)`);
    }
    p[5] = number(stall, 'slowdown', 'compaction.level0Stall.slowdown') ?? -1;
    p[6] = number(stall, 'stop', 'compaction.level0Stall.stop') ?? -1;
  }
  // the rules between options, with the engine's defaults for what was left out
  const slowdown = p[5] > 0 ? p[5] : DEFAULT_SLOWDOWN;
  const stop = p[6] > 0 ? p[6] : DEFAULT_STOP;
  if (stop < slowdown) throw invalid(`compaction.level0Stall.stop (${stop}) must be >= slowdown (${slowdown})`);
  const trigger = c.strategy !== 'fifo' && p[1] > 0 ? p[1] : DEFAULT_TRIGGER;
  if (c.strategy !== 'fifo' && trigger > slowdown) {
    const name = c.strategy === 'tiered' ? 'runTrigger' : 'level0Trigger';
    throw invalid(`compaction.${name} (${trigger}) must be <= compaction.level0Stall.slowdown (${slowdown}): writers would stop before compaction starts`);
  }
  return p;
}

// Checks every option open() knows (others are left alone: the abstract-level adapter passes
// its own through) and returns the numbers strata_js_open takes.
export function checkOpenOptions(options) {
  if (options === null || typeof options !== 'object') throw invalid('options must be an object');
  if (options.backend !== undefined && options.backend !== 'memory' && options.backend !== 'fs') {
    throw invalid(`backend must be 'fs' or 'memory', not ${JSON.stringify(options.backend)}`);
  }
  const compression = options.compression === undefined ? -1
    : options.compression === 'lz4' ? 1 : options.compression === 'none' ? 0 : null;
  if (compression === null) throw invalid(`compression must be 'lz4' or 'none', not ${JSON.stringify(options.compression)}`);
  for (const name of ['createIfMissing', 'errorIfExists', 'sync', 'threads', 'worker']) flag(options, name);
  return {
    compression,
    memtableSize: number(options, 'memtableSize') ?? -1,
    blockCacheSize: number(options, 'blockCacheSize') ?? -1,
    bloomBitsPerKey: number(options, 'bloomBitsPerKey') ?? -1,
    compaction: compactionParams(options.compaction),
  };
}
