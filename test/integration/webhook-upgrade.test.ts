// CRD upgrade v1alpha1 -> v1beta1 on a real apiserver, through the controller's conversion and
// validation webhooks (HTTPS, certificate made and injected by the controller): objects created
// as v1alpha1 before the upgrade read back as v1beta1 with the same meaning, allocations survive,
// storage is migrated, and bad manifests are refused with a reason.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { controllerAccess, useCluster, eventually } from '../helpers/cluster.js';
import { startLanlb, type LanlbProcess } from '../helpers/lanlb-process.js';
import { ensureNamespace, getService, ips } from '../helpers/k8s-objects.js';
import { firstPublishedCrds } from '../helpers/first-published.js';
import { installCrds } from '../../src/kube/crd-install.js';
import { createFromYaml } from '../../src/kube/apply.js';
import { freePort } from '../../src/devcluster/free-port.js';
import { KubeApiError } from '../../src/runtime/ports/api-error.js';

const execFileP = promisify(execFile);
const POOLS = '/apis/lanlb.io/v1beta1/loadbalancerippools';
const POOLS_ALPHA = '/apis/lanlb.io/v1alpha1/loadbalancerippools';

describe('CRD upgrade and webhooks', () => {
  // Under the shipped RBAC: the storage migration must be allowed to finish (it once got a 403).
  const c = useCluster({ rbac: true });
  let controller: LanlbProcess;

  before(
    async () => {
      for (const crd of firstPublishedCrds())
        await c.http.post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
      await eventually(
        async () => (await c.http.get<{ items: unknown[] }>(POOLS_ALPHA)).items,
        20_000,
        'v1alpha1 served',
      );
      // Before the upgrade: a v1alpha1 pool and policy, and a Service the old controller had given an address.
      await c.http.post(POOLS_ALPHA, {
        apiVersion: 'lanlb.io/v1alpha1',
        kind: 'LoadBalancerIPPool',
        metadata: { name: 'old-pool' },
        spec: {
          cidrs: [{ cidr: '192.0.2.0/28' }],
          serviceSelector: { matchLabels: { 'io.kubernetes.service.namespace': 'up' } },
        },
      });
      await c.http.post('/apis/lanlb.io/v1alpha1/l2announcementpolicies', {
        apiVersion: 'lanlb.io/v1alpha1',
        kind: 'L2AnnouncementPolicy',
        metadata: { name: 'old-policy' },
        spec: { interface: '^eth0$' },
      });
      await ensureNamespace(c.http, 'up');
      await c.http.post('/api/v1/namespaces/up/services', {
        metadata: { name: 'web' },
        spec: { type: 'LoadBalancer', ports: [{ port: 80, targetPort: 80 }] },
      });
      await c.http.patch('/api/v1/namespaces/up/services/web/status', {
        status: { loadBalancer: { ingress: [{ ip: '192.0.2.7' }] } },
      });

      // The upgrade: new CRDs (v1beta1 storage, v1alpha1 deprecated, conversion webhook), new controller.
      await ensureNamespace(c.http, 'lanlb-system');
      await createFromYaml(c.http, readFileSync('config/webhook/validating-webhook.yaml', 'utf8'));
      await installCrds(c.http);
      const port = await freePort();
      controller = startLanlb([
        'controller',
        ...controllerAccess(c),
        '--health-addr',
        '0',
        '--metrics-addr',
        '0',
        '--webhook-addr',
        `127.0.0.1:${port}`,
        '--webhook-public-url',
        `https://127.0.0.1:${port}`,
      ]);
      await controller.waitForLog('webhook serving', 60_000);
      await controller.waitForLog('storage migrated', 30_000);
    },
    { timeout: 180_000 },
  );
  after(async () => {
    await controller?.stop();
  });

  it('a pool and a policy created as v1alpha1 read back as v1beta1 with the same meaning', async () => {
    const pool = await c.http.get<{ spec: { blocks: unknown[]; allowFirstLastIPs: boolean } }>(`${POOLS}/old-pool`);
    assert.deepEqual(pool.spec.blocks, [{ cidr: '192.0.2.0/28' }]);
    assert.equal(pool.spec.allowFirstLastIPs, false);
    const policy = await c.http.get<{ spec: { interfaces: string[] } }>(
      '/apis/lanlb.io/v1beta1/l2announcementpolicies/old-policy',
    );
    assert.deepEqual(policy.spec.interfaces, ['^eth0$']);
  });

  it('the allocation survives the upgrade', async () => {
    await eventually(
      async () =>
        (await c.kubectl('get', 'pools', 'old-pool', '--no-headers')).match(/old-pool\s+false\s+False\s+13\s/) ||
        undefined,
      15_000,
      'pool status',
    );
    assert.deepEqual(ips(await getService(c.http, 'up', 'web')), ['192.0.2.7']);
  });

  it('storage is migrated: storedVersions is v1beta1 only', async () => {
    // One CRD after the other: the log line `before` waited for names only the first.
    for (const name of ['loadbalancerippools.lanlb.io', 'l2announcementpolicies.lanlb.io']) {
      const stored = async () =>
        (
          await c.http.get<{ status: { storedVersions: string[] } }>(
            `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
          )
        ).status.storedVersions;
      await eventually(async () => ((await stored()).join() === 'v1beta1' ? true : undefined), 30_000, name).catch(
        () => undefined,
      );
      assert.deepEqual(await stored(), ['v1beta1'], name);
    }
  });

  it('v1alpha1 stays readable and writable through conversion, with a deprecation warning', async () => {
    await c.http.post(POOLS, {
      apiVersion: 'lanlb.io/v1beta1',
      kind: 'LoadBalancerIPPool',
      metadata: { name: 'ranges' },
      spec: {
        blocks: [{ cidr: '198.51.100.0/29' }, { start: '198.51.100.100', stop: '198.51.100.110' }],
        allowFirstLastIPs: true,
      },
    });
    const alpha = await c.http.get<{ spec: { cidrs: unknown[] } }>(`${POOLS_ALPHA}/ranges`);
    assert.deepEqual(alpha.spec.cidrs, [{ cidr: '198.51.100.0/29' }]);
    const back = await c.http.get<{ spec: { blocks: unknown[]; allowFirstLastIPs: boolean } }>(`${POOLS}/ranges`);
    assert.deepEqual(back.spec.blocks, [
      { cidr: '198.51.100.0/29' },
      { start: '198.51.100.100', stop: '198.51.100.110' },
    ]);
    assert.equal(back.spec.allowFirstLastIPs, true);
    const { stderr } = await execFileP('kubectl', [
      '--kubeconfig',
      c.kubeconfigPath,
      'get',
      'loadbalancerippools.v1alpha1.lanlb.io',
    ]);
    assert.match(stderr, /lanlb\.io\/v1alpha1 LoadBalancerIPPool is deprecated/);
  });

  const rejected: Array<[string, object, RegExp]> = [
    [
      'overlapping blocks in one pool',
      {
        apiVersion: 'lanlb.io/v1beta1',
        kind: 'LoadBalancerIPPool',
        metadata: { name: 'bad1' },
        spec: { blocks: [{ cidr: '203.0.113.0/28' }, { start: '203.0.113.8', stop: '203.0.113.20' }] },
      },
      /overlap/,
    ],
    [
      'a range of two families',
      {
        apiVersion: 'lanlb.io/v1beta1',
        kind: 'LoadBalancerIPPool',
        metadata: { name: 'bad2' },
        spec: { blocks: [{ start: '203.0.113.1', stop: '2001:db8::1' }] },
      },
      /different IP families/,
    ],
    [
      'start after stop',
      {
        apiVersion: 'lanlb.io/v1beta1',
        kind: 'LoadBalancerIPPool',
        metadata: { name: 'bad3' },
        spec: { blocks: [{ start: '203.0.113.9', stop: '203.0.113.1' }] },
      },
      /start is after stop/,
    ],
    [
      'an interface expression that does not compile',
      {
        apiVersion: 'lanlb.io/v1beta1',
        kind: 'L2AnnouncementPolicy',
        metadata: { name: 'bad4' },
        spec: { interfaces: ['eth[0-9'] },
      },
      /not a valid regular expression/,
    ],
    [
      'a v1alpha1 policy with a bad expression',
      {
        apiVersion: 'lanlb.io/v1alpha1',
        kind: 'L2AnnouncementPolicy',
        metadata: { name: 'bad5' },
        spec: { interface: '(' },
      },
      /not a valid regular expression/,
    ],
  ];
  for (const [name, obj, re] of rejected) {
    it(`the validating webhook refuses ${name}`, async () => {
      const o = obj as { apiVersion: string; kind: string };
      const plural = o.kind === 'LoadBalancerIPPool' ? 'loadbalancerippools' : 'l2announcementpolicies';
      await assert.rejects(
        c.http.post(`/apis/${o.apiVersion}/${plural}`, obj),
        (e: unknown) => e instanceof KubeApiError && e.statusCode >= 400 && e.statusCode < 500 && re.test(e.message),
      );
    });
  }

  it(
    'the certificate is in the Secret and its CA is ' + 'injected into the webhook configuration and the CRDs',
    async () => {
      const secret = await c.http.get<{ data: Record<string, string> }>(
        '/api/v1/namespaces/lanlb-system/secrets/lanlb-webhook-cert',
      );
      const ca = secret.data['ca.crt'];
      const vwc = await c.http.get<{ webhooks: Array<{ clientConfig: { caBundle: string } }> }>(
        '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/lanlb-validating-webhook',
      );
      assert.equal(vwc.webhooks[0]?.clientConfig.caBundle, ca);
      const crd = await c.http.get<{ spec: { conversion: { webhook: { clientConfig: { caBundle: string } } } } }>(
        '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/loadbalancerippools.lanlb.io',
      );
      assert.equal(crd.spec.conversion.webhook.clientConfig.caBundle, ca);
    },
  );
});
