// Checks on the wire that what lanlb believes is what the LAN sees (docs/contract.md,
// "Self-checks"): before a first announcement, that no other host answers for the address
// (RFC 5227 / 4862 probes); while announced, that exactly the holder's MAC answers (the answer
// audit: one probe per second per node at most). Answers are classified by whose they are
// (answer-source.ts); a finding is a Warning Event, a metric and a repair.
import { DEFAULT_ADDRESS_CHECK, AddressCheck } from '../l2/election/address-check.js';
import { AnswerAudit, DEFAULT_AUDIT, type AuditTarget } from '../l2/election/answer-audit.js';
import { answerSource } from '../l2/election/answer-source.js';
import {
  HARDWARE_ADDRESSES_ANNOTATION,
  serviceLeaseName,
  TAKEN_OVER_FROM_ANNOTATION,
} from '../l2/election/lease-names.js';
import { formatMac } from '../l2/codec/mac.js';
import type { Answer } from '../l2/codec/probe.js';
import { formatAddress } from '../ipam/address.js';
import type { Announced } from '../l2/codec/bpf-filter.js';
import type { decide } from '../l2/election/decide.js';
import type { ServicePlan } from './plan/desired.js';
import type { AnnouncerContext } from './options.js';
import { text } from './lease-writes.js';

/** A witness was heard this recently: its silence began with the probed holder's, if at all. */
const WITNESS_HEARD_MS = 3_000;

/**
 * Another announcer's MAC answering for a Service held here is a hand-over this node's watch has
 * not brought yet, as often as a split: judged again this long after (the watch's latency on a
 * loaded apiserver), and reported only if this node still holds the Service then.
 */
const HAND_OVER_GRACE_MS = 3_000;

/** A persisting announcement mismatch is reported again this often (not an Event every audit). */
const MISMATCH_REPORT_EVERY_MS = 300_000;

export class SelfChecks {
  private readonly addressCheck = new AddressCheck();
  private readonly audit: AnswerAudit;
  /** the audit probe out now: what it asked and which MACs answered */
  private auditOut: { target: AuditTarget; address: Announced; at: number; answered: Set<string> } | undefined;
  /** "service/mac" -> when a mismatch was last reported, so a persisting one is not an Event flood */
  private readonly reported = new Map<string, number>();
  /** source MACs of authenticated heartbeat frames: lanlb announcers, never "another host" */
  private readonly peerMacs = new Set<string>();
  /** service -> a self-audit answered by another announcer too, judged again after HAND_OVER_GRACE_MS */
  private readonly handOvers = new Map<
    string,
    { target: AuditTarget; address: Announced; macs: string[]; at: number }
  >();
  /** whether this node judged itself cut off from the LAN at the last tick (logged on change) */
  private isolated = false;
  /** "family/value" -> the plan announcing that address, for reading probe answers */
  private byAddress = new Map<string, ServicePlan>();

  constructor(private readonly c: AnnouncerContext) {
    this.audit = new AnswerAudit(DEFAULT_AUDIT, c.o.random ?? Math.random);
  }

  /** The Services planned now: checks of others are forgotten, answers read against these. */
  planned(plans: readonly ServicePlan[]): void {
    this.addressCheck.keepOnly(new Set(plans.map((p) => p.key)));
    this.byAddress = new Map(plans.flatMap((p) => p.addresses.map((a) => [`${a.family}/${a.value}`, p])));
  }

  /** A MAC heard in an authenticated heartbeat frame: a lanlb announcer's. */
  heardPeer(mac: string): void {
    this.peerMacs.add(mac);
  }

  /** When the audit found `node`'s responder dark, if recently (it is dead for what it held then). */
  darkSince(node: string, now: number): number | undefined {
    return this.audit.darkSince(node, now);
  }

