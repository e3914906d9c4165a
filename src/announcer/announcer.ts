// The per-node announcer: for every Service a policy selects, eligible nodes compete for the
// Lease lanlb-l2-<ns>.<name>; the holder answers ARP/NDP for its addresses on the selected
// interfaces. Per-Service Leases are written only on hand-over. Who is alive is judged on the
// LAN: announcers of a policy exchange authenticated heartbeat frames on the selected interfaces
// (wire-peers.ts), probe a silent holder's VIP before taking it over, and fall back to a slow
// Kubernetes-side heartbeat (node-heartbeat.ts, once per 10 s) for peers they never hear. A
// holder keeps answering through any apiserver outage; it stops only when it can no longer
// answer itself or sees another node win its Lease (docs/l2-design.md has the safety argument).
//
// It takes ports, not a Kubernetes client, libpcap or /sys: object sources, a Lease store, an
// event recorder, a link source, a responder factory, a key source and a clock, so its
// decisions run in unit tests on fakes; kube-sources.ts and the command wire the real ones.
import type { Clock } from '../runtime/clock.js';
import type { ObjectSource } from '../runtime/object-source.js';
import { claimRecord, releaseRecord } from '../runtime/lease-record.js';
import { isConflict, isNotFound } from '../runtime/ports/api-error.js';
import type { L2AnnouncementPolicy } from '../../generated/index.js';
import { decide, type ElectionTimings, type ElectionView } from '../l2/election/decide.js';
import { DEFAULT_WIRE_TIMINGS, type Judgement, type WireTimings } from '../l2/election/wire-liveness.js';
import { answerSource } from '../l2/election/answer-source.js';
import { AddressCheck, DEFAULT_ADDRESS_CHECK } from '../l2/election/address-check.js';
import { AnswerAudit, DEFAULT_AUDIT, type AuditTarget } from '../l2/election/answer-audit.js';
import {
  HARDWARE_ADDRESSES_ANNOTATION,
  INTERFACES_ANNOTATION,
  isLegacyServiceLeaseName,
  LEASE_TYPE_LABEL,
  leaseNamesService,
  legacyServiceLeaseName,
  SERVICE_ANNOTATION,
  serviceLeaseName,
  TAKEN_OVER_FROM_ANNOTATION,
} from '../l2/election/lease-names.js';
import { formatMac, type Mac } from '../l2/codec/mac.js';
import { encodeProbe, type Answer } from '../l2/codec/probe.js';
import { formatAddress } from '../ipam/address.js';
import { planAnnouncements, type ServicePlan } from './plan/desired.js';
import { LeaseView } from '../l2/election/lease-view.js';
import { NodeHeartbeat } from './node-heartbeat.js';
import { WirePeers, type KeySource } from '../l2/election/wire-peers.js';
import type { Announced } from '../l2/codec/bpf-filter.js';
import type { HeartbeatPlan } from '../l2/codec/heartbeat.js';
import type { Node, Service } from '../core/kube-objects.js';
import type { EndpointSlice, LeaseObject } from '../core/kube-objects.js';
import type { AnnouncerMetrics } from './metrics.js';
import type { Logger } from '../runtime/ports/logger.js';
import type { LeaseStore } from '../runtime/ports/lease-store.js';
import type { EventRecorder } from '../runtime/ports/event-recorder.js';

export interface AnnouncerTimings extends ElectionTimings {
  /** decisions are re-evaluated at least this often (CPU only, no API calls) */
  tickMs: number;
  /** Kubernetes-side heartbeat of a selected node: renewed this often (kubelet's node Lease: 10 s) */
  nodeLeaseRenewMs: number;
  /** ... and a node whose heartbeat has not changed for this long is gone (for peers never heard) */
  nodeLeaseDurationMs: number;
  wire: WireTimings;
}

/** Defaults: a crashed holder is replaced within about 0.8 s, a stopped one at once. */
export const DEFAULT_ANNOUNCER_TIMINGS: AnnouncerTimings = {
  staggerMs: 100,
  tickMs: 100,
  nodeLeaseRenewMs: 10_000,
  nodeLeaseDurationMs: 40_000,
  wire: DEFAULT_WIRE_TIMINGS,
};

/** A persisting announcement mismatch is reported again this often (not an Event every audit). */
const MISMATCH_REPORT_EVERY_MS = 300_000;

