// open() options: checked here, before the database's wasm module is loaded, against the
// engine's own ranges: every bound and default comes from include/strata_limits.h as built for
// wasm32, read from the engine (engineConstants(), strata_js_constant), so there is no copy of
// them here. Every refusal is a StrataError with code STRATA_INVALID_ARGUMENT naming the option
// and its range. The engine checks again at open.
import { engineConstants } from './engine.js';
import { invalid } from './native.js';

const U32_MAX = 2 ** 32 - 1;

// [min, max] of each numeric option from the engine's constants `c`; `above` marks an exclusive
// minimum. The bounds that are not in strata_limits.h are those of the C argument types.
export function optionLimits(c) {
  return Object.freeze({
    memtableSize: { min: c.MEMTABLE_SIZE_MIN, max: c.MEMTABLE_SIZE_MAX, int: true },
    blockCacheSize: { min: 0, max: c.BLOCK_CACHE_SIZE_MAX, int: true },
    bloomBitsPerKey: { min: 0, max: c.BLOOM_BITS_MAX },                   // 0 = no filter
    level0Trigger: { min: 1, max: U32_MAX, int: true },
    levelRatio: { min: 1, above: true, max: c.LEVEL_RATIO_MAX },
    runTrigger: { min: 1, max: U32_MAX, int: true },
    sizeRatio: { min: 0, max: c.SIZE_RATIO_MAX },
    maxSpaceAmplificationPercent: { min: 1, max: U32_MAX, int: true },
    limitBytes: { min: 0, max: Number.MAX_SAFE_INTEGER, int: true },
    ttlMs: { min: 0, max: Number.MAX_SAFE_INTEGER, int: true },
    tableTargetSize: { min: c.TABLE_TARGET_SIZE_MIN, max: c.TABLE_TARGET_SIZE_MAX, int: true },
    slowdown: { min: 1, max: U32_MAX, int: true },
    stop: { min: 1, max: U32_MAX, int: true },
  });
}

// The option limits, once the engine's constants are read (cached per process).
export async function loadOptionLimits() {
  return optionLimits(await engineConstants());
}

function show(v) {
  return typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' && v !== null ? 'an object' : String(v);
}

// The value of a numeric option (undefined stays undefined), or a refusal naming it.
function number(limits, obj, name, label = name) {
  const v = obj[name];
  if (v === undefined) return undefined;
  const { min, max, above = false, int = false } = limits[name];
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
function compactionParams(c, k0) {
  const limits = k0.limits;
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
  const k = (name) => number(limits, c, name, `compaction.${name}`) ?? -1;
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
    p[5] = number(limits, stall, 'slowdown', 'compaction.level0Stall.slowdown') ?? -1;
    p[6] = number(limits, stall, 'stop', 'compaction.level0Stall.stop') ?? -1;
  }
  // the rules between options, with the engine's defaults for what was left out
  const slowdown = p[5] > 0 ? p[5] : k0.constants.DEFAULT_LEVEL0_SLOWDOWN;
  const stop = p[6] > 0 ? p[6] : k0.constants.DEFAULT_LEVEL0_STOP;
  if (stop < slowdown) throw invalid(`compaction.level0Stall.stop (${stop}) must be >= slowdown (${slowdown})`);
  const trigger = c.strategy !== 'fifo' && p[1] > 0 ? p[1] : k0.constants.DEFAULT_LEVEL0_TRIGGER;
  if (c.strategy !== 'fifo' && trigger > slowdown) {
    const name = c.strategy === 'tiered' ? 'runTrigger' : 'level0Trigger';
    throw invalid(`compaction.${name} (${trigger}) must be <= compaction.level0Stall.slowdown (${slowdown}): writers would stop before compaction starts`);
  }
  return p;
}

// Checks every option open() knows (others are left alone: the abstract-level adapter passes
// its own through) and returns the numbers strata_js_open takes. `constants`: the engine's
// (engineConstants()).
export function checkOpenOptions(options, constants) {
  const k0 = { constants, limits: optionLimits(constants) };
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
    memtableSize: number(k0.limits, options, 'memtableSize') ?? -1,
    blockCacheSize: number(k0.limits, options, 'blockCacheSize') ?? -1,
    bloomBitsPerKey: number(k0.limits, options, 'bloomBitsPerKey') ?? -1,
    compaction: compactionParams(options.compaction, k0),
  };
}
