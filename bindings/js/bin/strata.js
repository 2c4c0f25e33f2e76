#!/usr/bin/env node
// strata -- the command-line tool of strata-lsm (the wasm engine, through the package's own API).
//
//   strata DIR put KEY VALUE        write (synced)
//   strata DIR get KEY              print the value; exit 1 when absent
//   strata DIR del KEY              delete (synced)
//   strata DIR scan [--prefix P] [--reverse] [--limit N] [--gt K] [--gte K] [--lt K] [--lte K]
//                                   print "key<TAB>value" lines (UTF-8)
//   strata DIR stats                levels, memtable, cache and write amplification
//   strata DIR check                read every entry with a full scan; exit 1 on an error
//   strata DIR compact              db.compact({ major: true })
//   strata repair DIR               rebuild a database that no longer opens (also: strata DIR repair)
//   (every DIR command takes --recovery strict|point-in-time: what open does with a damaged journal)
//   strata demo [--dir ./data] [--count 200000]   load, read, scan, snapshot, flush, stats
//
// Engine errors print "strata: CODE: message" on stderr and exit 1; bad usage exits 2.
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

import { StrataError, open, repairDatabase } from '../src/index.js';

const USAGE = `usage: strata DIR put KEY VALUE | get KEY | del KEY
       strata DIR scan [--prefix P] [--reverse] [--limit N] [--gt K] [--gte K] [--lt K] [--lte K]
       strata DIR stats | check | compact
       (DIR commands take --recovery strict|point-in-time)
       strata repair DIR
       strata demo [--dir ./data] [--count 200000]
       strata help
`;

const DB_COMMANDS = new Set(['put', 'get', 'del', 'scan', 'stats', 'check', 'compact']);
const DEMO_MARKER = 'STRATA_DEMO'; // a file strata demo leaves in its folder, so it may remove it next time

class UsageError extends Error {}

// ---------------------------------------------------------------------------------------------
// argument parsing

