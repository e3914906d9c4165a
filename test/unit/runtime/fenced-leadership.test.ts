// Fenced leadership (client-go's contract): every renewal is bounded by renewDeadline, losing the
// Lease stops all work at once, and nothing is written after it. Fake clock, in-memory store.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LeaseElector } from '../../../src/runtime/lease-elector.js';
import { WorkQueue } from '../../../src/runtime/work-queue.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { MemoryLeaseStore } from '../../helpers/memory-lease-store.js';
import type { Lease } from '../../../src/runtime/ports/lease-store.js';

/** A store whose calls hang (never answer) once `hang` is set: an apiserver that froze mid-call. */
class HangingStore extends MemoryLeaseStore {
  hang = false;
  private stall<T>(p: () => Promise<T>): Promise<T> {
    return this.hang ? new Promise<T>(() => undefined) : p();
  }
  override get(ns: string, name: string) {
    return this.stall(() => super.get(ns, name));
  }
  override update(l: Lease) {
    return this.stall(() => super.update(l));
  }
}

describe('fenced leadership', () => {
  it('a renewal that hangs ends leadership at renewDeadline, not never', async () => {
    const clock = new FakeClock();
    const store = new HangingStore();
    const log: string[] = [];
    const timings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };
    const e = new LeaseElector({
      store,
      clock,
      identity: 'a',
      namespace: 'ns',
      name: 'lock',
      jitterFactor: 0,
      releaseOnStop: false,
      ...timings,
      onStartedLeading: () => log.push(`started@${clock.now()}`),
      onStoppedLeading: () => void log.push(`stopped@${clock.now()}`),
    });
    const stop = new AbortController();
    const running = e.run(stop.signal);
    await clock.advance(100);
    assert.equal(e.isLeader, true);
    const hungAt = clock.now();
    store.hang = true;
    await clock.advance(timings.renewDeadlineMs + timings.retryPeriodMs);
    assert.equal(e.isLeader, false, 'a hung renewal must not keep it leading');
    const stoppedAt = Number(log.find((l) => l.startsWith('stopped@'))?.slice(8));
    assert.ok(stoppedAt - hungAt <= timings.renewDeadlineMs, `stopped ${stoppedAt - hungAt} ms after the hang`);
    stop.abort();
    store.hang = false;
    await clock.advance(30_000);
    void running;
  });

  describe('holdsLeadership() by time alone (a paused leader resumes before its timers run)', () => {
    const timings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };
    /** A leader that has just renewed; then the process "pauses": time jumps, no timer runs. */
    async function leaderJustRenewed() {
      const clock = new FakeClock();
      const store = new MemoryLeaseStore();
      const e = new LeaseElector({
        store,
        clock,
        identity: 'a',
        namespace: 'ns',
        name: 'lock',
        jitterFactor: 0,
        releaseOnStop: false,
        ...timings,
        onStartedLeading: () => undefined,
        onStoppedLeading: () => undefined,
      });
      const stop = new AbortController();
      const running = e.run(stop.signal);
      await clock.advance(timings.retryPeriodMs); // acquired at 0, renewed at 2 s
      assert.equal(e.holdsLeadership(), true, 'leading right after a renewal');
      return { clock, e, stop, running };
    }
    const cases: Array<[string, number, boolean]> = [
      ['1 ms before renewDeadline', timings.renewDeadlineMs - 1, true],
      ['at renewDeadline', timings.renewDeadlineMs, false],
      ['between renewDeadline and leaseDuration', (timings.renewDeadlineMs + timings.leaseDurationMs) / 2, false],
      [
        '1 ms before leaseDuration (another replica may take over at leaseDuration)',
        timings.leaseDurationMs - 1,
        false,
      ],
      ['long after leaseDuration', 10 * timings.leaseDurationMs, false],
    ];
    for (const [when, pausedMs, holds] of cases) {
      it(`paused, resumed ${when} after its last renewal: ${holds ? 'still leads' : 'writes nothing'}`, async () => {
        const { clock, e, stop, running } = await leaderJustRenewed();
        clock.jump(pausedMs);
        assert.equal(e.isLeader, true, 'its renewal loop has not run yet: the flag alone would say leading');
        assert.equal(e.holdsLeadership(), holds, `holdsLeadership() ${pausedMs} ms after the renewal`);
        stop.abort();
        await clock.advance(timings.leaseDurationMs);
        await running;
      });
    }
  });

  it('a shut-down work queue hands out no queued key', async () => {
    const q = new WorkQueue<string>(new FakeClock());
    q.add('a');
    q.add('b');
    assert.equal(await q.get(), 'a');
    q.shutDown();
    assert.equal(await q.get(), undefined, 'b stays queued but is not handed out');
    q.add('c');
    assert.equal(await q.get(), undefined);
  });
});
