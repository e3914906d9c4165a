// One node's decision about one Service's Lease, from what it has observed (pure).
//
// A per-Service Lease is written only on hand-over; who is alive is judged elsewhere
// (wire-liveness.ts: heartbeat frames on the LAN, probes of the VIP, and the slow Kubernetes-side
// heartbeat for peers never heard on the wire). The holder keeps answering for as long as it is
// eligible (able to answer), whatever happens to the apiserver: only a won Lease write, whose
// `resourceVersion` makes the apiserver the fence, lets another node answer, and the holder
// withdraws when it sees that write.
import type { Judgement } from './wire-liveness.js';

export interface ElectionTimings {
  /** how long each lower-ranked candidate waits after the one above it */
  staggerMs: number;
}

export interface ElectionView {
  now: number;
  me: string;
  /** eligible nodes for this Service, best first (rankCandidates); this node only when able */
  candidates: readonly string[];
  /** holderIdentity of the Service's Lease; '' or undefined when free or missing */
  holder: string | undefined;
  /** when this node saw the Lease's record change last (local clock) */
  leaseObservedAt: number | undefined;
  /** how this node judges another node's liveness now */
  judge(node: string): Judgement;
}

export type Decision =
  | { kind: 'announce' }
  | { kind: 'release'; reason: 'not-eligible' }
  | { kind: 'acquire'; takeOverFrom?: string }
  /** the holder is silent on the wire: probe its VIP before judging it */
  | { kind: 'probe'; holder: string }
  | {
      kind: 'wait';
      recheckInMs?: number;
      /** confirming: named holder, it proves the Lease is current before it answers (lease-writes.ts) */
      reason: 'held' | 'not-my-turn' | 'not-eligible' | 'probing' | 'confirming';
    };

export function alive(view: ElectionView, node: string): boolean {
  return node === view.me || view.judge(node).kind === 'alive';
}

export function decide(view: ElectionView, t: ElectionTimings): Decision {
  const eligible = view.candidates.includes(view.me);
  const holder = view.holder || undefined;
  if (holder === view.me) return eligible ? { kind: 'announce' } : { kind: 'release', reason: 'not-eligible' };
  if (!eligible) return { kind: 'wait', reason: 'not-eligible' };
  let freeSince = view.leaseObservedAt ?? view.now;
  if (holder && view.candidates.includes(holder)) {
    const j = view.judge(holder);
    if (j.kind === 'alive') return { kind: 'wait', reason: 'held' };
    if (j.kind === 'probe') return { kind: 'probe', holder };
    if (j.kind === 'probing') return { kind: 'wait', reason: 'probing', recheckInMs: Math.max(1, j.until - view.now) };
    freeSince = j.since;
  }
  // Free, or its holder is dead or no longer eligible: the best live candidate goes first and
  // each next one waits a little longer, so one node normally wins without a write conflict.
  const live = view.candidates.filter((n) => alive(view, n));
  const turn = live.indexOf(view.me);
  const myTime = freeSince + turn * t.staggerMs;
  if (turn <= 0 || view.now >= myTime) return holder ? { kind: 'acquire', takeOverFrom: holder } : { kind: 'acquire' };
  return { kind: 'wait', reason: 'not-my-turn', recheckInMs: myTime - view.now };
}

/**
 * How many live candidates after a holder hear it at every frame: the first to take over, and the
 * next two for when that one is down too. The others sample its heartbeats once a second
 * (heartbeat-inbox.ts), so that a node hears at full rate a few holders, not every node.
 */
export const WATCHERS = 3;

/**
 * Whether this node is among the first `watchers` live candidates after the Service's holder.
 * `live`: judged alive on the wire alone (a peer never heard counts as not, so that this question
 * never costs a read of a node Lease).
 */
export function watchesHolder(
  view: Pick<ElectionView, 'me' | 'candidates' | 'holder'>,
  live: (node: string) => boolean,
  watchers = WATCHERS,
): boolean {
  const holder = view.holder || undefined;
  if (!holder || holder === view.me) return false;
  let ahead = 0;
  for (const n of view.candidates) {
    if (n === view.me) return true;
    if (n !== holder && live(n) && ++ahead >= watchers) return false;
  }
  return false;
}