// Splits args into positionals and --options. `spec` maps option names to 'string', 'number'
// or 'flag'. Accepts "--name value" and "--name=value".
function parseArgs(args, spec) {
  const positionals = [];
  const options = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--') || a === '--') {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const kind = spec[name];
    if (!kind) throw new UsageError(`unknown option --${name}`);
    if (kind === 'flag') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      options[name] = true;
      continue;
    }
    let value;
    if (eq >= 0) value = a.slice(eq + 1);
    else if (i + 1 < args.length) value = args[++i];
    else throw new UsageError(`--${name} needs a value`);
    if (kind === 'number') {
      if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a whole number >= 0, not ${JSON.stringify(value)}`);
      value = Number(value);
    }
    options[name] = value;
  }
  return { positionals, options };
}

function expectArgs(cmd, positionals, names) {
  if (positionals.length !== names.length) {
    throw new UsageError(`${cmd} takes ${names.length ? names.join(' ') : 'no arguments'}`);
  }
}

// ---------------------------------------------------------------------------------------------
// output helpers

function fail(err) {
  if (err instanceof UsageError) {
    process.stderr.write(`strata: ${err.message}\n${USAGE}`);
    return 2;
  }
  if (err instanceof StrataError) process.stderr.write(`strata: ${err.code}: ${err.message}\n`);
  else if (err && typeof err.code === 'string') process.stderr.write(`strata: ${err.code}: ${err.message}\n`); // fs errors
  else process.stderr.write(`strata: ERROR: ${err && err.stack ? err.stack : err}\n`); // a bug: with its stack
  return 1;
}

// Writes to stdout, waiting when the pipe is full (long scans stay in bounded memory).
function out(text) {
  if (process.stdout.write(text)) return undefined;
  return new Promise((resolve) => process.stdout.once('drain', resolve));
}

const num = (n) => Math.round(n).toLocaleString('en-US');

function bytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  while (n >= 1024 && u < units.length - 1) { n /= 1024; u++; }
  return u === 0 ? `${n} B` : `${n.toFixed(n < 10 ? 2 : 1)} ${units[u]}`;
}

function ms(t) {
  return t < 1000 ? `${t.toFixed(1)} ms` : `${(t / 1000).toFixed(2)} s`;
}

// Left-aligned first column, right-aligned others.
function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join('  ').trimEnd()).join('\n');
}

// "name   value" lines, values in one column.
function pairs(rows) {
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

// db.stats() as text. The counters (cache, bytes written, flushes) count since this open.
function formatStats(s) {
  const rows = [['level', 'tables', 'runs', 'bytes']];
  let tables = 0;
  let total = 0;
  for (const l of s.levels) {
    rows.push([`L${l.level}`, num(l.tables), num(l.runs), bytes(l.bytes)]);
    tables += l.tables;
    total += l.bytes;
  }
  rows.push(['total', num(tables), '', bytes(total)]);
  const lookups = s.cache.hits + s.cache.misses;
  const hitRate = lookups ? ` (${((100 * s.cache.hits) / lookups).toFixed(1)}% hits)` : '';
  const w = s.bytesWritten;
  return [
    table(rows),
    '',
    pairs([
      ['memtable', `${bytes(s.memtable.bytes)}, ${s.memtable.sealed} sealed`],
      ['block cache', `${num(s.cache.hits)} hits, ${num(s.cache.misses)} misses${hitRate}, ${bytes(s.cache.bytes)} cached`],
      ['bytes written', `user ${bytes(w.user)}, flush ${bytes(w.flush)}, compaction ${bytes(w.compaction)}`],
      ['bytes read', `compaction ${bytes(s.bytesRead.compaction)}`],
      ['write amplification', s.writeAmplification ? s.writeAmplification.toFixed(2) : 'n/a (no writes since open)'],
      ['flushes', `${num(s.flushes)}, compactions ${num(s.compactions)}, write stalls ${num(s.writeStalls)}, ` +
        `slowdowns ${num(s.writeSlowdowns)}`],
      ['seqno', `${num(s.seqno)}, ${s.snapshotsOpen} snapshots open, ${s.versionsAlive} versions alive`],
    ]),
  ].join('\n') + '\n';
}

// db.recovery as text: what the open found in the journals and did about it.
function formatRecovery(r) {
  const rows = [['recovery', `replayed ${num(r.batchesReplayed)} batches from ${num(r.journalsReplayed)} journals, ` +
    `highest seqno seen ${num(r.highestSeqnoSeen)}`]];
  if (r.tornBytesCut) rows.push(['torn tail', `${bytes(r.tornBytesCut)} cut from the newest journal`]);
  if (r.damaged) {
    rows.push(['damage', `journal ${r.damagedJournal} at offset ${num(r.damagedOffset)}: opened at the last ` +
      `consistent point, ${num(r.batchesDiscarded)} later batches set aside`]);
  }
  if (r.manifestFallback) rows.push(['manifest', 'the newer slot was torn; the older one was used']);
  if (r.filesMovedToLost) rows.push(['lost/', `${num(r.filesMovedToLost)} files moved there by this open`]);
  if (r.obsoleteFilesRemoved) rows.push(['obsolete files', `${num(r.obsoleteFilesRemoved)} removed`]);
  return pairs(rows) + '\n';
}

// ---------------------------------------------------------------------------------------------
// DIR commands

async function openDb(dir, createIfMissing, recoveryMode) {
  return open(dir, { createIfMissing, recoveryMode, valueEncoding: 'utf8', keyEncoding: 'utf8' });
}

async function runDbCommand(dir, cmd, args) {
  const spec = cmd === 'scan'
    ? { prefix: 'string', reverse: 'flag', limit: 'number', gt: 'string', gte: 'string', lt: 'string', lte: 'string' }
    : {};
  spec.recovery = 'string';
  const { positionals, options } = parseArgs(args, spec);
  const recoveryMode = options.recovery;
  delete options.recovery;
  if (recoveryMode !== undefined && recoveryMode !== 'strict' && recoveryMode !== 'point-in-time') {
    throw new UsageError(`--recovery must be strict or point-in-time, not ${recoveryMode}`);
  }
  const shape = { put: ['KEY', 'VALUE'], get: ['KEY'], del: ['KEY'] }[cmd] ?? [];
  expectArgs(cmd, positionals, shape);

  const db = await openDb(dir, cmd === 'put', recoveryMode);
  let code = 0;
  try {
    switch (cmd) {
      case 'put':
        await db.put(positionals[0], positionals[1], { sync: true });
        break;
      case 'del':
        await db.del(positionals[0], { sync: true });
        break;
      case 'get': {
        const v = await db.get(positionals[0]);
        if (v === undefined) {
          process.stderr.write(`strata: STRATA_NOT_FOUND: key ${JSON.stringify(positionals[0])} not found\n`);
          code = 1;
        } else {
          await out(`${v}\n`);
        }
        break;
      }
      case 'scan':
        await scan(db, options);
        break;
      case 'stats':
        await out(`${formatStats(await db.stats())}\n${formatRecovery(db.recovery)}`);
        break;
      case 'check':
        code = await check(db);
        await out(formatRecovery(db.recovery));
        break;
      case 'compact': {
        const t0 = performance.now();
        await db.compact({ major: true });
        await out(`compact: done in ${ms(performance.now() - t0)} (major: every table merged into one run ` +
          `in the last level)\n\n${formatStats(await db.stats())}`);
        break;
      }
      default:
        throw new UsageError(`unknown command ${cmd}`);
    }
  } finally {
    await db.close();
  }
  return code;
}

async function scan(db, options) {
  const it = db.iterator(options);
  try {
    for (;;) {
      const page = await it.nextv(1000);
      if (page.length === 0) break;
      let text = '';
      for (const [k, v] of page) text += `${k}\t${v}\n`;
      await out(text);
    }
  } finally {
    await it.close();
  }
}

// Reads every entry (key and value) through one full scan: every data block of every live
// table is read and its checksum verified.
async function check(db) {
  const t0 = performance.now();
  let count = 0;
  let size = 0;
  let last;
  const it = db.iterator({ keyEncoding: 'buffer', valueEncoding: 'buffer' });
  try {
    for (;;) {
      const page = await it.nextv(4096);
      if (page.length === 0) break;
      for (const [k, v] of page) size += k.length + v.length;
      count += page.length;
      last = page[page.length - 1][0];
    }
  } catch (err) {
    const after = last === undefined ? '' : `, the last ${JSON.stringify(Buffer.from(last).toString('utf8'))}`;
    process.stderr.write(`strata: check failed after ${num(count)} good entries (read in pages of 4,096${after})\n`);
    throw err;
  } finally {
    await it.close();
  }
  await out(`check: ok, ${num(count)} entries (${bytes(size)} of keys and values) read in ${ms(performance.now() - t0)}\n`);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// demo

// A deterministic record generator, so reads can be checked against what was written.
const pad = (i) => String(i).padStart(7, '0');
const keyOf = (i) => `user/${pad(i)}`;
const NAMES = ['ada', 'grace', 'edsger', 'barbara', 'donald', 'frances', 'ken', 'radia', 'tony', 'margaret'];
function valueOf(i, version = 1) {
  const name = NAMES[i % NAMES.length];
  return JSON.stringify({ id: i, name: `${name}-${i}`, email: `${name}${i}@example.com`, score: (i * 7919) % 1000, version });
}

// xorshift32: random but repeatable sample keys.
function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 0x100000000;
  };
}

// A progress bar on stderr: redrawn in place on a terminal, a few plain lines otherwise.
function progress(total, label) {
  const tty = !!process.stderr.isTTY;
  const start = performance.now();
  let lastDraw = 0;
  let nextMark = 0.25;
  const line = (done) => {
    const frac = total ? done / total : 1;
    const secs = (performance.now() - start) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const width = 30;
    const filled = Math.round(frac * width);
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(frac * 100)).padStart(3)}% ` +
      `${num(done)}/${num(total)}  ${num(rate)} records/s`;
  };
  return {
    update(done) {
      const now = performance.now();
      if (tty) {
        if (now - lastDraw >= 80 || done === total) {
          lastDraw = now;
          process.stderr.write(`\r${line(done)}\x1b[K`);
        }
      } else if (total && done / total >= nextMark) {
        while (done / total >= nextMark) nextMark += 0.25;
        process.stderr.write(`${line(done)}\n`);
      }
    },
    end(done) {
      if (tty) process.stderr.write(`\r${line(done)}\x1b[K\n`);
      else if (done < total || nextMark <= 1) process.stderr.write(`${line(done)}\n`);
    },
  };
}

