// The dedicated worker of a page's databases (index_browser.js PageWorker): one per page (and
// workerUrl) serving every database the page opens, all on one engine instance (openHere). Its
// control messages, each answered with its id: { open: { name, options }, channel } opens the
// database in this thread and serves it (worker_serve.js) on the requests that carry
// `channel` (worker_protocol.js: requests are arrays, control messages objects), over this
// worker's own postMessage, answering with the ready message (or the
// failed one); { dropChannel } forgets a channel the page let go of; { deleteMemory: name } forgets a memory database this worker
// holds ({ value: true/false } or { error }; the page keeps their names for listDatabases). A worker started for an import gets { import: ... } instead
// (index_browser.js importFromPage). Imports only by relative URL (import maps do not apply
// inside workers).
import { deleteMemory } from './browser_backends.js';
import { StrataError, toWire } from './errors.js';
import { openHere, serveImport } from './index_browser.js';
import { errorReply } from './worker_protocol.js';
import { failedMessage, readyMessage, serve } from './worker_serve.js';

const channels = new Map(); // channel number -> the request handler of the database served on it

async function open(id, { name, options }, ch) {
  let db;
  try {
    db = await openHere(name, options);
  } catch (err) {
    self.postMessage({ id, ...failedMessage(err), lock: err?.lockName }); // lock: multiTab connects to its holder
    return;
  }
  // requests and replies carry their channel number (worker_protocol.js)
  serve({ post: (msg, transfer) => self.postMessage(msg, transfer), listen: (fn) => { channels.set(ch, fn); } }, db);
  self.postMessage({ id, ...readyMessage(db), backend: db.backend, build: db.build });
}

// A request on a channel no longer served (the page let go of it) still gets its answer.
function request(msg) {
  const served = channels.get(msg[0]);
  if (served) served(msg);
  else if (msg[1]) self.postMessage(errorReply(msg[0], msg[1], toWire(new StrataError('STRATA_NOT_OPEN', `${msg[3]}: the database is closed`))));
}

function answer(id, fn) {
  try {
    self.postMessage({ id, value: fn() });
  } catch (err) {
    self.postMessage({ id, error: toWire(err) });
  }
}

self.addEventListener('message', (e) => {
  const msg = e.data ?? {};
  if (Array.isArray(msg)) request(msg); // a request of worker_proxy.js
  else if (msg.dropChannel !== undefined) channels.delete(msg.dropChannel);
  else if (msg.import) serveImport(msg.import, self); // { import: { name, options } }: pulls the image's chunks
  else if (msg.open) open(msg.id, msg.open, msg.channel);
  else if (typeof msg.deleteMemory === 'string') answer(msg.id, () => deleteMemory(msg.deleteMemory));
});
