// Scale, apiserver side (issue 28): N simulated nodes, every one selected (a policy without a
// nodeSelector, the default), on a real kube-apiserver 1.20.2 + etcd, many clients in this one
// process. Each node renews its heartbeat Lease with the announcer's own NodeHeartbeat (one PUT
// per 10 s) and keeps the announcer's watch open: of the Service Leases' copies (L2Announcement,
// l2/election/lease-copy.ts), not of Leases. Measured in the same run:
//   floor     kubelet's pattern: N renewers, one watcher (the node lifecycle controller);
//   lanlb     N renewers, N watchers of Lease copies, plus the controller's one watch of Service
//             Leases (node heartbeats read on demand, which on one segment means never);
//   previous  N renewers, N watchers of every lanlb Lease (the design before issue 28), at the
//             smallest N only: at 1,000 it saturated the apiserver (issue 28's measurements).
// Reported: writes/s, watch events/s delivered, apiserver CPU, renewal p99, watches closed.
// A watcher whose watch was closed received nothing: closed watches count as failures.
import { Agent } from 'node:https';
import { ControlPlane } from '../src/devcluster/control-plane.js';
import { KubeHttp } from '../src/kube/http.js';
import { systemClock } from '../src/runtime/clock.js';
import { NodeHeartbeat } from '../src/announcer/node-heartbeat.js';
import { KubeLeaseStore } from '../src/kube/lease-store.js';
import { DEFAULT_ANNOUNCER_TIMINGS } from '../src/announcer/options.js';
import { SERVICE_LEASE_SELECTOR } from '../src/kube/lease-copier.js';
import { leaseCopiesPath } from '../src/kube/lease-copies.js';
import { installCrds } from '../src/kube/crd-install.js';
import { LEASE_TYPE_LABEL } from '../src/l2/election/lease-names.js';
import { LeaseWatcher, p99, timed } from './l2-api-load.js';
import { cpuSeconds } from './proc.js';
import type { Row } from './ipam-micro.js';

const NS = 'lanlb-system';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SIZES = (process.env.LANLB_BENCH_SCALE_NODES ?? '300,1000,3000').split(',').map(Number);
const STEADY_MS = Number(process.env.LANLB_BENCH_STEADY_MS ?? 30_000);

type Design = 'floor' | 'lanlb' | 'previous';

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
}

async function measure(cp: ControlPlane, nodes: number, design: Design): Promise<Load> {
  const http = new KubeHttp(cp.kubeConfig());
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const watchers =
    design === 'floor'
      ? [new LeaseWatcher(cp, agent, 'lanlb.io/lease=node')]
      : design === 'previous'
        ? Array.from({ length: nodes }, () => new LeaseWatcher(cp, agent, LEASE_TYPE_LABEL))
        : [
            new LeaseWatcher(cp, agent, SERVICE_LEASE_SELECTOR), // the controller's copier
            ...Array.from({ length: nodes }, () => new LeaseWatcher(cp, agent, '', leaseCopiesPath(NS))),
          ];
  for (const w of watchers) w.start();
  const latencies: number[] = [];
  const store = timed(new KubeLeaseStore(http), latencies);
  const t = DEFAULT_ANNOUNCER_TIMINGS;
  const beats = Array.from({ length: nodes }, (_, i) => {
    const hb = new NodeHeartbeat({
      store,
      clock: systemClock,
      namespace: NS,
      node: `${design}-${nodes}-${i}`,
      durationMs: t.nodeLeaseDurationMs,
      renewEveryMs: t.nodeLeaseRenewMs,
      onError: () => undefined,
    });
    setTimeout(() => hb.start(), (i * t.nodeLeaseRenewMs) / nodes); // nodes start at different times
    return hb;
  });
  await sleep(t.nodeLeaseRenewMs + 2_000);
  const unconnectedAtStart = watchers.filter((w) => !w.connected).length;
  const pid = cp.apiserverPid ?? 0;
  const events = () => watchers.reduce((a, w) => a + w.events, 0);
  const [cpu0, ev0, w0, at0] = [cpuSeconds(pid), events(), latencies.length, performance.now()];
  const sim0 = cpuSeconds(process.pid);
  await sleep(STEADY_MS);
  const secs = (performance.now() - at0) / 1000;
  const load = {
    writesPerS: (latencies.length - w0) / secs,
    eventsPerS: (events() - ev0) / secs,
    cpu: (cpuSeconds(pid) - cpu0) / secs,
    simulatorCpu: (cpuSeconds(process.pid) - sim0) / secs,
    renewP99Ms: p99(latencies.slice(w0)),
    closed: watchers.reduce((a, w) => a + w.closedEarly, 0),
    refused: refusals(watchers),
    unconnected: [unconnectedAtStart, watchers.filter((w) => !w.connected).length] as [number, number],
  };
  await Promise.all(beats.map((b) => b.stop()));
  for (const w of watchers) w.stop();
  agent.destroy();
  await http.delete(`/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`).catch(() => undefined);
  http.close();
  return load;
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
  `, ${l.unconnected[0]}/${l.unconnected[1]} watchers not connected after warm-up/at the end`;

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
    if (process.env.LANLB_BENCH_SCALE_PREVIOUS !== '0') rows.push(await previousRow(cp, smallest));
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

async function previousRow(cp: ControlPlane, n: number): Promise<Row> {
  const previous = await measure(cp, n, 'previous');
  return {
    name: `scale: previous design (every announcer watches every node Lease), ${n} nodes all selected`,
    value: describe(previous),
    baseline: '-',
    ratio: '-',
    target: 'for comparison',
  };
}
