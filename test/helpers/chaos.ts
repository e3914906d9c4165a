// A seeded, bounded chaos run against `lanlb controller` on a real apiserver (issue 9): two
// replicas, a random workload (Services with requests, sharing keys and pins; pools created,
// widened, shrunk, disabled, deleted; one that runs out; an overlap), leader SIGKILLs and a
// SIGSTOP/SIGCONT. Afterwards the cluster must satisfy the contract's invariants. Used by a short
// integration test and by `npm run chaos` (long).
import { KubeApiError } from '../../src/runtime/ports/api-error.js';
import type { KubeHttp } from '../../src/kube/http.js';
import type { Service } from '../../src/core/kube-objects.js';
import { parseAddress } from '../../src/ipam/address.js';
import { parsePoolBlocks } from '../../src/ipam/pool-blocks.js';
import { parseLabelSelector, serviceLabels } from '../../src/ipam/label-selector.js';
import type { LanlbProcess } from './lanlb-process.js';
import { ips } from './k8s-objects.js';

export { prng } from '../../src/devcluster/prng.js';
import { prng } from '../../src/devcluster/prng.js';

export interface ChaosOptions {
  http: KubeHttp;
  seed: number;
  operations: number;
  /** leader faults spread over the run: SIGKILL (then restart), one in four a SIGSTOP/SIGCONT */
  faults: number;
  /** the current replicas; the run replaces killed ones through `restart` */
  replicas: () => LanlbProcess[];
  leader: () => Promise<LanlbProcess | undefined>;
  restart: (killed: LanlbProcess) => LanlbProcess;
  log?: (line: string) => void;
}

