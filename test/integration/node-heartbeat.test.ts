// The node heartbeat's requests on the real apiserver (issue 26), every HTTP request counted at
// the client: one POST, then one PUT per renewal and no GET; after another writer's update, the
// 409 costs exactly one GET. Renewals every 200 ms here (10 s in production) to keep it short.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useCluster, eventually } from '../helpers/cluster.js';
import { ensureNamespace } from '../helpers/k8s-objects.js';
import { KubeHttp, type RequestInit } from '../../src/kube/http.js';
import { NodeHeartbeat } from '../../src/announcer/node-heartbeat.js';
import { systemClock } from '../../src/runtime/clock.js';
import { KubeLeaseStore } from '../../src/kube/lease-store.js';

/** KubeHttp that records every request's method and path. */
class CountingHttp extends KubeHttp {
  readonly requests: string[] = [];
  override request<T>(method: string, path: string, init?: RequestInit): Promise<T> {
    this.requests.push(`${method} ${path}`);
    return super.request<T>(method, path, init);
  }
}

describe('node heartbeat on the real apiserver: requests counted', () => {
  const c = useCluster({});

  /** Sets another holder on the Lease at `path`, reading again after a conflict (at most 10 tries). */
  async function writeAsAnotherWriter(path: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const current = await c.http.get<{ metadata: object; spec: object }>(path);
      try {
        await c.http.put(path, { ...current, spec: { ...current.spec, holderIdentity: 'someone-else' } });
        return;
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 409 || attempt >= 10) throw err;
      }
    }
  }

  it('one POST, one PUT per renewal, no GET; a conflict costs exactly one GET', async () => {
    await ensureNamespace(c.http, 'lanlb-system');
    const http = new CountingHttp(c.cp.kubeConfig());
    const errors: unknown[] = [];
    const h = new NodeHeartbeat({
      store: new KubeLeaseStore(http),
      clock: systemClock,
      namespace: 'lanlb-system',
      node: 'node1',
      durationMs: 40_000,
      renewEveryMs: 200,
      onError: (e) => errors.push(e),
    });
    const path = '/apis/coordination.k8s.io/v1/namespaces/lanlb-system/leases/lanlb-node-node1';
    try {
      h.start();
      await eventually(async () => (http.requests.length >= 8 ? true : undefined), 20_000, '8 renewals');
      const steady = [...http.requests];
      assert.equal(steady[0], 'POST /apis/coordination.k8s.io/v1/namespaces/lanlb-system/leases', 'created once');
      assert.deepEqual(new Set(steady.slice(1)), new Set([`PUT ${path}`]), `then PUTs only: ${steady.join(', ')}`);

      // Another writer updates the Lease: the next PUT conflicts, one GET, then PUTs again. The
      // writer itself can lose to a renewal between its read and its write (CI did): it reads again.
      await writeAsAnotherWriter(path);
      const mark = http.requests.length;
      await eventually(async () => (http.requests.length >= mark + 6 ? true : undefined), 20_000, '6 more requests');
      const after = http.requests.slice(mark);
      assert.equal(
        after.filter((r) => r.startsWith('GET')).length,
        1,
        `one GET after the conflict: ${after.join(', ')}`,
      );
      assert.equal(after.filter((r) => r.startsWith('POST')).length, 0, 'no create');
      assert.deepEqual(errors, [], 'no error reported');
    } finally {
      await h.stop();
      http.close();
    }
  });
});
