// Run inside Chromium by engine_sharing.test.mjs, in a page (every database a handle on the
// page's one database worker) or in a worker (the engine in that thread): many databases on one
// engine instance, each on its own storage host; memory databases kept by name. Throws on the
// first thing that is not as expected; returns what the test checks from outside.
import * as strata from '../../bindings/js/src/index_browser.js';

import { openDatabase } from '../../bindings/js/src/database.js';
import { acquireModule, engineConstants } from '../../bindings/js/src/engine_browser.js';
import { encodingOf } from '../../bindings/js/src/keys.js';
import { Native } from '../../bindings/js/src/native.js';
import { OpfsHost } from '../../bindings/js/src/opfs_host.js';
import { checkOpenOptions } from '../../bindings/js/src/options.js';

const { open, deleteDatabase, listDatabases, StrataError } = strata;
const text = (b) => (typeof b === 'string' ? b : new TextDecoder().decode(b));

function eq(a, b, what) {
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`${what}: expected ${JSON.stringify(b)}, got ${JSON.stringify(a)}`);
}

async function rejects(p, code, what, re) {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof StrataError) || e.code !== code) throw new Error(`${what}: expected ${code}, got ${e?.code}: ${e?.message}`);
    if (re && !re.test(e.message)) throw new Error(`${what}: message ${JSON.stringify(e.message)} does not match ${re}`);
    return;
  }
  throw new Error(`${what}: expected ${code}, but it succeeded`);
}

// Opens `count` databases at once, spread over `backends`, writes each its own keys, reads them
// all back while every one is open, closes them. Returns the names.
export async function manyAtOnce({ prefix, count, backends }) {
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  const dbs = await Promise.all(names.map((n, i) => open(n, { backend: backends[i % backends.length], valueEncoding: 'utf8' })));
  try {
    await Promise.all(dbs.map((db, i) => db.batch([{ type: 'put', key: 'own', value: `db ${i}` }, { type: 'put', key: `only-${i}`, value: 'here' }])));
    for (const [i, db] of dbs.entries()) {
      eq(await db.get('own'), `db ${i}`, `${names[i]} reads its own value`);
      eq(await db.get(`only-${(i + 1) % count}`), undefined, `${names[i]} does not see its neighbour's keys`);
      eq(db.backend, backends[i % backends.length], `${names[i]}'s backend`);
    }
  } finally {
    await Promise.all(dbs.map((db) => db.close()));
  }
  return names;
}

// The same name on each backend, open at once: three databases, each its own data, kept apart
// on reopen; the memory one until deleteDatabase.
export async function sameNameEachBackend(name) {
  const backends = ['opfs', 'idb', 'memory'];
  let dbs = await Promise.all(backends.map((backend) => open(name, { backend, valueEncoding: 'utf8' })));
  await Promise.all(dbs.map((db, i) => db.put('k', backends[i])));
  for (const [i, db] of dbs.entries()) eq(await db.get('k'), backends[i], `${backends[i]} before reopen`);
  await Promise.all(dbs.map((db) => db.close()));
  dbs = await Promise.all(backends.map((backend) => open(name, { backend, valueEncoding: 'utf8', createIfMissing: false })));
  for (const [i, db] of dbs.entries()) eq(await db.get('k'), backends[i], `${backends[i]} after reopen`);
  await Promise.all(dbs.map((db) => db.close()));
  eq(await deleteDatabase(name), true, 'deleted from every backend');
  eq((await listDatabases()).includes(name), false, 'listed no more');
  await rejects(open(name, { backend: 'memory', createIfMissing: false }), 'STRATA_NOT_FOUND', 'a deleted memory database is gone');
  return backends;
}

