// Every move says why (docs/reference.md, "Addresses never move without a reason"): on a real
// apiserver, a Service whose pool is deleted, stops containing its address or stops selecting it
// moves to another pool, and an IPReleased Event and a "released" log line give the reason
// before the new address is allocated.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { controllerAccess, useCluster, eventually } from '../helpers/cluster.js';
import { startLanlb, type LanlbProcess } from '../helpers/lanlb-process.js';
import {
  createPool,
  createService,
  ensureNamespace,
  eventsFor,
  getService,
  ips,
  nsSelector,
} from '../helpers/k8s-objects.js';

const POOLS = '/apis/lanlb.io/v1beta1/loadbalancerippools';

describe('IPReleased says why an address moved (real apiserver)', () => {
  const c = useCluster({ crds: true, rbac: true });
  let controller: LanlbProcess;

  before(async () => {
    await ensureNamespace(c.http, 'lanlb-system');
    controller = startLanlb(['controller', '--webhook-addr', '0', ...controllerAccess(c), '--health-addr', '0']);
    await controller.waitForLog('leading', 30_000);
    await createPool(c.http, 'alpha', { blocks: [{ cidr: '198.51.100.0/28' }] });
  });
  after(async () => {
    await controller?.stop();
  });

  const patchPool = (name: string, spec: object) =>
    c.http.patch(`${POOLS}/${name}`, { spec }, 'application/merge-patch+json');

  const cases: Array<[string, string, () => Promise<unknown>, string, RegExp]> = [
    ['its pool is deleted', 'r1', () => c.http.delete(`${POOLS}/zeta-r1`), 'pool-deleted', /was deleted$/],
    [
      'its pool no longer contains it',
      'r2',
      () => patchPool('zeta-r2', { blocks: [{ cidr: '203.0.113.128/30' }], serviceSelector: nsSelector('nobody') }),
      'pool-no-longer-contains',
      /no longer contains it$/,
    ],
    [
      'its pool no longer selects the Service',
      'r3',
      () => patchPool('zeta-r3', { serviceSelector: nsSelector('nobody') }),
      'pool-no-longer-selects',
      /no longer selects the Service$/,
    ],
  ];
  cases.forEach(([what, ns, change, reason, message], i) => {
    it(`when ${what}: IPReleased with the reason, logged before the new allocation`, async () => {
      const block = `203.0.113.${i * 16}/28`;
      await createPool(c.http, `zeta-${ns}`, { blocks: [{ cidr: block }], serviceSelector: nsSelector(ns) });
      await createService(c.http, ns, 'web');
      const first = await eventually(
        async () => ips(await getService(c.http, ns, 'web'))[0],
        15_000,
        `${ns}/web addressed`,
      );
      assert.ok(first.startsWith('203.0.113.'), `from the specific pool first: ${first}`);
      await change();
      const moved = await eventually(
        async () => {
          const ip = ips(await getService(c.http, ns, 'web'))[0];
          return ip && ip !== first ? ip : undefined;
        },
        15_000,
        `${ns}/web moved`,
      );
      assert.ok(moved.startsWith('198.51.100.'), `moved to the catch-all pool: ${moved}`);
      const released = await eventually(
        async () => (await eventsFor(c.http, ns, 'web')).find((e) => e.reason === 'IPReleased'),
        10_000,
        'an IPReleased Event',
      );
      assert.match(released.message, new RegExp(`^Released ${first.replace(/\./g, '\\.')}: pool "?zeta-${ns}"? `));
      assert.match(released.message, message, 'the reason in words');
      const decisions = controller.lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.service === `${ns}/web` && (l.msg === 'released' || l.msg === 'allocated'))
        .map((l) => `${l.msg}:${l.reason ?? ''}`);
      assert.deepEqual(decisions, ['allocated:', `released:${reason}`, 'allocated:'], 'released is decided before');
    });
  });
});