  /**
   * The address-in-use check before a first announcement: a wait while it runs or fails. Only the
   * first live candidate reports a failed check, so the Service gets one Event, not one per node.
   */
  checkAddresses(plan: ServicePlan, now: number, reports: boolean): ReturnType<typeof decide> | undefined {
    const s = this.addressCheck.status(plan.key, now);
    if (s.kind === 'clear') return undefined;
    if (s.kind === 'start') {
      this.addressCheck.started(plan.key, now);
      for (const a of plan.addresses) this.sendProbe(plan, a);
      this.c.schedule(DEFAULT_ADDRESS_CHECK.probeMs);
      return { kind: 'wait', reason: 'probing', recheckInMs: DEFAULT_ADDRESS_CHECK.probeMs };
    }
    if (s.kind === 'in-use') {
      const { o } = this.c;
      o.metrics.addressInUse.inc();
      o.log.warn('address in use by another host: not announcing', { service: plan.key, ...s });
      const svc = o.sources.services.get(plan.key);
      if (svc && s.first && reports)
        o.events.record(
          svc,
          'Warning',
          'AddressInUse',
          `${s.address} is answered by ${s.mac}, which is not a lanlb announcer: ` +
            'not announcing it; checking again every 30 s',
        );
    }
    return { kind: 'wait', reason: 'probing', recheckInMs: s.recheckInMs };
  }

  /** Probes `address` on each of the plan's interfaces (sent with this tick's answer table). */
  sendProbe(plan: ServicePlan, address: Announced): void {
    for (const iface of plan.interfaces) this.c.probe(iface, address);
  }

  /**
   * With a probe of `silent`'s address: probes of the addresses of up to `most` other holders heard
   * on the wire within WITNESS_HEARD_MS (silent now too, when this node is the one cut off), so that
   * an answer shows this node still hears the LAN (WireLiveness unansweredAlone: a node cut off
   * takes nothing). How many were sent.
   */
  sendWitnessProbes(silent: string, now: number, most = 2): number {
    const { o, view, wire } = this.c;
    const witnesses = new Set<string>();
    for (const plan of new Set(this.byAddress.values())) {
      const holder = view.peek(serviceLeaseName(plan.namespace, plan.name))?.spec?.holderIdentity;
      const address = plan.addresses[0];
      if (!holder || !address || holder === o.node || holder === silent || witnesses.has(holder)) continue;
      if (now - (wire.liveness.lastHeard(holder) ?? Number.NEGATIVE_INFINITY) > WITNESS_HEARD_MS) continue;
      witnesses.add(holder);
      this.sendProbe(plan, address);
      if (witnesses.size >= most) break;
    }
    return witnesses.size;
  }

  /**
   * An answer for a Service's address from its holder's MAC is a sign of the holder's life; during
   * an address-in-use check, an answer from a MAC no lanlb announcer uses is another host's.
   */
  onAnswer(answer: Answer, now: number): void {
    const plan = this.byAddress.get(`${answer.family}/${answer.address}`);
    if (!plan) return;
    const { o, view, wire } = this.c;
    const said = formatMac(answer.mac);
    const out = this.auditOut;
    if (out && out.address.family === answer.family && out.address.value === answer.address) out.answered.add(said);
    const context = { own: new Set(this.c.dataPlane.ownMacs()), lanlb: this.lanlbMacs() };
    if (this.addressCheck.probing(plan.key) && answerSource(said, { ...context, holderMacs: [] }) === 'foreign')
      this.addressCheck.foreignAnswer(plan.key, said, formatAddress(answer.family, answer.address));
    const lease = view.peek(serviceLeaseName(plan.namespace, plan.name));
    const holder = lease?.spec?.holderIdentity;
    if (!lease || !holder || holder === o.node) return;
    const holderMacs = lease.metadata.annotations?.[HARDWARE_ADDRESSES_ANNOTATION]?.split(',');
    if (answerSource(said, { ...context, holderMacs }) === 'holder') {
      wire.liveness.answered(holder, now);
      o.metrics.probes.inc({ outcome: 'answered' });
    }
  }

