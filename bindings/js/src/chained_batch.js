// db.batch() with no arguments: a chained batch that collects put / del / singleDel and writes
// them as one atomic batch (the same path as db.batch(operations)). Each operation is checked
// when it is added, so a bad key fails at the call that added it. No Node built-ins.
import { StrataError, invalid } from './errors.js';

const asyncDispose = Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose');

export class ChainedBatch {
  #ops = [];
  #check;
  #write;
  #isOpen;
  #closed = false;

  // check(op): throws for a bad operation, returns it as stored; write(ops, options): the
  // database's batch; isOpen(what): throws when the database is not open.
  constructor({ check, write, isOpen }) {
    this.#check = check;
    this.#write = write;
    this.#isOpen = isOpen;
  }

  #ensureOpen(what) {
    if (this.#closed) throw new StrataError('STRATA_NOT_OPEN', `batch.${what}: the chained batch is closed (written or closed)`);
    this.#isOpen(`batch.${what}`);
  }

  #add(op, what) {
    this.#ensureOpen(what);
    this.#ops.push(this.#check(op, this.#ops.length));
    return this;
  }

  get length() {
    return this.#ops.length;
  }

  put(key, value) {
    return this.#add({ type: 'put', key, value }, 'put');
  }

  del(key) {
    return this.#add({ type: 'del', key }, 'del');
  }

  singleDel(key) {
    return this.#add({ type: 'singleDel', key }, 'singleDel');
  }

  // Removes the operations added so far.
  clear() {
    this.#ensureOpen('clear');
    this.#ops = [];
    return this;
  }

  // Writes every operation atomically (one seqno), then closes the batch.
  async write(options = {}) {
    this.#ensureOpen('write');
    if (options === null || typeof options !== 'object') throw invalid('batch.write: options must be an object');
    const ops = this.#ops;
    this.#closed = true;
    this.#ops = [];
    await this.#write(ops, options);
  }

  // Discards the operations; closing twice (or after write) is fine.
  async close() {
    this.#closed = true;
    this.#ops = [];
  }

  async [asyncDispose]() {
    await this.close();
  }
}
