import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { copyAction, copyOfLease, laterLeaseVersion, leaseOfCopy } from '../../../src/l2/election/lease-copy.js';
import type { LeaseObject } from '../../../src/core/kube-objects.js';

const lease = (rv: string, holder = 'node1'): LeaseObject => ({
  metadata: {
    name: 'lanlb-l2-web.svc',
    namespace: 'lanlb-system',
    resourceVersion: rv,
    labels: { 'lanlb.io/lease': 'service' },
    annotations: { 'lanlb.io/service': 'web/svc' },
  },
  spec: { holderIdentity: holder, leaseTransitions: 1 },
});

describe('Service Lease copies (L2Announcement)', () => {
  it('a copy gives back what the election reads of the Lease: holder, annotations, the Lease version', () => {
    const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
    const text = fc.string({ minLength: 1, maxLength: 12 }); // empty and unset are one (lease-copy.ts)
    fc.assert(
      fc.property(
        fc.record({
          rv: fc.bigInt({ min: 1n, max: 10n ** 12n }).map(String),
          holder: opt(text),
          service: opt(text),
          interfaces: opt(text),
          macs: opt(text),
          from: opt(text),
          transitions: opt(fc.nat()),
          duration: opt(fc.nat()),
          acquire: opt(text),
        }),
        (r) => {
          const annotations: Record<string, string> = {};
          if (r.service !== undefined) annotations['lanlb.io/service'] = r.service;
          if (r.interfaces !== undefined) annotations['lanlb.io/interfaces'] = r.interfaces;
          if (r.macs !== undefined) annotations['lanlb.io/hardware-addresses'] = r.macs;
          if (r.from !== undefined) annotations['lanlb.io/taken-over-from'] = r.from;
          const spec: NonNullable<LeaseObject['spec']> = {};
          if (r.holder !== undefined) spec.holderIdentity = r.holder;
          if (r.transitions !== undefined) spec.leaseTransitions = r.transitions;
          if (r.duration !== undefined) spec.leaseDurationSeconds = r.duration;
          if (r.acquire !== undefined) spec.acquireTime = r.acquire;
          const original: LeaseObject = {
            metadata: {
              name: 'lanlb-l2-a.b',
              namespace: 'lanlb-system',
              resourceVersion: r.rv,
              labels: { 'lanlb.io/lease': 'service' },
              annotations,
            },
            spec,
          };
          assert.deepEqual(leaseOfCopy(copyOfLease(original)), original);
        },
      ),
    );
  });

  it('Lease versions compare as etcd revisions; one that is not a number counts as later', () => {
    assert.equal(laterLeaseVersion('10', '9'), true);
    assert.equal(laterLeaseVersion('9', '10'), false, 'not by text: "9" > "10" as strings');
    assert.equal(laterLeaseVersion('10', '10'), false);
    assert.equal(laterLeaseVersion('x', '10'), true);
    assert.equal(laterLeaseVersion('', ''), false);
  });

  it('a copy is written for a later Lease only, and removed when the Lease is gone', () => {
    assert.equal(copyAction(lease('5'), undefined).kind, 'write');
    assert.equal(copyAction(lease('6', 'node2'), copyOfLease(lease('5'))).kind, 'write');
    assert.equal(
      copyAction(lease('5'), copyOfLease(lease('6', 'node2'))).kind,
      'none',
      'never back to an earlier Lease',
    );
    assert.equal(copyAction(lease('5'), copyOfLease(lease('5'))).kind, 'none');
    assert.equal(copyAction(undefined, copyOfLease(lease('5'))).kind, 'delete');
    assert.equal(copyAction(undefined, undefined).kind, 'none');
    const released = copyOfLease({ ...lease('7'), spec: { holderIdentity: '' } });
    assert.equal('holder' in released.spec, false, 'an empty holder is left out (1.20 refuses "" as null)');
    const write = copyAction(lease('6', 'node2'), copyOfLease(lease('5')));
    assert.equal(write.kind === 'write' && write.copy.spec.holder, 'node2');
  });
});
