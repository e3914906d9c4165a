// Scenario tables: ordered steps against one allocator, each saying what must happen and why.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Allocator, type AssignOutcome } from '../../../src/ipam/allocator.js';
import type { PoolDefinition } from '../../../src/ipam/pool.js';
import type { ServiceRequest } from '../../../src/ipam/service-request.js';
import { pool, svc } from './fixtures.js';

type Step =
  | { do: 'pools'; pools: PoolDefinition[]; invalidated?: string[] }
  | { do: 'assign'; svc: ServiceRequest; want: string[] | { fail: string; match?: RegExp } }
  | { do: 'release'; key: string }
  | { do: 'stats'; pool: string; total: string; used: string; available: string };

function run(steps: Array<[string, Step]>): void {
  const a = new Allocator();
  for (const [why, step] of steps) {
    if (step.do === 'pools') {
      const { invalidated } = a.setPools(step.pools);
      if (step.invalidated) assert.deepEqual(invalidated.sort(), step.invalidated, why);
    } else if (step.do === 'assign') {
      const out: AssignOutcome = a.assign(step.svc);
      if (Array.isArray(step.want)) {
        assert.equal(out.kind, 'assigned', `${why}: ${out.kind === 'failed' ? out.message : ''}`);
        assert.deepEqual(out.kind === 'assigned' ? out.ips.map((i) => i.ip) : [], step.want, why);
      } else {
        assert.equal(out.kind, 'failed', why);
        assert.equal(out.kind === 'failed' ? out.reason : '', step.want.fail, why);
        if (step.want.match) assert.match(out.kind === 'failed' ? out.message : '', step.want.match, why);
      }
    } else if (step.do === 'release') {
      a.release(step.key);
    } else {
      const p = a.pool(step.pool);
      assert.deepEqual(
        [p?.total.toString(), p?.used.toString(), p?.available.toString()],
        [step.total, step.used, step.available],
        why,
      );
    }
  }
}

