// The WASI reactor's test table: one list of cases, run unchanged under every WASI host the tests
// have (node:wasi and @bjorn3/browser_wasi_shim in Node: tests/js/wasi_reactor.test.mjs; the shim
// in headless Chromium: tests/browser/wasi_reactor.test.mjs). Nothing here uses Node.
//
// Each case is run(h) with a fresh host h:
//   h.load()        a new reactor instance (a Strata binding, examples/wasi-host/strata_wasi.mjs)
//                   over the host's one preopened folder; instances share that folder's files
//   h.path          the guest path of a database folder inside it (not yet created)
//   h.files         the folder from the host's side: list(rel), read(rel), write(rel, bytes)
// A trap (a WebAssembly.RuntimeError) fails a case: bad input must come back as a status.
import { StrataError } from '../../examples/wasi-host/strata_wasi.mjs';

const enc = new TextEncoder();
const text = (b) => (b === undefined ? undefined : new TextDecoder().decode(b));

function ok(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}
function eq(actual, expected, msg) {
  const [a, e] = [JSON.stringify(actual, big), JSON.stringify(expected, big)];
  if (a !== e) throw new Error(`${msg}: expected ${e}, got ${a}`);
}
function big(_k, v) { return typeof v === 'bigint' ? `${v}n` : v; }

// Runs fn, which must throw a StrataError of `code` whose message matches `re`.
function fails(fn, code, re, msg) {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof StrataError)) throw new Error(`${msg}: expected ${code}, got ${err && err.stack}`);
    ok(Array.isArray(code) ? code.includes(err.code) : err.code === code, `${msg}: expected ${code}, got ${err.code}: ${err.message}`);
    if (re) ok(re.test(err.message), `${msg}: message ${JSON.stringify(err.message)} does not match ${re}`);
    return err;
  }
  throw new Error(`${msg}: expected ${code}, but it succeeded`);
}

// The status an export returned, as { code, message } (null for ok); frees it.
function status(s, st) {
  try {
    s.check(st);
    return null;
  } catch (err) {
    if (!(err instanceof StrataError)) throw err;
    return { code: err.code, message: err.message };
  }
}
function isStatus(s, st, codes, msg) {
  const got = status(s, st);
  ok(got !== null, `${msg}: expected ${codes}, got ok`);
  ok(codes.includes(got.code), `${msg}: expected ${codes}, got ${got.code}: ${got.message}`);
  return got;
}

// The numbers a host might pass as a handle or pointer: NULL, small, stray, at and past the end of memory.
function strayPointers(s) {
  const end = s.x.memory.buffer.byteLength;
  return [1, 7, 4096, end - 2, end, end + 64, 0x7ffffff0, 0xfffffff0 | 0];
}

const flipMiddle = (bytes, n = 32) => {
  const b = new Uint8Array(bytes);
  const at = Math.floor(b.length / 2) - (n >> 1);
  for (let i = 0; i < n; i++) b[at + i] ^= 0xff;
  return b;
};

