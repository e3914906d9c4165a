// `lanlb controller` and `lanlb announcer` as processes against a real apiserver: they connect,
// serve health and metrics on the flagged addresses, log JSON lines, and stop cleanly on SIGTERM.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { spliceSockets } from '../../src/devcluster/splice-sockets.js';
import { freePort } from '../../src/devcluster/free-port.js';
import { controllerAccess, LEADER_NAMESPACE, useCluster, eventually } from '../helpers/cluster.js';
import { startLanlb } from '../helpers/lanlb-process.js';
import { ensureNamespace } from '../helpers/k8s-objects.js';
import { KubeLeaseStore } from '../../src/kube/lease-store.js';

async function get(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url);
  return { status: res.status, text: await res.text() };
}

describe('lanlb processes', () => {
  const c = useCluster({ crds: true, rbac: true });

  it(
    'controller: health, readiness and metrics; one leader ' + 'among two replicas; SIGTERM releases and exits 0',
    async () => {
      await ensureNamespace(c.http, 'lanlb-system');
      const ports = await Promise.all([freePort(), freePort(), freePort()]);
      const r1 = startLanlb([
        'controller',
        '--webhook-addr',
        '0',
        ...controllerAccess(c),
        '--identity',
        'r1',
        '--health-addr',
        `127.0.0.1:${ports[0]}`,
        '--metrics-addr',
        `127.0.0.1:${ports[1]}`,
      ]);
      const r2 = startLanlb(
        [
          'controller',
          '--webhook-addr',
          '0',
          '--leader-election-namespace',
          LEADER_NAMESPACE,
          '--identity',
          'r2',
          '--health-addr',
          `127.0.0.1:${ports[2]}`,
          '--metrics-addr',
          '0',
        ],
        { KUBECONFIG: c.controllerKubeconfig },
      );
      try {
        await r1.waitForLog('serving');
        await r2.waitForLog('serving');
        const store = new KubeLeaseStore(c.http);
        const leaderName = await eventually(
          async () => (await store.get(LEADER_NAMESPACE, 'lanlb-controller'))?.spec.holderIdentity || undefined,
          10_000,
          'a leader',
        );
        const [leader, follower, followerName] = leaderName === 'r1' ? [r1, r2, 'r2'] : [r2, r1, 'r1'];
        await leader.waitForLog('leading');
        assert.equal((await get(`http://127.0.0.1:${ports[0]}/healthz`)).status, 200);
        // r1 may be the follower: ready once its caches have synced, which may trail the leader's.
        await eventually(
          async () => ((await get(`http://127.0.0.1:${ports[0]}/readyz`)).status === 200 ? true : undefined),
          10_000,
          'r1 ready',
        );
        const metrics = await get(`http://127.0.0.1:${ports[1]}/metrics`);
        assert.match(metrics.text, /^process_cpu_seconds_total \d/m, 'the standard process metrics, unprefixed');
        assert.match(metrics.text, /^nodejs_heap_size_used_bytes \d/m, 'and the standard Node.js ones');
        assert.doesNotMatch(metrics.text, /^lanlb_(process|nodejs)_/m, 'no renamed copies');
        assert.equal((await get(`http://127.0.0.1:${ports[0]}/metrics`)).status, 404, 'metrics only on --metrics-addr');
        assert.ok(!follower.lines.some((l) => l.includes('"msg":"leading"')), 'the other replica does not lead');
        const first = JSON.parse(r1.lines.find((l) => l.startsWith('{')) ?? '{}') as Record<string, unknown>;
        assert.equal(first.level, 'info');
        assert.equal(first.component, 'controller');
        assert.ok(typeof first.time === 'string', 'the log line has a time string');

        assert.equal(await leader.stop('SIGTERM'), 0);
        await follower.waitForLog('leading', 10_000);
        assert.equal((await store.get(LEADER_NAMESPACE, 'lanlb-controller'))?.spec.holderIdentity, followerName);
      } finally {
        await r1.stop();
        await r2.stop();
      }
    },
  );

  it('announcer: with HOST_IP its endpoints listen on that address only, not on every interface', async () => {
    await ensureNamespace(c.http, 'lanlb-system');
    const a = startLanlb(['announcer', '--kubeconfig', c.announcerKubeconfig], {
      NODE_NAME: 'node1',
      HOST_IP: '127.0.0.2',
    });
    try {
      const serving = await a.waitForLog('serving');
      assert.deepEqual(serving.addresses, ['127.0.0.2:7473', '127.0.0.2:7472']);
      assert.equal((await get('http://127.0.0.2:7473/healthz')).status, 200);
      await assert.rejects(get('http://127.0.0.1:7473/healthz'), 'nothing listens on other addresses');
    } finally {
      await a.stop();
    }
  });

  it('announcer: needs a node name, serves health, exits 0 on SIGTERM', async () => {
    const missing = startLanlb([
      'announcer',
      '--kubeconfig',
      c.kubeconfigPath,
      '--health-addr',
      '0',
      '--metrics-addr',
      '0',
    ]);
    assert.equal(await missing.exited(), 2);
    assert.match(missing.lines.join('\n'), /--node-name or NODE_NAME is required/);
    const port = await freePort();
    const a = startLanlb(
      ['announcer', '--kubeconfig', c.announcerKubeconfig, '--health-addr', `127.0.0.1:${port}`, '--metrics-addr', '0'],
      { NODE_NAME: 'node1' },
    );
    try {
      await a.waitForLog('serving');
      await eventually(async () => (await get(`http://127.0.0.1:${port}/readyz`)).status === 200 || undefined);
      assert.equal(await a.stop('SIGTERM'), 0);
    } finally {
      await a.stop();
    }
  });

  it(
    'two controllers with default addresses on one machine: ' +
      'both run, one without endpoints; the namespace is created',
    async () => {
      await c.http.delete('/api/v1/namespaces/other-ns').catch(() => undefined);
      const a = startLanlb([
        'controller',
        '--kubeconfig',
        c.kubeconfigPath,
        '--namespace',
        'other-ns',
        '--identity',
        'a',
      ]);
      const b = startLanlb([
        'controller',
        '--kubeconfig',
        c.kubeconfigPath,
        '--namespace',
        'other-ns',
        '--identity',
        'b',
      ]);
      try {
        await a.waitForLog('caches synced', 30_000);
        await b.waitForLog('caches synced', 30_000);
        const logs = [...a.lines, ...b.lines].join('\n');
        assert.match(logs, /created the operator namespace/);
        assert.match(logs, /cannot serve health\/metrics; continuing without them|webhooks not served/);
        const lease = await eventually(
          async () =>
            (
              await c.http.get<{ spec: { holderIdentity?: string } }>(
                '/apis/coordination.k8s.io/v1/namespaces/other-ns/leases/lanlb-controller',
              )
            ).spec.holderIdentity || undefined,
          10_000,
          'a leader',
        );
        assert.ok(lease === 'a' || lease === 'b', `one of the replicas holds the Lease, not ${lease}`);
        assert.equal(a.child.exitCode, null);
        assert.equal(b.child.exitCode, null);
      } finally {
        await a.stop();
        await b.stop();
      }
    },
  );

  // Found by the L2 chaos run: announcers started while the apiserver could not answer exited (a
  // DaemonSet's Pod then waits in CrashLoopBackOff); they now wait for it and start.
  it('announcer: an apiserver that does not answer at start is waited for, then it starts', async () => {
    const server = /https:\/\/127\.0\.0\.1:(\d+)/.exec(readFileSync(c.announcerKubeconfig, 'utf8'));
    const apiserverPort = Number(server?.[1]);
    assert.ok(apiserverPort > 0, 'the apiserver port is in the kubeconfig');
    const [gate, health] = await Promise.all([freePort(), freePort()]);
    const kubeconfig = `${c.announcerKubeconfig}.gated`;
    const text = readFileSync(c.announcerKubeconfig, 'utf8');
    writeFileSync(kubeconfig, text.replace(`127.0.0.1:${apiserverPort}`, `127.0.0.1:${gate}`));
    const args = ['--kubeconfig', kubeconfig, '--health-addr', `127.0.0.1:${health}`, '--metrics-addr', '0'];
    const a = startLanlb(['announcer', ...args], { NODE_NAME: 'node1' });
    // Nothing listens on the gate yet: every connection is refused.
    const forwarder = createServer((s) => spliceSockets(s, connect(apiserverPort, '127.0.0.1')));
    try {
      await a.waitForLog(/did not answer \(version\); retrying/, 10_000);
      await new Promise((r) => setTimeout(r, 1_500));
      assert.equal(a.child.exitCode, null, 'still running while the apiserver does not answer');
      await new Promise<void>((ok) => forwarder.listen(gate, '127.0.0.1', ok));
      await a.waitForLog('serving', 30_000);
      await eventually(async () => (await get(`http://127.0.0.1:${health}/readyz`)).status === 200 || undefined);
      assert.equal(await a.stop('SIGTERM'), 0);
    } finally {
      await a.stop();
      forwarder.close();
    }
  });

  it('a wrong kubeconfig is a clear error, not a crash', async () => {
    const p = startLanlb([
      'controller',
      '--webhook-addr',
      '0',
      '--kubeconfig',
      '/nonexistent/kubeconfig',
      '--health-addr',
      '0',
      '--metrics-addr',
      '0',
    ]);
    assert.equal(await p.exited(), 1);
    assert.match(p.lines.join('\n'), /kubeconfig \/nonexistent\/kubeconfig does not exist/);
    assert.doesNotMatch(p.lines.join('\n'), /at .*\.ts:\d+/, 'no stack trace');
  });
});