/** A selected interface that cannot be opened is tried again this often. */
const REOPEN_AFTER_MS = 5_000;

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
  /** false without carrier; absent = unknown, taken as true */
  carrier?: boolean;
}

export interface LinkSource {
  list(): Link[];
}

/**
 * One interface's capture: answers for a set of addresses, sends frames, and hands every
 * captured frame that is not a request (heartbeats, replies, advertisements) to its owner.
 */
export interface Responder {
  set(addresses: readonly Announced[]): Promise<void>;
  /** Sends gratuitous ARP / unsolicited NA for `addresses` once, now (spec.announceInterval). */
  reannounce(addresses: readonly Announced[]): void;
  send(frame: Uint8Array): void;
  close(): Promise<void>;
}

export interface HeartbeatSender {
  /** from now on send heartbeat frames as `plan` says; undefined: send none */
  heartbeats(plan: HeartbeatPlan | undefined): void;
}

/** Opens a capture on an interface; throws when it cannot (no NET_RAW, no such interface). */
export type ResponderFactory = (link: Link, onFrame: (frame: Uint8Array) => void) => Responder;

export interface AnnouncerOptions {
  sources: AnnouncerSources;
  leases: LeaseStore;
  events: EventRecorder;
  metrics: AnnouncerMetrics;
  log: Logger;
  clock: Clock;
  links: LinkSource;
  responders: ResponderFactory;
  keys: KeySource;
  /**
   * Sends heartbeat frames on every open capture off this thread (the answer thread), so a busy
   * event loop here delays none; given the plan whenever it changes. Absent: sent from here.
   */
  heartbeats?: HeartbeatSender;
  node: string;
  namespace: string;
  timings?: AnnouncerTimings;
}

export class Announcer {
  private readonly t: AnnouncerTimings;
  private readonly view: LeaseView;
  private readonly wire: WirePeers;
  private readonly nodeHeartbeat: NodeHeartbeat;
  /** interface -> its open capture */
  private readonly responders = new Map<string, Responder>();
  /** interface -> when and why opening it failed last */
  private readonly openFailures = new Map<string, { at: number; error: string }>();
  /** lease names with a write in flight */
  private readonly writing = new Set<string>();
  /** lease name -> when this node last tried to acquire it */
  private readonly attempted = new Map<string, number>();
  /** service key -> what this node announces for it now */
  private readonly announcing = new Map<string, ServicePlan>();
  private readonly addressCheck = new AddressCheck();
  private readonly audit = new AnswerAudit();
  /** the audit probe out now: what it asked and which MACs answered */
  private auditOut: { target: AuditTarget; address: Announced; at: number; answered: Set<string> } | undefined;
  /** "service/mac" -> when a mismatch was last reported, so a persisting one is not an Event flood */
  private readonly reported = new Map<string, number>();
  /** source MACs of authenticated heartbeat frames: lanlb announcers, never "another host" */
  private readonly peerMacs = new Set<string>();
  /** service key -> when this node last (re-)announced it, for spec.announceInterval */
  private readonly announcedAt = new Map<string, number>();
  /** "family/value" -> the plan announcing that address, for reading probe answers */
  private byAddress = new Map<string, ServicePlan>();
  private cancelTick: (() => void) | undefined;
  private cancelBeat: (() => void) | undefined;
  /** what the HeartbeatSender was last told */
  private sentPlan: HeartbeatPlan | undefined;
  /**
   * The last plan and when it was made. Ticks reuse it; Service/policy/Node/EndpointSlice changes
   * mark it dirty, and it is remade at least every 500 ms to notice interfaces and carrier.
   */
  private plans: ServicePlan[] = [];
  private links: Link[] = [];
  private plannedAt = Number.NEGATIVE_INFINITY;
  private planDirty = true;
  private tickQueued = false;
  private stopped = false;
  /** why this node cannot answer although a policy selects it (undefined: it can, or is not selected) */
  private unavailable: string | undefined;
  /** responder updates run one after another, in tick order */
  private responderUpdate: Promise<void> = Promise.resolve();

