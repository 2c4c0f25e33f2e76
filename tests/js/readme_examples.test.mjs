// Every ```js example of README.md and bindings/js/README.md, run as a user would: from its own
// scratch folder where `strata-lsm` is installed (node_modules/strata-lsm, the repository, so
// the exports map is used), as an ES module, or as CommonJS when it calls require(). Its output
// must equal the ```text block that follows it; an example without one must still exit 0.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';

import { removeTempDirs, root, tempDir } from './helpers.mjs';

after(() => removeTempDirs());

// [{ line, code, output }] of a Markdown file: each js fence, with the text fence right after it.
export function examples(markdown) {
  const out = [];
  const re = /^```(\w*)\n([\s\S]*?)^```$/gm;
  let m;
  let last = null;
  while ((m = re.exec(markdown))) {
    const line = markdown.slice(0, m.index).split('\n').length;
    const between = last ? markdown.slice(last.end, m.index).trim() : null;
    if (m[1] === 'js') {
      last = { line, code: m[2], output: undefined, end: m.index + m[0].length };
      out.push(last);
    } else {
      if (m[1] === 'text' && last && between === '') last.output = m[2].trimEnd();
      last = null;
    }
  }
  return out;
}

for (const file of ['README.md', 'bindings/js/README.md']) {
  const found = examples(fs.readFileSync(path.join(root, file), 'utf8'));
  test(`${file} has runnable examples`, () => assert.ok(found.length >= (file === 'README.md' ? 1 : 12), `${found.length} examples`));
  for (const ex of found) {
    test(`${file}:${ex.line} runs and prints what the README says`, { timeout: 60_000 }, () => {
      const dir = tempDir('strata-readme-');
      fs.mkdirSync(path.join(dir, 'node_modules'));
      fs.symlinkSync(root, path.join(dir, 'node_modules', 'strata-lsm'), 'dir');
      const name = /^[^/\n]*\brequire\(/m.test(ex.code) ? 'example.cjs' : 'example.mjs';
      fs.writeFileSync(path.join(dir, name), ex.code);
      const r = spawnSync(process.execPath, [name], { cwd: dir, encoding: 'utf8', timeout: 50_000 });
      assert.equal(r.status, 0, `${file}:${ex.line} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
      if (ex.output !== undefined) assert.equal(r.stdout.trimEnd(), ex.output, `${file}:${ex.line}`);
    });
  }
}
