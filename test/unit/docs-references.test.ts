// The repository holds its own contract (issue 25): every Markdown file a comment, message or
// test cites is a file of this repository, so a reader of the code can open it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

describe('cited documents exist in the repository', () => {
  const files = execFileSync('git', ['ls-files', 'src', 'test', 'bench', 'hack', 'eslint.config.js', 'config'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((f) => /\.(ts|js|mjs|sh|yaml)$/.test(f) && existsSync(join(root, f)));

  it('every *.md a source file names resolves from the repository root or docs/', () => {
    const missing: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(root, file), 'utf8');
      for (const m of text.matchAll(/(?:\.\.\/)*[\w./-]*\b[\w-]+\.md(?![\w.])/g)) {
        const cited = m[0];
        const candidates = [join(root, cited), join(root, 'docs', cited), resolve(root, dirname(file), cited)];
        if (!candidates.some((c) => c.startsWith(root) && existsSync(c))) missing.push(`${file}: ${cited}`);
      }
    }
    assert.deepEqual(missing, [], 'documents cited but not in the repository');
  });

  it('the contract and the style guide are in docs/', () => {
    for (const doc of ['docs/contract.md', 'docs/style.md'])
      assert.ok(existsSync(join(root, doc)), `${doc} is in the repository`);
  });
});
