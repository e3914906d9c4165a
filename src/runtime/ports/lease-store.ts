// The Lease port: where Leases live. The elector, the node heartbeat and the announcer talk to
// this small interface, so their unit tests run on an in-memory store with the apiserver's
// optimistic-concurrency rule; kube/lease-store.ts implements it on the apiserver.

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease {
  apiVersion?: 'coordination.k8s.io/v1';
  kind?: 'Lease';
  metadata: {
    name: string;
    namespace: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: LeaseSpec;
}

export interface LeaseStore {
  get(namespace: string, name: string): Promise<Lease | undefined>;
  /** Fails with 409 when the Lease exists. */
  create(lease: Lease): Promise<Lease>;
  /** Fails with 409 when metadata.resourceVersion is not the stored one. */
  update(lease: Lease): Promise<Lease>;
  /** Deletes only the version `resourceVersion` (409 otherwise); a missing Lease is a 404. */
  delete(namespace: string, name: string, resourceVersion: string | undefined): Promise<void>;
}
