// The IPAM controller: Services of type LoadBalancer get addresses from pools; pools and policies
// get their status. The caches run on every replica (a new leader starts warm); only the Lease
// leader allocates and writes. On becoming leader it first replays every Service's
// status.loadBalancer.ingress into a fresh allocator, so a restart or failover changes nothing.
//
// It takes ports, not a Kubernetes client: object sources (informers in production), a status
// transport, an event recorder and a clock, so its decisions run in unit tests on fakes.
import type { ObjectSource } from '../runtime/object-source.js';
import type { Clock } from '../runtime/clock.js';
import { WorkQueue } from '../runtime/work-queue.js';
import { ReconcileLoop } from '../runtime/reconcile-loop.js';
import { writeStatus } from '../runtime/status-writer.js';
import { isNotFound } from '../runtime/ports/api-error.js';
import { Allocator, releaseReasonText, type AssignOutcome, type ReleasedIP } from '../ipam/allocator.js';
import {
  LoadBalancerIPPoolV1beta1GVK as PoolGVK,
  L2AnnouncementPolicyV1beta1GVK as PolicyGVK,
  type LoadBalancerIPPool,
  type L2AnnouncementPolicy,
} from '../../generated/index.js';
import { claimService, serviceKey } from '../reconcile/service-request.js';
import { ingressIPs } from '../core/policy-selection.js';
import {
  poolDefinition,
  desiredPoolStatus,
  poolEvents,
  stateOfLive,
  stateOfStatus,
  type PoolState,
} from '../reconcile/pool-status.js';
import { desiredPolicyStatus } from '../reconcile/policy-status.js';
import { poolOfAddress } from '../reconcile/held-through.js';
import { leavesWaiting, revisitOrder } from '../reconcile/pool-change.js';
import { desiredServiceStatus } from '../reconcile/service-status.js';
import { decodeWorkItem, encodeWorkItem, type WorkItem } from '../reconcile/work-item.js';
import type { ControllerMetrics } from './metrics.js';
import { fencedTerm, NotLeadingError, type Term } from './fenced-term.js';
import { PendingServices } from './pending-services.js';
import type { Node, Service } from '../core/kube-objects.js';
import type { Logger } from '../runtime/ports/logger.js';
import type { StatusTransport } from '../runtime/ports/status-transport.js';
import type { EventRecorder } from '../runtime/ports/event-recorder.js';

export interface ControllerSources {
  services: ObjectSource<Service>;
  pools: ObjectSource<LoadBalancerIPPool>;
  policies: ObjectSource<L2AnnouncementPolicy>;
  nodes: ObjectSource<Node>;
}

export interface IpamControllerOptions {
  sources: ControllerSources;
  status: StatusTransport;
  events: EventRecorder;
  metrics: ControllerMetrics;
  log: Logger;
  clock: Clock;
  loadBalancerClass: string;
  workers?: number;
  /** delay that batches pool/policy status writes after Service changes */
  statusBatchMs?: number;
  /**
   * delay from a pool change to its reconcile, so the pools of one `kubectl apply` are taken as
   * one change (and `lanlb plan`, which previews them together, says what happens)
   */
  poolSettleMs?: number;
}

export const DEFAULT_WORKERS = 16;
export const DEFAULT_STATUS_BATCH_MS = 500;
export const DEFAULT_POOL_SETTLE_MS = 200;

export class IpamController {
  private allocator = new Allocator();
  private queue: WorkQueue<string> | undefined;
  /** service key -> last failure message, so AllocationFailed is reported once per cause */
  private readonly lastFailure = new Map<string, string>();
  /** Services whose last assignment failed or left a family unmet: revisited on every pool change */
  private readonly waiting = new Set<string>();
  /** A pool change is settling: Services wait for it (revisited as waiting), so a pool applied with them counts. */
  private poolsSettling = false;
  /** pool -> the state its Events last told */
  private readonly poolStates = new Map<string, PoolState>();
  /** Services without an address, for the pending metrics (leader only) */
  private readonly pending: PendingServices;
  /** service key -> deprecated annotations already reported */
  private readonly deprecationReported = new Map<string, string>();
  /** When the last reconcile finished (clock ms), for deferring Events under load. */
  lastReconcileAt = 0;

