// A fault-injecting storage host wrapper for the tests: storage that is "full" after `limit`
// bytes. Every write, append and replace through the wrapper counts its bytes; the one that
// would pass the limit fails, writing nothing, with STRATA_QUOTA and a QuotaExceededError
// DOMException as the error's cause -- what OPFS sync handles throw when the origin's quota is
// exhausted (Chromium cannot easily be made to run out). setLimit(null) lifts the limit.
import { CODES, ERR_CAP } from '../../bindings/js/src/host_common.js';

export function quotaAfter(host, limit) {
  let used = 0;
  let lastError = null;
  let lastMessage = null;
  const state = {
    setLimit(bytes) {
      limit = bytes;
      used = 0;
    },
    get used() {
      return used;
    },
  };
  function refuse(op, n, errPtr) {
    lastError = new DOMException(`injected: the origin's storage quota is exhausted (${used} of ${limit} bytes used, ${n} more asked)`, 'QuotaExceededError');
    lastMessage = `${op}: QuotaExceededError: ${lastError.message}`;
    host.module.stringToUTF8(lastMessage, errPtr, ERR_CAP);
    return -CODES.QUOTA;
  }
  function counted(op, sizeArg) {
    return (...args) => {
      const n = args[sizeArg];
      const errPtr = args[args.length - 1];
      if (limit !== null && used + n > limit) return refuse(op, n, errPtr);
      const r = host[op](...args);
      if (r >= 0) used += n;
      return r;
    };
  }
  const own = {
    write: counted('write', 3), // (fd, off, data, n, err)
    append: counted('append', 2), // (fd, data, n, err)
    replace: counted('replace', 2), // (path, data, n, err)
    takeLastError(message) {
      const err = lastError;
      const msg = lastMessage;
      lastError = lastMessage = null;
      if (err && msg && message.includes(msg)) {
        host.takeLastError?.(message); // and forget the inner host's
        return err;
      }
      return host.takeLastError?.(message) ?? null;
    },
  };
  return new Proxy(host, {
    get(target, prop) {
      if (Object.hasOwn(own, prop)) return own[prop];
      if (Object.hasOwn(state, prop)) return Reflect.get(state, prop);
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
    set(target, prop, v) {
      return Reflect.set(target, prop, v, target);
    },
  });
}
