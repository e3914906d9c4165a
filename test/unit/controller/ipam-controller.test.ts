// The IPAM controller's decisions on in-memory sources, a counting status transport and a fake
// clock: the scenarios the integration tests prove on a real apiserver, in milliseconds.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { IpamController } from '../../../src/controller/ipam-controller.js';
import { ControllerMetrics } from '../../../src/controller/metrics.js';
import { createLogger } from '../../../src/observability/logger.js';
import type { Node, Service } from '../../../src/core/kube-objects.js';
import type { LoadBalancerIPPool, L2AnnouncementPolicy } from '../../../generated/index.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { MemorySource, MemoryStatusTransport, RecordingEvents } from '../../helpers/memory-cluster.js';
import { KubeApiError } from '../../../src/runtime/ports/api-error.js';

function world() {
  const services = new MemorySource<Service>();
  const pools = new MemorySource<LoadBalancerIPPool>();
  const policies = new MemorySource<L2AnnouncementPolicy>();
  const nodes = new MemorySource<Node>();
  const status = new MemoryStatusTransport({
    services,
    loadbalancerippools: pools,
    l2announcementpolicies: policies,
  } as never);
  const events = new RecordingEvents();
  const clock = new FakeClock();
  const logs: string[] = [];
  const registry = new Registry();
  const metrics = new ControllerMetrics(registry);
  const make = () =>
    new IpamController({
      sources: { services, pools, policies, nodes },
      status,
      events,
      clock,
      metrics,
      log: createLogger('info', {}, (l) => logs.push(l)),
      loadBalancerClass: 'lanlb.io/l2',
      workers: 2,
    });
  const leaders: AbortController[] = [];
  const lead = async (controller = make()) => {
    const stop = new AbortController();
    leaders.push(stop);
    const running = controller.lead(stop.signal);
    await clock.advance(1_000);
    return {
      stop: async () => {
        stop.abort();
        await running;
      },
    };
  };
  const pool = (name: string, blocks: Array<Record<string, string>>, extra: Record<string, unknown> = {}) =>
    pools.put({
      apiVersion: 'lanlb.io/v1beta1',
      kind: 'LoadBalancerIPPool',
      metadata: { name, creationTimestamp: '2026-11-01T00:00:00Z' },
      spec: { blocks, ...extra },
    } as never);
  const service = (ns: string, name: string, spec: Record<string, unknown> = {}, status?: unknown) =>
    services.put({
      metadata: { namespace: ns, name, uid: `${ns}-${name}` },
      spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }], ...spec },
      status,
    } as never);
  const ips = (key: string) => (services.get(key)?.status?.loadBalancer?.ingress ?? []).map((i) => i.ip);
  const poolStatus = (name: string) =>
    (pools.get(name) as unknown as { status?: { used?: string; available?: string; total?: string } } | undefined)
      ?.status;
  return {
    services,
    pools,
    status,
    events,
    clock,
    logs,
    lead,
    make,
    pool,
    service,
    ips,
    poolStatus,
    registry,
    stopAll: () => leaders.forEach((l) => l.abort()),
  };
}