  constructor(private readonly o: IpamControllerOptions) {
    this.pending = new PendingServices(o.metrics, o.clock);
    const { services, pools, policies, nodes } = o.sources;
    const svc = (s: Service): void => this.onServiceChange(serviceKey(s));
    services.addHandler({ add: svc, update: svc, delete: svc });
    // Our own status writes come back as updates with the same generation: reacting to them
    // would rebuild every pool and write status again, in a loop, while allocations change.
    type WithGeneration = { metadata?: { generation?: number } };
    const specChanged = (obj: WithGeneration, old: WithGeneration): boolean =>
      obj.metadata?.generation === undefined || obj.metadata.generation !== old.metadata?.generation;
    const poolsChanged = (): void => {
      this.poolsSettling = true;
      this.enqueue({ kind: 'pools' }, this.o.poolSettleMs ?? DEFAULT_POOL_SETTLE_MS);
    };
    const policiesChanged = (): void => this.enqueue({ kind: 'policies' });
    // A pool's labels (no new generation) decide what a policy's poolSelector counts.
    const labelsChanged = (p: LoadBalancerIPPool, old: LoadBalancerIPPool): boolean =>
      JSON.stringify(p.metadata.labels ?? {}) !== JSON.stringify(old.metadata.labels ?? {});
    pools.addHandler({
      add: poolsChanged,
      update: (p, old) => (specChanged(p, old) ? poolsChanged() : labelsChanged(p, old) && policiesChanged()),
      delete: poolsChanged,
    });
    policies.addHandler({
      add: policiesChanged,
      update: (p, old) => specChanged(p, old) && policiesChanged(),
      delete: policiesChanged,
    });
    nodes.addHandler({ add: policiesChanged, update: policiesChanged, delete: policiesChanged });
  }

  /** Items waiting in the work queue (0 when not leading). */
  get backlog(): number {
    return this.queue?.length ?? 0;
  }

  get synced(): boolean {
    const { services, pools, policies, nodes } = this.o.sources;
    return [services, pools, policies, nodes].every((s) => s.hasSynced);
  }

  /**
   * Leads until `signal` aborts: replay, then reconcile. `stillLeading` is asked before every
   * write (the elector's holdsLeadership: within renewDeadline of the last renewal).
   */
  async lead(signal: AbortSignal, stillLeading: () => boolean = () => true): Promise<void> {
    const queue = new WorkQueue<string>(this.o.clock);
    const term = fencedTerm(this.o.status, this.o.events, this.o.metrics, this.o.log, signal, stillLeading);
    this.allocator = new Allocator();
    this.lastFailure.clear();
    this.pending.clear();
    this.o.metrics.pendingSeconds = () => this.pending.oldestSeconds();
    this.replay();
    this.queue = queue;
    this.enqueue({ kind: 'pools' });
    this.enqueue({ kind: 'policies' });
    for (const key of this.o.sources.services.keys()) this.enqueue({ kind: 'service', key });
    const loop = new ReconcileLoop('ipam', queue, (text) => this.reconcile(text, term), {
      onError: (key, err, retries) => {
        if (!(err instanceof NotLeadingError)) this.o.log.warn('reconcile failed', { key, retries, error: err });
      },
      onDuration: (_key, s, outcome) => {
        this.lastReconcileAt = this.o.clock.now();
        this.o.metrics.reconcileDuration.observe({ controller: 'ipam', outcome }, s);
        this.o.metrics.queueDepth.set({ controller: 'ipam' }, queue.length);
      },
    });
    signal.addEventListener('abort', () => queue.shutDown(), { once: true });
    await loop.run(this.o.workers ?? DEFAULT_WORKERS);
    this.queue = undefined;
    // A follower reports no pool or pending Service: the leader alone knows (alerts take the max).
    this.pending.clear();
    this.o.metrics.poolAddresses.reset();
    this.o.metrics.poolState.reset();
  }

  private enqueue(item: WorkItem, afterMs?: number): void {
    if (afterMs === undefined) this.queue?.add(encodeWorkItem(item));
    else this.queue?.addAfter(encodeWorkItem(item), afterMs);
  }

  private get batchMs(): number {
    return this.o.statusBatchMs ?? DEFAULT_STATUS_BATCH_MS;
  }

  /** Pools first, then every Service's current addresses: nothing new is allocated here. */
  private replay(): void {
    this.allocator.setPools(this.o.sources.pools.list().map(poolDefinition));
    let kept = 0;
    const services = this.o.sources.services.list();
    for (const svc of services) {
      const claim = claimService(svc, this.o.loadBalancerClass);
      if (claim.kind !== 'ours' || ingressIPs(svc).length === 0) continue;
      const out = this.allocator.restore(claim.request);
      if (out.kind === 'assigned') kept += out.ips.length;
    }
    this.o.log.info('replayed allocations', { services: services.length, addresses: kept });
  }

  private onServiceChange(key: string): void {
    this.enqueue({ kind: 'service', key });
    this.enqueue({ kind: 'policies' }, this.batchMs);
  }