const NAMESPACES = ['chaos-a', 'chaos-b', 'chaos-c'];
const POOLS: Record<string, { blocks: Array<Record<string, string>>; serviceSelector?: unknown }> = {
  'p-red': { blocks: [{ cidr: '198.18.0.0/27' }], serviceSelector: { matchLabels: { color: 'red' } } },
  // Small at first, so that it fills, Services spill into p-overlap, and a widening overlaps them.
  'p-all': { blocks: [{ cidr: '198.18.1.0/28' }] },
  'p-tiny': {
    blocks: [{ start: '198.18.2.1', stop: '198.18.2.2' }],
    serviceSelector: { matchLabels: { 'io.kubernetes.service.namespace': 'chaos-c' } },
  },
};
const OVERLAP = { blocks: [{ cidr: '198.18.1.16/28' }] };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runChaos(o: ChaosOptions): Promise<{ operations: number; faults: number }> {
  const rand = prng(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const ignoreExpected = (err: unknown) => {
    if (err instanceof KubeApiError && [404, 409, 422].includes(err.statusCode)) return;
    throw err;
  };
  for (const ns of NAMESPACES)
    await o.http.post('/api/v1/namespaces', { metadata: { name: ns } }).catch(ignoreExpected);
  for (const [name, spec] of Object.entries(POOLS)) await putPool(o.http, name, spec).catch(ignoreExpected);
  const faultEvery = Math.max(1, Math.floor(o.operations / (o.faults + 1)));
  let faults = 0;
  for (let i = 1; i <= o.operations; i++) {
    await operation(o.http, rand, pick).catch(ignoreExpected);
    if (i % faultEvery === 0 && faults < o.faults) {
      faults++;
      await leaderFault(o, faults % 4 === 0 ? 'SIGSTOP' : 'SIGKILL');
    }
  }
  return { operations: o.operations, faults };
}

async function putPool(http: KubeHttp, name: string, spec: Record<string, unknown>): Promise<void> {
  const path = `/apis/lanlb.io/v1beta1/loadbalancerippools/${name}`;
  const body = { apiVersion: 'lanlb.io/v1beta1', kind: 'LoadBalancerIPPool', metadata: { name }, spec };
  try {
    const current = await http.get<{ metadata: { resourceVersion: string } }>(path);
    await http.put(path, { ...body, metadata: { name, resourceVersion: current.metadata.resourceVersion } });
  } catch (err) {
    if (!(err instanceof KubeApiError && err.statusCode === 404)) throw err;
    await http.post('/apis/lanlb.io/v1beta1/loadbalancerippools', body);
  }
}

async function operation(http: KubeHttp, rand: () => number, pick: <T>(xs: readonly T[]) => T): Promise<void> {
  const r = rand();
  const ns = pick(NAMESPACES);
  const name = `s${Math.floor(rand() * 40)}`;
  const path = `/api/v1/namespaces/${ns}/services`;
  if (r < 0.5) {
    const annotations: Record<string, string> = {};
    if (rand() < 0.15) annotations['lanlb.io/ips'] = `198.18.1.${1 + Math.floor(rand() * 30)}`;
    if (rand() < 0.2) annotations['lanlb.io/sharing-key'] = pick(['k1', 'k2']);
    if (rand() < 0.1) annotations['lanlb.io/pool'] = pick(['p-all', 'p-red']);
    const labels = rand() < 0.4 ? { color: 'red' } : {};
    const port = pick([80, 443, 53]);
    await http.post(path, {
      metadata: { name, labels, annotations },
      spec: { type: 'LoadBalancer', ports: [{ port, protocol: pick(['TCP', 'UDP']), targetPort: port }] },
    });
  } else if (r < 0.8) {
    await http.delete(`${path}/${name}`);
  } else if (r < 0.85) {
    await http.patch(`${path}/${name}`, { spec: { type: 'ClusterIP' } });
  } else {
    await poolOperation(http, rand, pick);
  }
}

async function poolOperation(http: KubeHttp, rand: () => number, pick: <T>(xs: readonly T[]) => T): Promise<void> {
  const r = rand();
  if (r < 0.25)
    return putPool(http, 'p-all', { blocks: [{ cidr: pick(['198.18.1.0/28', '198.18.1.0/26', '198.18.1.0/25']) }] });
  if (r < 0.45) return putPool(http, 'p-red', { ...POOLS['p-red'], disabled: rand() < 0.5 });
  if (r < 0.65) return putPool(http, 'p-overlap', OVERLAP);
  if (r < 0.8) {
    await http.delete('/apis/lanlb.io/v1beta1/loadbalancerippools/p-overlap');
    return;
  }
  const spec = POOLS['p-tiny'];
  if (spec) await putPool(http, 'p-tiny', spec);
}

async function leaderFault(o: ChaosOptions, signal: 'SIGKILL' | 'SIGSTOP'): Promise<void> {
  const leader = await o.leader();
  if (!leader) return;
  o.log?.(`fault: ${signal} of the leader (pid ${leader.child.pid})`);
  if (signal === 'SIGKILL') {
    await leader.stop('SIGKILL');
    o.restart(leader);
  } else {
    leader.child.kill('SIGSTOP');
    await sleep(4_000);
    leader.child.kill('SIGCONT');
  }
}

type Pool = {
  metadata: { name: string };
  spec: { blocks: Array<Record<string, string>>; serviceSelector?: never; disabled?: boolean };
  status?: { used?: string; conditions?: Array<{ type: string; status: string }> };
};

/** The contract's invariants over what the cluster holds now; an empty list when all hold. */
export async function chaosViolations(http: KubeHttp): Promise<string[]> {
  const services: Service[] = [];
  for (const ns of NAMESPACES)
    services.push(...(await http.get<{ items: Service[] }>(`/api/v1/namespaces/${ns}/services`)).items);
  const pools = (await http.get<{ items: Pool[] }>('/apis/lanlb.io/v1beta1/loadbalancerippools')).items;
  const problems: string[] = [];
  const lb = services.filter((s) => s.spec?.type === 'LoadBalancer');
  const holders = new Map<string, Service[]>();
  for (const s of lb) for (const ip of ips(s)) holders.set(ip, [...(holders.get(ip) ?? []), s]);
  for (const [ip, hs] of holders) {
    const keys = new Set(hs.map((h) => h.metadata.annotations?.['lanlb.io/sharing-key']));
    if (hs.length > 1 && (keys.size > 1 || keys.has(undefined)))
      problems.push(`${ip} held by ${hs.map(key).join(' and ')} without a shared key`);
  }
  for (const s of lb) {
    const cond = s.status?.conditions?.find((c) => c.type === 'lanlb.io/IPAllocated');
    if (ips(s).length === 0 && cond?.status !== 'False') problems.push(`${key(s)} has no address and no reason`);
    for (const ip of ips(s))
      if (!inSelectingPool(ip, s, pools)) problems.push(`${key(s)} holds ${ip}, in no pool that selects it`);
  }
  for (const p of pools) {
    const parsed = parsePoolBlocks(p.spec.blocks, false);
    if (parsed.kind !== 'ok' || p.status?.used === undefined) continue;
    const inside = [...holders.keys()].filter((ip) => {
      const a = parseAddress(ip);
      return a && parsed.blocks.some((b) => b.family === a.family && b.first <= a.value && a.value <= b.last);
    });
    if (Number(p.status.used) !== inside.length)
      problems.push(`pool ${p.metadata.name} says used ${p.status.used}, Services hold ${inside.length}`);
  }
  return problems;
}

function key(s: Service): string {
  return `${s.metadata.namespace}/${s.metadata.name}`;
}

function inSelectingPool(ip: string, s: Service, pools: readonly Pool[]): boolean {
  const a = parseAddress(ip);
  const labels = serviceLabels(s.metadata.namespace ?? 'default', s.metadata.name, s.metadata.labels);
  return pools.some((p) => {
    const parsed = parsePoolBlocks(p.spec.blocks, false);
    const sel = parseLabelSelector(p.spec.serviceSelector);
    const contains =
      parsed.kind === 'ok' &&
      a !== undefined &&
      parsed.blocks.some((b) => b.family === a.family && b.whole.first <= a.value && a.value <= b.whole.last);
    return contains && sel.kind === 'ok' && sel.selector.matches(labels);
  });
}

/** Polls the invariants until they hold (status writes are batched) or `timeoutMs` passes. */
export async function settledViolations(http: KubeHttp, timeoutMs = 30_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let last = await chaosViolations(http);
  while (last.length && Date.now() < deadline) {
    await sleep(1_000);
    last = await chaosViolations(http);
  }
  return last;
}
