// The allocator: a state machine keyed by Service (after MetalLB's internal/allocator). Verbs:
// `setPools` (pools changed), `assign` (give a Service its addresses; idempotent; keeps what it
// holds when still valid), `restore` (replay an address from status, allocating nothing new),
// `release` (idempotent). A request is planned against the state without the Service's own
// holdings and committed only when it succeeds, so a failed request loses nothing it held.
import { formatAddress, parseAddress, type Family } from './address.js';
import { findConflicts } from './conflicts.js';
import { LivePool, type PoolDefinition } from './pool.js';
import type { FamilyPolicy, IPFamilyName, ServiceRequest } from './service-request.js';
import { quoteUserText } from './user-text.js';
import { planFamily, type Plan, type PlanContext } from './plan.js';

export interface AssignedIP {
  ip: string;
  family: Family;
  value: bigint;
  pool: string;
}

export type FailureReason =
  | 'InvalidRequest'
  | 'PoolNotFound'
  | 'NoPoolSelects'
  | 'PoolExhausted'
  | 'RequestedIPNotInPool'
  | 'RequestedIPInUse'
  | 'SharingRefused';

export type AssignOutcome =
  | { kind: 'assigned'; ips: AssignedIP[]; changed: boolean; released: ReleasedIP[]; unmetFamilies: IPFamilyName[] }
  | { kind: 'failed'; reason: FailureReason; message: string; kept: AssignedIP[] };

/** Why an address a Service held no longer stands (docs/reference.md: an address moves only for these). */
export type ReleaseReason =
  | 'pool-deleted'
  | 'pool-invalid'
  | 'pool-no-longer-contains'
  | 'pool-no-longer-selects'
  | 'pool-not-requested'
  | 'request-changed';

export interface ReleasedIP extends AssignedIP {
  why: ReleaseReason;
}

/** The words an IPReleased Event and the log give for a reason. */
export function releaseReasonText(why: ReleaseReason, pool: string): string {
  const p = quoteUserText(pool);
  const text: Record<ReleaseReason, string> = {
    'pool-deleted': `pool ${p} was deleted`,
    'pool-invalid': `pool ${p} is invalid`,
    'pool-no-longer-contains': `pool ${p} no longer contains it`,
    'pool-no-longer-selects': `pool ${p} no longer selects the Service`,
    'pool-not-requested': `the Service asks for another pool (lanlb.io/pool)`,
    'request-changed':
      'the Service asks for other addresses or families (lanlb.io/ips, spec.loadBalancerIP, ipFamilies)',
  };
  return text[why];
}

interface Assignment {
  request: ServiceRequest;
  ips: AssignedIP[];
}

const familyOf: Record<IPFamilyName, Family> = { IPv4: 4, IPv6: 6 };
const nameOf: Record<Family, IPFamilyName> = { 4: 'IPv4', 6: 'IPv6' };

export class Allocator {
  /** pool name -> live pool */
  private pools = new Map<string, LivePool>();
  /** service key -> what it holds */
  private readonly assignments = new Map<string, Assignment>();
  /** canonical IP -> keys of the services holding it (several only when shared) */
  private readonly holders = new Map<string, Set<string>>();

  pool(name: string): LivePool | undefined {
    return this.pools.get(name);
  }

  allPools(): LivePool[] {
    return [...this.pools.values()];
  }

  assigned(key: string): AssignedIP[] {
    return this.assignments.get(key)?.ips ?? [];
  }

  serviceKeys(): string[] {
    return [...this.assignments.keys()];
  }

  holdersOf(ip: string): string[] {
    return [...(this.holders.get(ip) ?? [])];
  }

  /**
   * Replaces the pool set. Allocations that no longer stand (pool gone, shrunk, conflicting,
   * invalid, or no longer selecting the Service) are released; their Service keys are returned
   * so the caller reconciles them again.
   */
  setPools(defs: readonly PoolDefinition[]): { invalidated: string[]; released: Map<string, ReleasedIP[]> } {
    const next = new Map(defs.map((d) => [d.name, new LivePool(d)]));
    const conflicts = findConflicts(
      [...next.values()]
        .filter((p) => p.problem === undefined)
        .map((p) => ({
          name: p.name,
          createdAt: p.def.createdAt,
          ranges: p.blocks.map((b) => b.whole),
        })),
    );
    for (const [name, c] of conflicts) {
      const p = next.get(name);
      if (p) p.conflict = c;
    }
    this.pools = next;
    this.holders.clear();
    const released = new Map<string, ReleasedIP[]>();
    for (const [key, a] of this.assignments) {
      const fallen = a.ips.flatMap((ip) => {
        const why = this.whyFalls(ip, a.request);
        return why ? [{ ...ip, why }] : [];
      });
      if (fallen.length) {
        released.set(key, fallen);
        a.ips = a.ips.filter((ip) => !fallen.some((f) => f.ip === ip.ip));
      }
      for (const ip of a.ips) this.hold(key, ip);
      if (a.ips.length === 0) this.assignments.delete(key);
    }
    return { invalidated: [...released.keys()], released };
  }

