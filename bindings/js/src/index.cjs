'use strict';
// CommonJS entry of strata-lsm. The engine is an ES module (Emscripten's loader), so `open`
// loads it with a dynamic import; everything it returns is the same as from the ES entry.
const { StrataError } = require('./errors.cjs');

let esm;
function load() {
  esm ??= import('./index.js');
  return esm;
}

async function open(location, options) {
  return (await load()).open(location, options);
}

async function repairDatabase(location, options) {
  return (await load()).repairDatabase(location, options);
}

async function importDatabase(location, image, options) {
  return (await load()).importDatabase(location, image, options);
}

module.exports = { open, repairDatabase, importDatabase, StrataError };
