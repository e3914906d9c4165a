// Services of lanlb without any address: how many wait, by the reason of their last allocation,
// and how long the longest has waited (docs/contract.md, Metrics; the alerts read them). Kept by
// the leader only; a follower exports none.
import type { AssignOutcome } from '../ipam/allocator.js';
import type { Clock } from '../runtime/clock.js';
import type { ControllerMetrics } from './metrics.js';

export class PendingServices {
  /** service key -> why it has no address and since when (clock ms) */
  private readonly pending = new Map<string, { reason: string; since: number }>();

  constructor(
    private readonly metrics: ControllerMetrics,
    private readonly clock: Clock,
  ) {}

  /** Forgets every Service (a new term starts afresh; a follower reports nothing). */
  clear(): void {
    this.pending.clear();
    this.export();
  }

  /** A Service without any address waits; its reason is its last allocation's (or NotAllocated). */
  note(key: string, ips: readonly string[], out: AssignOutcome | undefined): void {
    const reason = ips.length > 0 || !out ? undefined : out.kind === 'failed' ? out.reason : 'NotAllocated';
    const was = this.pending.get(key);
    if (reason === was?.reason) return;
    if (reason === undefined) this.pending.delete(key);
    else this.pending.set(key, { reason, since: was?.since ?? this.clock.now() });
    this.export();
  }

  /** How long the longest-waiting Service has waited, in seconds (0: none waits). */
  oldestSeconds(): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const p of this.pending.values()) oldest = Math.min(oldest, p.since);
    return oldest === Number.POSITIVE_INFINITY ? 0 : Math.max(0, (this.clock.now() - oldest) / 1000);
  }

  private export(): void {
    const byReason = new Map<string, number>();
    for (const p of this.pending.values()) byReason.set(p.reason, (byReason.get(p.reason) ?? 0) + 1);
    this.metrics.servicesPending.reset();
    for (const [reason, n] of byReason) this.metrics.servicesPending.set({ reason }, n);
  }
}