  assign(req: ServiceRequest): AssignOutcome {
    return this.place(req, true);
  }

  /**
   * Replays the Service's current addresses that still stand; allocates nothing new. What it
   * requests is not considered here: replay restores what every Service holds before any request
   * may take an address (else a restart could swap two Services' addresses).
   */
  restore(req: ServiceRequest): AssignOutcome {
    return this.place({ ...req, requestedIPs: [], familyPolicy: 'PreferDualStack' }, false);
  }

  release(key: string): AssignedIP[] {
    const a = this.assignments.get(key);
    if (!a) return [];
    this.unhold(key, a.ips);
    this.assignments.delete(key);
    return a.ips;
  }

  private place(req: ServiceRequest, allocateNew: boolean): AssignOutcome {
    const prev = this.assignments.get(req.key);
    const kept = prev?.ips ?? [];
    const requested = parseRequested(req.requestedIPs);
    if (requested.kind === 'invalid')
      return { kind: 'failed', reason: 'InvalidRequest', message: requested.message, kept };
    if (req.pool !== undefined && !this.pools.has(req.pool)) {
      return {
        kind: 'failed',
        reason: 'PoolNotFound',
        message: `pool ${quoteUserText(req.pool)} (lanlb.io/pool) does not exist`,
        kept,
      };
    }
    if (prev) this.unhold(req.key, prev.ips);
    const ctx = this.planContext(req, allocateNew);
    const requestedFamilies = [...requested.byFamily.keys()].map((f) => nameOf[f]);
    const plans: Array<{ family: IPFamilyName; plan: Plan }> = wantedFamilies(
      req.families,
      req.familyPolicy,
      requestedFamilies,
    ).map((family) => ({
      family,
      plan: planFamily(ctx, req, familyOf[family], requested.byFamily.get(familyOf[family])),
    }));
    const outcome = decide(req.familyPolicy, plans, allocateNew);
    if (outcome.kind === 'failed') {
      if (prev) this.hold(req.key, ...prev.ips);
      return { ...outcome, kept };
    }
    return this.commit(req, kept, outcome.ips, outcome.unmet);
  }

  /** Holds what a successful request got; what it held before and lost is released, with why. */
  private commit(req: ServiceRequest, kept: AssignedIP[], ips: AssignedIP[], unmet: IPFamilyName[]): AssignOutcome {
    if (ips.length === 0) this.assignments.delete(req.key);
    else this.assignments.set(req.key, { request: req, ips });
    this.hold(req.key, ...ips);
    const now = new Set(ips.map((i) => i.ip));
    const released = kept
      .filter((i) => !now.has(i.ip))
      .map((i): ReleasedIP => ({ ...i, why: this.whyFalls(i, req) ?? 'request-changed' }));
    const changed = released.length > 0 || ips.length !== kept.length;
    return { kind: 'assigned', ips, changed, released, unmetFamilies: unmet };
  }

  /** What planning sees: pools in contract order, the other holders of an address, sharers. */
  private planContext(req: ServiceRequest, allocateNew: boolean): PlanContext {
    return {
      pools: [...this.pools.values()].sort(byContractOrder),
      holders: (ip) =>
        [...(this.holders.get(ip) ?? [])].flatMap((k) => {
          const other = this.assignments.get(k);
          return other && k !== req.key ? [{ key: k, request: other.request, ips: other.ips }] : [];
        }),
      sharers: () =>
        [...this.assignments.values()]
          .filter(
            (a) =>
              a.request.key !== req.key &&
              a.request.sharingKey !== undefined &&
              a.request.sharingKey === req.sharingKey,
          )
          .map((a) => ({ key: a.request.key, request: a.request, ips: a.ips })),
      allocateNew,
    };
  }

