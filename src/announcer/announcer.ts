// The per-node announcer: for every Service a policy selects, eligible nodes compete for the
// Lease lanlb-l2-<ns>.<name>; the holder answers ARP/NDP for its addresses on the selected
// interfaces. Steady state costs one heartbeat renewal per node per retry period, whatever the
// number of Services: per-Service Leases are written only when their holder changes.
//
// It takes ports, not a Kubernetes client, libpcap or /sys: object sources, a Lease store, an
// event recorder, a link source, a responder factory and a clock, so its decisions run in unit
// tests on fakes; kube-sources.ts and the command wire the real ones.
import type { Logger } from '../observability/logger.js';
import type { Clock } from '../runtime/clock.js';
import type { ObjectSource } from '../runtime/object-source.js';
import type { LeaseStore } from '../runtime/lease-store.js';
import { LeaseElector } from '../runtime/lease-elector.js';
import { claimRecord, releaseRecord } from '../runtime/lease-record.js';
import { isConflict, isNotFound } from '../kube/api-error.js';
import type { L2AnnouncementPolicy } from '../../generated/index.js';
import { alive, decide, type ElectionTimings, type ElectionView } from '../l2/election/decide.js';
import {
  HARDWARE_ADDRESSES_ANNOTATION,
  INTERFACES_ANNOTATION,
  isLegacyServiceLeaseName,
  LEASE_TYPE_LABEL,
  leaseNamesService,
  legacyServiceLeaseName,
  nodeLeaseName,
  SERVICE_ANNOTATION,
  serviceLeaseName,
} from '../l2/election/lease-names.js';
import { formatMac, type Mac } from '../l2/codec/mac.js';
import { formatAddress } from '../ipam/address.js';
import { planAnnouncements, type ServicePlan } from './plan/desired.js';
import { LeaseView } from './lease-view.js';
import type { Announced } from '../l2/codec/bpf-filter.js';
import type { EventRecorder } from '../kube/event-recorder.js';
import type { Node, Service } from '../core/kube-objects.js';
import type { EndpointSlice, LeaseObject } from '../core/kube-objects.js';
import type { AnnouncerMetrics } from './metrics.js';

export interface AnnouncerTimings extends ElectionTimings {
  retryPeriodMs: number;
}

/** Defaults: a crashed holder is replaced within about 2.5 s, a stopped one at once. */
export const DEFAULT_ANNOUNCER_TIMINGS: AnnouncerTimings = {
  heartbeatDurationMs: 2_000,
  renewDeadlineMs: 1_500,
  retryPeriodMs: 500,
  staggerMs: 200,
};

export interface AnnouncerSources {
  policies: ObjectSource<L2AnnouncementPolicy>;
  services: ObjectSource<Service>;
  nodes: ObjectSource<Node>;
  slices: ObjectSource<EndpointSlice>;
  /** the operator namespace's Leases labelled lanlb.io/lease */
  leases: ObjectSource<LeaseObject>;
}

/** A network interface as the announcer needs it. */
export interface Link {
  name: string;
  mac: Mac;
  up: boolean;
  loopback: boolean;
}

export interface LinkSource {
  list(): Link[];
}

/** Answers for a set of addresses on one interface. */
export interface Responder {
  set(addresses: readonly Announced[]): Promise<void>;
  close(): Promise<void>;
}

/** Opens a responder on an interface; throws when the interface cannot be used. */
export type ResponderFactory = (link: Link) => Responder;

export interface AnnouncerOptions {
  sources: AnnouncerSources;
  leases: LeaseStore;
  events: EventRecorder;
  metrics: AnnouncerMetrics;
  log: Logger;
  clock: Clock;
  links: LinkSource;
  responders: ResponderFactory;
  node: string;
  namespace: string;
  timings?: AnnouncerTimings;
}

export class Announcer {
  private readonly t: AnnouncerTimings;
  private readonly view: LeaseView;
  /** interface -> its responder */
  private readonly responders = new Map<string, Responder>();
  /** lease names with a write in flight */
  private readonly writing = new Set<string>();
  /** service key -> what this node announces for it now */
  private readonly announcing = new Map<string, ServicePlan>();
  private myLastRenew: number | undefined;
  private cancelTick: (() => void) | undefined;
  /**
   * The last plan and when it was made. Heartbeats tick several times a second and change only
   * decisions, so they reuse it; Service/policy/Node/EndpointSlice changes mark it dirty, and it
   * is remade at least every retry period to notice interfaces going up or down.
   */
  private plans: ServicePlan[] = [];
  /** the interfaces read with the last plan */
  private links: Link[] = [];
  private plannedAt = Number.NEGATIVE_INFINITY;
  private planDirty = true;
  private tickQueued = false;
  private stopped = false;
  /** responder updates run one after another, in tick order */
  private responderUpdate: Promise<void> = Promise.resolve();