export const reactorCases = [
  {
    name: 'put_get_delete_survive_reopen: keys and values of any bytes, the empty key, absent keys',
    async run(h) {
      const s = await h.load();
      let db = s.open(h.path);
      db.put('alpha', 'one');
      db.put('', 'the empty key');
      db.put(new Uint8Array([0, 255, 0]), new Uint8Array([1, 0, 2, 0]));
      db.put('gone', 'soon', { sync: true });
      db.delete('gone');
      eq(text(db.get('alpha')), 'one', 'get alpha');
      eq(text(db.get('')), 'the empty key', 'the empty key');
      eq([...db.get(new Uint8Array([0, 255, 0]))], [1, 0, 2, 0], 'binary key and value');
      eq(db.get('gone'), undefined, 'a deleted key');
      eq(db.get('never'), undefined, 'an absent key');
      db.close();
      db = (await h.load()).open(h.path, { createIfMissing: false }); // a new instance replays the journal
      eq(text(db.get('alpha')), 'one', 'after reopen');
      eq([...db.get(new Uint8Array([0, 255, 0]))], [1, 0, 2, 0], 'binary after reopen');
      eq(db.get('gone'), undefined, 'the delete after reopen');
      db.close();
    },
  },
  {
    name: 'batch_is_atomic: one seqno for every operation, a bad item leaves the batch as it was',
    async run(h) {
      const s = await h.load();
      const db = s.open(h.path);
      db.put('old', 'x');
      const before = db.stats().seqno;
      db.batch([{ type: 'put', key: 'a', value: '1' }, { type: 'put', key: 'b', value: '2' }, { type: 'del', key: 'old' }]);
      eq(db.stats().seqno, before + 1n, 'a batch takes one seqno (a u64 read back as a BigInt)');
      eq([text(db.get('a')), text(db.get('b')), db.get('old')], ['1', '2', undefined], 'all applied');
      // raw: a batch whose second put is oversized keeps its first item only, and writes nothing more
      const x = s.x;
      const b = s.out(4, (o) => x.strata_batch_new(o), (dv, o) => dv.getUint32(o, true));
      s.withBytes([enc.encode('c'), enc.encode('3'), new Uint8Array(65536)], (k, v, huge) => {
        s.check(x.strata_batch_put(b, k, 1, v, 1));
        isStatus(s, x.strata_batch_put(b, huge, 65536, v, 1), ['STRATA_INVALID_ARGUMENT'], 'oversized key in a batch');
      });
      eq(x.strata_batch_count(b), 1, 'the refused item was not added');
      s.check(x.strata_write(db.handle, b, 0));
      x.strata_batch_clear(b);
      eq(x.strata_batch_count(b), 0, 'cleared');
      x.strata_batch_free(b);
      eq(text(db.get('c')), '3', 'the batch item written');
      db.close();
    },
  },
  {
    name: 'snapshot_keeps_its_view: reads and scans at a snapshot see old values after overwrites and a flush',
    async run(h) {
      const s = await h.load();
      const db = s.open(h.path);
      for (let i = 0; i < 10; i++) db.put(`k${i}`, 'v1');
      const snap = db.snapshot();
      ok(typeof snap.seqno === 'bigint' && snap.seqno > 0n, 'strata_snapshot_seqno returns a u64');
      for (let i = 0; i < 10; i++) db.put(`k${i}`, 'v2');
      db.put('new', 'v2');
      db.flush();
      eq(text(db.get('k3', { snapshot: snap })), 'v1', 'the snapshot reads the old value');
      eq(text(db.get('k3')), 'v2', 'the database reads the new one');
      eq(db.get('new', { snapshot: snap }), undefined, 'a later key is not in the snapshot');
      const seen = [...db.iterate({ snapshot: snap })].map(([k, v]) => `${text(k)}=${text(v)}`);
      eq(seen.length, 10, 'a scan at the snapshot');
      ok(seen.every((e) => e.endsWith('=v1')), 'every value old');
      eq(db.stats().snapshotsOpen, 1, 'one snapshot open');
      snap.release();
      eq(db.stats().snapshotsOpen, 0, 'released');
      db.close();
    },
  },
  {
    name: 'iterator_ranges: bounds, prefix, reverse, limit, seek',
    async run(h) {
      const s = await h.load();
      const db = s.open(h.path);
      for (const k of ['a/1', 'a/2', 'a/3', 'b/1', 'b/2', 'c']) db.put(k, `v-${k}`);
      const keys = (o) => [...db.iterate(o)].map(([k]) => text(k));
      eq(keys(), ['a/1', 'a/2', 'a/3', 'b/1', 'b/2', 'c'], 'all');
      eq(keys({ prefix: 'a/' }), ['a/1', 'a/2', 'a/3'], 'prefix');
      eq(keys({ prefix: 'b/', reverse: true }), ['b/2', 'b/1'], 'prefix reversed');
      eq(keys({ gt: 'a/1', lt: 'b/2' }), ['a/2', 'a/3', 'b/1'], 'exclusive bounds');
      eq(keys({ gte: 'a/2', lte: 'b/1', reverse: true }), ['b/1', 'a/3', 'a/2'], 'inclusive, reversed');
      eq(keys({ reverse: true, limit: 2 }), ['c', 'b/2'], 'limit');
      eq(keys({ gt: 'b/1', lt: 'a/3' }), [], 'an empty range');
      // seek and seek_for_prev through the raw exports
      const x = s.x;
      const it = s.out(4, (o) => x.strata_iterator_new(db.handle, 0, 0, o), (dv, o) => dv.getUint32(o, true));
      const len = x.malloc(4);
      const keyNow = () => text(s.readBytes(x.strata_iterator_key(it, len), new DataView(x.memory.buffer).getUint32(len, true)));
      s.withBytes([enc.encode('a/25')], (k) => x.strata_iterator_seek(it, k, 4));
      eq(keyNow(), 'a/3', 'seek finds the first key >= a/25');
      s.withBytes([enc.encode('a/25')], (k) => x.strata_iterator_seek_for_prev(it, k, 4));
      eq(keyNow(), 'a/2', 'seek_for_prev finds the last key <= a/25');
      s.withBytes([enc.encode('z')], (k) => x.strata_iterator_seek(it, k, 1));
      eq(x.strata_iterator_valid(it), 0, 'past the end');
      eq(x.strata_iterator_key(it, len), 0, 'reading an invalid iterator returns NULL');
      isStatus(s, x.strata_iterator_status(it), ['STRATA_INVALID_ARGUMENT'], 'and records the misuse');
      eq(x.strata_iterator_status(it), 0, 'once');
      x.free(len);
      x.strata_iterator_close(it);
      db.close();
    },
  },
  {
    name: 'flush_compact_close_reopen: tables written, a major compaction leaves one run in the last level',
    async run(h) {
      const s = await h.load();
      let db = s.open(h.path, { memtableSize: 64 << 10 });
      const value = 'x'.repeat(200);
      for (let i = 0; i < 2000; i++) db.put(`key/${String(i).padStart(5, '0')}`, `${value}${i}`);
      db.flush();
      let st = db.stats();
      ok(st.flushes >= 1n, `flushed (${st.flushes} flushes)`);
      ok(st.levels[0].tables >= 1, 'level 0 has tables');
      db.compact({ major: true });
      st = db.stats();
      const last = st.levels[st.levels.length - 1];
      eq(st.levels.slice(0, -1).map((l) => l.tables), new Array(st.levels.length - 1).fill(0), 'only the last level has tables');
      eq(last.runs, 1, 'one run in the last level');
      ok(last.bytes > 0n, `it holds the data (${last.bytes} bytes)`);
      ok(st.compactions >= 1n, 'a compaction ran');
      db.close();
      ok(h.files.list(`${h.rel}/tables`).length >= 1, 'table files in the folder');
      db = (await h.load()).open(h.path, { createIfMissing: false });
      eq(text(db.get('key/01234')), `${value}1234`, 'a value after reopen');
      eq([...db.iterate({ prefix: 'key/' })].length, 2000, 'every key after reopen');
      db.close();
    },
  },
  {
    name: 'bad_handles_are_statuses: NULL, stray and out-of-memory numbers, wrong types, closed handles',
    async run(h) {
      const s = await h.load();
      const x = s.x;
      const db = s.open(h.path);
      db.put('k', 'v');
      const opts = s.out(4, (o) => x.strata_options_new(o), (dv, o) => dv.getUint32(o, true));
      const snap = db.snapshot();
      const [kp, lenp, found] = [x.malloc(8), x.malloc(4), x.malloc(12)];
      for (const bad of [0, ...strayPointers(s), opts, snap.handle]) {
        const what = `handle ${bad >>> 0}`;
        const codes = bad === 0 ? ['STRATA_NOT_OPEN'] : ['STRATA_INVALID_ARGUMENT'];
        isStatus(s, x.strata_put(bad, kp, 1, kp, 1, 0), codes, `put, ${what}`);
        isStatus(s, x.strata_get(bad, 0, kp, 1, found, found + 4, found + 8), codes, `get, ${what}`);
        isStatus(s, x.strata_flush(bad), codes, `flush, ${what}`);
        isStatus(s, x.strata_compact(bad, 1), codes, `compact, ${what}`);
        isStatus(s, x.strata_get_stats(bad, found), codes, `get_stats, ${what}`);
        isStatus(s, x.strata_snapshot_acquire(bad, found), codes, `snapshot_acquire, ${what}`);
        isStatus(s, x.strata_iterator_new(bad, 0, 0, found), codes, `iterator_new, ${what}`);
        if (bad !== 0) isStatus(s, x.strata_close(bad), ['STRATA_INVALID_ARGUMENT'], `close, ${what}`);
        // as another handle type
        if (bad !== snap.handle) eq(x.strata_snapshot_seqno(bad), 0n, `snapshot_seqno, ${what}`);
        eq(x.strata_iterator_valid(bad), 0, `iterator_valid, ${what}`);
        eq(x.strata_iterator_key(bad, lenp), 0, `iterator_key, ${what}`);
        x.strata_iterator_next(bad); // no-ops
        x.strata_iterator_seek_first(bad);
        eq(x.strata_batch_count(bad), 0, `batch_count, ${what}`);
        x.strata_batch_clear(bad);
        x.strata_batch_free(bad);
        x.strata_snapshot_release(bad === snap.handle ? 0 : bad);
        if (bad !== opts) isStatus(s, x.strata_options_set_sync(bad, 1), ['STRATA_INVALID_ARGUMENT'], `options_set_sync, ${what}`);
        isStatus(s, x.strata_write(db.handle, bad, 0), ['STRATA_INVALID_ARGUMENT'], `write with batch ${what}`);
        if (bad !== 0 && bad !== snap.handle) {
          isStatus(s, x.strata_get(db.handle, bad, kp, 1, found, found + 4, found + 8), ['STRATA_INVALID_ARGUMENT'], `get at snapshot ${what}`);
        }
      }
      // a snapshot of another database in the same instance
      const other = s.open(`${h.path}-other`);
      const foreign = other.snapshot();
      s.withBytes([enc.encode('k')], (k) => {
        const st = isStatus(s, x.strata_get(db.handle, foreign.handle, k, 1, found, found + 4, found + 8), ['STRATA_INVALID_ARGUMENT'], 'a foreign snapshot');
        ok(/another database/.test(st.message), st.message);
      });
      foreign.release();
      other.close();
      snap.release();
      x.strata_options_free(opts);
      // closed handles: NOT_OPEN while the memory is not reused (best effort, strata.h), never a trap
      db.close();
      const db2 = s.open(h.path);
      const h2 = db2.handle;
      db2.close();
      isStatus(s, x.strata_put(h2, kp, 1, kp, 1, 0), ['STRATA_NOT_OPEN', 'STRATA_INVALID_ARGUMENT'], 'a stale database handle');
      isStatus(s, x.strata_close(h2), ['STRATA_NOT_OPEN', 'STRATA_INVALID_ARGUMENT'], 'closing twice');
      for (const p of [kp, lenp, found]) x.free(p);
    },
  },
  {
    name: 'bad_pointers_are_statuses: NULL and outside-memory keys, values, out-parameters, ranges and paths',
    async run(h) {
      const s = await h.load();
      const x = s.x;
      const db = s.open(h.path);
      const d = db.handle;
      const [buf, found] = [x.malloc(16), x.malloc(12)];
      const end = () => x.memory.buffer.byteLength;
      const inv = ['STRATA_INVALID_ARGUMENT'];
      isStatus(s, x.strata_put(d, 0, 3, buf, 1, 0), inv, 'NULL key with a length');
      isStatus(s, x.strata_put(d, buf, 1, 0, 3, 0), inv, 'NULL value with a length');
      for (const p of strayPointers(s).slice(3)) {
        ok(/outside the module's memory/.test(isStatus(s, x.strata_put(d, p, 16, buf, 1, 0), inv, `key at ${p >>> 0}`).message), 'says why');
        isStatus(s, x.strata_put(d, buf, 1, p, 16, 0), inv, `value at ${p >>> 0}`);
        isStatus(s, x.strata_delete(d, p, 16, 0), inv, `delete key at ${p >>> 0}`);
        isStatus(s, x.strata_get(d, 0, p, 16, found, found + 4, found + 8), inv, `get key at ${p >>> 0}`);
        isStatus(s, x.strata_get(d, 0, buf, 1, p, found + 4, found + 8), inv, `get found at ${p >>> 0}`);
        isStatus(s, x.strata_get_into(d, 0, buf, 1, found, p, 64, found + 8), inv, `get_into buffer at ${p >>> 0}`);
        isStatus(s, x.strata_get_stats(d, p), inv, `stats out at ${p >>> 0}`);
        isStatus(s, x.strata_iterator_new(d, 0, p, found), inv, `range at ${p >>> 0}`);
        isStatus(s, x.strata_iterator_new(d, 0, 0, p), inv, `iterator out at ${p >>> 0}`);
        isStatus(s, x.strata_iterator_new_prefix(d, 0, p, 8, found), inv, `prefix at ${p >>> 0}`);
        isStatus(s, x.strata_open(p, 0, found), inv, `path at ${p >>> 0}`);
        isStatus(s, x.strata_options_new(p), inv, `options out at ${p >>> 0}`);
        isStatus(s, x.strata_snapshot_acquire(d, p), inv, `snapshot out at ${p >>> 0}`);
        isStatus(s, x.strata_batch_new(p), inv, `batch out at ${p >>> 0}`);
      }
      // a range whose bound key lies past the end of memory
      s.withBytes([new Uint8Array(24)], (r) => {
        const dv = new DataView(x.memory.buffer);
        dv.setUint32(r, 1, true);
        dv.setUint32(r + 4, end() - 4, true);
        dv.setUint32(r + 8, 64, true);
        isStatus(s, x.strata_iterator_new(d, 0, r, found), inv, 'a range key past the end');
        dv.setUint32(r, 7, true);
        isStatus(s, x.strata_iterator_new(d, 0, r, found), inv, 'a bound kind that is no strata_bound');
      });
      // iterator reads with a length pointer outside memory: NULL, recorded as misuse
      db.put('k', 'v');
      const it = s.out(4, (o) => x.strata_iterator_new(d, 0, 0, o), (dv, o) => dv.getUint32(o, true));
      x.strata_iterator_seek_first(it);
      eq(x.strata_iterator_key(it, 0xfffffff0 | 0), 0, 'a key length pointer outside memory');
      isStatus(s, x.strata_iterator_status(it), inv, 'recorded as misuse');
      x.strata_iterator_seek(it, end() - 2, 64);
      isStatus(s, x.strata_iterator_status(it), inv, 'a seek key past the end');
      x.strata_iterator_close(it);
      // NULL out-parameters and paths
      isStatus(s, x.strata_open(0, 0, found), inv, 'a NULL path');
      isStatus(s, s.withBytes([''], (p) => x.strata_open(p, 0, found)), inv, 'an empty path');
      isStatus(s, s.withBytes([h.path], (p) => x.strata_open(p, 0, 0)), inv, 'a NULL out-parameter');
      isStatus(s, x.strata_get_stats(d, 0), inv, 'NULL stats');
      isStatus(s, x.strata_get(d, 0, buf, 1, 0, found, found + 4), inv, 'NULL found');
      // a path with no NUL before the end of memory
      const tail = end() - 8;
      new Uint8Array(x.memory.buffer).fill(0x61, tail, end());
      isStatus(s, x.strata_open(tail, 0, found), inv, 'an unterminated path');
      new Uint8Array(x.memory.buffer).fill(0, tail, end());
      // the database still works
      db.put('after', 'fine');
      eq(text(db.get('after')), 'fine', 'usable after the bad calls');
      x.free(buf);
      x.free(found);
      db.close();
    },
  },
  {
    name: 'limits_and_options_are_checked: oversized keys and values, bad option values, u64 and f64 parameters',
    async run(h) {
      const s = await h.load();
      const x = s.x;
      const db = s.open(h.path);
      fails(() => db.put(new Uint8Array(65536), 'v'), 'STRATA_INVALID_ARGUMENT', /65536.*65535|65535.*65536/, 'a key over STRATA_KEY_MAX');
      db.put(new Uint8Array(65535).fill(7), 'at the limit');
      eq(text(db.get(new Uint8Array(65535).fill(7))), 'at the limit', 'a key at the limit');
      // a value length over 128 MiB with a 1-byte buffer: the limit is named, not the memory
      s.withBytes([enc.encode('k'), enc.encode('v')], (k, v) => {
        const st = isStatus(s, x.strata_put(db.handle, k, 1, v, (128 << 20) + 1, 0), ['STRATA_INVALID_ARGUMENT'], 'a value over STRATA_VALUE_MAX');
        ok(/134217729/.test(st.message) && /134217728/.test(st.message), `names the size and the limit: ${st.message}`);
      });
      const o = s.out(4, (p) => x.strata_options_new(p), (dv, p) => dv.getUint32(p, true));
      ok(/block/.test(isStatus(s, x.strata_options_set_block_size(o, 1), ['STRATA_INVALID_ARGUMENT'], 'a block size of 1').message), 'names the option');
      isStatus(s, x.strata_options_set_memtable_size(o, 1n << 60n), ['STRATA_INVALID_ARGUMENT'], 'a u64 memtable size over the limit');
      s.check(x.strata_options_set_memtable_size(o, 1n << 20n));
      isStatus(s, x.strata_options_set_bloom_bits_per_key(o, NaN), ['STRATA_INVALID_ARGUMENT'], 'NaN bloom bits (an f64)');
      isStatus(s, x.strata_options_set_compression(o, 9), ['STRATA_INVALID_ARGUMENT'], 'an unknown compression');
      isStatus(s, x.strata_options_set_recovery_mode(o, 5), ['STRATA_INVALID_ARGUMENT'], 'an unknown recovery mode');
      s.check(x.strata_options_set_create_if_missing(o, 0));
      const out = x.malloc(4);
      isStatus(s, s.withBytes([`${h.path}-missing`], (p) => x.strata_open(p, o, out)), ['STRATA_NOT_FOUND'], 'options set through the ABI apply');
      eq(new DataView(x.memory.buffer).getUint32(out, true), 0, 'a failed open sets *out to NULL');
      x.free(out);
      x.strata_options_free(o);
      db.close();
    },
  },
  {
    name: 'missing_and_locked_folders: no database, a path outside the preopens, a second open while one is held',
    async run(h) {
      const s = await h.load();
      fails(() => s.open(`${h.path}-none`, { createIfMissing: false }), 'STRATA_NOT_FOUND', /none/, 'a missing folder');
      fails(() => s.open('/not-preopened/db'), 'STRATA_IO', /\/not-preopened\/db/, 'a path under no preopened folder');
      const db = s.open(h.path);
      db.put('k', 'v');
      const s2 = await h.load(); // another instance, same folder: as another process would
      fails(() => s2.open(h.path), 'STRATA_LOCKED', /LOCK|locked|handle/, 'a second open');
      fails(() => s.open(h.path), 'STRATA_LOCKED', /handle|LOCK|locked/, 'a second open in the same instance');
      db.close();
      const again = s2.open(h.path);
      eq(text(again.get('k')), 'v', 'opens once the first is closed');
      again.close();
    },
  },
  {
    name: 'damaged_table_is_corruption: a flipped table byte is STRATA_CORRUPTION naming the file, not a trap',
    async run(h) {
      let s = await h.load();
      let db = s.open(h.path);
      for (let i = 0; i < 500; i++) db.put(`key${String(i).padStart(4, '0')}`, `value-${i}-${'y'.repeat(50)}`);
      db.flush();
      db.close();
      const tables = h.files.list(`${h.rel}/tables`);
      ok(tables.length >= 1, 'a table file');
      for (const t of tables) h.files.write(`${h.rel}/tables/${t}`, flipMiddle(h.files.read(`${h.rel}/tables/${t}`)));
      s = await h.load();
      db = undefined;
      const err = fails(() => { // the open or the scan finds it, whichever reads the damaged block first
        db = s.open(h.path);
        return [...db.iterate()];
      }, 'STRATA_CORRUPTION', /tables/, 'a scan over the damaged table');
      ok(/checksum|corrupt|damaged|bad/i.test(err.message), `says what is wrong: ${err.message}`);
      if (db) db.close();
    },
  },
  {
    name: 'damaged_journal_and_manifest_fail_the_open: STRATA_CORRUPTION naming the file',
    async run(h) {
      let db = (await h.load()).open(h.path);
      for (let i = 0; i < 50; i++) db.put(`k${i}`, `v${i}`.repeat(20));
      db.close();
      db = (await h.load()).open(h.path); // a second journal, so the damaged one is not the newest
      db.put('later', 'x');
      db.close();
      const journals = h.files.list(`${h.rel}/journal`).filter((n) => h.files.read(`${h.rel}/journal/${n}`).length > 200);
      ok(journals.length >= 1, `a journal with the 50 puts (${h.files.list(`${h.rel}/journal`)})`);
      const j = `${h.rel}/journal/${journals[0]}`;
      const good = h.files.read(j);
      h.files.write(j, flipMiddle(good, 8));
      const s = await h.load();
      fails(() => s.open(h.path), 'STRATA_CORRUPTION', /journal/, 'a damaged journal (strict recovery)');
      h.files.write(j, good);
      for (const m of h.files.list(h.rel).filter((n) => n.startsWith('manifest'))) {
        h.files.write(`${h.rel}/${m}`, flipMiddle(h.files.read(`${h.rel}/${m}`), 4));
      }
      fails(() => s.open(h.path), 'STRATA_CORRUPTION', /manifest/, 'both manifest slots damaged');
    },
  },
  {
    name: 'u64_results_and_strings_cross: xxh3 of no bytes, version and code names',
    async run(h) {
      const s = await h.load();
      const x = s.x;
      eq(x.strata_xxh3_64(0, 0), 0x2d06800538d394c2n, 'the published xxh3-64 of no bytes');
      eq(x.strata_xxh3_64(0, 5), 0n, 'NULL with a length');
      ok(/^\d+\.\d+\.\d+$/.test(s.version), 'strata_version_string');
      const name = (c) => {
        const p = x.strata_code_name(c);
        const u8 = new Uint8Array(x.memory.buffer);
        let e = p;
        while (u8[e]) e++;
        return new TextDecoder().decode(u8.subarray(p, e));
      };
      eq(name(2), 'STRATA_CORRUPTION', 'code 2');
      eq(name(6), 'STRATA_LOCKED', 'code 6');
      eq(x.strata_status_code(0), 0, 'a NULL status is ok');
    },
  },
];