  /**
   * An allocation stands while its pool exists, is valid, contains it and selects the Service (a
   * conflicting or disabled pool keeps it: addresses never move without a reason); else the reason.
   */
  private whyFalls(ip: AssignedIP, req: ServiceRequest): ReleaseReason | undefined {
    const pool = this.pools.get(ip.pool);
    if (!pool) return 'pool-deleted';
    if (!pool.holds) return 'pool-invalid';
    if (!pool.setFor(ip.family, ip.value)) return 'pool-no-longer-contains';
    if (!pool.selects(req.labels)) return 'pool-no-longer-selects';
    if (req.pool !== undefined && req.pool !== pool.name) return 'pool-not-requested';
    return undefined;
  }

  /**
   * An address held through one pool is reserved in every pool that contains it, so an overlapping
   * pool never hands it out again (docs/contract.md: never handed out through another pool).
   */
  private hold(key: string, ...ips: AssignedIP[]): void {
    for (const ip of ips) {
      let set = this.holders.get(ip.ip);
      if (!set) {
        set = new Set();
        this.holders.set(ip.ip, set);
        for (const pool of this.pools.values()) pool.setFor(ip.family, ip.value)?.reserve(ip.value);
      }
      set.add(key);
    }
  }

  private unhold(key: string, ips: readonly AssignedIP[]): void {
    for (const ip of ips) {
      const set = this.holders.get(ip.ip);
      if (!set) continue;
      set.delete(key);
      if (set.size === 0) {
        this.holders.delete(ip.ip);
        for (const pool of this.pools.values()) pool.setFor(ip.family, ip.value)?.release(ip.value);
      }
    }
  }
}

/**
 * docs/contract.md "Which pool": pools with a serviceSelector before pools without one (the most specific
 * wins over a catch-all); among equals, by name.
 */
function byContractOrder(a: LivePool, b: LivePool): number {
  const specific = Number(selectsSome(b)) - Number(selectsSome(a));
  return specific || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** An empty selector (`{}`) selects everything, like an absent one: it is a catch-all too. */
function selectsSome(p: LivePool): boolean {
  const s = p.def.serviceSelector;
  return Object.keys(s?.matchLabels ?? {}).length > 0 || (s?.matchExpressions ?? []).length > 0;
}

/**
 * Families to give addresses for: SingleStack the first, dual-stack policies both. Addresses a
 * user names in lanlb.io/ips decide for a SingleStack Service: on an IPv4-only cluster that is
 * the one way to give a Service an IPv6 VIP (the VIP need not match the cluster IP's family).
 */
export function wantedFamilies(
  families: readonly IPFamilyName[],
  policy: FamilyPolicy,
  requested: readonly IPFamilyName[] = [],
): IPFamilyName[] {
  const first = families[0] ?? 'IPv4';
  if (policy === 'SingleStack') return requested.length ? [...requested] : [first];
  const both: IPFamilyName[] = [first, first === 'IPv4' ? 'IPv6' : 'IPv4'];
  return both;
}

type Decision =
  | { kind: 'ok'; ips: AssignedIP[]; unmet: IPFamilyName[] }
  | { kind: 'failed'; reason: FailureReason; message: string };

function decide(
  policy: FamilyPolicy,
  plans: Array<{ family: IPFamilyName; plan: Plan }>,
  allocateNew: boolean,
): Decision {
  const ips = plans.flatMap(({ plan }) => (plan.kind === 'ok' ? [plan.ip] : []));
  const failures = plans.filter(({ plan }) => plan.kind === 'failed');
  const unmet = failures.map((f) => f.family);
  if (!allocateNew) return { kind: 'ok', ips, unmet };
  const mustAll = policy !== 'PreferDualStack';
  const first = failures[0];
  if (first && first.plan.kind === 'failed' && (mustAll || ips.length === 0)) {
    const prefix = policy === 'RequireDualStack' ? `RequireDualStack: no ${first.family} address: ` : '';
    return { kind: 'failed', reason: first.plan.reason, message: prefix + first.plan.message };
  }
  return { kind: 'ok', ips, unmet };
}

type Requested = { kind: 'ok'; byFamily: Map<Family, bigint> } | { kind: 'invalid'; message: string };

function parseRequested(ips: readonly string[]): Requested {
  const byFamily = new Map<Family, bigint>();
  for (const text of ips) {
    const a = parseAddress(text);
    if (!a) return { kind: 'invalid', message: `requested address ${quoteUserText(text)} is not an IP address` };
    const seen = byFamily.get(a.family);
    if (seen !== undefined && seen !== a.value)
      return {
        kind: 'invalid',
        message: `at most one requested address per family, got ${formatAddress(a.family, seen)} and ${text}`,
      };
    byFamily.set(a.family, a.value);
  }
  return { kind: 'ok', byFamily };
}

export { nameOf as familyName };
