// Through which pool each Service holds each of its addresses (pure): the controller's own
// replay (Allocator.restore over every Service's status), so a policy's poolSelector, `lanlb
// status` and `lanlb plan` attribute an address exactly as the controller does, overlapping and
// conflicting pools included. The controller itself asks its live allocator instead.
import type { L2AnnouncementPolicy, LoadBalancerIPPool } from '../../generated/index.js';
import { Allocator } from '../ipam/allocator.js';
import { poolDefinition } from './pool-status.js';
import { claimService, serviceKey } from './service-request.js';
import { DEFAULT_LOAD_BALANCER_CLASS } from './annotations.js';
import { ingressIPs, selectsByPool, type PoolOfAddress } from '../core/policy-selection.js';
import type { Service } from '../core/kube-objects.js';

/**
 * The pool each address is held through, by replaying every Service's addresses. The class is
 * not checked here: an announcer does not know the controller's class flag, and a Service of
 * another class holds nothing through lanlb's pools unless its address lies in one.
 */
export function replayHoldings(pools: readonly LoadBalancerIPPool[], services: readonly Service[]): Allocator {
  const allocator = new Allocator();
  allocator.setPools(pools.map(poolDefinition));
  for (const svc of [...services].sort((a, b) => compare(serviceKey(a), serviceKey(b)))) {
    if (ingressIPs(svc).length === 0) continue;
    const claim = claimService(svc, svc.spec?.loadBalancerClass ?? DEFAULT_LOAD_BALANCER_CLASS);
    if (claim.kind === 'ours') allocator.restore(claim.request);
  }
  return allocator;
}

/** A lookup for policies' poolSelector: the labels of the pool an address of a Service is held through. */
export function poolOfAddress(allocator: Allocator, pools: readonly LoadBalancerIPPool[]): PoolOfAddress {
  const byName = new Map(pools.map((p) => [p.metadata.name ?? '', p]));
  return (key, ip) => {
    const held = allocator.assigned(key).find((i) => i.ip === ip);
    const pool = held && byName.get(held.pool);
    return pool ? { name: held.pool, labels: pool.metadata.labels ?? {} } : undefined;
  };
}

/**
 * The lookup an announcer plans with: replayed only when a policy asks by pool (the replay is
 * O(Services)); undefined when none does or the pools are unknown (such policies announce nothing).
 */
export function poolLookupWhenAsked(
  policies: readonly L2AnnouncementPolicy[],
  pools: readonly LoadBalancerIPPool[] | undefined,
  services: readonly Service[],
): PoolOfAddress | undefined {
  if (!pools || !policies.some(selectsByPool)) return undefined;
  return poolOfAddress(replayHoldings(pools, services), pools);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
