import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { convert, PRESERVED_ANNOTATION, V1ALPHA1, V1BETA1 } from '../../../src/conversion/convert.js';

const pool = (spec: object, annotations?: Record<string, string>) => ({
  apiVersion: V1BETA1,
  kind: 'LoadBalancerIPPool',
  metadata: { name: 'p', ...(annotations ? { annotations } : {}) },
  spec,
  status: { total: '3' },
});
const down = (o: object) => {
  const r = convert(o as never, V1ALPHA1);
  assert.ok(r.ok, 'converts');
  return r.object;
};
const up = (o: object) => {
  const r = convert(o as never, V1BETA1);
  assert.ok(r.ok, 'converts');
  return r.object;
};

describe('conversion v1alpha1 <-> v1beta1', () => {
  it('a v1alpha1 pool reads as v1beta1 with the same meaning', () => {
    const alpha = {
      apiVersion: V1ALPHA1,
      kind: 'LoadBalancerIPPool',
      metadata: { name: 'p' },
      spec: { cidrs: [{ cidr: '192.0.2.0/28' }], disabled: false, serviceSelector: { matchLabels: { a: 'b' } } },
    };
    assert.deepEqual(up(alpha), {
      apiVersion: V1BETA1,
      kind: 'LoadBalancerIPPool',
      metadata: { name: 'p' },
      spec: {
        blocks: [{ cidr: '192.0.2.0/28' }],
        disabled: false,
        serviceSelector: { matchLabels: { a: 'b' } },
        allowFirstLastIPs: false,
      },
    });
  });

  it('a v1beta1 pool with ranges and allowFirstLastIPs survives v1alpha1 (kept in an annotation)', () => {
    const beta = pool({
      blocks: [{ cidr: '192.0.2.0/28' }, { start: '198.51.100.1', stop: '198.51.100.9' }],
      allowFirstLastIPs: true,
      disabled: false,
    });
    const a = down(beta);
    assert.deepEqual(a.spec, { cidrs: [{ cidr: '192.0.2.0/28' }], disabled: false });
    assert.ok(
      a.metadata?.annotations?.[PRESERVED_ANNOTATION],
      'fields without a counterpart are kept in the annotation',
    );
    assert.deepEqual(a.status, { total: '3' }, 'status is carried as is');
    const back = up(a);
    assert.deepEqual(back.spec, {
      disabled: false,
      blocks: [{ cidr: '192.0.2.0/28' }, { start: '198.51.100.1', stop: '198.51.100.9' }],
      allowFirstLastIPs: true,
    });
    assert.equal(back.metadata?.annotations, undefined, 'the annotation is consumed');
  });

  it("a policy's interface list becomes one equivalent expression and comes back as the list", () => {
    const beta = {
      apiVersion: V1BETA1,
      kind: 'L2AnnouncementPolicy',
      metadata: { name: 'x' },
      spec: { interfaces: ['^eth[0-9]+$', '^bond0$'], loadBalancerIPs: true },
    };
    const a = down(beta);
    const re = new RegExp(a.spec?.interface as string);
    assert.ok(
      re.test('eth3') && re.test('bond0') && !re.test('wlan0'),
      'the converted expression matches eth3 and bond0, not wlan0',
    );
    assert.deepEqual(up(a).spec, beta.spec);
  });

  it('a user who edits the v1alpha1 expression gets that expression, not the stale kept list', () => {
    const a = down({
      apiVersion: V1BETA1,
      kind: 'L2AnnouncementPolicy',
      metadata: { name: 'x' },
      spec: { interfaces: ['a', 'b'] },
    });
    const edited = { ...a, spec: { ...a.spec, interface: '^eno1$' } };
    assert.deepEqual(up(edited).spec?.interfaces, ['^eno1$']);
  });

  it('announceInterval, which v1alpha1 cannot say, survives the way down and back', () => {
    const beta = {
      apiVersion: V1BETA1,
      kind: 'L2AnnouncementPolicy',
      metadata: { name: 'x' },
      spec: { interfaces: ['^eth0$'], announceInterval: '30s' },
    };
    const a = down(beta);
    assert.equal(a.spec?.announceInterval, undefined, 'not in the v1alpha1 spec');
    assert.deepEqual(up(a).spec, beta.spec);
  });

  it('autoAssign and poolSelector, which v1alpha1 cannot say, survive the way down and back', () => {
    const p = pool({ blocks: [{ cidr: '192.0.2.0/30' }], autoAssign: false });
    const a = down(p);
    assert.equal(a.spec?.autoAssign, undefined, 'not in the v1alpha1 pool spec (the apiserver would prune it)');
    assert.deepEqual(up(a).spec, { ...p.spec, allowFirstLastIPs: false });
    const beta = {
      apiVersion: V1BETA1,
      kind: 'L2AnnouncementPolicy',
      metadata: { name: 'x' },
      spec: { poolSelector: { matchLabels: { vlan: '10' } } },
    };
    const b = down(beta);
    assert.equal(b.spec?.poolSelector, undefined, 'not in the v1alpha1 policy spec');
    assert.deepEqual(up(b).spec, beta.spec);
  });

  it('keeps user annotations and rejects unknown kinds and versions', () => {
    const a = down(pool({ blocks: [{ cidr: '192.0.2.0/30' }] }, { team: 'net' }));
    assert.deepEqual(a.metadata?.annotations, { team: 'net' });
    assert.equal(convert({ apiVersion: 'lanlb.io/v2', kind: 'LoadBalancerIPPool' }, V1BETA1).ok, false);
    assert.equal(convert({ apiVersion: V1BETA1, kind: 'Other' }, V1ALPHA1).ok, false);
  });

  it('beta -> alpha -> beta is the identity for any pool or policy (property)', () => {
    const cidr = fc
      .tuple(fc.nat(255), fc.integer({ min: 24, max: 32 }))
      .map(([x, p]) => ({ cidr: `192.0.2.${x}/${p}` }));
    const range = fc
      .tuple(fc.nat(200), fc.nat(50))
      .map(([a, b]) => ({ start: `198.51.100.${a}`, stop: `198.51.100.${a + b}` }));
    const poolSpec = fc.record({
      blocks: fc.array(fc.oneof(cidr, range), { minLength: 1, maxLength: 4 }),
      allowFirstLastIPs: fc.boolean(),
      disabled: fc.boolean(),
      autoAssign: fc.boolean(),
    });
    fc.assert(
      fc.property(poolSpec, (s) => {
        const spec = { ...s };
        assert.deepEqual(up(down(pool(spec))).spec, spec);
      }),
    );
    const policySpec = fc.record(
      {
        interfaces: fc.array(fc.constantFrom('^eth0$', 'bond[0-9]', '^en.*'), { maxLength: 3 }),
        externalIPs: fc.boolean(),
        announceInterval: fc.constantFrom('30s', '1m', '1500ms'),
        poolSelector: fc.constantFrom(
          {},
          { matchLabels: { vlan: '10' } },
          {
            matchExpressions: [{ key: 'lanlb.io/pool-name', operator: 'In', values: ['a', 'b'] }],
          },
        ),
      },
      { requiredKeys: ['externalIPs'] },
    );
    fc.assert(
      fc.property(policySpec, (s) => {
        const spec = { ...s };
        const o = { apiVersion: V1BETA1, kind: 'L2AnnouncementPolicy', metadata: { name: 'x' }, spec };
        assert.deepEqual(up(down(o)).spec, spec);
      }),
    );
  });
});
