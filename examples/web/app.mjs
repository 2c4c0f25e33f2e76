// examples/web/app.mjs -- a log viewer over strata-lsm in a browser page: bulk load with a
// progress bar, live prefix search, an "as of" view read from a snapshot while writes go on, the
// engine's stats, a backend switch, and export/import of the whole database as one file.
//
// The page imports the package's browser entry by relative URL (no bundler): open() starts the
// package's worker and every call below is a message to it. Keys are ISO timestamps + '#' + a
// sequence number, so a key prefix is a time range and the keys sort by time.
import * as strata from '../../bindings/js/src/index_browser.js';
import { record } from './records.mjs';

const DB_NAME = 'web-example-logs';
const SHOWN = 50; // result rows per column
const COUNT_CAP = 1000000; // a search counts its matches up to this many
const BATCH = 1000; // records per batch of the bulk load

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const state = { db: null, backend: null, snapshot: null, snapshotAt: null, seq: 0, tail: null, searchId: 0, statsTimer: null };

// --- messages ---------------------------------------------------------------------------------
function banner(text, kind = 'warn') {
  const b = $('banner');
  b.hidden = !text;
  b.textContent = text || '';
  b.className = `banner ${kind}`;
}

// What this browser offers each backend, before trying it.
function lacks(backend) {
  const iso = globalThis.crossOriginIsolated === true;
  if (typeof Worker !== 'function') return 'This browser has no Web Workers: strata-lsm runs its engine in one.';
  if (typeof WebAssembly !== 'object') return 'This browser has no WebAssembly.';
  if ((backend === 'opfs' || backend === 'auto') && typeof navigator.storage?.getDirectory !== 'function') {
    return `The OPFS backend needs the Origin Private File System (navigator.storage.getDirectory), which this browser${location.protocol === 'http:' && location.hostname !== '127.0.0.1' && location.hostname !== 'localhost' ? ' only offers on secure (https or localhost) pages' : ' lacks'}. Try IndexedDB or memory.`;
  }
  if (backend === 'idb' && typeof indexedDB === 'undefined') return 'The IndexedDB backend needs IndexedDB, which this browser lacks here (private browsing?). Try OPFS or memory.';
  void iso;
  return null;
}

function explain(err, backend) {
  const code = err?.code ? ` (${err.code})` : '';
  if (err?.code === 'STRATA_NOT_SUPPORTED') return `The ${backend} backend cannot run in this browser${code}: ${err.message}`;
  if (err?.code === 'STRATA_LOCKED') return `The database is open in another tab${code}: ${err.message}`;
  if (err?.code === 'STRATA_QUOTA') return `The browser refused more storage${code}: ${err.message}`;
  return `${err?.name ?? 'Error'}${code}: ${err?.message ?? err}`;
}

// --- open / switch backend ----------------------------------------------------------------------
async function openDb(backend) {
  document.body.dataset.state = 'opening';
  setBusy(true);
  stopTail();
  clearInterval(state.statsTimer);
  banner(null);
  if (state.snapshot) { state.snapshot.close(); state.snapshot = null; }
  if (state.db) { await state.db.close().catch(() => {}); state.db = null; }
  renderAsOfHeader();
  const missing = lacks(backend);
  if (missing) {
    banner(missing);
    document.body.dataset.state = 'unsupported';
    setBusy(false, false);
    return;
  }
  try {
    state.db = await strata.open(DB_NAME, { backend, valueEncoding: 'utf8', keyEncoding: 'utf8' });
  } catch (err) {
    banner(explain(err, backend), 'error');
    document.body.dataset.state = 'unsupported';
    setBusy(false, false);
    return;
  }
  state.backend = state.db.backend;
  state.seq = await countRange(state.db, {}); // records already stored (a persistent backend)
  $('load-status').textContent = state.seq ? `${state.seq.toLocaleString()} records stored` : 'empty';
  setBusy(false, true);
  await refreshStats();
  state.statsTimer = setInterval(refreshStats, 1000);
  await search();
  document.body.dataset.state = 'open';
}

function setBusy(busy, open = !!state.db) {
  $('open').disabled = busy;
  $('backend').disabled = busy;
  for (const id of ['load', 'prefix', 'snapshot', 'tail']) $(id).disabled = busy || !open;
  const hasExport = typeof state.db?.exportBytes === 'function';
  const hasImport = typeof strata.importDatabase === 'function';
  $('export').disabled = !(open && !busy && hasExport);
  $('import').disabled = !(!busy && hasImport);
  if (!busy) {
    const why = "which this build of strata-lsm's browser entry does not have yet";
    $('image-note').textContent = !hasImport && !hasExport && open ? `Export and import need db.exportBytes() and importDatabase(), ${why}.`
      : !hasImport ? `Import needs importDatabase(), ${why}; export works.`
        : !hasExport && open ? `Export needs db.exportBytes(), ${why}.` : '';
  }
}

