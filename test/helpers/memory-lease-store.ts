// Leases in memory with the apiserver's rules that the elector relies on: create fails when the
// Lease exists, update fails unless metadata.resourceVersion matches. For elector unit tests
// only; integration tests run the elector against a real apiserver.
import { KubeApiError } from '../../src/runtime/ports/api-error.js';
import type { Lease, LeaseStore } from '../../src/runtime/ports/lease-store.js';

export class MemoryLeaseStore implements LeaseStore {
  private readonly leases = new Map<string, Lease>();
  private rv = 0;
  /** When set, every call fails with this error (apiserver unreachable). */
  failWith: Error | undefined;
  writes = 0;

  private key(ns: string, name: string): string {
    return `${ns}/${name}`;
  }

  async get(namespace: string, name: string): Promise<Lease | undefined> {
    if (this.failWith) throw this.failWith;
    const l = this.leases.get(this.key(namespace, name));
    return l && structuredClone(l);
  }

  async create(lease: Lease): Promise<Lease> {
    if (this.failWith) throw this.failWith;
    const k = this.key(lease.metadata.namespace, lease.metadata.name);
    if (this.leases.has(k)) throw new KubeApiError(409, 'AlreadyExists', 'exists');
    return this.store(k, lease);
  }

  async update(lease: Lease): Promise<Lease> {
    if (this.failWith) throw this.failWith;
    const k = this.key(lease.metadata.namespace, lease.metadata.name);
    const cur = this.leases.get(k);
    if (!cur) throw new KubeApiError(404, 'NotFound', 'not found');
    if (cur.metadata.resourceVersion !== lease.metadata.resourceVersion)
      throw new KubeApiError(409, 'Conflict', 'conflict');
    return this.store(k, lease);
  }

  async delete(namespace: string, name: string, resourceVersion: string | undefined): Promise<void> {
    if (this.failWith) throw this.failWith;
    const k = this.key(namespace, name);
    const cur = this.leases.get(k);
    if (!cur) throw new KubeApiError(404, 'NotFound', 'not found');
    if (resourceVersion !== undefined && cur.metadata.resourceVersion !== resourceVersion)
      throw new KubeApiError(409, 'Conflict', 'conflict');
    this.writes++;
    this.leases.delete(k);
    this.onChange?.(cur, true);
  }

  /** Told of every stored change, as a watch would tell an informer. */
  onChange: ((lease: Lease, deleted: boolean) => void) | undefined;

  all(): Lease[] {
    return [...this.leases.values()].map((l) => structuredClone(l));
  }

  peek(namespace: string, name: string): Lease | undefined {
    return this.leases.get(this.key(namespace, name));
  }

  private store(k: string, lease: Lease): Lease {
    this.writes++;
    const stored = structuredClone({ ...lease, metadata: { ...lease.metadata, resourceVersion: String(++this.rv) } });
    this.leases.set(k, stored);
    this.onChange?.(structuredClone(stored), false);
    return structuredClone(stored);
  }
}
