// What the allocator needs to know about a Service, already extracted from the Kubernetes object
// by the adapter (src/controller/service-request.ts), so the core never sees a v1.Service.

export type IPFamilyName = 'IPv4' | 'IPv6';
export type FamilyPolicy = 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';

export interface ServicePort {
  port: number;
  protocol: string;
}

export interface ServiceRequest {
  /** "namespace/name" */
  key: string;
  namespace: string;
  name: string;
  /** the Service's labels plus the virtual io.kubernetes.service.* labels */
  labels: Readonly<Record<string, string>>;
  /** spec.ipFamilies; empty means the cluster default (IPv4) */
  families: readonly IPFamilyName[];
  familyPolicy: FamilyPolicy;
  /** lanlb.io/ips, else spec.loadBalancerIP (at most one per family) */
  requestedIPs: readonly string[];
  /** lanlb.io/pool */
  pool?: string;
  /** lanlb.io/sharing-key */
  sharingKey?: string;
  /** lanlb.io/sharing-cross-namespace: namespaces, or '*' */
  sharingNamespaces: readonly string[];
  ports: readonly ServicePort[];
  /** addresses in status.loadBalancer.ingress now: kept when still valid, so a restart changes nothing */
  current: readonly string[];
}
