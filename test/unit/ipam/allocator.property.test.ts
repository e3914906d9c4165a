import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Allocator } from '../../../src/ipam/allocator.js';
import { sharingProblem } from '../../../src/ipam/sharing.js';
import type { PoolDefinition } from '../../../src/ipam/pool.js';
import type { ServiceRequest } from '../../../src/ipam/service-request.js';
import { pool, svc } from './fixtures.js';

const blocks = [
  [{ cidr: '192.0.2.0/30' }],
  [{ start: '192.0.2.2', stop: '192.0.2.5' }],
  [{ cidr: '198.51.100.0/31' }],
  [{ cidr: '2001:db8::/126' }, { cidr: '203.0.113.0/31' }],
  [{ cidr: '192.0.2.0/28' }, { cidr: '192.0.2.4/30' }], // invalid: self-overlap
];

/** Mostly `usual`, sometimes a value from `arb`: most requests should succeed to build up state. */
function rarely<T, U>(arb: fc.Arbitrary<T>, usual: U): fc.Arbitrary<T | U> {
  return fc.oneof({ weight: 3, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: arb });
}

const poolArb: fc.Arbitrary<PoolDefinition> = fc
  .record({
    name: fc.constantFrom('a', 'b', 'c', 'd'),
    createdAt: fc.integer({ min: 0, max: 3 }),
    blocks: fc.constantFrom(...blocks),
    disabled: fc.boolean(),
    selectRed: fc.boolean(),
  })
  .map(({ selectRed, ...p }) =>
    pool(p.name, p.blocks, { ...p, serviceSelector: selectRed ? { matchLabels: { color: 'red' } } : undefined }),
  );

const svcArb: fc.Arbitrary<ServiceRequest> = fc
  .record({
    name: fc.constantFrom('s1', 's2', 's3', 's4', 's5'),
    ns: fc.constantFrom('x', 'y'),
    red: fc.boolean(),
    key: rarely(fc.constantFrom('k1', 'k2'), undefined),
    cross: fc.constantFrom([], ['*'], ['x']),
    port: fc.constantFrom(80, 443),
    requested: rarely(fc.constantFrom(['192.0.2.1'], ['192.0.2.3'], ['2001:db8::1'], ['198.51.100.9']), []),
    policy: fc.constantFrom('SingleStack' as const, 'PreferDualStack' as const, 'RequireDualStack' as const),
    v6first: fc.boolean(),
    pool: rarely(fc.constantFrom('a', 'b'), undefined),
  })
  .map((r) =>
    svc(`${r.ns}/${r.name}`, {
      extraLabels: r.red ? { color: 'red' } : {},
      sharingKey: r.key,
      sharingNamespaces: r.cross,
      ports: [{ port: r.port, protocol: 'TCP' }],
      requestedIPs: r.requested,
      familyPolicy: r.policy,
      families: r.v6first ? ['IPv6', 'IPv4'] : ['IPv4', 'IPv6'],
      pool: r.pool,
    }),
  );

const opArb = fc.oneof(
  {
    weight: 1,
    arbitrary: fc
      .uniqueArray(poolArb, { selector: (p) => p.name, maxLength: 4 })
      .map((pools) => ({ kind: 'pools' as const, pools })),
  },
  { weight: 4, arbitrary: svcArb.map((s) => ({ kind: 'assign' as const, s })) },
  { weight: 1, arbitrary: fc.constantFrom('x/s1', 'x/s2', 'y/s3').map((key) => ({ kind: 'release' as const, key })) },
);

describe('Allocator invariants (property)', () => {
  it(
    'after any sequence: no address held twice unless sharing allows; every ' +
      'address in a standing pool that selects its Service; counts match',
    () => {
      fc.assert(
        fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
          const a = new Allocator();
          const requests = new Map<string, ServiceRequest>();
          for (const op of ops) {
            if (op.kind === 'pools') a.setPools(op.pools);
            else if (op.kind === 'assign') {
              // The controller passes the status it wrote last time as `current`.
              const s = { ...op.s, current: a.assigned(op.s.key).map((i) => i.ip) };
              const out = a.assign(s);
              if (out.kind === 'assigned' || a.assigned(s.key).length === 0) requests.set(s.key, s);
            } else {
              a.release(op.key);
              requests.delete(op.key);
            }
            checkInvariants(a, requests);
          }
        }),
        { numRuns: 1000 },
      );
    },
  );
});

function checkInvariants(a: Allocator, requests: Map<string, ServiceRequest>): void {
  const byIP = new Map<string, string[]>();
  for (const key of a.serviceKeys()) {
    const req = requests.get(key);
    assert.ok(req, `${key} holds addresses but was never assigned`);
    const ips = a.assigned(key);
    assert.ok(new Set(ips.map((i) => i.family)).size === ips.length, 'one address per family');
    for (const ip of ips) {
      const p = a.pool(ip.pool);
      assert.ok(p, `${ip.ip} of ${key} names a missing pool`);
      assert.ok(p.holds, `${ip.ip} in pool ${p.name} that is invalid`);
      assert.ok(p.setFor(ip.family, ip.value)?.has(ip.value), `${ip.ip} not reserved in ${p.name}`);
      assert.ok(p.selects(req.labels), `${p.name} does not select ${key}`);
      byIP.set(ip.ip, [...(byIP.get(ip.ip) ?? []), key]);
    }
  }
  for (const [ip, keys] of byIP) {
    for (let i = 0; i < keys.length; i++) {
      for (let j = i + 1; j < keys.length; j++) {
        const [x, y] = [requests.get(keys[i] as string), requests.get(keys[j] as string)];
        assert.equal(x && y && sharingProblem(x, y), undefined, `${ip} held by ${keys[i]} and ${keys[j]}`);
      }
    }
  }
  // A held address is used in every pool that contains it, whichever pool it came through: an
  // overlapping pool must never hand it out again (docs/contract.md).
  for (const p of a.allPools()) {
    const inside = [...byIP.keys()].filter((ip) => {
      const held = a.assigned(byIP.get(ip)?.[0] ?? '').find((i) => i.ip === ip);
      return held !== undefined && p.setFor(held.family, held.value) !== undefined;
    });
    assert.equal(p.used, BigInt(inside.length), `pool ${p.name} used count`);
  }
}