  constructor(private readonly o: AnnouncerOptions) {
    this.t = o.timings ?? DEFAULT_ANNOUNCER_TIMINGS;
    this.view = new LeaseView(() => o.clock.now());
    const poke = (): void => this.schedule(0);
    const replan = (): void => {
      this.planDirty = true;
      poke();
    };
    const { policies, services, nodes, slices, leases } = o.sources;
    for (const source of [policies, services, nodes, slices] as Array<ObjectSource<unknown>>) {
      source.addHandler({ add: replan, update: replan, delete: replan });
    }
    const observe = (l: LeaseObject, deleted = false): void => {
      this.view.observe(l, deleted);
      poke();
    };
    leases.addHandler({ add: (l) => observe(l), update: (l) => observe(l), delete: (l) => observe(l, true) });
  }

  get synced(): boolean {
    const { policies, services, nodes, slices, leases } = this.o.sources;
    return [policies, services, nodes, slices, leases].every((s) => s.hasSynced);
  }

  /** Runs until `signal` aborts, then hands every Service over. The sources run outside. */
  async run(signal: AbortSignal): Promise<void> {
    this.o.log.info('caches synced');
    const heartbeat = new LeaseElector({
      store: this.o.leases,
      clock: this.o.clock,
      namespace: this.o.namespace,
      name: nodeLeaseName(this.o.node),
      identity: this.o.node,
      labels: { [LEASE_TYPE_LABEL]: 'node' },
      jitterFactor: 0,
      leaseDurationMs: this.t.heartbeatDurationMs,
      renewDeadlineMs: this.t.renewDeadlineMs,
      retryPeriodMs: this.t.retryPeriodMs,
      onRenewed: (at) => {
        const first = this.myLastRenew === undefined;
        this.myLastRenew = at;
        if (first) this.schedule(0);
      },
      onStoppedLeading: () => this.schedule(0),
      onError: (err) => this.o.log.warn('heartbeat', { error: err }),
    });
    const stopHeartbeat = new AbortController();
    const beating = heartbeat.run(stopHeartbeat.signal);
    this.schedule(0);
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await this.shutdown();
    stopHeartbeat.abort();
    await beating;
  }

