// The browser test harness: a static server for the repository, headless Chromium driven by
// playwright-core on a reusable profile, and helpers that run an exported function of a test
// module in a page or in a dedicated worker and bring back its result or its error.
//
//   const s = await session(t);        // server + browser on a fresh profile; closed after t
//   const page = await s.page();       // a page on tests/browser/harness.html (not isolated)
//   const page2 = await s.page({ isolated: true });   // same origin, served with COOP/COEP
//   await s.run(page, 'tests/browser/fixtures.mjs', 'fn', arg1, ...)   // in the page
//   const w = await s.worker(page);    // a dedicated module worker started by that page
//   await w.run('tests/browser/fixtures.mjs', 'fn', ...args)           // in the worker
//   await s.restart();                 // close the browser and launch it again on the same profile
//   await s.crash();                   // SIGKILL every browser process, then relaunch on the profile
//
// Module paths are relative to the repository root. Modules stay loaded in a page or a worker
// between calls (their module-level state persists), until the page reloads or the worker ends.
// A call that throws in the browser rejects here with the browser's name, code, message, stack
// and cause, plus the page errors and console errors seen since the page opened.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const chromiumPath = process.env.STRATA_CHROMIUM || '/usr/bin/chromium';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

// Paths under this prefix are the same files served with COOP/COEP (crossOriginIsolated pages).
export const ISOLATED_PREFIX = '/coi';

