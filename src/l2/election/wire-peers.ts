// This node's side of liveness on the wire: it signs and numbers its heartbeat frames, takes the
// heartbeats checked (heartbeat-inbox.ts: in the answer thread, or here for a frame captured on
// this thread) into WireLiveness, and reads ARP replies / Neighbor Advertisements as answers to
// its probes.
import { encodeHeartbeat } from '../codec/heartbeat.js';
import { decodeAnswer, type Answer } from '../codec/probe.js';
import { heartbeatInterval, WireLiveness, type WireTimings } from './wire-liveness.js';
import type { Mac } from '../codec/mac.js';
import type { HeartbeatPlan } from '../codec/heartbeat.js';
import { HeartbeatInbox, isHeartbeatFrame, type HeardBatch, type HeardPeer } from './heartbeat-inbox.js';

/** The shared heartbeat key (Secret lanlb-memberlist, key `secretkey`), once known. */
export interface KeySource {
  current(): Uint8Array | undefined;
  /** Heartbeat frames failed authentication: the key may have been rotated, read it again soon. */
  suspect?(): void;
}

export type HeartbeatOutcome =
  | 'sent'
  | 'accepted'
  | 'replayed'
  | 'unauthenticated'
  | 'malformed'
  | 'no-key'
  /** dropped unverified: its source MAC, or MACs never authenticated, over their budget */
  | 'throttled'
  /** skipped unverified: a peer not watched, one of whose frames was checked less than 900 ms before */
  | 'sampled';

export type CapturedFrame =
  | { kind: 'heartbeat'; node: string; mac: string }
  | { kind: 'answer'; answer: Answer }
  | { kind: 'other' };

export class WirePeers {
  readonly liveness: WireLiveness;
  private sequence = 0;
  /** checks frames captured on this thread (a capture without an answer thread: tests, the lab) */
  private readonly inbox = new HeartbeatInbox();
  private inboxKey: Uint8Array | undefined;

  constructor(
    private readonly o: {
      node: string;
      /** this process's start time: a restart's frames order after the previous ones */
      incarnation: number;
      keys: KeySource;
      timings: WireTimings;
      count(outcome: HeartbeatOutcome, n?: number): void;
    },
  ) {
    this.liveness = new WireLiveness(o.timings);
  }

  /** the peers heard at every frame (decide.ts watchesHolder), sorted; undefined: every peer */
  private watched: string[] | undefined;

  /** From `now` on, only `nodes` are heard at every frame, the other peers sampled (WireLiveness.watch). */
  watch(nodes: ReadonlySet<string>, now: number): number {
    const sorted = [...nodes].sort();
    if (this.watched && sorted.join('\n') === this.watched.join('\n')) return sorted.length;
    this.watched = sorted;
    this.liveness.watch(new Set(sorted), now);
    return sorted.length;
  }

  /** Alive judged on the wire alone: a peer never heard is not (nothing is read to know). */
  aliveOnWire(node: string, now: number): boolean {
    return this.liveness.judge(node, now, undefined).kind === 'alive';
  }

  /**
   * What a sender needs to make this node's heartbeat frames itself, or undefined while no key is
   * known. A node that holds no Service sends every IDLE_HEARTBEAT_MS only (heartbeat-rate.ts).
   */
  plan(holding = true): HeartbeatPlan | undefined {
    const key = this.o.keys.current();
    if (!key) return undefined;
    const { intervalMs } = this.o.timings;
    return {
      node: this.o.node,
      incarnation: this.o.incarnation,
      intervalMs: heartbeatInterval(intervalMs, holding),
      key,
      peerIntervalMs: intervalMs,
      ...(this.watched ? { watched: this.watched } : {}),
    };
  }

  /** The next heartbeat frame from `src`, or undefined while no key is known. */
  heartbeat(src: Mac, holding = true): Uint8Array | undefined {
    const key = this.o.keys.current();
    if (!key) return undefined;
    const h = { node: this.o.node, incarnation: this.o.incarnation, sequence: ++this.sequence };
    return encodeHeartbeat({ ...h, intervalMs: heartbeatInterval(this.o.timings.intervalMs, holding) }, src, key);
  }

  /** Classifies a captured frame; an authenticated heartbeat of another node is recorded. */
  captured(frame: Uint8Array, now: number): CapturedFrame {
    if (isHeartbeatFrame(frame)) {
      const key = this.o.keys.current();
      if (key !== this.inboxKey) {
        this.inboxKey = key;
        this.inbox.configure(key && { node: this.o.node, key, intervalMs: this.o.timings.intervalMs });
      }
      this.inbox.take(frame, now);
      const [peer] = this.receive(this.inbox.drain(now), now);
      return peer ? { kind: 'heartbeat', node: peer.heartbeat.node, mac: peer.mac } : { kind: 'other' };
    }
    const answer = decodeAnswer(frame);
    return answer ? { kind: 'answer', answer } : { kind: 'other' };
  }

  /** Heartbeats already checked (by the answer thread): the peers WireLiveness took as new. */
  receive(batch: HeardBatch, now: number): HeardPeer[] {
    for (const [outcome, n] of batch.counts) {
      this.o.count(outcome, n);
      if (outcome === 'sampled' && n > 0) this.liveness.framesSeen(now);
      if (outcome === 'unauthenticated' && n > 0) this.o.keys.suspect?.();
    }
    return batch.peers.filter((p) => {
      const fresh = this.liveness.heard(p.heartbeat, now - Math.max(0, p.ageMs));
      if (!fresh) this.o.count('replayed');
      return fresh;
    });
  }
}
