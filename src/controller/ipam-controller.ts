// The IPAM controller: Services of type LoadBalancer get addresses from pools; pools and policies
// get their status. Informers run on every replica (a new leader starts warm); only the Lease
// leader allocates and writes. On becoming leader it first replays every Service's
// status.loadBalancer.ingress into a fresh allocator, so a restart or failover changes nothing.
import type { KubeHttp } from '../kube/http.js';
import type { Logger } from '../observability/logger.js';
import { Informer } from '../runtime/informer.js';
import { WorkQueue } from '../runtime/work-queue.js';
import { ReconcileLoop } from '../runtime/reconcile-loop.js';
import { writeStatus } from '../runtime/status-writer.js';
import { isNotFound } from '../kube/api-error.js';
import { Allocator, type AssignOutcome } from '../ipam/allocator.js';
import { LoadBalancerIPPoolV1beta1GVK as PoolGVK, L2AnnouncementPolicyV1beta1GVK as PolicyGVK, type LoadBalancerIPPool, type L2AnnouncementPolicy } from '../../generated/index.js';
import { claimService, ingressIPs, serviceKey } from './service-request.js';
import { poolDefinition, desiredPoolStatus } from './pool-status.js';
import { desiredPolicyStatus } from './policy-status.js';
import { setCondition, findCondition } from './conditions.js';
import { CONDITION_IP_ALLOCATED } from './annotations.js';
import type { EventRecorder } from './events.js';
import type { ControllerMetrics } from './metrics.js';
import type { Condition, Node, Service } from './kube-types.js';

export interface IpamControllerOptions {
  http: KubeHttp;
  log: Logger;
  events: EventRecorder;
  metrics: ControllerMetrics;
  loadBalancerClass: string;
  workers?: number;
  /** delay that batches pool/policy status writes after Service changes */
  statusBatchMs?: number;
}

const POOLS = 'pools';
const POOL_STATUS = 'pool-status';
const POLICIES = 'policies';

export class IpamController {
  readonly services: Informer<Service>;
  readonly pools: Informer<LoadBalancerIPPool>;
  readonly policies: Informer<L2AnnouncementPolicy>;
  readonly nodes: Informer<Node>;
  private allocator = new Allocator();
  private queue: WorkQueue<string> | undefined;
  /** service key -> last failure message, so AllocationFailed is reported once per cause */
  private readonly lastFailure = new Map<string, string>();

  constructor(private readonly o: IpamControllerOptions) {
    const onError = (what: string) => (err: unknown, phase: string) => o.log.warn('informer', { resource: what, phase, error: err });
    this.services = new Informer<Service>(o.http, { path: '/api/v1/services', onError: onError('services') });
    this.pools = new Informer<LoadBalancerIPPool>(o.http, { path: PoolGVK.path, onError: onError('pools') });
    this.policies = new Informer<L2AnnouncementPolicy>(o.http, { path: PolicyGVK.path, onError: onError('policies') });
    this.nodes = new Informer<Node>(o.http, { path: '/api/v1/nodes', onError: onError('nodes') });
    const svc = (s: Service): void => this.onServiceChange(serviceKey(s));
    this.services.addHandler({ add: svc, update: svc, delete: svc });
    // Our own status writes come back as updates with the same generation: reacting to them
    // would rebuild every pool and write status again, in a loop, while allocations change.
    const specChanged = (o: { metadata?: { generation?: number } }, old: { metadata?: { generation?: number } }): boolean =>
      o.metadata?.generation === undefined || o.metadata.generation !== old.metadata?.generation;
    const pools = (): void => this.queue?.add(POOLS);
    this.pools.addHandler({ add: pools, update: (o, old) => specChanged(o, old) && pools(), delete: pools });
    const policies = (): void => this.queue?.add(POLICIES);
    this.policies.addHandler({ add: policies, update: (o, old) => specChanged(o, old) && policies(), delete: policies });
    this.nodes.addHandler({ add: policies, update: policies, delete: policies });
  }

  /** Starts the caches; resolves when all have synced, with a promise of their end. */
  async startCaches(signal: AbortSignal): Promise<{ done: Promise<void> }> {
    const started = [this.services, this.pools, this.policies, this.nodes].map((i) => i.start(signal));
    await Promise.all(started.map((s) => s.synced));
    // Wrapped: an async function returning a bare promise would wait for it.
    return { done: Promise.all(started.map((s) => s.done)).then(() => undefined) };
  }

