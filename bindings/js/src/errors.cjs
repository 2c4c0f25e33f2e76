'use strict';
// The error class of strata-lsm, shared by the ES-module and CommonJS entries (one class, so
// `instanceof` works whichever entry loaded it). `code` is a stable string: STRATA_NOT_FOUND,
// STRATA_CORRUPTION, STRATA_IO, STRATA_INVALID_ARGUMENT, STRATA_NOT_SUPPORTED, STRATA_LOCKED,
// STRATA_NO_MEMORY, STRATA_EXISTS, STRATA_NOT_OPEN, STRATA_BUSY.
class StrataError extends Error {
  constructor(code, message, options) {
    super(message, options);
    this.name = 'StrataError';
    this.code = code;
  }
}

module.exports = { StrataError };
