// Runs a reconciler over a WorkQueue with controller-runtime's contract: level-triggered (a run
// gets a key, never an event), error -> rate-limited requeue, requeueAfter -> forget + delayed
// add, success -> forget. Errors are logged and counted, never swallowed.
import type { WorkQueue } from './work-queue.js';

export type ReconcileResult = { requeueAfterMs?: number } | void;

export interface ReconcileHooks {
  onError?(key: string, err: unknown, retries: number): void;
  onDuration?(key: string, seconds: number, outcome: 'success' | 'error' | 'requeue'): void;
}

export class ReconcileLoop {
  constructor(
    readonly name: string,
    private readonly queue: WorkQueue<string>,
    private readonly reconcile: (key: string) => Promise<ReconcileResult>,
    private readonly hooks: ReconcileHooks = {},
  ) {}

  /** Runs `workers` workers until the queue shuts down; resolves when all have returned. */
  async run(workers = 1): Promise<void> {
    await Promise.all(Array.from({ length: workers }, () => this.worker()));
  }

  private async worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      await this.processOne(key);
    }
  }

  /** One run for `key`; exported behaviour is what the contract above says. */
  async processOne(key: string): Promise<void> {
    const started = performance.now();
    let outcome: 'success' | 'error' | 'requeue' = 'success';
    try {
      const result = await this.reconcile(key);
      const after = result?.requeueAfterMs;
      this.queue.forget(key);
      if (after !== undefined && after > 0) {
        outcome = 'requeue';
        this.queue.addAfter(key, after);
      }
    } catch (err) {
      outcome = 'error';
      this.hooks.onError?.(key, err, this.queue.retries(key));
      this.queue.addRateLimited(key);
    } finally {
      this.queue.done(key);
      this.hooks.onDuration?.(key, (performance.now() - started) / 1000, outcome);
    }
  }
}