  /** Keys waiting in the work queue (0 when not leading). */
  get backlog(): number {
    return this.queue?.length ?? 0;
  }

  /** When the last reconcile finished (performance.now()), for deferring Events under load. */
  lastReconcileAt = 0;

  get synced(): boolean {
    return [this.services, this.pools, this.policies, this.nodes].every((i) => i.hasSynced);
  }

  /** Leads until `signal` aborts: replay, then reconcile. */
  async lead(signal: AbortSignal): Promise<void> {
    const queue = new WorkQueue<string>();
    this.allocator = new Allocator();
    this.lastFailure.clear();
    this.replay();
    this.queue = queue;
    queue.add(POOLS);
    queue.add(POLICIES);
    for (const key of this.services.keys()) queue.add(`svc:${key}`);
    const loop = new ReconcileLoop('ipam', queue, (key) => this.reconcile(key), {
      onError: (key, err, retries) => this.o.log.warn('reconcile failed', { key, retries, error: err }),
      onDuration: (_key, s, outcome) => {
        this.lastReconcileAt = performance.now();
        this.o.metrics.reconcileDuration.observe({ controller: 'ipam', outcome }, s);
        this.o.metrics.queueDepth.set({ controller: 'ipam' }, queue.length);
      },
    });
    signal.addEventListener('abort', () => queue.shutDown(), { once: true });
    await loop.run(this.o.workers ?? 4);
    this.queue = undefined;
  }

  /** Pools first, then every Service's current addresses: nothing new is allocated here. */
  private replay(): void {
    this.allocator.setPools(this.pools.list().map(poolDefinition));
    let kept = 0;
    for (const svc of this.services.list()) {
      const claim = claimService(svc, this.o.loadBalancerClass);
      if (claim.kind !== 'ours' || ingressIPs(svc).length === 0) continue;
      const out = this.allocator.restore(claim.request);
      if (out.kind === 'assigned') kept += out.ips.length;
    }
    this.o.log.info('replayed allocations', { services: this.services.list().length, addresses: kept });
  }

  private onServiceChange(key: string): void {
    const q = this.queue;
    if (!q) return;
    q.add(`svc:${key}`);
    q.addAfter(POLICIES, this.o.statusBatchMs ?? 500);
  }

  private async reconcile(key: string): Promise<void> {
    if (key === POOLS) return this.reconcilePools();
    if (key === POOL_STATUS) return this.writePoolStatuses();
    if (key === POLICIES) return this.writePolicyStatuses();
    if (key.startsWith('svc:')) return this.reconcileService(key.slice(4));
  }

  private async reconcilePools(): Promise<void> {
    const { invalidated } = this.allocator.setPools(this.pools.list().map(poolDefinition));
    for (const key of invalidated) {
      this.o.metrics.releases.inc({ reason: 'pool-changed' });
      this.queue?.add(`svc:${key}`);
    }
    // A new or grown pool may satisfy Services that are still waiting.
    for (const key of this.lastFailure.keys()) this.queue?.add(`svc:${key}`);
    await this.writePoolStatuses();
  }

  private async writePoolStatuses(): Promise<void> {
    const now = new Date().toISOString();
    for (const pool of this.pools.list()) {
      const live = this.allocator.pool(pool.metadata.name ?? '');
      if (!live) continue;
      for (const [state, v] of [['total', live.total], ['used', live.used], ['available', live.available]] as const) {
        this.o.metrics.poolAddresses.set({ pool: live.name, state }, Number(v));
      }
      await this.ignoreGone(writeStatus(this.o.http, { path: `${PoolGVK.path}/${live.name}`, cached: pool }, (latest: LoadBalancerIPPool) => desiredPoolStatus(latest, live, now)));
    }
  }

  private async writePolicyStatuses(): Promise<void> {
    const now = new Date().toISOString();
    const nodes = this.nodes.list();
    const services = this.services.list();
    for (const p of this.policies.list()) {
      await this.ignoreGone(writeStatus(this.o.http, { path: `${PolicyGVK.path}/${p.metadata.name}`, cached: p }, (latest: L2AnnouncementPolicy) => desiredPolicyStatus(latest, nodes, services, now)));
    }
  }

