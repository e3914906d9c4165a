// Leader election on a coordination.k8s.io/v1 Lease with client-go's semantics
// (k8s.io/client-go/tools/leaderelection):
// - durations are validated: leaseDuration > renewDeadline > 1.2 x retryPeriod;
// - another holder's clock is never trusted: a Lease is expired when the local clock has seen no
//   change of its record for leaseDuration;
// - writes are optimistic (resourceVersion), so the apiserver arbitrates between contenders;
// - a leader that cannot renew within renewDeadline stops leading, before the Lease can expire
//   for the others (renewDeadline < leaseDuration);
// - on stop a leader releases by writing an empty holder; onStoppedLeading always runs.
import { isDeepStrictEqual } from 'node:util';
import { sleep, systemClock, type Clock } from './clock.js';
import { claimRecord, releaseRecord } from './lease-record.js';
import type { Lease, LeaseSpec, LeaseStore } from './ports/lease-store.js';

export interface ElectorTimings {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** client-go's defaults for controllers (kube-controller-manager uses the same). */
export const defaultElectorTimings: ElectorTimings = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

export const JITTER_FACTOR = 1.2;

export function validateTimings(t: ElectorTimings): void {
  if (!(t.retryPeriodMs > 0)) throw new RangeError('retryPeriod must be greater than zero');
  if (!(t.leaseDurationMs > t.renewDeadlineMs))
    throw new RangeError('leaseDuration must be greater than renewDeadline');
  if (!(t.renewDeadlineMs > JITTER_FACTOR * t.retryPeriodMs)) {
    throw new RangeError(`renewDeadline must be greater than retryPeriod*${JITTER_FACTOR}`);
  }
  if (t.leaseDurationMs < 1000)
    throw new RangeError('leaseDuration must be at least 1s (Lease durations are whole seconds)');
}

export interface LeaseElectorOptions extends Partial<ElectorTimings> {
  store: LeaseStore;
  namespace: string;
  name: string;
  identity: string;
  clock?: Clock;
  /** Write an empty holder when stopping, so a successor need not wait for expiry. Default true. */
  releaseOnStop?: boolean;
  /** Jitter on retry waits; tests set it to 0 for determinism. Default 1.2 (client-go). */
  jitterFactor?: number;
  onStartedLeading?(signal: AbortSignal): void;
  /** Awaited before the elector releases the Lease, so in-flight work ends first. */
  onStoppedLeading?(): void | Promise<void>;
  onNewLeader?(identity: string): void;
  /** Called with the local time of every successful acquire or renewal. */
  onRenewed?(at: number): void;
  onError?(err: unknown): void;
  /** Labels put on the Lease when it is created. */
  labels?: Record<string, string>;
}

export class LeaseElector {
  readonly timings: ElectorTimings;
  private readonly clock: Clock;
  /** the Lease spec last seen, and when (local clock) it was first seen in that state */
  private observed: { spec: LeaseSpec; resourceVersion?: string; at: number } | undefined;
  private leading = false;
  private reportedLeader: string | undefined;

