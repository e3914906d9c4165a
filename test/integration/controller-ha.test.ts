// Two controller replicas, policy status and metrics, on a real apiserver.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { controllerAccess, LEADER_NAMESPACE, useCluster, eventually } from '../helpers/cluster.js';
import { startLanlb, type LanlbProcess } from '../helpers/lanlb-process.js';
import { freePort } from '../../src/devcluster/free-port.js';
import { createPool, createService, ensureNamespace, ips, nsSelector } from '../helpers/k8s-objects.js';
import type { Service } from '../../src/core/kube-objects.js';
import { Informer } from '../../src/runtime/informer.js';

describe('lanlb controller: replicas, policies, metrics', () => {
  const c = useCluster({ crds: true, rbac: true });
  const procs: LanlbProcess[] = [];
  const fast = ['--lease-duration', '2s', '--renew-deadline', '1500ms', '--retry-period', '250ms'];
  const start = (identity: string, metricsPort = '0', extra: string[] = []) => {
    const p = startLanlb([
      'controller',
      '--webhook-addr',
      '0',
      ...controllerAccess(c),
      '--identity',
      identity,
      '--health-addr',
      '0',
      '--metrics-addr',
      metricsPort,
      ...fast,
      ...extra,
    ]);
    procs.push(p);
    return p;
  };
  before(async () => ensureNamespace(c.http, 'lanlb-system'));
  after(async () => {
    for (const p of procs) await p.stop();
  });

  it('two replicas and a leader killed mid-allocation: every Service ends with one address, none twice', async () => {
    await createPool(c.http, 'ha', { blocks: [{ cidr: '198.51.100.0/24' }], serviceSelector: nsSelector('ha') });
    const ports = [await freePort(), await freePort()];
    const r1 = start('r1', `127.0.0.1:${ports[0]}`);
    const r2 = start('r2', `127.0.0.1:${ports[1]}`);
    await Promise.all([r1.waitForLog('caches synced'), r2.waitForLog('caches synced')]);
    const lease = await eventually(
      async () =>
        (
          await c.http.get<{ spec: { holderIdentity?: string } }>(
            `/apis/coordination.k8s.io/v1/namespaces/${LEADER_NAMESPACE}/leases/lanlb-controller`,
          )
        ).spec.holderIdentity || undefined,
      10_000,
      'leader',
    );
    const [leader, follower, followerPort] = lease === 'r1' ? [r1, r2, ports[1]] : [r2, r1, ports[0]];
    const names = Array.from({ length: 80 }, (_, i) => `s${i}`);
    const creating = Promise.all(names.map((n) => createService(c.http, 'ha', n)));
    await new Promise((r) => setTimeout(r, 300));
    await leader.stop('SIGKILL');
    const created = new Map((await creating).map((svc) => [svc.metadata.name, svc.spec]));
    await follower.waitForLog('leading', 15_000);
    const list = await eventually(
      async () => {
        const l = await c.http.get<{ items: Service[] }>('/api/v1/namespaces/ha/services');
        return l.items.every((s) => ips(s).length === 1) ? l : undefined;
      },
      30_000,
      'all allocated after failover',
    );
    const all = list.items.map((s) => ips(s)[0]);
    assert.equal(new Set(all).size, all.length, 'no address twice');
    const metrics = await (await fetch(`http://127.0.0.1:${followerPort}/metrics`)).text();
    assert.match(metrics, /lanlb_controller_leader 1/);
    await eventually(
      async () =>
        /lanlb_pool_addresses\{pool="ha",state="used"\} 80/.test(
          await (await fetch(`http://127.0.0.1:${followerPort}/metrics`)).text(),
        ) || undefined,
      10_000,
      'pool metric',
    );
    assert.match(metrics, /lanlb_reconcile_duration_seconds_count\{controller="ipam",outcome="success"\} \d+/);
    // Argo CD stays in sync only if the controller never writes a spec. Services have no
    // generation, so compare with the spec the create call returned; pools count generations.
    for (const svc of list.items)
      assert.deepEqual(svc.spec, created.get(svc.metadata.name), `spec of ${svc.metadata.name} unchanged`);
    const pool = await c.http.get<{ metadata: { generation: number } }>(
      '/apis/lanlb.io/v1beta1/loadbalancerippools/ha',
    );
    assert.equal(pool.metadata.generation, 1, 'no pool spec written');
  });

  it(
    'policy status: SERVICES, NODES and READY in `kubectl ' + 'get l2p`, and a reason for a bad regular expression',
    async () => {
      // Its own controller and Services: the test must not lean on the replicas of another test.
      await start('policies').waitForLog('caches synced');
      await createPool(c.http, 'pol', { blocks: [{ cidr: '203.0.113.0/28' }], serviceSelector: nsSelector('pol') });
      for (const n of ['a', 'b', 'c']) await createService(c.http, 'pol', n);
      for (const [name, labels] of [
        ['node1', { 'kubernetes.io/hostname': 'node1' }],
        ['node2', { 'kubernetes.io/hostname': 'node2' }],
        ['cp', { 'node-role.kubernetes.io/control-plane': '' }],
      ] as const) {
        await c.http.post('/api/v1/nodes', { metadata: { name, labels } });
      }
      await c.http.post('/apis/lanlb.io/v1beta1/l2announcementpolicies', {
        apiVersion: 'lanlb.io/v1beta1',
        kind: 'L2AnnouncementPolicy',
        metadata: { name: 'policy1' },
        spec: {
          nodeSelector: {
            matchExpressions: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'DoesNotExist' }],
          },
          serviceSelector: nsSelector('pol'),
          interfaces: ['^eth[0-9]+'],
        },
      });
      await c.http.post('/apis/lanlb.io/v1beta1/l2announcementpolicies', {
        apiVersion: 'lanlb.io/v1beta1',
        kind: 'L2AnnouncementPolicy',
        metadata: { name: 'broken' },
        spec: { interfaces: ['eth[0-9'] },
      });
      await eventually(
        async () => /^policy1\s+3\s+2\s+True\s+\S+$/m.test(await c.kubectl('get', 'l2p')) || undefined,
        15_000,
        'policy1 row',
      );
      const broken = await eventually(
        async () => {
          const p = await c.http.get<{
            status?: { conditions?: Array<{ type: string; status: string; reason: string; message: string }> };
          }>('/apis/lanlb.io/v1beta1/l2announcementpolicies/broken');
          return p.status?.conditions?.find((x) => x.type === 'Ready');
        },
        10_000,
        'broken status',
      );
      assert.equal(broken.status, 'False');
      assert.equal(broken.reason, 'InvalidInterface');
      assert.match(broken.message, /eth\[0-9/);
    },
  );

  it('rejects invalid lease timings as a usage error', async () => {
    const p = startLanlb([
      'controller',
      '--webhook-addr',
      '0',
      '--kubeconfig',
      c.kubeconfigPath,
      '--lease-duration',
      '1s',
      '--renew-deadline',
      '2s',
    ]);
    assert.equal(await p.exited(), 2);
    assert.match(p.lines.join('\n'), /leaseDuration must be greater than renewDeadline/);
  });

  it('a leader paused past its Lease, then resumed, writes nothing; no address held twice', async () => {
    // Only this test's two replicas: earlier tests' replicas would hold the Lease.
    for (const p of procs.splice(0)) await p.stop();
    await createPool(c.http, 'paused', { blocks: [{ cidr: '198.18.4.0/25' }], serviceSelector: nsSelector('paused') });
    const ports = [await freePort(), await freePort()];
    const debug = ['--log-level', 'debug'];
    const [p1, p2] = [start('p1', `127.0.0.1:${ports[0]}`, debug), start('p2', `127.0.0.1:${ports[1]}`, debug)];
    await Promise.all([p1.waitForLog('caches synced'), p2.waitForLog('caches synced')]);
    const leaseOf = async () =>
      (
        await c.http.get<{ spec: { holderIdentity?: string } }>(
          `/apis/coordination.k8s.io/v1/namespaces/${LEADER_NAMESPACE}/leases/lanlb-controller`,
        )
      ).spec.holderIdentity;
    const holder = await eventually(
      async () => {
        const h = await leaseOf();
        return h === 'p1' || h === 'p2' ? h : undefined;
      },
      15_000,
      'p1 or p2 leads',
    );
    const [leader, follower, leaderPort] = holder === 'p1' ? [p1, p2, ports[0]] : [p2, p1, ports[1]];
    const writes = async () => {
      const text = await (await fetch(`http://127.0.0.1:${leaderPort}/metrics`)).text();
      return Number(/lanlb_status_writes_total\{outcome="sent"\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    // Every Service change, as a watch delivers it: no address may be held twice at any moment.
    const held = new Map<string, string>();
    const duplicates: string[] = [];
    const informer = new Informer<Service>(c.http, { path: '/api/v1/namespaces/paused/services' });
    const record = (svc: Service, gone = false) => {
      for (const [ip, who] of held) if (who === svc.metadata.name) held.delete(ip);
      if (gone) return;
      for (const ip of ips(svc)) {
        const other = held.get(ip);
        if (other && other !== svc.metadata.name) duplicates.push(`${ip}: ${other} and ${svc.metadata.name}`);
        held.set(ip, svc.metadata.name);
      }
    };
    informer.addHandler({ add: (s) => record(s), update: (s) => record(s), delete: (s) => record(s, true) });
    const stopWatch = new AbortController();
    const watching = informer.start(stopWatch.signal);
    try {
      await watching.synced;
      for (let i = 0; i < 10; i++) await createService(c.http, 'paused', `before${i}`);
      await eventually(async () => held.size === 10 || undefined, 15_000, '10 allocated by the first leader');
      // A burst, and the leader paused in the middle of it: it resumes with work of its own.
      const burst = Array.from({ length: 30 }, (_, i) => createService(c.http, 'paused', `burst${i}`));
      await new Promise((r) => setTimeout(r, 150));
      const w0 = await writes();
      leader.child.kill('SIGSTOP');
      await Promise.all(burst);
      await follower.waitForLog('leading', 15_000);
      await eventually(async () => held.size === 40 || undefined, 20_000, 'the burst allocated by the new leader');
      const resumedAt = Date.now();
      leader.child.kill('SIGCONT');
      await leader.waitForLog('stopped leading', 15_000);
      const settled = await writes();
      // Its own log says when each status write left: none after it was resumed, until (on a loaded
      // machine the new leader may miss its renew deadline) it wins the Lease again in a new term.
      const entries = leader.lines
        .flatMap((l) => (l.startsWith('{') ? [JSON.parse(l) as { msg?: string; time?: string; path?: string }] : []))
        .filter((l) => Date.parse(l.time ?? '') >= resumedAt);
      const newTerm = entries.findIndex((l) => l.msg === 'leading');
      const late = entries.slice(0, newTerm < 0 ? undefined : newTerm).filter((l) => l.msg === 'status write');
      assert.deepEqual(
        late.map((l) => l.path),
        [],
        'no status write after the paused leader resumed',
      );
      assert.ok(settled >= w0, `writes after the pause (${settled}) at least those before (${w0})`);
      // Touch every Service so that both replicas reconcile them again.
      for (const name of [...held.values()])
        await c.http.patch(`/api/v1/namespaces/paused/services/${name}`, { metadata: { labels: { touched: 'yes' } } });
      await new Promise((r) => setTimeout(r, 4_000));
      if (newTerm < 0) assert.equal(await writes(), settled, 'the resumed leader sent no status write');
      else
        assert.ok(
          follower.lines.some((l) => l.includes('"msg":"stopped leading"')),
          'a new term, legitimately',
        );
      assert.deepEqual(duplicates, [], 'no address held twice at any moment');
      assert.equal(held.size, 40);
      const usedRow = await eventually(
        async () => {
          const row = (await c.kubectl('get', 'pools', 'paused', '-o', 'wide', '--no-headers')).trim().split(/\s+/);
          return row.includes('40') ? row : undefined;
        },
        10_000,
        'pool status counts 40 used',
      );
      assert.ok(usedRow, 'kubectl get pools -o wide shows a USED row');
    } finally {
      leader.child.kill('SIGCONT');
      stopWatch.abort();
      await watching.done;
    }
  });
});
