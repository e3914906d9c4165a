// Reading Services, including spec.loadBalancerClass, which the 1.20 apiserver used by the
// integration tests does not have: this is where that field is covered.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { claimService } from '../../../src/reconcile/service-request.js';
import { DEFAULT_LOAD_BALANCER_CLASS } from '../../../src/reconcile/annotations.js';
import type { Service } from '../../../src/core/kube-objects.js';

const base = (spec: Service['spec'] = {}, annotations: Record<string, string> = {}): Service => ({
  metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' }, annotations },
  spec: { type: 'LoadBalancer', ports: [{ port: 80 }, { port: 53, protocol: 'UDP' }], ...spec },
});

describe('claimService', () => {
  it('the default class is lanlb.io/l2', () => assert.equal(DEFAULT_LOAD_BALANCER_CLASS, 'lanlb.io/l2'));

  const classes: Array<[string, string | undefined, string, boolean]> = [
    ['no class (and every 1.20 Service)', undefined, 'lanlb.io/l2', true],
    ['our class', 'lanlb.io/l2', 'lanlb.io/l2', true],
    ["another controller's class", 'metallb.io/metallb', 'lanlb.io/l2', false],
    ['a configured class', 'corp/lb', 'corp/lb', true],
    ['the default class when another is configured', 'lanlb.io/l2', 'corp/lb', false],
  ];
  for (const [name, cls, configured, ours] of classes) {
    it(`loadBalancerClass: ${name}`, () => {
      const claim = claimService(base(cls === undefined ? {} : { loadBalancerClass: cls }), configured);
      assert.equal(claim.kind, ours ? 'ours' : 'not-ours');
      if (!ours) assert.equal(claim.kind === 'not-ours' && claim.reason, 'other-class');
    });
  }

  it('is not ours unless type LoadBalancer', () => {
    const claim = claimService(base({ type: 'ClusterIP' }), DEFAULT_LOAD_BALANCER_CLASS);
    assert.deepEqual(claim, { kind: 'not-ours', reason: 'not-load-balancer' });
  });

  it('reads annotations, virtual labels, ports, families and current addresses', () => {
    const svc = base(
      { ipFamilies: ['IPv6', 'IPv4'], ipFamilyPolicy: 'RequireDualStack', loadBalancerIP: '192.0.2.1' },
      {
        'lanlb.io/ips': '2001:db8::5, 192.0.2.5',
        'lanlb.io/pool': ' p1 ',
        'lanlb.io/sharing-key': 'k',
        'lanlb.io/sharing-cross-namespace': 'a, b',
      },
    );
    svc.status = { loadBalancer: { ingress: [{ ip: '192.0.2.5' }, { hostname: 'x.example' }] } };
    const claim = claimService(svc, DEFAULT_LOAD_BALANCER_CLASS, ['2001:db8::5']);
    assert.equal(claim.kind, 'ours');
    const r = claim.kind === 'ours' ? claim.request : undefined;
    assert.deepEqual(r, {
      key: 'shop/web',
      namespace: 'shop',
      name: 'web',
      labels: { app: 'web', 'io.kubernetes.service.namespace': 'shop', 'io.kubernetes.service.name': 'web' },
      families: ['IPv6', 'IPv4'],
      familyPolicy: 'RequireDualStack',
      requestedIPs: ['2001:db8::5', '192.0.2.5'],
      pool: 'p1',
      sharingKey: 'k',
      sharingNamespaces: ['a', 'b'],
      ports: [
        { port: 80, protocol: 'TCP' },
        { port: 53, protocol: 'UDP' },
      ],
      current: ['192.0.2.5', '2001:db8::5'],
    });
  });

  const fallbacks: Array<
    [string, Record<string, string>, Partial<Record<'requestedIPs' | 'pool' | 'sharingKey', unknown>>, string]
  > = [
    [
      'MetalLB 0.13+',
      { 'metallb.io/loadBalancerIPs': '192.0.2.7', 'metallb.io/address-pool': 'p', 'metallb.io/allow-shared-ip': 'k' },
      { requestedIPs: ['192.0.2.7'], pool: 'p', sharingKey: 'k' },
      'metallb.io/loadBalancerIPs',
    ],
    [
      'MetalLB < 0.13',
      { 'metallb.universe.tf/loadBalancerIPs': '192.0.2.8', 'metallb.universe.tf/address-pool': 'q' },
      { requestedIPs: ['192.0.2.8'], pool: 'q' },
      'metallb.universe.tf/address-pool',
    ],
    [
      'Cilium',
      { 'lbipam.cilium.io/ips': '192.0.2.9', 'lbipam.cilium.io/sharing-key': 's' },
      { requestedIPs: ['192.0.2.9'], sharingKey: 's' },
      'lbipam.cilium.io/ips',
    ],
  ];
  for (const [name, annotations, want, reported] of fallbacks) {
    it(`reads ${name} annotations as deprecated fallbacks`, () => {
      const claim = claimService(base({}, annotations), DEFAULT_LOAD_BALANCER_CLASS);
      assert.equal(claim.kind, 'ours');
      if (claim.kind !== 'ours') return;
      for (const [k, v] of Object.entries(want)) assert.deepEqual(claim.request[k as keyof typeof want], v, k);
      assert.ok(
        claim.deprecated.some((d) => d.startsWith(reported)),
        claim.deprecated.join(),
      );
    });
  }

  it("lanlb's own annotation wins over a fallback and reports nothing", () => {
    const claim = claimService(
      base({}, { 'lanlb.io/ips': '192.0.2.1', 'metallb.io/loadBalancerIPs': '192.0.2.2' }),
      DEFAULT_LOAD_BALANCER_CLASS,
    );
    assert.deepEqual(claim.kind === 'ours' && [claim.request.requestedIPs, claim.deprecated], [['192.0.2.1'], []]);
  });

  it('spec.loadBalancerIP is the request when lanlb.io/ips is absent', () => {
    const claim = claimService(base({ loadBalancerIP: '192.0.2.9' }), DEFAULT_LOAD_BALANCER_CLASS);
    assert.deepEqual(claim.kind === 'ours' && claim.request.requestedIPs, ['192.0.2.9']);
  });
});
