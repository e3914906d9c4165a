// Scale, apiserver side (issue 28): N simulated nodes, every one selected (a policy without a
// nodeSelector, the default), on a real kube-apiserver 1.20.2 + etcd, many clients in this one
// process. Each simulated node is a client of its own (one connection, as each node's process):
// it renews its heartbeat Lease with the announcer's own NodeHeartbeat (one PUT per 10 s) and, for
// lanlb, runs the announcer's own six informers (kube/announcer-sources.ts) on the same client:
// Lease copies (L2Announcement, l2/election/lease-copy.ts), not Leases. Measured in the same run:
//   floor        kubelet's pattern: N clients renewing, one watcher (the node lifecycle controller);
//   lanlb        N clients renewing and watching over one HTTP/2 connection each, plus the
//                controller's one watch of Service Leases;
//   lanlb-http1  the same over HTTP/1.1 (a connection per watch), at the smallest N only
//                (LANLB_BENCH_SCALE_HTTP1=0 skips it);
//   previous     N renewers, N watchers of every lanlb Lease (the design before issue 28), at the
//                smallest N only: at 1,000 it saturated the apiserver (issue 28's measurements).
// Simulated nodes start at 50 a second at most, and the window is measured once all have synced.
// Reported: writes/s, watch events/s delivered, apiserver CPU, renewal p99, watches closed or
// failed, TCP connections. A watcher whose watch was closed received nothing: counted as failures.
import { Agent } from 'node:https';
import { ControlPlane } from '../src/devcluster/control-plane.js';
import { KubeHttp } from '../src/kube/http.js';
import { systemClock } from '../src/runtime/clock.js';
import { NodeHeartbeat } from '../src/announcer/node-heartbeat.js';
import { KubeLeaseStore } from '../src/kube/lease-store.js';
import { DEFAULT_ANNOUNCER_TIMINGS } from '../src/announcer/options.js';
import { SERVICE_LEASE_SELECTOR } from '../src/kube/lease-copier.js';
import { kubeAnnouncerSources, type KubeAnnouncerSources } from '../src/kube/announcer-sources.js';
import type { Logger } from '../src/runtime/ports/logger.js';
import { execFileSync } from 'node:child_process';
import { installCrds } from '../src/kube/crd-install.js';
import { LEASE_TYPE_LABEL } from '../src/l2/election/lease-names.js';
import { LeaseWatcher, p99, timed } from './l2-api-load.js';
import { cpuSeconds } from './proc.js';
import type { Row } from './ipam-micro.js';

const NS = 'lanlb-system';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SIZES = (process.env.LANLB_BENCH_SCALE_NODES ?? '300,1000,3000').split(',').map(Number);
const STEADY_MS = Number(process.env.LANLB_BENCH_STEADY_MS ?? 30_000);
const STARTS_PER_S = 50;

type Design = 'floor' | 'lanlb' | 'lanlb-http1' | 'previous';

interface Load {
  writesPerS: number;
  eventsPerS: number;
  cpu: number;
  renewP99Ms: number;
  /** this process's CPU: the simulated nodes' own clients (renewals, TLS watch connections) */
  simulatorCpu: number;
  closed: number;
  /** watch requests answered other than 200 (status: count), retried with backoff */
  refused: Record<number, number>;
  /** watchers with no open watch at the end of the warm-up, and at the end */
  unconnected: [number, number];
  /** the simulator's TCP connections to the apiserver at the end of the warm-up */
  connections: number;
}

/**
 * One simulated node: its own client (one HTTP/2 connection, as each announcer process has), its
 * NodeHeartbeat, and for lanlb the announcer's six informers (Policies, Services, Nodes,
 * EndpointSlices, pools, Lease copies) on that same client. The floor's node (a kubelet) renews only.
 */
class SimNode {
  readonly http: KubeHttp;
  readonly beat: NodeHeartbeat;
  private readonly sources: KubeAnnouncerSources | undefined;
  private readonly stopped = new AbortController();
  /** informer list or watch failures (a closed or refused watch), and events delivered */
  failures = 0;
  events = 0;
  synced = false;

