// Heartbeat frames checked where they are captured (the answer thread), so that hearing peers
// costs the main thread one message per batch instead of one per frame, and a LAN that floods
// EtherType 0x88B5 costs a bounded amount of verification (pure: times are the caller's clock).
//
// What a frame may cost before its HMAC is checked is bounded twice: each source MAC may have
// `perSource` frames a second verified (a peer sends 1000 / interval, at most a third of that), and
// frames from MACs that never sent an authenticated heartbeat share `strangersPerSecond` a second.
// A source over its budget is dropped unverified ('throttled'): the peer it claims to be then
// looks silent, which the fault table already covers (probes of its VIP, never a takeover alone).
//
// And what is checked at all: a node's decisions need every frame only of the holders it would take
// over from first (`watched`, decide.ts watchesHolder); any other peer's frames are checked once per
// SAMPLE_WINDOW_MS and the rest skipped before their HMAC ('sampled'), so that hearing a segment
// of N holders costs N checks a second, not 10 N (issue 28: 4 µs a frame in the addon).
import { claimedNode, decodeHeartbeat, ETHERTYPE_HEARTBEAT, type Heartbeat } from '../codec/heartbeat.js';
import { formatMac } from '../codec/mac.js';
import type { HeartbeatOutcome } from './wire-peers.js';

/** A peer's latest authenticated heartbeat, and how long before the batch was taken it was captured. */
export interface HeardPeer {
  heartbeat: Heartbeat;
  mac: string;
  ageMs: number;
}

/** What the inbox passes on: each peer heard since the last batch, and every outcome counted. */
export interface HeardBatch {
  peers: HeardPeer[];
  counts: Array<[HeartbeatOutcome, number]>;
}

export interface InboxLimits {
  /** frames a second of one source MAC that are verified, as a multiple of the configured rate */
  perSourceFactor: number;
  /** verifications a second of frames from MACs never authenticated */
  strangersPerSecond: number;
  /** source MACs remembered; beyond it those never authenticated are forgotten (a flood of random MACs) */
  maxSources: number;
}

export const DEFAULT_INBOX_LIMITS: InboxLimits = { perSourceFactor: 3, strangersPerSecond: 1_000, maxSources: 20_000 };

interface Source {
  tokens: number;
  refilledAt: number;
  trusted: boolean;
}

export interface InboxConfig {
  /** this node (its own frames, looped back by the capture, are dropped) */
  node: string;
  key: Uint8Array;
  /** the configured heartbeat interval (--heartbeat-interval): what a peer sends at most */
  intervalMs: number;
  /** the peers whose every frame is checked; the others' once per SAMPLE_WINDOW_MS (absent: every peer) */
  watched?: ReadonlySet<string>;
}

/**
 * A peer not watched has one frame checked per this window: under the idle rate (1 s), so a node
 * that holds nothing has every frame checked, and a holder one frame a second (WireLiveness judges
 * such peers at that rate).
 */
export const SAMPLE_WINDOW_MS = 900;

/** Frames a second of one source MAC that are verified, for a configured interval. */
export function perSourcePerSecond(limits: InboxLimits, intervalMs: number): number {
  return (limits.perSourceFactor * 1_000) / Math.max(10, intervalMs);
}

/** The outcomes the addon counts, in the order lanlb_take_heard returns them (lanlb_heartbeat.h). */
export const NATIVE_OUTCOMES = [
  'accepted',
  'replayed',
  'unauthenticated',
  'malformed',
  'throttled',
  'sampled',
] as const;

/** What the addon's lanlb_take_heard returns: names, then 5 numbers per peer, then the counts. */
export type NativeHeard = [nodes: string[], numbers: Float64Array, counts: number[]];

/** Per peer: incarnation, sequence, intervalMs, MAC (48 bits), ageMs (lanlb_heartbeat.h). */
const NATIVE_FIELDS = 5;

export function batchOfNative([nodes, numbers, counts]: NativeHeard): HeardBatch {
  return {
    peers: nodes.map((node, i) => {
      const at = (k: number) => numbers[NATIVE_FIELDS * i + k] ?? 0;
      const mac = at(3);
      const bytes = Uint8Array.from({ length: 6 }, (_, k) => Math.floor(mac / 2 ** (8 * (5 - k))) % 256);
      return {
        heartbeat: { node, incarnation: at(0), sequence: at(1), intervalMs: at(2) },
        mac: formatMac(bytes),
        ageMs: at(4),
      };
    }),
    counts: NATIVE_OUTCOMES.flatMap((o, i) => (counts[i] ? [[o, counts[i]] as [HeartbeatOutcome, number]] : [])),
  };
}

