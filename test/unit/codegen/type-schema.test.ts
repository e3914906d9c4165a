import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toTypeSchema } from '../../../hack/codegen/type-schema.js';
import { readCrds } from '../../../hack/codegen/crd-source.js';
import { allKinds, customResourceDefinitions } from '../../../generated/index.js';

describe('codegen', () => {
  it('drops x-kubernetes-* keys and validation-only anyOf/oneOf, and closes objects', () => {
    const out = toTypeSchema({
      type: 'object',
      'x-kubernetes-map-type': 'atomic',
      oneOf: [{ required: ['a'] }, { required: ['b'] }],
      properties: {
        a: { type: 'string', anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }] },
        m: { type: 'object', additionalProperties: { type: 'string' } },
      },
    });
    assert.deepEqual(out, {
      type: 'object',
      additionalProperties: false,
      properties: { a: { type: 'string' }, m: { type: 'object', additionalProperties: { type: 'string' } } },
    });
  });

  it('keeps an anyOf that carries types', () => {
    const out = toTypeSchema({ anyOf: [{ type: 'string' }, { type: 'integer' }] });
    assert.deepEqual(out.anyOf, [{ type: 'string' }, { type: 'integer' }]);
  });

  it('the generated registry names every kind and version of crds/', () => {
    const crds = readCrds(new URL('../../../crds', import.meta.url).pathname);
    const fromCrds = crds.flatMap((c) => c.versions.map((v) => `${c.group}/${v.name}/${c.kind}/${c.plural}`)).sort();
    const generated = allKinds.map((k) => `${k.group}/${k.version}/${k.kind}/${k.plural}`).sort();
    assert.deepEqual(generated, fromCrds);
    assert.equal(customResourceDefinitions.length, crds.length);
  });
});
