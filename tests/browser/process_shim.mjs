// esbuild --inject for bundles of Node-flavoured test code (tape): the global `process`.
export { default as process } from 'process/browser.js';
