// Addresses never move without a reason (docs/contract.md, LoadBalancerIPPool): each rule of issue 9 on the
// real apiserver with `lanlb controller` as a process. A watch records every address each Service
// is ever given, so a move that is later undone still fails the test.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { controllerAccess, useCluster, eventually, type TestCluster } from '../helpers/cluster.js';
import { startLanlb, type LanlbProcess } from '../helpers/lanlb-process.js';
import { createPool, createService, getService, ips, nsSelector } from '../helpers/k8s-objects.js';
import type { Service } from '../../src/core/kube-objects.js';

/** Every distinct address list each Service of a namespace had, in order, from a watch. */
class AddressHistory {
  readonly seen = new Map<string, string[]>();
  private stop: { abort(): void } | undefined;

  constructor(
    private readonly c: TestCluster,
    private readonly ns: string,
  ) {}

  async start(): Promise<void> {
    this.stop = await this.c.http.watch(
      `/api/v1/namespaces/${this.ns}/services`,
      {},
      (type, obj) => {
        const svc = obj as Service;
        const now = ips(svc).join(',');
        const list = this.seen.get(svc.metadata.name) ?? [];
        if (type !== 'DELETED' && now !== '' && list.at(-1) !== now) list.push(now);
        this.seen.set(svc.metadata.name, list);
      },
      () => undefined,
    );
  }

  /** Services that were given more than one address list while watched. */
  moved(): string[] {
    return [...this.seen].filter(([, l]) => l.length > 1).map(([n, l]) => `${n}: ${l.join(' -> ')}`);
  }

  close(): void {
    this.stop?.abort();
  }
}

describe('lanlb controller: addresses never move without a reason', () => {
  const c = useCluster({ crds: true, rbac: true });
  let controller: LanlbProcess;
  const start = (identity: string) =>
    startLanlb([
      'controller',
      ...['--webhook-addr', '0', '--health-addr', '0', '--metrics-addr', '0'],
      ...controllerAccess(c),
      ...['--identity', identity],
    ]);
  const histories: AddressHistory[] = [];
  const watchNamespace = async (ns: string) => {
    const h = new AddressHistory(c, ns);
    await h.start();
    histories.push(h);
    return h;
  };
  const allocated = (ns: string, names: string[]) =>
    eventually(
      async () => {
        const got = await Promise.all(names.map(async (n) => ips(await getService(c.http, ns, n))));
        return got.every((g) => g.length === 1) ? got.map((g) => g[0]) : undefined;
      },
      20_000,
      `addresses in ${ns}`,
    );
  const conditionOf = async (pool: string, type: string) => {
    const p = await c.http.get<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(
      `/apis/lanlb.io/v1beta1/loadbalancerippools/${pool}`,
    );
    return p.status?.conditions?.find((x) => x.type === type)?.status;
  };
  const settle = () => new Promise((r) => setTimeout(r, 2_000));

  before(async () => {
    controller = start('s1');
    await controller.waitForLog('leading', 20_000);
  });
  after(async () => {
    for (const h of histories) h.close();
    await controller?.stop();
  });

  it('an overlapping pool whose name sorts first, added to an established one, moves nothing', async () => {
    const h = await watchNamespace('stab-a');
    await createPool(c.http, 'zz-established', {
      blocks: [{ cidr: '192.0.2.0/28' }],
      serviceSelector: nsSelector('stab-a'),
    });
    const names = ['a0', 'a1', 'a2', 'a3'];
    await Promise.all(names.map((n) => createService(c.http, 'stab-a', n)));
    const before = await allocated('stab-a', names);
    await createPool(c.http, 'aa-newcomer', {
      blocks: [{ cidr: '192.0.2.0/27' }],
      serviceSelector: nsSelector('stab-a'),
    });
    // Created within the same second, the name decides which one is newer; either way one conflicts.
    const conflicting = async () =>
      (await conditionOf('aa-newcomer', 'Conflicting')) === 'True' ||
      (await conditionOf('zz-established', 'Conflicting')) === 'True' ||
      undefined;
    await eventually(conflicting, 10_000, 'one pool Conflicting');
    await createService(c.http, 'stab-a', 'a4');
    const [late] = await allocated('stab-a', ['a4']);
    await settle();
    assert.deepEqual(await allocated('stab-a', names), before);
    assert.deepEqual(h.moved(), []);
    assert.ok(!before.includes(late), `a4 got ${late}, an address already held`);
  });

  it('an older pool edited to overlap a newer pool keeps every Service of the newer one where it is', async () => {
    const h = await watchNamespace('stab-b');
    await createPool(c.http, 'b-older', {
      blocks: [{ cidr: '198.51.100.0/28' }],
      serviceSelector: nsSelector('nobody'),
    });
    await new Promise((r) => setTimeout(r, 1_100)); // creationTimestamp has second resolution
    await createPool(c.http, 'b-newer', {
      blocks: [{ cidr: '198.51.100.64/28' }],
      serviceSelector: nsSelector('stab-b'),
    });
    const names = ['b0', 'b1', 'b2'];
    await Promise.all(names.map((n) => createService(c.http, 'stab-b', n)));
    const before = await allocated('stab-b', names);
    await c.http.patch('/apis/lanlb.io/v1beta1/loadbalancerippools/b-older', {
      spec: { blocks: [{ cidr: '198.51.100.0/28' }, { cidr: '198.51.100.64/27' }] },
    });
    await eventually(async () => (await conditionOf('b-newer', 'Conflicting')) === 'True' || undefined, 10_000, 'c');
    await settle();
    assert.deepEqual(await allocated('stab-b', names), before);
    assert.deepEqual(h.moved(), []);
  });

  it('a restart writes nothing, even for a Service asking for an address another one holds', async () => {
    const h = await watchNamespace('stab-c');
    await createPool(c.http, 'c-pool', { blocks: [{ cidr: '203.0.113.0/28' }], serviceSelector: nsSelector('stab-c') });
    await createService(c.http, 'stab-c', 'holder', { annotations: { 'lanlb.io/ips': '203.0.113.6' } });
    await createService(c.http, 'stab-c', 'asker');
    const [held, asked] = await allocated('stab-c', ['holder', 'asker']);
    assert.equal(held, '203.0.113.6');
    // The asker now wants the holder's address: it cannot have it and keeps its own.
    await c.http.patch('/api/v1/namespaces/stab-c/services/asker', {
      metadata: { annotations: { 'lanlb.io/ips': '203.0.113.6' } },
    });
    await settle();
    const rv = async () =>
      (await c.http.get<{ items: Service[] }>('/api/v1/namespaces/stab-c/services')).items.map(
        (s) => `${s.metadata.name}@${s.metadata.resourceVersion}`,
      );
    const beforeRestart = await rv();
    await controller.stop();
    controller = start('s2');
    await controller.waitForLog('replayed allocations', 20_000);
    await settle();
    assert.deepEqual(await rv(), beforeRestart, 'no Service written by the restart');
    assert.deepEqual(await allocated('stab-c', ['holder', 'asker']), [held, asked]);
    assert.deepEqual(h.moved(), []);
  });
});
