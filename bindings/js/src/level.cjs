'use strict';
// strata-lsm/level: Strata as an abstract-level database (the `level` ecosystem's interface),
// for `require` and (through level.js) `import`. abstract-level is a dependency of the package,
// as it is of classic-level and memory-level.
//
//   const { StrataLevel } = require('strata-lsm/level');   // or: import { StrataLevel } from 'strata-lsm/level'
//   const db = new StrataLevel('./data', { valueEncoding: 'json' });
//   await db.put('k', { a: 1 });
//
// Keys and values reach the engine as Uint8Array ('view') or string ('utf8'); abstract-level
// transcodes every other encoding. Iterators and reads see an implicit snapshot taken when the
// call is made; db.snapshot() gives explicit snapshots.
const { AbstractIterator, AbstractLevel, AbstractSnapshot } = require('abstract-level');
const { StrataError } = require('./errors.cjs');

// The package's open() is an ES module (the engine's loader is one): loaded at the first open.
let esm;
function strata() {
  esm ??= import('./index.js');
  return esm;
}

class ModuleError extends Error {
  constructor(message, { code, cause } = {}) {
    super(message, { cause });
    this.code = code;
  }
}

const kDb = Symbol('strata.db');
const kSnap = Symbol('strata.snapshot');
const kIt = Symbol('strata.iterator');
const kOwner = Symbol('strata.owner');

// abstract-level's range rules: gte wins over gt, lte over lt (strata-lsm itself intersects).
function rangeOptions(options) {
  const out = { reverse: options.reverse, keyEncoding: options.keyEncoding, valueEncoding: options.valueEncoding };
  for (const k of ['gt', 'gte', 'lt', 'lte']) if (options[k] !== undefined) out[k] = options[k];
  if (out.gte !== undefined) delete out.gt;
  if (out.lte !== undefined) delete out.lt;
  if (options.limit !== undefined && options.limit !== -1) out.limit = options.limit;
  if (options.snapshot) out.snapshot = options.snapshot[kSnap];
  return out;
}

class StrataSnapshot extends AbstractSnapshot {
  constructor(owner, snapshot, options) {
    super(options);
    this[kOwner] = owner;
    this[kSnap] = snapshot;
  }

  async _close() {
    this[kSnap].close();
  }
}

class StrataIterator extends AbstractIterator {
  constructor(db, options, it) {
    super(db, options);
    this[kIt] = it;
  }

  #it() {
    if (!this[kIt]) throw new ModuleError('Snapshot is not open', { code: 'LEVEL_SNAPSHOT_NOT_OPEN' });
    return this[kIt];
  }

  async _next() {
    return this.#it().next();
  }

  async _nextv(size) {
    return this.#it().nextv(size);
  }

  async _all() {
    return this.#it().nextv(Number.MAX_SAFE_INTEGER);
  }

  _seek(target) {
    this.#it().seek(target);
  }

  async _close() {
    await this[kIt]?.close();
  }
}

class StrataLevel extends AbstractLevel {
  // options: the open() options of strata-lsm (compression, memtableSize, sync, threads,
  // compactionFilter, ...) plus abstract-level's (keyEncoding, valueEncoding, ...).
  constructor(location, options = {}) {
    super({
      encodings: { view: true, utf8: true },
      createIfMissing: true,
      errorIfExists: true,
      has: true,
      getSync: !options.worker, // a worker answers asynchronously
      explicitSnapshots: true,
      implicitSnapshots: true,
      permanence: location !== ':memory:' && options.backend !== 'memory',
      seek: true,
      snapshots: true,
      additionalMethods: { flush: true, compact: true, stats: true, singleDel: true, dropRange: true },
    }, options);
    this.location = location;
    this[kDb] = null;
    this.strataOptions = options;
  }

  async _open(options) {
    const { keyEncoding, valueEncoding, ...rest } = this.strataOptions;
    void keyEncoding;
    void valueEncoding;
    this[kDb] = await (await strata()).open(this.location, {
      ...rest, createIfMissing: options.createIfMissing, errorIfExists: options.errorIfExists,
    });
  }

