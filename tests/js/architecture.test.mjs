// The layering rules of issue 10, checked on the C sources (STRATA_ROOT overrides the tree read):
//  - no file of src/db/ is called back by a file it calls (the calls between them form no cycle);
//  - nothing outside src/tree/ includes tree_internal.h (one install path: tree_apply_edit);
//  - the names of the database folder's files are spelled only in src/util/db_files.h.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = process.env.STRATA_ROOT || join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// Comments and string literals removed, so a message naming a function is not a call.
function code(path) {
  return readFileSync(path, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/[^\n]*/g, ' ')
    .replace(/"(?:[^"\\\n]|\\.)*"/g, '""')
    .replace(/'(?:[^'\\\n]|\\.)*'/g, "''");
}

function cFiles(dir, ext = /\.[ch]$/) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...cFiles(p, ext));
    else if (ext.test(name)) out.push(p);
  }
  return out;
}

// file -> Map(callee file -> [function names]) between the .c files of one folder.
function callGraph(dir) {
  const files = readdirSync(dir).filter((n) => n.endsWith('.c'));
  const owner = new Map();
  const texts = new Map();
  for (const f of files) {
    const text = code(join(dir, f));
    texts.set(f, text);
    // a definition at the start of a line, not static: "type name(args) {"
    for (const m of text.matchAll(/^(?!static\b)[A-Za-z_][\w \t*]*?\b(\w+)\(([^;{)]*)\)\s*\{/gm)) {
      if (!owner.has(m[1])) owner.set(m[1], f);
    }
  }
  const edges = new Map(files.map((f) => [f, new Map()]));
  for (const f of files) {
    for (const [name, o] of owner) {
      if (o === f || !new RegExp(`\\b${name}\\b`).test(texts.get(f))) continue;
      const callees = edges.get(f);
      if (!callees.has(o)) callees.set(o, []);
      callees.get(o).push(name);
    }
  }
  return edges;
}

function findCycle(edges) {
  const state = new Map();
  const stack = [];
  const visit = (f) => {
    state.set(f, 1);
    stack.push(f);
    for (const g of edges.get(f).keys()) {
      if (state.get(g) === 1) return [...stack.slice(stack.indexOf(g)), g];
      if (!state.has(g)) {
        const c = visit(g);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(f, 2);
    return null;
  };
  for (const f of edges.keys()) {
    if (!state.has(f)) {
      const c = visit(f);
      if (c) return c;
    }
  }
  return null;
}

test('no file of src/db/ is called back by a file it calls', () => {
  const edges = callGraph(join(root, 'src', 'db'));
  const cycle = findCycle(edges);
  const why = cycle && cycle.slice(0, -1).map((f, i) => `${f} -> ${cycle[i + 1]} (${edges.get(f).get(cycle[i + 1]).join(', ')})`);
  assert.equal(cycle, null, `calls go round: ${why && why.join('; ')}`);
  assert.ok(edges.get('db.c').has('scheduler.c'), 'db.c calls the scheduler');
});

test('the call graph finds a cycle when there is one', () => {
  const edges = new Map([['a.c', new Map([['b.c', ['f']]])], ['b.c', new Map([['a.c', ['g']]])]]);
  assert.deepEqual(findCycle(edges), ['a.c', 'b.c', 'a.c']);
});

test('nothing outside src/tree/ includes tree_internal.h', () => {
  const offenders = [];
  for (const dir of ['src', 'tests', 'bindings/js/c', 'wasi', 'bench']) {
    let files = [];
    try { files = cFiles(join(root, dir)); } catch { continue; }
    for (const p of files) {
      const rel = relative(root, p);
      if (rel.startsWith(join('src', 'tree'))) continue;
      if (/#include\s+"[^"]*tree_internal\.h"/.test(readFileSync(p, 'utf8'))) offenders.push(rel);
    }
  }
  assert.deepEqual(offenders, []);
});

test('the database folder\'s file names are spelled only in src/util/db_files.h', () => {
  // the names as string literals, alone or as the start of a path or a format
  const names = /"(LOCK|journal|tables|lost|manifest-[0-9%][^"]*|table)"|"(LOCK|journal|tables|lost)\//;
  const offenders = [];
  for (const dir of ['src', 'wasi', 'bindings/js/c']) {
    for (const p of cFiles(join(root, dir))) {
      const rel = relative(root, p);
      if (rel === join('src', 'util', 'db_files.h')) continue;
      const text = readFileSync(p, 'utf8').replace(/\/\*[\s\S]*?\*\//g, ' ');
      text.split('\n').forEach((line, i) => {
        if (names.test(line)) offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
      });
    }
  }
  assert.deepEqual(offenders, []);
});
