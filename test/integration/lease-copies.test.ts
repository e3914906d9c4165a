// Service Leases' copies (L2Announcement) on the real apiserver, under the shipped RBAC: what
// announcers watch instead of Leases (issue 28). The announcer's Lease store writes a Service
// Lease's copy after the Lease and never a node heartbeat's; a copy only moves to a later Lease
// version, whoever writes last; a Lease write fenced by a stale copy fails; the controller's
// copier repairs a copy its writer did not write and removes the copy of a deleted Lease.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useCluster, eventually } from '../helpers/cluster.js';
import { ensureNamespace } from '../helpers/k8s-objects.js';
import { KubeHttp } from '../../src/kube/http.js';
import { KubeLeaseStore } from '../../src/kube/lease-store.js';
import { CopyingLeaseStore, LeaseCopies, leaseCopiesPath } from '../../src/kube/lease-copies.js';
import { keepLeaseCopies } from '../../src/kube/lease-copier.js';
import { NodeHeartbeat } from '../../src/announcer/node-heartbeat.js';
import { systemClock } from '../../src/runtime/clock.js';
import { LEASE_TYPE_LABEL, SERVICE_ANNOTATION } from '../../src/l2/election/lease-names.js';
import { isConflict } from '../../src/runtime/ports/api-error.js';
import type { Logger } from '../../src/runtime/ports/logger.js';
import type { L2Announcement } from '../../generated/index.js';
import type { Lease } from '../../src/runtime/ports/lease-store.js';

const NS = 'lanlb-system';

function recordingLog(lines: string[]): Logger {
  const log: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (msg, fields) => lines.push(`${msg} ${JSON.stringify(fields)}`),
    error: (msg, fields) => lines.push(`${msg} ${JSON.stringify(fields)}`),
    child: () => log,
  };
  return log;
}

const serviceLease = (name: string, holder: string): Lease => ({
  metadata: {
    name,
    namespace: NS,
    labels: { [LEASE_TYPE_LABEL]: 'service' },
    annotations: { [SERVICE_ANNOTATION]: 'web/svc' },
  },
  spec: { holderIdentity: holder, leaseTransitions: 0 },
});

describe("Service Leases' copies on the real apiserver (shipped RBAC)", () => {
  const c = useCluster({ crds: true, rbac: true });

  const copyOf = (name: string): Promise<L2Announcement | undefined> =>
    c.http.get<L2Announcement>(leaseCopiesPath(NS, name)).catch(() => undefined);

  it("the announcer's store copies a Service Lease after writing it, and never a node heartbeat", async () => {
    await ensureNamespace(c.http, NS);
    const http = new KubeHttp(c.cp.kubeConfig('announcer'));
    const warnings: string[] = [];
    const copies = new LeaseCopies(http, recordingLog(warnings));
    const store = new CopyingLeaseStore(new KubeLeaseStore(http), copies);
    const hb = new NodeHeartbeat({
      store,
      clock: systemClock,
      namespace: NS,
      node: 'node1',
      durationMs: 40_000,
      renewEveryMs: 100,
      onError: (e) => warnings.push(String(e)),
    });
    try {
      hb.start();
      const first = await store.create(serviceLease('lanlb-l2-web.svc', 'node1'));
      const copy = await eventually(() => copyOf('lanlb-l2-web.svc'), 5_000, 'copy written');
      assert.equal(copy.spec.holder, 'node1');
      assert.equal(copy.spec.service, 'web/svc');
      assert.equal(copy.spec.leaseResourceVersion, first.metadata.resourceVersion);
      const second = await store.update({ ...first, spec: { ...first.spec, holderIdentity: 'node2' } });
      await eventually(
        async () => (await copyOf('lanlb-l2-web.svc'))?.spec.leaseResourceVersion === second.metadata.resourceVersion,
        5_000,
        'copy follows the hand-over',
      );
      // A release empties the holder: kube-apiserver 1.20 refuses "" in a custom resource as null.
      const released = await store.update({ ...second, spec: { ...second.spec, holderIdentity: '' } });
      const emptied = await eventually(
        async () => {
          const now = await copyOf('lanlb-l2-web.svc');
          return now?.spec.leaseResourceVersion === released.metadata.resourceVersion ? now : undefined;
        },
        5_000,
        'copy follows the release',
      );
      assert.equal(emptied.spec.holder, undefined, 'released: nobody holds it');
      await new Promise((r) => setTimeout(r, 500)); // five heartbeat renewals
      const list = await c.http.get<{ items: L2Announcement[] }>(leaseCopiesPath(NS));
      assert.deepEqual(
        list.items.map((i) => i.metadata.name),
        ['lanlb-l2-web.svc'],
        'node heartbeat Leases have no copy: their renewals reach no watcher of copies',
      );
      assert.deepEqual(warnings, []);
    } finally {
      await hb.stop();
      http.close();
    }
  });

  it('a copy never moves back to an earlier Lease, and a write fenced by a stale copy fails', async () => {
    const http = new KubeHttp(c.cp.kubeConfig('announcer'));
    const leases = new KubeLeaseStore(http);
    const copies = new LeaseCopies(http, recordingLog([]));
    try {
      const older = await leases.create(serviceLease('lanlb-l2-web.race', 'node1'));
      const newer = await leases.update({ ...older, spec: { ...older.spec, holderIdentity: 'node2' } });
      // The later Lease's copy lands first, the earlier writer's last: the copy keeps the later.
      await copies.follow(NS, 'lanlb-l2-web.race', newer);
      await copies.follow(NS, 'lanlb-l2-web.race', older);
      const copy = await copyOf('lanlb-l2-web.race');
      assert.equal(copy?.spec.holder, 'node2');
      assert.equal(copy?.spec.leaseResourceVersion, newer.metadata.resourceVersion);
      // A node that saw only the earlier copy tries to claim with its version: the Lease refuses.
      const stale = { ...older, spec: { ...older.spec, holderIdentity: 'node3' } };
      await assert.rejects(leases.update(stale), (e: unknown) => isConflict(e));
    } finally {
      http.close();
    }
  });

  it("the controller's copier writes a copy nobody wrote and removes the copy of a deleted Lease", async () => {
    const http = new KubeHttp(c.cp.kubeConfig('controller'));
    const abort = new AbortController();
    const warnings: string[] = [];
    const running = keepLeaseCopies(
      { http, log: recordingLog(warnings), namespace: NS, repairDelayMs: 200 },
      abort.signal,
    );
    const leases = new KubeLeaseStore(c.http); // written by hand: no copy of its own
    try {
      const written = await leases.create(serviceLease('lanlb-l2-web.byhand', 'node7'));
      const copy = await eventually(() => copyOf('lanlb-l2-web.byhand'), 10_000, 'copy repaired');
      assert.equal(copy.spec.holder, 'node7');
      assert.equal(copy.spec.leaseResourceVersion, written.metadata.resourceVersion);
      const node = await leases.create({
        metadata: { name: 'lanlb-node-node7', namespace: NS, labels: { [LEASE_TYPE_LABEL]: 'node' } },
        spec: { holderIdentity: 'node7' },
      });
      await leases.delete(NS, 'lanlb-l2-web.byhand', written.metadata.resourceVersion);
      await eventually(async () => (await copyOf('lanlb-l2-web.byhand')) === undefined, 10_000, 'copy removed');
      assert.equal(await copyOf(node.metadata.name), undefined, 'a node heartbeat gets no copy');
      assert.deepEqual(warnings, []);
    } finally {
      abort.abort();
      await running;
      http.close();
    }
  });
});
