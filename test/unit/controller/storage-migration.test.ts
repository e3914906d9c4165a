// The storage migration when the apiserver refuses it (a missing RBAC rule): the failure is
// visible (error log, one Event per CRD, the pending metric) and retried; once the permission is
// there it completes and the metric clears.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { keepMigrating } from '../../../src/kube/storage-migration.js';
import { ControllerMetrics } from '../../../src/controller/metrics.js';
import { KubeApiError } from '../../../src/runtime/ports/api-error.js';
import { createLogger } from '../../../src/observability/logger.js';
import type { KubeHttp } from '../../../src/kube/http.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const POOLS = 'loadbalancerippools.lanlb.io';

/** An apiserver with one pool stored as v1alpha1, refusing writes to pools while `forbidden`. */
function fakeApi() {
  const state = { forbidden: true, stored: ['v1alpha1', 'v1beta1'] };
  const crd = (name: string) => ({
    metadata: { name },
    spec: {
      versions: [
        { name: 'v1alpha1', storage: false },
        { name: 'v1beta1', storage: true },
      ],
    },
    status: { storedVersions: name === POOLS ? state.stored : ['v1beta1'] },
  });
  const http = {
    async get(path: string) {
      const m = /customresourcedefinitions\/([^/]+)$/.exec(path);
      if (m) return crd(m[1] as string);
      if (path.endsWith('loadbalancerippools')) return { items: [{ metadata: { name: 'p' } }] };
      if (path.endsWith('loadbalancerippools/p')) return { metadata: { name: 'p' } };
      return { items: [] };
    },
    async put(path: string, body: { status?: { storedVersions?: string[] } }) {
      if (state.forbidden && path.includes('loadbalancerippools/'))
        throw new KubeApiError(403, 'Forbidden', 'cannot update resource "loadbalancerippools"');
      if (path.endsWith(`${POOLS}/status`)) state.stored = body.status?.storedVersions ?? [];
      return body;
    },
  } as unknown as KubeHttp;
  return { http, state };
}

describe('keepMigrating', () => {
  it('a refused migration: reported when the retry fails the same way, retried, cleared when allowed', async () => {
    const { http, state } = fakeApi();
    const clock = new FakeClock();
    const registry = new Registry();
    const metrics = new ControllerMetrics(registry);
    const warned: string[] = [];
    const stop = new AbortController();
    const run = keepMigrating(
      { http, log: createLogger('error'), clock, metrics, warn: (crd, m) => warned.push(`${crd}: ${m}`) },
      stop.signal,
    );
    await clock.advance(1);
    const pending = async () => (await registry.getSingleMetricAsString('lanlb_storage_migration_pending')).trim();
    assert.match(await pending(), new RegExp(`crd="${POOLS.replaceAll('.', '\\.')}"} 1`));
    assert.equal(warned.length, 0, 'the metric says it at once; the Event waits for the retry');
    await clock.advance(60_000);
    assert.equal(warned.length, 1);
    assert.match(warned[0] ?? '', /cannot update resource "loadbalancerippools"/);
    await clock.advance(120_000);
    assert.equal(warned.length, 1, 'the same failure is reported once');
    state.forbidden = false;
    await clock.advance(60_000);
    await run;
    assert.deepEqual(state.stored, ['v1beta1']);
    assert.match(await pending(), /} 0$/m);
    stop.abort();
  });

  it('a failure gone a minute later leaves no Event (a leader elected during an uninstall)', async () => {
    const { http, state } = fakeApi();
    const clock = new FakeClock();
    const warned: string[] = [];
    const metrics = new ControllerMetrics(new Registry());
    const run = keepMigrating(
      { http, log: createLogger('error'), clock, metrics, warn: (crd, m) => warned.push(`${crd}: ${m}`) },
      new AbortController().signal,
    );
    await clock.advance(1);
    state.forbidden = false;
    await clock.advance(60_000);
    await run;
    assert.deepEqual(warned, []);
  });
});
