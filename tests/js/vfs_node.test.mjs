// The JS-backed VFS (bindings/js/c/vfs_js.c + bindings/js/src/node_host.js) inside the real wasm
// module: a conformance walk run by C code, real files on disk, and the lock across handles and
// processes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';

import { decodeRecord, encodeRecord, recordHost } from '../../bindings/js/src/lock_record.js';
import { loadNative } from '../../bindings/js/src/native_node.js';
import { child, killAll, nativeEntry, removeTempDirs, tempDir } from './helpers.mjs';

after(async () => { await killAll(); removeTempDirs(); });

function vfsCheck(native, dir) {
  const p = native.cstring(dir);
  try {
    native.check(native.m._strata_js_vfs_check(native.vfs, p));
  } finally {
    native.m._free(p);
  }
}

function lock(native, file) {
  const p = native.cstring(file);
  try {
    native.check(native.m._strata_js_vfs_lock(native.vfs, p, native.words));
    return native.word(0);
  } finally {
    native.m._free(p);
  }
}

function unlock(native, handle) {
  native.check(native.m._strata_js_vfs_unlock(native.vfs, handle));
}

for (const threads of [false, true]) {
  const build = threads ? 'pthreads' : 'single-threaded';
  test(`node fs backend passes the VFS conformance walk (${build} build)`, async () => {
    const native = await loadNative({ threads });
    try {
      const dir = path.join(tempDir(), 'walk');
      vfsCheck(native, dir);
      assert.equal(fs.existsSync(dir), false, 'the walk removes its folder');
    } finally {
      native.free();
    }
  });
}

test('pthreads build: the walk from a background thread is proxied to the main thread (no deadlock)', async () => {
  const native = await loadNative({ threads: true });
  try {
    const dir = path.join(tempDir(), 'walk');
    const p = native.cstring(dir);
    try {
      native.check(native.m._strata_js_vfs_check_threaded(native.vfs, p));
    } finally {
      native.m._free(p);
    }
    assert.equal(fs.existsSync(dir), false);
  } finally {
    native.free();
  }
});

test('memory backend passes the same walk', async () => {
  const native = await loadNative({ memory: true });
  try {
    vfsCheck(native, 'walk');
  } finally {
    native.free();
  }
});

test('node fs backend reports a missing parent folder as STRATA_NOT_FOUND naming the path', async () => {
  const native = await loadNative();
  try {
    const dir = tempDir();
    // The walk's folder has no parent: mkdir fails with a message naming the path.
    assert.throws(() => vfsCheck(native, path.join(dir, 'a', 'b')),
      (e) => e.code === 'STRATA_NOT_FOUND' && e.message.includes(path.join(dir, 'a', 'b')));
  } finally {
    native.free();
  }
});

test('a second lock in the same process is STRATA_LOCKED, also from another module instance', async () => {
  const a = await loadNative();
  const b = await loadNative();
  try {
    const file = path.join(tempDir(), 'LOCK');
    const h = lock(a, file);
    assert.ok(fs.existsSync(file));
    assert.throws(() => lock(a, file), (e) => e.code === 'STRATA_LOCKED' && e.message.includes(file));
    assert.throws(() => lock(b, file), (e) => e.code === 'STRATA_LOCKED');
    unlock(a, h);
    assert.equal(fs.existsSync(file), false, 'unlock removes the lock file');
    const h2 = lock(b, file);
    unlock(b, h2);
  } finally {
    a.free();
    b.free();
  }
});

const holdLockScript = `
  const { loadNative } = await import(process.argv[1]);
  const n = await loadNative();
  const p = n.cstring(process.argv[2]);
  try { n.check(n.m._strata_js_vfs_lock(n.vfs, p, n.words)); console.log('locked'); }
  catch (e) { console.log(e.code); process.exit(0); }
  setInterval(() => {}, 1000);
`;

test('a lock held by another process is STRATA_LOCKED; after kill -9 it is taken over', async () => {
  const native = await loadNative();
  try {
    const file = path.join(tempDir(), 'LOCK');
    const holder = child(holdLockScript, [nativeEntry, file]);
    await holder.waitFor(/^locked$/);
    const owner = decodeRecord(fs.readFileSync(file));
    assert.equal(owner.pid, holder.proc.pid);
    assert.equal(owner.runtime, 'node');
    assert.throws(() => lock(native, file), (e) => e.code === 'STRATA_LOCKED' && e.message.includes(`process ${holder.proc.pid}`));
    // A second child is refused too.
    const second = child(holdLockScript, [nativeEntry, file]);
    assert.equal(await second.waitFor(/^STRATA_/), 'STRATA_LOCKED');
    await holder.kill9();
    assert.ok(fs.existsSync(file), 'kill -9 leaves the lock file behind');
    const h = lock(native, file); // stale: the pid is gone
    assert.equal(decodeRecord(fs.readFileSync(file)).pid, process.pid);
    unlock(native, h);
  } finally {
    native.free();
  }
});

test('a lock file naming a live pid with another start time (pid reuse) is stale; a damaged one is refused until old', async () => {
  const native = await loadNative();
  try {
    const file = path.join(tempDir(), 'LOCK');
    fs.writeFileSync(file, encodeRecord({ runtime: 'node', pid: process.ppid, start: 1n, host: recordHost(os.hostname()), since: Date.now(), token: '00000000000000ab' }));
    const h = lock(native, file);
    unlock(native, h);
    fs.writeFileSync(file, 'garbage that is not a record');
    // unreadable: nobody can prove who holds it; refused with the way out while it is fresh
    assert.throws(() => lock(native, file), (e) => e.code === 'STRATA_LOCKED' && /damaged.*remove /.test(e.message));
    const old = Date.now() / 1000 - 60;
    fs.utimesSync(file, old, old);
    const h2 = lock(native, file); // an old damaged lock is taken over
    unlock(native, h2);
  } finally {
    native.free();
  }
});