// A memory database lives by name until deleteDatabase: close and reopen find its data, a
// second open meanwhile is refused naming it, errorIfExists sees it, deleting an open one is
// refused, a failed first open leaves nothing behind.
export async function memoryLifetime(name) {
  const missing = `${name}-never`;
  await rejects(open(missing, { backend: 'memory', createIfMissing: false }), 'STRATA_NOT_FOUND', 'createIfMissing: false on a new name');
  eq((await listDatabases()).includes(missing), false, 'a failed open leaves no database');
  let db = await open(name, { backend: 'memory', valueEncoding: 'utf8' });
  await db.put('a', '1');
  await rejects(open(name, { backend: 'memory' }), 'STRATA_LOCKED', 'a second open while it is open', new RegExp(name));
  await rejects(deleteDatabase(name), 'STRATA_LOCKED', 'deleting it while open', new RegExp(name));
  await db.close();
  eq((await listDatabases()).includes(name), true, 'listed while closed');
  await rejects(open(name, { backend: 'memory', errorIfExists: true }), 'STRATA_EXISTS', 'errorIfExists sees it');
  db = await open(name, { backend: 'memory', valueEncoding: 'utf8', createIfMissing: false });
  eq(await db.get('a'), '1', 'reopened with its data');
  await db.put('b', '2');
  await db.close();
  db = await open(name, { backend: 'memory', valueEncoding: 'utf8' });
  eq(await db.getMany(['a', 'b']), ['1', '2'], 'every write of the earlier opens');
  await db.close();
  eq(await deleteDatabase(name), true, 'deleted');
  eq((await listDatabases()).includes(name), false, 'not listed after delete');
  db = await open(name, { backend: 'memory', valueEncoding: 'utf8' });
  eq(await db.get('a'), undefined, 'reopens empty after delete');
  await db.close();
  eq(await deleteDatabase(name), true, 'the new one deleted too');
  return true;
}

// Keeps memory database `name` (closed) with one key; reads it back.
export async function keepMemory(name) {
  const db = await open(name, { backend: 'memory', valueEncoding: 'utf8' });
  await db.put('kept', 'yes');
  await db.close();
}

export async function readMemory(name) {
  const db = await open(name, { backend: 'memory', valueEncoding: 'utf8', createIfMissing: false });
  try {
    return await db.get('kept');
  } finally {
    await db.close();
  }
}

export function remove(name) {
  return deleteDatabase(name);
}

// Two databases with compaction filters on one engine instance: each compaction runs its own.
export async function twoFilters(prefix, backend) {
  const seen = { a: [], b: [] };
  const filter = (tag) => (k) => {
    seen[tag].push(k);
    return k.startsWith(`${tag}-drop`) ? 'remove' : undefined;
  };
  const small = { backend, valueEncoding: 'utf8', keyEncoding: 'utf8', memtableSize: 64 * 1024 };
  const a = await open(`${prefix}-a`, { ...small, compactionFilter: filter('a') });
  const b = await open(`${prefix}-b`, { ...small, compactionFilter: filter('b') });
  try {
    for (const [db, tag] of [[a, 'a'], [b, 'b']]) {
      await db.batch([{ type: 'put', key: `${tag}-drop`, value: 'x' }, { type: 'put', key: `${tag}-keep`, value: 'y' }]);
    }
    await a.compact({ major: true });
    await b.compact({ major: true });
    eq(await a.getMany(['a-drop', 'a-keep']), [undefined, 'y'], 'a filtered by its own filter');
    eq(await b.getMany(['b-drop', 'b-keep']), [undefined, 'y'], 'b filtered by its own filter');
    eq(seen.a.every((k) => k.startsWith('a-')) && seen.b.every((k) => k.startsWith('b-')), true, `each filter saw only its own keys: ${JSON.stringify(seen)}`);
    return { a: seen.a.length, b: seen.b.length };
  } finally {
    await a.close();
    await b.close();
  }
}

