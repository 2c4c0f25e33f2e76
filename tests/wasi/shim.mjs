// The second WASI implementation of the tests: @bjorn3/browser_wasi_shim, which shares no code
// with node:wasi (uvwasi) and runs in browsers too. Its file system is its own in-memory one
// (Directory / File objects); nothing here uses Node, so the browser test loads this file as is.
// A relative path, not the bare name: pages load this file as it is, without an import map.
import { ConsoleStdout, Directory, File, OpenFile, PreopenDirectory, WASI } from '../../node_modules/@bjorn3/browser_wasi_shim/dist/index.js';

export { Directory, File };

// A folder tree in the shim's memory: a Map of name -> File | Directory. Instances made over the
// same tree see each other's files, as two processes on one disk do.
export function newTree() {
  return new Map();
}

// Instantiates `module` (a compiled WebAssembly.Module) under the shim with `tree` preopened as
// `guest`. Returns { instance, wasi, out, err } where out/err collect stdout/stderr text.
export async function instantiate(module, { tree, guest = '/db', args = ['strata'], env = {} }) {
  const out = [];
  const err = [];
  const dec = () => { const d = new TextDecoder(); return (b) => d.decode(b, { stream: true }); };
  const [o, e] = [dec(), dec()];
  const fds = [
    new OpenFile(new File([])), // stdin: empty
    new ConsoleStdout((b) => out.push(o(b))),
    new ConsoleStdout((b) => err.push(e(b))),
    new PreopenDirectory(guest, tree),
  ];
  const wasi = new WASI(args, Object.entries(env).map(([k, v]) => `${k}=${v}`), fds, { debug: false });
  linkRefusesExisting(wasi);
  const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wasi.wasiImport });
  return { instance, wasi, stdout: () => out.join(''), stderr: () => err.join('') };
}

// path_link of browser_wasi_shim 0.4.2 replaces an existing file at the new name (it shares the
// code of rename); POSIX link() fails with EEXIST, and the folder lock relies on that to publish
// LOCK atomically (docs/LOCKING.md rule 1). This host refuses an existing name first.
const ERRNO_EXIST = 20;
function linkRefusesExisting(wasi) {
  const link = wasi.wasiImport.path_link;
  wasi.wasiImport.path_link = (oldFd, oldFlags, oldPath, oldLen, newFd, newPath, newLen) => {
    const dir = wasi.fds[newFd];
    if (dir && typeof dir.path_lookup === 'function') {
      const name = new TextDecoder().decode(new Uint8Array(wasi.inst.exports.memory.buffer, newPath, newLen));
      if (dir.path_lookup(name, 0).inode_obj) return ERRNO_EXIST;
    }
    return link(oldFd, oldFlags, oldPath, oldLen, newFd, newPath, newLen);
  };
}

// Runs a command module to its exit; resolves with { code, stdout, stderr }.
export async function runCommand(module, { tree, guest, args, env }) {
  const r = await instantiate(module, { tree, guest, args, env });
  const code = r.wasi.start(r.instance);
  return { code, stdout: r.stdout(), stderr: r.stderr() };
}

// Instantiates the reactor and runs its _initialize.
export async function instantiateReactor(module, opts) {
  const r = await instantiate(module, opts);
  r.wasi.initialize(r.instance);
  return r;
}

// The file at `rel` (a path of '/'-separated names) in a tree, or undefined.
export function lookup(tree, rel) {
  let node = { contents: tree };
  for (const name of rel.split('/').filter((n) => n !== '' && n !== '.')) {
    if (!(node instanceof Directory) && !node.contents) return undefined;
    node = node.contents.get(name);
    if (node === undefined) return undefined;
  }
  return node;
}

// A tree seen from the host, as the reactor's test table wants it (reactor_cases.mjs: h.files).
export function treeFiles(tree) {
  const at = (rel) => {
    const node = lookup(tree, rel);
    if (!node) throw new Error(`no ${rel} in the shim's tree`);
    return node;
  };
  return {
    list: (rel) => [...at(rel).contents.keys()].sort(),
    read: (rel) => new Uint8Array(at(rel).data),
    write: (rel, bytes) => { at(rel).data = new Uint8Array(bytes); },
  };
}
