// Service annotations and names from docs/contract.md, in one place.
export const ANNOTATION_IPS = 'lanlb.io/ips';
export const ANNOTATION_POOL = 'lanlb.io/pool';
export const ANNOTATION_SHARING_KEY = 'lanlb.io/sharing-key';
export const ANNOTATION_SHARING_CROSS_NAMESPACE = 'lanlb.io/sharing-cross-namespace';
export const DEFAULT_LOAD_BALANCER_CLASS = 'lanlb.io/l2';
export const CONDITION_IP_ALLOCATED = 'lanlb.io/IPAllocated';

/**
 * MetalLB's and Cilium's Service annotations, read when lanlb's own is absent so Services keep
 * their addresses across a migration (each use is reported with a deprecation Event).
 */
export const FALLBACK_ANNOTATIONS: Record<string, readonly string[]> = {
  [ANNOTATION_IPS]: [
    'metallb.io/loadBalancerIPs',
    'metallb.universe.tf/loadBalancerIPs',
    'lbipam.cilium.io/ips',
    'io.cilium/lb-ipam-ips',
  ],
  [ANNOTATION_POOL]: ['metallb.io/address-pool', 'metallb.universe.tf/address-pool'],
  [ANNOTATION_SHARING_KEY]: [
    'metallb.io/allow-shared-ip',
    'metallb.universe.tf/allow-shared-ip',
    'lbipam.cilium.io/sharing-key',
    'io.cilium/lb-ipam-sharing-key',
  ],
  [ANNOTATION_SHARING_CROSS_NAMESPACE]: [
    'lbipam.cilium.io/sharing-cross-namespace',
    'io.cilium/lb-ipam-sharing-cross-namespace',
  ],
};

/** What each Service annotation means, for users (docs/reference.md is generated from this). */
export const SERVICE_ANNOTATION_REFERENCE: ReadonlyArray<{ name: string; example: string; meaning: string }> = [
  {
    name: ANNOTATION_IPS,
    example: '192.0.2.10,2001:db8::10',
    meaning:
      'Comma-separated addresses to assign, at most one per IP family; each must lie in a pool that selects ' +
      'the Service. spec.loadBalancerIP is honoured too. An address another Service holds is refused with a ' +
      'reason (AllocationFailed), and the Service keeps what it has.',
  },
  {
    name: ANNOTATION_POOL,
    example: 'office-lan',
    meaning: 'Allocate only from this LoadBalancerIPPool (it must still select the Service).',
  },
  {
    name: ANNOTATION_SHARING_KEY,
    example: 'dns',
    meaning:
      'Services with the same key may share one address when their ports and protocols do not clash ' +
      '(for example DNS over TCP and UDP as two Services).',
  },
  {
    name: ANNOTATION_SHARING_CROSS_NAMESPACE,
    example: 'team-a,team-b',
    meaning:
      'Namespaces (comma-separated, or *) whose Services may share an address with this one under the same ' +
      'sharing key; without it, sharing stays within the namespace.',
  },
];

/** The value for a lanlb annotation, falling back to MetalLB's or Cilium's; `from` names the one used. */
export function readAnnotation(
  annotations: Readonly<Record<string, string>>,
  name: string,
): { value?: string; from?: string } {
  if (annotations[name] !== undefined) return { value: annotations[name], from: name };
  for (const alt of FALLBACK_ANNOTATIONS[name] ?? [])
    if (annotations[alt] !== undefined) return { value: annotations[alt], from: alt };
  return {};
}
