// lanlb's CRDs on a real kube-apiserver 1.20: install, columns, categories, explain, defaults,
// the apiserver's own validation, and custom resources round-tripping through the generated
// clients (the build counts as good only once this works: see hack/patch-reflect2.sh).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { LoadBalancerIPPoolV1beta1Client, L2AnnouncementPolicyV1beta1Client } from '../../generated/index.js';
import { useCluster, eventually } from '../helpers/cluster.js';
import { KubeApiError } from '../../src/runtime/ports/api-error.js';

const execFileP = promisify(execFile);

describe('CRDs on a real apiserver', () => {
  const c = useCluster({ crds: true });

  it('creates, reads and patches status of a pool through the generated client, with schema defaults', async () => {
    const pools = new LoadBalancerIPPoolV1beta1Client(c.custom);
    const created = await pools.create({
      metadata: { name: 'ingress-pool', namespace: 'kube-system' },
      spec: {
        blocks: [{ start: '192.0.2.10', stop: '192.0.2.10' }],
        serviceSelector: { matchLabels: { 'io.kubernetes.service.namespace': 'ingress-nginx' } },
      },
    });
    assert.equal(created.metadata.namespace, undefined, 'cluster-scoped: a namespace in the manifest is ignored');
    assert.equal(created.spec.disabled, false);
    assert.equal(created.spec.allowFirstLastIPs, false);
    const patched = await pools.patchStatus(
      'ingress-pool',
      {
        total: '1',
        used: '1',
        available: '0',
        observedGeneration: 1,
        conditions: [
          { type: 'Ready', status: 'True', reason: 'Valid', message: 'ok', lastTransitionTime: '2026-11-23T10:00:00Z' },
          {
            type: 'Conflicting',
            status: 'False',
            reason: 'NoOverlap',
            message: 'ok',
            lastTransitionTime: '2026-11-23T10:00:00Z',
          },
        ],
      },
      created.metadata.resourceVersion,
    );
    assert.equal(patched.status?.available, '0');
    assert.deepEqual((await pools.get('ingress-pool')).spec, created.spec, 'a status patch leaves spec alone');
    await assert.rejects(
      pools.patchStatus('ingress-pool', { used: '0' }, created.metadata.resourceVersion),
      (e: unknown) => (e as { code?: number }).code === 409,
    );
  });

  it('prints the columns docs/contract.md fixes for pools, policies and the lanlb category', async () => {
    const pools = (await c.kubectl('get', 'pools')).split('\n');
    assert.match(pools[0] ?? '', /^NAME\s+DISABLED\s+CONFLICTING\s+IPS AVAILABLE\s+AGE$/);
    assert.match(pools[1] ?? '', /^ingress-pool\s+false\s+False\s+0\s+\S+$/);
    const wide = (await c.kubectl('get', 'lbpools', '-o', 'wide')).split('\n');
    assert.match(
      wide[0] ?? '',
      /^NAME\s+DISABLED\s+CONFLICTING\s+IPS AVAILABLE\s+AGE\s+READY\s+REASON\s+USED\s+TOTAL\s+AUTO ASSIGN$/,
    );
    const policies = new L2AnnouncementPolicyV1beta1Client(c.custom);
    const p = await policies.create({ metadata: { name: 'policy1' }, spec: { interfaces: ['^eth[0-9]+'] } });
    assert.equal(p.spec.loadBalancerIPs, true);
    assert.equal(p.spec.externalIPs, false);
    await policies.patchStatus('policy1', {
      selectedNodes: 2,
      selectedServices: 1,
      conditions: [
        { type: 'Ready', status: 'True', reason: 'Valid', message: 'ok', lastTransitionTime: '2026-11-23T10:00:00Z' },
      ],
    });
    for (const name of ['l2p', 'l2policy', 'l2policies', 'l2announcementpolicies']) {
      const lines = (await c.kubectl('get', name)).split('\n');
      assert.match(lines[0] ?? '', /^NAME\s+SERVICES\s+NODES\s+READY\s+AGE$/, name);
      assert.match(lines[1] ?? '', /^policy1\s+1\s+2\s+True\s+\S+$/, name);
    }
    const all = await c.kubectl('get', 'lanlb');
    assert.match(all, /loadbalancerippool\.lanlb\.io\/ingress-pool/);
    assert.match(all, /l2announcementpolicy\.lanlb\.io\/policy1/);
    for (const short of ['pool', 'pools', 'lbpool', 'lbpools'])
      assert.match(await c.kubectl('get', short), /ingress-pool/);
  });

  it('explains every field (kubectl 1.32 against 1.20 needs plaintext-openapiv2)', async () => {
    const text = await eventually(
      async () => {
        const out = await c.kubectl('explain', 'loadbalancerippool.spec.blocks', '--output=plaintext-openapiv2');
        return out.includes('FIELDS') ? out : undefined;
      },
      20_000,
      'explain',
    );
    for (const field of ['cidr', 'start', 'stop']) assert.match(text, new RegExp(`${field}\\s+<string>\\n\\s+\\S`));
    const policy = await c.kubectl('explain', 'l2announcementpolicy.spec', '--output=plaintext-openapiv2');
    for (const field of ['serviceSelector', 'nodeSelector', 'interfaces', 'loadBalancerIPs', 'externalIPs'])
      assert.match(policy, new RegExp(field));
  });

  const invalid: Array<[string, unknown]> = [
    ['an empty block list', { blocks: [] }],
    ['a CIDR with a /33', { blocks: [{ cidr: '192.0.2.0/33' }] }],
    ['a start without a stop', { blocks: [{ start: '192.0.2.1' }] }],
    ['a start that is not an address', { blocks: [{ start: 'nope', stop: '192.0.2.9' }] }],
    [
      'a block with both cidr and start/stop',
      { blocks: [{ cidr: '192.0.2.0/28', start: '192.0.2.1', stop: '192.0.2.2' }] },
    ],
    [
      'an unknown selector operator',
      { blocks: [{ cidr: '192.0.2.0/28' }], serviceSelector: { matchExpressions: [{ key: 'a', operator: 'Near' }] } },
    ],
  ];
  for (const [name, spec] of invalid) {
    it(`the apiserver rejects a pool with ${name}`, async () => {
      await assert.rejects(
        c.custom.createClusterCustomObject({
          group: 'lanlb.io',
          version: 'v1beta1',
          plural: 'loadbalancerippools',
          body: { apiVersion: 'lanlb.io/v1beta1', kind: 'LoadBalancerIPPool', metadata: { name: 'bad' }, spec },
        }),
        (e: unknown) => (e as { code?: number }).code === 422,
      );
    });
  }

  it('enforces RBAC: the limited token is forbidden until bound to a role', async () => {
    const limited = c.cp.kubeConfig('limited');
    const { KubeHttp } = await import('../../src/kube/http.js');
    const http = new KubeHttp(limited);
    try {
      await assert.rejects(
        http.get('/apis/lanlb.io/v1beta1/loadbalancerippools'),
        (e: unknown) => e instanceof KubeApiError && e.statusCode === 403,
      );
      await c.http.post('/apis/rbac.authorization.k8s.io/v1/clusterroles', {
        metadata: { name: 'pool-reader' },
        rules: [{ apiGroups: ['lanlb.io'], resources: ['loadbalancerippools'], verbs: ['get', 'list'] }],
      });
      await c.http.post('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
        metadata: { name: 'pool-reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'pool-reader' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'lanlb-limited' }],
      });
      const list = await eventually(
        () => http.get<{ items: unknown[] }>('/apis/lanlb.io/v1beta1/loadbalancerippools'),
        10_000,
        'RBAC binding',
      );
      assert.equal(list.items.length, 1);
      await assert.rejects(
        http.delete('/apis/lanlb.io/v1beta1/loadbalancerippools/ingress-pool'),
        (e: unknown) => e instanceof KubeApiError && e.statusCode === 403,
      );
    } finally {
      http.close();
    }
  });

  it('updates an installed CRD in place (re-install is idempotent)', async () => {
    const { installCrds } = await import('../../src/kube/crd-install.js');
    assert.deepEqual(await installCrds(c.http), [
      'l2announcementpolicies.lanlb.io',
      'l2announcements.lanlb.io',
      'loadbalancerippools.lanlb.io',
    ]);
    const { stdout } = await execFileP('kubectl', ['--kubeconfig', c.kubeconfigPath, 'get', 'crd', '-o', 'name']);
    assert.equal(stdout.trim().split('\n').length, 3);
  });
});
