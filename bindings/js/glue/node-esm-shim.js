// --extern-pre-js for the ES-module build: the 3.1.6 glue uses require, __filename and __dirname,
// which ES modules lack under Node. Browsers skip this (the module there never touches them).
const strataOnNode = typeof process === 'object' && !!(process.versions && process.versions.node);
const require = strataOnNode ? (await import('node:module')).createRequire(import.meta.url) : undefined;
const __filename = strataOnNode ? (await import('node:url')).fileURLToPath(import.meta.url) : undefined;
const __dirname = strataOnNode ? (await import('node:path')).dirname(__filename) : undefined;
