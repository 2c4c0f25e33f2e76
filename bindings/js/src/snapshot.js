// A consistent read view of a database (strata_snapshot): get, getMany, has, sizeOf and iterators that
// see the database as it was when db.snapshot() was called. Released by close(), or when its
// last iterator closes, or with the database.
import { StrataError, invalid } from './errors.js';
import { encodingOf } from './keys.js';

const asyncDispose = Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose');
const dispose = Symbol.dispose ?? Symbol.for('nodejs.dispose');

// Members with a leading underscore are the package's own (database.js, iterator.js), not API;
// _ptr is the strata_snapshot pointer (0 once released).
export class Snapshot {
  #db;
  #onClose;
  #release;
  #users = 0; // iterators reading from this snapshot
  #closed = false;

  constructor(db, ptr, onClose, release) {
    this.#db = db;
    this._ptr = ptr;
    this.#onClose = onClose;
    this.#release = release;
  }

  _ensureOpen(what) {
    if (this.#closed || !this._ptr) throw new StrataError('STRATA_NOT_OPEN', `${what}: the snapshot is closed`);
    this.#db._ensureUsable(what);
  }

  _belongsTo(db) {
    return this.#db === db;
  }

  _use() {
    this.#users++;
  }

  _unuse() {
    if (--this.#users === 0 && this.#closed) this.#free();
  }

  #free() {
    if (!this._ptr) return;
    this.#release(this._ptr);
    this._ptr = 0;
    this.#release = null;
  }

  async get(key, options = {}) {
    this._ensureOpen('snapshot.get');
    return this.#db._getAt(this._ptr, key, encodingOf(options.valueEncoding ?? this.#db._valueEncoding, 'valueEncoding'));
  }

  async getMany(keys, options = {}) {
    this._ensureOpen('snapshot.getMany');
    if (!Array.isArray(keys)) throw invalid('getMany expects an array of keys');
    const enc = encodingOf(options.valueEncoding ?? this.#db._valueEncoding, 'valueEncoding');
    return this.#db._getManyAt(this._ptr, keys, enc);
  }

  async has(key) {
    this._ensureOpen('snapshot.has');
    return this.#db._getAt(this._ptr, key, 'view', false) === true;
  }

  getSync(key, options = {}) {
    this._ensureOpen('snapshot.getSync');
    return this.#db._getAt(this._ptr, key, encodingOf(options.valueEncoding ?? this.#db._valueEncoding, 'valueEncoding'));
  }

  async sizeOf(key) {
    this._ensureOpen('snapshot.sizeOf');
    return this.#db._sizeAt(this._ptr, key);
  }

  sizeOfSync(key) {
    this._ensureOpen('snapshot.sizeOfSync');
    return this.#db._sizeAt(this._ptr, key);
  }

  async hasMany(keys) {
    this._ensureOpen('snapshot.hasMany');
    if (!Array.isArray(keys)) throw invalid('hasMany expects an array of keys');
    return keys.map((k) => this.#db._getAt(this._ptr, k, 'view', false) === true);
  }

  iterator(options = {}) {
    this._ensureOpen('snapshot.iterator');
    return this.#db._iterator(options, 'entries', this);
  }

  keys(options = {}) {
    this._ensureOpen('snapshot.keys');
    return this.#db._iterator(options, 'keys', this);
  }

  values(options = {}) {
    this._ensureOpen('snapshot.values');
    return this.#db._iterator(options, 'values', this);
  }

  // Released now, or when its last iterator closes.
  close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose(this);
    if (this.#users === 0) this.#free();
  }

  // Called by db.close(): the handle goes away with the database.
  _release() {
    this.#closed = true;
    this.#onClose(this);
    this.#free();
  }

  async [asyncDispose]() {
    this.close();
  }

  [dispose]() {
    this.close();
  }
}
