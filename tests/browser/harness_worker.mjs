// The worker side of the harness: each message names a module, an export and its arguments; the
// reply carries the outcome. Modules stay loaded between calls.
import { call, serializeError } from './harness_common.mjs';

self.onmessage = async (e) => {
  const { id, url, name, args } = e.data;
  let result = await call(url, name, args);
  try {
    self.postMessage({ id, result });
  } catch (err) {
    // a result that cannot be cloned
    result = { ok: false, error: serializeError(err) };
    self.postMessage({ id, result });
  }
};
