// `npm run example` (examples/web/serve.mjs): it serves the page on 127.0.0.1 and prints two
// URLs, the page without COOP/COEP (the single-threaded build) and the same page with them (the
// pthreads build); both URLs answer with the page, the engine files load with the right types,
// and SIGINT stops it. (tests/browser/example_web.test.mjs drives the page itself in Chromium.)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { root } from './helpers.mjs';

test('npm_run_example_serves_the_page_with_and_without_coop_coep_and_prints_both_urls', {
  skip: !fs.existsSync(path.join(root, 'bindings/js/dist/st/strata.wasm')) && 'bindings/js/dist/st is not built',
}, async (t) => {
  const proc = spawn(process.execPath, [path.join(root, 'examples/web/serve.mjs'), '--no-build', '--port', '0'], {
    cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => proc.kill('SIGKILL'));
  let out = '';
  proc.stdout.setEncoding('utf8');
  const urls = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URLs printed: ${out}`)), 10000);
    proc.stdout.on('data', (c) => {
      out += c;
      if (out.includes('Ctrl-C to stop.')) {
        clearTimeout(timer);
        resolve([...out.matchAll(/^ {2}(http:\/\/127\.0\.0\.1:\d+\/\S+)\s+(.*)$/gm)].map((m) => ({ url: m[1], what: m[2] })));
      }
    });
    proc.on('exit', (code) => reject(new Error(`serve.mjs exited ${code}: ${out}`)));
  });
  assert.equal(urls.length, 2, out);
  const [plain, isolated] = urls;
  assert.match(plain.what, /single-threaded build \(no COOP\/COEP\)/);
  assert.match(isolated.what, /pthreads build \(served with COOP\/COEP\)/);
  assert.match(plain.url, /\/examples\/web\/index\.html$/);
  assert.equal(new URL(isolated.url).port, new URL(plain.url).port, 'one server, one origin for both');

  const page = await fetch(plain.url);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /^text\/html/);
  assert.equal(page.headers.get('cross-origin-opener-policy'), null);
  const html = await page.text();
  assert.match(html, /<script type="module" src="[^"]*app\.mjs"/, 'the page loads its app');
  const iso = await fetch(isolated.url);
  assert.equal(iso.status, 200);
  assert.equal(iso.headers.get('cross-origin-opener-policy'), 'same-origin');
  assert.equal(iso.headers.get('cross-origin-embedder-policy'), 'require-corp');
  assert.equal(await iso.text(), html, 'the same page');
  const wasm = await fetch(new URL('/bindings/js/dist/st/strata.wasm', plain.url));
  assert.equal(wasm.status, 200);
  assert.equal(wasm.headers.get('content-type'), 'application/wasm');
  await wasm.arrayBuffer();

  const stopped = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  proc.kill('SIGINT');
  assert.deepEqual(await stopped, { code: 0, signal: null }, 'Ctrl-C stops it cleanly');
});
