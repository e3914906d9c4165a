// The parts of Kubernetes objects lanlb reads, as the apiserver's JSON has them (timestamps are
// strings). Only what is used is typed. One home for both processes and the cores.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
}

export interface Service {
  metadata: ObjectMeta;
  spec?: {
    type?: string;
    loadBalancerClass?: string;
    loadBalancerIP?: string;
    externalIPs?: string[];
    ipFamilies?: string[];
    ipFamilyPolicy?: string;
    externalTrafficPolicy?: string;
    ports?: Array<{ port: number; protocol?: string; name?: string }>;
  };
  status?: {
    loadBalancer?: { ingress?: LoadBalancerIngress[] };
    conditions?: Condition[];
  };
}

export interface Node {
  metadata: ObjectMeta;
}

export interface EndpointSlice {
  metadata: ObjectMeta;
  endpoints?: Array<{
    conditions?: { ready?: boolean };
    /** discovery.k8s.io/v1 */
    nodeName?: string;
    /** discovery.k8s.io/v1beta1 (Kubernetes 1.20) */
    topology?: Record<string, string>;
  }>;
}

export interface LeaseObject {
  metadata: ObjectMeta;
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}
