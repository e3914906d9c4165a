import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planAnnouncements, type PlanInput } from '../../../src/announcer/plan/desired.js';
import type { L2AnnouncementPolicy, LoadBalancerIPPool } from '../../../generated/index.js';
import { poolLookupWhenAsked } from '../../../src/reconcile/held-through.js';
import { policyProblem } from '../../../src/core/policy-selection.js';

const policy = (name: string, spec: L2AnnouncementPolicy['spec']): L2AnnouncementPolicy => ({
  apiVersion: 'lanlb.io/v1beta1',
  kind: 'L2AnnouncementPolicy',
  metadata: { name },
  spec: { loadBalancerIPs: true, externalIPs: false, ...spec },
});
const node = (name: string, labels: Record<string, string> = {}) => ({
  metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
});
const svc = (ns: string, name: string, ip: string, extra: Record<string, unknown> = {}) => ({
  metadata: { name, namespace: ns },
  spec: { type: 'LoadBalancer', ...extra },
  status: { loadBalancer: { ingress: [{ ip }] } },
});
const links = [
  { name: 'lo', up: true, loopback: true },
  { name: 'eth0', up: true, loopback: false },
  { name: 'eth1', up: false, loopback: false },
  { name: 'bond0', up: true, loopback: false },
];
const input = (over: Partial<PlanInput>): PlanInput => ({
  me: 'n1',
  policies: [],
  services: [],
  nodes: [node('n1'), node('n2'), node('n3', { 'node-role.kubernetes.io/control-plane': '' })],
  slices: [],
  links,
  ...over,
});

describe('planAnnouncements', () => {
  it('a Service no policy selects is not announced', () => {
    assert.deepEqual(planAnnouncements(input({ services: [svc('a', 's', '192.0.2.1')] })), []);
  });

  it('candidates are the nodes the policy selects; interfaces are the matching, up, non-loopback ones', () => {
    const [p] = planAnnouncements(
      input({
        policies: [
          policy('p', {
            nodeSelector: {
              matchExpressions: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'DoesNotExist' }],
            },
            interfaces: ['^eth[0-9]+$'],
          }),
        ],
        services: [svc('a', 's', '192.0.2.1')],
      }),
    );
    assert.deepEqual(p?.candidates.sort(), ['n1', 'n2']);
    assert.deepEqual(p?.interfaces, ['eth0'], 'eth1 is down, bond0 does not match, lo is loopback');
    assert.deepEqual(p?.addresses, [{ family: 4, value: 0xc0000201n }]);
  });

  it('no interfaces field means every usable interface', () => {
    const [p] = planAnnouncements(input({ policies: [policy('p', {})], services: [svc('a', 's', '192.0.2.1')] }));
    assert.deepEqual(p?.interfaces, ['bond0', 'eth0']);
  });

  it('this node is no candidate when none of its interfaces matches', () => {
    const [p] = planAnnouncements(
      input({ policies: [policy('p', { interfaces: ['^ens'] })], services: [svc('a', 's', '192.0.2.1')] }),
    );
    assert.ok(!p?.candidates.includes('n1'), 'n1 is not a candidate');
  });

  it('externalIPs are announced only when the policy says so', () => {
    const s = { ...svc('a', 's', '192.0.2.1', { externalIPs: ['198.51.100.9'] }) };
    assert.equal(planAnnouncements(input({ policies: [policy('p', {})], services: [s] }))[0]?.addresses.length, 1);
    assert.equal(
      planAnnouncements(input({ policies: [policy('p', { externalIPs: true })], services: [s] }))[0]?.addresses.length,
      2,
    );
  });

  it('externalTrafficPolicy Local: only nodes with a ready endpoint, from v1 or v1beta1 EndpointSlices', () => {
    const s = svc('a', 's', '192.0.2.1', { externalTrafficPolicy: 'Local' });
    const slices = [
      {
        metadata: { name: 'x', namespace: 'a', labels: { 'kubernetes.io/service-name': 's' } },
        endpoints: [
          { nodeName: 'n2', conditions: { ready: true } },
          { nodeName: 'n1', conditions: { ready: false } },
        ],
      },
      {
        metadata: { name: 'y', namespace: 'a', labels: { 'kubernetes.io/service-name': 's' } },
        endpoints: [{ topology: { 'kubernetes.io/hostname': 'n3' } }],
      },
    ];
    const [p] = planAnnouncements(input({ policies: [policy('p', {})], services: [s], slices }));
    assert.deepEqual(p?.candidates.sort(), ['n2', 'n3']);
  });

  it('an invalid policy selects nothing', () => {
    assert.deepEqual(
      planAnnouncements(
        input({ policies: [policy('p', { interfaces: ['('] })], services: [svc('a', 's', '192.0.2.1')] }),
      ),
      [],
    );
  });
});

