// open() options: checked here, before the database's wasm module is loaded, against the
// engine's own ranges: every bound and default comes from include/strata_limits.h as built for
// wasm32, read from the engine's limits descriptor (strata_js_describe; engine.js's
// engineConstants() reads it once per process and build; the entry passes it in), so there is
// no copy of them here.
// Every refusal is a StrataError with code STRATA_INVALID_ARGUMENT naming the option and its
// range. The engine checks again at open. No Node built-ins.
import { StrataError, invalid } from './errors.js';

const U32_MAX = 2 ** 32 - 1;

// [min, max] of each numeric option from the engine's constants `c` (the limits descriptor, by
// name); `above` marks an exclusive minimum. The bounds that are not in strata_limits.h are those
// of the C argument types.
export function optionLimits(c) {
  return Object.freeze({
    memtableSize: { min: c.MEMTABLE_SIZE_MIN, max: c.MEMTABLE_SIZE_MAX, int: true },
    blockCacheSize: { min: 0, max: c.BLOCK_CACHE_SIZE_MAX, int: true },
    bloomBitsPerKey: { min: 0, max: c.BLOOM_BITS_MAX },                   // 0 = no filter
    maxSealedMemtables: { min: 0, max: c.MAX_SEALED_MEMTABLES_MAX, int: true },
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
    threshold: { min: c.KV_THRESHOLD_MIN, max: c.KV_THRESHOLD_MAX, int: true },
    fileTargetSize: { min: c.BLOB_FILE_TARGET_SIZE_MIN, max: c.BLOB_FILE_TARGET_SIZE_MAX, int: true },
    stalenessThreshold: { min: 0, above: true, max: 1 },
    ageCutoff: { min: 0, above: true, max: 1 },
  });
}

