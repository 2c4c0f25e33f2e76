// StrataError and the errors every module of the package builds. `code` is the C strata_code's
// name; `cause` the underlying system or host error where there is one. Browsers load this file
// without CommonJS, so the class is defined here too and shared with errors.cjs (the CommonJS
// entry's) through a global registry key: one class whichever entry loads first.
const key = Symbol.for('strata-lsm.StrataError');
export const StrataError = (globalThis[key] ??= class StrataError extends Error {
  constructor(code, message, options) {
    super(message, options);
    this.name = 'StrataError';
    this.code = code;
  }
});

export function invalid(message) {
  return new StrataError('STRATA_INVALID_ARGUMENT', message);
}

export function notOpen(what) {
  return new StrataError('STRATA_NOT_OPEN', `${what}: the database is not open`);
}

// An error as it crosses a thread (structured clone keeps plain data only) and back.
export function toWire(err) {
  return { code: err?.code, message: String(err?.message ?? err), name: err?.name, cause: err?.cause ? toWire(err.cause) : undefined };
}

// Every error arriving from the worker is a StrataError: an engine code is kept, anything else
// (a TypeError in the worker, a host failure) becomes STRATA_IO with the original as `cause`.
// A cause comes back as it was (a system error keeps its name and code, ENOTDIR, ...), so
// err.cause is the same in worker mode as in-thread.
export function fromWire(e) {
  const cause = e.cause ? causeFromWire(e.cause) : undefined;
  if (typeof e.code === 'string' && e.code.startsWith('STRATA_')) return new StrataError(e.code, e.message, cause ? { cause } : undefined);
  const original = Object.assign(new Error(e.message), { name: e.name ?? 'Error', code: e.code });
  return new StrataError('STRATA_IO', `${e.name ?? 'Error'}: ${e.message}`, { cause: original });
}

function causeFromWire(e) {
  if (typeof e.code === 'string' && e.code.startsWith('STRATA_')) return fromWire(e);
  const cause = e.cause ? causeFromWire(e.cause) : undefined;
  return Object.assign(new Error(e.message, cause ? { cause } : undefined), { name: e.name ?? 'Error', code: e.code });
}

// The error of an aborted iterator (its `signal` option fired): named 'AbortError' as the web
// platform's and Node's are, code 'ABORT_ERR' as Node's; the signal's reason is its cause.
export function abortError(signal, what) {
  const err = new Error(`${what}: the operation was aborted`, { cause: signal.reason });
  err.name = 'AbortError';
  err.code = 'ABORT_ERR';
  return err;
}

// A `signal` option: undefined, or an AbortSignal (anything with a boolean `aborted`).
export function checkSignal(signal, what) {
  if (signal === undefined) return undefined;
  if (signal === null || typeof signal !== 'object' || typeof signal.aborted !== 'boolean') {
    throw invalid(`${what}: signal must be an AbortSignal`);
  }
  return signal;
}
