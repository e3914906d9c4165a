// The layering rule is a lint rule (docs/style.md rule 1): prove it bites.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';
import { CORE_FOLDERS } from '../../../eslint.config.js';

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
    ['the runtime', "import { Informer } from '../../src/runtime/informer.js';\nexport const x = Informer;\n"],
    [
      'an application (controller)',
      "import { IpamController } from '../../src/controller/ipam-controller.js';\nexport const x = IpamController;\n",
    ],
    [
      'an application (announcer)',
      "import { Announcer } from '../../src/announcer/announcer.js';\nexport const x = Announcer;\n",
    ],
    [
      'an adapter (webhook)',
      "import { WebhookServer } from '../../src/webhook/server.js';\nexport const x = WebhookServer;\n",
    ],
  ];
  for (const [what, code] of forbidden) {
    for (const folder of CORE_FOLDERS) {
      const file = `${folder}/example.ts`;
      it(`rejects ${what} in ${file}`, async () =>
        assert.ok((await problems(code, file)).length > 0, `${file} may not import ${what}`));
    }
  }

  it('a core may import another core', async () => {
    const code = "import { parseAddress } from '../ipam/address.js';\nexport const x = parseAddress;\n";
    assert.deepEqual(await problems(code, 'src/core/example.ts'), []);
  });
  it('allows the same import in an adapter', async () => {
    assert.deepEqual(
      await problems(
        "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n",
        'src/kube/example.ts',
      ),
      [],
    );
  });
});

describe('test assertions say what they expected', () => {
  it('assert.ok without a message is refused in tests, with one it is not', async () => {
    const file = 'test/unit/example.test.ts';
    const header = "import assert from 'node:assert/strict';\n";
    const bare = await problems(`${header}assert.ok(1 + 1 === 2);\n`, file);
    assert.ok(
      bare.some((p) => p.includes('assert.ok needs a message')),
      `refused: ${bare.join('; ')}`,
    );
    assert.deepEqual(await problems(`${header}assert.ok(1 + 1 === 2, 'arithmetic holds');\n`, file), [], 'accepted');
  });
});

describe('applications and the runtime take ports, never adapters (decision 0002)', () => {
  const cases: Array<[string, string]> = [
    ['src/controller/example.ts', "import { KubeHttp } from '../kube/http.js';\nexport const x = KubeHttp;\n"],
    ['src/controller/example.ts', "import type { KubeHttp } from '../kube/http.js';\nexport type X = KubeHttp;\n"],
    [
      'src/announcer/example.ts',
      "import { PcapResponder } from '../l2/responder/pcap-responder.js';\nexport const x = PcapResponder;\n",
    ],
    [
      'src/announcer/example.ts',
      "import type { Logger } from '../observability/logger.js';\nexport type X = Logger;\n",
    ],
    ['src/runtime/example.ts', "import type { KubeHttp } from '../kube/http.js';\nexport type X = KubeHttp;\n"],
    [
      'src/runtime/example.ts',
      "import { IpamController } from '../controller/ipam-controller.js';\nexport const x = IpamController;\n",
    ],
  ];
  for (const [file, code] of cases) {
    it(`rejects in ${file}: ${code.split('\n')[0]}`, async () => {
      const found = await problems(code, file);
      assert.ok(
        found.some((p) => p.startsWith('no-restricted-imports')),
        `refused: ${found.join('; ')}`,
      );
    });
  }

  it('accepts a port', async () => {
    const code = "import type { Logger } from '../runtime/ports/logger.js';\nexport type X = Logger;\n";
    assert.deepEqual(await problems(code, 'src/controller/example.ts'), [], 'ports are what applications import');
  });
});
