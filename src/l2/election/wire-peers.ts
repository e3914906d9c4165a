// This node's side of liveness on the wire: it signs and numbers its heartbeat frames, checks
// the frames it captures (authenticated heartbeats feed WireLiveness; others are dropped and
// counted), and reads ARP replies / Neighbor Advertisements as answers to its probes.
import { decodeHeartbeat, encodeHeartbeat } from '../codec/heartbeat.js';
import { decodeAnswer, type Answer } from '../codec/probe.js';
import { ETHERTYPE_HEARTBEAT } from '../codec/heartbeat.js';
import { WireLiveness, type WireTimings } from './wire-liveness.js';
import { formatMac, type Mac } from '../codec/mac.js';
import type { HeartbeatPlan } from '../codec/heartbeat.js';

/** The shared heartbeat key (Secret lanlb-memberlist, key `secretkey`), once known. */
export interface KeySource {
  current(): Uint8Array | undefined;
}

export type HeartbeatOutcome = 'sent' | 'accepted' | 'replayed' | 'unauthenticated' | 'malformed' | 'no-key';

export type CapturedFrame =
  | { kind: 'heartbeat'; node: string; mac: string }
  | { kind: 'answer'; answer: Answer }
  | { kind: 'other' };

export class WirePeers {
  readonly liveness: WireLiveness;
  private sequence = 0;

  constructor(
    private readonly o: {
      node: string;
      /** this process's start time: a restart's frames order after the previous ones */
      incarnation: number;
      keys: KeySource;
      timings: WireTimings;
      count(outcome: HeartbeatOutcome): void;
    },
  ) {
    this.liveness = new WireLiveness(o.timings);
  }

  /** What a sender needs to make this node's heartbeat frames itself, or undefined while no key is known. */
  plan(): HeartbeatPlan | undefined {
    const key = this.o.keys.current();
    if (!key) return undefined;
    return { node: this.o.node, incarnation: this.o.incarnation, intervalMs: this.o.timings.intervalMs, key };
  }

  /** The next heartbeat frame from `src`, or undefined while no key is known. */
  heartbeat(src: Mac): Uint8Array | undefined {
    const key = this.o.keys.current();
    if (!key) return undefined;
    const h = { node: this.o.node, incarnation: this.o.incarnation, sequence: ++this.sequence };
    return encodeHeartbeat({ ...h, intervalMs: this.o.timings.intervalMs }, src, key);
  }

  /** Classifies a captured frame; an authenticated heartbeat of another node is recorded. */
  captured(frame: Uint8Array, now: number): CapturedFrame {
    if (frame.length >= 14 && ((frame[12] ?? 0) << 8) + (frame[13] ?? 0) === ETHERTYPE_HEARTBEAT)
      return this.heartbeatFrame(frame, now);
    const answer = decodeAnswer(frame);
    return answer ? { kind: 'answer', answer } : { kind: 'other' };
  }

  private heartbeatFrame(frame: Uint8Array, now: number): CapturedFrame {
    const key = this.o.keys.current();
    if (!key) {
      this.o.count('no-key');
      return { kind: 'other' };
    }
    const d = decodeHeartbeat(frame, key);
    if (!d.ok) {
      this.o.count(d.error.kind === 'unauthenticated' ? 'unauthenticated' : 'malformed');
      return { kind: 'other' };
    }
    const { node } = d.value.heartbeat;
    if (node === this.o.node) return { kind: 'other' }; // our own frame, looped back by the capture
    this.o.count(this.liveness.heard(d.value.heartbeat, now) ? 'accepted' : 'replayed');
    return { kind: 'heartbeat', node, mac: formatMac(d.value.src) };
  }
}
