// Whether a peer announcer is alive, judged on the LAN (pure; times are this node's clock).
//
// A peer heard on the wire (authenticated heartbeat frames) is alive until it misses a few of its
// intervals. Then it is only *silent*: its heartbeats may be filtered while its data path works,
// so before it counts as dead, a probe asks the LAN who answers for its VIP. An answer from the
// peer's MAC keeps it alive for `probeValidMs` (then it is probed again); no answer within
// `probeTimeoutMs` makes it dead. A peer never heard on the wire (another segment, or heartbeats
// filtered from the start) is judged by the slower Kubernetes-side heartbeat instead, so silence
// between nodes that cannot hear each other is never read as death.
import type { Heartbeat } from '../codec/heartbeat.js';

export interface WireTimings {
  /** how often each announcer sends a heartbeat frame */
  intervalMs: number;
  /** intervals missed before a peer is silent */
  missedIntervals: number;
  /** how long a probe waits for an answer */
  probeTimeoutMs: number;
  /** how long an answered probe counts as a sign of life */
  probeValidMs: number;
}

/**
 * How often a node that holds no Service sends heartbeat frames. Its liveness decides only who
 * is next in line, so it may be judged slower (silent after 3.5 s instead of 350 ms); holders,
 * whose crash darkens a VIP, send at the configured interval. A segment of N selected nodes, H
 * of them holding, carries 1000 / interval * H + (N - H) frames a second instead of 10 N: the
 * cost of hearing peers grows with the Services, not with the nodes (docs/l2-design.md, "Load").
 */
export const IDLE_HEARTBEAT_MS = 1_000;

/** The interval a node sends at: the configured one while it holds a Service, else the idle one. */
export function heartbeatInterval(configuredMs: number, holding: boolean): number {
  return holding ? configuredMs : Math.max(configuredMs, IDLE_HEARTBEAT_MS);
}

export const DEFAULT_WIRE_TIMINGS: WireTimings = {
  intervalMs: 100,
  missedIntervals: 3,
  probeTimeoutMs: 150,
  probeValidMs: 10_000,
};

/**
 * The shortest silence of a holder after which a peer may take its Services over: silent after
 * 3.5 intervals, then a probe unanswered. A node deaf for longer may have been replaced meanwhile.
 */
export function silenceBeforeTakeover(t: WireTimings): number {
  return t.intervalMs * t.missedIntervals + t.intervalMs / 2 + t.probeTimeoutMs;
}

export type Judgement =
  | { kind: 'alive' }
  | { kind: 'dead'; since: number; by: 'wire' | 'kubernetes' }
  /** silent on the wire: send a probe now */
  | { kind: 'probe' }
  /** a probe is out: ask again at `until` */
  | { kind: 'probing'; until: number };

interface Peer {
  incarnation: number;
  sequence: number;
  heardAt: number;
  intervalMs: number;
}

/** A peer judged by its Kubernetes-side heartbeat alone. */
export function judgeByKubernetes(now: number, kubeAliveUntil: number | undefined): Judgement {
  if (kubeAliveUntil !== undefined && now < kubeAliveUntil) return { kind: 'alive' };
  return { kind: 'dead', since: kubeAliveUntil ?? now, by: 'kubernetes' };
}

/**
 * A peer this node does not watch is heard one frame per SAMPLE_WINDOW_MS (heartbeat-inbox.ts),
 * so its silence is judged as if it sent at this interval (3.5 s), whatever it sends at.
 */
export const SAMPLED_INTERVAL_MS = IDLE_HEARTBEAT_MS;

/**
 * "Heard lately" for a hand-over: within one idle heartbeat interval and a half. A sampled peer's
 * silence window (SAMPLED_INTERVAL_MS x 3.5) is for judging death; a node to hand a Service to must
 * have been heard about as recently as it sends.
 */
export const HEARD_LATELY_MS = 1_500;

/** How long a probe witnessed by idle peers waits for one of their frames: an idle interval and a fifth. */
export const IDLE_WITNESS_WAIT_MS = 1_200;

