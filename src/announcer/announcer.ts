// The per-node announcer: for every Service a policy selects, eligible nodes compete for the
// Lease lanlb-l2-<ns>.<name>; the holder answers ARP/NDP for its addresses on the selected
// interfaces. Steady state costs one heartbeat renewal per node per retry period, whatever the
// number of Services: per-Service Leases are written only when their holder changes.
import type { KubeHttp } from '../kube/http.js';
import type { Logger } from '../observability/logger.js';
import { Informer } from '../runtime/informer.js';
import { LeaseElector } from '../runtime/lease-elector.js';
import { KubeLeaseStore } from '../runtime/lease-store.js';
import { formatMicroTime } from '../runtime/micro-time.js';
import { isConflict, isNotFound } from '../kube/api-error.js';
import { L2AnnouncementPolicyV1beta1GVK as PolicyGVK, type L2AnnouncementPolicy } from '../../generated/index.js';
import { alive, decide, type ElectionTimings } from '../l2/election/decide.js';
import {
  HARDWARE_ADDRESSES_ANNOTATION, INTERFACES_ANNOTATION, isLegacyServiceLeaseName, LEASE_TYPE_LABEL, leaseNamesService,
  legacyServiceLeaseName, nodeLeaseName, SERVICE_ANNOTATION, serviceLeaseName,
} from '../l2/election/lease-names.js';
import { formatMac } from '../l2/codec/mac.js';
import { formatAddress } from '../ipam/address.js';
import { planAnnouncements, type ServicePlan } from './plan/desired.js';
import { LeaseView } from './lease-view.js';
import { listLinks, type LinkInfo } from '../l2/responder/link.js';
import { PcapResponder } from '../l2/responder/pcap-responder.js';
import type { Announced } from '../l2/codec/bpf-filter.js';
import type { EventRecorder } from '../controller/events.js';
import type { Node, Service } from '../controller/kube-types.js';
import type { EndpointSlice, LeaseObject } from './kube-types.js';
import type { AnnouncerMetrics } from './metrics.js';

export interface AnnouncerTimings extends ElectionTimings {
  retryPeriodMs: number;
}

/** Defaults: a crashed holder is replaced within about 2.5 s, a stopped one at once. */
export const DEFAULT_ANNOUNCER_TIMINGS: AnnouncerTimings = { heartbeatDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 500, staggerMs: 200 };

export interface AnnouncerOptions {
  http: KubeHttp;
  log: Logger;
  events: EventRecorder;
  metrics: AnnouncerMetrics;
  node: string;
  namespace: string;
  timings?: AnnouncerTimings;
  endpointSlicePath: string;
}

export class Announcer {
  private readonly t: AnnouncerTimings;
  private readonly policies: Informer<L2AnnouncementPolicy>;
  private readonly services: Informer<Service>;
  private readonly nodes: Informer<Node>;
  private readonly slices: Informer<EndpointSlice>;
  private readonly leases: Informer<LeaseObject>;
  private readonly view = new LeaseView(() => performance.now());
  private readonly store: KubeLeaseStore;
  /** interface -> its responder */
  private readonly responders = new Map<string, PcapResponder>();
  /** lease names with a write in flight */
  private readonly writing = new Set<string>();
  /** service key -> what this node announces for it now */
  private readonly announcing = new Map<string, ServicePlan>();
  private myLastRenew: number | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  /**
   * The last plan and when it was made. Heartbeats tick several times a second and change only
   * decisions, so they reuse it; Service/policy/Node/EndpointSlice changes mark it dirty, and it
   * is remade at least every retry period to notice interfaces going up or down.
   */
  private plans: ServicePlan[] = [];
  /** the interfaces read with the last plan */
  private links: LinkInfo[] = [];
  private plannedAt = Number.NEGATIVE_INFINITY;
  private planDirty = true;
  private tickQueued = false;
  private stopped = false;
  /** responder updates run one after another, in tick order */
  private responderUpdate: Promise<void> = Promise.resolve();

