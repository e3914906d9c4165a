// `lanlb status`: what a user asks every day, from what the cluster already records (pure).
// Pools: counts and conditions as the controller wrote them. Services: their addresses, the pool
// each is held through (the controller's own replay, so the answer is the controller's), the
// policies that announce them, the Lease holder with its interfaces and MACs, and why a Service
// without an address is pending. The JSON shape is documented in docs/reference.md ("lanlb
// status"): fields are only ever added.
import type { L2AnnouncementPolicy, LoadBalancerIPPool } from '../../generated/index.js';
import type { Allocator } from '../ipam/allocator.js';
import { parseLabelSelector, serviceLabels } from '../ipam/label-selector.js';
import { poolOfAddress, replayHoldings } from '../reconcile/held-through.js';
import { claimService, serviceKey } from '../reconcile/service-request.js';
import { CONDITION_IP_ALLOCATED } from '../reconcile/annotations.js';
import { announcedIPs, ingressIPs, policyProblem, type PoolOfAddress } from '../core/policy-selection.js';
import type { Condition, LeaseObject, Service } from '../core/kube-objects.js';
import {
  HARDWARE_ADDRESSES_ANNOTATION,
  INTERFACES_ANNOTATION,
  leaseNamesService,
  serviceLeaseName,
} from '../l2/election/lease-names.js';

export const STATUS_REPORT_VERSION = 'lanlb.io/status/v1';

/** A pool's state: its Ready condition's reason (Ready, Conflicting, Disabled, InvalidBlocks, ...). */
export interface PoolReport {
  name: string;
  disabled: boolean;
  /** decimal strings, as in the pool's status; null until the controller has written it */
  total: string | null;
  used: string | null;
  available: string | null;
  state: string;
  message: string;
  /** the other pool and the overlapping range, when Conflicting */
  conflict: string | null;
}

export interface AddressReport {
  ip: string;
  /** the pool the address is held through; null when no pool holds it any more */
  pool: string | null;
}

export interface HolderReport {
  node: string;
  lease: string;
  interfaces: Array<{ name: string; mac: string | null }>;
}

export type ServiceState = 'Announced' | 'Allocated' | 'Pending';

export interface ServiceReport {
  namespace: string;
  name: string;
  state: ServiceState;
  addresses: AddressReport[];
  /** valid policies that select the Service and announce at least one of its addresses */
  policies: string[];
  /** null when no node holds the Service's Lease (or Leases could not be read: leasesReadable) */
  holder: HolderReport | null;
  /** why: Pending (no address), or Allocated but not announced */
  reason: string | null;
  message: string | null;
}

export interface StatusReport {
  apiVersion: typeof STATUS_REPORT_VERSION;
  /** the namespace Services were listed in; null for all namespaces */
  namespace: string | null;
  leasesReadable: boolean;
  pools: PoolReport[];
  services: ServiceReport[];
  summary: {
    pools: number;
    conflictingPools: number;
    invalidPools: number;
    services: number;
    pendingServices: number;
  };
}

export interface StatusInput {
  pools: readonly LoadBalancerIPPool[];
  policies: readonly L2AnnouncementPolicy[];
  services: readonly Service[];
  /** Service Leases of the operator namespace; undefined when they could not be read */
  leases: readonly LeaseObject[] | undefined;
  loadBalancerClass: string;
  namespace: string | null;
}

export function statusReport(input: StatusInput): StatusReport {
  const pools = [...input.pools].sort(byName).map(poolReport);
  const allocator = replayHoldings(input.pools, input.services);
  const poolOf = poolOfAddress(allocator, input.pools);
  const leases = new Map((input.leases ?? []).map((l) => [l.metadata.name, l]));
  const services = input.services
    .filter((s) => claimService(s, input.loadBalancerClass).kind === 'ours')
    .sort((a, b) => byName(a, b, serviceKey))
    .map((s) => serviceReport(s, { allocator, poolOf }, input, leases));
  return {
    apiVersion: STATUS_REPORT_VERSION,
    namespace: input.namespace,
    leasesReadable: input.leases !== undefined,
    pools,
    services,
    summary: {
      pools: pools.length,
      conflictingPools: pools.filter((p) => p.conflict !== null).length,
      invalidPools: pools.filter((p) => p.state.startsWith('Invalid')).length,
      services: services.length,
      pendingServices: services.filter((s) => s.state === 'Pending').length,
    },
  };
}

/** What makes `lanlb status` exit non-zero: a pool conflicts or is invalid, or a Service waits. */
export function needsAttention(r: StatusReport): boolean {
  const s = r.summary;
  return s.conflictingPools + s.invalidPools + s.pendingServices > 0;
}