  /** Sends the next audit probe when one is due, and judges the last one once its answers are in. */
  runAudit(plans: readonly ServicePlan[], now: number): void {
    this.judgeHandOvers(now);
    const out = this.auditOut;
    if (out && now - out.at < DEFAULT_AUDIT.answerWithinMs) return;
    // Cut off from the LAN (WireLiveness.isolated), an unanswered audit says nothing about the holder.
    const isolated = this.c.wire.liveness.isolated(now);
    if (isolated !== this.isolated) {
      this.isolated = isolated;
      if (isolated) this.c.o.log.warn('cut off from the LAN, by the look of it: peers judged by their node Leases');
      else this.c.o.log.info('hearing the LAN again: peers judged on the wire');
    }
    if (out) {
      this.auditOut = undefined;
      const current = this.holderNow(out.target) === out.target.holder;
      if (current && !isolated) this.judgeAudit(out.target, out.address, out.answered, now);
    }
    if (isolated) return;
    if (!this.audit.ready(now)) return;
    const target = this.audit.next(this.auditTargets(plans, now), now);
    const plan = target && plans.find((p) => p.key === target.service);
    const address = plan?.addresses[0];
    if (!target || !plan || !address) return;
    this.auditOut = { target, address, at: now, answered: new Set() };
    this.sendProbe(plan, address);
    this.c.o.metrics.audits.inc({ outcome: 'sent' });
    this.c.schedule(DEFAULT_AUDIT.answerWithinMs);
  }

  /**
   * Who holds the audited Service now. An audit judged after its Service moved says nothing (found
   * by the L2 e2e: the dark holder's self-audit, out when another node took over, was answered by
   * that node and reported it as "also answering").
   */
  private holderNow(target: AuditTarget): string | undefined {
    if (target.self) return this.c.announcing.has(target.service) ? target.holder : undefined;
    const [namespace = '', name = ''] = target.service.split('/');
    return this.c.view.peek(serviceLeaseName(namespace, name))?.spec?.holderIdentity;
  }

  /** Each Service taken from a holder the audit found dark gets the Event, not only the one audited. */
  reportDarkTakeOver(plan: ServicePlan, holder: string, leaseSeenAt: number, now: number): void {
    const dark = this.audit.darkSince(holder, now);
    if (dark === undefined || leaseSeenAt > dark) return;
    const ips = plan.addresses.map(text).join(', ');
    const message = `${ips} is not answered by its holder ${holder}, whose responder is dark: taking over`;
    this.c.o.metrics.mismatches.inc({ kind: 'dark' });
    this.reportMismatch(plan.key, holder, message, now);
  }

  /** Self-audits of every Service held here; one audit per other holder this node could replace. */
  private auditTargets(plans: readonly ServicePlan[], now: number): AuditTarget[] {
    const { o, view, dataPlane } = this.c;
    const mine = (p: ServicePlan) =>
      p.interfaces.flatMap((i) => {
        const mac = dataPlane.macOf(i);
        return mac ? [formatMac(mac)] : [];
      });
    const targets: AuditTarget[] = [...this.c.announcing.values()].map((p) => ({
      service: p.key,
      holder: o.node,
      holderMacs: mine(p),
      self: true,
    }));
    const peers = new Set<string>();
    for (const p of plans) {
      if (!p.candidates.includes(o.node) || p.interfaces.length === 0) continue;
      const lease = view.peek(serviceLeaseName(p.namespace, p.name));
      const holder = lease?.spec?.holderIdentity;
      const macs = lease?.metadata.annotations?.[HARDWARE_ADDRESSES_ANNOTATION]?.split(',').filter(Boolean);
      if (!holder || holder === o.node || !macs?.length || peers.has(holder)) continue;
      // A holder that took the Service from this node cannot hear it, nor it that holder (a
      // partition): an unanswered audit says nothing, and finding it dark would take the Service
      // back (docs/l2-design.md, "partition heals / persists"). Nodes on its side audit it.
      if (lease?.metadata.annotations?.[TAKEN_OVER_FROM_ANNOTATION] === o.node) continue;
      if (this.c.judge(holder, now).kind !== 'alive') continue;
      peers.add(holder);
      targets.push({ service: p.key, holder, holderMacs: macs, self: false });
    }
    return targets;
  }