  constructor(cp: ControlPlane, node: string, design: Design, latencies: number[]) {
    this.http = new KubeHttp(cp.kubeConfig(), { http2: design !== 'lanlb-http1' });
    const t = DEFAULT_ANNOUNCER_TIMINGS;
    this.beat = new NodeHeartbeat({
      store: timed(new KubeLeaseStore(this.http), latencies),
      clock: systemClock,
      namespace: NS,
      node,
      durationMs: t.nodeLeaseDurationMs,
      renewEveryMs: t.nodeLeaseRenewMs,
      onError: () => undefined,
    });
    if (design !== 'lanlb' && design !== 'lanlb-http1') return;
    const log = quietLogger(() => this.failures++);
    this.sources = kubeAnnouncerSources(this.http, NS, '/apis/discovery.k8s.io/v1beta1/endpointslices', log);
    const count = { add: () => this.events++, update: () => this.events++, delete: () => this.events++ };
    for (const s of [this.sources.policies, this.sources.services, this.sources.nodes, this.sources.leases]) {
      s.addHandler(count);
    }
  }

  start(): void {
    this.beat.start();
    this.sources?.start(this.stopped.signal).then(
      () => (this.synced = true),
      () => this.failures++,
    );
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    await this.beat.stop();
    this.http.close();
  }
}

function quietLogger(onWarn: () => void): Logger {
  const log: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: onWarn,
    error: onWarn,
    child: () => log,
  };
  return log;
}

async function measure(cp: ControlPlane, nodes: number, design: Design): Promise<Load> {
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const watchers =
    design === 'floor'
      ? [new LeaseWatcher(cp, agent, 'lanlb.io/lease=node')]
      : design === 'previous'
        ? Array.from({ length: nodes }, () => new LeaseWatcher(cp, agent, LEASE_TYPE_LABEL))
        : [new LeaseWatcher(cp, agent, SERVICE_LEASE_SELECTOR)]; // the controller's copier
  for (const w of watchers) w.start();
  const latencies: number[] = [];
  const t = DEFAULT_ANNOUNCER_TIMINGS;
  const sims = Array.from({ length: nodes }, (_, i) => new SimNode(cp, `${design}-${nodes}-${i}`, design, latencies));
  // Nodes start at different times: spread over one renewal period.
  // Nodes start at different times: 50 a second at most (a DaemonSet rolls out one node at a
  // time; a cold start of thousands at once is a burst of lists, not the steady state measured).
  const spreadMs = Math.max(t.nodeLeaseRenewMs, (nodes / STARTS_PER_S) * 1_000);
  sims.forEach((sim, i) => setTimeout(() => sim.start(), (i * spreadMs) / nodes));
  await sleep(spreadMs + 5_000);
  const simulated = design === 'lanlb' || design === 'lanlb-http1';
  // Steady state: every simulated announcer's informers have listed (bounded wait).
  for (let waited = 0; simulated && waited < 180_000 && sims.some((n) => !n.synced); waited += 1_000)
    await sleep(1_000);
  const unconnected = () =>
    watchers.filter((w) => !w.connected).length + (simulated ? sims.filter((n) => !n.synced).length : 0);
  const unconnectedAtStart = unconnected();
  const connections = connectionsTo(cp.server);
  const pid = cp.apiserverPid ?? 0;
  const events = () => watchers.reduce((a, w) => a + w.events, 0) + sims.reduce((a, n) => a + n.events, 0);
  const failures = () => sims.reduce((a, n) => a + n.failures, 0);
  const [cpu0, ev0, w0, f0, at0] = [cpuSeconds(pid), events(), latencies.length, failures(), performance.now()];
  const sim0 = cpuSeconds(process.pid);
  await sleep(STEADY_MS);
  const secs = (performance.now() - at0) / 1000;
  const load = {
    writesPerS: (latencies.length - w0) / secs,
    eventsPerS: (events() - ev0) / secs,
    cpu: (cpuSeconds(pid) - cpu0) / secs,
    simulatorCpu: (cpuSeconds(process.pid) - sim0) / secs,
    renewP99Ms: p99(latencies.slice(w0)),
    closed: watchers.reduce((a, w) => a + w.closedEarly, 0) + failures() - f0,
    refused: refusals(watchers),
    unconnected: [unconnectedAtStart, unconnected()] as [number, number],
    connections,
  };
  await Promise.all(sims.map((n) => n.stop()));
  for (const w of watchers) w.stop();
  agent.destroy();
  const http = new KubeHttp(cp.kubeConfig());
  await http.delete(`/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`).catch(() => undefined);
  http.close();
  return load;
}

