import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { admissionResponse, conversionResponse } from '../../../src/webhook/reviews.js';
import { certificateHosts, createCA, createServingCert, msUntilExpiry } from '../../../src/webhook/certificates.js';

describe('admission and conversion reviews', () => {
  const review = (object: unknown) => ({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid: 'u1', operation: 'CREATE', object },
  });

  it('allows a valid pool and echoes the uid', () => {
    const r = admissionResponse(
      review({
        apiVersion: 'lanlb.io/v1beta1',
        kind: 'LoadBalancerIPPool',
        metadata: { name: 'p' },
        spec: { blocks: [{ cidr: '192.0.2.0/28' }] },
      }),
    ) as { response: { uid: string; allowed: boolean } };
    assert.deepEqual(r.response, { uid: 'u1', allowed: true });
  });

  it('denies an invalid pool with a 422 and the field', () => {
    const r = admissionResponse(
      review({
        apiVersion: 'lanlb.io/v1beta1',
        kind: 'LoadBalancerIPPool',
        metadata: { name: 'p' },
        spec: { blocks: [{ start: '192.0.2.9', stop: '192.0.2.1' }] },
      }),
    ) as { response: { allowed: boolean; status: { code: number; message: string } } };
    assert.equal(r.response.allowed, false);
    assert.equal(r.response.status.code, 422);
    assert.match(
      r.response.status.message,
      /LoadBalancerIPPool\/p is invalid: spec.blocks\[0\]: block 192.0.2.9-192.0.2.1: start is after stop/,
    );
  });

  it('answers garbage with a denial, not an exception', () => {
    assert.equal((admissionResponse('nonsense') as { response: { allowed: boolean } }).response.allowed, false);
    assert.equal(
      (conversionResponse(null) as { response: { result: { status: string } } }).response.result.status,
      'Failure',
    );
  });

  it('converts a ConversionReview and fails it cleanly for an unknown version', () => {
    const ok = conversionResponse({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'ConversionReview',
      request: {
        uid: 'c',
        desiredAPIVersion: 'lanlb.io/v1beta1',
        objects: [
          {
            apiVersion: 'lanlb.io/v1alpha1',
            kind: 'LoadBalancerIPPool',
            metadata: { name: 'p' },
            spec: { cidrs: [{ cidr: '192.0.2.0/28' }] },
          },
        ],
      },
    }) as { response: { uid: string; convertedObjects: Array<{ spec: unknown }> } };
    assert.equal(ok.response.uid, 'c');
    assert.deepEqual(ok.response.convertedObjects[0]?.spec, {
      blocks: [{ cidr: '192.0.2.0/28' }],
      allowFirstLastIPs: false,
    });
    const bad = conversionResponse({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'ConversionReview',
      request: {
        uid: 'c',
        desiredAPIVersion: 'lanlb.io/v7',
        objects: [{ apiVersion: 'lanlb.io/v1alpha1', kind: 'LoadBalancerIPPool' }],
      },
    }) as { response: { result: { status: string; message: string } } };
    assert.equal(bad.response.result.status, 'Failure');
  });
});

describe('webhook certificates', () => {
  const now = Date.UTC(2026, 10, 23);
  const ca = createCA(now);
  const serving = createServingCert(ca, ['lanlb-webhook.lanlb-system.svc', '127.0.0.1'], now);

  it('the serving certificate is signed by the CA and names the Service and IPs', () => {
    const leaf = new X509Certificate(serving.cert);
    const root = new X509Certificate(ca.cert);
    assert.ok(leaf.verify(root.publicKey), 'signed by the CA');
    assert.ok(leaf.checkHost('lanlb-webhook.lanlb-system.svc'), 'names the Service');
    assert.ok(leaf.checkIP('127.0.0.1'), 'names 127.0.0.1');
    assert.deepEqual(certificateHosts(serving.cert), ['lanlb-webhook.lanlb-system.svc', '127.0.0.1']);
  });

  it('lasts a year (CA ten), so renewal 30 days before expiry happens in time', () => {
    const day = 24 * 3600 * 1000;
    assert.ok(Math.abs(msUntilExpiry(serving.cert, now) - 365 * day) < day, 'the serving certificate lasts a year');
    assert.ok(Math.abs(msUntilExpiry(ca.cert, now) - 3650 * day) < day, 'the CA lasts ten years');
  });
});
