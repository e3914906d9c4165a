import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue } from '../../../src/runtime/work-queue.js';
import { ReconcileLoop } from '../../../src/runtime/reconcile-loop.js';
import { FakeClock } from '../../helpers/fake-clock.js';

describe('ReconcileLoop (controller-runtime contract)', () => {
  const table: Array<{
    name: string;
    result: () => Promise<{ requeueAfterMs?: number } | void>;
    retries: number;
    requeuedWithinMs?: number;
  }> = [
    { name: 'success forgets the key and does not requeue', result: async () => undefined, retries: 0 },
    {
      name: 'error requeues with backoff and counts a retry',
      result: async () => {
        throw new Error('boom');
      },
      retries: 1,
      requeuedWithinMs: 5,
    },
    {
      name: 'requeueAfter forgets the backoff and requeues after the delay',
      result: async () => ({ requeueAfterMs: 300 }),
      retries: 0,
      requeuedWithinMs: 300,
    },
  ];
  for (const row of table) {
    it(row.name, async () => {
      const clock = new FakeClock();
      const q = new WorkQueue<string>(clock);
      q.addRateLimited('k'); // one earlier failure: success or requeueAfter must forget it
      await clock.advance(5);
      const errors: unknown[] = [];
      const loop = new ReconcileLoop('t', q, row.result, { onError: (_k, e) => errors.push(e) });
      const key = await q.get();
      assert.equal(key, 'k');
      await loop.processOne('k');
      assert.equal(q.retries('k'), row.name.startsWith('error') ? 2 : 0);
      assert.equal(errors.length, row.name.startsWith('error') ? 1 : 0, 'errors are reported, never swallowed');
      assert.equal(q.length, 0);
      if (row.requeuedWithinMs !== undefined) {
        await clock.advance(row.requeuedWithinMs * 2);
        assert.equal(q.length, 1);
      } else {
        await clock.advance(10_000);
        assert.equal(q.length, 0);
      }
    });
  }

  it('runs workers until the queue shuts down, each key once per burst', async () => {
    const q = new WorkQueue<string>(new FakeClock());
    const seen: string[] = [];
    const loop = new ReconcileLoop('t', q, async (k) => {
      seen.push(k);
    });
    for (const k of ['a', 'b', 'a', 'c', 'b']) q.add(k);
    const running = loop.run(2);
    await new Promise((r) => setImmediate(r));
    q.shutDown();
    await running;
    assert.deepEqual(seen.sort(), ['a', 'b', 'c']);
  });
});
