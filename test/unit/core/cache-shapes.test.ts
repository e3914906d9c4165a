// What the caches keep: every field a decision reads, nothing else; a Service that is not a
// LoadBalancer becomes a small fixed record.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { endpointSliceForCache, nodeForCache, serviceForCache } from '../../../src/core/cache-shapes.js';
import type { Service } from '../../../src/core/kube-objects.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const meta = (extra: Record<string, unknown> = {}) => ({
  name: 'web',
  namespace: 'shop',
  uid: 'u1',
  resourceVersion: '7',
  generation: 2,
  creationTimestamp: '2026-11-26T00:00:00Z',
  labels: { app: 'web' },
  annotations: { [LAST_APPLIED]: 'x'.repeat(600), 'lanlb.io/ips': '192.0.2.9', 'metallb.io/address-pool': 'p' },
  managedFields: [{ manager: 'kubectl', fieldsV1: { 'f:spec': {} } }],
  ...extra,
});

describe('cache shapes', () => {
  it('a ClusterIP Service keeps name, namespace, uid, resourceVersion and type only', () => {
    const svc = {
      metadata: meta(),
      spec: { type: 'ClusterIP', clusterIP: '10.0.0.1', selector: { app: 'web' }, ports: [{ port: 80 }] },
      status: { loadBalancer: {} },
    } as unknown as Service;
    assert.deepEqual(serviceForCache(svc), {
      metadata: { name: 'web', namespace: 'shop', uid: 'u1', resourceVersion: '7' },
      spec: { type: 'ClusterIP' },
    });
    assert.ok(JSON.stringify(serviceForCache(svc)).length < 120, 'the cached shape is small (under 120 bytes of JSON)');
  });

  it('a LoadBalancer Service keeps what IPAM and announcement read, and only the annotations they read', () => {
    const svc = {
      metadata: meta(),
      spec: {
        type: 'LoadBalancer',
        clusterIP: '10.0.0.1',
        selector: { app: 'web' },
        loadBalancerClass: 'lanlb.io/l2',
        ipFamilies: ['IPv4'],
        ipFamilyPolicy: 'SingleStack',
        externalTrafficPolicy: 'Local',
        ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, nodePort: 31000 }],
      },
      status: { loadBalancer: { ingress: [{ ip: '192.0.2.9', ipMode: 'VIP' }] }, conditions: [] },
    } as unknown as Service;
    const kept = serviceForCache(svc);
    assert.deepEqual(kept.metadata.annotations, { 'lanlb.io/ips': '192.0.2.9', 'metallb.io/address-pool': 'p' });
    assert.equal((kept.metadata as unknown as Record<string, unknown>).managedFields, undefined);
    assert.deepEqual(kept.spec, {
      type: 'LoadBalancer',
      loadBalancerClass: 'lanlb.io/l2',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      externalTrafficPolicy: 'Local',
      ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    });
    assert.deepEqual(kept.status, { loadBalancer: { ingress: [{ ip: '192.0.2.9' }] }, conditions: [] });
    assert.deepEqual(kept.metadata.labels, { app: 'web' });
  });

  it('a Service that stopped being a LoadBalancer keeps its addresses visible, so they are released', () => {
    const svc = {
      metadata: meta(),
      spec: { type: 'ClusterIP' },
      status: { loadBalancer: { ingress: [{ ip: '192.0.2.9' }] } },
    } as unknown as Service;
    assert.deepEqual(serviceForCache(svc).status?.loadBalancer?.ingress, [{ ip: '192.0.2.9' }]);
  });

  it('a ClusterIP Service with externalIPs keeps labels and externalIPs (a policy may announce them)', () => {
    const svc = { metadata: meta(), spec: { type: 'ClusterIP', externalIPs: ['198.51.100.7'] } } as unknown as Service;
    const kept = serviceForCache(svc);
    assert.deepEqual([kept.spec?.externalIPs, kept.metadata.labels], [['198.51.100.7'], { app: 'web' }]);
  });

  it('Nodes keep name and labels; EndpointSlices their Service and endpoints readiness and node', () => {
    const node = { metadata: { ...meta(), namespace: undefined }, status: { images: ['big'] } };
    assert.deepEqual(nodeForCache(node as never), {
      metadata: { name: 'web', uid: 'u1', resourceVersion: '7', labels: { app: 'web' } },
    });
    const slice = {
      metadata: { ...meta(), labels: { 'kubernetes.io/service-name': 'web', other: 'x' } },
      addressType: 'IPv4',
      endpoints: [
        { addresses: ['10.1.0.5'], conditions: { ready: true, serving: true }, nodeName: 'n1', targetRef: {} },
        { addresses: ['10.1.0.6'], topology: { 'kubernetes.io/hostname': 'n2', zone: 'a' } },
      ],
      ports: [{ port: 8080 }],
    };
    assert.deepEqual(endpointSliceForCache(slice as never), {
      metadata: {
        name: 'web',
        namespace: 'shop',
        uid: 'u1',
        resourceVersion: '7',
        labels: { 'kubernetes.io/service-name': 'web' },
      },
      endpoints: [{ conditions: { ready: true }, nodeName: 'n1' }, { topology: { 'kubernetes.io/hostname': 'n2' } }],
    });
  });
});
