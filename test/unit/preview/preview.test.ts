// `lanlb plan` scenarios: what each kind of edit would do, in the controller's words.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { L2AnnouncementPolicy, LoadBalancerIPPool } from '../../../generated/index.js';
import { movesHeldAddress, planChange, type PlanInput } from '../../../src/preview/preview.js';
import { renderPlan } from '../../../src/preview/render.js';
import type { Service } from '../../../src/core/kube-objects.js';

const pool = (name: string, cidr: string, spec: Record<string, unknown> = {}, labels = {}): LoadBalancerIPPool => ({
  apiVersion: 'lanlb.io/v1beta1',
  kind: 'LoadBalancerIPPool',
  metadata: { name, labels, creationTimestamp: '2026-11-01T00:00:00Z' as never },
  spec: { blocks: [{ cidr }], ...spec },
});
const svc = (name: string, ip?: string, annotations: Record<string, string> = {}): Service => ({
  metadata: { namespace: 'shop', name, annotations },
  spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }] },
  ...(ip ? { status: { loadBalancer: { ingress: [{ ip }] } } } : {}),
});
const policy = (name: string, spec: L2AnnouncementPolicy['spec']): L2AnnouncementPolicy => ({
  apiVersion: 'lanlb.io/v1beta1',
  kind: 'L2AnnouncementPolicy',
  metadata: { name },
  spec,
});
const input = (over: Partial<PlanInput>): PlanInput => ({
  pools: [pool('a', '192.0.2.0/29'), pool('b', '198.51.100.0/29')],
  policies: [],
  services: [svc('web', '192.0.2.1'), svc('api', '192.0.2.2')],
  nodes: [{ metadata: { name: 'n1', labels: {} } }],
  apply: [],
  remove: [],
  loadBalancerClass: 'lanlb.io/l2',
  now: '2026-12-06T00:00:00Z',
  ...over,
});
const changes = (r: ReturnType<typeof planChange>) =>
  Object.fromEntries(r.services.map((s) => [s.name, s.addresses.map((a) => `${a.change} ${a.before}>${a.after}`)]));

describe('planChange', () => {
  it('an unchanged manifest changes nothing: exit 0', () => {
    const r = planChange(input({ apply: [pool('a', '192.0.2.0/29')] }));
    assert.deepEqual(changes(r), { api: ['keeps 192.0.2.2>192.0.2.2'], web: ['keeps 192.0.2.1>192.0.2.1'] });
    assert.equal(r.pools.find((p) => p.name === 'a')?.change, 'unchanged');
    assert.equal(movesHeldAddress(r), false, 'nothing moves');
  });

  it('shrinking a pool moves what falls outside, with the reason, and fails the gate', () => {
    const r = planChange(input({ apply: [pool('a', '192.0.2.1/32')] }));
    assert.deepEqual(changes(r), { api: ['moves 192.0.2.2>198.51.100.1'], web: ['keeps 192.0.2.1>192.0.2.1'] });
    const api = r.services.find((s) => s.name === 'api')?.addresses[0];
    assert.match(
      api?.reason ?? '',
      /Released 192\.0\.2\.2: pool "?a"? no longer contains it; Assigned 198\.51\.100\.1/,
    );
    assert.equal(movesHeldAddress(r), true, 'a held address moves');
    assert.match(renderPlan(r), /1 held address\(es\) would be released or moved/);
  });

  it('deleting the only pool: the Services lose their addresses and wait', () => {
    const r = planChange(
      input({ pools: [pool('a', '192.0.2.0/29')], remove: [{ kind: 'LoadBalancerIPPool', name: 'a' }] }),
    );
    assert.deepEqual(changes(r).web, ['loses 192.0.2.1>null']);
    const web = r.services.find((s) => s.name === 'web');
    assert.match(web?.addresses[0]?.reason ?? '', /pool "?a"? was deleted/);
    assert.match(web?.pending ?? '', /^NoPoolSelects: no LoadBalancerIPPool exists/);
    assert.equal(r.pools[0]?.change, 'deleted');
    assert.equal(r.summary.loses, 2);
  });

  it('an overlapping new pool is Conflicting with the older one and moves nothing', () => {
    const r = planChange(input({ apply: [pool('c', '192.0.2.0/30')] }));
    const c = r.pools.find((p) => p.name === 'c');
    assert.equal(c?.after?.state, 'Conflicting');
    assert.match(c?.conflictsWith ?? '', /^a at 192\.0\.2\.0/);
    assert.equal(movesHeldAddress(r), false);
  });

  it('two new pools that overlap each other: a note says the apiserver decides which is older', () => {
    const r = planChange(input({ apply: [pool('y', '203.0.113.0/29'), pool('x', '203.0.113.4/30')] }));
    assert.equal(r.pools.find((p) => p.name === 'y')?.after?.state, 'Conflicting', 'y is later by name');
    assert.equal(r.notes.length, 1);
    assert.match(r.notes[0] ?? '', /new pools x and y overlap: this preview takes x as the older/);
    assert.match(renderPlan(r), /^Note: new pools x and y overlap/m);
    assert.deepEqual(planChange(input({ apply: [pool('c', '192.0.2.0/30')] })).notes, [], 'an existing older pool');
  });

  it('a new pool gives a waiting Service an address: gains, exit 0', () => {
    const full = input({ pools: [pool('a', '192.0.2.1/32')], services: [svc('web', '192.0.2.1'), svc('new')] });
    const r = planChange({ ...full, apply: [pool('b', '198.51.100.0/30')] });
    assert.deepEqual(changes(r).new, ['gains null>198.51.100.1']);
    assert.equal(r.services.find((s) => s.name === 'new')?.pending, null);
    assert.equal(movesHeldAddress(r), false);
  });

  it('autoAssign: false keeps what is held and gives nothing unasked', () => {
    const r = planChange(
      input({
        pools: [pool('a', '192.0.2.1/32')],
        services: [svc('web', '192.0.2.1'), svc('new'), svc('asks', undefined, { 'lanlb.io/ips': '192.0.2.5' })],
        apply: [pool('a', '192.0.2.0/29', { autoAssign: false })],
      }),
    );
    const want = { asks: ['gains null>192.0.2.5'], new: [], web: ['keeps 192.0.2.1>192.0.2.1'] };
    assert.deepEqual(changes(r), want, 'the pool grows, but only a Service that asks gets from it');
    assert.match(r.services.find((s) => s.name === 'new')?.pending ?? '', /only on request \(autoAssign: false/);
  });

  it('a policy with a poolSelector: Services and nodes it selects after', () => {
    const labelled = [pool('a', '192.0.2.0/29', {}, { vlan: '10' }), pool('b', '198.51.100.0/29')];
    const services = [svc('web', '192.0.2.1'), svc('api', '198.51.100.1')];
    const r = planChange(
      input({ pools: labelled, services, apply: [policy('p', { poolSelector: { matchLabels: { vlan: '10' } } })] }),
    );
    assert.deepEqual(r.policies, [
      { name: 'p', change: 'created', before: null, after: { services: 1, nodes: 1, ready: true, reason: 'Valid' } },
    ]);
  });
});