// Opens `count` databases at once spread over `backends` (all on the build `build`), each
// writing and reading its own keys while all are open; every one reports through stats() that
// it shares its engine instance with all the others. Then closes every third database, deletes
// a closed one while the rest stay open, reopens the others and finds their data, and checks
// that a closed database left its instance (stats().engine.databases went down). Returns what
// the test checks from outside.
export async function shareOneEngine({ prefix, count, backends, build }) {
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  const backendOf = (i) => backends[i % backends.length];
  // the first two of each backend with a small memtable (the bulk writes below)
  const bulk = 2 * backends.length;
  const openAt = (i, more = {}) => open(names[i], { backend: backendOf(i), valueEncoding: 'utf8', ...(i < bulk ? { memtableSize: 64 * 1024 } : {}), ...more });
  const dbs = await Promise.all(names.map((_, i) => openAt(i)));
  const seen = {};
  try {
    await Promise.all(dbs.map((db, i) => db.batch([{ type: 'put', key: 'own', value: `db ${i}` }, { type: 'put', key: `only-${i}`, value: 'here' }])));
    // two databases of each backend (a small memtable) write at once enough for flushes and
    // compactions, never asking for one: the engine's background work does them (the pthreads
    // build: its instance's pool threads, each host call reaching its database's host) while the
    // others stay open
    await Promise.all(dbs.slice(0, bulk).map(async (db) => {
      for (let round = 0; round < 8; round++) {
        await db.batch(Array.from({ length: 200 }, (_, k) => ({ type: 'put', key: `bulk-${round}-${k}`, value: 'v'.repeat(300) })));
      }
    }));
    const done = (st) => st.flushes >= 4 && st.compactions >= 1 && st.memtable.sealed === 0;
    for (let b = 0; b < bulk; b++) {
      let st = await dbs[b].stats();
      for (const deadline = Date.now() + 10_000; !done(st) && Date.now() < deadline;) {
        await new Promise((r) => setTimeout(r, 20));
        st = await dbs[b].stats();
      }
      if (!done(st)) throw new Error(`${names[b]}: no background flushes and compaction: ${JSON.stringify({ flushes: st.flushes, compactions: st.compactions, sealed: st.memtable.sealed })}`);
    }
    for (const [i, db] of dbs.entries()) {
      eq(db.build, build, `${names[i]}'s build`);
      eq(db.backend, backendOf(i), `${names[i]}'s backend`);
      eq(await db.get('own'), `db ${i}`, `${names[i]} reads its own value`);
      eq(await db.get(`only-${(i + 1) % count}`), undefined, `${names[i]} does not see its neighbour's keys`);
      const { engine } = await db.stats();
      seen[engine.databases] = (seen[engine.databases] ?? 0) + 1;
    }
    for (let b = 0; b < bulk; b++) {
      eq(await dbs[b].getMany(['bulk-0-0', 'bulk-7-199']), ['v'.repeat(300), 'v'.repeat(300)], `${names[b]} after its flushes and compaction`);
    }
    // close every third database: the others stay open on the same instance
    const closing = names.map((_, i) => i).filter((i) => i % 3 === 1);
    await Promise.all(closing.map((i) => dbs[i].close()));
    const after = (await dbs[0].stats()).engine.databases;
    // a closed database (not a memory one, which lives on by name) is deleted while the rest are open
    const victim = closing.find((i) => backendOf(i) !== 'memory');
    eq(await deleteDatabase(names[victim]), true, `deleteDatabase(${names[victim]}) while others are open`);
    eq((await listDatabases()).includes(names[victim]), false, `${names[victim]} listed no more`);
    const reopened = await Promise.all(closing.map((i) => openAt(i, { createIfMissing: i === victim })));
    try {
      for (const [k, i] of closing.entries()) {
        eq(await reopened[k].get('own'), i === victim ? undefined : `db ${i}`, `${names[i]} after close and reopen`);
      }
      const again = (await dbs[0].stats()).engine.databases;
      return { seen, after, again, closed: closing.length };
    } finally {
      await Promise.all(reopened.map((db) => db.close()));
    }
  } finally {
    await Promise.all(dbs.map((db) => db.close()));
    for (const n of names) await deleteDatabase(n);
  }
}

