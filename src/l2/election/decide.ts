// One node's decision about one Service's Lease, from what it has observed (pure).
//
// A per-Service Lease is never renewed: its holder's node heartbeat Lease backs it. A holder is
// alive while this node has seen its heartbeat change within `heartbeatDurationMs` (local clock:
// another node's clock is never trusted). So a crashed holder is replaced once its heartbeat goes
// silent, and a holder that cannot renew its own heartbeat stops answering after
// `renewDeadlineMs`, before anyone else may take over (renewDeadline < heartbeatDuration).

export interface ElectionTimings {
  heartbeatDurationMs: number;
  renewDeadlineMs: number;
  /** how long each lower-ranked candidate waits after the one above it */
  staggerMs: number;
}

export interface ElectionView {
  now: number;
  me: string;
  /** eligible nodes for this Service, best first (rankCandidates) */
  candidates: readonly string[];
  /** holderIdentity of the Service's Lease; '' or undefined when free or missing */
  holder: string | undefined;
  /** when this node saw the Lease's record change last (local clock) */
  leaseObservedAt: number | undefined;
  /** node -> when this node last saw its heartbeat Lease change (local clock) */
  heartbeats: ReadonlyMap<string, number>;
  /** when this node's own heartbeat was last renewed successfully */
  myLastRenew: number | undefined;
}

export type Decision =
  | { kind: 'announce' }
  | { kind: 'release'; reason: 'not-eligible' }
  | { kind: 'stop'; reason: 'cannot-renew' }
  | { kind: 'acquire'; takeOverFrom?: string }
  | { kind: 'wait'; recheckInMs?: number; reason: 'held' | 'not-my-turn' | 'not-eligible' };

export function alive(view: ElectionView, node: string, t: ElectionTimings): boolean {
  if (node === view.me) return view.myLastRenew !== undefined && view.now - view.myLastRenew < t.renewDeadlineMs;
  const seen = view.heartbeats.get(node);
  return seen !== undefined && view.now - seen < t.heartbeatDurationMs;
}

export function decide(view: ElectionView, t: ElectionTimings): Decision {
  const eligible = view.candidates.includes(view.me);
  const holder = view.holder || undefined;
  if (holder === view.me) {
    if (!eligible) return { kind: 'release', reason: 'not-eligible' };
    if (!alive(view, view.me, t)) return { kind: 'stop', reason: 'cannot-renew' };
    return { kind: 'announce' };
  }
  if (!eligible) return { kind: 'wait', reason: 'not-eligible' };
  if (!alive(view, view.me, t)) return { kind: 'wait', reason: 'not-my-turn', recheckInMs: t.staggerMs };
  if (holder && alive(view, holder, t) && view.candidates.includes(holder)) {
    const seen = view.heartbeats.get(holder) ?? view.now;
    return { kind: 'wait', reason: 'held', recheckInMs: Math.max(1, seen + t.heartbeatDurationMs - view.now) };
  }
  // Free, or its holder is silent or no longer eligible: the best live candidate goes first and
  // each next one waits a little longer, so one node normally wins without a write conflict.
  const live = view.candidates.filter((n) => alive(view, n, t));
  const turn = live.indexOf(view.me);
  const freeSince = holder
    ? (view.heartbeats.get(holder) ?? 0) + t.heartbeatDurationMs
    : (view.leaseObservedAt ?? view.now);
  const myTime = freeSince + turn * t.staggerMs;
  if (turn <= 0 || view.now >= myTime) return holder ? { kind: 'acquire', takeOverFrom: holder } : { kind: 'acquire' };
  return { kind: 'wait', reason: 'not-my-turn', recheckInMs: myTime - view.now };
}
