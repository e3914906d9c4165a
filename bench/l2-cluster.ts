// Takeover times after SIGKILL and SIGTERM, and the apiserver's request rate from 3 announcers
// at 100 and at 1,000 Services, read from the apiserver's own /metrics. Namespaces are made and
// removed here; addresses come from 192.0.2.0/24 and 2001:db8::/64 only.
import { serviceLeaseName } from '../src/l2/election/lease-names.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ControlPlane } from '../src/devcluster/control-plane.js';
import { ip, NetnsLab, NODE_API_PORT, nodeEntry } from '../src/devcluster/netns-lab.js';
import { runInNetns } from '../src/devcluster/run-program.js';
import { trackChild, stopProcess } from '../src/devcluster/child-process.js';
import { KubeHttp } from '../src/kube/http.js';
import { installCrds } from '../src/kube/crd-install.js';
import { pollFor } from '../src/devcluster/poll.js';
import type { Row } from './ipam-micro.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FLOOR_IP = '192.0.2.201';

/** Non-watch requests the apiserver has served so far. */
async function requestCount(http: KubeHttp): Promise<number> {
  const text = await http.get<string>('/metrics');
  let n = 0;
  for (const line of String(text).split('\n')) {
    if (!line.startsWith('apiserver_request_total{') || /verb="(WATCH|CONNECT)"/.test(line)) continue;
    n += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return n;
}

export async function takeoverAndApiLoad(): Promise<Row[]> {
  const cp = new ControlPlane();
  await cp.start();
  const http = new KubeHttp(cp.kubeConfig());
  const lab = new NetnsLab({ prefix: 'lanlbb-', nodes: 3, dir: cp.dataDir, apiserverPort: cp.apiserverPort });
  const children: ChildProcess[] = [];
  try {
    await installCrds(http);
    await http.post('/api/v1/namespaces', { metadata: { name: 'lanlb-system' } });
    await lab.create();
    for (const n of lab.nodes)
      await http.post('/api/v1/nodes', { metadata: { name: n.name, labels: { 'kubernetes.io/hostname': n.name } } });
    const kubeconfig = cp.writeKubeconfig();
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'l', server: `https://127.0.0.1:${NODE_API_PORT}`, skipTLSVerify: true }],
      users: [{ name: 'a', token: cp.adminToken }],
      contexts: [{ name: 'l', cluster: 'l', user: 'a' }],
      currentContext: 'l',
    });
    const nodeKc = join(cp.dataDir, 'kc-node');
    writeFileSync(nodeKc, kc.exportConfig());
    const startController = () => {
      const c = spawn(
        process.execPath,
        [
          ...nodeEntry('src/cli/entry.ts'),
          'controller',
          '--webhook-addr',
          '0',
          '--kubeconfig',
          kubeconfig,
          '--health-addr',
          '0',
          '--metrics-addr',
          '0',
          '--log-level',
          'warn',
        ],
        { stdio: 'ignore' },
      );
      trackChild(c);
      return c;
    };
    const announcers = new Map<string, ChildProcess>();
    const startAnnouncer = (node: string) => {
      const n = lab.nodes.find((x) => x.name === node);
      if (!n) throw new Error(node);
      announcers.set(
        node,
        lab.spawnIn(n.netns, process.execPath, [
          ...nodeEntry('src/cli/entry.ts'),
          'announcer',
          '--node-name',
          node,
          '--kubeconfig',
          nodeKc,
          '--health-addr',
          '0',
          '--metrics-addr',
          '0',
          '--log-level',
          'warn',
        ]),
      );
    };
    let controller = startController();
    children.push(controller);
    for (const n of lab.nodes) startAnnouncer(n.name);
    await http.post('/apis/lanlb.io/v1beta1/loadbalancerippools', {
      apiVersion: 'lanlb.io/v1beta1',
      kind: 'LoadBalancerIPPool',
      metadata: { name: 'p' },
      spec: { blocks: [{ start: '192.0.2.200', stop: '192.0.2.200' }, { cidr: '2001:db8::/112' }] },
    });
    await http.post('/apis/lanlb.io/v1beta1/l2announcementpolicies', {
      apiVersion: 'lanlb.io/v1beta1',
      kind: 'L2AnnouncementPolicy',
      metadata: { name: 'all' },
      spec: { interfaces: ['^eth0$'] },
    });
    await http.post('/api/v1/namespaces', { metadata: { name: 'demo' } });
    await http.post('/api/v1/namespaces/demo/services', {
      metadata: { name: 'web', annotations: { 'lanlb.io/ips': '192.0.2.200' } },
      spec: { type: 'LoadBalancer', ports: [{ port: 80, targetPort: 80 }] },
    });
    const holder = () =>
      pollFor(
        async () =>
          (
            await http.get<{ spec: { holderIdentity?: string } }>(
              `/apis/coordination.k8s.io/v1/namespaces/lanlb-system/leases/${serviceLeaseName('demo', 'web')}`,
            )
          ).spec.holderIdentity || undefined,
        20_000,
        'holder',
        20,
      );
    const macOf = (node: string) => lab.nodes.find((n) => n.name === node)?.mac;
    const takeover = async (signal: NodeJS.Signals): Promise<number> => {
      const h = await holder();
      await pollFor(
        async () => ((await lab.arpAnswers('192.0.2.200', 1, 1))[0] === macOf(h) ? true : undefined),
        10_000,
        'answered by holder',
        20,
      );
      const t0 = performance.now();
      announcers.get(h)?.kill(signal);
      await pollFor(
        async () => {
          const mac = (await lab.arpAnswers('192.0.2.200', 1, 0.05))[0];
          return mac && mac !== macOf(h) ? mac : undefined;
        },
        10_000,
        'takeover',
        20,
      );
      const ms = performance.now() - t0;
      startAnnouncer(h);
      await sleep(2_500);
      return ms;
    };
    // The floor, timed the same way: the kernel's own address moved by hand from node1 to node2
    // (delete, add with arp_notify's gratuitous ARP), seen by the same client probe.
    const kernelMove = async (): Promise<number> => {
      const [from, to] = [lab.nodes[0], lab.nodes[1]];
      if (!from || !to) throw new Error('two nodes needed');
      await runInNetns(to.netns, 'sysctl', ['-qw', 'net.ipv4.conf.eth0.arp_notify=1']);
      await ip('-n', from.netns, 'addr', 'add', `${FLOOR_IP}/32`, 'dev', 'eth0');
      await pollFor(
        async () => ((await lab.arpAnswers(FLOOR_IP, 1, 1))[0] === from.mac ? true : undefined),
        10_000,
        'floor on node1',
        20,
      );
      const t0 = performance.now();
      await ip('-n', from.netns, 'addr', 'del', `${FLOOR_IP}/32`, 'dev', 'eth0');
      await ip('-n', to.netns, 'addr', 'add', `${FLOOR_IP}/32`, 'dev', 'eth0');
      await pollFor(
        async () => ((await lab.arpAnswers(FLOOR_IP, 1, 0.05))[0] === to.mac ? true : undefined),
        10_000,
        'floor moved',
        20,
      );
      const ms = performance.now() - t0;
      await ip('-n', to.netns, 'addr', 'del', `${FLOOR_IP}/32`, 'dev', 'eth0');
      return ms;
    };
    const floors: number[] = [];
    for (let i = 0; i < 3; i++) floors.push(await kernelMove());
    const kills: number[] = [];
    const terms: number[] = [];
    for (let i = 0; i < 3; i++) kills.push(await takeover('SIGKILL'));
    for (let i = 0; i < 3; i++) terms.push(await takeover('SIGTERM'));

    const loadAt = async (total: number): Promise<number> => {
      const have = (
        await http.get<{ items: unknown[] }>('/api/v1/namespaces/bulk/services').catch(() => ({ items: [] }))
      ).items.length;
      if (have === 0) await http.post('/api/v1/namespaces', { metadata: { name: 'bulk' } }).catch(() => undefined);
      if (controller.exitCode !== null || controller.signalCode !== null) {
        controller = startController();
        children.push(controller);
      }
      for (let i = have; i < total; i++) {
        await http.post('/api/v1/namespaces/bulk/services', {
          metadata: { name: `s${i}`, annotations: { 'lanlb.io/ips': `2001:db8::${(i + 1).toString(16)}` } },
          spec: { type: 'LoadBalancer', ports: [{ port: 80, targetPort: 80 }] },
        });
      }
      await pollFor(
        async () => {
          const l = await http.get<{ items: Array<{ metadata: { name: string }; spec: { holderIdentity?: string } }> }>(
            '/apis/coordination.k8s.io/v1/namespaces/lanlb-system/leases',
          );
          return l.items.filter(
            (x) => x.metadata.name.startsWith(serviceLeaseName('bulk', '')) && x.spec.holderIdentity,
          ).length >= total
            ? true
            : undefined;
        },
        120_000,
        `${total} leases held`,
        20,
      );
      await stopProcess(controller, 5_000); // measure the announcers alone
      await sleep(3_000);
      const a = await requestCount(http);
      await sleep(10_000);
      const b = await requestCount(http);
      return (b - a) / 10;
    };
    const at100 = await loadAt(100);
    const at1000 = await loadAt(1000);
    const stats = (xs: number[]) =>
      `${(Math.max(...xs) / 1000).toFixed(2)} s worst of ${xs.length} ` +
      `(${xs.map((x) => (x / 1000).toFixed(2)).join(', ')})`;
    const floor = `${stats(floors)} (address moved by hand between kernels, same probe)`;
    const worst = (xs: number[]) => Math.max(...xs);
    return [
      {
        name: 'takeover after SIGKILL of the holder (client ARP probe every 50 ms)',
        value: stats(kills),
        baseline: floor,
        ratio: (worst(kills) / worst(floors)).toFixed(1),
        target: 'goal: <= 3 s',
      },
      {
        name: 'takeover after SIGTERM of the holder',
        value: stats(terms),
        baseline: floor,
        ratio: (worst(terms) / worst(floors)).toFixed(1),
        target: 'goal: <= 0.5 s',
      },
      {
        name: 'apiserver requests/s from 3 announcers, 1,000 Services',
        value: `${at1000.toFixed(1)}/s`,
        baseline: `${at100.toFixed(1)}/s at 100 Services`,
        ratio: (at1000 / at100).toFixed(2),
        target: 'about 1.0 (independent of Services)',
      },
    ];
  } finally {
    for (const c of children) await stopProcess(c, 5_000);
    await lab.destroy();
    http.close();
    await cp.stop();
  }
}
