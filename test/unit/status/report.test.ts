// `lanlb status` from cluster objects (pure): pools as the controller wrote them, the pool each
// address is held through, the announcing policies, the holder from the Service Lease, and why a
// Service waits. Scenario table: each row is one thing a user asks.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { L2AnnouncementPolicy, LoadBalancerIPPool } from '../../../generated/index.js';
import type { LeaseObject, Service } from '../../../src/core/kube-objects.js';
import { needsAttention, statusReport, type StatusInput } from '../../../src/status/report.js';
import { renderStatus, table } from '../../../src/status/render.js';

const cond = (type: string, status: 'True' | 'False', reason: string, message: string) => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: '2026-01-01T00:00:00Z',
});

function pool(name: string, blocks: object[], status?: object, extra: object = {}): LoadBalancerIPPool {
  return {
    apiVersion: 'lanlb.io/v1beta1',
    kind: 'LoadBalancerIPPool',
    metadata: { name, creationTimestamp: '2026-01-01T00:00:00Z' as unknown as Date },
    spec: { blocks, ...extra },
    ...(status ? { status } : {}),
  } as LoadBalancerIPPool;
}

function policy(name: string, spec: object = {}): L2AnnouncementPolicy {
  return {
    apiVersion: 'lanlb.io/v1beta1',
    kind: 'L2AnnouncementPolicy',
    metadata: { name },
    spec,
  } as L2AnnouncementPolicy;
}

function service(ns: string, name: string, ips: string[], extra: Partial<Service> = {}): Service {
  return {
    metadata: { name, namespace: ns, ...(extra.metadata ?? {}) },
    spec: { type: 'LoadBalancer', ...(extra.spec ?? {}) },
    status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) }, ...(extra.status ?? {}) },
  };
}

function lease(ns: string, name: string, holder: string, interfaces: string, macs: string, names = `${ns}/${name}`) {
  return {
    metadata: {
      name: `lanlb-l2-${ns}.${name}`,
      annotations: {
        'lanlb.io/service': names,
        'lanlb.io/interfaces': interfaces,
        'lanlb.io/hardware-addresses': macs,
      },
    },
    spec: { holderIdentity: holder },
  } satisfies LeaseObject;
}

const ready = { total: '14', used: '1', available: '13', conditions: [cond('Ready', 'True', 'Ready', '13 of 14')] };
const conflicting = {
  total: '16',
  used: '0',
  available: '0',
  conditions: [
    cond('Ready', 'False', 'Conflicting', 'overlaps pool lab at 192.0.2.0-192.0.2.15'),
    cond('Conflicting', 'True', 'Overlap', 'overlaps older pool lab at 192.0.2.0-192.0.2.15; allocating nothing'),
  ],
};

function input(over: Partial<StatusInput> = {}): StatusInput {
  return {
    pools: [pool('lab', [{ cidr: '192.0.2.0/28' }], ready)],
    policies: [policy('all')],
    services: [service('demo', 'web', ['192.0.2.1'])],
    leases: [lease('demo', 'web', 'node1', 'eth0', '02:00:00:00:00:01')],
    loadBalancerClass: 'lanlb.io/l2',
    namespace: 'demo',
    ...over,
  };
}

