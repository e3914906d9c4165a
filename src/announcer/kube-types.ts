// Objects the announcer reads beyond those the controller reads.
import type { ObjectMeta } from '../controller/kube-types.js';

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
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}
