// The layering rule is a lint rule (STYLE.md rule 1): prove it bites.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: new URL('../../..', import.meta.url).pathname });

async function problems(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('core purity lint rule', () => {
  const forbidden: Array<[string, string]> = [
    ['node I/O', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n"],
    ['the Kubernetes client', "import { KubeConfig } from '@kubernetes/client-node';\nexport const x = KubeConfig;\n"],
    ['libpcap', "import pcap from 'pcap';\nexport const x = pcap;\n"],
    ['timers', 'export const x = setTimeout;\n'],
    ['the logger', "import { createLogger } from '../observability/logger.js';\nexport const x = createLogger;\n"],
    ['the wall clock', 'export const x = Date.now();\n'],
  ];
  for (const [what, code] of forbidden) {
    for (const file of ['src/ipam/example.ts', 'src/l2/codec/example.ts']) {
      it(`rejects ${what} in ${file}`, async () => assert.ok((await problems(code, file)).length > 0));
    }
  }
  it('allows the same import in an adapter', async () => {
    assert.deepEqual(await problems("import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n", 'src/kube/example.ts'), []);
  });
});
