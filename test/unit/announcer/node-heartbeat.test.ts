// What the node heartbeat sends (issue 26), every request counted on a store that records them:
// like kubelet's node Lease, one PUT per renewal built from the last response, no GET before it;
// a GET only after a conflict or a missing Lease; a create only when there is none.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NodeHeartbeat } from '../../../src/announcer/node-heartbeat.js';
import { KubeApiError } from '../../../src/runtime/ports/api-error.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { MemoryLeaseStore } from '../../helpers/memory-lease-store.js';
import type { Lease } from '../../../src/runtime/ports/lease-store.js';

/** The shared store, every call recorded as "VERB" in order; `failNext` fails the next call. */
class CountingStore extends MemoryLeaseStore {
  readonly calls: string[] = [];
  failNext: KubeApiError | undefined;
  private record(verb: string): void {
    this.calls.push(verb);
    const f = this.failNext;
    this.failNext = undefined;
    if (f) throw f;
  }
  override async get(ns: string, name: string) {
    this.record('GET');
    return super.get(ns, name);
  }
  override async create(l: Lease) {
    this.record('POST');
    return super.create(l);
  }
  override async update(l: Lease) {
    this.record('PUT');
    return super.update(l);
  }
  override async delete(ns: string, name: string, rv: string | undefined) {
    this.record('DELETE');
    return super.delete(ns, name, rv);
  }
}

function heartbeat(store: CountingStore, clock: FakeClock, errors: unknown[] = []) {
  return new NodeHeartbeat({
    store,
    clock,
    namespace: 'lanlb-system',
    node: 'node1',
    durationMs: 40_000,
    renewEveryMs: 10_000,
    onError: (e) => errors.push(e),
  });
}

describe('node heartbeat requests', () => {
  it('fresh: one POST, then one PUT per 10 s and never a GET', async () => {
    const store = new CountingStore();
    const clock = new FakeClock();
    const h = heartbeat(store, clock);
    h.start();
    await clock.advance(60_000);
    await h.stop();
    assert.deepEqual(store.calls, ['POST', 'PUT', 'PUT', 'PUT', 'PUT', 'PUT', 'PUT'], 'one write per renewal, no read');
  });

  it('restart over an existing Lease: POST (409), one GET, then PUTs only', async () => {
    const store = new CountingStore();
    const clock = new FakeClock();
    const first = heartbeat(store, clock);
    first.start();
    await clock.advance(1_000);
    await first.stop();
    store.calls.length = 0;
    const again = heartbeat(store, clock);
    again.start();
    await clock.advance(30_000);
    await again.stop();
    assert.deepEqual(store.calls, ['POST', 'GET', 'PUT', 'PUT', 'PUT', 'PUT'], 'the GET only after the conflict');
  });

  it('a conflict (someone else wrote it): one GET, a PUT on top, then PUTs only', async () => {
    const store = new CountingStore();
    const clock = new FakeClock();
    const h = heartbeat(store, clock);
    h.start();
    await clock.advance(15_000);
    const current = await store.get('lanlb-system', 'lanlb-node-node1');
    assert.ok(current, 'the Lease exists');
    await store.update({ ...current, spec: { ...current.spec, holderIdentity: 'someone' } });
    store.calls.length = 0;
    await clock.advance(30_000);
    await h.stop();
    assert.deepEqual(store.calls, ['PUT', 'GET', 'PUT', 'PUT', 'PUT'], 'one GET after the 409, none after');
  });

  it('an apiserver error: the renewal is retried at the next period from the last response, no GET', async () => {
    const store = new CountingStore();
    const clock = new FakeClock();
    const errors: unknown[] = [];
    const h = heartbeat(store, clock, errors);
    h.start();
    await clock.advance(5_000);
    store.failNext = new KubeApiError(503, 'ServiceUnavailable', 'unavailable');
    await clock.advance(20_000);
    await h.stop();
    assert.deepEqual(store.calls, ['POST', 'PUT', 'PUT'], 'the failed PUT, then the next one: no GET');
    assert.equal(errors.length, 1, 'the error is reported');
    assert.equal(h.healthyFor(0), true, 'healthy again after the next renewal');
  });
});
