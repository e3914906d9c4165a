// The Kubernetes-side heartbeat of a selected node: Lease lanlb-node-<node>, renewed at kubelet
// rates (every 10 s). It is how nodes that never hear each other on the LAN judge each other
// (docs/contract.md: the slower Kubernetes-side liveness); liveness between nodes that do hear each other
// travels in heartbeat frames. Like kubelet's node Lease, a renewal is one PUT built from the last
// response, with no GET before it; only a conflict or a missing Lease costs a GET or a create.
import type { Clock } from '../runtime/clock.js';
import { claimRecord } from '../runtime/lease-record.js';
import { isConflict, isNotFound } from '../runtime/ports/api-error.js';
import { LEASE_TYPE_LABEL, nodeLeaseName } from '../l2/election/lease-names.js';
import type { Lease, LeaseStore } from '../runtime/ports/lease-store.js';
import type { AnnouncerOptions, AnnouncerTimings } from './options.js';

export interface NodeHeartbeatOptions {
  store: LeaseStore;
  clock: Clock;
  namespace: string;
  node: string;
  /** written as leaseDurationSeconds: how long others wait before judging this node gone */
  durationMs: number;
  renewEveryMs: number;
  onError(err: unknown): void;
}

export class NodeHeartbeat {
  private last: Lease | undefined;
  private cancel: (() => void) | undefined;
  private running = false;
  private inFlight: Promise<void> = Promise.resolve();
  /** since when every renewal has succeeded (undefined after a failure, until the next success) */
  private healthySince: number | undefined;

  constructor(private readonly o: NodeHeartbeatOptions) {}

  get active(): boolean {
    return this.running;
  }

  /**
   * The apiserver has taken every renewal for at least `ms`: only then is another node's silent
   * Kubernetes-side heartbeat evidence of its death, not of our own (or the apiserver's) outage.
   */
  healthyFor(ms: number): boolean {
    return this.healthySince !== undefined && this.o.clock.now() - this.healthySince >= ms;
  }

  /** Starts renewing (a node a policy selects); idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.renewSoon(0);
  }

  /** Stops renewing (no policy selects the node any more, or shutdown); nothing more is written. */
  async stop(): Promise<void> {
    this.running = false;
    this.cancel?.();
    await this.inFlight;
  }

  private renewSoon(ms: number): void {
    this.cancel = this.o.clock.schedule(() => {
      if (!this.running) return;
      this.inFlight = this.renew().finally(() => {
        if (this.running) this.renewSoon(this.o.renewEveryMs);
      });
    }, ms);
  }

  private async renew(): Promise<void> {
    const ok = await this.tryRenew();
    if (!ok) this.healthySince = undefined;
    else this.healthySince ??= this.o.clock.now();
  }

  private async tryRenew(): Promise<boolean> {
    try {
      this.last = await this.write(this.last);
      return true;
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) {
        // Someone else wrote it (or it was deleted): read once, then write on top of that.
        try {
          this.last = await this.write(await this.o.store.get(this.o.namespace, nodeLeaseName(this.o.node)));
          return true;
        } catch (again) {
          this.last = undefined;
          this.o.onError(again);
        }
      } else {
        this.o.onError(err);
      }
      return false;
    }
  }

  private async write(base: Lease | undefined): Promise<Lease> {
    const spec = claimRecord(this.o.node, this.o.durationMs, this.o.clock.now(), base?.spec);
    if (!base) {
      const metadata = {
        name: nodeLeaseName(this.o.node),
        namespace: this.o.namespace,
        labels: { [LEASE_TYPE_LABEL]: 'node' },
      };
      return this.o.store.create({ metadata, spec });
    }
    return this.o.store.update({ metadata: { ...base.metadata }, spec });
  }
}

/** An announcer's own heartbeat Lease, on its options and timings. */
export function announcerHeartbeat(o: AnnouncerOptions, t: AnnouncerTimings): NodeHeartbeat {
  return new NodeHeartbeat({
    store: o.leases,
    clock: o.clock,
    namespace: o.namespace,
    node: o.node,
    durationMs: t.nodeLeaseDurationMs,
    renewEveryMs: t.nodeLeaseRenewMs,
    onError: (err) => o.log.warn('node heartbeat', { error: err }),
  });
}
