// Reviews an attacker can send (through the apiserver by creating a pool, or straight to :9443):
// every one gets an answer with a reason, none throws. The inputs listed first once stopped the
// controller; the fuzz runs generate more of the same kind.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { admissionResponse, conversionResponse } from '../../../src/webhook/reviews.js';
import { nestingDepth, parseBoundedJson } from '../../../src/core/bounded-json.js';

type ConversionOut = {
  response: { uid: string; convertedObjects: unknown[]; result: { status: string; message?: string } };
};
type AdmissionOut = { response: { uid: string; allowed: boolean; status?: { message: string } } };

const conversion = (request: unknown) => ({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview', request });
const admission = (object: unknown) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: { uid: 'u', operation: 'CREATE', object },
});
const alphaPool = (spec: unknown, annotations?: Record<string, string>) => ({
  apiVersion: 'lanlb.io/v1alpha1',
  kind: 'LoadBalancerIPPool',
  metadata: { name: 'p', annotations },
  spec,
});
const up = (o: unknown) =>
  conversionResponse(conversion({ uid: 'c', desiredAPIVersion: 'lanlb.io/v1beta1', objects: [o] })) as ConversionOut;

describe('hostile ConversionReviews get a Failure with a reason', () => {
  const failures: Array<[string, unknown, RegExp]> = [
    [
      'objects is not a list',
      conversion({ uid: 'c', desiredAPIVersion: 'lanlb.io/v1beta1', objects: 5 }),
      /objects is not an array/,
    ],
    [
      'objects holds null',
      conversion({ uid: 'c', desiredAPIVersion: 'lanlb.io/v1beta1', objects: [null] }),
      /objects\[0\]: not a JSON object/,
    ],
    ['no desired version', conversion({ uid: 'c', objects: [] }), /desiredAPIVersion is not a string/],
    [
      'the wrong kind',
      { apiVersion: 'apiextensions.k8s.io/v1', kind: 'AdmissionReview', request: {} },
      /not a apiextensions.k8s.io\/v1 ConversionReview/,
    ],
    [
      'the wrong version',
      { apiVersion: 'apiextensions.k8s.io/v1beta1', kind: 'ConversionReview', request: {} },
      /got apiextensions.k8s.io\/v1beta1/,
    ],
    ['no request', { apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview' }, /request is missing/],
    ['null', null, /not a JSON object/],
    ['a string', 'nonsense', /not a JSON object/],
  ];
  for (const [name, body, reason] of failures) {
    it(name, () => {
      const r = conversionResponse(body) as ConversionOut;
      assert.equal(r.response.result.status, 'Failure');
      assert.match(r.response.result.message ?? '', reason);
      assert.deepEqual(r.response.convertedObjects, []);
    });
  }

  it('a v1alpha1 pool whose cidrs holds null', () => {
    const r = up(alphaPool({ cidrs: [null] }));
    assert.equal(r.response.result.status, 'Failure');
    assert.match(r.response.result.message ?? '', /spec.cidrs\[0\] is not an object/);
  });

  it('a v1alpha1 policy whose interface is not a string', () => {
    const r = up({
      apiVersion: 'lanlb.io/v1alpha1',
      kind: 'L2AnnouncementPolicy',
      metadata: { name: 'x' },
      spec: { interface: 5 },
    });
    assert.match(r.response.result.message ?? '', /spec.interface is not a string/);
  });

  it('a v1beta1 policy whose interfaces is a string', () => {
    const o = {
      apiVersion: 'lanlb.io/v1beta1',
      kind: 'L2AnnouncementPolicy',
      metadata: { name: 'x' },
      spec: { interfaces: 'eth0' },
    };
    const r = conversionResponse(
      conversion({ uid: 'c', desiredAPIVersion: 'lanlb.io/v1alpha1', objects: [o] }),
    ) as ConversionOut;
    assert.match(r.response.result.message ?? '', /spec.interfaces is not a list of strings/);
  });

  it('only a string uid is echoed', () => {
    const r = conversionResponse(
      conversion({ uid: { evil: true }, desiredAPIVersion: 'lanlb.io/v1beta1', objects: [] }),
    ) as ConversionOut;
    assert.equal(r.response.uid, '');
  });
});

describe('a malformed lanlb.io/v1beta1-spec annotation is ignored, not trusted', () => {
  for (const text of [
    '{"ranges":5}',
    '{"ranges":[null]}',
    '{"interfaces":5}',
    '{"ranges":[{"at":-1,"block":{}}]}',
    'not json',
    '[]',
  ]) {
    it(text, () => {
      const r = up(alphaPool({ cidrs: [{ cidr: '192.0.2.0/28' }] }, { 'lanlb.io/v1beta1-spec': text }));
      assert.equal(r.response.result.status, 'Success', r.response.result.message);
      const spec = (r.response.convertedObjects[0] as { spec: unknown }).spec;
      assert.deepEqual(spec, { blocks: [{ cidr: '192.0.2.0/28' }], allowFirstLastIPs: false });
    });
  }

  it('an annotation nested 100,000 levels deep', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const r = up(alphaPool({ cidrs: [{ cidr: '192.0.2.0/28' }] }, { 'lanlb.io/v1beta1-spec': `{"ranges":${deep}}` }));
    assert.equal(r.response.result.status, 'Success');
  });
});

describe('hostile AdmissionReviews are denied with a reason', () => {
  it('an object that is not an object', () => {
    const r = admissionResponse(admission('pool')) as AdmissionOut;
    assert.equal(r.response.allowed, false);
    assert.match(r.response.status?.message ?? '', /request.object is missing or not an object/);
  });

  it('the wrong version', () => {
    const r = admissionResponse({
      apiVersion: 'admission.k8s.io/v1beta1',
      kind: 'AdmissionReview',
      request: { uid: 'u' },
    }) as AdmissionOut;
    assert.equal(r.response.allowed, false);
    assert.equal(r.response.uid, 'u');
  });

  it('a v1alpha1 pool whose cidrs holds null', () => {
    const r = admissionResponse(admission(alphaPool({ cidrs: [null] }))) as AdmissionOut;
    assert.equal(r.response.allowed, false);
  });
});

describe('JSON depth is bounded before parsing', () => {
  it('counts nesting, ignoring brackets inside strings', () => {
    assert.equal(nestingDepth('{"a":[1,{"b":"[[[{{{"}]}'), 3);
    assert.equal(nestingDepth('"\\"[["'), 0);
  });

  it('refuses 100,000 levels without recursion', () => {
    const r = parseBoundedJson(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`);
    assert.deepEqual(r, { ok: false, message: 'JSON nested deeper than 100 levels' });
  });
});

describe('fuzz: malformed reviews never throw and always answer', () => {
  // Values of every JSON kind, nested a little, to put anywhere a review has a field.
  const anyJson = fc.jsonValue({ maxDepth: 4 });
  const objectish = fc.oneof(
    anyJson,
    fc.record(
      {
        apiVersion: fc.constantFrom('lanlb.io/v1alpha1', 'lanlb.io/v1beta1', 'v1'),
        kind: fc.constantFrom('LoadBalancerIPPool', 'L2AnnouncementPolicy'),
        metadata: anyJson,
        spec: anyJson,
      },
      { requiredKeys: [] },
    ),
    fc.record({
      apiVersion: fc.constant('lanlb.io/v1alpha1'),
      kind: fc.constant('LoadBalancerIPPool'),
      metadata: fc.record({
        name: fc.string(),
        annotations: fc.dictionary(
          fc.constantFrom('lanlb.io/v1beta1-spec', 'x'),
          fc.oneof(
            fc.string(),
            anyJson.map((j) => JSON.stringify(j)),
          ),
        ),
      }),
      spec: fc.record({ cidrs: anyJson }),
    }),
  );
  const request = fc.record(
    {
      uid: anyJson,
      desiredAPIVersion: fc.oneof(fc.constantFrom('lanlb.io/v1alpha1', 'lanlb.io/v1beta1'), anyJson),
      objects: fc.oneof(fc.array(objectish, { maxLength: 3 }), anyJson),
      object: objectish,
      operation: anyJson,
    },
    { requiredKeys: [] },
  );
  const review = fc.oneof(
    anyJson,
    fc.record(
      {
        apiVersion: fc.constantFrom('apiextensions.k8s.io/v1', 'admission.k8s.io/v1'),
        kind: fc.constantFrom('ConversionReview', 'AdmissionReview'),
        request: fc.oneof(request, anyJson),
      },
      { requiredKeys: [] },
    ),
  );

  it('conversion and admission answer every generated review (3,000 each)', () => {
    fc.assert(
      fc.property(review, (body) => {
        const c = conversionResponse(body) as ConversionOut;
        assert.ok(
          ['Success', 'Failure'].includes(c.response.result.status),
          `a Status of Success or Failure, not ${c.response.result.status}`,
        );
        assert.equal(typeof c.response.uid, 'string');
        const a = admissionResponse(body) as AdmissionOut;
        assert.equal(typeof a.response.allowed, 'boolean');
        JSON.stringify(c);
        JSON.stringify(a);
      }),
      { numRuns: 3_000 },
    );
  });
});
