// A pool's desired status from the allocator's view of it (API.md: total/used/available as
// decimal strings, Ready and Conflicting conditions).
import type { LoadBalancerIPPool, LoadBalancerIPPoolStatus } from '../../generated/index.js';
import type { LivePool, PoolDefinition } from '../ipam/pool.js';
import { setCondition } from './conditions.js';
import type { Condition } from '../core/kube-objects.js';

export function poolDefinition(p: LoadBalancerIPPool): PoolDefinition {
  const created = Date.parse(p.metadata.creationTimestamp as unknown as string);
  return {
    name: p.metadata.name ?? '',
    createdAt: Number.isNaN(created) ? 0 : created,
    blocks: p.spec.blocks ?? [],
    serviceSelector: p.spec.serviceSelector,
    disabled: p.spec.disabled ?? false,
    allowFirstLastIPs: p.spec.allowFirstLastIPs ?? false,
  };
}

export function desiredPoolStatus(p: LoadBalancerIPPool, live: LivePool, now: string): LoadBalancerIPPoolStatus {
  const gen = p.metadata.generation;
  let conditions = (p.status?.conditions ?? []) as Condition[];
  const ready = live.problem
    ? { status: 'False' as const, reason: live.problem.reason, message: live.problem.message }
    : live.conflict
      ? {
          status: 'False' as const,
          reason: 'Conflicting',
          message: `overlaps pool ${live.conflict.olderPool} at ${live.conflict.range}`,
        }
      : live.def.disabled
        ? {
            status: 'False' as const,
            reason: 'Disabled',
            message: 'the pool is disabled: it keeps its allocations and makes no new ones',
          }
        : {
            status: 'True' as const,
            reason: 'Ready',
            message: `${live.available} of ${live.total} addresses available`,
          };
  conditions = setCondition(conditions, { type: 'Ready', observedGeneration: gen, ...ready }, now);
  const conflicting = live.conflict
    ? {
        status: 'True' as const,
        reason: 'Overlap',
        message: `overlaps older pool ${live.conflict.olderPool} at ${live.conflict.range}; allocating nothing`,
      }
    : { status: 'False' as const, reason: 'NoOverlap', message: 'no block overlaps an older pool' };
  conditions = setCondition(conditions, { type: 'Conflicting', observedGeneration: gen, ...conflicting }, now);
  return {
    ...(gen !== undefined ? { observedGeneration: gen } : {}),
    total: live.total.toString(),
    used: live.used.toString(),
    available: live.available.toString(),
    conditions,
  };
}
