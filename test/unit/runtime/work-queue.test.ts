import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue } from '../../../src/runtime/work-queue.js';
import { KeyedBackoff } from '../../../src/runtime/backoff.js';
import { FakeClock } from '../../helpers/fake-clock.js';

describe('WorkQueue', () => {
  it('collapses a burst of adds for one key into one run', async () => {
    const q = new WorkQueue(new FakeClock());
    for (let i = 0; i < 5; i++) q.add('a');
    q.add('b');
    assert.equal(q.length, 2);
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
    assert.equal(q.length, 0);
  });

  it('never hands one key to two workers at once; a re-add while processing runs after done', async () => {
    const q = new WorkQueue(new FakeClock());
    q.add('a');
    const first = await q.get();
    q.add('a');
    assert.equal(q.length, 0, 'not queued while a worker holds it');
    let second: string | undefined;
    void q.get().then((k) => (second = k));
    await new Promise((r) => setImmediate(r));
    assert.equal(second, undefined);
    q.done(first as string);
    await new Promise((r) => setImmediate(r));
    assert.equal(second, 'a');
  });

  it('addRateLimited backs off exponentially per key and forget resets it', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue(clock, { baseMs: 10, maxMs: 1000 });
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const start = clock.now();
      q.addRateLimited('k');
      let got: string | undefined;
      void q.get().then((k) => (got = k));
      while (got === undefined) await clock.advance(1);
      delays.push(clock.now() - start);
      q.done('k');
    }
    assert.deepEqual(delays, [10, 20, 40, 80]);
    assert.equal(q.retries('k'), 4);
    q.forget('k');
    assert.equal(q.retries('k'), 0);
  });

  it('addAfter keeps only the earliest pending delay and shutDown cancels delays and wakes workers', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue(clock);
    q.addAfter('x', 100);
    q.addAfter('x', 50);
    q.addAfter('x', 200);
    assert.equal(clock.pending, 1);
    await clock.advance(50);
    assert.equal(q.length, 1);
    const waiting = q.get();
    assert.equal(await waiting, 'x');
    q.addAfter('y', 10);
    const blocked = q.get();
    q.shutDown();
    assert.equal(await blocked, undefined);
    assert.equal(clock.pending, 0);
    q.add('z');
    assert.equal(q.length, 0, 'no adds after shutdown');
  });
});

describe('KeyedBackoff', () => {
  it('caps at maxMs, even after many failures', () => {
    const b = new KeyedBackoff<string>({ baseMs: 5, maxMs: 1000 });
    let last = 0;
    for (let i = 0; i < 2000; i++) last = b.next('k');
    assert.equal(last, 1000);
  });

  it('rejects a base of zero or a cap below the base', () => {
    assert.throws(() => new KeyedBackoff({ baseMs: 0, maxMs: 10 }), RangeError);
    assert.throws(() => new KeyedBackoff({ baseMs: 10, maxMs: 5 }), RangeError);
  });
});