  constructor(private readonly o: AnnouncerOptions) {
    this.t = o.timings ?? DEFAULT_ANNOUNCER_TIMINGS;
    this.view = new LeaseView(() => o.clock.now());
    this.wire = new WirePeers({
      node: o.node,
      incarnation: Math.trunc(o.clock.now()),
      keys: o.keys,
      timings: this.t.wire,
      count: (outcome) => o.metrics.heartbeats.inc({ outcome }),
    });
    this.nodeHeartbeat = new NodeHeartbeat({
      store: o.leases,
      clock: o.clock,
      namespace: o.namespace,
      node: o.node,
      durationMs: this.t.nodeLeaseDurationMs,
      renewEveryMs: this.t.nodeLeaseRenewMs,
      onError: (err) => o.log.warn('node heartbeat', { error: err }),
    });
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

  /** Why this node cannot answer although a policy selects it; undefined when it can. */
  get unavailableReason(): string | undefined {
    return this.unavailable;
  }

  /** Runs until `signal` aborts, then hands every Service over. The sources run outside. */
  async run(signal: AbortSignal): Promise<void> {
    this.o.log.info('caches synced');
    this.schedule(0);
    this.beat();
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await this.shutdown();
  }

  /** Graceful stop: hand every Service over at once, then stop answering. */
  private async shutdown(): Promise<void> {
    this.stopped = true;
    this.cancelTick?.();
    this.cancelBeat?.();
    this.o.heartbeats?.heartbeats(undefined);
    await Promise.all([...this.announcing.values()].map((p) => this.releaseLease(p)));
    this.announcing.clear();
    await this.nodeHeartbeat.stop();
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

  /**
   * Sends a heartbeat frame on every open capture, every wire interval; with a HeartbeatSender,
   * hands it the plan instead whenever the plan (the key) changes, and it sends.
   */
  private beat(): void {
    if (this.stopped) return;
    const sender = this.o.heartbeats;
    if (sender) {
      const plan = this.wire.plan();
      if (!samePlan(plan, this.sentPlan)) sender.heartbeats(plan);
      this.sentPlan = plan;
    }
    for (const [iface, r] of sender ? [] : this.responders) {
      const mac = this.links.find((l) => l.name === iface)?.mac;
      const frame = mac && this.wire.heartbeat(mac);
      if (!frame) continue;
      r.send(frame);
      this.o.metrics.heartbeats.inc({ outcome: 'sent' });
    }
    this.cancelBeat = this.o.clock.schedule(() => this.beat(), this.t.wire.intervalMs);
  }

  /** Evaluates every Service (CPU only, no API calls unless a Lease changes hands). */
  private tick(): void {
    if (this.stopped || !this.synced) return;
    const now = this.o.clock.now();
    const plans = this.currentPlans(now);
    let recheck = this.t.tickMs;
    const keep = new Map<string, ServicePlan>();
    for (const plan of plans) {
      const d = this.decideFor(plan, now);
      if (d.kind === 'announce') keep.set(plan.key, plan);
      else if (d.kind === 'release') void this.releaseLease(plan);
      if (d.kind === 'wait' && d.recheckInMs !== undefined) recheck = Math.min(recheck, d.recheckInMs);
    }
    this.removeLegacyLeases(now);
    this.withdrawOthers(plans, keep);
    this.reannounceDue(now);
    this.runAudit(plans, now);
    this.o.metrics.leasesHeld.set(this.announcing.size);
    this.responderUpdate = this.responderUpdate.then(() => this.applyResponders());
    this.schedule(Math.max(10, recheck));
  }

  /**
   * How this node judges `node` now: on the wire, or by its Kubernetes-side heartbeat. That
   * heartbeat's silence counts only while this node's own renewals have gone through for two
   * periods: during and just after an apiserver outage every heartbeat looks silent.
   */
  private judge(node: string, now: number, wire = true): Judgement {
    const seen = this.view.heartbeats.get(node);
    const trusted = this.nodeHeartbeat.healthyFor(2 * this.t.nodeLeaseRenewMs);
    const until = seen === undefined ? undefined : seen + this.t.nodeLeaseDurationMs;
    const j = this.wire.liveness.judge(node, now, until, wire);
    return j.kind === 'dead' && j.by === 'kubernetes' && !trusted ? { kind: 'alive' } : j;
  }

  private electionView(plan: ServicePlan, now: number, lease: LeaseObject | undefined, at?: number): ElectionView {
    const holder = lease?.spec?.holderIdentity;
    // A holder that took this Service from us while we were alive cannot hear us: judging it by
    // our silence would take it back, and the VIP would flap between nodes that cannot hear each
    // other (docs/contract.md). Judge it by its Kubernetes-side heartbeat instead.
    const deaf = lease?.metadata.annotations?.[TAKEN_OVER_FROM_ANNOTATION] === this.o.node;
    return {
      now,
      me: this.o.node,
      candidates: plan.candidates,
      holder,
      leaseObservedAt: at,
      judge: (node) => {
        // Found dark by the answer audit while it held this Lease: dead for it, whatever its heartbeats say.
        const dark = node === holder ? this.audit.darkSince(node, now) : undefined;
        if (dark !== undefined && at !== undefined && at <= dark) return { kind: 'dead', since: dark, by: 'wire' };
        return this.judge(node, now, !(deaf && node === holder));
      },
    };
  }

  /** The decision for one Service, acting on 'acquire' and 'probe' at once. */
  private decideFor(plan: ServicePlan, now: number): ReturnType<typeof decide> {
    const leaseName = serviceLeaseName(plan.namespace, plan.name);
    const seen = this.view.service(leaseName);
    // Only a Lease that names this Service counts; any other under the name is overwritten.
    const lease = seen.lease && leaseNamesService(seen.lease, plan.key) ? seen.lease : undefined;
    const view = this.electionView(plan, now, lease, seen.at);
    // Never announced (no Lease): the first candidate checks the addresses before it announces,
    // so the next ones wait that much longer before they step in.
    const stagger = seen.lease ? this.t : { staggerMs: this.t.staggerMs + 2 * DEFAULT_ADDRESS_CHECK.probeMs };
    const d = decide(view, stagger);
    if (d.kind === 'acquire' && !seen.lease) {
      const first = plan.candidates.find((n) => n === this.o.node || view.judge(n).kind === 'alive');
      const waiting = this.checkAddresses(plan, now, first === this.o.node);
      if (waiting) return waiting;
    }
    if (d.kind === 'acquire' && !this.heldUnderLegacyName(plan, view)) {
      void this.acquire(plan, leaseName, seen.lease, d.takeOverFrom);
      if (d.takeOverFrom) this.reportDarkTakeOver(plan, d.takeOverFrom, seen.at, now);
    }
    if (d.kind === 'probe') this.probe(plan, d.holder, now);
    if (d.kind === 'announce' && lease) this.completeHandOver(plan, lease);
    return d;
  }

  /** Named holder by a hand-over: writes this node's interfaces and MACs into the Lease. */
  private completeHandOver(plan: ServicePlan, lease: LeaseObject): void {
    const want = this.holderAnnotations(plan);
    const have = lease.metadata.annotations ?? {};
    const name = lease.metadata.name;
    if (this.writing.has(name) || Object.entries(want).every(([k, v]) => have[k] === v)) return;
    this.writing.add(name);
    this.o.leases
      .update({
        metadata: {
          name,
          namespace: this.o.namespace,
          resourceVersion: lease.metadata.resourceVersion,
          labels: lease.metadata.labels,
          annotations: { ...have, ...want },
        },
        spec: lease.spec ?? {},
      })
      .then((written) => {
        this.view.observe(written as LeaseObject);
        this.announced(plan);
      })
      .catch((err: unknown) => {
        if (!isConflict(err) && !isNotFound(err)) this.o.log.warn('hand-over annotations', { lease: name, error: err });
      })
      .finally(() => this.writing.delete(name));
  }

  /**
   * The address-in-use check before a first announcement: a wait while it runs or fails. Only the
   * first live candidate reports a failed check, so the Service gets one Event, not one per node.
   */
  private checkAddresses(plan: ServicePlan, now: number, reports: boolean): ReturnType<typeof decide> | undefined {
    const s = this.addressCheck.status(plan.key, now);
    if (s.kind === 'clear') return undefined;
    if (s.kind === 'start') {
      this.addressCheck.started(plan.key, now);
      for (const a of plan.addresses) this.sendProbe(plan, a);
      this.schedule(DEFAULT_ADDRESS_CHECK.probeMs);
      return { kind: 'wait', reason: 'probing', recheckInMs: DEFAULT_ADDRESS_CHECK.probeMs };
    }
    if (s.kind === 'in-use') {
      this.o.metrics.addressInUse.inc();
      this.o.log.warn('address in use by another host: not announcing', { service: plan.key, ...s });
      const svc = this.o.sources.services.get(plan.key);
      if (svc && s.first && reports)
        this.o.events.record(
          svc,
          'Warning',
          'AddressInUse',
          `${s.address} is answered by ${s.mac}, which is not a lanlb announcer: ` +
            'not announcing it; checking again every 30 s',
        );
    }
    return { kind: 'wait', reason: 'probing', recheckInMs: s.recheckInMs };
  }

  /** Sends a probe for `address` on each of the plan's interfaces. */
  private sendProbe(plan: ServicePlan, address: Announced): void {
    for (const iface of plan.interfaces) {
      const mac = this.links.find((l) => l.name === iface)?.mac;
      if (mac) this.responders.get(iface)?.send(encodeProbe(address.family, address.value, mac));
    }
  }

  /** Asks the LAN who answers for the Service's first address, on each of its interfaces. */
  private probe(plan: ServicePlan, holder: string, now: number): void {
    const address = plan.addresses[0];
    if (!address) return;
    this.wire.liveness.probeSent(holder, now);
    this.o.metrics.probes.inc({ outcome: 'sent' });
    this.sendProbe(plan, address);
    this.schedule(this.t.wire.probeTimeoutMs);
  }

  /** A frame captured on one of this node's interfaces that is not a request. */
  private onFrame(frame: Uint8Array): void {
    const now = this.o.clock.now();
    const c = this.wire.captured(frame, now);
    if (c.kind === 'answer') this.onAnswer(c.answer, now);
    if (c.kind === 'heartbeat') this.peerMacs.add(c.mac);
  }

  /**
   * An answer for a Service's address from its holder's MAC is a sign of the holder's life; during
   * an address-in-use check, an answer from a MAC no lanlb announcer uses is another host's.
   */
  private onAnswer(answer: Answer, now: number): void {
    const plan = this.byAddress.get(`${answer.family}/${answer.address}`);
    if (!plan) return;
    const said = formatMac(answer.mac);
    const out = this.auditOut;
    if (out && out.address.family === answer.family && out.address.value === answer.address) out.answered.add(said);
    const context = { own: new Set(this.links.map((l) => formatMac(l.mac))), lanlb: this.lanlbMacs() };
    if (this.addressCheck.probing(plan.key) && answerSource(said, { ...context, holderMacs: [] }) === 'foreign')
      this.addressCheck.foreignAnswer(plan.key, said, formatAddress(answer.family, answer.address));
    const lease = this.view.peek(serviceLeaseName(plan.namespace, plan.name));
    const holder = lease?.spec?.holderIdentity;
    if (!lease || !holder || holder === this.o.node) return;
    const holderMacs = lease.metadata.annotations?.[HARDWARE_ADDRESSES_ANNOTATION]?.split(',');
    if (answerSource(said, { ...context, holderMacs }) === 'holder') {
      this.wire.liveness.answered(holder, now);
      this.o.metrics.probes.inc({ outcome: 'answered' });
    }
  }

  /** Re-sends gratuitous ARP / unsolicited NA for held Services whose announceInterval is due. */
  private reannounceDue(now: number): void {
    for (const [key, plan] of this.announcing) {
      const last = this.announcedAt.get(key);
      if (last === undefined) this.announcedAt.set(key, now); // just taken: the responder announces
      if (plan.announceIntervalMs === undefined || last === undefined || now - last < plan.announceIntervalMs) continue;
      this.announcedAt.set(key, now);
      for (const iface of plan.interfaces) this.responders.get(iface)?.reannounce(plan.addresses);
      this.o.metrics.transitions.inc({ kind: 'reannounced' });
    }
    for (const key of this.announcedAt.keys()) if (!this.announcing.has(key)) this.announcedAt.delete(key);
  }

  /** Sends the next audit probe when one is due, and judges the last one once its answers are in. */
  private runAudit(plans: readonly ServicePlan[], now: number): void {
    const out = this.auditOut;
    if (out && now - out.at < DEFAULT_AUDIT.answerWithinMs) return;
    if (out) {
      this.auditOut = undefined;
      this.judgeAudit(out.target, out.address, out.answered, now);
    }
    if (!this.audit.ready(now)) return;
    const target = this.audit.next(this.auditTargets(plans, now), now);
    const plan = target && plans.find((p) => p.key === target.service);
    const address = plan?.addresses[0];
    if (!target || !plan || !address) return;
    this.auditOut = { target, address, at: now, answered: new Set() };
    this.sendProbe(plan, address);
    this.o.metrics.audits.inc({ outcome: 'sent' });
    this.schedule(DEFAULT_AUDIT.answerWithinMs);
  }

  /** Self-audits of every Service held here; one audit per other holder this node could replace. */
  private auditTargets(plans: readonly ServicePlan[], now: number): AuditTarget[] {
    const mine = (p: ServicePlan) =>
      p.interfaces.flatMap((i) => this.links.filter((l) => l.name === i).map((l) => formatMac(l.mac)));
    const targets: AuditTarget[] = [...this.announcing.values()].map((p) => ({
      service: p.key,
      holder: this.o.node,
      holderMacs: mine(p),
      self: true,
    }));
    const peers = new Set<string>();
    for (const p of plans) {
      if (!p.candidates.includes(this.o.node) || p.interfaces.length === 0) continue;
      const lease = this.view.peek(serviceLeaseName(p.namespace, p.name));
      const holder = lease?.spec?.holderIdentity;
      const macs = lease?.metadata.annotations?.[HARDWARE_ADDRESSES_ANNOTATION]?.split(',').filter(Boolean);
      if (!holder || holder === this.o.node || !macs?.length || peers.has(holder)) continue;
      if (this.judge(holder, now).kind !== 'alive') continue;
      peers.add(holder);
      targets.push({ service: p.key, holder, holderMacs: macs, self: false });
    }
    return targets;
  }

  private judgeAudit(target: AuditTarget, address: Announced, answered: Set<string>, now: number): void {
    const v = this.audit.verdict(target, answered, now, this.wire.liveness.heardOnWire(target.holder));
    this.o.metrics.audits.inc({ outcome: v.kind });
    if (v.kind === 'ok' || (v.kind === 'no-answer' && !v.dark) || (v.kind === 'foreign' && !target.self)) return;
    const ip = formatAddress(address.family, address.value);
    const message =
      v.kind === 'foreign'
        ? `${ip} is also answered by ${v.macs.join(', ')}, not only by this node: re-announcing`
        : `${ip} is not answered by its holder ${target.holder} (${target.holderMacs.join(', ')}): taking over`;
    this.o.log.warn('announcement mismatch', { service: target.service, message });
    this.o.metrics.mismatches.inc({ kind: v.kind === 'foreign' ? 'foreign' : 'dark' });
    if (v.kind === 'foreign') {
      const plan = this.announcing.get(target.service);
      for (const iface of plan?.interfaces ?? []) this.responders.get(iface)?.reannounce(plan?.addresses ?? []);
    }
    this.reportMismatch(target.service, v.kind === 'foreign' ? v.macs.join(',') : target.holder, message, now);
  }

  /** Warning AnnouncementMismatch on the Service, once per Service and cause every 5 minutes. */
  private reportMismatch(service: string, cause: string, message: string, now: number): void {
    const key = `${service}/${cause}`;
    if (now - (this.reported.get(key) ?? Number.NEGATIVE_INFINITY) < MISMATCH_REPORT_EVERY_MS) return;
    this.reported.set(key, now);
    if (this.reported.size > 1_000)
      for (const [k, at] of this.reported) if (now - at > MISMATCH_REPORT_EVERY_MS) this.reported.delete(k);
    const svc = this.o.sources.services.get(service);
    if (svc) this.o.events.record(svc, 'Warning', 'AnnouncementMismatch', message);
  }

  /** Each Service taken from a holder the audit found dark gets the Event, not only the one audited. */
  private reportDarkTakeOver(plan: ServicePlan, holder: string, leaseSeenAt: number, now: number): void {
    const dark = this.audit.darkSince(holder, now);
    if (dark === undefined || leaseSeenAt > dark) return;
    const ips = plan.addresses.map(text).join(', ');
    const message = `${ips} is not answered by its holder ${holder}, whose responder is dark: taking over`;
    this.o.metrics.mismatches.inc({ kind: 'dark' });
    this.reportMismatch(plan.key, holder, message, now);
  }

  /** MACs of lanlb's announcers: this node's, those heard in heartbeats, those Leases name. */
  private lanlbMacs(): Set<string> {
    const macs = new Set([...this.peerMacs, ...this.links.map((l) => formatMac(l.mac))]);
    for (const l of this.view.leases())
      for (const m of l.metadata.annotations?.[HARDWARE_ADDRESSES_ANNOTATION]?.split(',') ?? []) if (m) macs.add(m);
    return macs;
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
    if (this.planDirty || now - this.plannedAt >= 500) {
      const { policies, services, nodes, slices } = this.o.sources;
      this.links = this.o.links.list();
      const planned = planAnnouncements({
        me: this.o.node,
        policies: policies.list(),
        services: services.list(),
        nodes: nodes.list(),
        slices: slices.list(),
        links: this.links,
      });
      this.plans = this.withAbleInterfaces(planned, now);
      this.addressCheck.keepOnly(new Set(this.plans.map((p) => p.key)));
      this.byAddress = new Map(this.plans.flatMap((p) => p.addresses.map((a) => [`${a.family}/${a.value}`, p])));
      this.plannedAt = now;
      this.planDirty = false;
    }
    return this.plans;
  }

  /**
   * Eligible means able to answer (docs/contract.md): keeps a capture open on every interface a policy
   * selects, and leaves this node a candidate only for Services with at least one interface
   * where its capture works. Reports the node unavailable when a policy selects it and none does.
   */
  private withAbleInterfaces(plans: ServicePlan[], now: number): ServicePlan[] {
    const selected = plans.some((p) => p.selectsMe);
    const wanted = new Set(plans.flatMap((p) => p.interfaces));
    for (const iface of wanted) if (!this.responders.has(iface)) this.openResponder(iface, now);
    for (const [iface, r] of this.responders) {
      if (wanted.has(iface)) continue;
      this.responders.delete(iface);
      void r.close();
    }
    this.setAvailability(selected, wanted);
    if (selected) this.nodeHeartbeat.start();
    else void this.nodeHeartbeat.stop();
    return plans.map((p) => {
      const interfaces = p.interfaces.filter((i) => this.responders.has(i));
      if (interfaces.length > 0) return { ...p, interfaces };
      return { ...p, interfaces, candidates: p.candidates.filter((n) => n !== this.o.node) };
    });
  }

  private setAvailability(selected: boolean, wanted: Set<string>): void {
    let reason: string | undefined;
    if (selected && ![...wanted].some((i) => this.responders.has(i))) {
      const failures = [...wanted].map((i) => `${i}: ${this.openFailures.get(i)?.error ?? 'not open'}`);
      reason =
        wanted.size === 0
          ? 'no interface selected by a policy is up with carrier'
          : `cannot capture and send on any selected interface (${failures.join('; ')})`;
    }
    this.o.metrics.available.set(selected ? (reason ? 0 : 1) : 0);
    this.o.metrics.selected.set(selected ? 1 : 0);
    if (reason === this.unavailable) return;
    this.unavailable = reason;
    if (!reason) return this.o.log.info('able to answer again');
    this.o.log.warn('unable to answer: holding nothing', { reason });
    const node = this.o.sources.nodes.get(this.o.node);
    if (node) {
      const { name, uid, resourceVersion } = node.metadata;
      const subject = { kind: 'Node', name, uid, resourceVersion };
      this.o.events.recordOn(subject, 'Warning', 'L2Unavailable', `lanlb cannot answer here: ${reason}`);
    }
  }

  private async acquire(
    plan: ServicePlan,
    leaseName: string,
    current: LeaseObject | undefined,
    takeOverFrom: string | undefined,
  ): Promise<void> {
    // At most one attempt per Service per stagger period: whatever the judgement says, the
    // apiserver never sees a write storm for one Lease.
    const now = this.o.clock.now();
    if (this.writing.has(leaseName) || now - (this.attempted.get(leaseName) ?? -Infinity) < this.t.staggerMs) return;
    this.attempted.set(leaseName, now);
    this.writing.add(leaseName);
    const spec = claimRecord(this.o.node, this.t.nodeLeaseDurationMs, this.o.clock.now(), current?.spec);
    const annotations = this.holderAnnotations(plan);
    if (takeOverFrom) annotations[TAKEN_OVER_FROM_ANNOTATION] = takeOverFrom;
    const metadata = {
      name: leaseName,
      namespace: this.o.namespace,
      labels: { [LEASE_TYPE_LABEL]: 'service' },
      annotations,
    };
    try {
      const written = current
        ? await this.o.leases.update({
            metadata: { ...metadata, resourceVersion: current.metadata.resourceVersion },
            spec,
          })
        : await this.o.leases.create({ metadata, spec });
      this.view.observe(written as LeaseObject);
      this.announced(plan, takeOverFrom);
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err))
        this.o.log.warn('lease acquire failed', { lease: leaseName, error: err });
    } finally {
      this.writing.delete(leaseName);
      this.schedule(0);
    }
  }

