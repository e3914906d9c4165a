import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LeaseElector, defaultElectorTimings, validateTimings } from '../../../src/runtime/lease-elector.js';
import { formatMicroTime, parseMicroTime } from '../../../src/runtime/micro-time.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { MemoryLeaseStore } from '../../helpers/memory-lease-store.js';

const timings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

function elector(store: MemoryLeaseStore, clock: FakeClock, identity: string, events: string[] = []) {
  return new LeaseElector({
    store,
    clock,
    identity,
    namespace: 'ns',
    name: 'lock',
    jitterFactor: 0,
    ...timings,
    onStartedLeading: () => events.push(`${identity}:started`),
    onStoppedLeading: () => {
      events.push(`${identity}:stopped`);
    },
    onNewLeader: (id) => events.push(`${identity}:sees:${id}`),
  });
}

describe('LeaseElector timings', () => {
  it('defaults to client-go leaderelection defaults (15s/10s/2s)', () => {
    assert.deepEqual(defaultElectorTimings, { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 });
  });

  const invalid: Array<[string, typeof timings]> = [
    ['leaseDuration <= renewDeadline', { leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }],
    ['renewDeadline <= 1.2 x retryPeriod', { leaseDurationMs: 15_000, renewDeadlineMs: 2_400, retryPeriodMs: 2_000 }],
    ['retryPeriod of zero', { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 0 }],
    ['leaseDuration under a second', { leaseDurationMs: 900, renewDeadlineMs: 500, retryPeriodMs: 100 }],
  ];
  for (const [name, t] of invalid) {
    it(`rejects ${name}`, () => assert.throws(() => validateTimings(t), RangeError));
  }
});

describe('LeaseElector', () => {
  it('creates the Lease when missing and writes microsecond times', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1) + 0.123456 * 1000 + 0.0005);
    const store = new MemoryLeaseStore();
    const e = elector(store, clock, 'a');
    assert.equal(await e.tryAcquireOrRenew(), true);
    const lease = store.peek('ns', 'lock');
    assert.equal(lease?.spec.holderIdentity, 'a');
    assert.equal(lease?.spec.leaseDurationSeconds, 15);
    assert.equal(lease?.spec.leaseTransitions, 0);
    assert.match(lease?.spec.renewTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.equal(lease?.spec.renewTime, '2026-01-01T00:00:00.123456Z');
  });

  it("never trusts the holder's clock: expiry counts from when this node last saw the record change", async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const a = elector(store, clock, 'a');
    const b = elector(store, clock, 'b');
    assert.equal(await a.tryAcquireOrRenew(), true);
    // a's renewTime is written with a's clock; pretend it is far in the past.
    const lease = store.peek('ns', 'lock');
    if (lease) lease.spec.renewTime = '2000-01-01T00:00:00.000000Z';
    assert.equal(await b.tryAcquireOrRenew(), false, "first sighting starts b's own timer");
    await clock.advance(14_999);
    assert.equal(await b.tryAcquireOrRenew(), false);
    await clock.advance(1);
    assert.equal(await b.tryAcquireOrRenew(), true, "expired after leaseDuration on b's clock");
    assert.equal(store.peek('ns', 'lock')?.spec.leaseTransitions, 1);
  });

  it("a renewal by the holder restarts the others' timers", async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const a = elector(store, clock, 'a');
    const b = elector(store, clock, 'b');
    await a.tryAcquireOrRenew();
    await b.tryAcquireOrRenew();
    await clock.advance(10_000);
    await a.tryAcquireOrRenew();
    await b.tryAcquireOrRenew();
    await clock.advance(10_000);
    assert.equal(await b.tryAcquireOrRenew(), false, '10s since the renewal b saw, not 20s');
  });

  it('exactly one of two contenders leads; release hands over at once; onStoppedLeading always runs', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const events: string[] = [];
    const stopA = new AbortController();
    const stopB = new AbortController();
    const a = elector(store, clock, 'a', events);
    const b = elector(store, clock, 'b', events);
    const runA = a.run(stopA.signal);
    await clock.settle();
    const runB = b.run(stopB.signal);
    await clock.advance(6_000);
    assert.equal(a.isLeader, true);
    assert.equal(b.isLeader, false);
    stopA.abort();
    await runA;
    assert.equal(store.peek('ns', 'lock')?.spec.holderIdentity, '', 'released by writing an empty holder');
    await clock.advance(2_000);
    assert.equal(b.isLeader, true, 'b takes over at its next retry, not after leaseDuration');
    stopB.abort();
    await runB;
    assert.deepEqual(
      events.filter((e) => e.endsWith('started') || e.endsWith('stopped')),
      ['a:started', 'a:stopped', 'b:started', 'b:stopped'],
    );
  });

  it('a leader that cannot renew stops leading within renewDeadline, before the others may take over', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const events: string[] = [];
    const stop = new AbortController();
    const a = elector(store, clock, 'a', events);
    const run = a.run(stop.signal);
    await clock.advance(1);
    assert.equal(a.isLeader, true);
    const lastRenew = clock.now();
    store.failWith = new Error('apiserver unreachable');
    let stoppedAt = 0;
    while (a.isLeader && clock.now() - lastRenew < 60_000) {
      await clock.advance(500);
      if (!a.isLeader) stoppedAt = clock.now();
    }
    assert.ok(stoppedAt > 0, 'stopped leading');
    assert.ok(
      stoppedAt - lastRenew <= timings.renewDeadlineMs + timings.retryPeriodMs,
      `stopped ${stoppedAt - lastRenew} ms after the last renewal`,
    );
    assert.ok(stoppedAt - lastRenew < timings.leaseDurationMs, 'before the Lease can expire for anyone else');
    store.failWith = undefined;
    stop.abort();
    await run;
  });

  it('a leader that sees another holder (lease taken over) stops at once', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const stop = new AbortController();
    const a = elector(store, clock, 'a');
    const run = a.run(stop.signal);
    await clock.advance(1);
    assert.equal(a.isLeader, true);
    const lease = store.peek('ns', 'lock');
    if (lease) {
      lease.spec.holderIdentity = 'intruder';
      lease.metadata.resourceVersion = 'changed';
    }
    await clock.advance(2_000);
    assert.equal(a.isLeader, false);
    stop.abort();
    await run;
    assert.equal(store.peek('ns', 'lock')?.spec.holderIdentity, 'intruder', 'never releases a Lease it does not hold');
  });
});

describe('MicroTime', () => {
  it('round-trips microseconds', () => {
    const ms = Date.UTC(2026, 10, 23, 10, 0, 0) + 789.123;
    const s = formatMicroTime(ms);
    assert.equal(s, '2026-11-23T10:00:00.789123Z');
    assert.ok(Math.abs(parseMicroTime(s) - ms) < 0.001, `${s} round-trips to ${ms}`);
  });

  it('parses times with fewer digits or an offset, and rejects garbage', () => {
    assert.equal(parseMicroTime('2026-11-23T10:00:00Z'), Date.UTC(2026, 10, 23, 10));
    assert.equal(parseMicroTime('2026-11-23T12:00:00.5+02:00'), Date.UTC(2026, 10, 23, 10) + 500);
    assert.ok(Number.isNaN(parseMicroTime('yesterday')), 'garbage parses to NaN');
  });
});