// --- bulk load ----------------------------------------------------------------------------------
async function bulkLoad() {
  const total = Math.max(1000, Math.min(1000000, Number($('count').value) || 100000));
  const db = state.db;
  setBusy(true);
  document.body.dataset.state = 'loading';
  const bar = $('progress');
  bar.max = total;
  bar.value = 0;
  const t0 = performance.now();
  const start = state.seq;
  try {
    for (let done = 0; done < total; done += BATCH) {
      const ops = [];
      for (let i = done; i < Math.min(total, done + BATCH); i++) {
        const r = record(start + i);
        ops.push({ type: 'put', key: r.key, value: r.value });
      }
      await db.batch(ops);
      state.seq = start + Math.min(total, done + BATCH);
      bar.value = Math.min(total, done + BATCH);
      const secs = (performance.now() - t0) / 1000;
      $('load-status').textContent = `${bar.value.toLocaleString()} / ${total.toLocaleString()} (${Math.round(bar.value / secs).toLocaleString()} records/s)`;
    }
    await db.flush();
    const secs = (performance.now() - t0) / 1000;
    $('load-status').textContent = `loaded ${total.toLocaleString()} records in ${secs.toFixed(1)} s (${Math.round(total / secs).toLocaleString()}/s); ${state.seq.toLocaleString()} stored`;
    setBusy(false);
    await refreshStats();
    await search();
    document.body.dataset.state = 'loaded';
  } catch (err) {
    banner(explain(err, state.backend), 'error');
    document.body.dataset.state = 'error';
    setBusy(false);
  }
}

// --- live tail: writes that continue while a snapshot is read -----------------------------------
function startTail() {
  if (state.tail) return;
  state.tail = setInterval(async () => {
    const db = state.db;
    if (!db) return;
    const ops = [];
    for (let i = 0; i < 20; i++) { const r = record(state.seq++); ops.push({ type: 'put', key: r.key, value: r.value }); }
    try {
      await db.batch(ops);
      $('tail-status').textContent = `${state.seq.toLocaleString()} records written`;
    } catch (err) {
      stopTail();
      banner(explain(err, state.backend), 'error');
    }
  }, 250);
}
function stopTail() {
  clearInterval(state.tail);
  state.tail = null;
  $('tail').checked = false;
}

// --- search ---------------------------------------------------------------------------------------
const rangeOf = (prefix) => (prefix ? { gte: prefix, lt: prefix + '\uffff' } : {});

// Matches of a range, counted with key-only pages, up to COUNT_CAP.
async function countRange(reader, range) {
  const it = reader.keys({ ...range, limit: COUNT_CAP });
  let n = 0;
  try {
    for (;;) {
      const page = await it.nextv(1000);
      n += page.length;
      if (page.length < 1000) return n;
    }
  } finally {
    await it.close();
  }
}

async function runSearch(reader, prefix, list, counter) {
  const range = rangeOf(prefix);
  const rows = await reader.iterator({ ...range, limit: SHOWN }).all();
  const count = await countRange(reader, range);
  list.replaceChildren(...rows.map(([k, v]) => {
    const li = document.createElement('li');
    const ks = document.createElement('span');
    ks.className = 'k';
    ks.textContent = k;
    const vs = document.createElement('span');
    vs.className = v.split(' ')[0];
    vs.textContent = ` ${v}`;
    li.append(ks, vs);
    return li;
  }));
  counter.textContent = `${count.toLocaleString()} matching${count > SHOWN ? `, first ${SHOWN} shown` : ''}`;
  counter.dataset.count = String(count);
  return count;
}

// Each keystroke starts a search; an older one that finishes later is dropped.
async function search() {
  const db = state.db;
  if (!db) return;
  const id = ++state.searchId;
  const prefix = $('prefix').value;
  try {
    const now = document.createElement('ol');
    const cNow = document.createElement('span');
    await runSearch(db, prefix, now, cNow);
    let asof = null, cAsof = null;
    if (state.snapshot) {
      asof = document.createElement('ol');
      cAsof = document.createElement('span');
      await runSearch(state.snapshot, prefix, asof, cAsof);
    }
    if (id !== state.searchId) return;
    $('results-now').replaceChildren(...now.children);
    $('count-now').textContent = cNow.textContent;
    $('count-now').dataset.count = cNow.dataset.count;
    if (asof) {
      $('results-asof').replaceChildren(...asof.children);
      $('count-asof').textContent = cAsof.textContent;
      $('count-asof').dataset.count = cAsof.dataset.count;
    }
    document.body.dataset.searched = prefix;
  } catch (err) {
    if (id === state.searchId) banner(explain(err, state.backend), 'error');
  }
}

function takeSnapshot() {
  if (state.snapshot) state.snapshot.close();
  state.snapshot = state.db.snapshot();
  state.snapshotAt = new Date();
  renderAsOfHeader();
  // the point of it: the live tail goes on writing, the snapshot's view stays where it was
  if (!state.tail) { $('tail').checked = true; startTail(); }
  search();
}
function renderAsOfHeader() {
  $('asof-time').textContent = state.snapshot
    ? `${state.snapshotAt.toLocaleTimeString()} (snapshot at ${state.seq.toLocaleString()} records)` : '(no snapshot yet)';
  if (!state.snapshot) { $('results-asof').replaceChildren(); $('count-asof').textContent = ''; delete $('count-asof').dataset.count; }
}

