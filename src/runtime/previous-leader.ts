// Waiting out a leader that elects itself through another Lease: when the controller's Lease
// moved namespace (0.1 -> 0.2), replicas of the previous release still lead through the old one
// during a rolling update. Two leaders at once would allocate the same free address to two new
// Services, so a replica of this release starts electing only once the old Lease is free,
// missing or unreadable, or has not changed for leaseDuration on this replica's clock (the
// client-go rule for an expired Lease: never trust another holder's clock).
import { isDeepStrictEqual } from 'node:util';
import { sleep, type Clock } from './clock.js';
import type { LeaseStore } from './ports/lease-store.js';

export interface PreviousLeaderOptions {
  store: LeaseStore;
  namespace: string;
  name: string;
  leaseDurationMs: number;
  retryPeriodMs: number;
  clock: Clock;
  /** told once when there is a live previous leader to wait for */
  onWaiting?(holder: string): void;
}

export type PreviousLeaderOutcome = 'none' | 'released' | 'expired' | 'unreadable' | 'aborted';

export async function waitForPreviousLeader(
  o: PreviousLeaderOptions,
  signal: AbortSignal,
): Promise<PreviousLeaderOutcome> {
  let seen: unknown;
  let changedAt = o.clock.now();
  let told = false;
  while (!signal.aborted) {
    let lease;
    try {
      lease = await o.store.get(o.namespace, o.name);
    } catch {
      return 'unreadable'; // e.g. 403: this release's RBAC no longer covers the old namespace
    }
    if (!lease) return 'none';
    const holder = lease.spec.holderIdentity;
    if (!holder) return 'released';
    if (!isDeepStrictEqual(lease.spec, seen)) {
      seen = lease.spec;
      changedAt = o.clock.now();
    } else if (o.clock.now() - changedAt >= o.leaseDurationMs) return 'expired';
    if (!told) {
      told = true;
      o.onWaiting?.(holder);
    }
    await sleep(o.clock, o.retryPeriodMs, signal);
  }
  return 'aborted';
}
