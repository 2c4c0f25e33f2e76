// --pre-js: lets Emscripten 3.1.6 glue load its separate .wasm under Node >= 18.
// That glue calls the global fetch() whenever it exists, and fetch cannot read a file path
// ("Failed to parse URL"), so under Node fetch is shadowed inside the module's scope and the
// .wasm is found next to the script.
var fetch = (typeof process === 'object' && process.versions && process.versions.node) ? undefined : globalThis.fetch;
if (typeof fetch === 'undefined' && !Module['locateFile'] && !Module['wasmBinary'] && !Module['instantiateWasm']) {
  Module['locateFile'] = function (name, dir) { return dir + name; };
}
