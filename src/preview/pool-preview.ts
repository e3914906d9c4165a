// `lanlb plan`, per pool: its state and counts before and after the change, from the same status
// computation the controller writes (reconcile/pool-status.ts).
import type { LoadBalancerIPPool } from '../../generated/index.js';
import type { Allocator } from '../ipam/allocator.js';
import { stateOfLive, stateOfStatus } from '../reconcile/pool-status.js';
import { sameSpec } from './same-spec.js';

export interface PoolSide {
  /** the Ready reason: Ready, Conflicting, Disabled, InvalidBlocks, InvalidSelector */
  state: string;
  message: string;
  /** decimal strings; null when the controller has not written them (before only) */
  total: string | null;
  used: string | null;
  available: string | null;
}

export interface PoolPreview {
  name: string;
  change: 'created' | 'changed' | 'deleted' | 'unchanged';
  /** as the cluster shows it now (the controller's last status); null for a new pool */
  before: PoolSide | null;
  /** null for a deleted pool */
  after: PoolSide | null;
  /** the older pool and range it would conflict with after the change */
  conflictsWith: string | null;
}

export function poolPreviews(
  before: readonly LoadBalancerIPPool[],
  after: readonly LoadBalancerIPPool[],
  allocator: Allocator,
): PoolPreview[] {
  const was = new Map(before.map((p) => [p.metadata.name ?? '', p]));
  const will = new Map(after.map((p) => [p.metadata.name ?? '', p]));
  const names = [...new Set([...was.keys(), ...will.keys()])].sort();
  return names.map((name) => {
    const b = was.get(name);
    const a = will.get(name);
    const live = allocator.pool(name);
    const afterSide = a && live ? sideOfLive(a, live) : null;
    return {
      name,
      change: !b ? 'created' : !a ? 'deleted' : sameSpec(a.spec, b.spec) ? 'unchanged' : 'changed',
      before: b ? sideOfStatus(b) : null,
      after: afterSide,
      conflictsWith: live?.conflict ? `${live.conflict.olderPool} at ${live.conflict.range}` : null,
    };
  });
}

function sideOfStatus(p: LoadBalancerIPPool): PoolSide {
  const s = stateOfStatus(p.status);
  return {
    state: s?.reason ?? 'Unknown',
    message: s?.message ?? 'the controller has not written this pool status yet',
    total: p.status?.total ?? null,
    used: p.status?.used ?? null,
    available: p.status?.available ?? null,
  };
}

function sideOfLive(p: LoadBalancerIPPool, live: NonNullable<ReturnType<Allocator['pool']>>): PoolSide {
  const s = stateOfLive(p, live);
  return {
    state: s.reason,
    message: s.message,
    total: live.total.toString(),
    used: live.used.toString(),
    available: live.available.toString(),
  };
}

/**
 * Two new pools that overlap each other: which one the controller finds Conflicting depends on the
 * creation second the apiserver gives them, which no preview can know. The preview takes them as
 * created together (then the later name is the newer, as the controller's tie-break does) and says so.
 */
export function uncertainOrder(pools: readonly PoolPreview[]): string[] {
  const created = new Set(pools.filter((p) => p.change === 'created').map((p) => p.name));
  return pools.flatMap((p) => {
    const older = p.conflictsWith?.split(' at ')[0];
    if (p.change !== 'created' || older === undefined || !created.has(older)) return [];
    return [
      `new pools ${older} and ${p.name} overlap: this preview takes ${older} as the older (created in the ` +
        `same second, by name); the apiserver's creation times decide. Apply them one at a time to choose.`,
    ];
  });
}
