// The apiserver client's one HTTP/2 connection (issue 28): requests and every watch of a process
// share one TCP connection to the real kube-apiserver, and a connection to a frozen apiserver is
// found dead by its ping and closed, so watches end with an error instead of waiting silently.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { useCluster, eventually } from '../helpers/cluster.js';
import { KubeHttp, wantsHttp2 } from '../../src/kube/http.js';
import { HTTP2_TIMINGS } from '../../src/kube/http2-connection.js';

/** This process's established TCP connections to the apiserver's port (read from the kernel). */
function connectionsTo(server: string): number {
  const port = new URL(server).port;
  const out = execFileSync('ss', ['-tnpH', 'state', 'established', `( dport = :${port} )`], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(`pid=${process.pid},`)).length;
}

describe('apiserver client over HTTP/2 (real kube-apiserver)', () => {
  const c = useCluster({});

  it('uses HTTP/2 for https unless DISABLE_HTTP2 is set, as client-go', () => {
    assert.equal(wantsHttp2(new URL('https://10.0.0.1:6443')), !process.env.DISABLE_HTTP2);
    assert.equal(wantsHttp2(new URL('https://10.0.0.1:6443'), { DISABLE_HTTP2: '1' }), false);
    assert.equal(wantsHttp2(new URL('http://127.0.0.1:8001'), {}), false, 'kubectl proxy: plain HTTP/1.1');
  });

  it('three watches and the requests between them share one connection', async () => {
    const before = connectionsTo(c.cp.server);
    const http = new KubeHttp(c.cp.kubeConfig());
    const events: string[] = [];
    const watches = await Promise.all(
      ['/api/v1/namespaces', '/api/v1/configmaps', '/api/v1/namespaces/default/services'].map((path) =>
        http.watch(
          path,
          {},
          (type, obj) => events.push(`${type} ${path} ${(obj as { kind?: string }).kind}`),
          () => {},
        ),
      ),
    );
    try {
      await http.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'h2-probe' }, data: { a: '1' } });
      await eventually(async () => events.some((e) => e.startsWith('ADDED /api/v1/configmaps')), 10_000, 'event');
      const got = await http.get<{ data: { a: string } }>('/api/v1/namespaces/default/configmaps/h2-probe');
      assert.equal(got.data.a, '1');
      await assert.rejects(http.get('/api/v1/namespaces/default/configmaps/absent'), { statusCode: 404 });
      assert.equal(connectionsTo(c.cp.server) - before, 1, 'one connection for 3 watches and 3 requests');
    } finally {
      for (const w of watches) w.abort();
      http.close();
    }
  });

  it('a watch on a frozen apiserver ends with an error after the ping timeout; the next one works', async () => {
    const pid = c.cp.apiserverPid;
    assert.ok(pid, 'apiserver pid');
    const http = new KubeHttp(c.cp.kubeConfig(), {
      http2Timings: { ...HTTP2_TIMINGS, idleBeforePingMs: 1_000, pingTimeoutMs: 1_000 },
    });
    let ended: { err: unknown; at: number } | undefined;
    const w = await http.watch(
      '/api/v1/namespaces',
      {},
      () => {},
      (err) => (ended = { err, at: Date.now() }),
    );
    await new Promise((r) => setTimeout(r, 300));
    const frozenAt = Date.now();
    process.kill(pid, 'SIGSTOP');
    let end: { err: unknown; at: number };
    try {
      end = await eventually(async () => ended, 8_000, 'the watch ends while the apiserver is frozen');
    } finally {
      process.kill(pid, 'SIGCONT');
      w.abort();
    }
    assert.match(String((end.err as Error | undefined)?.message), /ping/, 'ended by the unanswered ping');
    assert.ok(end.at - frozenAt <= 3_500, `ended ${end.at - frozenAt} ms after the freeze (bound 1 s + 1 s + poll)`);
    const names: string[] = [];
    const again = await http.watch(
      '/api/v1/namespaces',
      {},
      (_t, o) => names.push((o as { metadata: { name: string } }).metadata.name),
      () => {},
    );
    try {
      await eventually(async () => names.includes('default'), 15_000, 'a new watch on a new connection');
    } finally {
      again.abort();
      http.close();
    }
  });
});