describe('planAnnouncements with a poolSelector (MetalLB ipAddressPools / ipAddressPoolSelectors)', () => {
  const pool = (name: string, cidrs: string[], labels: Record<string, string>): LoadBalancerIPPool => ({
    apiVersion: 'lanlb.io/v1beta1',
    kind: 'LoadBalancerIPPool',
    metadata: { name, labels, creationTimestamp: '2026-01-01T00:00:00Z' as never },
    spec: { blocks: cidrs.map((cidr) => ({ cidr })) },
  });
  const pools = [
    pool('vlan10', ['192.0.2.0/24'], { vlan: '10' }),
    pool('vlan20', ['198.51.100.0/24', '2001:db8:20::/64'], { vlan: '20' }),
  ];
  // One address per family: a dual-stack Service may hold its two through different pools.
  const dual = { loadBalancer: { ingress: [{ ip: '192.0.2.6' }, { ip: '2001:db8:20::6' }] } };
  const services = [
    svc('a', 'on10', '192.0.2.5'),
    svc('a', 'on20', '198.51.100.5'),
    svc('a', 'outside', '203.0.113.5'),
    { ...svc('a', 'both', '192.0.2.6', { ipFamilyPolicy: 'PreferDualStack' }), status: dual },
  ];
  const plan = (p: L2AnnouncementPolicy['spec'], known = true) => {
    const policies = [policy('p', p)];
    const poolOf = poolLookupWhenAsked(policies, known ? pools : undefined, services);
    const out = planAnnouncements(input({ policies, services, poolOf }));
    return Object.fromEntries(out.map((s) => [s.name, s.addresses.map((a) => a.value.toString(16))]));
  };

  it('announces only the addresses held through a selected pool', () => {
    assert.deepEqual(plan({ poolSelector: { matchLabels: { vlan: '10' } } }), {
      on10: ['c0000205'],
      both: ['c0000206'],
    });
  });

  it('absent: any pool, and addresses of no pool too, as before', () => {
    assert.deepEqual(Object.keys(plan({})).sort(), ['both', 'on10', 'on20', 'outside']);
  });

  it('{} selects every pool but not an address held through none', () => {
    assert.deepEqual(Object.keys(plan({ poolSelector: {} })).sort(), ['both', 'on10', 'on20']);
  });

  it('ANDs with the serviceSelector', () => {
    const spec = {
      poolSelector: { matchLabels: { vlan: '20' } },
      serviceSelector: { matchLabels: { 'io.kubernetes.service.name': 'both' } },
    };
    assert.deepEqual(plan(spec), { both: ['20010db8002000000000000000000006'] });
  });

  it('pools unknown (not readable yet): such a policy announces nothing rather than guess', () => {
    assert.deepEqual(plan({ poolSelector: { matchLabels: { vlan: '10' } } }, false), {});
  });

  it('an invalid poolSelector makes the policy invalid', () => {
    const bad = { poolSelector: { matchExpressions: [{ key: 'vlan', operator: 'In' as const, values: [] }] } };
    assert.deepEqual(plan(bad), {});
    assert.equal(policyProblem(policy('p', bad))?.reason, 'InvalidPoolSelector');
  });
});
