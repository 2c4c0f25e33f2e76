// Calls held in the ordering lane (database.js #hold: a write waits while the storage host is not
// ready, as the OPFS host's prepare() makes it wait while its file pool grows) and the
// synchronous reads of the latest state, which cannot wait behind them: snapshot(), iterator(),
// keys(), values(), getSync and sizeOfSync refuse with STRATA_BUSY naming the held write, rather
// than answer without it while an awaited get() issued after them sees it. Reads at a snapshot,
// and stats(), answer at once; a lane holding no change (a flush) refuses nothing. Here the Node
// host gets a prepare() that holds writes until the test lets them go; both builds.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';

import { openDatabase } from '../../bindings/js/src/database.js';
import { engineConstants, loadModule } from '../../bindings/js/src/engine.js';
import { encodingOf } from '../../bindings/js/src/keys.js';
import { Native } from '../../bindings/js/src/native.js';
import { NodeHost } from '../../bindings/js/src/node_host.js';
import { checkOpenOptions } from '../../bindings/js/src/options.js';
import { removeTempDirs, strataError, tempDir } from './helpers.mjs';

after(removeTempDirs);

const encodings = { valueEncoding: encodingOf('utf8', 'valueEncoding'), keyEncoding: encodingOf('utf8', 'keyEncoding') };

// A Node host whose prepare() holds the database's calls while `hold()` is on.
function gatedHost() {
  const host = new NodeHost();
  let gate = null;
  host.prepare = () => gate?.promise ?? null;
  host.hold = () => {
    let release;
    gate = { promise: new Promise((r) => { release = r; }), release };
  };
  host.release = () => {
    const g = gate;
    gate = null;
    g?.release();
  };
  return host;
}

async function open(threads, host) {
  const dir = tempDir();
  const options = { threads };
  const parsed = checkOpenOptions(options, await engineConstants({ threads }));
  const native = await Native.load({ host, threads, loadModule });
  return openDatabase(native, path.join(dir, 'db'), dir, options, parsed, 'strict', encodings);
}

for (const threads of [false, true]) {
  test(`${threads ? 'pthreads' : 'single-threaded'}: sync_reads_of_the_latest_state_refuse_while_a_write_is_held_and_see_it_once_applied`, async () => {
    const host = gatedHost();
    const db = await open(threads, host);
    try {
      await db.put('a', '1');
      const before = db.snapshot();
      host.hold();
      const held = db.put('k', 'v'); // not awaited: held in the lane
      const read = db.get('k'); // issued after it: waits behind it
      const busy = (what) => strataError('STRATA_BUSY', new RegExp(`^${what}: a put issued before it is still held until the storage host is ready; await it first`));
      assert.throws(() => db.snapshot(), busy('snapshot'));
      assert.throws(() => db.iterator(), busy('iterator'));
      assert.throws(() => db.keys({ gte: 'a' }), busy('keys'));
      assert.throws(() => db.values(), busy('values'));
      assert.throws(() => db.getSync('k'), busy('getSync'));
      assert.throws(() => db.sizeOfSync('k'), busy('sizeOfSync'));
      // at a snapshot: what it was taken on, at once
      assert.equal(db.getSync('a', { snapshot: before }), '1');
      assert.equal(db.getSync('k', { snapshot: before }), undefined);
      assert.equal(db.sizeOfSync('a', { snapshot: before }), 1);
      assert.deepEqual(await db.keys({ snapshot: before }).all(), ['a']);
      assert.equal(typeof db.stats().memtable, 'object', 'stats() answers');
      host.release();
      await held;
      assert.equal(await read, 'v', 'the awaited read issued after the write sees it');
      const after = db.snapshot();
      assert.equal(after.getSync('k'), 'v');
      assert.equal(db.getSync('k'), 'v');
      assert.deepEqual(await db.keys().all(), ['a', 'k']);
      after.close();
      before.close();
    } finally {
      host.release(); // close() drains the lane first
      await db.close();
    }
  });

  test(`${threads ? 'pthreads' : 'single-threaded'}: a_lane_holding_no_change_refuses_no_sync_read`, async () => {
    const host = gatedHost();
    const db = await open(threads, host);
    try {
      await db.put('a', '1');
      host.hold();
      const flushed = db.flush(); // held, but it changes nothing a read sees
      const s = db.snapshot();
      assert.equal(s.getSync('a'), '1');
      assert.equal(db.getSync('a'), '1');
      assert.deepEqual(await db.keys().all(), ['a']);
      const state = await Promise.race([flushed.then(() => 'applied'), new Promise((r) => setTimeout(r, 20, 'held'))]);
      assert.equal(state, 'held', 'the flush waited in the lane meanwhile');
      assert.equal(db.getSync('a'), '1');
      s.close();
      host.release();
      await flushed;
    } finally {
      host.release(); // close() drains the lane first
      await db.close();
    }
  });
}
