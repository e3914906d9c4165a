// `lanlb plan`: what applying (or deleting) pools and policies would do, decided by the controller's
// own code on the cluster's current state (pure). The allocator replays every Service's addresses
// (as a new leader does), settles what waits (as the running controller has), then takes the
// change exactly as the controller's pool reconcile does (reconcile/pool-change.ts).
import type { L2AnnouncementPolicy, LoadBalancerIPPool } from '../../generated/index.js';
import {
  familyName,
  releaseReasonText,
  type Allocator,
  type AssignedIP,
  type AssignOutcome,
  type ReleasedIP,
} from '../ipam/allocator.js';
import { parseAddress } from '../ipam/address.js';
import type { ServiceRequest } from '../ipam/service-request.js';
import type { PoolOfAddress } from '../core/policy-selection.js';
import { claimService, serviceKey } from '../reconcile/service-request.js';
import { poolDefinition } from '../reconcile/pool-status.js';
import { applyPoolChange, leavesWaiting } from '../reconcile/pool-change.js';
import { poolOfAddress, replayHoldings } from '../reconcile/held-through.js';
import { desiredPolicyStatus } from '../reconcile/policy-status.js';
import { ingressIPs } from '../core/policy-selection.js';
import type { Node, Service } from '../core/kube-objects.js';
import { poolPreviews, uncertainOrder, type PoolPreview } from './pool-preview.js';
import { sameSpec } from './same-spec.js';

export const PLAN_REPORT_VERSION = 'lanlb.io/plan/v1';

export type ServiceChange = 'keeps' | 'gains' | 'loses' | 'moves';

export interface AddressChange {
  change: ServiceChange;
  family: 'IPv4' | 'IPv6';
  /** the address held now (null: none) */
  before: string | null;
  /** the address held after (null: none) */
  after: string | null;
  /** the pool it is held through after (or was, for loses) */
  pool: string | null;
  /** why, in the controller's words (the IPReleased / IPAllocated / AllocationFailed text) */
  reason: string | null;
}

export interface ServicePreview {
  namespace: string;
  name: string;
  addresses: AddressChange[];
  /** still without an address of a family it wants after the change: the controller's reason */
  pending: string | null;
}

export interface PolicyPreview {
  name: string;
  change: 'created' | 'changed' | 'deleted' | 'unchanged';
  before: { services: number; nodes: number; ready: boolean } | null;
  after: { services: number; nodes: number; ready: boolean; reason: string } | null;
}

export interface PlanReport {
  apiVersion: typeof PLAN_REPORT_VERSION;
  services: ServicePreview[];
  pools: PoolPreview[];
  policies: PolicyPreview[];
  summary: { keeps: number; gains: number; loses: number; moves: number; pending: number };
  /** what the preview cannot know for sure (two new pools overlapping each other) */
  notes: string[];
}

export type Manifest = LoadBalancerIPPool | L2AnnouncementPolicy;

type RequestOf = (key: string, held: string[]) => ServiceRequest | undefined;

export interface PlanInput {
  pools: readonly LoadBalancerIPPool[];
  policies: readonly L2AnnouncementPolicy[];
  services: readonly Service[];
  nodes: readonly Node[];
  /** v1beta1 objects to apply (create or replace by name) */
  apply: readonly Manifest[];
  /** objects to delete, by kind and name */
  remove: ReadonlyArray<{ kind: Manifest['kind']; name: string }>;
  loadBalancerClass: string;
  /** ISO time: the creationTimestamp a new pool gets (it is the newest: it loses overlaps) */
  now: string;
}

/** What makes `lanlb plan` exit non-zero: a Service would lose or move an address it holds. */
export function movesHeldAddress(r: PlanReport): boolean {
  return r.summary.loses + r.summary.moves > 0;
}

export function planChange(input: PlanInput): PlanReport {
  const poolsAfter = changed(input.pools, input, 'LoadBalancerIPPool');
  const policiesAfter = changed(input.policies, input, 'L2AnnouncementPolicy');
  const ours = input.services
    .filter((s) => claimService(s, input.loadBalancerClass).kind === 'ours')
    .sort((a, b) => compare(serviceKey(a), serviceKey(b)));
  const byKey = new Map(ours.map((s) => [serviceKey(s), s]));
  const requestOf: RequestOf = (key, held) => {
    const svc = byKey.get(key);
    const claim = svc && claimService(svc, input.loadBalancerClass, held);
    return claim?.kind === 'ours' ? claim.request : undefined;
  };
  const allocator = replayHoldings(input.pools, ours);
  const waiting = settle(allocator, [...byKey.keys()], requestOf);
  const change = applyPoolChange(allocator, poolsAfter.map(poolDefinition), requestOf, waiting.keys());
  const outcomeOf = (key: string) => change.outcomes.get(key) ?? waiting.get(key);
  const services = ours.map((s) => servicePreview(s, allocator.assigned(serviceKey(s)), change.released, outcomeOf));
  const after = ours.map((s) =>
    withAddresses(
      s,
      allocator.assigned(serviceKey(s)).map((i) => i.ip),
    ),
  );
  const poolOf = poolOfAddress(allocator, poolsAfter);
  const policies = policyPreviews(input, policiesAfter, after, poolOf);
  const pools = poolPreviews(input.pools, poolsAfter, allocator);
  return {
    apiVersion: PLAN_REPORT_VERSION,
    services,
    pools,
    policies,
    summary: summarize(services),
    notes: uncertainOrder(pools),
  };
}

/**
 * What the running controller has already done before the change: every Service assigned once,
 * in key order. Returns those left waiting with their outcome (revisited by the pool change).
 */
