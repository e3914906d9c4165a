// Layer 2 end to end, on real frames: a real apiserver, `lanlb controller`, three node
// namespaces each running `lanlb announcer`, and a client namespace that asks with arping and
// ndisc6. Only 192.0.2.0/24 and 2001:db8::/64, only inside namespaces this test creates and
// removes; processes are stopped by pid.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { useCluster, eventually } from '../helpers/cluster.js';
import { startLanlb, type LanlbProcess } from '../helpers/lanlb-process.js';
import { createPool, createService, ensureNamespace, getService, ips, nsSelector } from '../helpers/k8s-objects.js';
import { NetnsLab, NODE_API_PORT, nodeEntry } from '../../src/devcluster/netns-lab.js';
import type { ChildProcess } from 'node:child_process';

const VIP4 = '192.0.2.200';
const VIP6 = '2001:db8::200';

describe('L2 announcement on real frames', () => {
  const c = useCluster({ crds: true });
  let lab: NetnsLab;
  let controller: LanlbProcess;
  const announcers = new Map<string, ChildProcess>();
  const logs = new Map<string, string[]>();

  const nodeKubeconfig = (): string => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'lab', server: `https://127.0.0.1:${NODE_API_PORT}`, skipTLSVerify: true }],
      users: [{ name: 'admin', token: c.cp.adminToken }],
      contexts: [{ name: 'lab', cluster: 'lab', user: 'admin' }], currentContext: 'lab',
    });
    const path = join(c.cp.dataDir, 'kubeconfig-node');
    writeFileSync(path, kc.exportConfig());
    return path;
  };

  const startAnnouncer = (node: string): void => {
    const n = lab.nodes.find((x) => x.name === node);
    assert.ok(n);
    const child = lab.spawnIn(n.netns, process.execPath, [...nodeEntry('src/cli/entry.ts'), 'announcer', '--node-name', node, '--kubeconfig', nodeKubeconfig(), '--health-addr', '0', '--metrics-addr', '0']);
    const lines: string[] = [];
    logs.set(node, lines);
    child.stderr?.on('data', (b: Buffer) => lines.push(...b.toString().split('\n').filter(Boolean)));
    announcers.set(node, child);
  };

  const holder = async (): Promise<string | undefined> => {
    try {
      const l = await c.http.get<{ spec: { holderIdentity?: string } }>('/apis/coordination.k8s.io/v1/namespaces/lanlb-system/leases/lanlb-l2-web-web');
      return l.spec.holderIdentity || undefined;
    } catch {
      return undefined;
    }
  };
  const macOf = (node: string) => lab.nodes.find((n) => n.name === node)?.mac;

  before(async () => {
    lab = new NetnsLab({ prefix: `lanlb${process.pid % 100000}-`, nodes: 3, dir: c.cp.dataDir, apiserverPort: c.cp.apiserverPort, nodeAddresses: false });
    await lab.create();
    await ensureNamespace(c.http, 'lanlb-system');
    for (const n of lab.nodes) await c.http.post('/api/v1/nodes', { metadata: { name: n.name, labels: { 'kubernetes.io/hostname': n.name } } });
    controller = startLanlb(['controller', '--webhook-addr', '0', '--kubeconfig', c.kubeconfigPath, '--health-addr', '0', '--metrics-addr', '0']);
    await controller.waitForLog('leading', 20_000);
    await createPool(c.http, 'lan', { blocks: [{ start: VIP4, stop: '192.0.2.210' }, { start: VIP6, stop: '2001:db8::210' }], serviceSelector: nsSelector('web') });
    await c.http.post('/apis/lanlb.io/v1beta1/l2announcementpolicies', {
      apiVersion: 'lanlb.io/v1beta1', kind: 'L2AnnouncementPolicy', metadata: { name: 'web' },
      spec: { serviceSelector: nsSelector('web'), nodeSelector: { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node1', 'node2'] }] }, interfaces: ['^eth[0-9]+$'] },
    });
    for (const n of lab.nodes) startAnnouncer(n.name);
    await ensureNamespace(c.http, 'web');
    await c.http.post('/api/v1/namespaces/web/services', {
      metadata: { name: 'web' },
      spec: { type: 'LoadBalancer', ipFamilyPolicy: 'SingleStack', ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }] },
    });
  }, { timeout: 120_000 });

  after(async () => {
    await controller?.stop();
    await lab?.destroy();
  });

  it('the Service gets a VIP and exactly one selected node answers ARP for it with its eth0 MAC', async () => {
    const node = await eventually(holder, 20_000, 'a Lease holder');
    assert.ok(node === 'node1' || node === 'node2', `holder ${node} is selected by the policy`);
    const macs = await eventually(async () => {
      const m = await lab.arpAnswers(VIP4, 3, 2);
      return m.length ? m : undefined;
    }, 15_000, 'an ARP answer');
    assert.deepEqual(macs, [macOf(node)]);
    assert.ok(!macs.includes(macOf('node3') as string), 'node3 is not selected and never answers');
  });

  it('a second, IPv6 address is answered by Neighbor Advertisement from the holder', async () => {
    // The 1.20 test apiserver is IPv4-only: the Service names its IPv6 VIP explicitly.
    await createService(c.http, 'web', 'web6', { annotations: { 'lanlb.io/ips': VIP6 } });
    const lease = async () => (await c.http.get<{ spec: { holderIdentity?: string } }>('/apis/coordination.k8s.io/v1/namespaces/lanlb-system/leases/lanlb-l2-web-web6')).spec.holderIdentity || undefined;
    const v6holder = await eventually(lease, 20_000, 'IPv6 Service holder');
    const mac = await eventually(() => lab.ndpAnswer(VIP6), 15_000, 'an NA');
    assert.equal(mac, macOf(v6holder));
  });

  it('SIGKILL of the holder: the other selected node takes over within the goal and the client\'s neighbour entry moves', async () => {
    const before = await eventually(holder, 10_000, 'holder');
    await lab.arpAnswers(VIP4, 1, 1);
    await new Promise((r) => setTimeout(r, 200));
    await lab.ping(VIP4);
    assert.equal(await lab.neighbour(VIP4), macOf(before));
    const t0 = performance.now();
    announcers.get(before)?.kill('SIGKILL');
    const other = before === 'node1' ? 'node2' : 'node1';
    await eventually(async () => (await lab.neighbour(VIP4)) === macOf(other) || undefined, 10_000, 'neighbour entry moved');
    const took = performance.now() - t0;
    assert.equal(await holder(), other);
    assert.ok(took < 3_500, `takeover after SIGKILL took ${took.toFixed(0)} ms (goal 3 s)`);
    startAnnouncer(before);
  });

  it('SIGTERM of the holder: it hands over at once', async () => {
    await new Promise((r) => setTimeout(r, 2_500)); // the restarted node heartbeats again
    const current = await eventually(holder, 10_000, 'holder');
    const other = current === 'node1' ? 'node2' : 'node1';
    const t0 = performance.now();
    announcers.get(current)?.kill('SIGTERM');
    await eventually(async () => (await lab.neighbour(VIP4)) === macOf(other) || undefined, 10_000, 'neighbour entry moved');
    const took = performance.now() - t0;
    assert.ok(took < 1_000, `takeover after SIGTERM took ${took.toFixed(0)} ms (goal 0.5 s plus process exit)`);
    startAnnouncer(current);
  });

  it('a policy whose interfaces match none of the node\'s interfaces gets no answer', async () => {
    await createPool(c.http, 'bond', { blocks: [{ start: '192.0.2.220', stop: '192.0.2.220' }], serviceSelector: nsSelector('bond') });
    await c.http.post('/apis/lanlb.io/v1beta1/l2announcementpolicies', {
      apiVersion: 'lanlb.io/v1beta1', kind: 'L2AnnouncementPolicy', metadata: { name: 'bond' },
      spec: { serviceSelector: nsSelector('bond'), interfaces: ['^bond[0-9]+$'] },
    });
    await createService(c.http, 'bond', 'svc');
    await eventually(async () => ips(await getService(c.http, 'bond', 'svc'))[0], 10_000, 'address');
    await new Promise((r) => setTimeout(r, 1_500));
    assert.deepEqual(await lab.arpAnswers('192.0.2.220', 2, 1), [], 'no node has a bond interface');
  });

  it('deleting a Service stops the answers for its address', async () => {
    assert.ok(await lab.ndpAnswer(VIP6), 'answered before');
    await c.http.delete('/api/v1/namespaces/web/services/web6');
    await eventually(async () => ((await lab.ndpAnswer(VIP6)) === undefined ? true : undefined), 10_000, 'silence for the deleted Service');
  });

  it('deleting the policy stops every answer', async () => {
    await c.http.delete('/apis/lanlb.io/v1beta1/l2announcementpolicies/web');
    await eventually(async () => (await lab.arpAnswers(VIP4, 1, 1)).length === 0 || undefined, 10_000, 'silence');
    assert.deepEqual(await lab.arpAnswers(VIP4, 2, 1), []);
  });
});