/** Batches of several captures as one: each peer's newest heartbeat, the counts summed. */
export function mergeBatches(batches: readonly HeardBatch[]): HeardBatch {
  const peers = new Map<string, HeardPeer>();
  const counts = new Map<HeartbeatOutcome, number>();
  for (const b of batches) {
    for (const p of b.peers) {
      const q = peers.get(p.heartbeat.node);
      const newer =
        !q ||
        p.heartbeat.incarnation > q.heartbeat.incarnation ||
        (p.heartbeat.incarnation === q.heartbeat.incarnation && p.heartbeat.sequence > q.heartbeat.sequence);
      if (newer) peers.set(p.heartbeat.node, p);
    }
    for (const [o, n] of b.counts) counts.set(o, (counts.get(o) ?? 0) + n);
  }
  return { peers: [...peers.values()], counts: [...counts] };
}

export function isHeartbeatFrame(frame: Uint8Array): boolean {
  return frame.length >= 14 && ((frame[12] ?? 0) << 8) + (frame[13] ?? 0) === ETHERTYPE_HEARTBEAT;
}

export class HeartbeatInbox {
  private config: InboxConfig | undefined;
  private readonly sources = new Map<number, Source>();
  /** node -> its newest accepted frame's order, and when it was accepted */
  private readonly order = new Map<string, { incarnation: number; sequence: number; at: number }>();
  private heard = new Map<string, { heartbeat: Heartbeat; mac: string; at: number }>();
  private counts = new Map<HeartbeatOutcome, number>();
  private strangers = { since: -Infinity, used: 0 };

  constructor(private readonly limits: InboxLimits = DEFAULT_INBOX_LIMITS) {}

  /** The key and node to check frames with; undefined while no key is known. */
  configure(config: InboxConfig | undefined): void {
    this.config = config;
  }

  /** Checks one captured heartbeat frame and records it when authentic and new. */
  take(frame: Uint8Array, now: number): HeartbeatOutcome | 'own' {
    const outcome = this.check(frame, now);
    if (outcome !== 'own') this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + 1);
    return outcome;
  }

  /** What was heard since the last drain (each peer's latest frame) and the outcomes counted. */
  drain(now: number): HeardBatch {
    const peers = [...this.heard.values()].map((h) => ({ heartbeat: h.heartbeat, mac: h.mac, ageMs: now - h.at }));
    const out = { peers, counts: [...this.counts] };
    this.heard = new Map();
    this.counts = new Map();
    return out;
  }

  private check(frame: Uint8Array, now: number): HeartbeatOutcome | 'own' {
    const c = this.config;
    if (!c) return 'no-key';
    if (frame.length < 14) return 'malformed';
    const source = this.source(frame, now);
    if (!this.admit(source, c, now)) return 'throttled';
    const claimed = c.watched && claimedNode(frame);
    const checked = claimed && !c.watched?.has(claimed) ? this.order.get(claimed) : undefined;
    if (checked && now - checked.at < SAMPLE_WINDOW_MS) return 'sampled';
    const d = decodeHeartbeat(frame, c.key);
    if (!d.ok) return d.error.kind === 'unauthenticated' ? 'unauthenticated' : 'malformed';
    const h = d.value.heartbeat;
    if (h.node === c.node) return 'own';
    source.trusted = true;
    const last = this.order.get(h.node);
    if (
      last &&
      (h.incarnation < last.incarnation || (h.incarnation === last.incarnation && h.sequence <= last.sequence))
    )
      return 'replayed';
    this.order.set(h.node, { incarnation: h.incarnation, sequence: h.sequence, at: now });
    this.heard.set(h.node, { heartbeat: h, mac: formatMac(d.value.src), at: now });
    return 'accepted';
  }

  private source(frame: Uint8Array, now: number): Source {
    let id = 0;
    for (let i = 6; i < 12; i++) id = id * 256 + (frame[i] ?? 0);
    let s = this.sources.get(id);
    if (!s) {
      if (this.sources.size >= this.limits.maxSources) this.forgetStrangers();
      s = { tokens: Infinity, refilledAt: now, trusted: false }; // a full bucket (admit caps it)
      this.sources.set(id, s);
    }
    return s;
  }

  /** A flood of random MACs filled the table: the MACs that never authenticated go, peers stay. */
  private forgetStrangers(): void {
    for (const [id, s] of this.sources) if (!s.trusted) this.sources.delete(id);
    if (this.sources.size >= this.limits.maxSources) this.sources.clear();
  }

  /** Spends one of the source's tokens, and for a stranger one of the shared budget. */
  private admit(s: Source, c: InboxConfig, now: number): boolean {
    const perSecond = perSourcePerSecond(this.limits, c.intervalMs);
    s.tokens = Math.min(perSecond, s.tokens + ((now - s.refilledAt) * perSecond) / 1_000);
    s.refilledAt = now;
    if (s.tokens < 1) return false;
    s.tokens -= 1;
    if (s.trusted) return true;
    if (now - this.strangers.since >= 1_000) this.strangers = { since: now, used: 0 };
    return this.strangers.used++ < this.limits.strangersPerSecond;
  }
}
