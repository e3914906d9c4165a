// The Lease port (runtime/ports/lease-store.ts) on the apiserver: coordination.k8s.io/v1.
import type { KubeHttp } from './http.js';
import { isNotFound } from '../runtime/ports/api-error.js';
import type { Lease, LeaseStore } from '../runtime/ports/lease-store.js';

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