// --- stats ----------------------------------------------------------------------------------------
const fmtBytes = (b) => (b >= 1 << 20 ? `${(b / 1048576).toFixed(1)} MiB` : b >= 1024 ? `${(b / 1024).toFixed(1)} KiB` : `${b} B`);

async function refreshStats() {
  const db = state.db;
  if (!db) return;
  let s;
  try { s = await db.stats(); } catch { return; }
  const lookups = s.cache.hits + s.cache.misses;
  $('stat-backend').textContent = `${db.backend} (${db.build === 'mt' ? 'pthreads build' : 'single-threaded build'})`;
  $('stat-hit-rate').textContent = lookups ? `${((100 * s.cache.hits) / lookups).toFixed(1)} % of ${lookups.toLocaleString()} block lookups` : '0 lookups yet';
  $('stat-wamp').textContent = `${s.writeAmplification.toFixed(2)}x (${fmtBytes(s.bytesWritten.user)} written by the app)`;
  $('stat-memtable').textContent = `${fmtBytes(s.memtable.bytes)}, ${s.memtable.sealed} sealed`;
  $('stat-jobs').textContent = `${s.flushes} / ${s.compactions}`;
  $('stat-seqno').textContent = s.seqno.toLocaleString();
  drawLevels(s.levels);
  document.body.dataset.stats = 'ready';
}

// One bar per level: bytes (log scale, so a small L0 beside a large last level still shows),
// labelled with its tables and bytes.
function drawLevels(levels) {
  const svg = $('stat-levels');
  const W = 420, rowH = 20, left = 34, top = 18;
  const max = Math.max(1, ...levels.map((l) => l.bytes));
  const parts = [`<text x="0" y="12" font-size="12" fill="#5b6577">level · tables · bytes</text>`];
  levels.forEach((l, i) => {
    const y = top + i * rowH;
    const w = l.bytes ? Math.max(3, ((W - left - 150) * Math.log1p(l.bytes)) / Math.log1p(max)) : 0;
    parts.push(`<text x="0" y="${y + 13}" font-size="12">L${l.level}</text>`);
    parts.push(`<rect x="${left}" y="${y + 3}" width="${w.toFixed(1)}" height="13" fill="${l.tables ? '#2a5db0' : '#dde2ea'}" data-level="${l.level}" data-bytes="${l.bytes}"/>`);
    parts.push(`<text x="${left + w + 6}" y="${y + 13}" font-size="12" fill="#1d2330">${l.tables} table${l.tables === 1 ? '' : 's'} · ${fmtBytes(l.bytes)}</text>`);
  });
  svg.setAttribute('height', String(top + levels.length * rowH + 4));
  svg.innerHTML = parts.join('');
}

// --- export / import -----------------------------------------------------------------------------
async function exportFile() {
  setBusy(true);
  try {
    const bytes = await state.db.exportBytes();
    const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `${DB_NAME}.strata`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    setBusy(false);
    $('image-status').textContent = `exported ${fmtBytes(bytes.byteLength)} to ${a.download}`;
  } catch (err) {
    banner(explain(err, state.backend), 'error');
    setBusy(false);
  }
}

async function importFile(file) {
  const backend = $('backend').value;
  setBusy(true);
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    stopTail();
    if (state.snapshot) { state.snapshot.close(); state.snapshot = null; }
    if (state.db) { await state.db.close(); state.db = null; }
    if (backend !== 'memory') await strata.deleteDatabase(DB_NAME, { backend }).catch(() => {});
    await strata.importDatabase(DB_NAME, bytes, { backend });
    $('image-status').textContent = `imported ${file.name} (${fmtBytes(bytes.byteLength)})`;
  } catch (err) {
    banner(explain(err, backend), 'error');
  }
  await openDb(backend);
}

// --- wiring --------------------------------------------------------------------------------------
$('open').addEventListener('click', () => openDb($('backend').value));
$('load').addEventListener('click', bulkLoad);
$('prefix').addEventListener('input', search);
$('snapshot').addEventListener('click', takeSnapshot);
$('tail').addEventListener('change', (e) => (e.target.checked ? startTail() : stopTail()));
$('export').addEventListener('click', exportFile);
$('import').addEventListener('change', (e) => e.target.files[0] && importFile(e.target.files[0]));

$('isolation').textContent = globalThis.crossOriginIsolated
  ? 'cross-origin isolated (COOP/COEP): the pthreads build runs flushes and compactions in background threads'
  : 'not cross-origin isolated: the single-threaded build runs flushes and compactions between requests';
$('env').textContent = `OPFS ${typeof navigator.storage?.getDirectory === 'function' ? 'yes' : 'no'} · IndexedDB ${typeof indexedDB !== 'undefined' ? 'yes' : 'no'} · SharedArrayBuffer ${typeof SharedArrayBuffer === 'function' ? 'yes' : 'no'}`;
if (params.get('n')) $('count').value = params.get('n');
const initial = params.get('backend') || 'auto';
$('backend').value = initial;
setBusy(false, false);
openDb(initial);
