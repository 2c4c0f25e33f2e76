// Gives the shim (tests/wasi/shim.mjs) a real folder: loads a host folder into a shim tree before a
// run and writes the tree back afterwards, so what a module wrote under the shim is on disk for
// the native tool, node:wasi or the npm package to read, and the other way round. Node only.
import fs from 'node:fs';
import path from 'node:path';

import { Directory, File } from './shim.mjs';

export function loadTree(hostDir) {
  const tree = new Map();
  if (!fs.existsSync(hostDir)) return tree;
  for (const ent of fs.readdirSync(hostDir, { withFileTypes: true })) {
    const p = path.join(hostDir, ent.name);
    if (ent.isDirectory()) tree.set(ent.name, new Directory(loadTree(p)));
    else if (ent.isFile()) tree.set(ent.name, new File(fs.readFileSync(p)));
  }
  return tree;
}

// Makes hostDir hold exactly the tree: files written, folders made, entries the tree lacks removed.
export function saveTree(tree, hostDir) {
  fs.mkdirSync(hostDir, { recursive: true });
  for (const ent of fs.readdirSync(hostDir, { withFileTypes: true })) {
    const node = tree.get(ent.name);
    const keep = node && (node instanceof Directory) === ent.isDirectory();
    if (!keep) fs.rmSync(path.join(hostDir, ent.name), { recursive: true, force: true });
  }
  for (const [name, node] of tree) {
    const p = path.join(hostDir, name);
    if (node instanceof Directory) saveTree(node.contents, p);
    else fs.writeFileSync(p, node.data);
  }
}
