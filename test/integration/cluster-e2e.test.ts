// lanlb installed as users install it, on a real one-node Kubernetes 1.20.2 (kubelet, containerd,
// runc, bridge CNI, kube-proxy in iptables mode) inside network namespaces (hack/cluster.sh), with
// the image built from this checkout without a registry (hack/build-image.sh). The path starts at
// the first published CRDs with v1alpha1 objects, so the install is also the upgrade:
// `kubectl apply -k config/default`, both workloads roll out under their ServiceAccounts, the leader
// migrates storage under the shipped RBAC, the webhooks admit, refuse and convert, a LoadBalancer
// Service gets an address that a host on the LAN resolves by ARP to the node and reaches over
// HTTP through kube-proxy; then `kubectl delete -k config/default` leaves nothing of lanlb behind.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { firstPublishedCrds } from '../helpers/first-published.js';
import { eventually } from '../helpers/cluster.js';
import { lanlbCacheDir } from '../../src/devcluster/control-plane.js';

const ROOT = resolve(import.meta.dirname, '../..');
const NODE_IP = '198.18.0.10';
const NODE_NAME = 'e2e-node';
const POOL = '198.18.0.200/29';
const SYSTEM = 'lanlb-system';

/** Runs a hack/ script; rejects with its stderr when it fails. */
function hack(script: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((ok, fail) => {
    execFile(
      'bash',
      [join(ROOT, 'hack', script), ...args],
      { timeout: timeoutMs, encoding: 'utf8', maxBuffer: 64 << 20 },
      (e, out, err) => (e ? fail(new Error(`hack/${script} ${args.join(' ')}: ${e.message}\n${err}`)) : ok(out)),
    );
  });
}

const cluster = (args: string[], timeoutMs = 120_000): Promise<string> => hack('cluster.sh', args, timeoutMs);

/** Polls once a second: every check here starts a kubectl or a peer program. */
function waitUntil<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  return eventually(check, timeoutMs, what, 1_000);
}

const kubectl = (...args: string[]): Promise<string> => cluster(['kubectl', ...args], 300_000);
const onLan = (...args: string[]): Promise<string> => cluster(['lan', ...args], 30_000);

const work = mkdtempSync(join(tmpdir(), 'lanlb-e2e-'));
let fileCount = 0;
/** kubectl apply of objects (JSON is YAML), through a file kubectl reads. */
async function apply(objects: object[]): Promise<string> {
  const file = join(work, `objects-${fileCount++}.json`);
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
  return kubectl('apply', '-f', file);
}

async function getJson<T>(...args: string[]): Promise<T> {
  return JSON.parse(await kubectl('get', ...args, '-o', 'json')) as T;
}

const oldPool = {
  apiVersion: 'lanlb.io/v1alpha1',
  kind: 'LoadBalancerIPPool',
  metadata: { name: 'e2e-old' },
  spec: { cidrs: [{ cidr: POOL }] },
};
const oldPolicy = {
  apiVersion: 'lanlb.io/v1alpha1',
  kind: 'L2AnnouncementPolicy',
  metadata: { name: 'e2e-lan' },
  spec: { interface: '^eth0$' },
};

