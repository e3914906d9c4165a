// Writes of Service Leases (the ownership record): a claim when this node wins a Service, the
// holder's interfaces and MACs after a hand-over named it, and the release or hand-over when it
// stops. At most one write per Lease in flight and one claim attempt per stagger period, so the
// apiserver never sees a write storm for one Lease, whatever the judgements say.
import { claimRecord, releaseRecord } from '../runtime/lease-record.js';
import { isConflict, isNotFound } from '../runtime/ports/api-error.js';
import {
  HARDWARE_ADDRESSES_ANNOTATION,
  INTERFACES_ANNOTATION,
  LEASE_TYPE_LABEL,
  leaseNamesService,
  SERVICE_ANNOTATION,
  serviceLeaseName,
  TAKEN_OVER_FROM_ANNOTATION,
} from '../l2/election/lease-names.js';
import { formatMac } from '../l2/codec/mac.js';
import { formatAddress } from '../ipam/address.js';
import type { Announced } from '../l2/codec/bpf-filter.js';
import type { LeaseObject } from '../core/kube-objects.js';
import type { ServicePlan } from './plan/desired.js';
import type { Decision } from '../l2/election/decide.js';
import type { Lease } from '../runtime/ports/lease-store.js';
import type { AnnouncerContext } from './options.js';

export class LeaseWrites {
  /** lease names with a write in flight */
  private readonly writing = new Set<string>();
  /** lease name -> when this node last tried to acquire or confirm it */
  private readonly attempted = new Map<string, number>();
  /** lease name -> the version this node's own write of it produced, until it starts answering on it */
  private readonly ownVersion = new Map<string, string>();

  constructor(private readonly c: AnnouncerContext) {}

  /** A write of `name` is in flight. */
  busy(name: string): boolean {
    return this.writing.has(name);
  }

  /** Runs `write` unless one of `name` is in flight; `name` is busy until it settles. */
  exclusive(name: string, write: () => Promise<void>): void {
    if (this.writing.has(name)) return;
    this.writing.add(name);
    void write().finally(() => this.writing.delete(name));
  }

