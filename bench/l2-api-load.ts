// What announcers cost the apiserver in steady state, simulated on a real kube-apiserver: N
// nodes each keep the announcer's Lease watch open, and the few a policy selects renew their node
// Lease with the announcer's own NodeHeartbeat (one PUT per 10 s, no GET). Measured: writes/s,
// watch events/s delivered, apiserver CPU, renewal p99, and false failovers (a watcher that saw
// a selected node's Lease unchanged for longer than the 40 s it counts as alive). Baseline in
// the same run: the previous design at N = 100 (every node GET + PUT every 500 ms, all watching).
import { Agent, request } from 'node:https';
import { ControlPlane } from '../src/devcluster/control-plane.js';
import { KubeHttp } from '../src/kube/http.js';
import { systemClock } from '../src/runtime/clock.js';
import { NodeHeartbeat } from '../src/announcer/node-heartbeat.js';
import { LEASE_TYPE_LABEL, NODE_LEASE_PREFIX } from '../src/l2/election/lease-names.js';
import type { Row } from './ipam-micro.js';
import { cpuSeconds } from './proc.js';
import type { Lease, LeaseStore } from '../src/runtime/ports/lease-store.js';
import { KubeLeaseStore } from '../src/kube/lease-store.js';
import { DEFAULT_ANNOUNCER_TIMINGS } from '../src/announcer/options.js';

const NS = 'lanlb-system';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ELIGIBLE = Number(process.env.LANLB_BENCH_ELIGIBLE ?? 10);
const STEADY_MS = Number(process.env.LANLB_BENCH_STEADY_MS ?? 60_000);

/**
 * One node's Lease watch: counts events and the longest time each node's Lease stood still. Like
 * an informer it watches again after a refusal or a close, backing off (client-go's reflector:
 * 800 ms doubling to 30 s, jittered); `refused` counts answers other than 200 (by status),
 * `closedEarly` established watches the server ended, `connected` whether one is open now.
 */
export class LeaseWatcher {
  events = 0;
  closedEarly = 0;
  readonly refused = new Map<number, number>();
  connected = false;
  readonly lastChange = new Map<string, number>();
  longestGapMs = 0;
  private req: ReturnType<typeof request> | undefined;
  private backoffMs = 800;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly cp: ControlPlane,
    private readonly agent: Agent,
    private readonly selector: string = LEASE_TYPE_LABEL,
    /** the collection watched: the Leases, or (announcers today) their copies */
    private readonly collection = `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`,
  ) {}

  start(): void {
    const selector = encodeURIComponent(this.selector);
    const path = `${this.collection}?watch=1${selector ? `&labelSelector=${selector}` : ''}`;
    this.req = request(`${this.cp.server}${path}`, {
      agent: this.agent,
      rejectUnauthorized: false,
      headers: { authorization: `Bearer ${this.cp.adminToken}` },
    });
    this.req.on('response', (res) => {
      if (res.statusCode !== 200) {
        this.refused.set(res.statusCode ?? 0, (this.refused.get(res.statusCode ?? 0) ?? 0) + 1);
        res.resume();
        return this.again();
      }
      this.connected = true;
      this.backoffMs = 800;
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          this.event(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      });
      res.on('end', () => {
        this.connected = false;
        if (!this.stopped) this.closedEarly++;
        this.again();
      });
    });
    this.req.on('error', () => {
      this.connected = false;
      this.again();
    });
    this.req.end();
  }

  private again(): void {
    if (this.stopped || this.retry) return;
    const wait = this.backoffMs * (1 + Math.random());
    this.backoffMs = Math.min(30_000, this.backoffMs * 2);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (!this.stopped) this.start();
    }, wait);
  }

  private event(line: string): void {
    this.events++;
    const name = (JSON.parse(line) as { object?: { metadata?: { name?: string } } }).object?.metadata?.name ?? '';
    const now = performance.now();
    const prev = this.lastChange.get(name);
    if (prev !== undefined) this.longestGapMs = Math.max(this.longestGapMs, now - prev);
    this.lastChange.set(name, now);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.req?.destroy();
  }
}

/** A LeaseStore that times every write. */
export function timed(store: LeaseStore, latencies: number[]): LeaseStore {
  const time = async <T>(p: () => Promise<T>) => {
    const t0 = performance.now();
    try {
      return await p();
    } finally {
      latencies.push(performance.now() - t0);
    }
  };
  return {
    get: (ns, name) => store.get(ns, name),
    create: (l: Lease) => time(() => store.create(l)),
    update: (l: Lease) => time(() => store.update(l)),
    delete: (ns, name, rv) => store.delete(ns, name, rv),
  };
}

