// Choosing one address of one family for a Service, in the order users expect:
// 1. a requested address (lanlb.io/ips, spec.loadBalancerIP), shared only when sharing allows;
// 2. the address it already holds, while it stands (stability: a restart changes nothing);
// 3. an address a Service with the same sharing key holds, when ports do not clash;
// 4. the lowest free address of the first pool that may give one (pools with a serviceSelector
//    first, then by name: docs/contract.md "Which pool").
// Steps 3 and 4 use only pools that hand out addresses unasked (autoAssign, or the pool the
// Service names); a pool with autoAssign: false gives its addresses only on request (step 1).
import { formatAddress, type Family } from './address.js';
import type { LivePool } from './pool.js';
import type { ServiceRequest } from './service-request.js';
import type { AssignedIP, FailureReason } from './allocator.js';
import { sharingProblem } from './sharing.js';
import { parseAddress } from './address.js';

export type Plan = { kind: 'ok'; ip: AssignedIP } | { kind: 'failed'; reason: FailureReason; message: string };

export interface Holder {
  key: string;
  request: ServiceRequest;
  ips: readonly AssignedIP[];
}

export interface PlanContext {
  /** pools in the contract's order: with a serviceSelector first, then by name */
  pools: readonly LivePool[];
  /** other Services holding an address */
  holders(ip: string): Holder[];
  /** other Services with the same sharing key */
  sharers(): Holder[];
  allocateNew: boolean;
}

export function planFamily(ctx: PlanContext, req: ServiceRequest, family: Family, requested: bigint | undefined): Plan {
  const pinned = (p: LivePool): boolean => req.pool === undefined || req.pool === p.name;
  const keepable = ctx.pools.filter((p) => p.holds && pinned(p) && p.selects(req.labels));
  const fresh = keepable.filter((p) => p.allocates);
  const unasked = fresh.filter((p) => p.autoAssignsTo(req.pool));
  if (requested !== undefined) return planRequested(ctx, req, family, requested, keepable, fresh);

  for (const text of req.current) {
    const a = parseAddress(text);
    if (!a || a.family !== family) continue;
    const pool = keepable.find((p) => p.setFor(family, a.value));
    if (pool && placeable(ctx, req, family, a.value) === undefined) return ok(pool, family, a.value);
  }
  if (!ctx.allocateNew) return fail('NoPoolSelects', 'not replayed');

  if (req.sharingKey !== undefined) {
    for (const other of ctx.sharers()) {
      for (const ip of other.ips) {
        const pool = unasked.find((p) => p.name === ip.pool);
        if (ip.family === family && pool && placeable(ctx, req, family, ip.value) === undefined)
          return ok(pool, family, ip.value);
      }
    }
  }
  const candidates = unasked.filter((p) => p.hasFamily(family));
  for (const pool of candidates) {
    const v = pool.allocate(family);
    if (v !== undefined) return ok(pool, family, v);
  }
  if (candidates.length > 0) {
    return fail('PoolExhausted', `no free IPv${family} address in ${candidates.map((p) => p.name).join(', ')}`);
  }
  return fail('NoPoolSelects', noPoolMessage(ctx.pools, req, family));
}

function planRequested(
  ctx: PlanContext,
  req: ServiceRequest,
  family: Family,
  value: bigint,
  keepable: LivePool[],
  fresh: LivePool[],
): Plan {
  const text = formatAddress(family, value);
  const held = req.current.some((c) => parseAddress(c)?.value === value && parseAddress(c)?.family === family);
  const pool =
    (held ? keepable : fresh).find((p) => p.setFor(family, value)) ?? fresh.find((p) => p.setFor(family, value));
  if (!pool) {
    if (!ctx.allocateNew) return fail('RequestedIPNotInPool', 'not replayed');
    const other = ctx.pools.find((p) => p.setFor(family, value));
    const why = other ? `${text} is in pool ${other.name}, which ${whyNot(other, req)}` : `${text} is not in any pool`;
    return fail('RequestedIPNotInPool', why);
  }
  const problem = placeable(ctx, req, family, value);
  if (problem) return problem;
  return ok(pool, family, value);
}

/** Undefined when `req` may hold the address; else why not. */
function placeable(ctx: PlanContext, req: ServiceRequest, family: Family, value: bigint): Plan | undefined {
  const text = formatAddress(family, value);
  for (const other of ctx.holders(text)) {
    const problem = sharingProblem(req, other.request);
    if (problem) {
      return fail(
        req.sharingKey === undefined && other.request.sharingKey === undefined ? 'RequestedIPInUse' : 'SharingRefused',
        `${text} is held by ${other.key}: ${problem}`,
      );
    }
  }
  return undefined;
}

function noPoolMessage(pools: readonly LivePool[], req: ServiceRequest, family: Family): string {
  if (pools.length === 0) return 'no LoadBalancerIPPool exists';
  const ofFamily = pools.filter((p) => p.hasFamily(family));
  if (ofFamily.length === 0) return `no pool has IPv${family} addresses`;
  const selecting = ofFamily.filter((p) => p.selects(req.labels) && (req.pool === undefined || req.pool === p.name));
  if (selecting.length === 0)
    return req.pool
      ? `pool ${req.pool} does not select this Service or has no IPv${family} addresses`
      : `no pool with IPv${family} addresses selects this Service`;
  const states = selecting.map((p) => `${p.name} ${unusable(p)}`);
  return `every pool that selects this Service is unusable: ${states.join(', ')}`;
}

function unusable(p: LivePool): string {
  if (p.problem) return 'is invalid';
  if (p.conflict) return 'is conflicting';
  if (p.def.disabled) return 'is disabled';
  return 'gives addresses only on request (autoAssign: false; ask by lanlb.io/ips or lanlb.io/pool)';
}

function ok(pool: LivePool, family: Family, value: bigint): Plan {
  return { kind: 'ok', ip: { ip: formatAddress(family, value), family, value, pool: pool.name } };
}

function fail(reason: FailureReason, message: string): Plan {
  return { kind: 'failed', reason, message };
}

/** Why a pool that contains a requested address cannot give it to this Service. */
function whyNot(pool: LivePool, req: ServiceRequest): string {
  if (!pool.holds) return 'is invalid';
  if (pool.conflict) return 'is conflicting';
  if (pool.def.disabled) return 'is disabled';
  if (!pool.selects(req.labels)) return 'does not select this Service';
  return 'is not the pinned pool';
}
