// The per-node announcer: for every Service a policy selects, eligible nodes compete for the Lease
// lanlb-l2-<ns>.<name>; the holder answers ARP/NDP for its addresses on the selected interfaces. Per-Service Leases
// are written only on hand-over. Who is alive is judged on the LAN: announcers of a policy exchange authenticated
// heartbeat frames on the selected interfaces (wire-peers.ts; checked in the answer thread), probe a silent
// holder's VIP before taking it over, and judge peers they never hear by a slow Kubernetes-side heartbeat (every
// 10 s). A holder keeps answering through any apiserver outage; it stops only when it can no longer answer itself or
// sees another node win its Lease (docs/l2-design.md has the safety argument).
//
// This file decides: what to announce (plans), who holds each Service (elections), and the answer table it
// publishes to the data plane (data-plane.ts: interface -> addresses). Lease writes, self-checks and the previous
// version's Lease name are parts of their own (options.ts lists them). It takes ports, not a Kubernetes client,
// libpcap or /sys, so its decisions run in unit tests on fakes; src/kube and the command wire the real ones.
import type { ObjectSource } from '../runtime/object-source.js';
import { decide, watchesHolder, type ElectionView } from '../l2/election/decide.js';
import { silenceBeforeTakeover, type Judgement } from '../l2/election/wire-liveness.js';
import { leaseNamesService, serviceLeaseName, TAKEN_OVER_FROM_ANNOTATION } from '../l2/election/lease-names.js';
import { DEFAULT_ADDRESS_CHECK } from '../l2/election/address-check.js';
import { planAnnouncements, type ServicePlan } from './plan/desired.js';
import { poolLookupWhenAsked } from '../reconcile/held-through.js';
import { LeaseView } from '../l2/election/lease-view.js';
import { announcerHeartbeat, type NodeHeartbeat } from './node-heartbeat.js';
import { WirePeers } from '../l2/election/wire-peers.js';
import type { Announced } from '../l2/codec/bpf-filter.js';
import type { LeaseObject } from '../core/kube-objects.js';
import { DataPlane, type Refresh } from './data-plane.js';
import { LeaseWrites, text } from './lease-writes.js';
import { LegacyLeases } from './legacy-leases.js';
import { SelfChecks } from './self-checks.js';
import { PeerHeartbeats } from './peer-heartbeats.js';
import { OwnHeartbeats } from './own-heartbeats.js';
import {
  DEFAULT_ANNOUNCER_TIMINGS,
  type AnnouncerContext,
  type AnnouncerOptions,
  type AnnouncerTimings,
} from './options.js';

export class Announcer {
  private readonly t: AnnouncerTimings;
  private readonly view: LeaseView;
  private readonly wire: WirePeers;
  private readonly nodeHeartbeat: NodeHeartbeat;
  private readonly dataPlane: DataPlane;
  private readonly writes: LeaseWrites;
  private readonly legacy: LegacyLeases;
  private readonly checks: SelfChecks;
  private readonly peerHeartbeats: PeerHeartbeats;
  private readonly beats: OwnHeartbeats;
  /** service key -> what this node announces for it now */
  private readonly announcing = new Map<string, ServicePlan>();
  /** interface -> addresses to probe, sent with the next answer table (this tick's) */
  private readonly probes = new Map<string, Announced[]>();
  private cancelTick: (() => void) | undefined;
  /** The last plan: Service/policy/Node/EndpointSlice/pool changes and link or capture changes mark it dirty. */
  private plans: ServicePlan[] = [];
  private planDirty = true;
  private tickQueued = false;
  private stopped = false;
  /** why this node cannot answer although a policy selects it (undefined: it can, or is not selected) */
  private unavailable: string | undefined;
  /** when this announcer started (its clock): peers are not judged unheard before they could be heard */
  private startedAt = Number.POSITIVE_INFINITY;

