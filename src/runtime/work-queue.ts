// A keyed work queue with client-go's workqueue semantics:
// - a key queued many times before it is taken runs once (dedup);
// - a key is never handed to two workers at once: re-added while processing, it is queued again
//   only when `done` is called;
// - `addRateLimited` delays by per-key exponential backoff, `forget` resets it;
// - `addAfter` delays without touching the backoff.
import { KeyedBackoff, defaultBackoff, type BackoffOptions } from './backoff.js';
import { systemClock, type Clock } from './clock.js';

export class WorkQueue<K = string> {
  /** keys waiting to be taken, in order */
  private readonly queue: K[] = [];
  /** keys that must run (again): queued, or re-added while processing */
  private readonly dirty = new Set<K>();
  /** keys a worker holds now */
  private readonly processing = new Set<K>();
  /** key -> cancel function of its pending delayed add (only the earliest is kept) */
  private readonly delayed = new Map<K, { at: number; cancel: () => void }>();
  /** workers waiting for a key */
  private readonly waiters: Array<(key: K | undefined) => void> = [];
  private readonly backoff: KeyedBackoff<K>;
  private shuttingDown = false;

  constructor(
    private readonly clock: Clock = systemClock,
    backoff: BackoffOptions = defaultBackoff,
  ) {
    this.backoff = new KeyedBackoff<K>(backoff);
  }

  get length(): number {
    return this.queue.length;
  }

  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.take(key);
      waiter(key);
    } else {
      this.queue.push(key);
    }
  }

  addAfter(key: K, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = this.clock.now() + ms;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    pending?.cancel();
    const cancel = this.clock.schedule(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, cancel });
  }

  addRateLimited(key: K): void {
    this.addAfter(key, this.backoff.next(key));
  }

  forget(key: K): void {
    this.backoff.forget(key);
  }

  retries(key: K): number {
    return this.backoff.retries(key);
  }

  /**
   * The next key, or undefined once the queue shuts down: keys still queued then are not handed
   * out (a leader that lost its Lease must stop at once). Call `done(key)` when finished.
   */
  get(): Promise<K | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) {
      this.take(key);
      return Promise.resolve(key);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: K): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
  }

  shutDown(): void {
    this.shuttingDown = true;
    this.queue.length = 0;
    this.dirty.clear();
    for (const { cancel } of this.delayed.values()) cancel();
    this.delayed.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  private take(key: K): void {
    this.dirty.delete(key);
    this.processing.add(key);
  }
}