// The demo may only remove a folder that an earlier demo made (it leaves DEMO_MARKER in it).
function prepareDemoDir(dir) {
  if (!fs.existsSync(dir)) return;
  const entries = fs.readdirSync(dir);
  if (entries.length === 0) return;
  if (!entries.includes(DEMO_MARKER)) {
    throw new StrataError('STRATA_EXISTS', `${dir} exists and was not made by strata demo; remove it or pass --dir`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

const DEMO_MEMTABLE = 4 << 20;
const yieldToEngine = () => new Promise((resolve) => setImmediate(resolve));

function shownDir(dir) {
  const rel = path.relative(process.cwd(), dir);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : dir;
}

async function demo(args) {
  const { positionals, options } = parseArgs(args, { dir: 'string', count: 'number' });
  expectArgs('demo', positionals, []);
  const dir = path.resolve(options.dir ?? './data');
  const count = options.count ?? 200_000;
  if (count < 1) throw new UsageError('--count must be at least 1');
  const timings = [];
  const timed = async (name, fn) => {
    const t0 = performance.now();
    const r = await fn();
    timings.push([name, performance.now() - t0]);
    return r;
  };
  const say = (s = '') => out(`${s}\n`);

  prepareDemoDir(dir);
  await say(`strata demo: ${num(count)} records in ${dir}`);
  const db = await timed('open', () => open(dir, {
    valueEncoding: 'utf8', keyEncoding: 'utf8', compression: 'lz4',
    memtableSize: DEMO_MEMTABLE, // small, so the load flushes several tables as it goes
  }));
  fs.writeFileSync(path.join(dir, DEMO_MARKER), 'made by `strata demo`; the next demo removes this folder\n');
  let snap;
  try {
    // 1. load
    const BATCH = 1000;
    const bar = progress(count, 'load');
    await timed('load', async () => {
      for (let i = 0; i < count; i += BATCH) {
        const ops = [];
        for (let j = i; j < Math.min(count, i + BATCH); j++) ops.push({ type: 'put', key: keyOf(j), value: valueOf(j) });
        await db.batch(ops);
        bar.update(Math.min(count, i + BATCH));
        await yieldToEngine(); // lets the scheduled flush steps run between batches
      }
    });
    bar.end(count);
    const loadMs = timings.at(-1)[1];
    await say(`loaded ${num(count)} records in batches of ${num(BATCH)} in ${ms(loadMs)} (${num(count / (loadMs / 1000))} records/s)`);

    // 2. random gets
    const samples = Math.min(count, 10_000);
    const rand = rng(42);
    const sampleKeys = Array.from({ length: samples }, () => Math.floor(rand() * count));
    let wrong = 0;
    await timed('random gets', async () => {
      for (const i of sampleKeys) if ((await db.get(keyOf(i))) !== valueOf(i)) wrong++;
    });
    const getMs = timings.at(-1)[1];
    await say(`random gets: ${num(samples)} keys in ${ms(getMs)} (${num(samples / (getMs / 1000))} gets/s, ` +
      `${(getMs * 1000 / samples).toFixed(1)} µs each), ${wrong === 0 ? 'all values correct' : `${wrong} WRONG`}`);

    // 3. prefix scan: the 100 keys around the middle
    const mid = Math.floor(count / 2);
    const prefix = keyOf(mid).slice(0, -2);
    const scanned = await timed('prefix scan', () => db.iterator({ prefix }).all());
    await say(`prefix scan "${prefix}": ${num(scanned.length)} records in ${ms(timings.at(-1)[1])}; first and last:`);
    for (const [k, v] of [scanned[0], scanned.at(-1)].filter(Boolean)) await say(`  ${k}\t${v}`);

    // 4. snapshot, overwrite, compare
    snap = db.snapshot();
    const overwrite = [...new Set(sampleKeys)].slice(0, 1000);
    await timed('overwrite', () => db.batch(overwrite.map((i) => ({ type: 'put', key: keyOf(i), value: valueOf(i, 2) }))));
    let snapOld = 0;
    let dbNew = 0;
    for (const i of overwrite) {
      if ((await snap.get(keyOf(i))) === valueOf(i, 1)) snapOld++;
      if ((await db.get(keyOf(i))) === valueOf(i, 2)) dbNew++;
    }
    const shown = overwrite[0];
    await say(`snapshot taken, then ${num(overwrite.length)} keys overwritten with version 2; for ${keyOf(shown)}:`);
    await say(`  snapshot reads ${await snap.get(keyOf(shown))}`);
    await say(`  database reads ${await db.get(keyOf(shown))}`);
    const snapOk = snapOld === overwrite.length && dbNew === overwrite.length;
    await say(`snapshot check: ${snapOk ? 'ok' : 'FAILED'}: the snapshot reads the old value of ${num(snapOld)}/${num(overwrite.length)} keys, ` +
      `the database the new value of ${num(dbNew)}/${num(overwrite.length)}`);
    snap.close();
    snap = undefined;

    // 5. flush and stats
    await timed('flush', () => db.flush());
    await say(`flushed in ${ms(timings.at(-1)[1])}`);
    await say();
    await say(formatStats(await db.stats()));
    await timed('close', () => db.close());

    let du = 0;
    const walk = (d) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, e.name); if (e.isDirectory()) walk(p); else du += fs.statSync(p).size; } };
    walk(dir);
    const total = timings.reduce((s, [, t]) => s + t, 0);
    await say(table([['timing', 'ms'], ...timings.map(([n, t]) => [n, t.toFixed(1)]), ['total', total.toFixed(1)]]));
    await say();
    await say(`on disk: ${bytes(du)} in ${dir} (the next \`strata demo\` removes it; ` +
      `try: node bindings/js/bin/strata.js ${shownDir(dir)} get ${keyOf(shown)})`);
    if (wrong || !snapOk) {
      process.stderr.write('strata: demo: some reads returned unexpected values\n');
      return 1;
    }
    return 0;
  } finally {
    snap?.close();
    await db.close();
  }
}

