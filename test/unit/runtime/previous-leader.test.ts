// A replica of this release waits for a leader of the previous release (Lease in the old
// namespace) before electing itself, on a fake clock: never two leaders allocating at once.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { waitForPreviousLeader, type PreviousLeaderOutcome } from '../../../src/runtime/previous-leader.js';
import { MemoryLeaseStore } from '../../helpers/memory-lease-store.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { KubeApiError } from '../../../src/runtime/ports/api-error.js';

const NS = 'lanlb-system';
const NAME = 'lanlb-controller';

function setup() {
  const store = new MemoryLeaseStore();
  const clock = new FakeClock();
  const stop = new AbortController();
  let outcome: PreviousLeaderOutcome | undefined;
  const waiting: string[] = [];
  const start = () => {
    void waitForPreviousLeader(
      {
        store,
        clock,
        namespace: NS,
        name: NAME,
        leaseDurationMs: 15_000,
        retryPeriodMs: 2_000,
        onWaiting: (h) => waiting.push(h),
      },
      stop.signal,
    ).then((o) => (outcome = o));
  };
  return { store, clock, stop, start, waiting, outcome: () => outcome };
}

const lease = (holder: string, renewTime: string) => ({
  metadata: { name: NAME, namespace: NS },
  spec: { holderIdentity: holder, renewTime, leaseDurationSeconds: 15 },
});

describe('waitForPreviousLeader', () => {
  it('no old Lease: elect at once', async () => {
    const t = setup();
    t.start();
    await t.clock.settle();
    assert.equal(t.outcome(), 'none');
  });

  it('an unreadable old Lease (403): elect at once', async () => {
    const t = setup();
    t.store.failWith = new KubeApiError(403, 'Forbidden', 'no');
    t.start();
    await t.clock.settle();
    assert.equal(t.outcome(), 'unreadable');
  });

  it('a live old leader is waited for until it releases', async () => {
    const t = setup();
    await t.store.create(lease('old-0', 't0'));
    t.start();
    await t.clock.advance(10_000);
    assert.equal(t.outcome(), undefined);
    assert.deepEqual(t.waiting, ['old-0']);
    const current = await t.store.get(NS, NAME);
    assert.ok(current, 'the Lease exists');
    await t.store.update({ ...current, spec: { ...current.spec, holderIdentity: '' } });
    await t.clock.advance(2_000);
    assert.equal(t.outcome(), 'released');
  });

  it('an old leader that keeps renewing is waited for; once silent for leaseDuration, elect', async () => {
    const t = setup();
    await t.store.create(lease('old-0', 't0'));
    t.start();
    for (let i = 1; i <= 10; i++) {
      await t.clock.advance(2_000);
      const current = await t.store.get(NS, NAME);
      assert.ok(current, 'the Lease exists');
      await t.store.update({ ...current, spec: { ...current.spec, renewTime: `t${i}` } });
    }
    assert.equal(t.outcome(), undefined, 'still renewing after 20 s');
    await t.clock.advance(14_000);
    assert.equal(t.outcome(), undefined, 'silent for only 14 s');
    await t.clock.advance(4_000);
    assert.equal(t.outcome(), 'expired');
  });
});