/** How close together the last frames of the watched peers must be for a silence "at once". */
export const ISOLATION_SPREAD_MS = 200;

export class WireLiveness {
  private readonly peers = new Map<string, Peer>();
  /** the peers heard at every frame (undefined: every peer), and since when each newly watched one is */
  private watched: ReadonlySet<string> | undefined;
  private readonly watchedSince = new Map<string, number>();
  /** bumped by every change of what isolated() reads; its last answer, for the same time and state */
  private version = 0;
  private isolation: { now: number; version: number; value: boolean } | undefined;
  /** per probed peer: when, whether witnesses (other live holders' addresses) were probed with it, and its answer */
  private readonly probes = new Map<
    string,
    { sentAt: number; witnessed?: boolean; decideAt?: number; answeredAt?: number }
  >();
  /** until when this node could not hear the LAN itself */
  private deafUntil = Number.NEGATIVE_INFINITY;
  /** when this node last heard anything from the LAN: a peer's heartbeat, or an answer to a probe */
  private evidenceAt = Number.NEGATIVE_INFINITY;
  /** peers probed with witnesses, no evidence heard since: the probes that may make this node cut off */
  private readonly awaiting = new Set<string>();

  constructor(private readonly t: WireTimings = DEFAULT_WIRE_TIMINGS) {}

  /** Records an authenticated heartbeat; false for a replay of an older one (dropped). */
  heard(h: Heartbeat, now: number): boolean {
    this.version++;
    const p = this.peers.get(h.node);
    if (p && (h.incarnation < p.incarnation || (h.incarnation === p.incarnation && h.sequence <= p.sequence)))
      return false;
    // The sender's interval, bounded so a peer cannot make itself immortal or hair-trigger.
    const intervalMs = Math.min(Math.max(h.intervalMs, 10), 1_000);
    this.peers.set(h.node, { incarnation: h.incarnation, sequence: h.sequence, heardAt: now, intervalMs });
    this.evidence(now);
    return true;
  }

  /**
   * This node could not hear the LAN until `now` (its own link without carrier or flapping, or the
   * process paused): peers' silence up to then says nothing about them, and a probe sent before it
   * is void. Found by the L2 chaos run (issue 29): a node whose own link flapped, or that resumed
   * after SIGSTOP, judged every holder dead and took every Service.
   */
  deaf(now: number): void {
    this.version++;
    this.deafUntil = Math.max(this.deafUntil, now);
  }

  /**
   * From `now` on, only `nodes` are heard at every frame (undefined: every peer); the others are
   * sampled and judged at SAMPLED_INTERVAL_MS. A peer just watched was heard at the sampled rate
   * until now: it is silent at the earlier of that rate's bound and the full rate's counted from now.
   */
  watch(nodes: ReadonlySet<string> | undefined, now: number): void {
    this.version++;
    for (const n of nodes ?? []) if (this.watched && !this.watched.has(n)) this.watchedSince.set(n, now);
    for (const n of this.watchedSince.keys()) if (!nodes || !nodes.has(n)) this.watchedSince.delete(n);
    this.watched = nodes;
  }

  heardOnWire(node: string): boolean {
    return this.peers.has(node);
  }

  /** When the peer's last authenticated heartbeat was heard, if ever. */
  lastHeard(node: string): number | undefined {
    return this.peers.get(node)?.heardAt;
  }

  /**
   * A probe of `node`'s address went out; `witnessed`: with probes of live holders' addresses,
   * whose answers (or any heartbeat) show that this node still hears the LAN (unansweredAlone).
   * Without them, another peer heard lately is the witness: one of its frames must arrive, and the
   * verdict waits for it, at most IDLE_WITNESS_WAIT_MS (an idle peer sends every second; the other
   * watchers of a silent holder probe it too, and heartbeat at the full rate while they do, so their
   * frames come within one interval). Found by the L2 chaos run (4 nodes): a node cut off where one
   * other node held everything had no holder to probe beside it, took everything over, and the LAN
   * was dark until the others took it back.
   */
  probeSent(node: string, now: number, witnessed = false): void {
    this.version++;
    const peers = !witnessed && this.otherHeardLately(node, now);
    const decideAt = now + (peers ? IDLE_WITNESS_WAIT_MS : this.t.probeTimeoutMs);
    this.probes.set(node, { sentAt: now, witnessed: witnessed || peers, decideAt });
    if (witnessed || peers) this.awaiting.add(node);
  }

