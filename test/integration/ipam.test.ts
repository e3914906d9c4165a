// The seed articles' IPAM workflows against `lanlb controller` (a real process) on a real
// apiserver: Services leave <pending> with pool addresses and `kubectl get pools` tells the truth.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { controllerAccess, useCluster, eventually } from '../helpers/cluster.js';
import { startLanlb, type LanlbProcess } from '../helpers/lanlb-process.js';
import {
  createPool,
  createService,
  ensureNamespace,
  eventsFor,
  getService,
  ips,
  nsSelector,
} from '../helpers/k8s-objects.js';

describe('lanlb controller: IPAM', () => {
  const c = useCluster({ crds: true, rbac: true });
  let controller: LanlbProcess;
  const start = (identity = 'c1') =>
    startLanlb([
      'controller',
      '--webhook-addr',
      '0',
      ...controllerAccess(c),
      '--identity',
      identity,
      '--health-addr',
      '0',
      '--metrics-addr',
      '0',
    ]);

  before(async () => {
    await ensureNamespace(c.http, 'lanlb-system');
    controller = start();
    await controller.waitForLog('leading', 20_000);
  });
  after(async () => {
    await controller?.stop();
  });

  const addressOf = (ns: string, name: string, timeoutMs = 10_000) =>
    eventually(async () => ips(await getService(c.http, ns, name))[0], timeoutMs, `address of ${ns}/${name}`);
  const poolRow = async (name: string) => {
    const out = await c.kubectl('get', 'pools', name, '--no-headers');
    return out.trim().split(/\s+/).slice(0, 4).join(' ');
  };

  it('seed 000: a one-address pool for the ingress-nginx namespace; IPS AVAILABLE drops to 0', async () => {
    await createPool(c.http, 'ingress-pool', {
      blocks: [{ start: '192.0.2.10', stop: '192.0.2.10' }],
      serviceSelector: nsSelector('ingress-nginx'),
    });
    await createService(c.http, 'ingress-nginx', 'ingress-nginx-controller', { ports: [{ port: 80 }, { port: 443 }] });
    await createService(c.http, 'ingress-nginx', 'ingress-nginx-controller-admission', {
      type: 'ClusterIP',
      ports: [{ port: 443 }],
    });
    assert.equal(await addressOf('ingress-nginx', 'ingress-nginx-controller'), '192.0.2.10');
    await eventually(
      async () => (await poolRow('ingress-pool')) === 'ingress-pool false False 0' || undefined,
      10_000,
      'pool row',
    );
    const svc = await getService(c.http, 'ingress-nginx', 'ingress-nginx-controller');
    const cond = svc.status?.conditions?.find((x) => x.type === 'lanlb.io/IPAllocated');
    assert.equal(cond?.status, 'True');
    assert.equal(
      ips(await getService(c.http, 'ingress-nginx', 'ingress-nginx-controller-admission')).length,
      0,
      'ClusterIP untouched',
    );
    const events = await eventually(
      async () => {
        const evs = await eventsFor(c.http, 'ingress-nginx', 'ingress-nginx-controller');
        return evs.some((e) => e.reason === 'IPAllocated') ? evs : undefined;
      },
      10_000,
      'IPAllocated event',
    );
    assert.match(events.find((e) => e.reason === 'IPAllocated')?.message ?? '', /192\.0\.2\.10 from pool ingress-pool/);
    const svcTable = await c.kubectl(
      'get',
      'service',
      '-n',
      'ingress-nginx',
      'ingress-nginx-controller',
      '--no-headers',
    );
    assert.match(svcTable, /LoadBalancer\s+\S+\s+192\.0\.2\.10\s+80:\d+\/TCP,443:\d+\/TCP/);
  });

  it('seed 004: two pools chosen by matchExpressions and matchLabels on a Service label', async () => {
    await createPool(c.http, 'blue-pool', {
      blocks: [{ cidr: '198.51.100.0/26' }],
      serviceSelector: { matchExpressions: [{ key: 'color', operator: 'In', values: ['blue', 'cyan'] }] },
    });
    await createPool(c.http, 'red-pool', {
      blocks: [{ cidr: '198.51.100.64/26' }],
      serviceSelector: { matchLabels: { color: 'red' } },
    });
    await createService(c.http, 'seed004', 'app', { labels: { color: 'red' }, ports: [{ port: 8080 }] });
    await createService(c.http, 'seed004', 'cyan', { labels: { color: 'cyan' } });
    assert.equal(await addressOf('seed004', 'app'), '198.51.100.65');
    assert.equal(await addressOf('seed004', 'cyan'), '198.51.100.1');
  });

  it('seed 003: a start/stop range hands out its first address and counts the rest', async () => {
    await createPool(c.http, 'pool', {
      blocks: [{ start: '203.0.113.100', stop: '203.0.113.200' }],
      serviceSelector: nsSelector('seed003'),
    });
    await createService(c.http, 'seed003', 'nginx-service');
    assert.equal(await addressOf('seed003', 'nginx-service'), '203.0.113.100');
    await eventually(async () => (await poolRow('pool')) === 'pool false False 100' || undefined, 10_000, 'pool row');
    const wide = await c.kubectl('get', 'pools', 'pool', '-o', 'wide', '--no-headers');
    assert.match(wide, /\s1\s+101\s+true\s*$/, 'USED 1, TOTAL 101, AUTO ASSIGN true');
  });

  it('overlap: the newer pool is CONFLICTING with a reason naming the older one, and heals when it goes', async () => {
    await createPool(c.http, 'older', { blocks: [{ cidr: '192.0.2.64/28' }], serviceSelector: nsSelector('overlap') });
    await new Promise((r) => setTimeout(r, 1_100)); // creationTimestamp has second resolution
    await createPool(c.http, 'newer', {
      blocks: [{ start: '192.0.2.70', stop: '192.0.2.90' }],
      serviceSelector: nsSelector('overlap'),
    });
    await eventually(
      async () => (await poolRow('newer')).startsWith('newer false True 0') || undefined,
      10_000,
      'newer conflicting',
    );
    assert.equal((await poolRow('older')).split(' ')[2], 'False');
    const newer = await c.http.get<{
      status: { conditions: Array<{ type: string; status: string; reason: string; message: string }> };
    }>('/apis/lanlb.io/v1beta1/loadbalancerippools/newer');
    const conflict = newer.status.conditions.find((x) => x.type === 'Conflicting');
    assert.equal(conflict?.reason, 'Overlap');
    assert.match(conflict?.message ?? '', /older pool older at 192\.0\.2\.70-192\.0\.2\.79/);
    await c.http.delete('/apis/lanlb.io/v1beta1/loadbalancerippools/older');
    await eventually(async () => (await poolRow('newer')) === 'newer false False 21' || undefined, 10_000, 'healed');
    // kubectl describe pool tells the story: it conflicted, then the conflict was resolved.
    const story = await eventually(
      async () => {
        const out = await c.kubectl('describe', 'pool', 'newer');
        return /ConflictResolved/.test(out) ? out : undefined;
      },
      10_000,
      'the pool Events',
    );
    assert.match(story, /Warning\s+Conflicting\s+.*overlaps pool older/);
    assert.match(story, /Normal\s+ConflictResolved/);
  });

  it('exhaustion: AllocationFailed with the reason, condition False, and nothing else disturbed', async () => {
    await createPool(c.http, 'tiny', {
      blocks: [{ start: '192.0.2.20', stop: '192.0.2.20' }],
      serviceSelector: nsSelector('exhaust'),
    });
    await createService(c.http, 'exhaust', 'first');
    assert.equal(await addressOf('exhaust', 'first'), '192.0.2.20');
    await createService(c.http, 'exhaust', 'second');
    const failed = await eventually(
      async () => (await eventsFor(c.http, 'exhaust', 'second')).find((e) => e.reason === 'AllocationFailed'),
      10_000,
      'AllocationFailed',
    );
    assert.equal(failed.type, 'Warning');
    assert.match(failed.message, /PoolExhausted: no free IPv4 address in tiny/);
    const svc = await getService(c.http, 'exhaust', 'second');
    assert.equal(svc.status?.conditions?.find((x) => x.type === 'lanlb.io/IPAllocated')?.reason, 'PoolExhausted');
    assert.equal(ips(await getService(c.http, 'exhaust', 'first'))[0], '192.0.2.20');
    // A full pool is READY (True) with no address left; an invalid one is not READY, with the reason.
    await createPool(c.http, 'broken', { blocks: [{ cidr: '192.0.2.0/0' }], serviceSelector: nsSelector('x') });
    const wide = async (name: string) =>
      (await c.kubectl('get', 'pools', name, '-o', 'wide', '--no-headers')).trim().split(/\s+/);
    await eventually(async () => ((await wide('tiny'))[3] === '0' ? true : undefined), 10_000, 'tiny full');
    const tiny = await wide('tiny');
    assert.deepEqual([tiny[3], tiny[5]], ['0', 'True'], `tiny: ${tiny.join(' ')}`);
    const broken = await eventually(
      async () => ((await wide('broken'))[5] === 'False' ? wide('broken') : undefined),
      10_000,
      'broken not ready',
    );
    assert.deepEqual([broken[3], broken[5], broken[6]], ['0', 'False', 'InvalidBlocks'], broken.join(' '));
    const header = (await c.kubectl('get', 'pools', '-o', 'wide')).split('\n')[0] ?? '';
    assert.match(header, /NAME\s+DISABLED\s+CONFLICTING\s+IPS AVAILABLE\s+AGE\s+READY\s+REASON\s+USED\s+TOTAL/);
    const exhausted = await eventually(
      async () => {
        const out = await c.kubectl('describe', 'pool', 'tiny');
        return /PoolExhausted/.test(out) ? out : undefined;
      },
      10_000,
      'PoolExhausted on the pool',
    );
    assert.match(exhausted, /Warning\s+PoolExhausted\s+.*no address left/);
  });

  it('requested addresses: lanlb.io/ips and spec.loadBalancerIP, and a refusal outside every pool', async () => {
    await createPool(c.http, 'req', { blocks: [{ cidr: '203.0.113.0/27' }], serviceSelector: nsSelector('req') });
    await createService(c.http, 'req', 'by-annotation', { annotations: { 'lanlb.io/ips': '203.0.113.20' } });
    await createService(c.http, 'req', 'by-field', { loadBalancerIP: '203.0.113.21' });
    await createService(c.http, 'req', 'outside', { annotations: { 'lanlb.io/ips': '192.0.2.250' } });
    assert.equal(await addressOf('req', 'by-annotation'), '203.0.113.20');
    assert.equal(await addressOf('req', 'by-field'), '203.0.113.21');
    const failed = await eventually(
      async () => (await eventsFor(c.http, 'req', 'outside')).find((e) => e.reason === 'AllocationFailed'),
      10_000,
      'refusal',
    );
    assert.match(failed.message, /RequestedIPNotInPool: 192\.0\.2\.250 is not in any pool/);
  });

  it('autoAssign: false hands out addresses only on request, and -o wide shows it', async () => {
    await createPool(c.http, 'manual', {
      blocks: [{ cidr: '198.18.0.0/29' }],
      serviceSelector: nsSelector('manual'),
      autoAssign: false,
    });
    await createService(c.http, 'manual', 'unasked');
    await createService(c.http, 'manual', 'by-pool', { annotations: { 'lanlb.io/pool': 'manual' } });
    await createService(c.http, 'manual', 'by-ip', { annotations: { 'lanlb.io/ips': '198.18.0.6' } });
    assert.equal(await addressOf('manual', 'by-pool'), '198.18.0.1', 'the first usable address');
    assert.equal(await addressOf('manual', 'by-ip'), '198.18.0.6');
    const refused = await eventually(
      // The Service may be seen before the pool (then "no pool selects"); the pool's arrival
      // revisits it with the reason that stands.
      async () =>
        (await eventsFor(c.http, 'manual', 'unasked')).find(
          (e) => e.reason === 'AllocationFailed' && /only on request/.test(e.message),
        ),
      10_000,
      'the unasked Service refused',
    );
    assert.match(refused.message, /gives addresses only on request \(autoAssign: false/);
    assert.deepEqual(ips(await getService(c.http, 'manual', 'unasked')), []);
    const header = (await c.kubectl('get', 'pools', '-o', 'wide')).split('\n')[0] ?? '';
    assert.match(header, /REASON\s+USED\s+TOTAL\s+AUTO ASSIGN$/);
    const row = (await c.kubectl('get', 'pools', 'manual', '-o', 'wide', '--no-headers')).trim().split(/\s+/);
    assert.equal(row.at(-1), 'false', row.join(' '));
  });

  it('sharing: two Services with one key and different ports share an address', async () => {
    await createPool(c.http, 'share', { blocks: [{ cidr: '203.0.113.32/29' }], serviceSelector: nsSelector('share') });
    await createService(c.http, 'share', 'dns-tcp', {
      annotations: { 'lanlb.io/sharing-key': 'dns' },
      ports: [{ port: 53, protocol: 'TCP' }],
    });
    const first = await addressOf('share', 'dns-tcp');
    await createService(c.http, 'share', 'dns-udp', {
      annotations: { 'lanlb.io/sharing-key': 'dns' },
      ports: [{ port: 53, protocol: 'UDP' }],
    });
    assert.equal(await addressOf('share', 'dns-udp'), first);
    await createService(c.http, 'share', 'clash', {
      annotations: { 'lanlb.io/sharing-key': 'dns' },
      ports: [{ port: 53, protocol: 'TCP' }],
    });
    assert.notEqual(await addressOf('share', 'clash'), first);
  });

  it('a Service that stops being LoadBalancer or is deleted gives its address back', async () => {
    await createPool(c.http, 'churn', {
      blocks: [{ start: '198.51.100.200', stop: '198.51.100.201' }],
      serviceSelector: nsSelector('churn'),
    });
    await createService(c.http, 'churn', 'a');
    await createService(c.http, 'churn', 'b');
    assert.equal(await addressOf('churn', 'a'), '198.51.100.200');
    assert.equal(await addressOf('churn', 'b'), '198.51.100.201');
    await c.http.patch('/api/v1/namespaces/churn/services/a', { spec: { type: 'ClusterIP' } });
    await eventually(
      async () => ips(await getService(c.http, 'churn', 'a')).length === 0 || undefined,
      10_000,
      'status cleared',
    );
    await c.http.delete('/api/v1/namespaces/churn/services/b');
    await eventually(async () => (await poolRow('churn')) === 'churn false False 2' || undefined, 10_000, 'both back');
    await createService(c.http, 'churn', 'c');
    assert.equal(await addressOf('churn', 'c'), '198.51.100.200');
  });

  it('a restart of the controller with many allocated Services changes nothing', async () => {
    await createPool(c.http, 'many', { blocks: [{ cidr: '192.0.2.128/25' }], serviceSelector: nsSelector('many') });
    const names = Array.from({ length: 60 }, (_, i) => `s${i}`);
    await Promise.all(names.map((n) => createService(c.http, 'many', n)));
    await eventually(
      async () => {
        const list = await c.http.get<{ items: Array<Parameters<typeof ips>[0]> }>('/api/v1/namespaces/many/services');
        return list.items.every((s) => ips(s).length === 1) || undefined;
      },
      30_000,
      'all allocated',
    );
    await new Promise((r) => setTimeout(r, 1_500)); // let batched pool status writes settle
    const before = await c.http.get<{ items: Array<{ metadata: { name: string; resourceVersion: string } }> }>(
      '/api/v1/namespaces/many/services',
    );
    const poolsBefore = await c.http.get<{ items: Array<{ metadata: { name: string; resourceVersion: string } }> }>(
      '/apis/lanlb.io/v1beta1/loadbalancerippools',
    );
    await controller.stop();
    controller = start('c2');
    await controller.waitForLog('replayed allocations', 20_000);
    await new Promise((r) => setTimeout(r, 3_000));
    const afterList = await c.http.get<{ items: Array<{ metadata: { name: string; resourceVersion: string } }> }>(
      '/api/v1/namespaces/many/services',
    );
    const poolsAfter = await c.http.get<{ items: Array<{ metadata: { name: string; resourceVersion: string } }> }>(
      '/apis/lanlb.io/v1beta1/loadbalancerippools',
    );
    const rv = (l: typeof before) =>
      Object.fromEntries(l.items.map((i) => [i.metadata.name, i.metadata.resourceVersion]));
    assert.deepEqual(rv(afterList), rv(before), 'no Service written');
    assert.deepEqual(rv(poolsAfter), rv(poolsBefore), 'no pool written');
    const replay = controller.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'replayed allocations');
    assert.ok(Number(replay?.addresses) >= 60, `the replay kept at least 60 addresses, not ${replay?.addresses}`);
  });
});