describe('installed on a one-node cluster', () => {
  before(
    async () => {
      await cluster(['down']);
      await hack('build-image.sh', [], 20 * 60_000);
      await cluster(['up'], 30 * 60_000);
      const images = join(lanlbCacheDir(), 'images');
      await cluster(['import', join(images, 'pause.tar'), join(images, 'lanlb.tar')]);
    },
    { timeout: 40 * 60_000 },
  );
  after(
    async () => {
      await cluster(['down']);
      rmSync(work, { recursive: true, force: true });
    },
    { timeout: 120_000 },
  );

  it('the first published CRDs hold v1alpha1 objects', async () => {
    await apply(firstPublishedCrds());
    await waitUntil(() => apply([oldPool, oldPolicy]), 30_000, 'v1alpha1 objects created');
  });

  it('kubectl apply -k config/default rolls out the controller (2 replicas) and the announcer', async () => {
    await kubectl('apply', '-k', join(ROOT, 'config/default'));
    await kubectl('-n', SYSTEM, 'rollout', 'status', 'deployment/lanlb-controller', '--timeout=240s');
    await kubectl('-n', SYSTEM, 'rollout', 'status', 'daemonset/lanlb-announcer', '--timeout=240s');
    type Pod = { spec: { serviceAccountName: string }; metadata: { labels: Record<string, string> } };
    const pods = await getJson<{ items: Pod[] }>('pods', '-n', SYSTEM);
    const accounts = pods.items.map(
      (p) => `${p.metadata.labels['app.kubernetes.io/component']}:${p.spec.serviceAccountName}`,
    );
    assert.deepEqual(accounts.sort(), [
      'announcer:lanlb-announcer',
      'controller:lanlb-controller',
      'controller:lanlb-controller',
    ]);
  });

  it('the leader migrates storage to v1beta1 under the shipped RBAC', async () => {
    for (const crd of ['loadbalancerippools.lanlb.io', 'l2announcementpolicies.lanlb.io']) {
      await waitUntil(
        async () =>
          (await kubectl('get', 'crd', crd, '-o', 'jsonpath={.status.storedVersions}')).trim() === '["v1beta1"]' ||
          undefined,
        120_000,
        `${crd} storedVersions [v1beta1]`,
      );
    }
  });

  it('objects written as v1alpha1 read as v1beta1, and the other way round', async () => {
    const pool = await getJson<{ spec: { blocks: Array<{ cidr: string }> } }>(
      'loadbalancerippools.v1beta1.lanlb.io',
      'e2e-old',
    );
    assert.deepEqual(pool.spec.blocks, [{ cidr: POOL }]);
    const policy = await getJson<{ spec: { interfaces: string[] } }>(
      'l2announcementpolicies.v1beta1.lanlb.io',
      'e2e-lan',
    );
    assert.deepEqual(policy.spec.interfaces, ['^eth0$']);
    await apply([
      {
        apiVersion: 'lanlb.io/v1beta1',
        kind: 'LoadBalancerIPPool',
        metadata: { name: 'e2e-admitted' },
        spec: { blocks: [{ cidr: '198.18.0.216/29' }], serviceSelector: { matchLabels: { e2e: 'none' } } },
      },
    ]);
    const alpha = await getJson<{ apiVersion: string; spec: { cidrs: Array<{ cidr: string }> } }>(
      'loadbalancerippools.v1alpha1.lanlb.io',
      'e2e-admitted',
    );
    assert.equal(alpha.apiVersion, 'lanlb.io/v1alpha1');
    assert.deepEqual(alpha.spec.cidrs, [{ cidr: '198.18.0.216/29' }]);
  });

  it('the validating webhook refuses an invalid pool with its reason', async () => {
    const bad = {
      apiVersion: 'lanlb.io/v1beta1',
      kind: 'LoadBalancerIPPool',
      metadata: { name: 'e2e-bad' },
      spec: { blocks: [{ start: '198.18.0.230', stop: '198.18.0.225' }] },
    };
    await assert.rejects(
      apply([bad]),
      /admission webhook "validate\.lanlb\.io" denied the request.*start is after stop/s,
    );
  });

  let vip = '';
  it('a LoadBalancer Service gets an address from the pool', async () => {
    // The one image here: lanlb's, under the name config/default gives it.
    const image = await kubectl('-n', SYSTEM, 'get', 'daemonset', 'lanlb-announcer', '-o', 'jsonpath={..image}');
    await apply(echoApp(image.trim()));
    await kubectl('-n', 'e2e', 'rollout', 'status', 'deployment/echo', '--timeout=180s');
    vip = await waitUntil(
      async () =>
        (
          await kubectl('-n', 'e2e', 'get', 'service', 'echo', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}')
        ).trim() || undefined,
      60_000,
      'an address for e2e/echo',
    );
    assert.match(vip, /^198\.18\.0\.20[1-6]$/);
  });

  it('a host on the LAN resolves the address by ARP to the node and gets an HTTP answer from the pod', async () => {
    const link = JSON.parse(await cluster(['node', 'ip', '-j', 'link', 'show', 'eth0'])) as Array<{ address: string }>;
    const nodeMac = link[0]?.address ?? '';
    const macs = await waitUntil(
      async () => {
        const out = await onLan('arping', '-c', '3', '-w', '4', '-I', 'lan0', vip).catch(() => '');
        const seen = [...out.matchAll(/bytes from ([0-9a-f:]{17}) /g)].map((m) => m[1]);
        return seen.length ? seen : undefined;
      },
      60_000,
      `an ARP answer for ${vip}`,
    );
    assert.deepEqual([...new Set(macs)], [nodeMac]);
    const body = await waitUntil(
      async () => (await onLan('curl', '-sS', '--max-time', '3', `http://${vip}/`).catch(() => '')) || undefined,
      60_000,
      `HTTP from ${vip}`,
    );
    assert.match(body, /^hello from echo-/);
  });

  it('kubectl lanlb status on the installed cluster: the address, its pool, the node answering', async () => {
    const state = process.env.LANLB_CLUSTER_DIR ?? '/var/lib/lanlb-cluster';
    const plugin = join(ROOT, 'bin', 'kubectl-lanlb.js');
    const args = ['status', '-n', 'e2e', '--kubeconfig', join(state, 'admin.kubeconfig')];
    const out = await cluster(['node', process.execPath, plugin, ...args]);
    const row = new RegExp(
      `^echo +${vip.replace(/\./g, '\\.')} \\((\\S+)\\) +\\S+ +${NODE_NAME} +eth0 ([0-9a-f:]{17}) +Announced$`,
      'm',
    );
    assert.match(out, row, `status names the node and its MAC (exit 0: nothing pending or conflicting):\n${out}`);
  });

  it("the announcer's metrics and health endpoints answer on the node's address", async () => {
    const metrics = await onLan('curl', '-sSf', '--max-time', '3', `http://${NODE_IP}:7472/metrics`);
    assert.match(metrics, /^lanlb_l2_available 1$/m);
    assert.equal(
      await onLan('curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', `http://${NODE_IP}:7473/readyz`),
      '200',
    );
    assert.equal(
      await onLan('curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', `http://${NODE_IP}:7473/healthz`),
      '200',
    );
  });

  it('kubectl delete -k config/default leaves no lanlb object behind', async () => {
    await kubectl('delete', 'namespace', 'e2e', '--timeout=120s');
    await kubectl('delete', '-k', join(ROOT, 'config/default'), '--timeout=180s');
    const kinds =
      'crd,namespace,clusterrole,clusterrolebinding,validatingwebhookconfiguration,mutatingwebhookconfiguration';
    await waitUntil(
      async () => !/lanlb/.test(await kubectl('get', kinds, '-o', 'name')) || undefined,
      120_000,
      'no lanlb cluster-scoped object',
    );
    const everywhere = await kubectl(
      'get',
      'all,leases,secrets,configmaps,serviceaccounts,roles,rolebindings,events',
      '-A',
      '-o',
      'name',
    );
    assert.doesNotMatch(everywhere, /lanlb/);
    const node = await getJson<{ metadata: { labels?: object; annotations?: object } }>('node', NODE_NAME);
    assert.doesNotMatch(JSON.stringify(node.metadata), /lanlb\.io/);
  });
});

/** An HTTP server in lanlb's own image (the only image here) behind a LoadBalancer Service. */
function echoApp(image: string): object[] {
  const labels = { app: 'echo' };
  const server =
    "require('http').createServer((q, s) => s.end('hello from ' + require('os').hostname() + '\\n')).listen(8080)";
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'e2e' } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'echo', namespace: 'e2e' },
      spec: {
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            // node as PID 1 ignores SIGTERM: no reason to wait the default 30 s on delete.
            terminationGracePeriodSeconds: 1,
            containers: [
              {
                name: 'echo',
                image,
                command: ['node', '-e', server],
                ports: [{ containerPort: 8080 }],
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'echo', namespace: 'e2e' },
      spec: { type: 'LoadBalancer', selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
    },
  ];
}