  async _close() {
    const db = this[kDb];
    this[kDb] = null;
    if (db) await db.close();
  }

  // A snapshot of another StrataLevel would read that database: refused.
  #reader(options) {
    if (!options.snapshot) return this[kDb];
    if (options.snapshot[kOwner] !== this) throw new StrataError('STRATA_INVALID_ARGUMENT', 'the snapshot belongs to another database');
    return options.snapshot[kSnap];
  }

  async _get(key, options) {
    return this.#reader(options).get(key, { valueEncoding: options.valueEncoding });
  }

  async _getMany(keys, options) {
    return this.#reader(options).getMany(keys, { valueEncoding: options.valueEncoding });
  }

  _getSync(key, options) {
    return this.#reader(options).getSync(key, { valueEncoding: options.valueEncoding });
  }

  async _has(key, options) {
    return this.#reader(options).has(key);
  }

  async _hasMany(keys, options) {
    return this.#reader(options).hasMany(keys);
  }

  async _put(key, value, options) {
    return this[kDb].put(key, value, { sync: options.sync });
  }

  async _del(key, options) {
    return this[kDb].del(key, { sync: options.sync });
  }

  async _batch(operations, options) {
    return this[kDb].batch(operations.map((op) => (op.type === 'put'
      ? { type: 'put', key: op.key, value: op.value }
      : { type: op.type === 'singleDel' ? 'singleDel' : 'del', key: op.key })), { sync: options.sync });
  }

  _iterator(options) {
    let it = null;
    this.#reader(options); // refuses another database's snapshot
    try {
      it = this[kDb].iterator({ ...rangeOptions(options), keys: options.keys, values: options.values });
    } catch (err) {
      // A closed explicit snapshot: abstract-level reports LEVEL_SNAPSHOT_NOT_OPEN on first use.
      if (!(options.snapshot && err.code === 'STRATA_NOT_OPEN')) throw err;
    }
    return new StrataIterator(this, options, it);
  }

  async _clear(options) {
    this.#reader(options);
    const { snapshot, ...range } = rangeOptions(options);
    if (snapshot) {
      // Keys as of the snapshot, deleted from the live database.
      const keys = await snapshot.keys(range).all();
      await this[kDb].batch(keys.map((key) => ({ type: 'del', key })));
      return;
    }
    return this[kDb].clear(range);
  }

  _snapshot(options) {
    return new StrataSnapshot(this, this[kDb].snapshot(), options);
  }

  // The methods beyond abstract-level's: they wait for a pending open, as its own methods do.
  async #open(what) {
    if (this.status === 'opening') await this.open();
    if (this.status !== 'open' || !this[kDb]) throw new ModuleError(`${what}: the database is not open`, { code: 'LEVEL_DATABASE_NOT_OPEN' });
    return this[kDb];
  }

  async flush() {
    return (await this.#open('flush')).flush();
  }

  async compact(options) {
    return (await this.#open('compact')).compact(options);
  }

  stats() {
    if (!this[kDb]) throw new ModuleError('stats: the database is not open', { code: 'LEVEL_DATABASE_NOT_OPEN' });
    return this[kDb].stats();
  }

  // C strata_single_delete, with the database's key encoding.
  async singleDel(key, options = {}) {
    const db = await this.#open('singleDel');
    return db.singleDel(this.keyEncoding(options.keyEncoding).encode(key), { sync: options.sync });
  }

  // C strata_drop_range over { gt, gte, lt, lte } (abstract-level's range rules), the bounds
  // encoded with the database's key encoding.
  async dropRange(options = {}) {
    const db = await this.#open('dropRange');
    const enc = this.keyEncoding(options.keyEncoding);
    const range = {};
    for (const k of ['gt', 'gte', 'lt', 'lte']) if (options[k] !== undefined) range[k] = enc.encode(options[k]);
    if (range.gte !== undefined) delete range.gt;
    if (range.lte !== undefined) delete range.lt;
    return db.dropRange(range);
  }
}

module.exports = { StrataLevel, default: StrataLevel };
