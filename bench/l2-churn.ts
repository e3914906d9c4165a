// ARP answer latency while the announcer's control plane is busy (issue 14, item 3c): a real
// kube-apiserver, a controller, and `lanlb announcer` in a node namespace holding a VIP, while this
// process churns 10,000 Services and their EndpointSlices (create, update, delete, in bursts of
// 500) that the announcer watches and plans over. Latency is kernel-stamped on the node's eth0 as
// in l2-answer.ts; the Go peer (no control plane) and the node's kernel answer in the same run,
// under the same churn. Also the announcer's RSS and CPU during it (built, with the image's Node
// flags), and the same announcer restarted with --answer-realtime-priority 1, measured under the
// same churn. Addresses: 192.0.2.0/24.
import { spawn } from 'node:child_process';
import { ControlPlane } from '../src/devcluster/control-plane.js';
import { NetnsLab, nodeEntry, nodeKubeconfig } from '../src/devcluster/netns-lab.js';
import { stopProcess, trackChild } from '../src/devcluster/child-process.js';
import { pollFor } from '../src/devcluster/poll.js';
import { KubeHttp } from '../src/kube/http.js';
import { installCrds } from '../src/kube/crd-install.js';
import type { Row } from './ipam-micro.js';
import { percentile } from './l2.js';
import { goPeerBinary, misses, stampedLatencies, startResponder, type AnswerSides, type Stamped } from './l2-answer.js';
import { shippedLanlb } from './memory.js';
import { cpuSeconds, rssMiB } from './proc.js';

const VIP = '192.0.2.200';
const PEER_IP = '192.0.2.201';
const CHURN = 10_000;
const BURST = 500;
const NS = 'churn';
const SERVICES = `/api/v1/namespaces/${NS}/services`;
const SLICES = `/apis/discovery.k8s.io/v1beta1/namespaces/${NS}/endpointslices`;

const usage = (pid: number) => ({ cpu: cpuSeconds(pid), rss: rssMiB(pid) });

const service = (i: number, round: number) => ({
  metadata: { name: `c${i}`, labels: { app: `a${i % 300}`, round: String(round) } },
  spec: { type: i % 10 === 0 ? 'LoadBalancer' : 'ClusterIP', selector: { app: `a${i % 300}` }, ports: [{ port: 80 }] },
});

const slice = (i: number, ready: boolean) => ({
  metadata: { name: `c${i}-x`, labels: { 'kubernetes.io/service-name': `c${i}` } },
  addressType: 'IPv4',
  endpoints: [{ addresses: [`198.18.${(i >> 8) & 255}.${i & 255}`], conditions: { ready }, topology: {} }],
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
});

/** Runs `op` for 0..n-1, 32 requests in flight; stops early once `signal` aborts. */
async function each(n: number, signal: AbortSignal, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < n && !signal.aborted) {
      await op(next++).catch(() => undefined);
      done++;
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  return done;
}

/**
 * Creates, updates and deletes CHURN Services with their slices, a burst of BURST at a time, until
 * aborted; `progress.pairs` counts the Service + slice pairs written so far.
 */
async function churn(http: KubeHttp, signal: AbortSignal, progress: { pairs: number }): Promise<void> {
  const burst = async (op: (i: number) => Promise<unknown>) => {
    for (let b = 0; b < CHURN && !signal.aborted; b += BURST)
      progress.pairs += await each(BURST, signal, (k) => op(b + k));
  };
  for (let round = 0; !signal.aborted; round++) {
    await burst((i) => http.post(SERVICES, service(i, round)).then(() => http.post(SLICES, slice(i, true))));
    await burst((i) =>
      http
        .patch(`${SERVICES}/c${i}`, { metadata: { labels: { round: `${round}u` } } })
        .then(() => http.put(`${SLICES}/c${i}-x`, slice(i, false))),
    );
    await burst((i) => http.delete(`${SERVICES}/c${i}`).then(() => http.delete(`${SLICES}/c${i}-x`)));
  }
}

async function objects(http: KubeHttp): Promise<void> {
  await installCrds(http);
  for (const name of ['lanlb-system', 'demo', NS]) await http.post('/api/v1/namespaces', { metadata: { name } });
  await http.post('/api/v1/nodes', { metadata: { name: 'node1', labels: { 'kubernetes.io/hostname': 'node1' } } });
  const v1beta1 = (kind: string, name: string, spec: object) => ({
    apiVersion: 'lanlb.io/v1beta1',
    kind,
    metadata: { name },
    spec,
  });
  const pool = v1beta1('LoadBalancerIPPool', 'p', { blocks: [{ start: VIP, stop: VIP }] });
  await http.post('/apis/lanlb.io/v1beta1/loadbalancerippools', pool);
  await http.post(
    '/apis/lanlb.io/v1beta1/l2announcementpolicies',
    v1beta1('L2AnnouncementPolicy', 'all', { interfaces: ['^eth0$'] }),
  );
  await http.post('/api/v1/namespaces/demo/services', {
    metadata: { name: 'web', annotations: { 'lanlb.io/ips': VIP } },
    spec: { type: 'LoadBalancer', ports: [{ port: 80, targetPort: 80 }] },
  });
}

