// The reconcile runtime against a real kube-apiserver: informer caches, the queue-driven loop,
// the status writer and Lease electors, including an apiserver restart in the middle.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Informer } from '../../src/runtime/informer.js';
import { WorkQueue } from '../../src/runtime/work-queue.js';
import { ReconcileLoop } from '../../src/runtime/reconcile-loop.js';
import { writeStatus } from '../../src/runtime/status-writer.js';
import { LeaseElector } from '../../src/runtime/lease-elector.js';
import { KubeLeaseStore } from '../../src/runtime/lease-store.js';
import { objectKey } from '../../src/runtime/object-key.js';
import { useCluster, eventually } from '../helpers/cluster.js';

interface ConfigMap {
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  data?: Record<string, string>;
}

const CM = '/api/v1/namespaces/default/configmaps';
const fast = { leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 250 };

describe('runtime on a real apiserver', () => {
  const c = useCluster({ crds: true });

  it('an informer lists, watches adds/updates/deletes, and recovers after an apiserver restart', async () => {
    await c.http.post(CM, { metadata: { name: 'before' }, data: { v: '1' } });
    const informer = new Informer<ConfigMap>(c.http, { path: CM, watchTimeoutSeconds: 30 });
    const seen: string[] = [];
    const errors: unknown[] = [];
    informer.addHandler({ add: () => undefined });
    informer.addHandler({
      add: (o) => seen.push(`add ${o.metadata.name}`),
      update: (o) => seen.push(`update ${o.metadata.name} ${o.data?.v}`),
      delete: (o) => seen.push(`delete ${o.metadata.name}`),
    });
    const stop = new AbortController();
    const { synced, done } = informer.start(stop.signal);
    after(() => stop.abort());
    await synced;
    assert.ok(informer.hasSynced);
    assert.ok(informer.get('default/before'));
    await c.http.post(CM, { metadata: { name: 'a' }, data: { v: '1' } });
    await c.http.patch(`${CM}/a`, { data: { v: '2' } });
    await c.http.delete(`${CM}/before`);
    await eventually(() => seen.includes('delete before') || undefined, 5_000, 'watch events');
    assert.deepEqual(seen, ['add before', 'add a', 'update a 2', 'delete before']);

    await c.cp.restartApiserver(500);
    await c.http.post(CM, { metadata: { name: 'after-restart' }, data: { v: '1' } });
    await c.http.patch(`${CM}/a`, { data: { v: '3' } });
    await eventually(() => informer.get('default/after-restart') && informer.get('default/a')?.data?.v === '3' || undefined, 20_000, 'recovery after restart');
    assert.deepEqual(informer.keys().sort(), ['default/a', 'default/after-restart']);
    stop.abort();
    await done;
    assert.deepEqual(errors, [], 'handlers never threw');
  });

  it('re-lists on 410 Gone and tells handlers what it missed', async () => {
    const informer = new Informer<ConfigMap>(c.http, { path: CM });
    const deleted: string[] = [];
    informer.addHandler({ delete: (o) => deleted.push(o.metadata.name) });
    const stop = new AbortController();
    const { synced, done } = informer.start(stop.signal);
    try {
      await synced;
      const listsBefore = informer.lists;
      // Forcing etcd to compact takes minutes; instead the informer's resourceVersion is set to one
      // older than the apiserver's watch cache holds after a restart, which it answers with 410.
      (informer as unknown as { resourceVersion: string }).resourceVersion = '1';
      await c.cp.restartApiserver();
      await eventually(() => informer.lists > listsBefore || undefined, 20_000, 're-list after 410');
      assert.ok(informer.get('default/after-restart'), 'cache refilled by the re-list');
      // And a delete missed while disconnected is reported from the re-list's diff.
      await c.cp.restartApiserver(0);
      await c.http.delete(`${CM}/after-restart`);
      await eventually(() => deleted.includes('after-restart') || undefined, 10_000, 'delete reported');
    } finally {
      stop.abort();
      await done;
    }
  });

  it('a ReconcileLoop fed by an informer writes status only when it changes, retrying conflicts', async () => {
    const pools = '/apis/lanlb.io/v1beta1/loadbalancerippools';
    await c.http.post(pools, { apiVersion: 'lanlb.io/v1beta1', kind: 'LoadBalancerIPPool', metadata: { name: 'p1' }, spec: { blocks: [{ cidr: '192.0.2.0/30' }] } });
    type Pool = { metadata: { name: string; resourceVersion?: string; generation?: number }; status?: { observedGeneration?: number; total?: string } };
    const informer = new Informer<Pool>(c.http, { path: pools });
    const queue = new WorkQueue<string>();
    informer.addHandler({ add: (o) => queue.add(objectKey(o)), update: (o) => queue.add(objectKey(o)) });
    const outcomes: string[] = [];
    const loop = new ReconcileLoop('pool-status', queue, async (key) => {
      const pool = informer.get(key);
      if (!pool) return;
      // A stale cached copy: the writer must notice the conflict, re-read and still succeed.
      const stale = { ...pool, metadata: { ...pool.metadata, resourceVersion: '1' } };
      outcomes.push(await writeStatus<NonNullable<Pool['status']>, Pool>(c.http, { path: `${pools}/${key}`, cached: stale }, (latest: Pool): NonNullable<Pool['status']> => ({ observedGeneration: latest.metadata.generation, total: '2' })));
    });
    const stop = new AbortController();
    const { synced, done } = informer.start(stop.signal);
    await synced;
    const running = loop.run(1);
    await eventually(() => outcomes.length >= 2 || undefined, 10_000, 'status written then seen unchanged');
    assert.deepEqual(outcomes.slice(0, 2), ['patched', 'unchanged'], 'the patch triggers one more run, which writes nothing');
    const got = await c.http.get<Pool>(`${pools}/p1`);
    assert.equal(got.status?.total, '2');
    stop.abort();
    queue.shutDown();
    await Promise.all([done, running]);
  });

  it('two electors contend: exactly one leads; release hands over at once; a stopped leader is replaced within the lease', async () => {
    await c.http.post('/api/v1/namespaces', { metadata: { name: 'lanlb-system' } });
    const store = new KubeLeaseStore(c.http);
    const leading = new Set<string>();
    let overlap = false;
    const make = (id: string, releaseOnStop = true) => new LeaseElector({
      store, namespace: 'lanlb-system', name: 'contended', identity: id, releaseOnStop, ...fast,
      onStartedLeading: () => {
        if (leading.size > 0) overlap = true;
        leading.add(id);
      },
      onStoppedLeading: () => {
        leading.delete(id);
      },
    });
    const a = make('a');
    const b = make('b');
    const stopA = new AbortController();
    const stopB = new AbortController();
    const runA = a.run(stopA.signal);
    const runB = b.run(stopB.signal);
    await eventually(() => leading.size === 1 || undefined, 5_000, 'one leader');
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(leading.size, 1);
    const [first] = [...leading];
    const [stopFirst, runFirst, stopOther, runOther] = first === 'a' ? [stopA, runA, stopB, runB] : [stopB, runB, stopA, runA];

    const t0 = performance.now();
    stopFirst.abort();
    await runFirst;
    await eventually(() => leading.size === 1 || undefined, 5_000, 'takeover after release');
    const releaseTakeover = performance.now() - t0;
    assert.ok(releaseTakeover < fast.leaseDurationMs, `takeover after release took ${releaseTakeover} ms`);

    stopOther.abort();
    await runOther;
    assert.equal(leading.size, 0);

    // A leader that vanishes without releasing: the next waits out leaseDuration on its own clock.
    const vanishing = make('c', false);
    const stopC = new AbortController();
    const runC = vanishing.run(stopC.signal);
    await eventually(() => leading.has('c') || undefined, 5_000, 'c leads');
    const successor = make('d');
    const stopD = new AbortController();
    const runD = successor.run(stopD.signal);
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(!leading.has('d'));
    const t1 = performance.now();
    stopC.abort();
    await runC;
    await eventually(() => leading.has('d') || undefined, 10_000, 'takeover after expiry');
    const expiryTakeover = performance.now() - t1;
    // d first saw c's last renewal up to one retryPeriod before c stopped.
    assert.ok(expiryTakeover >= fast.leaseDurationMs - 2 * fast.retryPeriodMs, `waited ${expiryTakeover} ms (lease ${fast.leaseDurationMs})`);
    assert.ok(expiryTakeover < fast.leaseDurationMs + 2 * fast.retryPeriodMs + 1_000, `took ${expiryTakeover} ms`);
    assert.equal(overlap, false, 'never two leaders at once');
    stopD.abort();
    await runD;
  });

  it('an elector survives an apiserver restart: the leader keeps or regains the lease', async () => {
    const store = new KubeLeaseStore(c.http);
    let leader = false;
    const e = new LeaseElector({
      store, namespace: 'lanlb-system', name: 'restart', identity: 'solo', ...fast,
      onStartedLeading: () => (leader = true), onStoppedLeading: () => {
        leader = false;
      },
    });
    const stop = new AbortController();
    const run = e.run(stop.signal);
    await eventually(() => leader || undefined, 5_000, 'leading');
    await c.cp.restartApiserver(2_500);
    await eventually(() => leader || undefined, 20_000, 'leading again after restart');
    const lease = await store.get('lanlb-system', 'restart');
    assert.equal(lease?.spec.holderIdentity, 'solo');
    stop.abort();
    await run;
    assert.equal((await store.get('lanlb-system', 'restart'))?.spec.holderIdentity, '');
  });
});