  constructor(private readonly o: LeaseElectorOptions) {
    this.timings = {
      leaseDurationMs: o.leaseDurationMs ?? defaultElectorTimings.leaseDurationMs,
      renewDeadlineMs: o.renewDeadlineMs ?? defaultElectorTimings.renewDeadlineMs,
      retryPeriodMs: o.retryPeriodMs ?? defaultElectorTimings.retryPeriodMs,
    };
    validateTimings(this.timings);
    this.clock = o.clock ?? systemClock;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** When the last renewal of this term succeeded (clock ms). */
  private lastRenew = Number.NEGATIVE_INFINITY;

  /**
   * Leading, and by this node's clock still within renewDeadline of the last successful renewal.
   * A process that was paused (SIGSTOP, a long GC, a VM freeze) resumes with timers and buffered
   * events that run before its next renewal can tell it that it lost: every write checks this
   * first, so nothing goes out on a leadership that may already belong to another replica.
   */
  holdsLeadership(): boolean {
    return this.leading && this.clock.now() - this.lastRenew < this.timings.renewDeadlineMs;
  }

  /** The holder named by the last Lease record seen ('' when none). */
  get observedHolder(): string {
    return this.observed?.spec.holderIdentity ?? '';
  }

  /** Campaigns, leads, and campaigns again after losing the lease, until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (!(await this.acquire(signal))) break;
      await this.lead(signal);
    }
    if (this.o.releaseOnStop !== false) await this.release();
  }

  private async acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew()) return true;
      await sleep(this.clock, this.jittered(this.timings.retryPeriodMs), signal);
    }
    return false;
  }

  private async lead(signal: AbortSignal): Promise<void> {
    const leadership = new AbortController();
    const stopLeading = (): void => leadership.abort();
    signal.addEventListener('abort', stopLeading, { once: true });
    this.leading = true;
    this.o.onStartedLeading?.(leadership.signal);
    try {
      this.lastRenew = this.clock.now();
      while (!signal.aborted) {
        await sleep(this.clock, this.timings.retryPeriodMs, signal);
        if (signal.aborted) break;
        // client-go bounds every renewal by renewDeadline: a call that hangs must not keep us leading.
        const left = this.timings.renewDeadlineMs - (this.clock.now() - this.lastRenew);
        if (await this.withinDeadline(this.tryAcquireOrRenew(), left)) {
          this.lastRenew = this.clock.now();
        } else if (this.clock.now() - this.lastRenew >= this.timings.renewDeadlineMs || this.lostToAnother()) {
          break;
        }
      }
    } finally {
      signal.removeEventListener('abort', stopLeading);
      this.leading = false;
      leadership.abort();
      try {
        await this.o.onStoppedLeading?.();
      } catch (err) {
        this.o.onError?.(err);
      }
    }
  }

  /** The attempt's outcome, or false once `ms` have passed on the clock without one. */
  private withinDeadline(attempt: Promise<boolean>, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const cancel = this.clock.schedule(() => resolve(false), Math.max(0, ms));
      void attempt.then((ok) => {
        cancel();
        resolve(ok);
      });
    });
  }

  /** True when a Lease record names someone else: stop at once instead of waiting out the deadline. */
  private lostToAnother(): boolean {
    const holder = this.observed?.spec.holderIdentity;
    return Boolean(holder) && holder !== this.o.identity;
  }

  /** One attempt; true when we hold the Lease afterwards. Errors count as a failed attempt. */
  async tryAcquireOrRenew(): Promise<boolean> {
    try {
      return await this.attempt();
    } catch (err) {
      this.o.onError?.(err);
      return false;
    }
  }

  private async attempt(): Promise<boolean> {
    const now = this.clock.now();
    const current = await this.o.store.get(this.o.namespace, this.o.name);
    const mine = claimRecord(this.o.identity, this.timings.leaseDurationMs, now, current?.spec);
    if (!current) {
      const created = await this.o.store.create({
        metadata: { name: this.o.name, namespace: this.o.namespace, labels: this.o.labels },
        spec: mine,
      });
      this.observe(created, now);
      this.o.onRenewed?.(now);
      return true;
    }
    this.observe(current, now);
    const holder = current.spec.holderIdentity ?? '';
    const observedAt = this.observed?.at ?? now;
    if (holder !== '' && holder !== this.o.identity && observedAt + this.timings.leaseDurationMs > now) return false;
    const updated = await this.o.store.update({ metadata: { ...current.metadata }, spec: mine });
    this.observe(updated, now);
    this.o.onRenewed?.(now);
    return true;
  }

  private observe(lease: Lease, now: number): void {
    if (!this.observed || !isDeepStrictEqual(this.observed.spec, lease.spec)) {
      this.observed = { spec: lease.spec, resourceVersion: lease.metadata.resourceVersion, at: now };
    }
    const holder = lease.spec.holderIdentity ?? '';
    if (holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      if (holder) this.o.onNewLeader?.(holder);
    }
  }

  /** Writes an empty holder if the last record seen was ours (client-go's release()). */
  async release(): Promise<boolean> {
    if (this.observed?.spec.holderIdentity !== this.o.identity) return false;
    try {
      const current = await this.o.store.get(this.o.namespace, this.o.name);
      if (!current || current.spec.holderIdentity !== this.o.identity) return false;
      const released = await this.o.store.update({
        metadata: { ...current.metadata },
        spec: releaseRecord(this.clock.now(), current.spec),
      });
      this.observe(released, this.clock.now());
      return true;
    } catch (err) {
      this.o.onError?.(err);
      return false;
    }
  }

  private jittered(ms: number): number {
    const f = this.o.jitterFactor ?? JITTER_FACTOR;
    return f > 0 ? ms + Math.random() * f * ms : ms;
  }
}