// Inside a worker of a cross-origin isolated page: two OPFS databases on one pthreads instance,
// each with a pool of 4 pre-opened files, write small tables until the instance's maintenance
// threads compact them into many more tables than files are free: a create refused with
// STRATA_BUSY there runs again once the host has grown its pool (maintenance_pool.c), with no
// request asking for it. Each finds every write after a reopen.
export async function pooledCompactionOutgrowsItsFiles(prefix) {
  const options = { memtableSize: 64 * 1024, compression: 'none', compaction: { strategy: 'leveled', tableTargetSize: 2048 }, threads: true };
  const parsed = checkOpenOptions(options, await engineConstants({ threads: true }));
  const encodings = { valueEncoding: encodingOf('utf8', 'valueEncoding'), keyEncoding: encodingOf('utf8', 'keyEncoding') };
  const openOne = async (name) => {
    const host = await OpfsHost.open(name, { initialSlots: 4, minFree: 2 });
    const native = Native.on(await acquireModule({ threads: true }), { host });
    return { db: openDatabase(native, 'db', name, options, parsed, 'strict', encodings), host };
  };
  const names = [`${prefix}-a`, `${prefix}-b`];
  const value = (i) => `${i}:`.padEnd(200, 'x');
  let dbs = await Promise.all(names.map(openOne));
  const result = [];
  try {
    eq(dbs.map(({ db }) => db.stats().engine.databases), [2, 2], 'both on one instance');
    for (let i = 0; i < 1600; i += 100) {
      for (const { db } of dbs) await db.batch(Array.from({ length: 100 }, (_, k) => ({ type: 'put', key: `k${String(i + k).padStart(5, '0')}`, value: value(i + k) })));
    }
    for (const [j, { db, host }] of dbs.entries()) {
      const tables = () => db.stats().levels.reduce((n, l) => n + l.tables, 0);
      const settled = () => db.stats().memtable.sealed === 0 && db.stats().compactions >= 1 && db.stats().levels[0].tables < 4;
      for (const deadline = Date.now() + 15_000; !settled() && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
      if (!settled()) throw new Error(`${names[j]}: the background compaction did not settle: ${JSON.stringify(db.stats().levels)}`);
      result.push({ tables: tables(), slots: host.pool.slots, refusals: host.pool.refusals });
    }
    await Promise.all(dbs.map(({ db }) => db.close()));
    dbs = await Promise.all(names.map(openOne));
    for (const [j, { db }] of dbs.entries()) {
      const got = await db.getMany(Array.from({ length: 1600 }, (_, i) => `k${String(i).padStart(5, '0')}`));
      const bad = got.filter((v, i) => v !== value(i)).length;
      if (bad) throw new Error(`${names[j]}: ${bad} of 1600 writes missing or wrong after reopen`);
    }
    return result;
  } finally {
    await Promise.all(dbs.map(({ db }) => db.close()));
    for (const n of names) await deleteDatabase(n);
  }
}

// Inside a worker, on a shared instance of `build` ('mt': a cross-origin isolated page's, whose
// pool threads run the flush; 'st': the steps run between requests): an OPFS database whose
// storage fills up (quota_host.mjs) just before its memtable seals, so the background flush fails
// with STRATA_QUOTA. The first write after the failure is refused with it (the step and the
// browser's QuotaExceededError as its cause), reads keep working, the next write is accepted,
// close does not hang, and once there is room every acknowledged write is there after a reopen.
export async function backgroundFlushOnAFullQuota(name, build) {
  const threads = build === 'mt';
  const options = { memtableSize: 64 * 1024, threads };
  const parsed = checkOpenOptions(options, await engineConstants({ threads }));
  const encodings = { valueEncoding: encodingOf('utf8', 'valueEncoding'), keyEncoding: encodingOf('utf8', 'keyEncoding') };
  const { quotaAfter } = await import('./quota_host.mjs');
  const openOne = async (limit) => {
    const host = quotaAfter(await OpfsHost.open(name), limit);
    const native = Native.on(await acquireModule({ threads }), { host });
    return { db: openDatabase(native, 'db', name, options, parsed, 'strict', encodings), host };
  };
  const k = (i) => `k${String(i).padStart(6, '0')}`;
  const v = (i) => `${i}:`.padEnd(100, 'v');
  let { db, host } = await openOne(null);
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  try {
    await db.batch(Array.from({ length: 400 }, (_, i) => ({ type: 'put', key: k(i), value: v(i) })));
    if (db.stats().memtable.sealed !== 0) throw new Error('sealed too early');
    host.setLimit(16 * 1024); // room for the journal's next appends, not for a table
    let n = 400;
    while (db.stats().memtable.sealed === 0 && db.stats().flushes === 0) {
      if (n > 800) throw new Error('the memtable never sealed');
      await db.put(k(n), v(n));
      n++;
    }
    await sleep(300); // the flush meets the full storage
    if (db.stats().flushes !== 0) throw new Error('the flush was not refused');
    let refused = null;
    try {
      await db.put('first', 'x');
    } catch (err) {
      refused = { code: err.code, message: err.message, cause: err.cause?.name ?? null };
    }
    const got = await db.getMany(Array.from({ length: n }, (_, i) => k(i)));
    const unreadable = got.filter((x, i) => x !== v(i)).length;
    await db.put('second', 'y'); // reported once: accepted
    const closed = await Promise.race([db.close().then(() => 'closed', (e) => `close failed: ${e.message}`), sleep(5000).then(() => 'close hung')]);
    ({ db, host } = await openOne(null));
    const after = (await db.getMany([k(0), k(n - 1), 'first', 'second'])).map((x) => x ?? null);
    return { refused, unreadable, closed, after, expected: [v(0), v(n - 1), null, 'y'] };
  } finally {
    await db.close();
    await deleteDatabase(name);
  }
}