describe('IpamController (fake clock, in-memory cluster)', () => {
  it('allocates the lowest free address, records IPAllocated, and writes pool status', async () => {
    const w = world();
    w.pool('p', [{ cidr: '192.0.2.0/29' }]);
    const leader = await w.lead();
    w.service('web', 'a');
    w.service('web', 'b');
    await w.clock.advance(1_000);
    assert.deepEqual([w.ips('web/a'), w.ips('web/b')], [['192.0.2.1'], ['192.0.2.2']]);
    assert.deepEqual(w.events.reasons('web/a'), ['IPAllocated']);
    const decision = w.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'allocated' && l.service === 'web/a');
    assert.deepEqual(decision?.addresses, [{ ip: '192.0.2.1', pool: 'p' }], 'the decision is logged');
    assert.deepEqual(w.poolStatus('p'), { ...w.poolStatus('p'), total: '6', used: '2', available: '4' });
    const condition = w.services.get('web/a')?.status?.conditions?.find((c) => c.type === 'lanlb.io/IPAllocated');
    assert.equal(condition?.status, 'True');
    await leader.stop();
  });

  it('a pool and a Service applied together: the Service waits for the pool to settle, then takes it', async () => {
    const w = world();
    w.pool('catch-all', [{ cidr: '198.51.100.0/29' }]);
    const leader = await w.lead();
    w.pool('web-pool', [{ cidr: '192.0.2.0/29' }], {
      serviceSelector: { matchLabels: { 'io.kubernetes.service.namespace': 'web' } },
    });
    await w.clock.advance(10); // one kubectl apply: the Service arrives within the pool's settle time
    w.service('web', 'a');
    await w.clock.advance(1_000);
    assert.deepEqual(w.ips('web/a'), ['192.0.2.1'], 'from the pool that selects it, not the catch-all');
    await leader.stop();
  });

  describe('every move says why: IPReleased with the reason, before the new allocation', () => {
    const webOnly = { matchLabels: { 'io.kubernetes.service.namespace': 'web' } };
    const cases: Array<[string, (w: ReturnType<typeof world>) => void, string, RegExp, string?]> = [
      ['its pool is deleted', (w) => w.pools.remove('zeta'), 'pool-deleted', /: pool "?zeta"? was deleted$/],
      [
        'its pool no longer contains it',
        (w) => w.pool('zeta', [{ cidr: '192.0.2.64/30' }], { serviceSelector: webOnly }),
        'pool-no-longer-contains',
        /: pool "?zeta"? no longer contains it$/,
        '192.0.2.65',
      ],
      [
        'its pool no longer selects the Service',
        (w) => w.pool('zeta', [{ cidr: '192.0.2.0/30' }], { serviceSelector: { matchLabels: { team: 'b' } } }),
        'pool-no-longer-selects',
        /: pool "?zeta"? no longer selects the Service$/,
      ],
    ];
    for (const [what, change, reason, message, next = '198.51.100.1'] of cases) {
      it(`when ${what}`, async () => {
        const w = world();
        w.pool('zeta', [{ cidr: '192.0.2.0/30' }], { serviceSelector: webOnly });
        w.pool('alpha', [{ cidr: '198.51.100.0/30' }]);
        const leader = await w.lead();
        w.service('web', 'a');
        await w.clock.advance(1_000);
        assert.deepEqual(w.ips('web/a'), ['192.0.2.1'], 'the specific pool first');
        change(w);
        await w.clock.advance(1_000);
        assert.deepEqual(w.ips('web/a'), [next], 'moved');
        const events = w.events.events.filter((e) => e.service === 'web/a');
        assert.deepEqual(
          events.map((e) => e.reason),
          ['IPAllocated', 'IPReleased', 'IPAllocated'],
          'released is told between the two allocations',
        );
        assert.match(events[1]?.message ?? '', /^Released 192\.0\.2\.1/, 'names the address');
        assert.match(events[1]?.message ?? '', message, 'and the reason');
        const decisions = w.logs
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .filter((l) => l.service === 'web/a' && (l.msg === 'released' || l.msg === 'allocated'));
        assert.deepEqual(
          decisions.map((d) => [d.msg, d.reason]),
          [
            ['allocated', undefined],
            ['released', reason],
            ['allocated', undefined],
          ],
          'the log says released, with the reason, before the new allocation',
        );
        await leader.stop();
      });
    }
  });

  it('metrics: pending by reason, the longest wait, pool state; a deleted pool leaves no series', async () => {
    const w = world();
    w.pool('p', [{ cidr: '192.0.2.0/30' }]);
    const leader = await w.lead();
    w.service('web', 'a', {}, undefined);
    w.services.put({
      ...(w.services.get('web/a') as Service),
      metadata: { namespace: 'web', name: 'b', uid: 'b', annotations: { 'lanlb.io/pool': 'nope' } },
    });
    await w.clock.advance(1_000);
    await w.clock.advance(60_000);
    const text = await w.registry.metrics();
    assert.match(text, /^lanlb_services_pending\{reason="PoolNotFound"\} 1$/m, 'one pending, by reason');
    const oldest = Number(/^lanlb_service_pending_oldest_seconds (\S+)$/m.exec(text)?.[1]);
    assert.ok(oldest >= 60 && oldest <= 62, `the wait grows with the clock: ${oldest}`);
    assert.match(text, /^lanlb_pool_state\{pool="p",state="Ready"\} 1$/m, 'pool state');
    w.pool('nope', [{ cidr: '198.51.100.0/30' }]);
    await w.clock.advance(2_000);
    const after = await w.registry.metrics();
    assert.doesNotMatch(after, /^lanlb_services_pending\{/m, 'nothing pending');
    assert.match(after, /^lanlb_service_pending_oldest_seconds 0$/m);
    w.pools.remove('nope');
    await w.clock.advance(2_000);
    assert.doesNotMatch(await w.registry.metrics(), /^lanlb_pool_\w+\{pool="nope"/m, 'no gauge for a deleted pool');
    await leader.stop();
    assert.doesNotMatch(await w.registry.metrics(), /^lanlb_pool_state\{/m, 'a follower exports no pool state');
  });

  it('a deleted Service gives its address back (pool status after the batch delay)', async () => {
    const w = world();
    w.pool('p', [{ cidr: '192.0.2.0/30' }]);
    const leader = await w.lead();
    w.service('web', 'a');
    await w.clock.advance(1_000);
    assert.equal(w.poolStatus('p')?.used, '1');
    w.services.remove('web/a');
    await w.clock.advance(100);
    assert.equal(w.poolStatus('p')?.used, '1', 'batched: not yet');
    await w.clock.advance(500);
    assert.equal(w.poolStatus('p')?.used, '0');
    w.service('web', 'b');
    await w.clock.advance(1_000);
    assert.deepEqual(w.ips('web/b'), ['192.0.2.1'], 'the freed address is reused');
    await leader.stop();
  });

  it('a Service that stops being LoadBalancer loses its address and its condition', async () => {
    const w = world();
    w.pool('p', [{ cidr: '192.0.2.0/30' }]);
    const leader = await w.lead();
    const svc = w.service('web', 'a');
    await w.clock.advance(1_000);
    w.services.put({ ...w.services.get('web/a'), spec: { ...svc.spec, type: 'ClusterIP' } } as Service);
    await w.clock.advance(1_000);
    assert.deepEqual(w.ips('web/a'), []);
    assert.equal(
      w.services.get('web/a')?.status?.conditions?.some((c) => c.type === 'lanlb.io/IPAllocated'),
      false,
    );
    assert.deepEqual(w.events.reasons('web/a'), ['IPAllocated', 'IPReleased']);
    await leader.stop();
  });

  it('a new leader replays what Services hold before allocating, and writes nothing for them', async () => {
    const w = world();
    w.pool('p', [{ cidr: '192.0.2.0/29' }]);
    const first = await w.lead();
    for (const n of ['a', 'b', 'c']) w.service('web', n);
    await w.clock.advance(1_000);
    await first.stop();
    const held = ['a', 'b', 'c'].map((n) => w.ips(`web/${n}`)[0]);
    const writesBefore = w.status.writes.length;
    const second = await w.lead();
    await w.clock.advance(2_000);
    assert.deepEqual(w.status.writes.slice(writesBefore), [], 'a restart writes nothing');
    w.service('web', 'd');
    await w.clock.advance(1_000);
    assert.ok(!held.includes(w.ips('web/d')[0]), `web/d got ${w.ips('web/d')[0]}, not one of ${held.join(', ')}`);
    await second.stop();
  });

  it('AllocationFailed is recorded once per cause, and a grown pool serves the waiting Service', async () => {
    const w = world();
    w.pool('p', [{ start: '192.0.2.10', stop: '192.0.2.10' }]);
    const leader = await w.lead();
    w.service('web', 'a');
    w.service('web', 'b');
    await w.clock.advance(1_000);
    w.service('web', 'b', { ports: [{ port: 81, protocol: 'TCP' }] });
    await w.clock.advance(1_000);
    assert.deepEqual(w.events.reasons('web/b'), ['AllocationFailed']);
    assert.equal(w.services.get('web/b')?.status?.conditions?.[0]?.reason, 'PoolExhausted');
    w.pool('p', [{ start: '192.0.2.10', stop: '192.0.2.11' }]);
    await w.clock.advance(1_000);
    assert.deepEqual(w.ips('web/b'), ['192.0.2.11']);
    assert.deepEqual(w.ips('web/a'), ['192.0.2.10'], 'widening moves nothing');
    await leader.stop();
  });

  it('a follower writes nothing; stopping leadership ends the loop', async () => {
    const w = world();
    w.pool('p', [{ cidr: '192.0.2.0/29' }]);
    w.make();
    w.service('web', 'a');
    await w.clock.advance(2_000);
    assert.deepEqual(w.status.writes, []);
    const leader = await w.lead();
    assert.deepEqual(w.ips('web/a'), ['192.0.2.1']);
    await leader.stop();
  });

  it('fenced: a write in flight when leadership ends is not retried after a 409; nothing more is written', async () => {
    const w = world();
    w.pool('p', [{ cidr: '192.0.2.0/29' }]);
    const stop = new AbortController();
    // The Service's status write stalls until released, then answers 409 (another leader wrote).
    let release: (() => void) | undefined;
    const realPatch = w.status.patch;
    let stalls = 1;
    w.status.patch = async <T>(path: string, body: unknown): Promise<T> => {
      if (path.includes('/services/') && stalls-- > 0) {
        await new Promise<void>((r) => (release = r));
        throw new KubeApiError(409, 'Conflict', 'modified by the new leader');
      }
      return realPatch<T>(path, body);
    };
    const running = w.make().lead(stop.signal);
    w.service('web', 'a');
    await w.clock.advance(1_000);
    assert.ok(release, 'a status write is in flight');
    const writes = w.status.writes.length;
    const events = w.events.events.length;
    stop.abort(); // the Lease is lost (renew deadline passed)
    release?.();
    await w.clock.advance(5_000);
    await running;
    assert.equal(w.status.writes.length, writes, 'no write after leadership ended');
    assert.equal(w.events.events.length, events, 'no Event after leadership ended');
    assert.deepEqual(w.ips('web/a'), []);
  });
});