  private async reconcile(text: string, t: Term): Promise<void> {
    const item = decodeWorkItem(text);
    if (!item) return;
    if (item.kind === 'pools') return this.reconcilePools(t);
    if (item.kind === 'pool-status') return this.writePoolStatuses(t);
    if (item.kind === 'policies') return this.writePolicyStatuses(t);
    return this.reconcileService(item.key, t);
  }

  private async reconcilePools(t: Term): Promise<void> {
    this.poolsSettling = false;
    const { released } = this.allocator.setPools(this.o.sources.pools.list().map(poolDefinition));
    for (const [key, ips] of released) {
      const svc = this.o.sources.services.get(key);
      if (svc) this.reportReleased(svc, ips, t.events);
    }
    // What lost an address, and what a new or grown pool may now satisfy, in the order `lanlb
    // plan` previews (reconcile/pool-change.ts): workers take keys in queue order.
    for (const key of revisitOrder(released.keys(), this.waiting)) this.enqueue({ kind: 'service', key });
    // A pool's labels decide what a policy with a poolSelector counts.
    this.enqueue({ kind: 'policies' }, this.batchMs);
    await this.writePoolStatuses(t);
  }

  private async writePoolStatuses(t: Term): Promise<void> {
    const now = this.nowText();
    const pools = this.o.sources.pools.list();
    const names = new Set(pools.map((p) => p.metadata.name ?? ''));
    for (const name of this.poolStates.keys()) if (!names.has(name)) this.poolStates.delete(name);
    this.exportPoolMetrics(pools);
    for (const pool of pools) {
      const live = this.allocator.pool(pool.metadata.name ?? '');
      if (!live) continue;
      this.tellPoolStory(pool, live);
      const target = { path: `${PoolGVK.path}/${live.name}`, cached: pool };
      await this.ignoreGone(
        writeStatus(t.status, target, (latest: LoadBalancerIPPool) => desiredPoolStatus(latest, live, now)),
      );
    }
  }

  /**
   * Every pool's counts and state, set in one synchronous step (a scrape never sees half of
   * them), and no series left behind for a deleted pool (an alert would fire on it forever).
   */
  private exportPoolMetrics(pools: readonly LoadBalancerIPPool[]): void {
    const m = this.o.metrics;
    m.poolAddresses.reset();
    m.poolState.reset();
    for (const pool of pools) {
      const live = this.allocator.pool(pool.metadata.name ?? '');
      if (!live) continue;
      for (const [state, v] of [
        ['total', live.total],
        ['used', live.used],
        ['available', live.available],
      ] as const) {
        m.poolAddresses.set({ pool: live.name, state }, Number(v));
      }
      m.poolState.set({ pool: live.name, state: stateOfLive(pool, live).reason }, 1);
    }
  }

  /** Events on the pool when its state changes (first seen: the state its status shows). */
  private tellPoolStory(pool: LoadBalancerIPPool, live: NonNullable<ReturnType<Allocator['pool']>>): void {
    const name = live.name;
    const before = this.poolStates.has(name) ? this.poolStates.get(name) : stateOfStatus(pool.status);
    const after = stateOfLive(pool, live);
    this.poolStates.set(name, after);
    const { uid, resourceVersion } = pool.metadata;
    const subject = { apiVersion: PoolGVK.apiVersion, kind: 'LoadBalancerIPPool', name, uid, resourceVersion };
    for (const e of poolEvents(before, after)) this.o.events.recordOn(subject, e.type, e.reason, e.message);
  }

  private async writePolicyStatuses(t: Term): Promise<void> {
    const now = this.nowText();
    const nodes = this.o.sources.nodes.list();
    const services = this.o.sources.services.list();
    const poolOf = poolOfAddress(this.allocator, this.o.sources.pools.list());
    for (const p of this.o.sources.policies.list()) {
      const target = { path: `${PolicyGVK.path}/${p.metadata.name}`, cached: p };
      const desired = (latest: L2AnnouncementPolicy) => desiredPolicyStatus(latest, nodes, services, now, poolOf);
      await this.ignoreGone(writeStatus(t.status, target, desired));
    }
  }

  private async reconcileService(key: string, t: Term): Promise<void> {
    const svc = this.o.sources.services.get(key);
    const current = this.allocator.assigned(key).map((i) => i.ip);
    const claim =
      svc && !svc.metadata.deletionTimestamp ? claimService(svc, this.o.loadBalancerClass, current) : undefined;
    if (!svc || !claim || claim.kind !== 'ours')
      return this.releaseService(key, svc, claim?.kind === 'not-ours' ? claim.reason : undefined, t);
    if (this.poolsSettling) return void this.waiting.add(key);
    const out = this.allocator.assign(claim.request);
    if (leavesWaiting(out)) this.waiting.add(key);
    else this.waiting.delete(key);
    this.report(svc, out, t.events);
    this.reportDeprecated(svc, claim.deprecated, t.events);
    const ips = (out.kind === 'assigned' ? out.ips : out.kept).map((i) => i.ip);
    this.pending.note(key, ips, out);
    await this.writeServiceStatus(svc, ips, out, t);
    if (out.kind === 'assigned' && out.changed) this.enqueue({ kind: 'pool-status' }, this.batchMs);
  }