describe('Allocator scenarios', () => {
  it('which pool: a pool with a serviceSelector before a catch-all, then by name (docs/contract.md)', () =>
    run([
      [
        'a catch-all named first, a specific pool, an empty selector',
        {
          do: 'pools',
          pools: [
            pool('a-all', [{ cidr: '192.0.2.0/30' }]),
            pool('b-empty', [{ cidr: '192.0.2.4/30' }], { serviceSelector: {} }),
            pool('z-web', [{ cidr: '198.51.100.0/30' }], { serviceSelector: { matchLabels: { app: 'web' } } }),
          ],
        },
      ],
      [
        'the specific pool wins over the catch-all although its name sorts last',
        { do: 'assign', svc: svc('ns/web', { extraLabels: { app: 'web' } }), want: ['198.51.100.1'] },
      ],
      [
        'an empty selector is a catch-all: by name among catch-alls',
        { do: 'assign', svc: svc('ns/other'), want: ['192.0.2.1'] },
      ],
    ]));

  it('seed 000: a one-address pool for one namespace', () =>
    run([
      [
        'pool of 192.0.2.10 for ingress-nginx',
        {
          do: 'pools',
          pools: [
            pool('ingress-pool', [{ start: '192.0.2.10', stop: '192.0.2.10' }], {
              serviceSelector: { matchLabels: { 'io.kubernetes.service.namespace': 'ingress-nginx' } },
            }),
          ],
        },
      ],
      [
        'the ingress controller gets it',
        { do: 'assign', svc: svc('ingress-nginx/ingress-nginx-controller'), want: ['192.0.2.10'] },
      ],
      ['0 available', { do: 'stats', pool: 'ingress-pool', total: '1', used: '1', available: '0' }],
      [
        'another namespace is not selected',
        {
          do: 'assign',
          svc: svc('default/web'),
          want: { fail: 'NoPoolSelects', match: /no pool with IPv4 addresses selects this Service/ },
        },
      ],
      [
        'a second Service in the namespace finds the pool full',
        { do: 'assign', svc: svc('ingress-nginx/other'), want: { fail: 'PoolExhausted' } },
      ],
      [
        'assign again is idempotent',
        { do: 'assign', svc: svc('ingress-nginx/ingress-nginx-controller'), want: ['192.0.2.10'] },
      ],
    ]));

  it('seed 004: two pools chosen by matchExpressions and matchLabels', () =>
    run([
      [
        'blue and red pools',
        {
          do: 'pools',
          pools: [
            pool('blue-pool', [{ cidr: '192.0.2.0/24' }], {
              serviceSelector: { matchExpressions: [{ key: 'color', operator: 'In', values: ['blue', 'cyan'] }] },
            }),
            pool('red-pool', [{ cidr: '198.51.100.0/24' }], { serviceSelector: { matchLabels: { color: 'red' } } }),
          ],
        },
      ],
      [
        'red app from red pool, first address skipped (network)',
        { do: 'assign', svc: svc('default/app', { extraLabels: { color: 'red' } }), want: ['198.51.100.1'] },
      ],
      [
        'cyan app from blue pool',
        { do: 'assign', svc: svc('default/cyan', { extraLabels: { color: 'cyan' } }), want: ['192.0.2.1'] },
      ],
      [
        'green app from none',
        {
          do: 'assign',
          svc: svc('default/green', { extraLabels: { color: 'green' } }),
          want: { fail: 'NoPoolSelects' },
        },
      ],
    ]));

  it('lowest free first, freed addresses are reused, release is idempotent', () =>
    run([
      ['range', { do: 'pools', pools: [pool('p', [{ start: '203.0.113.100', stop: '203.0.113.102' }])] }],
      ['s1', { do: 'assign', svc: svc('s1'), want: ['203.0.113.100'] }],
      ['s2', { do: 'assign', svc: svc('s2'), want: ['203.0.113.101'] }],
      ['s1 frees it', { do: 'release', key: 'default/s1' }],
      ['again', { do: 'release', key: 'default/s1' }],
      ['s3 takes the lowest free', { do: 'assign', svc: svc('s3'), want: ['203.0.113.100'] }],
      ['stats', { do: 'stats', pool: 'p', total: '3', used: '2', available: '1' }],
    ]));

  it('requested addresses: honoured, refused outside pools, refused when taken', () =>
    run([
      ['pool', { do: 'pools', pools: [pool('p', [{ cidr: '192.0.2.0/28' }])] }],
      ['s1 asks for .5', { do: 'assign', svc: svc('s1', { requestedIPs: ['192.0.2.5'] }), want: ['192.0.2.5'] }],
      [
        "s2 cannot take s1's address",
        {
          do: 'assign',
          svc: svc('s2', { requestedIPs: ['192.0.2.5'] }),
          want: { fail: 'RequestedIPInUse', match: /held by default\/s1/ },
        },
      ],
      [
        'an address outside every pool',
        {
          do: 'assign',
          svc: svc('s3', { requestedIPs: ['198.51.100.1'] }),
          want: { fail: 'RequestedIPNotInPool', match: /not in any pool/ },
        },
      ],
      [
        'not an address',
        { do: 'assign', svc: svc('s4', { requestedIPs: ['banana'] }), want: { fail: 'InvalidRequest' } },
      ],
      [
        'two of one family',
        {
          do: 'assign',
          svc: svc('s4', { requestedIPs: ['192.0.2.1', '192.0.2.2'] }),
          want: { fail: 'InvalidRequest', match: /at most one/ },
        },
      ],
    ]));

  it('a failed re-request keeps what the Service held', () => {
    const a = new Allocator();
    a.setPools([pool('p', [{ cidr: '192.0.2.0/28' }])]);
    assert.equal(a.assign(svc('s1')).kind, 'assigned');
    const out = a.assign(svc('s1', { requestedIPs: ['198.51.100.1'], current: ['192.0.2.1'] }));
    assert.equal(out.kind, 'failed');
    assert.deepEqual(out.kind === 'failed' ? out.kept.map((i) => i.ip) : [], ['192.0.2.1']);
    assert.deepEqual(
      a.assigned('default/s1').map((i) => i.ip),
      ['192.0.2.1'],
    );
    assert.equal(a.pool('p')?.used, 1n);
  });

  it('pool pinning with lanlb.io/pool', () =>
    run([
      [
        'two pools',
        { do: 'pools', pools: [pool('a', [{ cidr: '192.0.2.0/30' }]), pool('b', [{ cidr: '198.51.100.0/30' }])] },
      ],
      ['pinned to b', { do: 'assign', svc: svc('s1', { pool: 'b' }), want: ['198.51.100.1'] }],
      ['unpinned goes to the first pool by name', { do: 'assign', svc: svc('s2'), want: ['192.0.2.1'] }],
      ['pinned to a missing pool', { do: 'assign', svc: svc('s3', { pool: 'zzz' }), want: { fail: 'PoolNotFound' } }],
    ]));

  it('disabled pools keep allocations and make no new ones', () =>
    run([
      ['pool', { do: 'pools', pools: [pool('p', [{ cidr: '192.0.2.0/29' }])] }],
      ['s1', { do: 'assign', svc: svc('s1'), want: ['192.0.2.1'] }],
      ['disable', { do: 'pools', pools: [pool('p', [{ cidr: '192.0.2.0/29' }], { disabled: true })], invalidated: [] }],
      ['s1 keeps its address', { do: 'assign', svc: svc('s1', { current: ['192.0.2.1'] }), want: ['192.0.2.1'] }],
      ['s2 gets nothing', { do: 'assign', svc: svc('s2'), want: { fail: 'NoPoolSelects', match: /p is disabled/ } }],
      ['available 0 while disabled', { do: 'stats', pool: 'p', total: '6', used: '1', available: '0' }],
    ]));

  it('autoAssign: false gives addresses only to Services that ask (address or pool name), MetalLB-style', () => {
    const reserved = pool('a-reserved', [{ cidr: '192.0.2.0/29' }], { autoAssign: false });
    const general = pool('b-general', [{ cidr: '198.51.100.0/30' }]);
    run([
      ['the request-only pool sorts first', { do: 'pools', pools: [reserved, general] }],
      ['unasked: skipped for the general pool', { do: 'assign', svc: svc('s1'), want: ['198.51.100.1'] }],
      ['asked by address', { do: 'assign', svc: svc('s2', { requestedIPs: ['192.0.2.5'] }), want: ['192.0.2.5'] }],
      ['asked by pool name', { do: 'assign', svc: svc('s3', { pool: 'a-reserved' }), want: ['192.0.2.1'] }],
      [
        'a sharer does not carry a request-only address to an unasked Service',
        {
          do: 'assign',
          svc: svc('s4', { sharingKey: 'k', requestedIPs: ['192.0.2.6'], ports: [{ port: 1, protocol: 'TCP' }] }),
          want: ['192.0.2.6'],
        },
      ],
      ['s5 shares nothing unasked', { do: 'assign', svc: svc('s5', { sharingKey: 'k' }), want: ['198.51.100.2'] }],
      [
        'the general pool is full',
        { do: 'pools', pools: [reserved, pool('b-general', [{ cidr: '198.51.100.1/32' }])] },
      ],
      [
        'unasked and only the request-only pool has room: refused with why',
        { do: 'assign', svc: svc('s6'), want: { fail: 'PoolExhausted' } },
      ],
      ['the general pool goes', { do: 'pools', pools: [reserved] }],
      [
        'the message names autoAssign',
        {
          do: 'assign',
          svc: svc('s7'),
          want: { fail: 'NoPoolSelects', match: /a-reserved gives addresses only on request/ },
        },
      ],
      [
        'turning autoAssign off moves nothing already held',
        { do: 'assign', svc: svc('s3', { pool: 'a-reserved', current: ['192.0.2.1'] }), want: ['192.0.2.1'] },
      ],
      ["counts are the pool's as usual", { do: 'stats', pool: 'a-reserved', total: '6', used: '3', available: '3' }],
    ]);
  });

  it('overlap: the newer pool conflicts and keeps what it holds (docs/contract.md); healed when the older goes', () =>
    run([
      ['new pool alone first', { do: 'pools', pools: [pool('new', [{ cidr: '192.0.2.8/29' }], { createdAt: 2 })] }],
      ['s1 from new', { do: 'assign', svc: svc('s1'), want: ['192.0.2.9'] }],
      [
        'an older pool appears over it: new conflicts, and s1 keeps its address (a conflict never moves one)',
        {
          do: 'pools',
          pools: [
            pool('old', [{ cidr: '192.0.2.0/28' }], { createdAt: 1 }),
            pool('new', [{ cidr: '192.0.2.8/29' }], { createdAt: 2 }),
          ],
          invalidated: [],
        },
      ],
      [
        's1 keeps it on its next reconcile',
        { do: 'assign', svc: svc('s1', { current: ['192.0.2.9'] }), want: ['192.0.2.9'] },
      ],
      [
        'new allocates nothing but counts what it holds',
        { do: 'stats', pool: 'new', total: '6', used: '1', available: '0' },
      ],
      ['old never hands out what new holds', { do: 'stats', pool: 'old', total: '14', used: '1', available: '13' }],
      ['s2 from old', { do: 'assign', svc: svc('s2'), want: ['192.0.2.1'] }],
      [
        's3 from old skips .9',
        {
          do: 'pools',
          pools: [
            pool('old', [{ start: '192.0.2.9', stop: '192.0.2.10' }], { createdAt: 1 }),
            pool('new', [{ cidr: '192.0.2.8/29' }], { createdAt: 2 }),
          ],
          invalidated: ['default/s2'],
        },
      ],
      ['s3 gets .10, not the .9 that s1 holds through new', { do: 'assign', svc: svc('s3'), want: ['192.0.2.10'] }],
      [
        'old goes: healed, nothing moved',
        {
          do: 'pools',
          pools: [pool('new', [{ cidr: '192.0.2.8/29' }], { createdAt: 2 })],
          invalidated: ['default/s3'],
        },
      ],
      ['healed', { do: 'stats', pool: 'new', total: '6', used: '1', available: '5' }],
    ]));

  it('shrinking a pool releases the addresses outside it', () =>
    run([
      ['pool', { do: 'pools', pools: [pool('p', [{ start: '192.0.2.1', stop: '192.0.2.4' }])] }],
      ['s1', { do: 'assign', svc: svc('s1'), want: ['192.0.2.1'] }],
      ['s2', { do: 'assign', svc: svc('s2'), want: ['192.0.2.2'] }],
      [
        'shrink to .1',
        { do: 'pools', pools: [pool('p', [{ start: '192.0.2.1', stop: '192.0.2.1' }])], invalidated: ['default/s2'] },
      ],
      [
        's2 cannot be placed',
        { do: 'assign', svc: svc('s2', { current: ['192.0.2.2'] }), want: { fail: 'PoolExhausted' } },
      ],
    ]));

  it('sharing: same key, no port clash, cross-namespace only when both allow it', () =>
    run([
      ['pool', { do: 'pools', pools: [pool('p', [{ cidr: '192.0.2.0/29' }])] }],
      [
        'dns-tcp',
        {
          do: 'assign',
          svc: svc('a/dns-tcp', { sharingKey: 'dns', ports: [{ port: 53, protocol: 'TCP' }] }),
          want: ['192.0.2.1'],
        },
      ],
      [
        'dns-udp shares it',
        {
          do: 'assign',
          svc: svc('a/dns-udp', { sharingKey: 'dns', ports: [{ port: 53, protocol: 'UDP' }] }),
          want: ['192.0.2.1'],
        },
      ],
      [
        'a clash gets its own address',
        {
          do: 'assign',
          svc: svc('a/dns-tcp2', { sharingKey: 'dns', ports: [{ port: 53, protocol: 'TCP' }] }),
          want: ['192.0.2.2'],
        },
      ],
      [
        'requesting a shared address with a clash is refused',
        {
          do: 'assign',
          svc: svc('a/x', { sharingKey: 'dns', requestedIPs: ['192.0.2.1'], ports: [{ port: 53, protocol: 'UDP' }] }),
          want: { fail: 'SharingRefused', match: /port 53\/UDP/ },
        },
      ],
      [
        'another namespace without consent gets its own',
        {
          do: 'assign',
          svc: svc('b/dns', { sharingKey: 'dns', ports: [{ port: 54, protocol: 'TCP' }] }),
          want: ['192.0.2.3'],
        },
      ],
      ['stats count a shared address once', { do: 'stats', pool: 'p', total: '6', used: '3', available: '3' }],
    ]));

  it('cross-namespace sharing when both Services allow it', () =>
    run([
      ['pool', { do: 'pools', pools: [pool('p', [{ cidr: '192.0.2.0/29' }])] }],
      [
        'a',
        {
          do: 'assign',
          svc: svc('a/web', { sharingKey: 'k', sharingNamespaces: ['b'], ports: [{ port: 80, protocol: 'TCP' }] }),
          want: ['192.0.2.1'],
        },
      ],
      [
        'b allows everyone',
        {
          do: 'assign',
          svc: svc('b/web', { sharingKey: 'k', sharingNamespaces: ['*'], ports: [{ port: 443, protocol: 'TCP' }] }),
          want: ['192.0.2.1'],
        },
      ],
      [
        'c is not allowed by a',
        {
          do: 'assign',
          svc: svc('c/web', {
            sharingKey: 'k',
            sharingNamespaces: ['*'],
            requestedIPs: ['192.0.2.1'],
            ports: [{ port: 8080, protocol: 'TCP' }],
          }),
          want: { fail: 'SharingRefused', match: /cross-namespace/ },
        },
      ],
    ]));

  it('dual stack per ipFamilies/ipFamilyPolicy', () =>
    run([
      ['v4 only', { do: 'pools', pools: [pool('p', [{ cidr: '192.0.2.0/30' }])] }],
      [
        'PreferDualStack takes what exists',
        {
          do: 'assign',
          svc: svc('s1', { families: ['IPv4', 'IPv6'], familyPolicy: 'PreferDualStack' }),
          want: ['192.0.2.1'],
        },
      ],
      [
        'RequireDualStack fails cleanly',
        {
          do: 'assign',
          svc: svc('s2', { families: ['IPv4', 'IPv6'], familyPolicy: 'RequireDualStack' }),
          want: { fail: 'NoPoolSelects', match: /RequireDualStack: no IPv6 address/ },
        },
      ],
      ['nothing leaked by the failure', { do: 'stats', pool: 'p', total: '2', used: '1', available: '1' }],
      ['both families', { do: 'pools', pools: [pool('p', [{ cidr: '192.0.2.0/30' }, { cidr: '2001:db8::/64' }])] }],
      [
        'RequireDualStack now works, IPv6 first when listed first',
        {
          do: 'assign',
          svc: svc('s2', { families: ['IPv6', 'IPv4'], familyPolicy: 'RequireDualStack' }),
          want: ['2001:db8::1', '192.0.2.2'],
        },
      ],
      ['IPv6 single stack', { do: 'assign', svc: svc('s3', { families: ['IPv6'] }), want: ['2001:db8::2'] }],
      [
        'requested IPv6',
        {
          do: 'assign',
          svc: svc('s4', { families: ['IPv6'], requestedIPs: ['2001:db8::ffff'] }),
          want: ['2001:db8::ffff'],
        },
      ],
      [
        'a SingleStack IPv4 Service gets exactly the IPv6 address it names',
        {
          do: 'assign',
          svc: svc('s5', { families: ['IPv4'], requestedIPs: ['2001:db8::fffe'] }),
          want: ['2001:db8::fffe'],
        },
      ],
      ['a wider pool', { do: 'pools', pools: [pool('p', [{ cidr: '192.0.2.0/29' }, { cidr: '2001:db8::/64' }])] }],
      [
        'and both when it names both',
        {
          do: 'assign',
          svc: svc('s6', { families: ['IPv4'], requestedIPs: ['192.0.2.5', '2001:db8::fffd'] }),
          want: ['192.0.2.5', '2001:db8::fffd'],
        },
      ],
    ]));

  it('invalid pools allocate nothing', () => {
    const a = new Allocator();
    a.setPools([
      pool('self-overlap', [{ cidr: '192.0.2.0/28' }, { cidr: '192.0.2.8/29' }]),
      pool('bad-sel', [{ cidr: '198.51.100.0/28' }], {
        serviceSelector: { matchExpressions: [{ key: 'x', operator: 'In', values: [] }] },
      }),
    ]);
    assert.equal(a.pool('self-overlap')?.problem?.reason, 'InvalidBlocks');
    assert.equal(a.pool('bad-sel')?.problem?.reason, 'InvalidSelector');
    const out = a.assign(svc('s1'));
    assert.equal(out.kind, 'failed');
  });

  it('restore replays current addresses and allocates nothing new', () => {
    const a = new Allocator();
    a.setPools([pool('p', [{ cidr: '192.0.2.0/28' }])]);
    const r1 = a.restore(svc('s1', { current: ['192.0.2.7'] }));
    const r2 = a.restore(svc('s2'));
    assert.deepEqual(r1.kind === 'assigned' ? r1.ips.map((i) => i.ip) : r1, ['192.0.2.7']);
    assert.deepEqual(r2.kind === 'assigned' ? r2.ips : r2, []);
    const r3 = a.assign(svc('s3', { current: ['192.0.2.7'] }));
    assert.deepEqual(
      r3.kind === 'assigned' ? r3.ips.map((i) => i.ip) : r3,
      ['192.0.2.1'],
      "s3 cannot keep s1's replayed address",
    );
  });
});