describe('lanlb status report', () => {
  it('an announced Service: its address, the pool it is held through, policy, holder, interfaces and MACs', () => {
    const r = statusReport(input());
    assert.deepEqual(r.services, [
      {
        namespace: 'demo',
        name: 'web',
        state: 'Announced',
        addresses: [{ ip: '192.0.2.1', pool: 'lab' }],
        policies: ['all'],
        holder: { node: 'node1', lease: 'lanlb-l2-demo.web', interfaces: [{ name: 'eth0', mac: '02:00:00:00:00:01' }] },
        reason: null,
        message: null,
      },
    ]);
    assert.deepEqual(r.pools[0], {
      name: 'lab',
      disabled: false,
      total: '14',
      used: '1',
      available: '13',
      state: 'Ready',
      message: '13 of 14',
      conflict: null,
    });
    assert.equal(needsAttention(r), false, 'nothing to attend to: exit 0');
  });

  it('a conflicting pool names the other pool and range, and needs attention', () => {
    const r = statusReport(
      input({ pools: [...input().pools, pool('later', [{ cidr: '192.0.2.0/28' }], conflicting)] }),
    );
    const later = r.pools.find((p) => p.name === 'later');
    assert.equal(later?.state, 'Conflicting', 'state from the Ready reason');
    assert.match(later?.conflict ?? '', /overlaps older pool lab at 192\.0\.2\.0-192\.0\.2\.15/);
    assert.equal(r.summary.conflictingPools, 1, 'counted');
    assert.equal(needsAttention(r), true, 'a conflict exits non-zero');
  });

  it('an invalid pool is reported with its reason and needs attention', () => {
    const invalid = { conditions: [cond('Ready', 'False', 'InvalidBlocks', 'block 0: 127.0.0.0/8 is loopback')] };
    const r = statusReport(input({ pools: [pool('bad', [{ cidr: '127.0.0.0/8' }], invalid)] }));
    assert.equal(r.pools[0]?.state, 'InvalidBlocks');
    assert.equal(r.summary.invalidPools, 1, 'counted as invalid');
    assert.equal(needsAttention(r), true, 'invalid pool exits non-zero');
  });

  it('a pool without status yet is Unknown (the controller has not seen it)', () => {
    const r = statusReport(input({ pools: [pool('new', [{ cidr: '192.0.2.0/28' }])] }));
    assert.equal(r.pools[0]?.state, 'Unknown');
    assert.equal(r.pools[0]?.total, null, 'no counts before the controller writes them');
  });

  it('a pending Service says the reason the controller gave (condition lanlb.io/IPAllocated)', () => {
    const failed = cond('lanlb.io/IPAllocated', 'False', 'PoolExhausted', 'no free address in pool lab');
    const waiting = service('demo', 'api', [], { status: { conditions: [failed] } });
    const r = statusReport(input({ services: [waiting] }));
    assert.equal(r.services[0]?.state, 'Pending');
    assert.equal(r.services[0]?.reason, 'PoolExhausted', 'the controller reason');
    assert.equal(r.services[0]?.message, 'no free address in pool lab');
    assert.equal(needsAttention(r), true, 'a pending Service exits non-zero');
  });

  it('a pending Service the controller never handled says so', () => {
    const r = statusReport(input({ services: [service('demo', 'new', [])] }));
    assert.equal(r.services[0]?.reason, 'NotReconciled');
    assert.match(r.services[0]?.message ?? '', /lanlb controller/);
  });

  it('an addressed Service no policy selects is Allocated with NoPolicySelects', () => {
    const r = statusReport(input({ policies: [policy('other', { serviceSelector: { matchLabels: { x: 'y' } } })] }));
    assert.equal(r.services[0]?.state, 'Announced', 'the Lease still names a holder');
    const unheld = statusReport(input({ policies: [], leases: [] }));
    assert.equal(unheld.services[0]?.state, 'Allocated');
    assert.equal(unheld.services[0]?.reason, 'NoPolicySelects');
    assert.equal(needsAttention(unheld), false, 'allocated is not pending');
  });

  it('selected but held by nobody: NoHolder; Leases unreadable: LeasesUnreadable', () => {
    assert.equal(statusReport(input({ leases: [] })).services[0]?.reason, 'NoHolder');
    const r = statusReport(input({ leases: undefined }));
    assert.equal(r.leasesReadable, false);
    assert.equal(r.services[0]?.reason, 'LeasesUnreadable');
  });

  it('a Lease that names another Service is not taken as this one`s holder', () => {
    const wrong = lease('demo', 'web', 'node9', 'eth0', '02:00:00:00:00:09', 'demo/other');
    assert.equal(statusReport(input({ leases: [wrong] })).services[0]?.holder, null);
  });

  it('an invalid policy does not count as selecting; policies announcing nothing of it neither', () => {
    const bad = policy('bad', { interfaces: ['('] });
    const noLb = policy('ext-only', { loadBalancerIPs: false, externalIPs: true });
    assert.deepEqual(statusReport(input({ policies: [bad, noLb, policy('ok')] })).services[0]?.policies, ['ok']);
  });

  it('Services of another class or type are not listed; the address of a deleted pool has no pool', () => {
    const other = service('demo', 'x', ['192.0.2.5'], { spec: { type: 'LoadBalancer', loadBalancerClass: 'other' } });
    const cluster = service('demo', 'y', [], { spec: { type: 'ClusterIP' } });
    const orphan = service('demo', 'z', ['198.51.100.1']);
    const r = statusReport(input({ services: [other, cluster, orphan] }));
    assert.deepEqual(
      r.services.map((s) => s.name),
      ['z'],
      'only lanlb LoadBalancer Services',
    );
    assert.deepEqual(r.services[0]?.addresses, [{ ip: '198.51.100.1', pool: null }]);
  });

  it('dual-stack: each address with its own pool', () => {
    const pools = [pool('v4', [{ cidr: '192.0.2.0/28' }], ready), pool('v6', [{ cidr: '2001:db8::/120' }], ready)];
    const svc = service('demo', 'web', ['192.0.2.1', '2001:db8::1'], {
      spec: { type: 'LoadBalancer', ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'RequireDualStack' },
    });
    assert.deepEqual(statusReport(input({ pools, services: [svc] })).services[0]?.addresses, [
      { ip: '192.0.2.1', pool: 'v4' },
      { ip: '2001:db8::1', pool: 'v6' },
    ]);
  });
});

describe('lanlb status text', () => {
  it('two tables and a summary; NAMESPACE column only for -A', () => {
    const text = renderStatus(statusReport(input()));
    assert.match(text, /^POOL +TOTAL +USED +AVAILABLE +STATE\nlab +14 +1 +13 +Ready$/m);
    assert.match(text, /^SERVICE +ADDRESSES \(POOL\) +POLICIES +HOLDER +INTERFACES +STATE$/m);
    assert.match(text, /^web +192\.0\.2\.1 \(lab\) +all +node1 +eth0 02:00:00:00:00:01 +Announced$/m);
    assert.match(text, /1 pool\(s\), 0 conflicting, 0 invalid; 1 Service\(s\) in namespace demo, 0 pending/);
    const all = renderStatus(statusReport(input({ namespace: null })));
    assert.match(all, /^NAMESPACE +SERVICE/m, 'all namespaces add the column');
  });

  it('table pads every column but the last', () => {
    assert.equal(table(['A', 'BB'], [['xyz', '1']]), 'A    BB\nxyz  1');
  });
});
