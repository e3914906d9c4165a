// What the controller does when the pools change, as one pure step shared by the controller and
// `lanlb plan` (so the preview is the controller's own decision): the allocator takes the new
// pools, releasing what no longer stands; then every Service that lost an address or still waits
// for one (its last assignment failed or left a family unmet) is assigned again, in key order.
// Key order makes the outcome independent of watch and queue timing: two Services competing for
// a freed address get it the same way in the preview and in the cluster.
import type { AssignOutcome, Allocator, ReleasedIP } from '../ipam/allocator.js';
import type { PoolDefinition } from '../ipam/pool.js';
import type { ServiceRequest } from '../ipam/service-request.js';

/** Services to assign again after a pool change, in the order the controller assigns them. */
export function revisitOrder(released: Iterable<string>, waiting: Iterable<string>): string[] {
  return [...new Set([...released, ...waiting])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Whether an outcome leaves the Service waiting: it failed, or a family it wants is unmet. */
export function leavesWaiting(out: AssignOutcome): boolean {
  return out.kind === 'failed' || out.unmetFamilies.length > 0;
}

export interface PoolChangeResult {
  released: Map<string, ReleasedIP[]>;
  outcomes: Map<string, AssignOutcome>;
}

/**
 * Applies a pool change to `allocator` as the controller does. `requestOf` gives a Service's
 * request as the controller builds it (claimService with what the allocator holds for it);
 * undefined: not lanlb's any more, skipped. `waiting`: keys whose last assignment left them waiting.
 */
export function applyPoolChange(
  allocator: Allocator,
  pools: readonly PoolDefinition[],
  requestOf: (key: string, held: string[]) => ServiceRequest | undefined,
  waiting: Iterable<string>,
): PoolChangeResult {
  const { released } = allocator.setPools(pools);
  const outcomes = new Map<string, AssignOutcome>();
  for (const key of revisitOrder(released.keys(), waiting)) {
    const req = requestOf(
      key,
      allocator.assigned(key).map((i) => i.ip),
    );
    if (req) outcomes.set(key, allocator.assign(req));
  }
  return { released, outcomes };
}
