// --pre-js of the package's engine module (bindings/js/dist/{st,mt}/strata.mjs), before
// node-pre.js. The module runs in Node, in browser pages and in workers
// (-sENVIRONMENT=web,worker,node) and imports nothing itself, so browsers and bundlers meet no
// Node built-in. Under Node, Emscripten 3.1.6's glue calls require and reads __dirname, which ES
// modules lack: the package's Node loader (bindings/js/src/engine.js) passes them as
// Module.strataNode = { require, dirname }; in a pthread worker under Node, Emscripten's worker
// script (CommonJS) has put its require on the global. Browsers have neither and need neither.
var require = Module['strataNode'] ? Module['strataNode'].require
  : (typeof process === 'object' && typeof globalThis.require === 'function' ? globalThis.require : undefined);
var __dirname = Module['strataNode'] ? Module['strataNode'].dirname : undefined;
