// `lanlb plan` on a real apiserver with the real controller, run as a user with only the shipped
// read-only role: the preview is read-only, exits 0 / 3 as documented, and says exactly what the
// controller then does. Seeded rounds of random pool edits (apply, or --delete), each previewed
// and then applied with kubectl; every Service's addresses must end as the plan said.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { controllerAccess, useCluster, eventually } from '../helpers/cluster.js';
import { startLanlb, type LanlbProcess } from '../helpers/lanlb-process.js';
import { bindStatusReader } from '../helpers/status-reader.js';
import { createService, ensureNamespace } from '../helpers/k8s-objects.js';
import type { PlanReport } from '../../src/preview/preview.js';
import type { Service } from '../../src/core/kube-objects.js';
import type { LoadBalancerIPPool } from '../../generated/index.js';
import { poolArb, type PoolSpec } from '../unit/preview/arbitraries.js';

const execFileP = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const entry = join(root, 'src/cli/entry.ts');
const SEED = 20261206;
const ROUNDS = 8;

async function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await execFileP(cmd, args, { timeout: 60_000, env: { ...process.env, ...env } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const manifest = (p: PoolSpec) => ({
  apiVersion: 'lanlb.io/v1beta1',
  kind: 'LoadBalancerIPPool',
  metadata: { name: p.name, labels: p.labels },
  spec: { blocks: p.blocks, disabled: p.disabled, autoAssign: p.autoAssign, ...p.selector },
});

describe('lanlb plan (read-only user, real apiserver and controller)', () => {
  const c = useCluster({ crds: true, rbac: true });
  let controller: LanlbProcess;
  let reader = '';
  const dir = mkdtempSync(join(tmpdir(), 'lanlb-plan-'));
  const plan = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', entry, 'plan', '--kubeconfig', reader, ...args]);

  /** Every Service's addresses, once two reads a second apart agree (the controller is idle). */
  const settled = async (): Promise<Record<string, string[]>> => {
    const read = async () => {
      const list = await c.http.get<{ items: Service[] }>('/api/v1/namespaces/plan/services');
      const all = list.items.map((s) => [s.metadata.name, (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip)]);
      return Object.fromEntries(all.map(([k, v]) => [k, [...(v as string[])].sort()]));
    };
    let last = JSON.stringify(await read());
    return eventually(
      async () => {
        await new Promise((r) => setTimeout(r, 1_000));
        const now = JSON.stringify(await read());
        const same = now === last;
        last = now;
        return same ? (JSON.parse(now) as Record<string, string[]>) : undefined;
      },
      30_000,
      'the controller to settle',
    );
  };

  before(async () => {
    await ensureNamespace(c.http, 'lanlb-system');
    controller = startLanlb(['controller', '--webhook-addr', '0', ...controllerAccess(c), '--health-addr', '0']);
    await controller.waitForLog('leading', 30_000);
    reader = c.cp.writeKubeconfig('limited');
    await bindStatusReader(c, 'plan-reader');
  });
  after(async () => {
    await controller?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an invalid manifest with exit 1 and a usage error with exit 2, writing nothing', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      stringify({ ...manifest(fc.sample(poolArb, { seed: 1, numRuns: 1 })[0] as PoolSpec), spec: { blocks: [] } }),
    );
    const r = await plan('-f', bad);
    assert.equal(r.code, 1, `exit 1: ${r.stderr}`);
    assert.match(r.stderr, /spec.blocks: must NOT have fewer than 1 items/);
    assert.equal((await plan()).code, 2, 'no -f: usage');
    const pools = await c.http.get<{ items: unknown[] }>('/apis/lanlb.io/v1beta1/loadbalancerippools');
    assert.equal(pools.items.length, 0, 'the plan created nothing');
  });

  it(`says exactly what the controller then does (seed ${SEED}, ${ROUNDS} rounds of random pool edits)`, async () => {
    const rnd = fc.sample(fc.integer(), { seed: SEED, numRuns: 200 });
    let r = 0;
    const next = () => Math.abs(rnd[r++ % rnd.length] ?? 0);
    const first = uniqueByName(fc.sample(poolArb, { seed: SEED, numRuns: 3 }));
    const firstPool = first[0] as PoolSpec;
    const initial = join(dir, 'initial.yaml');
    writeFileSync(initial, first.map((p) => stringify(manifest(p))).join('---\n'));
    await c.kubectl('apply', '-f', initial);
    const asks = ['192.0.2.2', '192.0.2.9', '2001:db8::5'];
    for (let i = 1; i <= 7; i++) {
      const annotations: Record<string, string> =
        i % 3 === 0
          ? { 'lanlb.io/ips': asks[next() % asks.length] ?? '192.0.2.2' }
          : i % 4 === 0
            ? { 'lanlb.io/pool': firstPool.name }
            : {};
      await createService(c.http, 'plan', `s${i}`, {
        labels: i % 2 ? { tier: 'edge' } : {},
        annotations,
        ports: [{ port: 80 + (i % 2) }],
      });
    }
    const log: string[] = [];
    let moved = 0;
    for (let round = 0; round < ROUNDS; round++) {
      await settled();
      const live = (await c.http.get<{ items: LoadBalancerIPPool[] }>('/apis/lanlb.io/v1beta1/loadbalancerippools'))
        .items;
      const names = live.map((p) => p.metadata.name ?? '');
      const remove = names.length > 1 && next() % 4 === 0;
      const file = join(dir, `round-${round}.yaml`);
      let edit: PoolSpec[] = [];
      if (remove)
        writeFileSync(
          file,
          stringify(manifest({ ...firstPool, name: names[next() % names.length] ?? firstPool.name })),
        );
      else {
        // At most one new pool per apply: two new overlapping pools would be ordered by the
        // apiserver's creation second, which no preview can know (docs/contract.md, "lanlb plan").
        const drawn = uniqueByName(fc.sample(poolArb, { seed: SEED + round + 1, numRuns: 2 }));
        const fresh = drawn.filter((p) => !names.includes(p.name));
        edit = [...drawn.filter((p) => names.includes(p.name)), ...fresh.slice(0, 1)];
        writeFileSync(file, edit.map((p) => stringify(manifest(p))).join('---\n'));
      }
      const args = remove ? ['-f', file, '--delete', '-o', 'json'] : ['-f', file, '-o', 'json'];
      const out = await plan(...args);
      assert.ok(out.code === 0 || out.code === 3, `plan ran (exit ${out.code}): ${out.stderr}`);
      const report = JSON.parse(out.stdout) as PlanReport;
      const wouldMove = report.summary.loses + report.summary.moves > 0;
      assert.equal(out.code, wouldMove ? 3 : 0, 'exit 3 exactly when a held address would be released or moved');
      if (wouldMove) moved++;
      const want = Object.fromEntries(
        report.services.map((s) => [s.name, s.addresses.flatMap((a) => (a.after ? [a.after] : [])).sort()]),
      );
      log.push(`round ${round}: ${remove ? 'delete' : 'apply'} ${readFileSync(file, 'utf8').replace(/\n/g, ' ')}`);
      await c.kubectl(remove ? 'delete' : 'apply', '-f', file);
      const got = await settled();
      assert.deepEqual(
        got,
        want,
        `round ${round} (seed ${SEED}): the cluster differs from the plan\n${log.join('\n')}`,
      );
    }
    assert.ok(
      moved > 0 && moved < ROUNDS,
      `the rounds include edits that move addresses and ones that do not (${moved})`,
    );
  });

  it('as text and as the kubectl plugin: `kubectl lanlb plan` (the built command on PATH)', async () => {
    // A pool of its own, so some Service surely holds an address when the deletion is planned.
    const own = join(dir, 'plugin-pool.yaml');
    writeFileSync(
      own,
      stringify(
        manifest({
          name: 'plugin',
          labels: {},
          blocks: [{ cidr: '203.0.113.0/28' }],
          disabled: false,
          autoAssign: true,
          selector: {},
        }),
      ),
    );
    await c.kubectl('apply', '-f', own);
    const holders = await settled();
    assert.ok(
      Object.values(holders).some((ips) => ips.some((ip) => ip.startsWith('203.0.113.'))),
      'a holder',
    );
    const path = '/apis/lanlb.io/v1beta1/loadbalancerippools';
    const live = (await c.http.get<{ items: LoadBalancerIPPool[] }>(path)).items;
    const file = join(dir, 'delete-all.yaml');
    const refs = live.map((p) =>
      stringify({ apiVersion: p.apiVersion, kind: p.kind, metadata: { name: p.metadata.name } }),
    );
    writeFileSync(file, refs.join('---\n'));
    const bin = mkdtempSync(join(tmpdir(), 'lanlb-plugin-'));
    try {
      symlinkSync(join(root, 'bin', 'kubectl-lanlb.js'), join(bin, 'kubectl-lanlb'));
      const env = { PATH: `${bin}:${process.env.PATH}`, KUBECONFIG: reader };
      const r = await run('kubectl', ['lanlb', 'plan', '-f', file, '--delete'], env);
      assert.equal(r.code, 3, `deleting every pool releases what Services hold: exit 3 (${r.stderr}${r.stdout})`);
      assert.match(r.stdout, /^SERVICE +CHANGE +FAMILY +ADDRESS +POOL +WHY$/m, 'the Services table');
      assert.match(r.stdout, /^plan\/s\d +loses +IPv[46] +\S+ -> - +\S+ +Released \S+: pool "?\S+"? was deleted$/m);
      assert.match(r.stdout, /held address\(es\) would be released or moved$/m, 'the verdict line');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});

function uniqueByName<T extends { name: string }>(xs: T[]): T[] {
  return [...new Map(xs.map((x) => [x.name, x])).values()];
}
