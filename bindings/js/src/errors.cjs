'use strict';
// The error class of strata-lsm for the CommonJS entry. One class for every entry (so
// `instanceof` works whichever entry loaded it): the ES modules (errors.js, which browsers load
// without this file) and this one share the class through a global registry key; whichever
// loads first defines it. `code` is a stable string: STRATA_NOT_FOUND, STRATA_CORRUPTION,
// STRATA_IO, STRATA_INVALID_ARGUMENT, STRATA_NOT_SUPPORTED, STRATA_LOCKED, STRATA_NO_MEMORY,
// STRATA_EXISTS, STRATA_NOT_OPEN, STRATA_BUSY, STRATA_QUOTA.
const key = Symbol.for('strata-lsm.StrataError');
const StrataError = (globalThis[key] ??= class StrataError extends Error {
  constructor(code, message, options) {
    super(message, options);
    this.name = 'StrataError';
    this.code = code;
  }
});

module.exports = { StrataError };
