// Time from creating 5,000 LoadBalancer Services to all having addresses: `lanlb controller`
// (a real process) against a floor measured on the same apiserver in the same run, a plain
// client that watches the Services and does nothing but one status patch each.
import { readFileSync } from 'node:fs';
import { ControlPlane } from '../src/devcluster/control-plane.js';
import { KubeHttp } from '../src/kube/http.js';
import { installCrds } from '../src/kube/crd-install.js';
import { Informer } from '../src/runtime/informer.js';
import { formatAddress } from '../src/ipam/address.js';
import { startLanlb, type LanlbProcess } from '../test/helpers/lanlb-process.js';
import { freePort } from '../src/devcluster/free-port.js';
import { pollFor } from '../src/devcluster/poll.js';
import type { Service } from '../src/core/kube-objects.js';
import type { Row } from './ipam-micro.js';

const CONCURRENCY = 16;

interface ControllerRun {
  ms: number;
  rssMiB: number;
  emptyReadyMs: number;
  restartReadyMs: number;
  /** Services and pools whose resourceVersion changed after the restart */
  written: number;
}

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < items.length) await fn(items[i++] as T);
    }),
  );
}

async function createServices(http: KubeHttp, ns: string, count: number): Promise<void> {
  await http.post('/api/v1/namespaces', { metadata: { name: ns } });
  const names = Array.from({ length: count }, (_, i) => `s${i}`);
  await pool(names, CONCURRENCY, (name) =>
    http.post(`/api/v1/namespaces/${ns}/services`, {
      metadata: { name },
      spec: { type: 'LoadBalancer', ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }] },
    }),
  );
}

/** `at`: the time at which every Service in `ns` has an address; `done`: the watch has ended. */
function allAddressed(
  http: KubeHttp,
  ns: string,
  count: number,
  signal: AbortSignal,
): { at: Promise<number>; done: Promise<void> } {
  const informer = new Informer<Service>(http, { path: `/api/v1/namespaces/${ns}/services` });
  const addressed = new Set<string>();
  let running: Promise<void> = Promise.resolve();
  const at = new Promise<number>((resolve) => {
    const check = (s: Service): void => {
      if (s.status?.loadBalancer?.ingress?.length) addressed.add(s.metadata.name);
      if (addressed.size === count) resolve(performance.now());
    };
    informer.addHandler({ add: check, update: check });
    running = informer.start(signal).done;
  });
  return { at, done: running };
}

async function floor(http: KubeHttp, count: number): Promise<number> {
  const ns = 'floor';
  const stop = new AbortController();
  const patcher = new Informer<Service>(http, { path: `/api/v1/namespaces/${ns}/services` });
  let next = 0;
  const queue: Service[] = [];
  let running = 0;
  const pump = (): void => {
    while (running < CONCURRENCY && queue.length) {
      const s = queue.shift() as Service;
      running++;
      const ip = formatAddress(4, 0xc6336400n + BigInt(next++)); // 198.51.100.0 + n: bookkeeping only
      void http
        .patch(`/api/v1/namespaces/${ns}/services/${s.metadata.name}/status`, {
          status: { loadBalancer: { ingress: [{ ip }] } },
        })
        .finally(() => {
          running--;
          pump();
        });
    }
  };
  patcher.addHandler({
    add: (s) => {
      queue.push(s);
      pump();
    },
  });
  const patching = patcher.start(stop.signal);
  await patching.synced;
  const t0 = performance.now();
  const finished = allAddressed(http, ns, count, stop.signal);
  await createServices(http, ns, count);
  const t1 = await finished.at;
  while (running > 0) await new Promise((r) => setTimeout(r, 10));
  stop.abort();
  await Promise.all([patching.done, finished.done]); // watches closed before the cluster goes
  return t1 - t0;
}

async function withController(cp: ControlPlane, http: KubeHttp, count: number): Promise<ControllerRun> {
  const ns = 'ctl';
  await http.post('/api/v1/namespaces', { metadata: { name: 'lanlb-system' } });
  await http.post('/apis/lanlb.io/v1beta1/loadbalancerippools', {
    apiVersion: 'lanlb.io/v1beta1',
    kind: 'LoadBalancerIPPool',
    metadata: { name: 'bench' },
    spec: {
      blocks: [{ cidr: '2001:db8::/64' }, { cidr: '198.51.96.0/19' }],
      serviceSelector: { matchLabels: { 'io.kubernetes.service.namespace': ns } },
    },
  });
  const started = await startTimed(cp);
  let ctl = started.ctl;
  try {
    await new Promise((r) => setTimeout(r, 4_000)); // start-up and leadership, outside the timed part
    const stop = new AbortController();
    const t0 = performance.now();
    const finished = allAddressed(http, ns, count, stop.signal);
    await createServices(http, ns, count);
    const t1 = await finished.at;
    stop.abort();
    await finished.done;
    const status = readFileSync(`/proc/${ctl.child.pid}/status`, 'utf8');
    const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    // P6: a restart with every Service allocated writes nothing and is ready quickly.
    await new Promise((r) => setTimeout(r, 2_000)); // batched pool status settles
    const before = await versions(http, ns);
    await ctl.stop();
    const restarted = await startTimed(cp, 'info'); // its replay log line tells when it has led
    ctl = restarted.ctl;
    await ctl.waitForLog('replayed allocations', 60_000);
    await new Promise((r) => setTimeout(r, 5_000));
    const after = await versions(http, ns);
    const written = [...after].filter(([k, v]) => before.get(k) !== v).length;
    return {
      ms: t1 - t0,
      rssMiB: rssKiB / 1024,
      emptyReadyMs: started.readyMs,
      restartReadyMs: restarted.readyMs,
      written,
    };
  } finally {
    await ctl.stop();
  }
}

