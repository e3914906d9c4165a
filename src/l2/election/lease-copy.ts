// A Service Lease's ownership record copied into an L2Announcement (crds/lanlb.io_l2announcements.yaml),
// the object announcers watch instead of the Lease. kube-apiserver hands every write of a resource
// to every watcher of that resource before label selectors apply, so N announcers watching Leases
// while N nodes (and N kubelets) renew Leases cost N x N/10 dispatches a second (issue 28). The copy
// is written only when the Lease changes hands. The Lease stays the fence: the copy carries the
// Lease's resourceVersion, so a write based on a stale copy fails like one based on a stale Lease.
import type { L2Announcement } from '../../../generated/index.js';
import type { LeaseObject } from '../../core/kube-objects.js';
import {
  HARDWARE_ADDRESSES_ANNOTATION,
  INTERFACES_ANNOTATION,
  LEASE_TYPE_LABEL,
  SERVICE_ANNOTATION,
  TAKEN_OVER_FROM_ANNOTATION,
} from './lease-names.js';

/** The annotations a copy carries, by its field: what the election reads of a Lease. */
const COPIED_ANNOTATIONS = {
  service: SERVICE_ANNOTATION,
  interfaces: INTERFACES_ANNOTATION,
  hardwareAddresses: HARDWARE_ADDRESSES_ANNOTATION,
  takenOverFrom: TAKEN_OVER_FROM_ANNOTATION,
} as const;

/** The copy of `lease` (same name and namespace). */
export function copyOfLease(lease: LeaseObject): L2Announcement {
  const a = lease.metadata.annotations ?? {};
  const spec: L2Announcement['spec'] = { leaseResourceVersion: lease.metadata.resourceVersion ?? '' };
  for (const [field, key] of Object.entries(COPIED_ANNOTATIONS) as Array<[keyof typeof COPIED_ANNOTATIONS, string]>)
    if (a[key]) spec[field] = a[key];
  const label = lease.metadata.labels?.[LEASE_TYPE_LABEL];
  if (label) spec.leaseLabel = label;
  const s = lease.spec ?? {};
  if (s.holderIdentity) spec.holder = s.holderIdentity;
  if (s.acquireTime) spec.acquireTime = s.acquireTime;
  if (s.renewTime) spec.renewTime = s.renewTime;
  if (s.leaseDurationSeconds != null) spec.leaseDurationSeconds = s.leaseDurationSeconds;
  if (s.leaseTransitions != null) spec.leaseTransitions = s.leaseTransitions;
  return {
    apiVersion: 'lanlb.io/v1beta1',
    kind: 'L2Announcement',
    metadata: { name: lease.metadata.name, namespace: lease.metadata.namespace },
    spec,
  };
}

/**
 * The Lease as the copy records it: what the election reads (holder, annotations, the Lease's own
 * resourceVersion, so a write fenced by it is fenced by the Lease).
 */
export function leaseOfCopy(copy: L2Announcement): LeaseObject {
  const c = copy.spec;
  const annotations: Record<string, string> = {};
  for (const [field, key] of Object.entries(COPIED_ANNOTATIONS) as Array<[keyof typeof COPIED_ANNOTATIONS, string]>) {
    const value = c[field];
    if (value !== undefined) annotations[key] = value;
  }
  const spec: NonNullable<LeaseObject['spec']> = {};
  if (c.holder !== undefined) spec.holderIdentity = c.holder;
  if (c.acquireTime !== undefined) spec.acquireTime = c.acquireTime;
  if (c.renewTime !== undefined) spec.renewTime = c.renewTime;
  if (c.leaseDurationSeconds !== undefined) spec.leaseDurationSeconds = c.leaseDurationSeconds;
  if (c.leaseTransitions !== undefined) spec.leaseTransitions = c.leaseTransitions;
  return {
    metadata: {
      name: copy.metadata.name ?? '',
      namespace: copy.metadata.namespace,
      resourceVersion: c.leaseResourceVersion,
      ...(c.leaseLabel !== undefined ? { labels: { [LEASE_TYPE_LABEL]: c.leaseLabel } } : {}),
      annotations,
    },
    spec,
  };
}

/**
 * True when Lease version `a` is later than `b`. etcd-backed apiservers (every Kubernetes apiserver,
 * and kine) give resourceVersions that are revisions of one counter, so within one cluster they
 * compare as integers; a version that is not one is taken as later, so the copy follows the Lease.
 */
export function laterLeaseVersion(a: string, b: string): boolean {
  if (!/^\d+$/.test(a) || !/^\d+$/.test(b)) return a !== b;
  return BigInt(a) > BigInt(b);
}

export type CopyAction = { kind: 'write'; copy: L2Announcement } | { kind: 'delete' } | { kind: 'none' };

/** What brings the copy in line with the Lease: a copy only ever moves forward, to a later Lease. */
export function copyAction(lease: LeaseObject | undefined, copy: L2Announcement | undefined): CopyAction {
  if (!lease) return copy ? { kind: 'delete' } : { kind: 'none' };
  const version = lease.metadata.resourceVersion ?? '';
  if (copy && !laterLeaseVersion(version, copy.spec.leaseResourceVersion)) return { kind: 'none' };
  return { kind: 'write', copy: copyOfLease(lease) };
}
