// What crosses between JS and wasm memory, read from the C side's own descriptors:
//   - the layout tables of strata_js_describe (bindings/js/c/strata_js_describe.c): status
//     codes, open flags, option limits, the batch wire format and the field names, offsets and
//     types of strata_stats, strata_recovery_report, strata_repair_report and
//     strata_js_compaction, built there with offsetof, read once per module load;
//   - the batch wire format (strata_js_write) and the stats and reports decoded field by field
//     from those offsets (iterator pages, strata_js_iter_page, are decoded by iterator.js).
// Nothing here matches a position by hand. No Node built-ins.
import { StrataError } from './errors.js';

const T = Object.freeze({ CONST: 0, U32: 1, U64: 2, F64: 3, I32: 4, LEVELS: 5, PTR: 6 }); // STRATA_JS_T_*

const decoder = new TextDecoder();

// { codes: { STRATA_OK: {value, type, count}, ... }, stats: { level_count: {offset, ...}, ... }, ... }
export function readLayout(m) {
  const out = m._malloc(3 * 8);
  if (!out) throw new StrataError('STRATA_NO_MEMORY', 'out of wasm memory');
  const layout = {};
  try {
    for (let t = 0; ; t++) {
      const tp = m._strata_js_describe_table(t);
      if (!tp) break;
      const entries = {};
      for (let i = 0; ; i++) {
        const np = m._strata_js_describe(t, i, out);
        if (!np) break;
        const d = m.HEAPF64.subarray(out >>> 3, (out >>> 3) + 3);
        entries[m.UTF8ToString(np)] = Object.freeze({ value: d[0], offset: d[0], type: d[1], count: d[2] });
      }
      layout[m.UTF8ToString(tp)] = Object.freeze(entries);
    }
  } finally {
    m._free(out);
  }
  return Object.freeze(layout);
}

// The value of each CONST entry by name: { STRATA_OK: 0, ... }.
export function constants(table) {
  const o = {};
  for (const [name, e] of Object.entries(table)) if (e.type === T.CONST) o[name] = e.value;
  return Object.freeze(o);
}

export function camel(name) {
  return name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
}

function readField(dv, base, e) {
  const p = base + e.offset;
  switch (e.type) {
    case T.U32: case T.PTR: return dv.getUint32(p, true);
    case T.I32: return dv.getInt32(p, true);
    case T.U64: return dv.getUint32(p, true) + dv.getUint32(p + 4, true) * 2 ** 32;
    case T.F64: return dv.getFloat64(p, true);
    default: throw new StrataError('STRATA_INVALID_ARGUMENT', `layout: field type ${e.type} is not a scalar`);
  }
}

// Every described field of the struct at `ptr` as { c_name: number } (arrays of level stats as
// arrays of objects).
export function readStruct(m, ptr, table, layout) {
  const dv = new DataView(m.HEAPU8.buffer);
  const o = {};
  for (const [name, e] of Object.entries(table)) {
    if (e.type === T.CONST) continue;
    if (e.type === T.LEVELS) {
      const size = layout.level_stats.sizeof.value;
      o[name] = Array.from({ length: e.count }, (_, i) => readStruct(m, ptr + e.offset + i * size, layout.level_stats, layout));
    } else {
      o[name] = readField(dv, ptr, e);
    }
  }
  return o;
}

// strata_stats -> db.stats(). Every field of the struct has its place here; layout.test.mjs
// fails when C gains a field this does not place.
export const STATS_PLACES = Object.freeze({
  level_count: 'levels', levels: 'levels', memtable_bytes: 'memtable.bytes', sealed_memtables: 'memtable.sealed',
  cache_hits: 'cache.hits', cache_misses: 'cache.misses', cache_bytes: 'cache.bytes',
  bytes_written_user: 'bytesWritten.user', bytes_written_flush: 'bytesWritten.flush',
  bytes_written_compaction: 'bytesWritten.compaction', bytes_read_compaction: 'bytesRead.compaction',
  write_amplification: 'writeAmplification', flushes: 'flushes', compactions: 'compactions',
  write_stalls: 'writeStalls', write_slowdowns: 'writeSlowdowns', seqno: 'seqno',
  snapshots_open: 'snapshotsOpen', versions_alive: 'versionsAlive',
  blob_files: 'blobs.files', blob_bytes: 'blobs.bytes', blob_stale_bytes: 'blobs.staleBytes', blob_reads: 'blobs.reads',
  blob_bytes_relocated: 'blobs.relocatedBytes', blob_files_reclaimed: 'blobs.reclaimedFiles',
  blob_bytes_reclaimed: 'blobs.reclaimedBytes',
});

