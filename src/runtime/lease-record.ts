// The one Lease protocol both the leader elector and the announcer's Service Leases follow
// (client-go's leaderelection records): a claim keeps acquireTime and leaseTransitions while the
// holder stays the same, and counts a transition when it changes; a release writes an empty
// holder with a one-second duration, so others may take over at once. Pure: times in, spec out.
import { formatMicroTime } from './micro-time.js';
import type { LeaseSpec } from './ports/lease-store.js';

/** The record `identity` writes to acquire or renew, given the record it read (if any). */
export function claimRecord(identity: string, durationMs: number, now: number, previous?: LeaseSpec): LeaseSpec {
  const stamp = formatMicroTime(now);
  const same = previous?.holderIdentity === identity;
  return {
    holderIdentity: identity,
    leaseDurationSeconds: Math.ceil(durationMs / 1000),
    acquireTime: same && previous?.acquireTime ? previous.acquireTime : stamp,
    renewTime: stamp,
    leaseTransitions: same ? (previous?.leaseTransitions ?? 0) : (previous?.leaseTransitions ?? -1) + 1,
  };
}

/** The record that gives a Lease up (client-go's release()). */
export function releaseRecord(now: number, previous: LeaseSpec): LeaseSpec {
  const stamp = formatMicroTime(now);
  return {
    holderIdentity: '',
    leaseDurationSeconds: 1,
    acquireTime: stamp,
    renewTime: stamp,
    leaseTransitions: previous.leaseTransitions ?? 0,
  };
}
