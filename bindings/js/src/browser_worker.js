// The dedicated worker a page's open() starts (index_browser.js): its first message is
// { open: { name, options } }, answered with the ready message (worker_serve.js) once the
// database is open in this thread, after which it serves the page's requests in order; or
// { control: { op, args, options } } (deleteDatabase, listDatabases), answered with
// { done, value } or { done: false, error }. Imports only by relative URL (import maps do not
// apply inside workers).
import { toWire } from './errors.js';
import { deleteDatabase, listDatabases, openHere } from './index_browser.js';
import { failedMessage, readyMessage, serve } from './worker_serve.js';

self.addEventListener('message', async (e) => {
  const { open, control } = e.data ?? {};
  if (control) {
    try {
      const value = control.op === 'delete' ? await deleteDatabase(...control.args, control.options) : await listDatabases(control.options);
      self.postMessage({ done: true, value });
    } catch (err) {
      self.postMessage({ done: false, error: toWire(err) });
    }
    return;
  }
  let db;
  try {
    db = await openHere(open.name, open.options);
  } catch (err) {
    self.postMessage(failedMessage(err));
    return;
  }
  serve({ post: (msg, transfer) => self.postMessage(msg, transfer), listen: (fn) => self.addEventListener('message', (ev) => fn(ev.data)) }, db);
  self.postMessage({ ...readyMessage(db), backend: db.backend, build: db.build });
}, { once: true });
