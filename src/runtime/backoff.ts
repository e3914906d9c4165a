// Per-key exponential backoff, as client-go's ItemExponentialFailureRateLimiter: base * 2^failures,
// capped. Pure: it counts failures and computes delays; the queue does the waiting.

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export const defaultBackoff: BackoffOptions = { baseMs: 5, maxMs: 60_000 };

export class KeyedBackoff<K> {
  /** key -> consecutive failures since the key last succeeded */
  private readonly failures = new Map<K, number>();

  constructor(private readonly options: BackoffOptions = defaultBackoff) {
    if (options.baseMs <= 0 || options.maxMs < options.baseMs) {
      throw new RangeError(`backoff: need 0 < baseMs <= maxMs, got ${options.baseMs}/${options.maxMs}`);
    }
  }

  /** Records one more failure of `key` and returns how long to wait before retrying it. */
  next(key: K): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // 2^n overflows to Infinity long after it passes any sensible cap; Math.min handles both.
    return Math.min(this.options.maxMs, this.options.baseMs * 2 ** n);
  }

  retries(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  forget(key: K): void {
    this.failures.delete(key);
  }
}