  constructor(private readonly o: AnnouncerOptions) {
    this.t = o.timings ?? DEFAULT_ANNOUNCER_TIMINGS;
    const onError = (what: string) => (err: unknown) => o.log.warn('informer', { resource: what, error: err });
    this.policies = new Informer(o.http, { path: PolicyGVK.path, onError: onError('policies') });
    this.services = new Informer(o.http, { path: '/api/v1/services', onError: onError('services') });
    this.nodes = new Informer(o.http, { path: '/api/v1/nodes', onError: onError('nodes') });
    this.slices = new Informer(o.http, { path: o.endpointSlicePath, onError: onError('endpointslices') });
    this.leases = new Informer(o.http, { path: `/apis/coordination.k8s.io/v1/namespaces/${o.namespace}/leases`, query: { labelSelector: LEASE_TYPE_LABEL }, onError: onError('leases') });
    this.store = new KubeLeaseStore(o.http);
    const poke = (): void => this.schedule(0);
    const replan = (): void => {
      this.planDirty = true;
      poke();
    };
    for (const inf of [this.policies, this.services, this.nodes, this.slices] as Array<Informer<{ metadata?: object }>>) inf.addHandler({ add: replan, update: replan, delete: replan });
    this.leases.addHandler({
      add: (l) => { this.view.observe(l); poke(); },
      update: (l) => { this.view.observe(l); poke(); },
      delete: (l) => { this.view.observe(l, true); poke(); },
    });
  }

  get synced(): boolean {
    return [this.policies, this.services, this.nodes, this.slices, this.leases].every((i) => i.hasSynced);
  }

  async run(signal: AbortSignal): Promise<void> {
    const caches = [this.policies, this.services, this.nodes, this.slices, this.leases].map((i) => i.start(signal));
    await Promise.all(caches.map((c) => c.synced));
    this.o.log.info('caches synced');
    const heartbeat = new LeaseElector({
      store: this.store, namespace: this.o.namespace, name: nodeLeaseName(this.o.node), identity: this.o.node,
      labels: { [LEASE_TYPE_LABEL]: 'node' }, jitterFactor: 0,
      leaseDurationMs: this.t.heartbeatDurationMs, renewDeadlineMs: this.t.renewDeadlineMs, retryPeriodMs: this.t.retryPeriodMs,
      onRenewed: () => {
        const first = this.myLastRenew === undefined;
        this.myLastRenew = performance.now();
        if (first) this.schedule(0);
      },
      onStoppedLeading: () => this.schedule(0),
      onError: (err) => this.o.log.warn('heartbeat', { error: err }),
    });
    const stopHeartbeat = new AbortController();
    const beating = heartbeat.run(stopHeartbeat.signal);
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    await this.shutdown();
    stopHeartbeat.abort();
    await beating;
    await Promise.all(caches.map((c) => c.done));
  }

  /** Graceful stop: hand every Service over at once, then stop answering. */
  private async shutdown(): Promise<void> {
    this.stopped = true;
    if (this.tickTimer) clearTimeout(this.tickTimer);
    await Promise.all([...this.announcing.values()].map((p) => this.releaseLease(p)));
    this.announcing.clear();
    await this.responderUpdate;
    for (const r of this.responders.values()) await r.close();
    this.responders.clear();
    this.o.metrics.leasesHeld.set(0);
    this.o.log.info('released all announcements');
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (ms <= 0) {
      if (this.tickQueued) return;
      this.tickQueued = true;
      setImmediate(() => {
        this.tickQueued = false;
        this.tick();
      });
      return;
    }
    if (this.tickTimer) clearTimeout(this.tickTimer);
    this.tickTimer = setTimeout(() => this.tick(), ms);
  }