  constructor(private readonly o: AnnouncerOptions) {
    this.t = o.timings ?? DEFAULT_ANNOUNCER_TIMINGS;
    this.view = new LeaseView(() => o.clock.now());
    this.wire = new WirePeers({
      node: o.node,
      incarnation: Math.trunc(o.clock.now()),
      keys: o.keys,
      timings: this.t.wire,
      count: (outcome, n = 1) => o.metrics.heartbeats.inc({ outcome }, n),
    });
    this.nodeHeartbeat = announcerHeartbeat(o, this.t);
    this.dataPlane = new DataPlane({
      links: o.links,
      responders: o.responders,
      log: o.log,
      onFrame: (frame) => this.onFrame(frame),
      onChange: () => this.replan(),
      onDeaf: (now) => this.wire.liveness.deaf(now),
      // Deaf long enough to have been replaced: it answers again only on Leases confirmed by a write.
      onHearing: (deafMs) => deafMs >= silenceBeforeTakeover(this.t.wire) && this.announcing.clear(),
    });
    const context: AnnouncerContext = {
      o,
      t: this.t,
      view: this.view,
      wire: this.wire,
      dataPlane: this.dataPlane,
      announcing: this.announcing,
      schedule: (ms) => this.schedule(ms),
      probe: (iface, address) => this.probes.set(iface, [...(this.probes.get(iface) ?? []), address]),
      judge: (node, now, wire) => this.judge(node, now, wire),
    };
    this.writes = new LeaseWrites(context);
    this.peerHeartbeats = new PeerHeartbeats(context, (ms) => this.nodeHeartbeat.healthyFor(ms));
    this.legacy = new LegacyLeases(context, this.writes, this.peerHeartbeats);
    this.checks = new SelfChecks(context);
    this.beats = new OwnHeartbeats(context);
    this.watchSources();
    o.heartbeats?.onHeard?.((b) => this.wire.receive(b, o.clock.now()).forEach((p) => this.checks.heardPeer(p.mac)));
  }

  /** Plans again at once: what is planned changed (a source, or links and captures). */
  private replan(): void {
    this.planDirty = true;
    this.schedule(0);
  }

