// A v1 Service, read into what the allocator needs, or the reason it is not ours.
// Ours: type LoadBalancer with spec.loadBalancerClass unset or equal to the configured class
// (Kubernetes 1.20 has no loadBalancerClass field: there it is always unset).
import { serviceLabels } from '../ipam/label-selector.js';
import type { FamilyPolicy, IPFamilyName, ServiceRequest } from '../ipam/service-request.js';
import {
  ANNOTATION_IPS,
  ANNOTATION_POOL,
  ANNOTATION_SHARING_CROSS_NAMESPACE,
  ANNOTATION_SHARING_KEY,
  readAnnotation,
} from './annotations.js';
import type { Service } from '../core/kube-objects.js';
import { ingressIPs } from '../core/policy-selection.js';

export type ServiceClaim =
  | { kind: 'ours'; request: ServiceRequest; deprecated: string[] }
  | { kind: 'not-ours'; reason: 'not-load-balancer' | 'other-class' | 'deleting' };

export function serviceKey(svc: Service): string {
  return `${svc.metadata.namespace ?? 'default'}/${svc.metadata.name}`;
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function claimService(svc: Service, lbClass: string, extraCurrent: readonly string[] = []): ServiceClaim {
  if (svc.spec?.type !== 'LoadBalancer') return { kind: 'not-ours', reason: 'not-load-balancer' };
  const cls = svc.spec.loadBalancerClass;
  if (cls !== undefined && cls !== lbClass) return { kind: 'not-ours', reason: 'other-class' };
  const namespace = svc.metadata.namespace ?? 'default';
  const name = svc.metadata.name;
  const a = svc.metadata.annotations ?? {};
  const deprecated: string[] = [];
  const read = (name: string): string | undefined => {
    const r = readAnnotation(a, name);
    if (r.from && r.from !== name) deprecated.push(`${r.from} (use ${name})`);
    return r.value;
  };
  const ipsText = read(ANNOTATION_IPS);
  const requested = ipsText !== undefined ? list(ipsText) : list(svc.spec.loadBalancerIP);
  const families = (svc.spec.ipFamilies ?? []).filter((f): f is IPFamilyName => f === 'IPv4' || f === 'IPv6');
  const policy = svc.spec.ipFamilyPolicy;
  const familyPolicy: FamilyPolicy =
    policy === 'PreferDualStack' || policy === 'RequireDualStack' ? policy : 'SingleStack';
  const current = [...new Set([...ingressIPs(svc), ...extraCurrent])];
  return {
    kind: 'ours',
    request: {
      key: `${namespace}/${name}`,
      namespace,
      name,
      labels: serviceLabels(namespace, name, svc.metadata.labels),
      families,
      familyPolicy,
      requestedIPs: requested,
      pool: read(ANNOTATION_POOL)?.trim() || undefined,
      sharingKey: read(ANNOTATION_SHARING_KEY)?.trim() || undefined,
      sharingNamespaces: list(read(ANNOTATION_SHARING_CROSS_NAMESPACE)),
      ports: (svc.spec.ports ?? []).map((p) => ({ port: p.port, protocol: p.protocol ?? 'TCP' })),
      current,
    },
    deprecated,
  };
}