  /** Graceful stop: hand every Service over at once, then stop answering. */
  private async shutdown(): Promise<void> {
    this.stopped = true;
    this.cancelTick?.();
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
      this.o.clock.schedule(() => {
        this.tickQueued = false;
        this.tick();
      }, 0);
      return;
    }
    this.cancelTick?.();
    this.cancelTick = this.o.clock.schedule(() => this.tick(), ms);
  }

  /** Evaluates every Service (CPU only, no API calls unless a Lease changes hands). */
  private tick(): void {
    if (this.stopped || !this.synced) return;
    const now = this.o.clock.now();
    const plans = this.currentPlans(now);
    let recheck = this.t.retryPeriodMs;
    const keep = new Map<string, ServicePlan>();
    for (const plan of plans) {
      const d = this.decideFor(plan, now);
      if (d.kind === 'announce') keep.set(plan.key, plan);
      else if (d.kind === 'release') void this.releaseLease(plan);
      if (d.kind === 'wait' && d.recheckInMs !== undefined) recheck = Math.min(recheck, d.recheckInMs);
    }
    this.removeLegacyLeases(now);
    this.withdrawOthers(plans, keep);
    this.o.metrics.leasesHeld.set(this.announcing.size);
    this.responderUpdate = this.responderUpdate.then(() => this.applyResponders());
    this.schedule(Math.max(10, recheck));
  }

  /** The decision for one Service, acting on 'acquire' at once. */
  private decideFor(plan: ServicePlan, now: number): ReturnType<typeof decide> {
    const leaseName = serviceLeaseName(plan.namespace, plan.name);
    const seen = this.view.service(leaseName);
    // Only a Lease that names this Service counts; any other under the name is overwritten.
    const lease = seen.lease && leaseNamesService(seen.lease, plan.key) ? seen.lease : undefined;
    const view: ElectionView = {
      now,
      me: this.o.node,
      candidates: plan.candidates,
      holder: lease?.spec?.holderIdentity,
      leaseObservedAt: seen.at,
      heartbeats: this.view.heartbeats,
      myLastRenew: this.myLastRenew,
    };
    const d = decide(view, this.t);
    if (d.kind === 'acquire' && !this.heldUnderLegacyName(plan, view)) void this.acquire(plan, leaseName, seen.lease);
    return d;
  }

  /** Stops announcing what was announced and is no longer kept. */
  private withdrawOthers(plans: readonly ServicePlan[], keep: Map<string, ServicePlan>): void {
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
  }

  private currentPlans(now: number): ServicePlan[] {
    if (this.planDirty || now - this.plannedAt >= this.t.retryPeriodMs) {
      const { policies, services, nodes, slices } = this.o.sources;
      this.links = this.o.links.list();
      this.plans = planAnnouncements({
        me: this.o.node,
        policies: policies.list(),
        services: services.list(),
        nodes: nodes.list(),
        slices: slices.list(),
        links: this.links,
      });
      this.plannedAt = now;
      this.planDirty = false;
    }
    return this.plans;
  }

  private async acquire(plan: ServicePlan, leaseName: string, current: LeaseObject | undefined): Promise<void> {
    if (this.writing.has(leaseName)) return;
    this.writing.add(leaseName);
    const spec = claimRecord(this.o.node, this.t.heartbeatDurationMs, this.o.clock.now(), current?.spec);
    const metadata = {
      name: leaseName,
      namespace: this.o.namespace,
      labels: { [LEASE_TYPE_LABEL]: 'service' },
      annotations: this.holderAnnotations(plan),
    };
    try {
      const written = current
        ? await this.o.leases.update({
            metadata: { ...metadata, resourceVersion: current.metadata.resourceVersion },
            spec,
          })
        : await this.o.leases.create({ metadata, spec });
      this.view.observe(written as LeaseObject);
      this.o.metrics.transitions.inc({ kind: 'acquired' });
      this.o.log.info('announce', {
        service: plan.key,
        addresses: plan.addresses.map(text),
        interfaces: plan.interfaces,
      });
      const svc = this.o.sources.services.get(plan.key);
      const where = `from node ${this.o.node} on ${plan.interfaces.join(', ')}`;
      if (svc)
        this.o.events.record(
          svc,
          'Normal',
          'L2Announcing',
          `Announcing ${plan.addresses.map(text).join(', ')} ${where}`,
        );
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err))
        this.o.log.warn('lease acquire failed', { lease: leaseName, error: err });
    } finally {
      this.writing.delete(leaseName);
      this.schedule(0);
    }
  }

  private async releaseLease(plan: ServicePlan): Promise<void> {
    const leaseName = serviceLeaseName(plan.namespace, plan.name);
    const seen = this.view.service(leaseName).lease;
    if (!seen?.spec || !leaseNamesService(seen, plan.key) || seen.spec.holderIdentity !== this.o.node) return;
    try {
      await this.o.leases.update({
        metadata: {
          name: leaseName,
          namespace: this.o.namespace,
          resourceVersion: seen.metadata.resourceVersion,
          labels: seen.metadata.labels,
          annotations: seen.metadata.annotations,
        },
        spec: releaseRecord(this.o.clock.now(), seen.spec),
      });
      this.o.metrics.transitions.inc({ kind: 'released' });
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err))
        this.o.log.warn('lease release failed', { lease: leaseName, error: err });
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
   * A Lease of the name lanlb used before (`lanlb-l2-<ns>-<name>`) held by another live node: an
   * announcer of the previous version still answers for the Service, so do not answer too.
   */
  private heldUnderLegacyName(plan: ServicePlan, view: ElectionView): boolean {
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
      const view: ElectionView = {
        now,
        me: this.o.node,
        candidates: [],
        holder,
        leaseObservedAt: undefined,
        heartbeats: this.view.heartbeats,
        myLastRenew: this.myLastRenew,
      };
      if (holder && holder !== this.o.node && alive(view, holder, this.t)) continue;
      this.writing.add(name);
      this.o.leases
        .delete(this.o.namespace, name, lease.metadata.resourceVersion)
        .then(() => this.o.log.info('removed a Lease of the previous name', { lease: name }))
        .catch((err: unknown) => {
          if (!isConflict(err) && !isNotFound(err))
            this.o.log.warn('legacy lease removal failed', { lease: name, error: err });
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
      const r = this.responders.get(iface) ?? this.openResponder(iface);
      await r
        ?.set(addrs)
        .catch((err: unknown) => this.o.log.warn('responder update failed', { interface: iface, error: err }));
    }
  }

  private openResponder(iface: string): Responder | undefined {
    const link = this.links.find((l) => l.name === iface);
    try {
      if (!link) throw new Error(`interface ${iface} not found`);
      const r = this.o.responders(link);
      this.responders.set(iface, r);
      return r;
    } catch (err) {
      this.o.log.warn('interface unusable', { interface: iface, error: err });
      return undefined;
    }
  }
}

function text(a: Announced): string {
  return formatAddress(a.family, a.value);
}