function settle(allocator: Allocator, keys: readonly string[], requestOf: RequestOf): Map<string, AssignOutcome> {
  const waiting = new Map<string, AssignOutcome>();
  for (const key of keys) {
    const req = requestOf(
      key,
      allocator.assigned(key).map((i) => i.ip),
    );
    if (!req) continue;
    const out = allocator.assign(req);
    if (leavesWaiting(out)) waiting.set(key, out);
  }
  return waiting;
}

/** The live objects of a kind with the manifests applied and the removals taken out. */
function changed<T extends Manifest>(live: readonly T[], input: PlanInput, kind: T['kind']): T[] {
  const out = new Map(live.map((o) => [o.metadata.name ?? '', o]));
  for (const m of input.apply) {
    if (m.kind !== kind) continue;
    const name = m.metadata.name ?? '';
    const existing = out.get(name);
    const created = existing?.metadata.creationTimestamp ?? (input.now as never);
    out.set(name, { ...m, metadata: { ...m.metadata, creationTimestamp: created } } as T);
  }
  for (const r of input.remove) if (r.kind === kind) out.delete(r.name);
  return [...out.values()];
}

/** Per family: what the Service holds now (its status) against what it would hold after. */
function servicePreview(
  svc: Service,
  after: readonly AssignedIP[],
  released: ReadonlyMap<string, ReleasedIP[]>,
  outcomeOf: (key: string) => AssignOutcome | undefined,
): ServicePreview {
  const key = serviceKey(svc);
  const before = ingressIPs(svc).flatMap((ip) => {
    const a = parseAddress(ip);
    return a ? [{ ip, family: familyName[a.family] }] : [];
  });
  const families = [...new Set([...before.map((b) => b.family), ...after.map((a) => familyName[a.family])])].sort();
  const gone = released.get(key) ?? [];
  const addresses = families.map((family): AddressChange => {
    const was = before.find((b) => b.family === family)?.ip ?? null;
    const now = after.find((a) => familyName[a.family] === family);
    const out = { family, before: was, after: now?.ip ?? null, pool: now?.pool ?? null };
    if (was !== null && was === now?.ip) return { ...out, change: 'keeps', reason: null };
    const fresh = now ? `Assigned ${now.ip} from pool ${now.pool}` : null;
    if (was === null) return { ...out, change: 'gains', reason: fresh };
    const why = releasedWhy(gone, was);
    if (!now) return { ...out, pool: gone.find((g) => g.ip === was)?.pool ?? null, change: 'loses', reason: why };
    return { ...out, change: 'moves', reason: `${why}; ${fresh}` };
  });
  return {
    namespace: svc.metadata.namespace ?? 'default',
    name: svc.metadata.name,
    addresses,
    pending: pendingWhy(outcomeOf(key)),
  };
}

function releasedWhy(released: readonly ReleasedIP[], ip: string): string {
  const r = released.find((g) => g.ip === ip);
  if (r) return `Released ${ip}: ${releaseReasonText(r.why, r.pool)}`;
  return `${ip} is held through no pool now (the controller reassigns it whatever this change does)`;
}

/** Why a Service still waits after the change, in the controller's words; null when it does not. */
function pendingWhy(out: AssignOutcome | undefined): string | null {
  if (!out) return null;
  if (out.kind === 'failed') return `${out.reason}: ${out.message}`;
  return out.unmetFamilies.length ? `no ${out.unmetFamilies.join(' or ')} address (PreferDualStack)` : null;
}

function policyPreviews(
  input: PlanInput,
  after: readonly L2AnnouncementPolicy[],
  servicesAfter: readonly Service[],
  poolOfAfter: PoolOfAddress,
): PolicyPreview[] {
  const beforeHeld = replayHoldings(input.pools, input.services);
  const poolOfBefore = poolOfAddress(beforeHeld, input.pools);
  const was = new Map(input.policies.map((p) => [p.metadata.name ?? '', p]));
  const will = new Map(after.map((p) => [p.metadata.name ?? '', p]));
  const side = (p: L2AnnouncementPolicy, services: readonly Service[], poolOf: PoolOfAddress) => {
    const st = desiredPolicyStatus(p, input.nodes, services, input.now, poolOf);
    const ready = st.conditions?.find((c) => c.type === 'Ready');
    return {
      services: st.selectedServices ?? 0,
      nodes: st.selectedNodes ?? 0,
      ready: ready?.status === 'True',
      reason: ready?.reason ?? '',
    };
  };
  return [...new Set([...was.keys(), ...will.keys()])].sort().map((name) => {
    const b = was.get(name);
    const a = will.get(name);
    const beforeSide = b ? side(b, input.services, poolOfBefore) : null;
    return {
      name,
      change: !b ? 'created' : !a ? 'deleted' : sameSpec(a.spec, b.spec) ? 'unchanged' : 'changed',
      before: beforeSide && { services: beforeSide.services, nodes: beforeSide.nodes, ready: beforeSide.ready },
      after: a ? side(a, servicesAfter, poolOfAfter) : null,
    };
  });
}

function summarize(services: readonly ServicePreview[]): PlanReport['summary'] {
  const all = services.flatMap((s) => s.addresses);
  const count = (c: ServiceChange) => all.filter((a) => a.change === c).length;
  return {
    keeps: count('keeps'),
    gains: count('gains'),
    loses: count('loses'),
    moves: count('moves'),
    pending: services.filter((s) => s.pending !== null).length,
  };
}

function withAddresses(svc: Service, ips: readonly string[]): Service {
  return { ...svc, status: { ...svc.status, loadBalancer: { ingress: ips.map((ip) => ({ ip })) } } };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