// The C side's limits as pairs (the limits descriptor of a loaded module, by name).
export function engineLimits(native) {
  const d = native.limits;
  return {
    memtableSize: [d.MEMTABLE_SIZE_MIN, d.MEMTABLE_SIZE_MAX], blockCacheSize: [0, d.BLOCK_CACHE_SIZE_MAX],
    blockSize: [d.BLOCK_SIZE_MIN, d.BLOCK_SIZE_MAX], bloomBitsPerKey: [0, d.BLOOM_BITS_MAX],
    maxSealedMemtables: [0, d.MAX_SEALED_MEMTABLES_MAX], levelRatio: [1, d.LEVEL_RATIO_MAX], sizeRatio: [0, d.SIZE_RATIO_MAX],
    tableTargetSize: [d.TABLE_TARGET_SIZE_MIN, d.TABLE_TARGET_SIZE_MAX], keyMax: d.KEY_MAX,
  };
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

// JS option names -> the fields of strata_js_compaction (bindings/js/c/strata_js.h), which
// codecs.js writes by the offsets the module describes; unset fields are the engine's default.
const FIELDS = {
  level0Trigger: 'level0_trigger', levelRatio: 'level_ratio', runTrigger: 'run_trigger', sizeRatio: 'size_ratio',
  maxSpaceAmplificationPercent: 'max_space_amplification_percent', limitBytes: 'limit_bytes', ttlMs: 'ttl_ms',
  tableTargetSize: 'table_target_size',
};

// { strategy, ...knobs } -> { strategy, <c field>: number } (codecs.writeCompaction). `k0`: the
// engine's constants and the option limits built from them.
function compactionParams(c, k0) {
  const { limits } = k0;
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
  const p = { strategy: c.strategy };
  for (const name of [...knobs, 'tableTargetSize']) {
    const v = number(limits, c, name, `compaction.${name}`);
    if (v !== undefined) p[FIELDS[name]] = v;
  }
  const stall = c.level0Stall;
  if (stall !== undefined) {
    if (stall === null || typeof stall !== 'object' || Array.isArray(stall)) throw invalid('compaction.level0Stall must be an object { slowdown, stop }');
    for (const name of Object.keys(stall)) {
      if (name !== 'slowdown' && name !== 'stop') throw invalid(`compaction.level0Stall.${name} is not an option (it takes slowdown, stop)`);
    }
    const slowdown = number(limits, stall, 'slowdown', 'compaction.level0Stall.slowdown');
    const stop = number(limits, stall, 'stop', 'compaction.level0Stall.stop');
    if (slowdown !== undefined) p.level0_slowdown = slowdown;
    if (stop !== undefined) p.level0_stop = stop;
  }
  // the rules between options, with the engine's defaults for what was left out
  const slowdown = p.level0_slowdown > 0 ? p.level0_slowdown : k0.constants.DEFAULT_LEVEL0_SLOWDOWN;
  const stop = p.level0_stop > 0 ? p.level0_stop : k0.constants.DEFAULT_LEVEL0_STOP;
  if (stop < slowdown) throw invalid(`compaction.level0Stall.stop (${stop}) must be >= slowdown (${slowdown})`);
  const given = c.strategy === 'tiered' ? p.run_trigger : p.level0_trigger;
  const trigger = c.strategy !== 'fifo' && given > 0 ? given : k0.constants.DEFAULT_LEVEL0_TRIGGER;
  if (c.strategy !== 'fifo' && trigger > slowdown) {
    const name = c.strategy === 'tiered' ? 'runTrigger' : 'level0Trigger';
    throw invalid(`compaction.${name} (${trigger}) must be <= compaction.level0Stall.slowdown (${slowdown}): writers would stop before compaction starts`);
  }
  return p;
}

// kvSeparation: { threshold, fileTargetSize, compression, stalenessThreshold, ageCutoff } (each
// optional: the engine's defaults, lsm-tree's) or true (all defaults) -> the kv_* fields of
// strata_js_compaction; undefined or false: off.
const KV_KNOBS = ['threshold', 'fileTargetSize', 'compression', 'stalenessThreshold', 'ageCutoff'];
function kvParams(kv, k0) {
  if (kv === undefined || kv === false) return null;
  if (kv === true) kv = {};
  if (kv === null || typeof kv !== 'object' || Array.isArray(kv)) {
    throw invalid('kvSeparation must be true or an object like { threshold: 1024 }');
  }
  for (const name of Object.keys(kv)) {
    if (!KV_KNOBS.includes(name)) throw invalid(`kvSeparation.${name} is not an option (it takes ${KV_KNOBS.join(', ')})`);
  }
  const p = { kv_threshold: number(k0.limits, kv, 'threshold', 'kvSeparation.threshold') ?? k0.constants.DEFAULT_KV_THRESHOLD };
  const size = number(k0.limits, kv, 'fileTargetSize', 'kvSeparation.fileTargetSize');
  if (size !== undefined) p.kv_file_target_size = size;
  if (kv.compression !== undefined) {
    if (kv.compression !== 'lz4' && kv.compression !== 'none') {
      throw invalid(`kvSeparation.compression must be 'lz4' or 'none', not ${show(kv.compression)}`);
    }
    p.kv_compression = kv.compression === 'lz4' ? 1 : 0;
  }
  const stale = number(k0.limits, kv, 'stalenessThreshold', 'kvSeparation.stalenessThreshold');
  if (stale !== undefined) p.kv_staleness_threshold = stale;
  const age = number(k0.limits, kv, 'ageCutoff', 'kvSeparation.ageCutoff');
  if (age !== undefined) p.kv_age_cutoff = age;
  return p;
}

// Checks every option open() knows (others are left alone: the abstract-level adapter passes
// its own through) and returns the numbers strata_js_open takes. `constants`: the engine's
// limits descriptor by name (engineConstants(), or a loaded Native's limits). `backends`: the
// storage backends of the runtime (Node's; the browser entry passes BROWSER_BACKENDS).
export const NODE_BACKENDS = Object.freeze(['fs', 'memory']);
export const BROWSER_BACKENDS = Object.freeze(['auto', 'opfs', 'idb', 'memory']);

function quoted(list) {
  return list.map((b) => `'${b}'`).join(', ').replace(/, ([^,]*)$/, ' or $1');
}

export function checkOpenOptions(options, constants, backends = NODE_BACKENDS) {
  const k0 = { constants, limits: optionLimits(constants) };
  if (options === null || typeof options !== 'object') throw invalid('options must be an object');
  if (options.backend !== undefined && !backends.includes(options.backend)) {
    throw invalid(`backend must be ${quoted(backends)}, not ${JSON.stringify(options.backend)}`);
  }
  const compression = options.compression === undefined ? -1
    : options.compression === 'lz4' ? 1 : options.compression === 'none' ? 0 : null;
  if (compression === null) throw invalid(`compression must be 'lz4' or 'none', not ${JSON.stringify(options.compression)}`);
  for (const name of ['createIfMissing', 'errorIfExists', 'sync', 'cacheWrittenBlocks', 'threads', 'worker']) flag(options, name);
  const compactionFilter = options.compactionFilter;
  if (compactionFilter !== undefined && typeof compactionFilter !== 'function') {
    throw invalid(`compactionFilter must be a function (key, value) => undefined | 'keep' | 'remove' | { replace }, not ${show(compactionFilter)}`);
  }
  // a function cannot be sent to another thread: the worker would have to call back across
  // threads for every entry it compacts, while the calling thread may be busy or waiting
  if (compactionFilter && options.worker) {
    throw new StrataError('STRATA_NOT_SUPPORTED', 'compactionFilter cannot be used with worker: true (a function cannot cross to the database worker); use an in-thread database, or threads: true, where the filter runs on the calling thread');
  }
  return {
    compactionFilter,
    compression,
    memtableSize: number(k0.limits, options, 'memtableSize') ?? -1,
    blockCacheSize: number(k0.limits, options, 'blockCacheSize') ?? -1,
    bloomBitsPerKey: number(k0.limits, options, 'bloomBitsPerKey') ?? -1,
    maxSealedMemtables: number(k0.limits, options, 'maxSealedMemtables') ?? -1,
    compaction: withKv(compactionParams(options.compaction, k0), kvParams(options.kvSeparation, k0)),
  };
}

// Key-value separation travels in the compaction struct (its garbage collection is compaction's).
function withKv(compaction, kv) {
  if (!kv) return compaction;
  return { ...(compaction ?? { strategy: 'default' }), ...kv };
}