/** The previous design's renewal: GET then PUT of the node's Lease every 500 ms. */
function legacyRenewer(store: LeaseStore, node: string, latencies: number[], signal: AbortSignal): Promise<void> {
  const name = `${NODE_LEASE_PREFIX}${node}`;
  return (async () => {
    while (!signal.aborted) {
      const t0 = performance.now();
      try {
        const cur = await store.get(NS, name);
        const spec = { holderIdentity: node, renewTime: new Date().toISOString().replace('Z', '000Z') };
        if (cur) await store.update({ metadata: cur.metadata, spec: { ...cur.spec, ...spec } });
        else await store.create({ metadata: { name, namespace: NS, labels: { [LEASE_TYPE_LABEL]: 'node' } }, spec });
      } catch {
        // counted by latency only
      }
      latencies.push(performance.now() - t0);
      await sleep(500);
    }
  })();
}

interface Load {
  nodes: number;
  writers: number;
  writesPerS: number;
  eventsPerS: number;
  cpu: number;
  renewP99Ms: number;
  falseFailovers: number;
  closedEarly: number;
}

export const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil(xs.length * 0.99) - 1)] ?? NaN;

async function measure(cp: ControlPlane, nodes: number, legacy: boolean, steadyMs: number): Promise<Load> {
  const http = new KubeHttp(cp.kubeConfig());
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const watchers = Array.from({ length: nodes }, () => new LeaseWatcher(cp, agent));
  for (const w of watchers) w.start();
  const latencies: number[] = [];
  const store = timed(new KubeLeaseStore(http), latencies);
  const stop = new AbortController();
  const writers = legacy ? nodes : Math.min(ELIGIBLE, nodes);
  const beats: NodeHeartbeat[] = [];
  const loops: Array<Promise<void>> = [];
  const t = DEFAULT_ANNOUNCER_TIMINGS;
  for (let i = 0; i < writers; i++) {
    const node = `${legacy ? 'old' : 'n'}${nodes}-${i}`;
    if (legacy) loops.push(legacyRenewer(store, node, latencies, stop.signal));
    else {
      const hb = new NodeHeartbeat({
        store,
        clock: systemClock,
        namespace: NS,
        node,
        durationMs: t.nodeLeaseDurationMs,
        renewEveryMs: t.nodeLeaseRenewMs,
        onError: () => undefined,
      });
      // Spread the first renewals over a period, as nodes started at different times would be.
      setTimeout(() => hb.start(), (i * t.nodeLeaseRenewMs) / writers);
      beats.push(hb);
    }
  }
  await sleep(legacy ? 3_000 : t.nodeLeaseRenewMs + 2_000);
  const pid = cp.apiserverPid ?? 0;
  const [cpu0, ev0, w0, at0] = [cpuSeconds(pid), sum(watchers, 'events'), latencies.length, performance.now()];
  for (const w of watchers) w.longestGapMs = 0;
  await sleep(steadyMs);
  const secs = (performance.now() - at0) / 1000;
  const load: Load = {
    nodes,
    writers,
    writesPerS: ((latencies.length - w0) * (legacy ? 2 : 1)) / secs,
    eventsPerS: (sum(watchers, 'events') - ev0) / secs,
    cpu: (cpuSeconds(pid) - cpu0) / secs,
    renewP99Ms: p99(latencies.slice(w0)),
    falseFailovers: watchers.filter((w) => w.longestGapMs > (legacy ? 2_000 : t.nodeLeaseDurationMs)).length,
    closedEarly: sum(watchers, 'closedEarly'),
  };
  stop.abort();
  await Promise.all([...beats.map((b) => b.stop()), ...loops]);
  for (const w of watchers) w.stop();
  agent.destroy();
  http.close();
  return load;
}

const sum = (ws: LeaseWatcher[], k: 'events' | 'closedEarly') => ws.reduce((a, w) => a + w[k], 0);

const describe = (l: Load) =>
  `${l.writesPerS.toFixed(1)} req/s, ${l.eventsPerS.toFixed(0)} watch events/s, ` +
  `apiserver CPU ${(l.cpu * 100).toFixed(0)}%, ` +
  `renewal p99 ${l.renewP99Ms.toFixed(0)} ms, ${l.falseFailovers} false failovers, ${l.closedEarly} watches closed`;

export async function announcerApiLoad(): Promise<Row[]> {
  const cp = new ControlPlane();
  await cp.start();
  try {
    const http = new KubeHttp(cp.kubeConfig());
    await http.post('/api/v1/namespaces', { metadata: { name: NS } });
    http.close();
    const old = await measure(cp, 100, true, Math.min(STEADY_MS, 30_000));
    const rows: Row[] = [];
    for (const n of [100, 400, 1_000]) {
      const l = await measure(cp, n, false, STEADY_MS);
      rows.push({
        name: `announcers' steady API load, ${n} nodes, ${l.writers} selected (${STEADY_MS / 1000} s)`,
        value: describe(l),
        baseline: `previous design, 100 nodes: ${describe(old)}`,
        ratio: (l.cpu / old.cpu).toFixed(2),
        target: 'writes <= selected/10 s; 0 false failovers',
      });
    }
    return rows;
  } finally {
    await cp.stop();
  }
}