/** Starts a controller with a health endpoint; resolves once /readyz answers 200, with the time it took. */
async function startTimed(cp: ControlPlane, logLevel = 'warn'): Promise<{ ctl: LanlbProcess; readyMs: number }> {
  const port = await freePort();
  const t0 = performance.now();
  const ctl = startLanlb([
    'controller',
    '--webhook-addr',
    '0',
    '--kubeconfig',
    cp.writeKubeconfig(),
    '--health-addr',
    `127.0.0.1:${port}`,
    '--metrics-addr',
    '0',
    '--log-level',
    logLevel,
  ]);
  await pollFor(
    async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200 || undefined,
    60_000,
    'ready',
    20,
  );
  return { ctl, readyMs: performance.now() - t0 };
}

/** resourceVersion of every Service in `ns` and of every pool: a write changes one. */
async function versions(http: KubeHttp, ns: string): Promise<Map<string, string>> {
  type List = { items: Array<{ metadata: { name: string; resourceVersion: string } }> };
  const services = await http.get<List>(`/api/v1/namespaces/${ns}/services`);
  const pools = await http.get<List>('/apis/lanlb.io/v1beta1/loadbalancerippools');
  return new Map([
    ...services.items.map((i) => [`svc/${i.metadata.name}`, i.metadata.resourceVersion] as const),
    ...pools.items.map((i) => [`pool/${i.metadata.name}`, i.metadata.resourceVersion] as const),
  ]);
}

/** A fresh control plane with lanlb's CRDs for one measurement, removed afterwards. */
async function onFreshCluster<T>(fn: (cp: ControlPlane, http: KubeHttp) => Promise<T>): Promise<T> {
  const cp = new ControlPlane();
  await cp.start();
  const http = new KubeHttp(cp.kubeConfig());
  try {
    await installCrds(http);
    return await fn(cp, http);
  } finally {
    http.close();
    await cp.stop();
  }
}

/**
 * Each measurement runs on its own fresh apiserver and etcd (a second run on the same one would
 * find the first run's Services there), alternating floor and controller, and the best of each
 * counts: on a shared 2-core machine the slower runs measure noise, not the code.
 */
export async function services5000(count = 5000, rounds = 2): Promise<Row[]> {
  const floors: number[] = [];
  const runs: ControllerRun[] = [];
  for (let r = 0; r < rounds; r++) {
    floors.push(await onFreshCluster((_cp, http) => floor(http, count)));
    runs.push(await onFreshCluster((cp, http) => withController(cp, http, count)));
  }
  const floorMs = Math.min(...floors);
  const best = runs.reduce((a, b) => (b.ms < a.ms ? b : a));
  const all = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(1)).join(', ');
  return [
    {
      name:
        `${count} LoadBalancer Services: created -> all addressed ` +
        `(best of ${rounds}; runs ${all(runs.map((x) => x.ms))} s)`,
      value: `${(best.ms / 1000).toFixed(1)} s`,
      baseline: `${(floorMs / 1000).toFixed(1)} s (plain client, status patches only; runs ${all(floors)} s)`,
      ratio: (best.ms / floorMs).toFixed(2),
      target: '<= 1.25',
    },
    {
      name: `controller RSS with ${count} Services`,
      value: `${best.rssMiB.toFixed(0)} MiB`,
      baseline: '-',
      ratio: '-',
    },
    {
      name:
        `restart holding ${count} allocations: start -> /readyz ` +
        `(writes in the 5 s after replay: ${runs.map((r) => r.written).join(', ')})`,
      value: `${(best.restartReadyMs / 1000).toFixed(1)} s`,
      baseline: `${(best.emptyReadyMs / 1000).toFixed(1)} s (same controller starting on an empty cluster)`,
      ratio: (best.restartReadyMs / best.emptyReadyMs).toFixed(2),
      target: 'ready <= 5 s, 0 writes',
    },
  ];
}