  private announced(plan: ServicePlan, takenFrom?: string): void {
    this.o.metrics.transitions.inc({ kind: 'acquired' });
    this.o.log.info('announce', {
      service: plan.key,
      addresses: plan.addresses.map(text),
      interfaces: plan.interfaces,
    });
    const svc = this.o.sources.services.get(plan.key);
    const where = `from node ${this.o.node} on ${plan.interfaces.join(', ')}`;
    // A takeover says from whom, so `kubectl get events` tells the failover's story.
    const from = takenFrom ? `, taking over from ${takenFrom} (judged down)` : '';
    if (svc)
      this.o.events.record(
        svc,
        'Normal',
        'L2Announcing',
        `Announcing ${plan.addresses.map(text).join(', ')} ${where}${from}`,
      );
  }

  /**
   * Gives the Lease up. When another candidate is alive, the Lease names it at once (one write and
   * its watch, instead of a release it must see and then win with a write of its own); it fills
   * in its interfaces and MACs when it sees itself named. Otherwise the holder is emptied.
   */
  private async releaseLease(plan: ServicePlan): Promise<void> {
    const leaseName = serviceLeaseName(plan.namespace, plan.name);
    const seen = this.view.service(leaseName).lease;
    if (!seen?.spec || !leaseNamesService(seen, plan.key) || seen.spec.holderIdentity !== this.o.node) return;
    const now = this.o.clock.now();
    const successor = plan.candidates.find((n) => n !== this.o.node && this.judge(n, now).kind === 'alive');
    const spec = successor
      ? claimRecord(successor, this.t.nodeLeaseDurationMs, now, seen.spec)
      : releaseRecord(now, seen.spec);
    const annotations = successor ? { [SERVICE_ANNOTATION]: plan.key } : seen.metadata.annotations;
    try {
      await this.o.leases.update({
        metadata: {
          name: leaseName,
          namespace: this.o.namespace,
          resourceVersion: seen.metadata.resourceVersion,
          labels: seen.metadata.labels,
          annotations,
        },
        spec,
      });
      this.o.metrics.transitions.inc({ kind: successor ? 'handed-over' : 'released' });
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err))
        this.o.log.warn('lease release failed', { lease: leaseName, error: err });
    }
  }

  /** The Service, and the interfaces this node answers on with their MACs (docs/contract.md). */
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
    return Boolean(holder && holder !== this.o.node && this.legacyHolderAlive(holder, view.now));
  }

  /** Announcers of the previous version send no heartbeat frames: their node Lease decides. */
  private legacyHolderAlive(holder: string, now: number): boolean {
    const seen = this.view.heartbeats.get(holder);
    return this.wire.liveness.heardOnWire(holder) || (seen !== undefined && now - seen < LEGACY_HEARTBEAT_MS);
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
      if (holder && holder !== this.o.node && this.legacyHolderAlive(holder, now)) continue;
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

  /** Puts each open capture on exactly the addresses announced on its interface. */
  private async applyResponders(): Promise<void> {
    if (this.stopped) return;
    const byInterface = new Map<string, Announced[]>();
    for (const p of this.announcing.values()) {
      for (const i of p.interfaces) byInterface.set(i, [...(byInterface.get(i) ?? []), ...p.addresses]);
    }
    for (const [iface, r] of this.responders) {
      await r
        .set(byInterface.get(iface) ?? [])
        .catch((err: unknown) => this.o.log.warn('responder update failed', { interface: iface, error: err }));
    }
  }

  private openResponder(iface: string, now: number): void {
    const failed = this.openFailures.get(iface);
    if (failed && now - failed.at < REOPEN_AFTER_MS) return;
    const link = this.links.find((l) => l.name === iface);
    try {
      if (!link) throw new Error(`interface ${iface} not found`);
      this.responders.set(
        iface,
        this.o.responders(link, (frame) => this.onFrame(frame)),
      );
      this.openFailures.delete(iface);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      if (!failed) this.o.log.warn('interface unusable', { interface: iface, error });
      this.openFailures.set(iface, { at: now, error });
    }
  }
}

/** The previous version renewed its node Lease every 500 ms and judged it after 2 s. */
const LEGACY_HEARTBEAT_MS = 2_000;

function text(a: Announced): string {
  return formatAddress(a.family, a.value);
}

function samePlan(a: HeartbeatPlan | undefined, b: HeartbeatPlan | undefined): boolean {
  if (!a || !b) return a === b;
  const sameKey = a.key.length === b.key.length && a.key.every((x, i) => x === b.key[i]);
  return sameKey && a.node === b.node && a.incarnation === b.incarnation && a.intervalMs === b.intervalMs;
}
