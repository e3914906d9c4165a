// A Service Lease's copy follows it even when the first write fails on the way (issue 29: found by
// the L2 chaos run, after an apiserver outage with the controller down a copy that did not follow
// its Lease made a restarted announcer answer VIPs others held). Transport failures and 5xx are
// retried with backoff; a later Lease of the same name supersedes the retry.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LeaseCopies } from '../../../src/kube/lease-copies.js';
import { KubeApiError } from '../../../src/runtime/ports/api-error.js';
import type { KubeHttp } from '../../../src/kube/http.js';
import type { LeaseObject } from '../../../src/core/kube-objects.js';
import { createLogger } from '../../../src/observability/logger.js';

const lease = (rv: string, holder: string): LeaseObject => ({
  metadata: {
    name: 'lanlb-l2-x',
    namespace: 'lanlb-system',
    resourceVersion: rv,
    labels: { 'lanlb.io/lease': 'service' },
    annotations: { 'lanlb.io/service': 'web/svc' },
  },
  spec: { holderIdentity: holder, leaseDurationSeconds: 40 },
});

/** An apiserver whose first `failures` writes fail on the way; it keeps the copy written. */
function flakyApiserver(failures: number) {
  let left = failures;
  const written: Array<{ holder?: string }> = [];
  const http = {
    get: async () => {
      throw new KubeApiError(404, 'NotFound', 'no copy');
    },
    post: async (_path: string, body: { spec?: { holder?: string } }) => {
      if (left-- > 0) throw new Error('socket hang up');
      written.push({ holder: body.spec?.holder });
      return body;
    },
  } as unknown as KubeHttp;
  return { http, written };
}

describe('Lease copies: writes that fail on the way', () => {
  it('a copy write that fails twice (connection lost) is retried with backoff and lands', async () => {
    const { http, written } = flakyApiserver(2);
    const waits: number[] = [];
    const copies = new LeaseCopies(http, createLogger('error'), async (ms) => void waits.push(ms));
    await copies.follow('lanlb-system', 'lanlb-l2-x', lease('5', 'node2'));
    assert.deepEqual(written, [{ holder: 'node2' }], 'the copy was written');
    assert.deepEqual(waits, [500, 1_000], 'backing off');
  });

  it('a retry stops once a later Lease of the name is queued: that copy is written instead', async () => {
    const { http, written } = flakyApiserver(1);
    let release: () => void = () => undefined;
    const waited = new Promise<void>((r) => (release = r));
    const copies = new LeaseCopies(http, createLogger('error'), () => waited);
    const first = copies.follow('lanlb-system', 'lanlb-l2-x', lease('5', 'node2'));
    const second = copies.follow('lanlb-system', 'lanlb-l2-x', lease('6', 'node3'));
    release();
    await Promise.all([first, second]);
    assert.deepEqual(written, [{ holder: 'node3' }], 'only the later Lease was copied');
  });

  it('a later Lease cuts the backoff short: its copy is written at once, not after the wait', async () => {
    // Found by the 30-minute L2 chaos run: after a long apiserver freeze a copy write was backing
    // off (up to 10 s) when the node took the Service over; the takeover's copy waited behind it,
    // the others still saw the previous holder, and the node was killed before they learnt.
    const { http, written } = flakyApiserver(1);
    const copies = new LeaseCopies(http, createLogger('error'), () => new Promise<void>(() => undefined));
    const first = copies.follow('lanlb-system', 'lanlb-l2-x', lease('5', 'node2'));
    await new Promise((r) => setImmediate(r));
    const second = copies.follow('lanlb-system', 'lanlb-l2-x', lease('6', 'node3'));
    await Promise.all([first, second]);
    assert.deepEqual(written, [{ holder: 'node3' }], 'the later Lease was copied without waiting the backoff out');
  });

  it('a refusal (403) is not retried', async () => {
    const waits: number[] = [];
    const http = {
      get: async () => {
        throw new KubeApiError(403, 'Forbidden', 'no');
      },
    } as unknown as KubeHttp;
    const copies = new LeaseCopies(http, createLogger('error'), async (ms) => void waits.push(ms));
    await copies.follow('lanlb-system', 'lanlb-l2-x', lease('5', 'node2'));
    assert.deepEqual(waits, []);
  });

  it('settled: waits for the copy writes under way (a process on its way out), at most the time given', async () => {
    const { http, written } = flakyApiserver(0);
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    // The write is delayed (a slow apiserver) until the gate opens.
    const copies = new LeaseCopies(http, createLogger('error'), () => gate, 1);
    void copies.follow('lanlb-system', 'lanlb-l2-x', lease('5', 'node2'));
    assert.equal(await copies.settled(20), false, 'still under way after 20 ms: says so, does not hang');
    const waiting = copies.settled(5_000);
    release();
    assert.equal(await waiting, true, 'settled once written');
    assert.deepEqual(written, [{ holder: 'node2' }]);
    assert.equal(await copies.settled(20), true, 'nothing under way');
  });
});
