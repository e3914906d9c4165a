// Reads of peers' Kubernetes-side heartbeats (Lease lanlb-node-<node>) when a judgement needs one,
// instead of a watch of every node's: at N selected nodes a watch by every announcer delivers each
// renewal N times (N^2 / 10 events/s, which saturated the apiserver at 1,000 nodes; issue 28).
// Only a peer this node cannot judge on the wire (never heard: another segment, heartbeats
// filtered; or a holder that took a Service from it) is read, at most once per renewal period
// (10 s), so on one segment nothing is read at all, and the apiserver's cost of the heartbeats
// stays kubelet's: N/10 writes/s, each delivered to no watcher.
import type { AnnouncerContext } from './options.js';
import { nodeLeaseName } from '../l2/election/lease-names.js';
import type { LeaseObject } from '../core/kube-objects.js';
import type { Judgement } from '../l2/election/wire-liveness.js';

export class PeerHeartbeats {
  /** node -> when its heartbeat Lease was last asked for */
  private readonly askedAt = new Map<string, number>();
  /** node -> when its Lease was last read (this node's clock) */
  private readonly readAt = new Map<string, number>();
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly c: Pick<AnnouncerContext, 'o' | 't' | 'view' | 'wire' | 'schedule'>,
    /** this node's own heartbeat has been written for `ms` in a row */
    private readonly ownHealthyFor: (ms: number) => boolean,
  ) {}

  /**
   * How this node judges `node` now: on the wire, or by its Kubernetes-side heartbeat (`wire`
   * false: by that alone). That heartbeat's silence counts only while this node's own renewals
   * have gone through for two periods: during and just after an apiserver outage every heartbeat
   * looks silent. `startedAt`: when this announcer started. `signOfLife`: when `node` wrote the
   * Lease being judged (a wire verdict from before then is stale).
   */
  judge(node: string, now: number, onWire: boolean, startedAt: number, signOfLife?: number): Judgement {
    const { t, view } = this.c;
    // Cut off from the LAN, by the look of it: silence on the wire says nothing, the Kubernetes side does.
    const wire = onWire && !this.c.wire.liveness.isolated(now);
    const unheard = !this.c.wire.liveness.heardOnWire(node);
    // Just started, every peer is unheard: give its heartbeat frames a second to arrive before
    // reading its Lease (a restart of N nodes would otherwise read N Leases each).
    if (wire && unheard && now - startedAt < t.wire.intervalMs * 10) return { kind: 'alive' };
    const byKubernetes = !wire || unheard;
    if (byKubernetes) this.want(node, now);
    // Not read lately: its silence is unknown, not evidence (a read is on its way). A read from
    // long ago (made at this node's start, say, before that node's Lease existed) is not either.
    if (byKubernetes && !this.current(node, now)) return { kind: 'alive' };
    const seen = view.heartbeat(node);
    const trusted = this.ownHealthyFor(2 * t.nodeLeaseRenewMs);
    const until = seen === undefined ? undefined : seen + t.nodeLeaseDurationMs;
    const j = this.c.wire.liveness.judge(node, now, until, wire, signOfLife);
    return j.kind === 'dead' && j.by === 'kubernetes' && !trusted ? { kind: 'alive' } : j;
  }

  /** `node` is judged by its heartbeat now: read it unless it was read within `everyMs`. */
  want(node: string, now: number, everyMs = this.c.t.nodeLeaseRenewMs): void {
    if (this.inFlight.has(node) || now - (this.askedAt.get(node) ?? Number.NEGATIVE_INFINITY) < everyMs) return;
    this.askedAt.set(node, now);
    this.inFlight.add(node);
    const { o } = this.c;
    o.metrics.nodeLeaseReads.inc();
    o.leases
      .get(o.namespace, nodeLeaseName(node))
      .then((lease) => {
        this.c.view.observeHeartbeat(node, lease as LeaseObject | undefined);
        this.readAt.set(node, this.c.o.clock.now());
        this.c.schedule(0);
      })
      .catch((err: unknown) => o.log.debug('node heartbeat read failed', { node, error: err }))
      .finally(() => this.inFlight.delete(node));
  }

  /**
   * Whether `node`'s heartbeat was read within two renewal periods (reads come every period while
   * it is judged this way): before that, or after a gap, its silence says nothing.
   */
  current(node: string, now: number): boolean {
    const at = this.readAt.get(node);
    return at !== undefined && now - at <= 2 * this.c.t.nodeLeaseRenewMs;
  }
}