  /**
   * This node could not hear the LAN within the last HEARD_LATELY_MS (its link down or flapping,
   * or paused): what it judges of its peers is stale, so it names no successor and takes no free
   * Service; the nodes that hear the LAN decide (the 10-minute chaos run: two holders with links
   * flapping out of step named each other at every flap, 50 Lease writes in a second).
   */
  deafLately(now: number): boolean {
    return now - this.deafUntil < HEARD_LATELY_MS;
  }

  /** Whether a peer other than `node` was heard lately (so its next frame is due within a second). */
  private otherHeardLately(node: string, now: number): boolean {
    for (const other of this.peers.keys()) if (other !== node && this.heardLately(other, now)) return true;
    return false;
  }

  /**
   * Frames of known peers arrived, skipped unverified (sampled: heartbeat-inbox.ts): not proof of
   * any one peer's life, but that this node hears the LAN (unansweredAlone's evidence).
   */
  framesSeen(now: number): void {
    this.version++;
    this.evidence(now);
  }

  /**
   * Something was heard from the LAN at `now`. If this node took itself for cut off until now (a
   * probe unanswered alone), every peer's silence up to now says nothing, as after deafness: a
   * probe unanswered then is void. Found by the 30-minute chaos run: when a partition healed, the
   * first frame heard turned the probes sent while cut off into verdicts, and the node took 14
   * Services over from live holders.
   */
  private evidence(now: number): void {
    if (this.awaiting.size > 0) {
      // Heard within a probe's time of the verdict (a witness's late answer), the LAN worked during it.
      if (this.unansweredAlone(now - this.t.probeTimeoutMs)) this.deafUntil = Math.max(this.deafUntil, now);
      this.awaiting.clear();
    }
    this.evidenceAt = Math.max(this.evidenceAt, now);
  }

  /** The peer's MAC answered for one of its addresses. */
  answered(node: string, now: number): void {
    this.version++;
    this.awaiting.delete(node);
    this.evidence(now);
    const p = this.probes.get(node);
    if (p) p.answeredAt = now;
    else this.probes.set(node, { sentAt: now, answeredAt: now });
  }

  /**
   * `kubeAliveUntil`: when the peer's Kubernetes-side heartbeat stops counting (undefined: never
   * seen). `wire: false` judges by that heartbeat alone: for a peer that took a Service over from
   * this node while this node was alive, so it cannot hear us and we must not trust our silence.
   * `signOfLife`: when the peer was last known alive off the wire (it wrote the Lease judged): a
   * verdict from before then is stale, and its silence counts from then.
   */
  judge(node: string, now: number, kubeAliveUntil: number | undefined, wire = true, signOfLife = -Infinity): Judgement {
    const p = this.peers.get(node);
    if (!p || !wire) return judgeByKubernetes(now, kubeAliveUntil);
    const silentAt = this.silentAt(node, p, Math.max(p.heardAt, this.deafUntil, signOfLife));
    if (now < silentAt) return { kind: 'alive' };
    const probe = this.probes.get(node);
    if (!probe || probe.sentAt < silentAt) return { kind: 'probe' };
    if (probe.answeredAt !== undefined && probe.answeredAt >= probe.sentAt) {
      return now - probe.answeredAt < this.t.probeValidMs ? { kind: 'alive' } : { kind: 'probe' };
    }
    const until = probe.sentAt + this.t.probeTimeoutMs;
    if (now < until) return { kind: 'probing', until };
    // A witness peer's frame not heard yet: this node's own cut is not ruled out.
    const decideAt = probe.decideAt ?? until;
    if (now < decideAt && this.evidenceAt < probe.sentAt) return { kind: 'probing', until: decideAt };
    return { kind: 'dead', since: until, by: 'wire' };
  }