  /** The Service is gone or no longer ours: give its addresses back. */
  private async releaseService(
    key: string,
    svc: Service | undefined,
    notOurs: string | undefined,
    t: Term,
  ): Promise<void> {
    const released = this.allocator.release(key);
    this.lastFailure.delete(key);
    this.waiting.delete(key);
    this.pending.note(key, [], undefined);
    if (!released.length) return;
    const reason = svc ? 'not-load-balancer' : 'deleted';
    this.o.log.info('released', { service: key, addresses: released.map((i) => i.ip), reason });
    this.o.metrics.releases.inc({ reason }, released.length);
    this.enqueue({ kind: 'pool-status' }, this.batchMs);
    // A Service that stopped being LoadBalancer keeps no address in its status.
    if (svc && notOurs === 'not-load-balancer') {
      await this.writeServiceStatus(svc, [], undefined, t);
      const text = released.map((i) => i.ip).join(', ');
      t.events.record(svc, 'Normal', 'IPReleased', `Released ${text}: no longer type LoadBalancer`);
    }
  }

  private reportDeprecated(svc: Service, used: string[], events: EventRecorder): void {
    const key = serviceKey(svc);
    const text = used.join(', ');
    if (!text || this.deprecationReported.get(key) === text) return;
    this.deprecationReported.set(key, text);
    const message = `Read ${text}: these annotations are honoured during a migration; switch to the lanlb.io/ ones`;
    events.record(svc, 'Warning', 'DeprecatedAnnotation', message);
  }

  private report(svc: Service, out: AssignOutcome, events: EventRecorder): void {
    const key = serviceKey(svc);
    if (out.kind === 'failed') {
      this.o.metrics.allocationFailures.inc({ reason: out.reason });
      if (this.lastFailure.get(key) !== out.message) {
        this.lastFailure.set(key, out.message);
        this.o.log.info('allocation failed', { service: key, reason: out.reason, message: out.message });
        events.record(svc, 'Warning', 'AllocationFailed', `${out.reason}: ${out.message}`);
      }
      return;
    }
    this.lastFailure.delete(key);
    this.reportReleased(svc, out.released, events);
    const fresh = out.ips.filter((i) => !ingressIPs(svc).includes(i.ip));
    for (const ip of fresh) this.o.metrics.allocations.inc({ pool: ip.pool });
    if (fresh.length) {
      this.o.log.info('allocated', { service: key, addresses: fresh.map((i) => ({ ip: i.ip, pool: i.pool })) });
      const text = out.ips.map((i) => `${i.ip} from pool ${i.pool}`).join(', ');
      events.record(svc, 'Normal', 'IPAllocated', `Assigned ${text}`);
    }
  }

  /**
   * Every move says why (docs/reference.md): an IPReleased Event and a "released" log line per
   * reason, before the Service's new allocation is reported.
   */
  private reportReleased(svc: Service, released: readonly ReleasedIP[], events: EventRecorder): void {
    const service = serviceKey(svc);
    const groups = new Map<string, ReleasedIP[]>();
    for (const r of released) groups.set(`${r.why} ${r.pool}`, [...(groups.get(`${r.why} ${r.pool}`) ?? []), r]);
    for (const ips of groups.values()) {
      const first = ips[0];
      if (!first) continue;
      const why = first.why;
      const reason = releaseReasonText(why, first.pool);
      const addresses = ips.map((i) => i.ip);
      this.o.log.info('released', { service, addresses, reason: why });
      this.o.metrics.releases.inc({ reason: why }, ips.length);
      events.record(svc, 'Normal', 'IPReleased', `Released ${addresses.join(', ')}: ${reason}`);
    }
  }

  private async writeServiceStatus(
    svc: Service,
    ips: string[],
    out: AssignOutcome | undefined,
    t: Term,
  ): Promise<void> {
    const path = `/api/v1/namespaces/${svc.metadata.namespace}/services/${svc.metadata.name}`;
    const now = this.nowText();
    const desired = (latest: Service) => desiredServiceStatus(latest, ips, out, now);
    await this.ignoreGone(writeStatus(t.status, { path, cached: svc }, desired));
  }

  private nowText(): string {
    return new Date(this.o.clock.now()).toISOString();
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