// ---------------------------------------------------------------------------------------------
// repair

async function repair(dir, args) {
  if (args.length) throw new UsageError(`repair takes no arguments after DIR (got ${args.join(' ')})`);
  const r = await repairDatabase(dir);
  let text = '';
  for (const line of r.log) text += `${line}\n`;
  text += `repair: ${num(r.tablesFound)} tables found, ${num(r.tablesKept)} kept, ${num(r.tablesDamaged)} damaged ` +
    `and ${num(r.tablesObsolete)} obsolete (moved to lost/), ${num(r.tablesMerged)} merged, ${num(r.tablesWritten)} written\n`;
  text += `journals: ${num(r.journalsRead)} read, ${num(r.journalBatchesSalvaged)} batches salvaged, ` +
    `${num(r.journalBatchesLost)} damaged batches and ${num(r.journalBytesLost)} damaged bytes lost, ` +
    `${num(r.journalTornBytes)} torn bytes\n`;
  text += `manifest slots damaged ${num(r.manifestSlotsDamaged)}, files moved to lost/ ${num(r.filesMovedToLost)}\n`;
  text += `entries ${num(r.entries)}, highest seqno ${num(r.highestSeqno)}\n`;
  await out(text);
  return 0;
}

// ---------------------------------------------------------------------------------------------

async function main(argv) {
  const [first, ...rest] = argv;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    (first === undefined ? process.stderr : process.stdout).write(USAGE);
    return first === undefined ? 2 : 0;
  }
  if (first === 'demo' && !DB_COMMANDS.has(rest[0])) return demo(rest);
  if (first === 'repair' && rest.length >= 1 && !DB_COMMANDS.has(rest[0])) return repair(rest[0], rest.slice(1));
  const [cmd, ...args] = rest;
  if (cmd === 'repair') return repair(first, args);
  if (!DB_COMMANDS.has(cmd)) {
    process.stderr.write(`strata: ${cmd === undefined ? 'no command given' : `unknown command ${JSON.stringify(cmd)}`}\n${USAGE}`);
    return 2;
  }
  return runDbCommand(first, cmd, args);
}

process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0); // e.g. `strata DIR scan | head`
  throw err;
});

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err) => { process.exitCode = fail(err); });