  /** Every change of what is planned marks the plan dirty; every Lease change is observed. */
  private watchSources(): void {
    const poke = (): void => this.schedule(0);
    const replan = (): void => this.replan();
    const { policies, services, nodes, slices, leases, pools } = this.o.sources;
    for (const source of [policies, services, nodes, slices, pools ?? []].flat() as Array<ObjectSource<unknown>>) {
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
    this.startedAt = this.o.clock.now();
    this.schedule(0);
    this.beats.start();
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
    this.beats.stop();
    await Promise.all([...this.announcing.values()].map((p) => this.writes.release(p)));
    this.announcing.clear();
    await this.nodeHeartbeat.stop();
    await this.dataPlane.close();
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
    let recheck = this.t.tickMs;
    const keep = new Map<string, ServicePlan>();
    const watching = new Set<string>();
    for (const plan of plans) {
      const d = this.decideFor(plan, now, watching);
      if (d.kind === 'announce') keep.set(plan.key, plan);
      else if (d.kind === 'release') void this.writes.release(plan);
      if (d.kind === 'wait' && d.recheckInMs !== undefined) recheck = Math.min(recheck, d.recheckInMs);
    }
    this.o.metrics.peersWatched.set(this.wire.watch(watching, now));
    this.legacy.removeUnheld(now);
    this.withdrawOthers(plans, keep);
    this.checks.runAudit(plans, now);
    this.o.metrics.leasesHeld.set(this.announcing.size);
    this.publishAnswerTable(now);
    this.schedule(Math.max(10, recheck));
  }

  /** How this node judges `node` now (peer-heartbeats.ts says how). */
  private judge(node: string, now: number, wire = true, signOfLife?: number): Judgement {
    return this.peerHeartbeats.judge(node, now, wire, this.startedAt, signOfLife);
  }

  private electionView(plan: ServicePlan, now: number, lease: LeaseObject | undefined, at?: number): ElectionView {
    const holder = lease?.spec?.holderIdentity;
    // A holder that took this Service from us while we were alive cannot hear us: judging it by
    // our silence would take it back, and the VIP would flap between nodes that cannot hear each
    // other (docs/contract.md). Judge it by its Kubernetes-side heartbeat instead, until we hear it
    // after the takeover: then the LAN joins us again, and its silence is evidence (chaos run).
    const takenFromMe = lease?.metadata.annotations?.[TAKEN_OVER_FROM_ANNOTATION] === this.o.node;
    const heardSince = holder && at !== undefined && (this.wire.liveness.lastHeard(holder) ?? -Infinity) > at;
    const deaf = takenFromMe && !heardSince;
    return {
      now,
      me: this.o.node,
      candidates: plan.candidates,
      holder,
      leaseObservedAt: at,
      judge: (node) => {
        // Found dark by the answer audit while it held this Lease: dead for it, whatever its heartbeats say.
        const dark = node === holder && !deaf ? this.checks.darkSince(node, now) : undefined;
        if (dark !== undefined && at !== undefined && at <= dark) return { kind: 'dead', since: dark, by: 'wire' };
        // The holder wrote this Lease when we saw it change: alive then, whatever we judged before.
        return this.judge(node, now, !(deaf && node === holder), node === holder ? at : undefined);
      },
    };
  }

  /** The decision for one Service, acting on 'acquire' and 'probe' at once; `watching` gets its holder if watched. */
  private decideFor(plan: ServicePlan, now: number, watching: Set<string>): ReturnType<typeof decide> {
    const leaseName = serviceLeaseName(plan.namespace, plan.name);
    const seen = this.view.service(leaseName);
    // Only a Lease that names this Service counts; any other under the name is overwritten.
    const lease = seen.lease && leaseNamesService(seen.lease, plan.key) ? seen.lease : undefined;
    const view = this.electionView(plan, now, lease, seen.at);
    if (watchesHolder(view, (n) => this.wire.aliveOnWire(n, now))) watching.add(view.holder ?? '');
    // Never announced (no Lease): the first candidate checks the addresses before it announces,
    // so the next ones wait that much longer before they step in.
    const stagger = seen.lease ? this.t : { staggerMs: this.t.staggerMs + 2 * DEFAULT_ADDRESS_CHECK.probeMs };
    const d = decide(view, stagger);
    if (d.kind === 'acquire' && !seen.lease) {
      const first = plan.candidates.find((n) => n === this.o.node || view.judge(n).kind === 'alive');
      const waiting = this.checks.checkAddresses(plan, now, first === this.o.node);
      if (waiting) return waiting;
    }
    // Deaf lately (its link down or flapping): the nodes that hear the LAN take it, not this one.
    if (d.kind === 'acquire' && this.wire.liveness.deafLately(now)) return { kind: 'wait', reason: 'not-eligible' };
    if (d.kind === 'acquire' && !this.legacy.heldElsewhere(plan, view.now)) {
      void this.writes.acquire(plan, leaseName, seen.lease, d.takeOverFrom);
      if (d.takeOverFrom) this.checks.reportDarkTakeOver(plan, d.takeOverFrom, seen.at, now);
    }
    if (d.kind === 'probe') this.probe(plan, d.holder, now);
    return d.kind === 'announce' && lease ? this.writes.holding(plan, lease, this.announcing.has(plan.key)) : d;
  }

  /** Asks the LAN who answers for the Service's first address, on each of its interfaces. */
  private probe(plan: ServicePlan, holder: string, now: number): void {
    const address = plan.addresses[0];
    if (!address) return;
    this.o.metrics.probes.inc({ outcome: 'sent' });
    this.checks.sendProbe(plan, address);
    const witnesses = this.checks.sendWitnessProbes(holder, now);
    this.wire.liveness.probeSent(holder, now, witnesses > 0);
    this.beats.probed(now);
    this.o.log.info('holder silent on the wire: probing', { service: plan.key, holder, witnesses });
    this.schedule(this.t.wire.probeTimeoutMs);
  }

  /** A frame captured on one of this node's interfaces that is not a request. */
  private onFrame(frame: Uint8Array): void {
    const now = this.o.clock.now();
    const c = this.wire.captured(frame, now);
    if (c.kind === 'answer') this.checks.onAnswer(c.answer, now);
    if (c.kind === 'heartbeat') this.checks.heardPeer(c.mac);
  }

  /** Stops announcing what was announced and is no longer kept. */
  private withdrawOthers(plans: readonly ServicePlan[], keep: Map<string, ServicePlan>): void {
    const planned = new Set(plans.map((p) => p.key));
    for (const [key, plan] of this.announcing) {
      if (keep.has(key)) continue;
      this.o.metrics.transitions.inc({ kind: 'stopped' });
      this.o.log.info('withdraw', { service: key, addresses: plan.addresses.map(text) });
      // No policy selects it any more (or it lost its addresses): hand the Lease back too.
      if (!planned.has(key)) void this.writes.release(plan);
    }
    this.announcing.clear();
    for (const [k, p] of keep) this.announcing.set(k, p);
  }

  /**
   * The answer table (interface -> addresses announced there, which of them are re-announced on a
   * schedule, and the probes this tick asks for), handed to the data plane in tick order.
   */
  private publishAnswerTable(now: number): void {
    const table = new Map<string, { addresses: Announced[]; refresh: Refresh[]; probes?: Announced[] }>();
    for (const [i, probes] of this.probes) table.set(i, { addresses: [], refresh: [], probes });
    this.probes.clear();
    for (const p of this.announcing.values()) {
      for (const i of p.interfaces) {
        const entry = table.get(i) ?? { addresses: [], refresh: [] };
        entry.addresses.push(...p.addresses);
        if (p.announceIntervalMs !== undefined)
          entry.refresh.push({ key: p.key, everyMs: p.announceIntervalMs, addresses: p.addresses });
        table.set(i, entry);
      }
    }
    const refreshed = this.dataPlane.publish(table, now);
    if (refreshed > 0) this.o.metrics.transitions.inc({ kind: 'reannounced' }, refreshed);
  }

  private currentPlans(now: number): ServicePlan[] {
    this.dataPlane.tick(now); // links read every 500 ms: a change marks the plan dirty (onChange)
    if (this.planDirty) {
      const { policies, services, nodes, slices } = this.o.sources;
      const planned = planAnnouncements({
        me: this.o.node,
        policies: policies.list(),
        services: services.list(),
        nodes: nodes.list(),
        slices: slices.list(),
        links: [...this.dataPlane.currentLinks()],
        poolOf: poolLookupWhenAsked(policies.list(), this.o.sources.pools?.list(), services.list()),
      });
      this.plans = this.withAbleInterfaces(planned, now);
      this.checks.planned(this.plans);
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
    this.dataPlane.keepOpen(wanted, now);
    this.setAvailability(selected, wanted);
    if (selected) this.nodeHeartbeat.start();
    else void this.nodeHeartbeat.stop();
    return plans.map((p) => {
      const interfaces = p.interfaces.filter((i) => this.dataPlane.isOpen(i));
      if (interfaces.length > 0) return { ...p, interfaces };
      return { ...p, interfaces, candidates: p.candidates.filter((n) => n !== this.o.node) };
    });
  }

  private setAvailability(selected: boolean, wanted: Set<string>): void {
    let reason: string | undefined;
    if (selected && ![...wanted].some((i) => this.dataPlane.isOpen(i))) {
      const failures = [...wanted].map((i) => `${i}: ${this.dataPlane.failure(i) ?? 'not open'}`);
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
}
