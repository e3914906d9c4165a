// `lanlb plan` says exactly what the controller then does: random pools and Services settle under
// the real IpamController (fake clock, in-memory cluster); a random pool edit is previewed with
// planChange on the state the cluster shows, then applied; every Service's addresses must be the
// plan's (seeded property: a failure prints the seed and the edit to replay it).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { IpamController } from '../../../src/controller/ipam-controller.js';
import { ControllerMetrics } from '../../../src/controller/metrics.js';
import { createLogger } from '../../../src/observability/logger.js';
import type { Node, Service } from '../../../src/core/kube-objects.js';
import type { LoadBalancerIPPool, L2AnnouncementPolicy } from '../../../generated/index.js';
import { planChange } from '../../../src/preview/preview.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { MemorySource, MemoryStatusTransport, RecordingEvents } from '../../helpers/memory-cluster.js';
import { poolArb, serviceArb, editArb, type PoolSpec, type ServiceSpec } from './arbitraries.js';

function poolObject(p: PoolSpec, created: string): LoadBalancerIPPool {
  return {
    apiVersion: 'lanlb.io/v1beta1',
    kind: 'LoadBalancerIPPool',
    metadata: { name: p.name, creationTimestamp: created as never, labels: p.labels },
    spec: { blocks: p.blocks, disabled: p.disabled, allowFirstLastIPs: false, autoAssign: p.autoAssign, ...p.selector },
  };
}

function serviceObject(s: ServiceSpec): Service {
  return {
    metadata: { namespace: s.namespace, name: s.name, uid: s.name, labels: s.labels, annotations: s.annotations },
    spec: { type: 'LoadBalancer', ports: [{ port: s.port, protocol: 'TCP' }], ...s.spec },
  } as never;
}

async function scenario(pools: PoolSpec[], services: ServiceSpec[], edit: PoolSpec[], deletes: string[]) {
  const src = {
    services: new MemorySource<Service>(),
    pools: new MemorySource<LoadBalancerIPPool>(),
    policies: new MemorySource<L2AnnouncementPolicy>(),
    nodes: new MemorySource<Node>(),
  };
  const status = new MemoryStatusTransport({
    services: src.services,
    loadbalancerippools: src.pools,
    l2announcementpolicies: src.policies,
  } as never);
  const clock = new FakeClock();
  const controller = new IpamController({
    sources: src,
    status,
    events: new RecordingEvents(),
    clock,
    metrics: new ControllerMetrics(new Registry()),
    log: createLogger('error', {}, () => undefined),
    loadBalancerClass: 'lanlb.io/l2',
    workers: 4,
  });
  pools.forEach((p, i) => src.pools.put(poolObject(p, `2026-11-01T00:00:0${i}Z`)));
  const stop = new AbortController();
  const running = controller.lead(stop.signal);
  await clock.advance(1_000);
  for (const s of services) src.services.put(serviceObject(s));
  await clock.advance(2_000);
  const manifests = edit.map((p) => poolObject(p, '2026-12-01T00:00:00Z'));
  const plan = planChange({
    pools: src.pools.list(),
    policies: [],
    services: src.services.list(),
    nodes: [],
    apply: manifests,
    remove: deletes.map((name) => ({ kind: 'LoadBalancerIPPool' as const, name })),
    loadBalancerClass: 'lanlb.io/l2',
    now: '2026-12-01T00:00:00Z',
  });
  // Applied together, as one kubectl apply: within the controller's pool settle window.
  for (const m of manifests) {
    const existing = src.pools.get(m.metadata.name ?? '');
    src.pools.put({
      ...m,
      metadata: {
        ...m.metadata,
        creationTimestamp: existing?.metadata.creationTimestamp ?? m.metadata.creationTimestamp,
      },
    });
  }
  for (const name of deletes) src.pools.remove(name);
  await clock.advance(3_000);
  stop.abort();
  await running;
  const actual = Object.fromEntries(
    src.services
      .list()
      .map((s) => [
        `${s.metadata.namespace}/${s.metadata.name}`,
        (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).sort(),
      ]),
  );
  const planned = Object.fromEntries(
    plan.services.map((s) => [
      `${s.namespace}/${s.name}`,
      s.addresses.flatMap((a) => (a.after ? [a.after] : [])).sort(),
    ]),
  );
  return { actual, planned, plan };
}

describe('lanlb plan against the controller (property, seeded)', () => {
  it('every Service ends with exactly the addresses the plan gave it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(poolArb, { minLength: 1, maxLength: 4 }).map(uniqueByName),
        fc.array(serviceArb, { minLength: 1, maxLength: 8 }).map(uniqueByName),
        editArb,
        async (pools, services, e) => {
          const edit = uniqueByName(e.apply);
          const deletes = e.remove.filter((n) => !edit.some((p) => p.name === n));
          const { actual, planned, plan } = await scenario(pools, services, edit, deletes);
          assert.deepEqual(actual, planned, JSON.stringify(plan.summary));
        },
      ),
      { seed: 20261206, numRuns: 60, endOnFailure: true },
    );
  });
});

function uniqueByName<T extends { name: string }>(xs: T[]): T[] {
  return [...new Map(xs.map((x) => [x.name, x])).values()];
}