  private async reconcileService(key: string): Promise<void> {
    const svc = this.services.get(key);
    const claim = svc && !svc.metadata.deletionTimestamp ? claimService(svc, this.o.loadBalancerClass, this.allocator.assigned(key).map((i) => i.ip)) : undefined;
    if (!svc || !claim || claim.kind !== 'ours') {
      const released = this.allocator.release(key);
      this.lastFailure.delete(key);
      if (released.length) {
        this.o.metrics.releases.inc({ reason: svc ? 'not-load-balancer' : 'deleted' }, released.length);
        this.queue?.addAfter(POOL_STATUS, this.o.statusBatchMs ?? 500);
      }
      // A Service that stopped being LoadBalancer keeps no address in its status.
      if (svc && claim?.kind === 'not-ours' && claim.reason === 'not-load-balancer' && released.length) {
        await this.writeServiceStatus(svc, [], undefined);
        this.o.events.record(svc, 'Normal', 'IPReleased', `Released ${released.map((i) => i.ip).join(', ')}: no longer type LoadBalancer`);
      }
      return;
    }
    const out = this.allocator.assign(claim.request);
    this.report(svc, out);
    this.reportDeprecated(svc, claim.deprecated);
    const ips = out.kind === 'assigned' ? out.ips : out.kept;
    await this.writeServiceStatus(svc, ips.map((i) => i.ip), out);
    if (out.kind === 'assigned' && out.changed) this.queue?.addAfter(POOL_STATUS, this.o.statusBatchMs ?? 500);
  }

  /** service key -> deprecated annotations already reported */
  private readonly deprecationReported = new Map<string, string>();

  private reportDeprecated(svc: Service, used: string[]): void {
    const key = serviceKey(svc);
    const text = used.join(', ');
    if (!text || this.deprecationReported.get(key) === text) return;
    this.deprecationReported.set(key, text);
    this.o.events.record(svc, 'Warning', 'DeprecatedAnnotation', `Read ${text}: these annotations are honoured during a migration; switch to the lanlb.io/ ones`);
  }

  private report(svc: Service, out: AssignOutcome): void {
    const key = serviceKey(svc);
    if (out.kind === 'failed') {
      this.o.metrics.allocationFailures.inc({ reason: out.reason });
      if (this.lastFailure.get(key) !== out.message) {
        this.lastFailure.set(key, out.message);
        this.o.events.record(svc, 'Warning', 'AllocationFailed', `${out.reason}: ${out.message}`);
      }
      return;
    }
    this.lastFailure.delete(key);
    if (out.released.length) this.o.events.record(svc, 'Normal', 'IPReleased', `Released ${out.released.map((i) => i.ip).join(', ')}`);
    const fresh = out.ips.filter((i) => !ingressIPs(svc).includes(i.ip));
    for (const ip of fresh) this.o.metrics.allocations.inc({ pool: ip.pool });
    if (fresh.length) this.o.events.record(svc, 'Normal', 'IPAllocated', `Assigned ${out.ips.map((i) => `${i.ip} from pool ${i.pool}`).join(', ')}`);
  }

  private async writeServiceStatus(svc: Service, ips: string[], out: AssignOutcome | undefined): Promise<void> {
    const path = `/api/v1/namespaces/${svc.metadata.namespace}/services/${svc.metadata.name}`;
    const now = new Date().toISOString();
    await this.ignoreGone(writeStatus(this.o.http, { path, cached: svc }, (latest: Service) => {
      const status = { ...(latest.status ?? {}) } as NonNullable<Service['status']>;
      status.loadBalancer = ips.length ? { ingress: ips.map((ip) => ({ ip })) } : {};
      if (out) {
        const cond = out.kind === 'assigned'
          ? { status: 'True' as const, reason: 'Allocated', message: out.ips.map((i) => `${i.ip} from pool ${i.pool}`).join(', ') + (out.unmetFamilies.length ? `; no ${out.unmetFamilies.join(', ')} address available` : '') }
          : { status: 'False' as const, reason: out.reason, message: out.message };
        status.conditions = setCondition(latest.status?.conditions as Condition[] | undefined, { type: CONDITION_IP_ALLOCATED, ...cond }, now);
      } else if (findCondition(latest.status?.conditions, CONDITION_IP_ALLOCATED)) {
        status.conditions = (latest.status?.conditions ?? []).filter((c) => c.type !== CONDITION_IP_ALLOCATED);
      }
      return status;
    }));
  }

  /** An object deleted between the cache read and the write is not an error. */
  private async ignoreGone(p: Promise<unknown>): Promise<void> {
    try {
      await p;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