function byName<T extends { metadata: { name?: string } }>(a: T, b: T, key = (o: T) => o.metadata.name ?? ''): number {
  const x = key(a);
  const y = key(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function poolReport(p: LoadBalancerIPPool): PoolReport {
  const conditions = (p.status?.conditions ?? []) as Condition[];
  const ready = conditions.find((c) => c.type === 'Ready');
  const conflicting = conditions.find((c) => c.type === 'Conflicting' && c.status === 'True');
  const pending = { state: 'Unknown', message: 'the controller has not written this pool status yet' };
  return {
    name: p.metadata.name ?? '',
    disabled: p.spec.disabled ?? false,
    total: p.status?.total ?? null,
    used: p.status?.used ?? null,
    available: p.status?.available ?? null,
    ...(ready ? { state: ready.reason, message: ready.message } : pending),
    conflict: conflicting ? conflicting.message : null,
  };
}

function serviceReport(
  svc: Service,
  held: { allocator: Allocator; poolOf: PoolOfAddress },
  input: StatusInput,
  leases: ReadonlyMap<string, LeaseObject>,
): ServiceReport {
  const namespace = svc.metadata.namespace ?? 'default';
  const name = svc.metadata.name;
  const through = new Map(held.allocator.assigned(`${namespace}/${name}`).map((i) => [i.ip, i.pool]));
  const addresses = ingressIPs(svc).map((ip) => ({ ip, pool: through.get(ip) ?? null }));
  const policies = selectingPolicies(input.policies, svc, held.poolOf);
  const lease = leases.get(serviceLeaseName(namespace, name));
  const holder = lease && leaseNamesService(lease, `${namespace}/${name}`) ? holderReport(lease) : null;
  const base = { namespace, name, addresses, policies, holder };
  if (addresses.length === 0) return { ...base, state: 'Pending', ...pendingReason(svc) };
  if (holder) return { ...base, state: 'Announced', reason: null, message: null };
  return { ...base, state: 'Allocated', ...unannouncedReason(policies, input.leases !== undefined) };
}

/** Policies that announce (or, for a Service still without an address, will announce) it. */
function selectingPolicies(policies: readonly L2AnnouncementPolicy[], svc: Service, poolOf: PoolOfAddress): string[] {
  const labels = serviceLabels(svc.metadata.namespace ?? 'default', svc.metadata.name, svc.metadata.labels);
  const waiting = ingressIPs(svc).length === 0;
  return policies
    .filter((p) => {
      const sel = parseLabelSelector(p.spec.serviceSelector);
      const announces = waiting ? p.spec.loadBalancerIPs !== false : announcedIPs(p, svc, poolOf).length > 0;
      return !policyProblem(p) && sel.kind === 'ok' && sel.selector.matches(labels) && announces;
    })
    .map((p) => p.metadata.name ?? '')
    .sort();
}

function holderReport(lease: LeaseObject): HolderReport | null {
  const node = lease.spec?.holderIdentity;
  if (!node) return null;
  const list = (key: string): string[] =>
    (lease.metadata.annotations?.[key] ?? '').split(',').flatMap((s) => (s.trim() ? [s.trim()] : []));
  const macs = list(HARDWARE_ADDRESSES_ANNOTATION);
  const interfaces = list(INTERFACES_ANNOTATION).map((n, i) => ({ name: n, mac: macs[i] ?? null }));
  return { node, lease: lease.metadata.name, interfaces };
}

/** The controller's own words (condition lanlb.io/IPAllocated), or why there are none. */
function pendingReason(svc: Service): { reason: string; message: string } {
  const c = svc.status?.conditions?.find((x) => x.type === CONDITION_IP_ALLOCATED);
  if (c && c.status === 'False') return { reason: c.reason, message: c.message };
  return {
    reason: 'NotReconciled',
    message: 'no address and no lanlb.io/IPAllocated condition yet: is `lanlb controller` running and leading?',
  };
}

function unannouncedReason(policies: string[], leasesReadable: boolean): { reason: string; message: string } {
  if (policies.length === 0)
    return { reason: 'NoPolicySelects', message: 'no valid L2AnnouncementPolicy selects this Service' };
  if (!leasesReadable)
    return { reason: 'LeasesUnreadable', message: 'cannot read Service Leases, so the holder is unknown' };
  return {
    reason: 'NoHolder',
    message: 'no node holds its Lease: no selected node is eligible (see L2Unavailable Events on Nodes)',
  };
}