/** This process's established TCP connections to the apiserver (from the kernel's table). */
function connectionsTo(server: string): number {
  const port = new URL(server).port;
  const out = execFileSync('ss', ['-tnpH', 'state', 'established', `( dport = :${port} )`], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return out.split('\n').filter((l) => l.includes(`pid=${process.pid},`)).length;
}

function refusals(watchers: readonly LeaseWatcher[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const w of watchers) for (const [status, n] of w.refused) out[status] = (out[status] ?? 0) + n;
  return out;
}

const describe = (l: Load) =>
  `${l.writesPerS.toFixed(1)} writes/s, ${l.eventsPerS.toFixed(0)} watch events/s, apiserver CPU ` +
  `${(l.cpu * 100).toFixed(0)} % (simulator ${(l.simulatorCpu * 100).toFixed(0)} %), ` +
  `renewal p99 ${l.renewP99Ms.toFixed(0)} ms, ${l.closed} watches closed` +
  (Object.keys(l.refused).length ? `, watch requests refused ${JSON.stringify(l.refused)} (retried)` : '') +
  `, ${l.unconnected[0]}/${l.unconnected[1]} watchers not connected after warm-up/at the end` +
  `, ${l.connections} TCP connections`;

export async function scaleApiLoad(): Promise<Row[]> {
  const cp = new ControlPlane();
  await cp.start();
  try {
    const http = new KubeHttp(cp.kubeConfig());
    await http.post('/api/v1/namespaces', { metadata: { name: NS } });
    await installCrds(http);
    http.close();
    const rows: Row[] = [];
    const smallest = Math.min(...SIZES);
    // The previous design is measured at the smallest N only (LANLB_BENCH_SCALE_PREVIOUS=0 skips it).
    if (process.env.LANLB_BENCH_SCALE_PREVIOUS !== '0') rows.push(await previousRow(cp, smallest, 'previous'));
    // lanlb's own code paths over HTTP/1.1 (a connection per watch), for comparison (=0 skips it).
    if (process.env.LANLB_BENCH_SCALE_HTTP1 !== '0') rows.push(await previousRow(cp, smallest, 'lanlb-http1'));
    for (const n of SIZES) {
      const floor = await measure(cp, n, 'floor');
      const now = await measure(cp, n, 'lanlb');
      const failed = now.closed > 0 || now.renewP99Ms > 1_000 || now.unconnected[1] > 0;
      rows.push({
        name: `scale: ${n} nodes all selected (${STEADY_MS / 1000} s)`,
        value: describe(now),
        baseline: `kubelet-style floor (N renewers, 1 watcher): ${describe(floor)}`,
        ratio: (now.cpu / floor.cpu).toFixed(2),
        target:
          'writes <= N/10 s, events delivered ~0, CPU ~ floor' +
          (failed ? ' — FAILED (watches closed or unconnected, or renewals late)' : ''),
      });
    }
    return rows;
  } finally {
    await cp.stop();
  }
}

async function previousRow(cp: ControlPlane, n: number, design: 'previous' | 'lanlb-http1'): Promise<Row> {
  const previous = await measure(cp, n, design);
  return {
    name:
      design === 'previous'
        ? `scale: previous design (every announcer watches every node Lease), ${n} nodes all selected`
        : `scale: lanlb over HTTP/1.1 (a connection per watch), ${n} nodes all selected`,
    value: describe(previous),
    baseline: '-',
    ratio: '-',
    target: 'for comparison',
  };
}