// docs/contract.md: addresses never move without a reason the user can see (issue 9's findings, each one).
describe('stability: no Service address moves', () => {
  const est = (name: string, createdAt = 1000) => pool(name, [{ cidr: '192.0.2.0/28' }], { createdAt });
  const overlapping = (name: string, createdAt = 1000) =>
    pool(name, [{ start: '192.0.2.4', stop: '192.0.2.12' }], { createdAt });

  it('an overlapping pool created in the same second, its name sorting first (the established one conflicts)', () =>
    run([
      ['established', { do: 'pools', pools: [est('zz-established')] }],
      ['s1', { do: 'assign', svc: svc('s1'), want: ['192.0.2.1'] }],
      ['s2', { do: 'assign', svc: svc('s2'), want: ['192.0.2.2'] }],
      [
        'a same-second pool sorting first',
        { do: 'pools', pools: [est('zz-established'), overlapping('aa-new')], invalidated: [] },
      ],
      ['s1 keeps', { do: 'assign', svc: svc('s1', { current: ['192.0.2.1'] }), want: ['192.0.2.1'] }],
      ['s2 keeps', { do: 'assign', svc: svc('s2', { current: ['192.0.2.2'] }), want: ['192.0.2.2'] }],
    ]));

  it('an overlapping pool created in the same second, its name sorting last (it conflicts)', () =>
    run([
      ['established', { do: 'pools', pools: [est('aa-established')] }],
      ['s1', { do: 'assign', svc: svc('s1'), want: ['192.0.2.1'] }],
      [
        'same second, sorting last',
        { do: 'pools', pools: [est('aa-established'), overlapping('zz-new')], invalidated: [] },
      ],
      ['s1 keeps', { do: 'assign', svc: svc('s1', { current: ['192.0.2.1'] }), want: ['192.0.2.1'] }],
      ['the next Service comes from the established pool', { do: 'assign', svc: svc('s2'), want: ['192.0.2.2'] }],
    ]));

  it('an older pool edited to overlap a newer pool that holds addresses', () =>
    run([
      [
        'two pools',
        {
          do: 'pools',
          pools: [
            pool('a-older', [{ cidr: '198.51.100.0/30' }], { createdAt: 1 }),
            pool('b-newer', [{ cidr: '192.0.2.0/29' }], { createdAt: 2 }),
          ],
        },
      ],
      ['s1 from older', { do: 'assign', svc: svc('s1'), want: ['198.51.100.1'] }],
      ['s2 from older', { do: 'assign', svc: svc('s2'), want: ['198.51.100.2'] }],
      ['s3 from newer (older is full)', { do: 'assign', svc: svc('s3'), want: ['192.0.2.1'] }],
      [
        'older gains a block over newer: newer conflicts, nothing moves',
        {
          do: 'pools',
          pools: [
            pool('a-older', [{ cidr: '198.51.100.0/30' }, { cidr: '192.0.2.0/29' }], { createdAt: 1 }),
            pool('b-newer', [{ cidr: '192.0.2.0/29' }], { createdAt: 2 }),
          ],
          invalidated: [],
        },
      ],
      ['s3 keeps', { do: 'assign', svc: svc('s3', { current: ['192.0.2.1'] }), want: ['192.0.2.1'] }],
      ['s4 from older skips what newer holds', { do: 'assign', svc: svc('s4'), want: ['192.0.2.2'] }],
    ]));

  it('widening: a lower start, an added block, a raised stop', () =>
    run([
      ['pool', { do: 'pools', pools: [pool('p', [{ start: '192.0.2.10', stop: '192.0.2.11' }])] }],
      ['s1', { do: 'assign', svc: svc('s1'), want: ['192.0.2.10'] }],
      ['s2', { do: 'assign', svc: svc('s2'), want: ['192.0.2.11'] }],
      [
        'lower start, raised stop, added block',
        {
          do: 'pools',
          pools: [pool('p', [{ start: '192.0.2.1', stop: '192.0.2.20' }, { cidr: '198.51.100.0/30' }])],
          invalidated: [],
        },
      ],
      ['s1 keeps', { do: 'assign', svc: svc('s1', { current: ['192.0.2.10'] }), want: ['192.0.2.10'] }],
      ['s2 keeps', { do: 'assign', svc: svc('s2', { current: ['192.0.2.11'] }), want: ['192.0.2.11'] }],
    ]));

  it('deleting Services (plain, sharing, requested) moves nobody else', () =>
    run([
      ['pool', { do: 'pools', pools: [pool('p', [{ cidr: '192.0.2.0/28' }])] }],
      ['plain', { do: 'assign', svc: svc('plain'), want: ['192.0.2.1'] }],
      [
        'dns-tcp',
        {
          do: 'assign',
          svc: svc('dns-tcp', { sharingKey: 'dns', ports: [{ port: 53, protocol: 'TCP' }] }),
          want: ['192.0.2.2'],
        },
      ],
      [
        'dns-udp shares',
        {
          do: 'assign',
          svc: svc('dns-udp', { sharingKey: 'dns', ports: [{ port: 53, protocol: 'UDP' }] }),
          want: ['192.0.2.2'],
        },
      ],
      ['pinned', { do: 'assign', svc: svc('pinned', { requestedIPs: ['192.0.2.9'] }), want: ['192.0.2.9'] }],
      ['other', { do: 'assign', svc: svc('other'), want: ['192.0.2.3'] }],
      ['plain goes', { do: 'release', key: 'default/plain' }],
      ['dns-tcp goes', { do: 'release', key: 'default/dns-tcp' }],
      ['pinned goes', { do: 'release', key: 'default/pinned' }],
      [
        'dns-udp keeps',
        {
          do: 'assign',
          svc: svc('dns-udp', { sharingKey: 'dns', ports: [{ port: 53, protocol: 'UDP' }], current: ['192.0.2.2'] }),
          want: ['192.0.2.2'],
        },
      ],
      ['other keeps', { do: 'assign', svc: svc('other', { current: ['192.0.2.3'] }), want: ['192.0.2.3'] }],
    ]));

  it('a restart: a Service holding A that requests B, held by another, does not take B in replay', () => {
    const pools = [pool('p', [{ cidr: '192.0.2.0/28' }])];
    const holderOfA = svc('wants-b', { requestedIPs: ['192.0.2.2'], current: ['192.0.2.1'] });
    const holderOfB = svc('holds-b', { current: ['192.0.2.2'] });
    for (const order of [
      [holderOfA, holderOfB],
      [holderOfB, holderOfA],
    ]) {
      const a = new Allocator();
      a.setPools(pools);
      for (const s of order) a.restore(s); // replay: what everyone holds, first
      for (const s of order) a.assign(s);
      assert.deepEqual(
        a.assigned('default/holds-b').map((i) => i.ip),
        ['192.0.2.2'],
        'B stays with its holder',
      );
      assert.deepEqual(
        a.assigned('default/wants-b').map((i) => i.ip),
        ['192.0.2.1'],
        'A is kept while B is taken',
      );
    }
  });
});