// A static server for `dir` on 127.0.0.1 (a free port). Same origin for both kinds of page, so
// they share storage: `/x` plain, `/coi/x` with Cross-Origin-Opener/Embedder-Policy. `port`: 0
// picks a free one.
export async function startServer(dir = root, { port = 0 } = {}) {
  const base = path.resolve(dir);
  const server = http.createServer((req, res) => {
    let url;
    try {
      url = new URL(req.url, 'http://127.0.0.1');
    } catch {
      res.writeHead(400).end();
      return;
    }
    let p = decodeURIComponent(url.pathname);
    const headers = { 'Cache-Control': 'no-store', 'Cross-Origin-Resource-Policy': 'same-origin' };
    if (p === ISOLATED_PREFIX || p.startsWith(ISOLATED_PREFIX + '/')) {
      p = p.slice(ISOLATED_PREFIX.length) || '/';
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    const file = path.resolve(base, '.' + p);
    if (file !== base && !file.startsWith(base + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    fs.stat(file, (err, st) => {
      if (err || !st.isFile()) {
        res.writeHead(404, headers).end(`not found: ${p}`);
        return;
      }
      headers['Content-Type'] = MIME[path.extname(file)] || 'application/octet-stream';
      headers['Content-Length'] = st.size;
      res.writeHead(200, headers);
      if (req.method === 'HEAD') res.end();
      else fs.createReadStream(file).pipe(res);
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    url: (rel, { isolated = false } = {}) => `${origin}${isolated ? ISOLATED_PREFIX : ''}/${rel.replace(/^\//, '')}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

// Chromium on a persistent profile (kept across restart()/crash()). Its temp folder is inside
// the profile: Chromium puts its singleton socket's folder (org.chromium.Chromium.*) in TMPDIR
// and a killed browser never removes it, so it goes with the profile instead.
async function launch(profileDir) {
  const args = ['--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--no-first-run', '--disable-sync', '--disable-features=Translate'];
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  const tmp = path.join(profileDir, 'tmp');
  fs.mkdirSync(tmp, { recursive: true });
  return chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    headless: true,
    args,
    env: { ...process.env, TMPDIR: tmp },
  });
}

// The main browser process of a profile: the child of this process whose command line names the
// profile folder (playwright spawns it detached, so it leads its own process group).
function browserPid(profileDir) {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmd.includes(`--user-data-dir=${profileDir}`)) continue;
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return 0;
}

// Every descendant of `pid` (read from /proc before anything is killed).
function descendants(pid) {
  const children = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  const out = [];
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop();
    for (const c of children.get(p) || []) {
      out.push(c);
      todo.push(c);
    }
  }
  return out;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// Recreates an Error thrown in the browser (serialized by harness_common.mjs).
function browserError(e, where, errors) {
  const err = new Error(`${where}: ${e?.name || 'Error'}${e?.code ? ` [${e.code}]` : ''}: ${e?.message}`);
  err.browserName = e?.name;
  err.code = e?.code;
  err.browserMessage = e?.message;
  if (e?.cause) err.cause = e.cause;
  const extra = [];
  if (e?.stack) extra.push(`browser stack:\n${e.stack}`);
  if (e?.cause) extra.push(`cause: ${JSON.stringify(e.cause)}`);
  if (errors.length) extra.push(`page/console errors:\n  ${errors.join('\n  ')}`);
  if (extra.length) err.message += '\n' + extra.join('\n');
  return err;
}

const live = new Set(); // sessions not yet closed, cleaned up at exit if a test forgot
process.on('exit', () => {
  for (const s of live) s.killSync();
});

// A server and a browser on a fresh temp profile. Pass the node:test context `t` (or call close()
// yourself): everything (pages, browser, server, profile folder) goes when the test ends, failed
// or not.
export async function session(t) {
  const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-browser-'));
  let server = null;
  let context = null;
  let closed = false;
  const errors = new Map(); // page -> [messages]

  const s = {
    profileDir,
    get origin() {
      return server.origin;
    },
    get context() {
      return context;
    },
    url: (rel, opts) => server.url(rel, opts),

    // A new page on the harness page (or `rel`), ready for run()/worker().
    async page({ isolated = false, rel = 'tests/browser/harness.html' } = {}) {
      const page = await context.newPage();
      const list = [];
      errors.set(page, list);
      page.on('pageerror', (e) => list.push(`pageerror: ${e?.stack || e}`));
      page.on('console', (m) => {
        if (m.type() === 'error') list.push(`console.error: ${m.text()}`);
      });
      page.on('crash', () => list.push('the page crashed'));
      // dedicated workers' own console errors (not all Playwright versions route them to the page)
      page.on('worker', (w) => {
        w.on('console', (m) => {
          const text = `worker console.error: ${m.text()}`;
          if (m.type() === 'error' && !list.includes(text)) list.push(text);
        });
      });
      await page.goto(server.url(rel, { isolated }));
      await page.waitForFunction(() => globalThis.__strataHarness?.ready === true);
      return page;
    },

    // Reloads a page and waits for the harness again (module state and workers are gone).
    async reload(page) {
      await page.reload();
      await page.waitForFunction(() => globalThis.__strataHarness?.ready === true);
    },

    errorsOf(page) {
      return errors.get(page) || [];
    },

    // Calls export `name` of module `rel` in the page with JSON-able `args`; resolves with its
    // (awaited) JSON-able result.
    async run(page, rel, name, ...args) {
      const r = await page.evaluate(([u, n, a]) => globalThis.__strataHarness.run(u, n, a), [
        '/' + rel.replace(/^\//, ''), name, args]);
      if (!r.ok) throw browserError(r.error, `${rel}#${name} in the page`, s.errorsOf(page));
      return r.value;
    },

    // A dedicated module worker started by `page`; run() calls exports in it.
    async worker(page) {
      const id = await page.evaluate(() => globalThis.__strataHarness.newWorker());
      return {
        id,
        run: async (rel, name, ...args) => {
          const r = await page.evaluate(([w, u, n, a]) => globalThis.__strataHarness.runInWorker(w, u, n, a), [
            id, '/' + rel.replace(/^\//, ''), name, args]);
          if (!r.ok) throw browserError(r.error, `${rel}#${name} in worker ${id}`, s.errorsOf(page));
          return r.value;
        },
        terminate: () => page.evaluate((w) => globalThis.__strataHarness.terminateWorker(w), id),
      };
    },

    // Closes the browser normally and launches it again on the same profile.
    async restart() {
      await context.close();
      context = await launch(profileDir);
    },

    // SIGKILLs the browser and every process it started, then relaunches on the same profile.
    async crash() {
      const pid = browserPid(profileDir);
      if (!pid) throw new Error('crash(): the browser process was not found');
      const all = [pid, ...descendants(pid)];
      for (const p of all) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      const deadline = Date.now() + 10000;
      while (all.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await context.close().catch(() => {});
      context = await launch(profileDir);
    },

    killSync() {
      const pid = browserPid(profileDir);
      if (pid) {
        for (const p of [pid, ...descendants(pid)]) {
          try {
            process.kill(p, 'SIGKILL');
          } catch {
            // gone
          }
        }
      }
      fs.rmSync(profileDir, { recursive: true, force: true });
    },

    async close() {
      if (closed) return;
      closed = true;
      live.delete(s);
      try {
        if (context) {
          let timer;
          await Promise.race([context.close(), new Promise((r) => (timer = setTimeout(r, 10000)))]);
          clearTimeout(timer);
        }
      } catch {
        // a crashed browser
      }
      if (browserPid(profileDir)) s.killSync();
      if (server) await server.close();
      fs.rmSync(profileDir, { recursive: true, force: true });
    },
  };
  live.add(s);
  if (t?.after) t.after(() => s.close());
  try {
    server = await startServer(root);
    context = await launch(profileDir);
  } catch (e) {
    await s.close();
    throw e;
  }
  return s;
}
