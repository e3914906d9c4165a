// `lanlb validate` and `lanlb migrate` as a CI job runs them: documented exit codes, unknown flags
// refused, YAML errors with file and line, and a distinct code when something was not carried over.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { nodeEntry } from '../../../src/devcluster/netns-lab.js';
import { migrateHelp } from '../../../src/cli/migrate-command.js';
import { validateHelp } from '../../../src/cli/validate-command.js';

const dir = mkdtempSync(join(tmpdir(), 'lanlb-cli-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

/** Runs `lanlb ...args` as a process, as a CI job would: exit code, stdout and stderr. */
async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = spawnSync(process.execPath, [...nodeEntry('src/cli/entry.ts'), ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

const METALLB_POOL = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: p, namespace: metallb-system}
spec:
  addresses: [192.0.2.0/28]
`;

describe('validate and migrate exit codes', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('validate: --strict is an unknown flag (exit 2), not a file name; --help lists the exit codes', async () => {
    const r = await run('validate', '--strict', file('ok.yaml', 'kind: ConfigMap\n'));
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown flag --strict/);
    assert.match(validateHelp, /Exit codes:\n {2}0 .*\n {2}1 .*\n[\s\S]* {2}2 {2}usage error/);
  });

  it('migrate: a YAML error names the file, line and column, writes nothing, exits 1', async () => {
    const bad = file('bad.yaml', `${METALLB_POOL}---\nkind: IPAddressPool: extra\nspec: {}\n`);
    const r = await run('migrate', bad);
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`${bad.replaceAll('/', '\\/')}:7:\\d+: `));
    assert.equal(r.out, '');
  });

  it('migrate: everything carried over exits 0; something not carried over exits 3, documented', async () => {
    assert.equal((await run('migrate', file('pool.yaml', METALLB_POOL))).code, 0);
    const partial = file(
      'bgp.yaml',
      `${METALLB_POOL}---\napiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\n` +
        'metadata: {name: b, namespace: metallb-system}\n',
    );
    const r = await run('migrate', partial);
    assert.equal(r.code, 3, r.err);
    assert.match(r.out, /kind: LoadBalancerIPPool/);
    assert.match(r.err, /BGP/);
    assert.match(migrateHelp, / {2}3 {2}written, but something was not carried over/);
  });

  it('migrate: input without MetalLB or Cilium objects exits 1 and says so; unknown flags exit 2', async () => {
    const r = await run('migrate', file('none.yaml', 'kind: ConfigMap\nmetadata: {name: x}\n'));
    assert.equal(r.code, 1);
    assert.match(r.err, /no MetalLB or Cilium object/);
    assert.equal((await run('migrate', '--dry-run', file('p2.yaml', METALLB_POOL))).code, 2);
  });
});
