// Real MetalLB and Cilium manifests (the seed articles' among them) through `lanlb migrate`:
// what comes out is valid lanlb, means the same, and says what it could not carry over.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { migrateText } from '../../../src/cli/migrate-command.js';
import { validateText } from '../../../src/cli/validate-command.js';

function migrated(text: string) {
  const r = migrateText(text);
  const out = r.objects.map((o) => stringify(o)).join('---\n');
  assert.deepEqual(validateText(out, 'out').lines, [], 'the output validates');
  return r;
}

describe('lanlb migrate', () => {
  it("seed 001: MetalLB's legacy ConfigMap with a layer2 address pool", () => {
    const r = migrated(`apiVersion: v1
kind: ConfigMap
metadata: {namespace: metallb-system, name: config}
data:
  config: |
    address-pools:
    - name: my-ip-space
      protocol: layer2
      addresses:
      - 192.0.2.15-192.0.2.20
    - name: bgp-space
      protocol: bgp
      addresses: [198.51.100.0/24]
`);
    assert.deepEqual(r.objects[0]?.spec, {
      blocks: [{ start: '192.0.2.15', stop: '192.0.2.20' }],
      allowFirstLastIPs: true,
    });
    assert.equal(r.objects[1]?.kind, 'L2AnnouncementPolicy');
    assert.match(r.notes.map((n) => n.message).join(), /protocol bgp is not supported/);
  });

  it('MetalLB IPAddressPool and L2Advertisement (metallb.io/v1beta1)', () => {
    const r = migrated(`apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: prod, namespace: metallb-system}
spec:
  addresses: [192.0.2.0/24, "2001:db8::10-2001:db8::20", 198.51.100.7]
  autoAssign: false
  avoidBuggyIPs: true
  serviceAllocation:
    priority: 10
    namespaces: [shop]
    serviceSelectors:
    - matchLabels: {tier: edge}
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: l2, namespace: metallb-system}
spec:
  ipAddressPools: [prod]
  nodeSelectors:
  - matchLabels: {kubernetes.io/hostname: node1}
  interfaces: [eth0, "bond0.100"]
`);
    const [p, l] = r.objects;
    assert.deepEqual(p?.spec.blocks, [
      { cidr: '192.0.2.0/24' },
      { start: '2001:db8::10', stop: '2001:db8::20' },
      { start: '198.51.100.7', stop: '198.51.100.7' },
    ]);
    assert.equal(p?.spec.allowFirstLastIPs, false);
    assert.deepEqual(p?.spec.serviceSelector, {
      matchLabels: { tier: 'edge' },
      matchExpressions: [{ key: 'io.kubernetes.service.namespace', operator: 'In', values: ['shop'] }],
    });
    assert.deepEqual(l?.spec.nodeSelector, { matchLabels: { 'kubernetes.io/hostname': 'node1' } });
    assert.deepEqual(l?.spec.interfaces, ['^eth0$', '^bond0\\.100$']);
    assert.deepEqual(l?.spec.poolSelector, {
      matchExpressions: [{ key: 'lanlb.io/pool-name', operator: 'In', values: ['prod'] }],
    });
    assert.deepEqual(p?.metadata.labels, { 'lanlb.io/pool-name': 'prod' }, 'the named pool is labelled');
    assert.equal(p?.spec.autoAssign, false, 'autoAssign is carried over');
    const notes = r.notes.map((n) => n.message).join('\n');
    assert.doesNotMatch(notes, /autoAssign/);
    assert.match(notes, /priority/);
  });

  it("MetalLB's documented layer-2 example (one pool, an L2Advertisement naming it): nothing lost, no note", () => {
    const r = migrated(`apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: first-pool, namespace: metallb-system}
spec:
  addresses: [192.0.2.200-192.0.2.250]
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: example, namespace: metallb-system}
spec:
  ipAddressPools: [first-pool]
`);
    assert.deepEqual(r.notes, []);
    assert.deepEqual(r.objects[1]?.spec, {
      loadBalancerIPs: true,
      externalIPs: false,
      poolSelector: { matchExpressions: [{ key: 'lanlb.io/pool-name', operator: 'In', values: ['first-pool'] }] },
    });
  });

  it('one pool per VLAN, each announced on its own interface: migrated without loss (no note)', () => {
    const r = migrated(`apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: a}
spec: {addresses: [192.0.2.0/28]}
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: b}
spec: {addresses: [198.51.100.0/28]}
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: only-a}
spec: {ipAddressPools: [a], interfaces: [eth1]}
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: by-label}
spec:
  ipAddressPoolSelectors:
  - matchLabels: {vlan: "20"}
  - matchExpressions: [{key: zone, operator: In, values: [x]}]
  ipAddressPools: [b]
  interfaces: [eth2]
`);
    assert.deepEqual(r.notes, []);
    const policies = r.objects.filter((o) => o.kind === 'L2AnnouncementPolicy');
    const named = (values: string[]) => ({ matchExpressions: [{ key: 'lanlb.io/pool-name', operator: 'In', values }] });
    assert.deepEqual(
      policies.map((o) => [o.metadata.name, o.spec.poolSelector, o.spec.interfaces]),
      [
        ['only-a', named(['a']), ['^eth1$']],
        ['by-label', named(['b']), ['^eth2$']],
        ['by-label-2', { matchLabels: { vlan: '20' } }, ['^eth2$']],
        ['by-label-3', { matchExpressions: [{ key: 'zone', operator: 'In', values: ['x'] }] }, ['^eth2$']],
      ],
      'MetalLB ORs names and selectors: one policy per clause announces their union',
    );
    const pools = r.objects.filter((o) => o.kind === 'LoadBalancerIPPool');
    assert.deepEqual(
      pools.map((o) => o.metadata.labels),
      [{ 'lanlb.io/pool-name': 'a' }, { 'lanlb.io/pool-name': 'b' }],
    );
  });

  it('pool labels are kept (ipAddressPoolSelectors match them); a named pool not in the input is a note', () => {
    const r = migrated(`apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: a, labels: {vlan: "20"}}
spec: {addresses: [192.0.2.0/28]}
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: l}
spec: {ipAddressPools: [elsewhere]}
`);
    assert.deepEqual(r.objects[0]?.metadata.labels, { vlan: '20' });
    assert.match(r.notes.map((n) => n.message).join('\n'), /elsewhere, which is not in the input/);
  });

  it('seeds 000, 003, 004: Cilium pools (v2alpha1 cidrs and blocks, v2) and L2 announcement policies', () => {
    const r = migrated(`apiVersion: "cilium.io/v2alpha1"
kind: CiliumL2AnnouncementPolicy
metadata: {name: cilium-lb-ingress, namespace: kube-system}
spec:
  nodeSelector: {matchLabels: {kubernetes.io/hostname: "node1"}}
  serviceSelector: {matchLabels: {"io.kubernetes.service.namespace": "ingress-nginx"}}
  loadBalancerIPs: true
---
apiVersion: "cilium.io/v2alpha1"
kind: CiliumLoadBalancerIPPool
metadata: {name: ingress-pool, namespace: kube-system}
spec:
  blocks: [{start: "192.0.2.10", stop: "192.0.2.10"}]
  serviceSelector: {matchLabels: {"io.kubernetes.service.namespace": "ingress-apisix"}}
---
apiVersion: "cilium.io/v2alpha1"
kind: CiliumLoadBalancerIPPool
metadata: {name: "blue-pool"}
spec:
  cidrs: [{cidr: "203.0.113.0/24"}]
  serviceSelector: {matchExpressions: [{key: color, operator: In, values: [blue, cyan]}]}
---
apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata: {name: v2-pool}
spec:
  blocks: [{cidr: "198.51.100.0/24"}]
  allowFirstLastIPs: "Yes"
  disabled: true
---
apiVersion: "cilium.io/v2alpha1"
kind: CiliumL2AnnouncementPolicy
metadata: {name: policy1}
spec:
  nodeSelector: {matchExpressions: [{key: node-role.kubernetes.io/control-plane, operator: DoesNotExist}]}
  interfaces:
  - ^eth[0-9]+
  externalIPs: true
  loadBalancerIPs: true
`);
    const byName = new Map(r.objects.map((o) => [o.metadata.name, o]));
    assert.deepEqual(byName.get('ingress-pool')?.spec.blocks, [{ start: '192.0.2.10', stop: '192.0.2.10' }]);
    assert.deepEqual(byName.get('blue-pool')?.spec.blocks, [{ cidr: '203.0.113.0/24' }]);
    assert.equal(byName.get('v2-pool')?.spec.allowFirstLastIPs, true);
    assert.equal(byName.get('v2-pool')?.spec.disabled, true);
    assert.deepEqual(byName.get('policy1')?.spec, {
      loadBalancerIPs: true,
      externalIPs: true,
      nodeSelector: { matchExpressions: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'DoesNotExist' }] },
      interfaces: ['^eth[0-9]+'],
    });
    assert.equal(byName.get('cilium-lb-ingress')?.kind, 'L2AnnouncementPolicy');
  });

  it('ignores other kinds and reports BGP as not carried over', () => {
    const r = migrateText(
      'apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: tor}\nspec: ' +
        '{peerASN: 64512}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: x}',
    );
    assert.equal(r.objects.length, 0);
    assert.match(r.notes[0]?.message ?? '', /BGP is not supported/);
  });
});
