import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RangeSet } from '../../../src/ipam/range-set.js';

describe('RangeSet', () => {
  it('allocates lowest first, reuses the lowest freed address, and merges intervals', () => {
    const s = new RangeSet(10n, 19n);
    assert.deepEqual([s.allocate(), s.allocate(), s.allocate()], [10n, 11n, 12n]);
    assert.equal(s.intervals, 1);
    assert.equal(s.release(11n), true);
    assert.equal(s.intervals, 2);
    assert.equal(s.allocate(), 11n);
    assert.equal(s.intervals, 1);
    assert.equal(s.release(11n), true);
    assert.equal(s.release(11n), false, 'release is idempotent');
    assert.equal(s.reserve(11n), true);
    assert.equal(s.reserve(11n), false);
    assert.equal(s.reserve(20n), false, 'outside the range');
  });

  it('reports exhaustion', () => {
    const s = new RangeSet(0n, 1n);
    s.allocate();
    s.allocate();
    assert.equal(s.allocate(), undefined);
    assert.equal(s.free, 0n);
  });

  it('an IPv6 /64 costs nothing until used', () => {
    const s = new RangeSet(0n, (1n << 64n) - 1n);
    assert.equal(s.free, 1n << 64n);
    for (let i = 0; i < 1000; i++) s.allocate();
    assert.equal(s.intervals, 1);
    assert.equal(s.used, 1000n);
  });

  it('matches a naive model after any sequence of operations (property)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('reserve' as const), x: fc.bigInt({ min: 0n, max: 63n }) }),
      fc.record({ kind: fc.constant('release' as const), x: fc.bigInt({ min: 0n, max: 63n }) }),
      fc.record({ kind: fc.constant('allocate' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const s = new RangeSet(0n, 63n);
        const model = new Set<bigint>();
        for (const o of ops) {
          if (o.kind === 'reserve') assert.equal(s.reserve(o.x), !model.has(o.x) && (model.add(o.x), true));
          else if (o.kind === 'release') assert.equal(s.release(o.x), model.delete(o.x));
          else {
            let want: bigint | undefined;
            for (let i = 0n; i < 64n; i++)
              if (!model.has(i)) {
                want = i;
                break;
              }
            assert.equal(s.allocate(), want);
            if (want !== undefined) model.add(want);
          }
        }
        assert.equal(s.used, BigInt(model.size));
        const held = [...s.heldIntervals()];
        for (let i = 1; i < held.length; i++)
          assert.ok((held[i]?.[0] ?? 0n) > (held[i - 1]?.[1] ?? 0n) + 1n, 'intervals disjoint and not adjacent');
        for (let i = 0n; i < 64n; i++) assert.equal(s.has(i), model.has(i));
      }),
      { numRuns: 300 },
    );
  });
});
