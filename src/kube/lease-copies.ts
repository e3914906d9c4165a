// Service Lease copies (L2Announcement, l2/election/lease-copy.ts says why) on the apiserver. The
// announcer that writes a Service Lease writes its copy right after (CopyingLeaseStore); the
// controller repairs what that misses (a writer that died between the two writes, a Lease written
// by an announcer of a previous release or by hand: kube/lease-copier.ts). Every copy write is
// fenced twice: by the copy's own resourceVersion, and by the rule that a copy only moves to a
// later Lease version, so two writers racing leave the later Lease's copy, whichever lands last.
import type { KubeHttp } from './http.js';
import { L2AnnouncementV1beta1GVK as CopyGVK, type L2Announcement } from '../../generated/index.js';
import { copyAction } from '../l2/election/lease-copy.js';
import { LEASE_TYPE_LABEL } from '../l2/election/lease-names.js';
import { isConflict, isNotFound, statusCodeOf } from '../runtime/ports/api-error.js';
import type { Lease, LeaseStore } from '../runtime/ports/lease-store.js';
import type { LeaseObject } from '../core/kube-objects.js';
import type { Logger } from '../runtime/ports/logger.js';

/** Conflicting writers of one copy are few (the Lease let one win); a few retries settle it. */
const ATTEMPTS = 4;
/**
 * A copy write that failed on the way (the connection closed, the apiserver overloaded after an
 * outage: 5xx, 429) is tried again, backing off, for this long: until then the others see the
 * previous holder, and only the controller would repair it, which may be down too (found by the
 * L2 chaos run: a restarted announcer answered, for seconds, VIPs whose copies still named it).
 */
export const COPY_RETRY_FOR_MS = 60_000;

const transient = (err: unknown): boolean => {
  const code = statusCodeOf(err);
  return code === undefined || code >= 500 || code === 429;
};

export function leaseCopiesPath(namespace: string, name?: string): string {
  const base = `/apis/${CopyGVK.apiVersion}/namespaces/${encodeURIComponent(namespace)}/${CopyGVK.plural}`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

export class LeaseCopies {
  /** lease name -> the copy write in flight, so one name's writes land in order */
  private readonly chains = new Map<string, Promise<void>>();
  /** lease name -> how many follows it has had: a retry stops once a later one is queued */
  private readonly generation = new Map<string, number>();
  /** lease name -> ends the backoff of the write under way: a later Lease of the name is queued */
  private readonly superseded = new Map<string, () => void>();

  constructor(
    private readonly http: KubeHttp,
    private readonly log: Logger,
    private readonly wait: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
    /** each copy write waits this long first: fault injection for tests (a slow apiserver) */
    private readonly delayMs = 0,
  ) {}

  /**
   * Waits for the copy writes under way, at most `maxMs`. A process on its way out calls it before
   * its connection closes: found by the L2 chaos run, the exit cut the copies of the hand-overs it
   * had just written, and the successors learnt they were named only when the controller repaired
   * the copies (1 s later; not at all while the controller was down): their VIPs were dark 1.2-12 s.
   */
  async settled(maxMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), maxMs)));
    const all = Promise.all([...this.chains.values()]).then(() => true);
    const done = await Promise.race([all, late]);
    clearTimeout(timer);
    return done;
  }

  /** Brings the copy of `lease` up to it (undefined `lease`: the Lease `name` is gone). */
  follow(namespace: string, name: string, lease: LeaseObject | undefined): Promise<void> {
    const prev = this.chains.get(name) ?? Promise.resolve();
    const generation = (this.generation.get(name) ?? 0) + 1;
    this.generation.set(name, generation);
    this.superseded.get(name)?.();
    const next = prev
      .then(() => (this.delayMs > 0 ? this.wait(this.delayMs) : undefined))
      .then(() => this.settle(namespace, name, lease, generation))
      .catch((err: unknown) => this.log.warn('lease copy not written', { lease: name, error: err }));
    this.chains.set(name, next);
    void next.finally(() => {
      if (this.chains.get(name) !== next) return;
      this.chains.delete(name);
      this.generation.delete(name);
      this.superseded.delete(name);
    });
    return next;
  }

  private async settle(namespace: string, name: string, lease: LeaseObject | undefined, generation: number) {
    let backoffMs = 500;
    let waitedMs = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        const copy = await this.http
          .get<L2Announcement>(leaseCopiesPath(namespace, name))
          .catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
        await this.apply(namespace, name, lease, copy);
        return;
      } catch (err) {
        // Another writer moved the copy meanwhile: read it again and decide again.
        if ((isConflict(err) || isNotFound(err)) && attempt < ATTEMPTS) continue;
        if (!transient(err) || waitedMs >= COPY_RETRY_FOR_MS) throw err;
        await this.backoff(name, backoffMs);
        waitedMs += backoffMs;
        backoffMs = Math.min(backoffMs * 2, 10_000);
        // A later Lease of this name is queued: its copy supersedes this one.
        if (this.generation.get(name) !== generation) return;
      }
    }
  }

  /**
   * Waits `ms`, or less when a later Lease of the name is queued. Found by the 30-minute L2 chaos
   * run: a takeover's copy queued behind a write backing off (up to 10 s) after a long apiserver
   * freeze; the others still saw the previous holder when the new one was killed, and its VIP went dark.
   */
  private backoff(name: string, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.superseded.set(name, resolve);
      void this.wait(ms).then(resolve);
    });
  }

  private async apply(
    namespace: string,
    name: string,
    lease: LeaseObject | undefined,
    copy: L2Announcement | undefined,
  ): Promise<void> {
    const action = copyAction(lease, copy);
    if (action.kind === 'none') return;
    if (action.kind === 'delete') {
      const preconditions = { resourceVersion: copy?.metadata.resourceVersion };
      await this.http.delete(leaseCopiesPath(namespace, name), {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        preconditions,
      });
      return;
    }
    const body = { ...action.copy, metadata: { ...action.copy.metadata, namespace, name } };
    if (!copy) await this.http.post(leaseCopiesPath(namespace), body);
    else
      await this.http.put(leaseCopiesPath(namespace, name), {
        ...body,
        metadata: { ...body.metadata, resourceVersion: copy.metadata.resourceVersion },
      });
  }
}

/**
 * The Lease port that keeps Service Leases' copies: each Service Lease written or deleted is
 * followed by its copy, without waiting for it (the writer's own view comes from the Lease it
 * wrote; others see the copy one write later). Node heartbeat Leases are not copied: their
 * renewals are what no announcer must see.
 */
export class CopyingLeaseStore implements LeaseStore {
  constructor(
    private readonly inner: LeaseStore,
    private readonly copies: LeaseCopies,
  ) {}

  get(namespace: string, name: string): Promise<Lease | undefined> {
    return this.inner.get(namespace, name);
  }

  async create(lease: Lease): Promise<Lease> {
    return this.copied(await this.inner.create(lease));
  }

  async update(lease: Lease): Promise<Lease> {
    return this.copied(await this.inner.update(lease));
  }

  async delete(namespace: string, name: string, resourceVersion: string | undefined): Promise<void> {
    await this.inner.delete(namespace, name, resourceVersion);
    void this.copies.follow(namespace, name, undefined);
  }

  private copied(written: Lease): Lease {
    if (written.metadata.labels?.[LEASE_TYPE_LABEL] !== 'node')
      void this.copies.follow(written.metadata.namespace, written.metadata.name, written as LeaseObject);
    return written;
  }
}
