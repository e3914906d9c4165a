// Checking on the wire that what lanlb believes is what the LAN sees (docs/contract.md, "Self-checks";
// pure: times in, decisions out). Every node sends at most one audit probe per second:
//
// - a holder probes its own Services' addresses: an answer from a MAC that is not its own means
//   another host (or a second announcer) answers too: report it and re-announce;
// - a candidate probes one address of each other node it could take over from, about every 10 s
//   (jittered): no answer from the holder's MACs twice in a row means its responder is dark
//   although its heartbeats arrive (cilium#48626's failure): it is treated as dead for
//   `darkForMs`, so its Services are taken over, and the holder withdraws when it sees that.
//   Only a holder this node has reached on the wire (heard its heartbeats, or seen it answer an
//   audit) can be found dark: one on another segment never answers, and reading that as darkness
//   would move the VIP between nodes that cannot hear each other, back and forth (issue 26).

export interface AuditTimings {
  /** one audit probe per node at most this often */
  probeEveryMs: number;
  /** each target about this often */
  targetEveryMs: number;
  /** how long answers are collected */
  answerWithinMs: number;
  /** failed audits in a row before a holder is dark */
  failuresToDark: number;
  /** how long a dark holder counts as dead */
  darkForMs: number;
}

export const DEFAULT_AUDIT: AuditTimings = {
  probeEveryMs: 1_000,
  targetEveryMs: 10_000,
  answerWithinMs: 150,
  failuresToDark: 2,
  darkForMs: 30_000,
};

export interface AuditTarget {
  /** the Service audited */
  service: string;
  /** the node that should answer (this node for a self-audit) */
  holder: string;
  /** MACs the holder answers with */
  holderMacs: readonly string[];
  self: boolean;
}

export type AuditVerdict =
  | { kind: 'ok' }
  /** the holder did not answer; `dark` once it has failed often enough */
  | { kind: 'no-answer'; dark: boolean }
  /** `macs` answered besides the holder */
  | { kind: 'foreign'; macs: string[] };

export class AnswerAudit {
  private lastProbe = Number.NEGATIVE_INFINITY;
  /** target key -> when it is next due */
  private readonly due = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  /** node -> when it was found dark */
  private readonly darkAt = new Map<string, number>();
  /** holders that have answered an audit of this node's at least once: they share its segment */
  private readonly reached = new Set<string>();

  /** `random` in [0, 1): the jitter source (injected, so tests are deterministic). */
  constructor(
    private readonly t: AuditTimings = DEFAULT_AUDIT,
    private readonly random: () => number = Math.random,
  ) {}

  /** Whether the per-node rate allows a probe now (cheap: checked before targets are listed). */
  ready(now: number): boolean {
    return now - this.lastProbe >= this.t.probeEveryMs;
  }

  /** The target to probe now, if the per-node rate allows one and one is due. */
  next(targets: readonly AuditTarget[], now: number): AuditTarget | undefined {
    if (now - this.lastProbe < this.t.probeEveryMs) return undefined;
    const keys = new Set(targets.map(key));
    for (const k of this.due.keys()) if (!keys.has(k)) this.due.delete(k);
    let pick: AuditTarget | undefined;
    for (const target of targets) {
      const k = key(target);
      // A new target waits a jittered share of the period, so nodes do not probe in step.
      if (!this.due.has(k)) this.due.set(k, now + this.random() * this.t.targetEveryMs);
      if ((this.due.get(k) ?? 0) <= now && (!pick || (this.due.get(k) ?? 0) < (this.due.get(key(pick)) ?? 0)))
        pick = target;
    }
    if (!pick) return undefined;
    this.lastProbe = now;
    this.due.set(key(pick), now + this.t.targetEveryMs * (0.9 + 0.2 * this.random()));
    return pick;
  }

  /**
   * What the answers to a probe of `target` mean (`answered`: the MACs that answered).
   * `heardOnWire`: this node hears the holder's heartbeats (so it shares its segment).
   */
  verdict(target: AuditTarget, answered: ReadonlySet<string>, now: number, heardOnWire = true): AuditVerdict {
    const holderAnswered = target.holderMacs.some((m) => answered.has(m));
    const foreign = [...answered].filter((m) => !target.holderMacs.includes(m));
    if (!target.self && holderAnswered) this.reached.add(target.holder);
    if (!target.self && !holderAnswered && !heardOnWire && !this.reached.has(target.holder)) {
      // Never reached on the wire: another segment, whose silence says nothing (judged by Kubernetes).
      return { kind: 'no-answer', dark: false };
    }
    if (!target.self && !holderAnswered) {
      const failures = (this.failures.get(target.holder) ?? 0) + 1;
      this.failures.set(target.holder, failures);
      const dark = failures >= this.t.failuresToDark;
      if (dark) this.darkAt.set(target.holder, now);
      // Retry soon: one lost frame must not leave a dark holder in place for another period.
      this.due.set(key(target), now);
      return { kind: 'no-answer', dark };
    }
    if (!target.self) this.failures.delete(target.holder);
    return foreign.length ? { kind: 'foreign', macs: foreign } : { kind: 'ok' };
  }

  /**
   * When `node`'s responder was found dark, if that is less than `darkForMs` ago. It counts as dead
   * for the Leases it held then, not for ones it takes later (those are audited afresh): a node
   * whose link came back must not lose every Service it wins for the rest of the period.
   */
  darkSince(node: string, now: number): number | undefined {
    const at = this.darkAt.get(node);
    return at !== undefined && now - at < this.t.darkForMs ? at : undefined;
  }
}

function key(t: AuditTarget): string {
  return t.self ? `self/${t.service}` : `peer/${t.holder}`;
}
