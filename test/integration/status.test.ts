// `lanlb status` and `kubectl lanlb status` on a real apiserver, run as a user who may only read
// (config/status-reader's ClusterRole): pools with their counts and conflicts, Services with the
// pool each address came from, the Lease holder with its interfaces and MACs, why a Service is
// pending, the documented JSON shape, -n / -A, and the exit codes a CI smoke test relies on.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { controllerAccess, useCluster, eventually } from '../helpers/cluster.js';
import { startLanlb, type LanlbProcess } from '../helpers/lanlb-process.js';
import { bindStatusReader } from '../helpers/status-reader.js';
import { createPool, createService, ensureNamespace, getService, ips, nsSelector } from '../helpers/k8s-objects.js';
import { LIMITED_USER } from '../../src/devcluster/control-plane.js';
import type { StatusReport } from '../../src/status/report.js';

const execFileP = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const entry = join(root, 'src/cli/entry.ts');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  try {
    const r = await execFileP(cmd, args, { env: { ...process.env, ...env }, timeout: 60_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('lanlb status (read-only user, real apiserver)', () => {
  const c = useCluster({ crds: true, rbac: true });
  let controller: LanlbProcess;
  let readerKubeconfig = '';
  const status = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', entry, 'status', '--kubeconfig', readerKubeconfig, ...args]);
  const json = async (...args: string[]): Promise<{ code: number; report: StatusReport }> => {
    const r = await status('-o', 'json', ...args);
    assert.ok(r.code === 0 || r.code === 3, `status ran (exit ${r.code}): ${r.stderr}`);
    return { code: r.code, report: JSON.parse(r.stdout) as StatusReport };
  };

  before(async () => {
    await ensureNamespace(c.http, 'lanlb-system');
    controller = startLanlb(['controller', '--webhook-addr', '0', ...controllerAccess(c), '--health-addr', '0']);
    await controller.waitForLog('leading', 30_000);
    readerKubeconfig = c.cp.writeKubeconfig('limited');
  });
  after(async () => {
    await controller?.stop();
  });

  it('without any read access it exits 1 and says what it could not list', async () => {
    const r = await status('-n', 'shop');
    assert.equal(r.code, 1, `exit 1: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /cannot list \w+: forbidden/, 'names what is forbidden');
  });

  it('with pools, policies and Services readable but not Leases: everything but the holders', async () => {
    const noLeases = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'status-without-leases' },
      rules: [
        { apiGroups: ['lanlb.io'], resources: ['loadbalancerippools', 'l2announcementpolicies'], verbs: ['list'] },
        { apiGroups: [''], resources: ['services'], verbs: ['list'] },
      ],
    };
    await c.http.post('/apis/rbac.authorization.k8s.io/v1/clusterroles', noLeases);
    await c.kubectl(
      'create',
      'clusterrolebinding',
      'status-without-leases',
      '--clusterrole=status-without-leases',
      `--user=${LIMITED_USER}`,
    );
    const { report } = await eventually(
      async () => {
        const r = await status('-o', 'json', '-n', 'shop');
        return r.code === 0 ? { report: JSON.parse(r.stdout) as StatusReport } : undefined;
      },
      20_000,
      'status without Lease access',
    );
    assert.equal(report.leasesReadable, false, 'says the Leases could not be read');
    await c.kubectl('delete', 'clusterrolebinding', 'status-without-leases');
  });

  it('the shipped read-only role suffices, and grants no write', async () => {
    await bindStatusReader(c, 'status-reader');
    for (const verb of ['create', 'update', 'patch', 'delete'])
      for (const what of ['loadbalancerippools.lanlb.io', 'services', 'leases', 'services/status']) {
        const r = await run('kubectl', ['--kubeconfig', readerKubeconfig, 'auth', 'can-i', verb, what, '-A']);
        assert.equal(r.stdout.trim(), 'no', `the reader may not ${verb} ${what}`);
      }
  });

  it('pools, a conflict, a full pool, a pending Service and a holder: text, JSON and exit 3', async () => {
    await createPool(c.http, 'shop-pool', {
      blocks: [{ start: '192.0.2.1', stop: '192.0.2.2' }],
      serviceSelector: nsSelector('shop'),
    });
    await eventually(
      async () => (await c.kubectl('get', 'pools', 'shop-pool', '--no-headers')).includes('False'),
      10_000,
      'pool status',
    );
    // Newer by creationTimestamp (seconds), else by name: z-later is the newer either way.
    await createPool(c.http, 'z-later', { blocks: [{ cidr: '192.0.2.0/29' }] });
    await c.http.post('/apis/lanlb.io/v1beta1/l2announcementpolicies', {
      apiVersion: 'lanlb.io/v1beta1',
      kind: 'L2AnnouncementPolicy',
      metadata: { name: 'shop-l2' },
      spec: { serviceSelector: nsSelector('shop') },
    });
    for (const name of ['a', 'b', 'c']) await createService(c.http, 'shop', name);
    await createService(c.http, 'other', 'elsewhere');
    await eventually(async () => ips(await getService(c.http, 'shop', 'b')).length > 0, 15_000, 'shop/b addressed');
    await c.http.post('/apis/coordination.k8s.io/v1/namespaces/lanlb-system/leases', {
      metadata: {
        name: 'lanlb-l2-shop.a',
        annotations: {
          'lanlb.io/service': 'shop/a',
          'lanlb.io/interfaces': 'eth0,eth1',
          'lanlb.io/hardware-addresses': '02:00:00:00:00:0a,02:00:00:00:00:0b',
        },
      },
      spec: { holderIdentity: 'node1', leaseDurationSeconds: 40 },
    });
    const { code, report } = await eventually(
      async () => {
        const r = await json('-n', 'shop');
        const pending = r.report.services.find((s) => s.name === 'c');
        const later = r.report.pools.find((p) => p.name === 'z-later');
        // Pool counts are written in a batch after the allocations: wait for them too.
        const shopUsed = r.report.pools.find((p) => p.name === 'shop-pool')?.used;
        if (pending?.reason === 'PoolExhausted' && later?.state === 'Conflicting' && shopUsed === '2') return r;
        throw new Error(
          `seen: c ${pending?.state}/${pending?.reason}, z-later ${later?.state}, shop-pool used ${shopUsed}`,
        );
      },
      20_000,
      'the controller to report the conflict and the exhausted pool',
    );
    assert.equal(code, 3, 'a conflict and a pending Service: exit 3');
    assert.equal(report.apiVersion, 'lanlb.io/status/v1', 'the documented shape');
    assert.equal(report.namespace, 'shop');
    const shop = report.pools.find((p) => p.name === 'shop-pool');
    assert.deepEqual([shop?.total, shop?.used, shop?.available, shop?.state], ['2', '2', '0', 'Ready'], 'counts');
    assert.match(
      report.pools.find((p) => p.name === 'z-later')?.conflict ?? '',
      /shop-pool at 192\.0\.2\.1-192\.0\.2\.2/,
    );
    const a = report.services.find((s) => s.name === 'a');
    assert.deepEqual(a?.addresses, [{ ip: '192.0.2.1', pool: 'shop-pool' }], 'the pool the address came from');
    assert.deepEqual(a?.policies, ['shop-l2'], 'the policy that selects it');
    assert.deepEqual(a?.holder, {
      node: 'node1',
      lease: 'lanlb-l2-shop.a',
      interfaces: [
        { name: 'eth0', mac: '02:00:00:00:00:0a' },
        { name: 'eth1', mac: '02:00:00:00:00:0b' },
      ],
    });
    assert.equal(a?.state, 'Announced');
    const b = report.services.find((s) => s.name === 'b');
    assert.deepEqual([b?.state, b?.reason], ['Allocated', 'NoHolder'], 'addressed, not yet held');
    const pending = report.services.find((s) => s.name === 'c');
    assert.equal(pending?.state, 'Pending');
    assert.match(pending?.message ?? '', /shop-pool/, "the controller's words");
    assert.deepEqual(
      report.services.map((s) => s.name),
      ['a', 'b', 'c'],
      'only namespace shop',
    );

    const text = await status('-n', 'shop');
    assert.equal(text.code, 3, 'the same exit code as text');
    assert.match(text.stdout, /^z-later +6 +2 +0 +Conflicting: overlaps older pool shop-pool/m);
    assert.match(
      text.stdout,
      /^a +192\.0\.2\.1 \(shop-pool\) +shop-l2 +node1 +eth0 02:00:00:00:00:0a, eth1 02:00:00:00:00:0b +Announced$/m,
    );
    assert.match(text.stdout, /^c +- +shop-l2 +- +- +Pending: PoolExhausted: no free IPv4 address in shop-pool$/m);
  });

  it('-A lists every namespace; the exit code turns 0 once nothing conflicts and nothing waits', async () => {
    const all = await json('-A');
    assert.equal(all.report.namespace, null);
    assert.ok(
      all.report.services.some((s) => s.namespace === 'other'),
      'other namespaces too',
    );
    await c.http.delete('/apis/lanlb.io/v1beta1/loadbalancerippools/z-later');
    await c.http.delete('/api/v1/namespaces/shop/services/c');
    await c.http.delete('/api/v1/namespaces/other/services/elsewhere');
    const ok = await eventually(async () => ((await status('-A')).code === 0 ? true : undefined), 20_000, 'exit 0');
    assert.ok(ok, 'lanlb status exits 0');
  });

  it('as the kubectl plugin: `kubectl lanlb status` finds kubectl-lanlb on PATH (the built command)', async () => {
    const bin = join(root, 'bin', 'kubectl-lanlb.js');
    assert.ok(existsSync(join(root, 'dist/src/cli/entry.js')), 'npm run build has made dist/ (README test command)');
    const dir = mkdtempSync(join(tmpdir(), 'lanlb-plugin-'));
    try {
      symlinkSync(bin, join(dir, 'kubectl-lanlb'));
      // kubectl passes no global flag to a plugin (it refuses one before the plugin name): KUBECONFIG.
      const r = await run('kubectl', ['lanlb', 'status', '-n', 'shop'], {
        PATH: `${dir}:${process.env.PATH}`,
        KUBECONFIG: readerKubeconfig,
      });
      assert.equal(r.code, 0, `kubectl lanlb status exits 0: ${r.stderr}`);
      assert.match(r.stdout, /^shop-pool +2 +2 +0 +Ready/m, 'the same report');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
