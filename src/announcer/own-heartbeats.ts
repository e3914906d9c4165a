// This node's heartbeat frames on every capture: at the wire interval while it holds a Service or
// probes a silent holder, else every IDLE_HEARTBEAT_MS (wire-liveness.ts heartbeatInterval). With
// a HeartbeatSender (the answer thread) the plan is handed over whenever it changes and the thread
// sends; without one, frames are sent here when due.
import { sameHeartbeatPlan, type HeartbeatPlan } from '../l2/codec/heartbeat.js';
import { heartbeatInterval } from '../l2/election/wire-liveness.js';
import type { AnnouncerContext } from './options.js';

/**
 * How long a node heartbeats at the full rate after it probed a silent holder. The other watchers
 * of that holder probe it too, at the same moment: each is the others' witness that the LAN still
 * carries frames (WireLiveness.probeSent), and their frames must come within one probe's time.
 */
export const FULL_RATE_AFTER_PROBE_MS = 2_000;

export class OwnHeartbeats {
  private cancel: (() => void) | undefined;
  /** what the HeartbeatSender was last told; when this thread sent frames last (without one) */
  private sentPlan: HeartbeatPlan | undefined;
  private beatAt = Number.NEGATIVE_INFINITY;
  private fullRateUntil = Number.NEGATIVE_INFINITY;
  private stopped = false;

  constructor(private readonly c: Pick<AnnouncerContext, 'o' | 't' | 'wire' | 'dataPlane' | 'announcing'>) {}

  start(): void {
    this.beat();
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
    this.c.o.heartbeats?.heartbeats(undefined);
  }

  /** This node probed a silent holder: the full rate from now (a frame at once, if it was idle). */
  probed(now: number): void {
    const idle = !this.fullRate(now);
    this.fullRateUntil = now + FULL_RATE_AFTER_PROBE_MS;
    if (!idle || this.stopped) return;
    this.cancel?.();
    this.beat();
  }

  private fullRate(now: number): boolean {
    return this.c.announcing.size > 0 || now < this.fullRateUntil;
  }

  private beat(): void {
    if (this.stopped) return;
    const { o, t, wire, dataPlane } = this.c;
    const now = o.clock.now();
    const full = this.fullRate(now);
    if (o.heartbeats) {
      const plan = wire.plan(full);
      if (!sameHeartbeatPlan(plan, this.sentPlan)) o.heartbeats.heartbeats(plan);
      this.sentPlan = plan;
    } else if (now - this.beatAt >= heartbeatInterval(t.wire.intervalMs, full) - 1) {
      this.beatAt = now;
      const sent = dataPlane.sendOnEach((mac) => wire.heartbeat(mac, full));
      if (sent > 0) o.metrics.heartbeats.inc({ outcome: 'sent' }, sent);
    }
    this.cancel = o.clock.schedule(() => this.beat(), t.wire.intervalMs);
  }
}