  /**
   * Whether `node`'s frames still arrive: heard within its silence window of `now` (undefined:
   * never heard on the wire). Unlike judge(), this node's own deafness does not stretch the window:
   * what a node heard before its link went down says nothing about now. Found by the L2 chaos run:
   * two nodes whose links were down handed a Lease to each other every 100 ms, each judging the
   * other alive by the silence it could not hear.
   */
  heardLately(node: string, now: number): boolean | undefined {
    const p = this.peers.get(node);
    return p ? now < Math.min(this.silentAt(node, p, p.heardAt), p.heardAt + HEARD_LATELY_MS) : undefined;
  }

  /**
   * Whether this node looks cut off from the LAN rather than its peers dead: every peer it watches
   * (three at least) went silent at once (their last frames within ISOLATION_SPREAD_MS) and no
   * peer at all was heard after that. Found by the L2 chaos run: a node alone on its side of a
   * partition (the apiserver still reachable) took over every Service it was first in line for from
   * live holders, and the LAN was dark until the others took them back. Three holders silent in the
   * same instant and nothing else heard is this node's own silence far more often than three
   * deaths (which the Kubernetes side still finds: peer-heartbeats.ts). Two, or a peer heard after
   * (a crash beside a flapping link, found by the next run), is judged on the wire as before.
   */
  isolated(now: number): boolean {
    // Asked by every judgement of a tick (at thousands of peers, thousands a tick): once per state and time.
    const c = this.isolation;
    if (c && c.now === now && c.version === this.version) return c.value;
    const value = this.isolatedNow(now);
    this.isolation = { now, version: this.version, value };
    return value;
  }

  private isolatedNow(now: number): boolean {
    return this.unansweredAlone(now) || this.watchedSilentAtOnce(now);
  }

  /**
   * A probe of a silent peer, sent with witness probes (the addresses of other holders heard
   * alive), went unanswered, and nothing at all was heard from the LAN since it was sent: no
   * answer from a witness, no heartbeat. This node's own cut is far more likely than the peer's
   * death together with its witnesses'. Found by the L2 chaos run: a node cut off watching fewer
   * than three holders took over what it was first in line for. Lasts until anything is heard;
   * with no witness to probe (no other holder), a probe decides as before.
   */
  private unansweredAlone(now: number): boolean {
    for (const probe of this.probes.values()) {
      if (!probe.witnessed || (probe.answeredAt !== undefined && probe.answeredAt >= probe.sentAt)) continue;
      if (now >= (probe.decideAt ?? probe.sentAt + this.t.probeTimeoutMs) && this.evidenceAt < probe.sentAt)
        return true;
    }
    return false;
  }

  /** Every watched peer (three at least) silent at once, and nothing heard after. */
  private watchedSilentAtOnce(now: number): boolean {
    let first = Infinity;
    let watched = 0;
    for (const [node, p] of this.peers) {
      if (this.watched && !this.watched.has(node)) continue;
      if (now < this.silentAt(node, p, Math.max(p.heardAt, this.deafUntil))) return false;
      first = Math.min(first, p.heardAt);
      watched++;
    }
    if (watched < 3) return false;
    return [...this.peers.values()].every((p) => p.heardAt <= first + ISOLATION_SPREAD_MS);
  }

  /** When a peer last heard at `heardAt` becomes silent: after 3.5 of the intervals it is heard at. */
  private silentAt(node: string, p: Peer, heardAt: number): number {
    const window = (intervalMs: number) => intervalMs * this.t.missedIntervals + intervalMs / 2;
    const sampled = heardAt + window(Math.max(p.intervalMs, SAMPLED_INTERVAL_MS));
    if (this.watched && !this.watched.has(node)) return sampled;
    const since = this.watchedSince.get(node);
    const full = heardAt + window(p.intervalMs);
    return since === undefined ? full : Math.min(sampled, Math.max(full, since + window(p.intervalMs)));
  }

  /** Forgets a peer whose node is gone, so its name starts afresh. */
  forget(node: string): void {
    this.version++;
    this.peers.delete(node);
    this.probes.delete(node);
  }
}
