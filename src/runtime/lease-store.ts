// Where Leases live. The elector talks to this small interface so its unit tests can run on an
// in-memory store with the apiserver's optimistic-concurrency rule; the real one is KubeLeaseStore.
import type { KubeHttp } from '../kube/http.js';
import { isNotFound } from '../kube/api-error.js';

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

export class KubeLeaseStore implements LeaseStore {
  constructor(private readonly http: KubeHttp) {}

  private path(namespace: string, name?: string): string {
    const base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
    return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
  }

  async get(namespace: string, name: string): Promise<Lease | undefined> {
    try {
      return await this.http.get<Lease>(this.path(namespace, name));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  create(lease: Lease): Promise<Lease> {
    return this.http.post<Lease>(this.path(lease.metadata.namespace), {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      ...lease,
    });
  }

  update(lease: Lease): Promise<Lease> {
    return this.http.put<Lease>(this.path(lease.metadata.namespace, lease.metadata.name), {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      ...lease,
    });
  }

  async delete(namespace: string, name: string, resourceVersion: string | undefined): Promise<void> {
    const body = { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { resourceVersion } };
    await this.http.delete(this.path(namespace, name), body);
  }
}
