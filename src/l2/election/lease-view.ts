// What this node has observed of Leases, on its own clock: when each Service Lease's record and
// each node heartbeat last changed. Fed by a watch, so followers never poll.
import { isDeepStrictEqual } from 'node:util';
import type { LeaseObject } from '../../core/kube-objects.js';
import { NODE_LEASE_PREFIX } from './lease-names.js';

export class LeaseView {
  /** lease name -> the record last seen and when it changed (or was first seen missing) */
  private readonly services = new Map<string, { lease?: LeaseObject; at: number }>();
  /** node -> when its heartbeat Lease last changed, while it has a holder */
  readonly heartbeats = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  observe(lease: LeaseObject, deleted = false): void {
    const name = lease.metadata.name;
    if (name.startsWith(NODE_LEASE_PREFIX)) {
      const node = name.slice(NODE_LEASE_PREFIX.length);
      if (deleted || !lease.spec?.holderIdentity) this.heartbeats.delete(node);
      else this.heartbeats.set(node, this.now());
      return;
    }
    const prev = this.services.get(name);
    if (deleted) {
      this.services.set(name, { at: this.now() });
    } else if (!prev?.lease || !isDeepStrictEqual(prev.lease.spec, lease.spec)) {
      this.services.set(name, { lease, at: this.now() });
    } else {
      prev.lease = lease; // same record, newer resourceVersion
    }
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