  /** Evaluates every Service (CPU only, no API calls unless a Lease changes hands). */
  private tick(): void {
    if (this.stopped || !this.synced) return;
    const now = performance.now();
    const plans = this.currentPlans(now);
    let recheck = this.t.retryPeriodMs;
    const keep = new Map<string, ServicePlan>();
    for (const plan of plans) {
      const leaseName = serviceLeaseName(plan.namespace, plan.name);
      const seen = this.view.service(leaseName);
      // Only a Lease that names this Service counts; any other under the name is overwritten.
      const lease = seen.lease && leaseNamesService(seen.lease, plan.key) ? seen.lease : undefined;
      const view = {
        now, me: this.o.node, candidates: plan.candidates, holder: lease?.spec?.holderIdentity,
        leaseObservedAt: seen.at, heartbeats: this.view.heartbeats, myLastRenew: this.myLastRenew,
      };
      const d = decide(view, this.t);
      if (d.kind === 'announce') keep.set(plan.key, plan);
      else if (d.kind === 'acquire' && !this.heldUnderLegacyName(plan, view)) void this.acquire(plan, leaseName, seen.lease);
      else if (d.kind === 'release') void this.releaseLease(plan);
      if (d.kind === 'wait' && d.recheckInMs !== undefined) recheck = Math.min(recheck, d.recheckInMs);
    }
    this.removeLegacyLeases(now);
    const planned = new Set(plans.map((p) => p.key));
    for (const [key, plan] of this.announcing) {
      if (keep.has(key)) continue;
      this.o.metrics.transitions.inc({ kind: 'stopped' });
      this.o.log.info('withdraw', { service: key, addresses: plan.addresses.map(text) });
      // No policy selects it any more (or it lost its addresses): hand the Lease back too.
      if (!planned.has(key)) void this.releaseLease(plan);
    }
    this.announcing.clear();
    for (const [k, p] of keep) this.announcing.set(k, p);
    this.o.metrics.leasesHeld.set(this.announcing.size);
    this.responderUpdate = this.responderUpdate.then(() => this.applyResponders());
    this.schedule(Math.max(10, recheck));
  }

  private currentPlans(now: number): ServicePlan[] {
    if (this.planDirty || now - this.plannedAt >= this.t.retryPeriodMs) {
      this.plans = planAnnouncements({
        me: this.o.node, policies: this.policies.list(), services: this.services.list(), nodes: this.nodes.list(),
        slices: this.slices.list(), links: (this.links = listLinks()),
      });
      this.plannedAt = now;
      this.planDirty = false;
    }
    return this.plans;
  }

