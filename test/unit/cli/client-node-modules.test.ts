// The controller and the announcer must not load @kubernetes/client-node's generated APIs and
// models (some 900 modules, 37 MiB of RSS each; issue 15): they import KubeConfig and Watch by
// module path (src/kube/client-node.ts), the generated CRD clients do the same, and config.js's
// import is narrowed at install (patches/, patch-package). Checked on the modules a real import loads.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const hook = fileURLToPath(new URL('../../helpers/log-modules.mjs', import.meta.url));

async function modulesLoadedBy(entry: string): Promise<string[]> {
  const code = `await import(${JSON.stringify(new URL(entry, `file://${root}`).href)});`;
  const { stderr } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--import', hook, '--input-type=module', '-e', code],
    { cwd: root, timeout: 60_000 },
  );
  return [...stderr.matchAll(/^module (\S+)$/gm)].map((m) => m[1] ?? '');
}

describe('what the processes load of @kubernetes/client-node', () => {
  for (const entry of ['src/cli/announcer-command.ts', 'src/cli/controller-command.ts']) {
    it(`${entry}: KubeConfig and Watch, never the generated APIs and models`, async () => {
      const loaded = await modulesLoadedBy(entry);
      const ours = loaded.filter((u) => u.includes('/@kubernetes/client-node/dist/'));
      assert.ok(
        ours.some((u) => u.endsWith('/dist/config.js')),
        'KubeConfig is loaded',
      );
      assert.ok(
        ours.some((u) => u.endsWith('/dist/watch.js')),
        'Watch is loaded',
      );
      const heavy = ours.filter((u) => /\/dist\/(index|gen\/index|gen\/models\/[^/]+|gen\/apis\/[^/]+)\.js$/.test(u));
      assert.deepEqual(heavy, [], 'no generated API or model module');
      assert.ok(ours.length < 60, `${ours.length} client-node modules`);
    });
  }
});

describe("the announcer's main thread does not load the pcap addon", () => {
  it('src/cli/announcer-command.ts loads nothing of pcap (the answer thread loads it, and only it may)', async () => {
    const loaded = await modulesLoadedBy('src/cli/announcer-command.ts');
    const pcap = loaded.filter((u) => /\/(node_modules|packages)\/pcap\//.test(u) || u.includes('/pcap-responder.'));
    assert.deepEqual(pcap, [], 'a NAN addon loaded here could not load in the answer thread');
  });
});
