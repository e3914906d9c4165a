// The Lease name of the previous version (`lanlb-l2-<ns>-<name>`, which two Services could share):
// while a live announcer of that version holds one, the Service is not answered here too (a
// rolling update must not have two nodes answer); once none does, the old Lease is removed.
import { isConflict, isNotFound } from '../runtime/ports/api-error.js';
import { isLegacyServiceLeaseName, legacyServiceLeaseName } from '../l2/election/lease-names.js';
import type { ServicePlan } from './plan/desired.js';
import type { AnnouncerContext } from './options.js';
import type { LeaseWrites } from './lease-writes.js';
import type { PeerHeartbeats } from './peer-heartbeats.js';

/** The previous version renewed its node Lease every 500 ms and judged it after 2 s. */
const LEGACY_RENEW_MS = 500;
const LEGACY_HEARTBEAT_MS = 2_000;

export class LegacyLeases {
  constructor(
    private readonly c: AnnouncerContext,
    private readonly writes: LeaseWrites,
    private readonly heartbeats: PeerHeartbeats,
  ) {}

  /** A Lease of the old name for the Service, held by another live node. */
  heldElsewhere(plan: ServicePlan, now: number): boolean {
    const legacy = this.c.view.peek(legacyServiceLeaseName(plan.namespace, plan.name));
    const holder = legacy?.spec?.holderIdentity;
    return Boolean(holder && holder !== this.c.o.node && this.holderAlive(holder, now));
  }

  /**
   * Removes Leases of the old name once no live announcer of the previous version holds them:
   * held by this node (its old announcer is gone), by nobody, or by a node whose heartbeat is
   * silent. The delete carries the resourceVersion seen, so a Lease rewritten meanwhile stays.
   */
  removeUnheld(now: number): void {
    const { o } = this.c;
    for (const lease of this.c.view.leases()) {
      const name = lease.metadata.name;
      if (!isLegacyServiceLeaseName(name) || this.writes.busy(name)) continue;
      const holder = lease.spec?.holderIdentity;
      if (holder && holder !== o.node && this.holderAlive(holder, now)) continue;
      this.writes.exclusive(name, () =>
        o.leases
          .delete(o.namespace, name, lease.metadata.resourceVersion)
          .then(() => o.log.info('removed a Lease of the previous name', { lease: name }))
          .catch((err: unknown) => {
            if (!isConflict(err) && !isNotFound(err))
              o.log.warn('legacy lease removal failed', { lease: name, error: err });
          }),
      );
    }
  }

  /** Announcers of the previous version send no heartbeat frames: their node Lease decides. */
  private holderAlive(holder: string, now: number): boolean {
    if (this.c.wire.liveness.heardOnWire(holder)) return true;
    // Read as often as it renewed (500 ms), only while a Lease of the old name is held by it.
    this.heartbeats.want(holder, now, LEGACY_RENEW_MS);
    const seen = this.c.view.heartbeat(holder);
    return seen !== undefined && now - seen < LEGACY_HEARTBEAT_MS;
  }
}
