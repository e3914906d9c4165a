// A policy's status counts what it announces: with a poolSelector, only Services holding an
// address through a selected pool (docs/contract.md, L2AnnouncementPolicy status).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { L2AnnouncementPolicy, LoadBalancerIPPool } from '../../../generated/index.js';
import { desiredPolicyStatus } from '../../../src/reconcile/policy-status.js';
import { poolOfAddress, replayHoldings } from '../../../src/reconcile/held-through.js';
import type { Service } from '../../../src/core/kube-objects.js';

const pool = (name: string, cidr: string, labels: Record<string, string>): LoadBalancerIPPool => ({
  apiVersion: 'lanlb.io/v1beta1',
  kind: 'LoadBalancerIPPool',
  metadata: { name, labels, creationTimestamp: '2026-01-01T00:00:00Z' as never },
  spec: { blocks: [{ cidr }] },
});
const svc = (name: string, ip: string): Service => ({
  metadata: { name, namespace: 'a' },
  spec: { type: 'LoadBalancer' },
  status: { loadBalancer: { ingress: [{ ip }] } },
});
const policy = (spec: L2AnnouncementPolicy['spec']): L2AnnouncementPolicy => ({
  apiVersion: 'lanlb.io/v1beta1',
  kind: 'L2AnnouncementPolicy',
  metadata: { name: 'p', generation: 2 },
  spec,
});

describe('desiredPolicyStatus', () => {
  const pools = [pool('vlan10', '192.0.2.0/24', { vlan: '10' }), pool('vlan20', '198.51.100.0/24', { vlan: '20' })];
  const services = [svc('x', '192.0.2.1'), svc('y', '192.0.2.2'), svc('z', '198.51.100.1'), svc('w', '203.0.113.9')];
  const poolOf = poolOfAddress(replayHoldings(pools, services), pools);
  const now = '2026-12-06T00:00:00Z';

  it('selectedServices counts only Services with an address held through a selected pool', () => {
    const st = desiredPolicyStatus(
      policy({ poolSelector: { matchLabels: { vlan: '10' } } }),
      [],
      services,
      now,
      poolOf,
    );
    assert.equal(st.selectedServices, 2, 'x and y are in vlan10; z is in vlan20, w in no pool');
    const any = desiredPolicyStatus(policy({}), [], services, now, poolOf);
    assert.equal(any.selectedServices, 4, 'without a poolSelector every Service with an address counts');
  });

  it('an invalid poolSelector: Ready False with reason InvalidPoolSelector', () => {
    const bad = policy({ poolSelector: { matchExpressions: [{ key: 'vlan', operator: 'Exists', values: ['x'] }] } });
    const st = desiredPolicyStatus(bad, [], services, now, poolOf);
    const ready = st.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'False', 'an invalid selector is not Ready');
    assert.equal(ready?.reason, 'InvalidPoolSelector');
    assert.match(ready?.message ?? '', /^poolSelector: /);
  });
});
