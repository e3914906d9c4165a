// A pool's desired status from the allocator's view of it (docs/contract.md: total/used/available as
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
    autoAssign: p.spec.autoAssign ?? true,
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

/** What a pool's Events tell: its Ready reason and whether it is full. */
export interface PoolState {
  reason: string;
  message: string;
  exhausted: boolean;
}

/** The state a status shows (what the pool looked like before this controller saw it change). */
export function stateOfStatus(status: LoadBalancerIPPoolStatus | undefined): PoolState | undefined {
  const ready = (status?.conditions as Condition[] | undefined)?.find((c) => c.type === 'Ready');
  if (!ready) return undefined;
  const exhausted = ready.status === 'True' && status?.available === '0' && status.total !== '0';
  return { reason: ready.reason ?? '', message: ready.message ?? '', exhausted };
}

export function stateOfLive(p: LoadBalancerIPPool, live: LivePool): PoolState {
  const ready = (desiredPoolStatus(p, live, '').conditions as Condition[]).find((c) => c.type === 'Ready');
  const exhausted = ready?.status === 'True' && live.available === 0n && live.total > 0n;
  return { reason: ready?.reason ?? '', message: ready?.message ?? '', exhausted };
}

export interface PoolEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/**
 * The Events a change of state tells (`kubectl describe pool`): became Conflicting or healed,
 * invalid, disabled or enabled, full or no longer full. Nothing when nothing changed, so a
 * restart or a repeated status write posts nothing.
 */
export function poolEvents(before: PoolState | undefined, after: PoolState): PoolEvent[] {
  const events: PoolEvent[] = [];
  const was = before?.reason ?? 'Ready';
  if (after.reason !== was) {
    if (after.reason === 'Ready') {
      const healed: Record<string, string> = { Conflicting: 'ConflictResolved', Disabled: 'Enabled' };
      events.push({ type: 'Normal', reason: healed[was] ?? 'Valid', message: after.message });
    } else if (after.reason === 'Disabled') events.push({ type: 'Normal', reason: 'Disabled', message: after.message });
    else events.push({ type: 'Warning', reason: after.reason, message: after.message });
  }
  if (after.exhausted && !before?.exhausted)
    events.push({ type: 'Warning', reason: 'PoolExhausted', message: `no address left: ${after.message}` });
  if (!after.exhausted && before?.exhausted && after.reason === 'Ready')
    events.push({ type: 'Normal', reason: 'AddressesAvailable', message: after.message });
  return events;
}