interface Measured {
  kernel: Stamped;
  peer: Stamped;
  lanlb: Stamped;
  /** the announcer again, its answer thread at SCHED_RR 1 (--answer-realtime-priority 1) */
  realtime: Stamped;
  cpuPercent: number;
  rssMiB: number;
  writesPerS: number;
}

async function measure(cp: ControlPlane, lab: NetnsLab): Promise<Measured> {
  const http = new KubeHttp(cp.kubeConfig());
  const node = lab.nodes[0];
  if (!node?.address) throw new Error('the lab node has no address');
  const sides: AnswerSides = { responderNs: node.netns, clientNs: lab.client };
  const children = [];
  try {
    await objects(http);
    const quiet = ['--health-addr', '0', '--metrics-addr', '0', '--log-level', 'warn'];
    const controller = spawn(
      process.execPath,
      [
        ...nodeEntry('src/cli/entry.ts'),
        'controller',
        '--webhook-addr',
        '0',
        '--kubeconfig',
        cp.writeKubeconfig(),
        ...quiet,
      ],
      { stdio: 'ignore' },
    );
    trackChild(controller);
    children.push(controller);
    const args = ['announcer', '--node-name', 'node1', '--kubeconfig', nodeKubeconfig(cp), ...quiet];
    // The announcer as shipped (built, the image's Node flags): its CPU and RSS are reported.
    const announcer = lab.spawnIn(node.netns, process.execPath, [...(await shippedLanlb()), ...args]);
    children.push(announcer);
    const answered = () =>
      pollFor(async () => ((await lab.arpAnswers(VIP, 1)).length ? true : undefined), 60_000, 'VIP answered', 200);
    await answered();
    const peer = await startResponder(await goPeerBinary(), ['eth0', PEER_IP], node.netns);
    children.push(peer);
    const stop = new AbortController();
    const progress = { pairs: 0 };
    const churning = churn(http, stop.signal, progress);
    // Measured once all 10,000 exist (the announcer caches and plans over them), while they change.
    await pollFor(async () => (progress.pairs >= CHURN ? true : undefined), 600_000, 'churn created', 500);
    const t0 = performance.now();
    const pairsBefore = progress.pairs;
    const before = usage(announcer.pid ?? 0);
    const w0 = performance.now();
    const lanlb = await stampedLatencies(VIP, sides);
    const after = usage(announcer.pid ?? 0);
    const cpuPercent = ((after.cpu - before.cpu) * 100_000) / (performance.now() - w0);
    const peerUs = await stampedLatencies(PEER_IP, sides);
    const kernel = await stampedLatencies(node.address, sides);
    const writesPerS = ((progress.pairs - pairsBefore) * 2) / ((performance.now() - t0) / 1000);
    // The same announcer restarted with its answer thread at a real-time priority, same churn.
    await stopProcess(announcer, 5_000);
    const rt = [...(await shippedLanlb()), ...args, '--answer-realtime-priority', '1'];
    children.push(lab.spawnIn(node.netns, process.execPath, rt));
    await answered();
    const realtime = await stampedLatencies(VIP, sides);
    stop.abort();
    await churning;
    const rssMiB = Math.max(before.rss, after.rss);
    return { kernel, peer: peerUs, lanlb, realtime, cpuPercent, rssMiB, writesPerS };
  } finally {
    for (const c of children) await stopProcess(c, 5_000);
    http.close();
  }
}

function rows(m: Measured): Row[] {
  const us = (x: number) => `${x.toFixed(0)} us`;
  const label = `announcer amid a churn of ${CHURN} Services + slices (${m.writesPerS.toFixed(0)} writes/s)`;
  const answers = (ours: Stamped, how: string) =>
    [50, 99].map((p) => ({
      name: `ARP answer p${p}, ${label}${how} (kernel-stamped, 600 requests 5 ms apart)`,
      value: `${us(percentile(ours.us, p))}${misses(ours)}`,
      baseline: `${us(percentile(m.peer.us, p))} Go peer${misses(m.peer)}; kernel ${us(percentile(m.kernel.us, p))}`,
      ratio: (percentile(ours.us, p) / percentile(m.peer.us, p)).toFixed(2),
      target: p === 50 ? '<= 1.5' : '<= 2, and <= 1 ms',
    }));
  return [
    ...answers(m.lanlb, ''),
    ...answers(m.realtime, ', answer thread SCHED_RR (--answer-realtime-priority 1)'),
    {
      name: `announcer during the churn: CPU (of one core) and RSS`,
      value: `${m.cpuPercent.toFixed(0)} %, ${m.rssMiB.toFixed(0)} MiB`,
      baseline: '-',
      ratio: '-',
    },
  ];
}

export async function answerLatencyUnderChurn(): Promise<Row[]> {
  const cp = new ControlPlane();
  await cp.start();
  const lab = new NetnsLab({ prefix: 'lanlbb-ch-', nodes: 1, dir: cp.dataDir, apiserverPort: cp.apiserverPort });
  try {
    await lab.create();
    return rows(await measure(cp, lab));
  } finally {
    await lab.destroy();
    await cp.stop();
  }
}