  private judgeAudit(target: AuditTarget, address: Announced, answered: Set<string>, now: number): void {
    const { o } = this.c;
    const v = this.audit.verdict(target, answered, now, this.c.wire.liveness.heardOnWire(target.holder));
    o.metrics.audits.inc({ outcome: v.kind });
    if (v.kind === 'ok' || (v.kind === 'no-answer' && !v.dark) || (v.kind === 'foreign' && !target.self)) return;
    if (v.kind === 'foreign') {
      const lanlb = this.lanlbMacs();
      if (!v.macs.every((m) => lanlb.has(m))) return this.reportForeign(target, address, v.macs, now);
      // Judged again at the first tick after the grace (ticks come every 100 ms).
      if (!this.handOvers.has(target.service))
        this.handOvers.set(target.service, { target, address, macs: v.macs, at: now });
      return;
    }
    const ip = formatAddress(address.family, address.value);
    const macs = target.holderMacs.join(', ');
    const message = `${ip} is not answered by its holder ${target.holder} (${macs}): taking over`;
    o.log.warn('announcement mismatch', { service: target.service, message });
    o.metrics.mismatches.inc({ kind: 'dark' });
    this.reportMismatch(target.service, target.holder, message, now);
  }

  /** Self-audits another announcer answered: reported once the grace is over if the Service is still held here. */
  private judgeHandOvers(now: number): void {
    for (const [service, h] of this.handOvers) {
      if (now - h.at < HAND_OVER_GRACE_MS) continue;
      this.handOvers.delete(service);
      if (this.holderNow(h.target) === h.target.holder) this.reportForeign(h.target, h.address, h.macs, now);
    }
  }

  /** Another MAC answers for a Service held here: an Event, and the address re-announced from here. */
  private reportForeign(target: AuditTarget, address: Announced, macs: string[], now: number): void {
    const ip = formatAddress(address.family, address.value);
    const message = `${ip} is also answered by ${macs.join(', ')}, not only by this node: re-announcing`;
    this.c.o.log.warn('announcement mismatch', { service: target.service, message });
    this.c.o.metrics.mismatches.inc({ kind: 'foreign' });
    const plan = this.c.announcing.get(target.service);
    for (const iface of plan?.interfaces ?? []) this.c.dataPlane.reannounce(iface, plan?.addresses ?? []);
    this.reportMismatch(target.service, macs.join(','), message, now);
  }

  /** Warning AnnouncementMismatch on the Service, once per Service and cause every 5 minutes. */
  private reportMismatch(service: string, cause: string, message: string, now: number): void {
    const key = `${service}/${cause}`;
    if (now - (this.reported.get(key) ?? Number.NEGATIVE_INFINITY) < MISMATCH_REPORT_EVERY_MS) return;
    this.reported.set(key, now);
    if (this.reported.size > 1_000)
      for (const [k, at] of this.reported) if (now - at > MISMATCH_REPORT_EVERY_MS) this.reported.delete(k);
    const svc = this.c.o.sources.services.get(service);
    if (svc) this.c.o.events.record(svc, 'Warning', 'AnnouncementMismatch', message);
  }

  /** MACs of lanlb's announcers: this node's, those heard in heartbeats, those Leases name. */
  private lanlbMacs(): Set<string> {
    const macs = new Set([...this.peerMacs, ...this.c.dataPlane.ownMacs()]);
    for (const l of this.c.view.leases())
      for (const m of l.metadata.annotations?.[HARDWARE_ADDRESSES_ANNOTATION]?.split(',') ?? []) if (m) macs.add(m);
    return macs;
  }
}