  private async acquire(plan: ServicePlan, leaseName: string, current: LeaseObject | undefined): Promise<void> {
    if (this.writing.has(leaseName)) return;
    this.writing.add(leaseName);
    const stamp = formatMicroTime(performance.timeOrigin + performance.now());
    const spec = {
      holderIdentity: this.o.node, leaseDurationSeconds: Math.ceil(this.t.heartbeatDurationMs / 1000), acquireTime: stamp, renewTime: stamp,
      leaseTransitions: current?.spec ? (current.spec.leaseTransitions ?? 0) + (current.spec.holderIdentity ? 1 : 0) : 0,
    };
    const metadata = {
      name: leaseName, namespace: this.o.namespace, labels: { [LEASE_TYPE_LABEL]: 'service' },
      annotations: this.holderAnnotations(plan),
    };
    try {
      const written = current
        ? await this.store.update({ metadata: { ...metadata, resourceVersion: current.metadata.resourceVersion }, spec })
        : await this.store.create({ metadata, spec });
      this.view.observe(written as LeaseObject);
      this.o.metrics.transitions.inc({ kind: 'acquired' });
      this.o.log.info('announce', { service: plan.key, addresses: plan.addresses.map(text), interfaces: plan.interfaces });
      const svc = this.services.get(plan.key);
      if (svc) this.o.events.record(svc, 'Normal', 'L2Announcing', `Announcing ${plan.addresses.map(text).join(', ')} from node ${this.o.node} on ${plan.interfaces.join(', ')}`);
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err)) this.o.log.warn('lease acquire failed', { lease: leaseName, error: err });
    } finally {
      this.writing.delete(leaseName);
      this.schedule(0);
    }
  }

  private async releaseLease(plan: ServicePlan): Promise<void> {
    const leaseName = serviceLeaseName(plan.namespace, plan.name);
    const seen = this.view.service(leaseName).lease;
    if (!seen || !leaseNamesService(seen, plan.key) || seen.spec?.holderIdentity !== this.o.node) return;
    try {
      const stamp = formatMicroTime(performance.timeOrigin + performance.now());
      await this.store.update({
        metadata: {
          name: leaseName, namespace: this.o.namespace, resourceVersion: seen.metadata.resourceVersion,
          labels: seen.metadata.labels, annotations: seen.metadata.annotations,
        },
        spec: { ...seen.spec, holderIdentity: '', renewTime: stamp },
      });
      this.o.metrics.transitions.inc({ kind: 'released' });
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err)) this.o.log.warn('lease release failed', { lease: leaseName, error: err });
    }
  }

  /** The Service, and the interfaces this node answers on with their MACs (API.md). */
  private holderAnnotations(plan: ServicePlan): Record<string, string> {
    const macs = plan.interfaces.map((i) => {
      const mac = this.links.find((l) => l.name === i)?.mac;
      return mac ? formatMac(mac) : '';
    });
    return {
      [SERVICE_ANNOTATION]: plan.key,
      [INTERFACES_ANNOTATION]: plan.interfaces.join(','),
      [HARDWARE_ADDRESSES_ANNOTATION]: macs.join(','),
    };
  }

  /**
   * A Lease of the name lanlb used before (`lanlb-l2-<ns>.<name>`) held by another live node: an
   * announcer of the previous version still answers for the Service, so do not answer too.
   */
  private heldUnderLegacyName(plan: ServicePlan, view: Parameters<typeof alive>[0]): boolean {
    const legacy = this.view.peek(legacyServiceLeaseName(plan.namespace, plan.name));
    const holder = legacy?.spec?.holderIdentity;
    return Boolean(holder && holder !== this.o.node && alive(view, holder, this.t));
  }

  /**
   * Removes Leases of the old name once no live announcer of the previous version holds them:
   * held by this node (its old announcer is gone), by nobody, or by a node whose heartbeat is
   * silent. The delete carries the resourceVersion seen, so a Lease rewritten meanwhile stays.
   */
  private removeLegacyLeases(now: number): void {
    for (const lease of this.view.leases()) {
      const name = lease.metadata.name;
      if (!isLegacyServiceLeaseName(name) || this.writing.has(name)) continue;
      const holder = lease.spec?.holderIdentity;
      const view = { now, me: this.o.node, candidates: [], holder, leaseObservedAt: undefined, heartbeats: this.view.heartbeats, myLastRenew: this.myLastRenew };
      if (holder && holder !== this.o.node && alive(view, holder, this.t)) continue;
      this.writing.add(name);
      const body = { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { resourceVersion: lease.metadata.resourceVersion } };
      this.o.http.delete(`/apis/coordination.k8s.io/v1/namespaces/${this.o.namespace}/leases/${name}`, body)
        .then(() => this.o.log.info('removed a Lease of the previous name', { lease: name }))
        .catch((err: unknown) => {
          if (!isConflict(err) && !isNotFound(err)) this.o.log.warn('legacy lease removal failed', { lease: name, error: err });
        })
        .finally(() => this.writing.delete(name));
    }
  }

  /** Puts each interface's responder on exactly the addresses announced there. */
  private async applyResponders(): Promise<void> {
    if (this.stopped) return;
    const byInterface = new Map<string, Announced[]>();
    for (const p of this.announcing.values()) {
      for (const i of p.interfaces) byInterface.set(i, [...(byInterface.get(i) ?? []), ...p.addresses]);
    }
    for (const [iface, r] of this.responders) {
      if (!byInterface.has(iface)) {
        this.responders.delete(iface);
        await r.close();
      }
    }
    for (const [iface, addrs] of byInterface) {
      let r = this.responders.get(iface);
      if (!r) {
        try {
          r = new PcapResponder({
            iface, onError: (err) => this.o.log.warn('responder', { interface: iface, error: err }),
            onCount: (what, family) => this.o.metrics.frames.inc({ kind: what, family: String(family), interface: iface }),
          });
        } catch (err) {
          this.o.log.warn('interface unusable', { interface: iface, error: err });
          continue;
        }
        this.responders.set(iface, r);
      }
      await r.set(addrs).catch((err: unknown) => this.o.log.warn('responder update failed', { interface: iface, error: err }));
    }
  }
}

function text(a: Announced): string {
  return formatAddress(a.family, a.value);
}
