// What this node has observed of Leases, on its own clock: when each Service Lease's record and
// each node heartbeat last changed. Service Leases come from a watch; node heartbeats from reads.
import { isDeepStrictEqual } from 'node:util';
import type { LeaseObject } from '../../core/kube-objects.js';
import { NODE_LEASE_PREFIX } from './lease-names.js';

export class LeaseView {
  /** lease name -> the record last seen and when it changed (or was first seen missing) */
  private readonly services = new Map<string, { lease?: LeaseObject; at: number }>();
  /** node -> its heartbeat Lease's version last read, and when that version was first seen */
  private readonly heartbeatSeen = new Map<string, { version: string; at: number }>();

  constructor(private readonly now: () => number) {}

  /**
   * Service Leases come from the watch. Node heartbeat Leases are not watched (at N selected nodes
   * that would deliver every renewal N times): they are read when a judgement needs one
   * (observeHeartbeat), so a node Lease arriving here is ignored.
   */
  observe(lease: LeaseObject, deleted = false): void {
    const name = lease.metadata.name;
    if (name.startsWith(NODE_LEASE_PREFIX)) return;
    const prev = this.services.get(name);
    if (deleted) {
      this.services.set(name, { at: this.now() });
    } else if (!prev?.lease || !isDeepStrictEqual(prev.lease.spec, lease.spec)) {
      this.services.set(name, { lease, at: this.now() });
    } else {
      prev.lease = lease; // same record, newer resourceVersion
    }
  }

  /**
   * A read of `node`'s heartbeat Lease (undefined: there is none). Its time is when this node first
   * saw that version (never the writer's clock): a read of an unchanged Lease refreshes nothing.
   */
  observeHeartbeat(node: string, lease: LeaseObject | undefined): void {
    if (!lease?.spec?.holderIdentity) {
      this.heartbeatSeen.delete(node);
      return;
    }
    const version = lease.metadata.resourceVersion ?? JSON.stringify(lease.spec);
    if (this.heartbeatSeen.get(node)?.version !== version) this.heartbeatSeen.set(node, { version, at: this.now() });
  }

  /** When `node`'s heartbeat Lease last changed as this node saw it; undefined: none read. */
  heartbeat(node: string): number | undefined {
    return this.heartbeatSeen.get(node)?.at;
  }

  /** The Lease last seen under `name`, without starting to track a missing one. */
  peek(name: string): LeaseObject | undefined {
    return this.services.get(name)?.lease;
  }

  /** Every Service Lease seen and not deleted. */
  leases(): LeaseObject[] {
    return [...this.services.values()].flatMap((e) => (e.lease ? [e.lease] : []));
  }

  /** The Lease and when its state was first seen; a missing Lease counts from now on first ask. */
  service(name: string): { lease?: LeaseObject; at: number } {
    let entry = this.services.get(name);
    if (!entry) {
      entry = { at: this.now() };
      this.services.set(name, entry);
    }
    return entry;
  }
}
