// StrataLevel: Strata as an abstract-level database, over the open() of the runtime's entry
// (index.js in Node, index_browser.js in browsers: level.js and level_browser.js). Keys and
// values reach the engine as Uint8Array ('view') or string ('utf8'); abstract-level transcodes
// every other encoding. Iterators and reads see an implicit snapshot taken when the call is
// made; db.snapshot() gives explicit snapshots. No Node built-ins.
import { AbstractIterator, AbstractLevel, AbstractSnapshot } from 'abstract-level';

import { StrataError } from './errors.js';

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

// The StrataLevel class whose databases open(location, options) opens.
export function levelClass(open) {
  return class StrataLevel extends AbstractLevel {
    // options: the open() options of strata-lsm (compression, memtableSize, sync, threads, ...)
    // plus abstract-level's (keyEncoding, valueEncoding, ...).
    constructor(location, options = {}) {
      // a memory database is new at every open: it cannot be missing, nor exist already
      const permanence = location !== ':memory:' && options.backend !== 'memory';
      super({
        encodings: { view: true, utf8: true },
        createIfMissing: permanence,
        errorIfExists: permanence,
        has: true,
        explicitSnapshots: true,
        implicitSnapshots: true,
        permanence,
        seek: true,
        snapshots: true,
        additionalMethods: { flush: true, compact: true, stats: true },
      }, options);
      this.location = location;
      this[kDb] = null;
      this.strataOptions = options;
    }

    async _open(options) {
      const { keyEncoding, valueEncoding, ...rest } = this.strataOptions;
      void keyEncoding;
      void valueEncoding;
      this[kDb] = await open(this.location, {
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

    async _has(key, options) {
      return this.#reader(options).has(key);
    }

    async _hasMany(keys, options) {
      const reader = this.#reader(options);
      return Promise.all(keys.map((k) => reader.has(k)));
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
        : { type: 'del', key: op.key })), { sync: options.sync });
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

    async flush() {
      return this[kDb].flush();
    }

    async compact(options) {
      return this[kDb].compact(options);
    }

    stats() {
      return this[kDb].stats();
    }
  };
}