  /** Claims the Service's Lease for this node (a takeover names the node taken from). */
  async acquire(
    plan: ServicePlan,
    leaseName: string,
    current: LeaseObject | undefined,
    takeOverFrom: string | undefined,
  ): Promise<void> {
    const { o, t } = this.c;
    const now = o.clock.now();
    if (this.writing.has(leaseName) || now - (this.attempted.get(leaseName) ?? -Infinity) < t.staggerMs) return;
    this.attempted.set(leaseName, now);
    this.writing.add(leaseName);
    const spec = claimRecord(o.node, t.nodeLeaseDurationMs, o.clock.now(), current?.spec);
    const annotations = this.holderAnnotations(plan);
    if (takeOverFrom) annotations[TAKEN_OVER_FROM_ANNOTATION] = takeOverFrom;
    if (takeOverFrom) o.log.info('taking over', { service: plan.key, from: takeOverFrom });
    const metadata = {
      name: leaseName,
      namespace: o.namespace,
      labels: { [LEASE_TYPE_LABEL]: 'service' },
      annotations,
    };
    try {
      const written = current
        ? await o.leases.update({ metadata: { ...metadata, resourceVersion: current.metadata.resourceVersion }, spec })
        : await o.leases.create({ metadata, spec });
      this.observeOwn(written);
      this.announced(plan, takeOverFrom);
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err)) o.log.warn('lease acquire failed', { lease: leaseName, error: err });
      // Lost the race, or the answer was lost on the way while the write landed (found by the L2
      // chaos run, a takeover written through an apiserver freeze): the Lease says which.
      await this.reread(leaseName, current);
    } finally {
      this.writing.delete(leaseName);
      this.c.schedule(0);
    }
  }

  /**
   * Reads the Lease after a write of it failed, so the view catches up without waiting for the
   * watch (or the copy it follows). A Lease this node finds itself named by is not its own write's
   * version: holding() confirms it with a write before answering.
   */
  private async reread(name: string, seen: LeaseObject | undefined): Promise<void> {
    const { o } = this.c;
    const now = await o.leases.get(o.namespace, name).catch(() => null);
    if (now === null) return;
    if (now === undefined && seen) this.c.view.observe(seen, true);
    else if (now) this.c.view.observe(now as LeaseObject);
  }

  /**
   * The Lease names this node. It starts answering only on a version its own write produced: a
   * write preconditioned on the version it saw (filling in its interfaces and MACs after a
   * hand-over, or changing nothing) proves that version is still the apiserver's. Found by the L2
   * chaos run: a holder whose link was down (and its watch with it) saw itself named by a version
   * the watch delivered late, after another node had taken the Service over, and answered beside
   * it. On a conflict the Lease is read, so the view catches up without waiting for the watch.
   * While the apiserver cannot be reached nothing starts: whether another node won meanwhile is
   * unknown (docs/l2-design.md). Once answering, a holder keeps answering whatever the apiserver does.
   */
  holding(plan: ServicePlan, lease: LeaseObject, answering: boolean): Decision {
    const want = this.holderAnnotations(plan);
    const have = lease.metadata.annotations ?? {};
    const complete = Object.entries(want).every(([k, v]) => have[k] === v);
    const current = this.ownVersion.get(lease.metadata.name) === lease.metadata.resourceVersion;
    if (!complete || (!answering && !current)) this.confirm(plan, lease, { ...have, ...want }, !complete);
    if (answering) return { kind: 'announce' };
    // The write proves the version current when it is made, not after a time away: used once.
    if (current) this.ownVersion.delete(lease.metadata.name);
    return current ? { kind: 'announce' } : { kind: 'wait', reason: 'confirming' };
  }

  private confirm(plan: ServicePlan, lease: LeaseObject, annotations: Record<string, string>, handOver: boolean) {
    const { o, t } = this.c;
    const { name, resourceVersion, labels } = lease.metadata;
    const now = o.clock.now();
    if (now - (this.attempted.get(name) ?? -Infinity) < t.staggerMs) return;
    this.attempted.set(name, now);
    this.exclusive(name, async () => {
      try {
        const metadata = { name, namespace: o.namespace, resourceVersion, labels, annotations };
        this.observeOwn(await o.leases.update({ metadata, spec: lease.spec ?? {} }));
        if (handOver) this.announced(plan);
      } catch (err) {
        if (!isConflict(err) && !isNotFound(err)) return o.log.warn('lease confirm', { lease: name, error: err });
        await this.reread(name, lease);
      } finally {
        this.c.schedule(0);
      }
    });
  }

  /** A Lease this node wrote: its view of it is current. */
  private observeOwn(written: Lease): void {
    const lease = written as LeaseObject;
    this.c.view.observe(lease);
    const version = lease.metadata.resourceVersion;
    if (version) this.ownVersion.set(lease.metadata.name, version);
  }

  /**
   * Gives the Lease up. When another candidate is alive and heard lately on the wire (or judged
   * off it, never heard there), the Lease names it at once (one write and its watch, instead of a
   * release it must see and then win with a write of its own); it fills in its interfaces and MACs
   * when it sees itself named. Otherwise the holder is emptied, and the live candidates' stagger
   * decides (a node whose link is down, or was within 1.5 s, names nobody: WireLiveness.deafLately).
   */
  async release(plan: ServicePlan): Promise<void> {
    const { o, t } = this.c;
    const leaseName = serviceLeaseName(plan.namespace, plan.name);
    const seen = this.c.view.service(leaseName).lease;
    if (!seen?.spec || !leaseNamesService(seen, plan.key) || seen.spec.holderIdentity !== o.node) return;
    const now = o.clock.now();
    const { liveness } = this.c.wire;
    const heard = (n: string) => liveness.heardLately(n, now) !== false;
    const named = (n: string) => n !== o.node && this.c.judge(n, now).kind === 'alive' && heard(n);
    const successor = liveness.deafLately(now) ? undefined : plan.candidates.find(named);
    const spec = successor
      ? claimRecord(successor, t.nodeLeaseDurationMs, now, seen.spec)
      : releaseRecord(now, seen.spec);
    const annotations = successor ? { [SERVICE_ANNOTATION]: plan.key } : seen.metadata.annotations;
    try {
      const { resourceVersion, labels } = seen.metadata;
      await o.leases.update({
        metadata: { name: leaseName, namespace: o.namespace, resourceVersion, labels, annotations },
        spec,
      });
      o.metrics.transitions.inc({ kind: successor ? 'handed-over' : 'released' });
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err)) o.log.warn('lease release failed', { lease: leaseName, error: err });
    }
  }

  /** The Service, and the interfaces this node answers on with their MACs (docs/contract.md). */
  holderAnnotations(plan: ServicePlan): Record<string, string> {
    const macs = plan.interfaces.map((i) => {
      const mac = this.c.dataPlane.macOf(i);
      return mac ? formatMac(mac) : '';
    });
    return {
      [SERVICE_ANNOTATION]: plan.key,
      [INTERFACES_ANNOTATION]: plan.interfaces.join(','),
      [HARDWARE_ADDRESSES_ANNOTATION]: macs.join(','),
    };
  }

  private announced(plan: ServicePlan, takenFrom?: string): void {
    const { o } = this.c;
    o.metrics.transitions.inc({ kind: 'acquired' });
    o.log.info('announce', { service: plan.key, addresses: plan.addresses.map(text), interfaces: plan.interfaces });
    const svc = o.sources.services.get(plan.key);
    const where = `from node ${o.node} on ${plan.interfaces.join(', ')}`;
    // A takeover says from whom, so `kubectl get events` tells the failover's story.
    const from = takenFrom ? `, taking over from ${takenFrom} (judged down)` : '';
    const addresses = plan.addresses.map(text).join(', ');
    if (svc) o.events.record(svc, 'Normal', 'L2Announcing', `Announcing ${addresses} ${where}${from}`);
  }
}

export function text(a: Announced): string {
  return formatAddress(a.family, a.value);
}
