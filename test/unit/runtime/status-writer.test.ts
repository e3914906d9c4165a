import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mergePatchOf } from '../../../src/runtime/status-writer.js';

describe('mergePatchOf', () => {
  it('sets what the desired status has and nulls what it dropped', () => {
    assert.deepEqual(mergePatchOf({ a: 1, b: 2, c: 3 }, { a: 1, b: 5 }), { a: 1, b: 5, c: null });
  });
  it('recurses into objects so a removed nested key is removed (RFC 7386)', () => {
    assert.deepEqual(mergePatchOf({ loadBalancer: { ingress: [{ ip: '192.0.2.1' }] }, conditions: [] }, { loadBalancer: {}, conditions: [] }), { loadBalancer: { ingress: null }, conditions: [] });
  });
  it('works from an absent status', () => {
    assert.deepEqual(mergePatchOf(undefined, { a: 1 }), { a: 1 });
  });
});
