// The dedicated worker a page's open() starts (index_browser.js): its first message is
// { open: { name, options } } (or { import: ... }, index_browser.js importFromPage), answered with the ready message (worker_serve.js) once the
// database is open in this thread, after which it serves the page's requests in order. Imports
// only by relative URL (import maps do not apply inside workers).
import { openHere, serveImport } from './index_browser.js';
import { failedMessage, readyMessage, serve } from './worker_serve.js';

self.addEventListener('message', async (e) => {
  const { open, import: imported } = e.data ?? {};
  if (imported) {
    serveImport(imported, self); // { import: { name, options } }: pulls the image's chunks
    return;
  }
  let db;
  try {
    db = await openHere(open.name, open.options);
  } catch (err) {
    self.postMessage({ ...failedMessage(err), lock: err?.lockName }); // lock: multiTab connects to its holder
    return;
  }
  serve({ post: (msg, transfer) => self.postMessage(msg, transfer), listen: (fn) => self.addEventListener('message', (ev) => fn(ev.data)) }, db);
  self.postMessage({ ...readyMessage(db), backend: db.backend, build: db.build });
}, { once: true });