export function decodeStats(s) {
  return {
    levels: s.levels.slice(0, s.level_count).map((l, level) => ({ level, tables: l.tables, runs: l.runs, bytes: l.bytes })),
    memtable: { bytes: s.memtable_bytes, sealed: s.sealed_memtables },
    cache: { hits: s.cache_hits, misses: s.cache_misses, bytes: s.cache_bytes },
    bytesWritten: { user: s.bytes_written_user, flush: s.bytes_written_flush, compaction: s.bytes_written_compaction },
    bytesRead: { compaction: s.bytes_read_compaction },
    writeAmplification: s.write_amplification, // the engine's own: (flush + compaction bytes) / user bytes
    flushes: s.flushes, compactions: s.compactions, writeStalls: s.write_stalls, writeSlowdowns: s.write_slowdowns,
    seqno: s.seqno, snapshotsOpen: s.snapshots_open, versionsAlive: s.versions_alive,
    // key-value separation (all 0 without it): blob files now, and what garbage collection did
    blobs: {
      files: s.blob_files, bytes: s.blob_bytes, staleBytes: s.blob_stale_bytes, reads: s.blob_reads,
      relocatedBytes: s.blob_bytes_relocated, reclaimedFiles: s.blob_files_reclaimed, reclaimedBytes: s.blob_bytes_reclaimed,
    },
  };
}

// strata_recovery_report -> db.recovery (frozen: it describes the open); flags as booleans.
const RECOVERY_FLAGS = new Set(['damaged', 'manifest_fallback']);
export function decodeRecovery(r) {
  const o = {};
  for (const [name, v] of Object.entries(r)) o[camel(name)] = RECOVERY_FLAGS.has(name) ? v !== 0 : v;
  return Object.freeze(o);
}

// strata_repair_report -> repairDatabase()'s report: the counters by their C names in camelCase;
// the log pointer is the caller's to read and free.
export function decodeRepair(r) {
  const o = {};
  for (const [name, v] of Object.entries(r)) if (name !== 'log') o[camel(name)] = v;
  return o;
}

// { strategy: 'leveled', level0_trigger: 4, ... } (options.js) into a strata_js_compaction at
// ptr: every described field written, -1 (the engine's default) where not given.
export function writeCompaction(m, ptr, params, table) {
  const dv = new DataView(m.HEAPU8.buffer);
  for (const name of Object.keys(params)) {
    if (name !== 'strategy' && !table[name]) throw new StrataError('STRATA_INVALID_ARGUMENT', `compaction: the engine has no option ${name}`);
  }
  const strategy = table[`STRATEGY_${params.strategy.toUpperCase()}`];
  if (!strategy) throw new StrataError('STRATA_INVALID_ARGUMENT', `compaction: the engine has no strategy ${params.strategy}`);
  for (const [name, e] of Object.entries(table)) {
    if (e.type !== T.F64) continue;
    dv.setFloat64(ptr + e.offset, name === 'strategy' ? strategy.value : params[name] ?? -1, true);
  }
}

// Writes the operations ([type, keyBytes, valueBytes|null] triples) in strata_js_write's wire
// format; `batch` is the batch descriptor (OP_PUT, OP_DELETE, TYPE_BYTES, LENGTH_BYTES).
export function batchSize(parts, batch) {
  const head = batch.TYPE_BYTES.value + batch.LENGTH_BYTES.value;
  let need = 0;
  for (let i = 0; i < parts.length; i += 3) {
    need += head + parts[i + 1].length + (parts[i + 2] ? batch.LENGTH_BYTES.value + parts[i + 2].length : 0);
  }
  return need;
}

export function encodeBatch(heap, at, parts, batch) {
  const put = batch.OP_PUT.value;
  const typeBytes = batch.TYPE_BYTES.value;
  let pos = at;
  for (let i = 0; i < parts.length; i += 3) {
    heap[pos] = parts[i];
    pos = putLengthPrefixed(heap, pos + typeBytes, parts[i + 1]);
    if (parts[i] === put) pos = putLengthPrefixed(heap, pos, parts[i + 2]);
  }
  return pos - at;
}

// u32 length (little-endian: LENGTH_BYTES of the batch descriptor is 4) | bytes, at pos; returns
// the position after them. Short arrays are copied by hand (set() costs more for a few bytes).
function putLengthPrefixed(heap, pos, bytes) {
  const n = bytes.length;
  heap[pos] = n;
  heap[pos + 1] = n >>> 8;
  heap[pos + 2] = n >>> 16;
  heap[pos + 3] = n >>> 24;
  pos += 4;
  if (n <= 32) for (let j = 0; j < n; j++) heap[pos + j] = bytes[j];
  else heap.set(bytes, pos);
  return pos + n;
}

// Every decode of wasm memory goes through here. Browsers' TextDecoder refuses views of a
// SharedArrayBuffer (the pthreads build's memory), so there those are copied first; the
// single-threaded build's memory (and shared memory where the runtime takes it) is decoded in
// place.
const Shared = typeof SharedArrayBuffer === 'function' ? SharedArrayBuffer : null;
const sharedRefused = Shared !== null && (() => {
  try {
    decoder.decode(new Uint8Array(new Shared(1)));
    return false;
  } catch {
    return true;
  }
})();
export function utf8(bytes) {
  return decoder.decode(sharedRefused && bytes.buffer instanceof Shared ? bytes.slice() : bytes);
}

export function decodeBytes(bytes, enc) {
  return enc === 'utf8' ? utf8(bytes) : bytes.slice();
}
