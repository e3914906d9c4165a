import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { findConflicts, isNewer, type PoolRanges } from '../../../src/ipam/conflicts.js';
import { overlaps } from '../../../src/ipam/cidr.js';
import { Allocator } from '../../../src/ipam/allocator.js';
import { pool } from './fixtures.js';

const r = (first: number, last: number, family: 4 | 6 = 4) => ({ family, first: BigInt(first), last: BigInt(last) });

describe('findConflicts (sort and sweep)', () => {
  it('marks the newer of two overlapping pools, naming the older and the range', () => {
    const got = findConflicts([
      { name: 'b', createdAt: 2, ranges: [r(10, 20)] },
      { name: 'a', createdAt: 1, ranges: [r(15, 30)] },
    ]);
    assert.deepEqual([...got], [['b', { olderPool: 'a', range: '0.0.0.15-0.0.0.20' }]]);
  });

  it('breaks a creationTimestamp tie by name', () => {
    const got = findConflicts([
      { name: 'x', createdAt: 1, ranges: [r(1, 1)] },
      { name: 'y', createdAt: 1, ranges: [r(1, 1)] },
    ]);
    assert.deepEqual([...got.keys()], ['y']);
  });

  it('families never conflict with each other', () => {
    assert.equal(
      findConflicts([
        { name: 'a', createdAt: 1, ranges: [r(1, 5, 4)] },
        { name: 'b', createdAt: 2, ranges: [r(1, 5, 6)] },
      ]).size,
      0,
    );
  });

  it('names the oldest of several older pools', () => {
    const got = findConflicts([
      { name: 'new', createdAt: 3, ranges: [r(0, 100)] },
      { name: 'mid', createdAt: 2, ranges: [r(50, 60)] },
      { name: 'old', createdAt: 1, ranges: [r(90, 95)] },
    ]);
    assert.equal(got.get('new')?.olderPool, 'old');
    assert.equal(got.get('mid'), undefined);
  });

  it('a pool whose network address overlaps another pool conflicts, though that address is never handed out', () => {
    const a = new Allocator();
    a.setPools([
      pool('older', [{ cidr: '192.0.2.0/28' }], { createdAt: 1 }),
      pool('newer', [{ start: '192.0.2.15', stop: '192.0.2.20' }], { createdAt: 2 }),
    ]);
    assert.deepEqual(a.pool('newer')?.conflict, { olderPool: 'older', range: '192.0.2.15' });
  });

  it('agrees with a pairwise check on random pools (property)', () => {
    const poolArb = fc.record({
      name: fc.string({ minLength: 1, maxLength: 3 }),
      createdAt: fc.integer({ min: 0, max: 5 }),
      ranges: fc.array(
        fc
          .tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 10 }), fc.constantFrom<4 | 6>(4, 6))
          .map(([f, len, fam]) => r(f, f + len, fam)),
        { minLength: 1, maxLength: 3 },
      ),
    });
    fc.assert(
      fc.property(fc.uniqueArray(poolArb, { selector: (p) => p.name, maxLength: 8 }), (pools: PoolRanges[]) => {
        const got = findConflicts(pools);
        for (const p of pools) {
          const older = pools.filter(
            (o) => o !== p && isNewer(p, o) && o.ranges.some((x) => p.ranges.some((y) => overlaps(x, y))),
          );
          assert.equal(got.has(p.name), older.length > 0, p.name);
          if (older.length) {
            const oldest = older.reduce((a, b) => (isNewer(a, b) ? b : a));
            assert.equal(got.get(p.name)?.olderPool, oldest.name);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
