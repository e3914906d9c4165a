// The allocator against a reference model small enough to trust by reading: pools in the
// contract's order (a serviceSelector before none, then by name), the lowest free address of
// the first pool that has one, a held address kept. The invariant property alone would pass an
// allocator that refuses everything; this one checks that it succeeds exactly when the model
// does, with the model's address. Blocks include /31, /32, /127, /128 and a /64.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Allocator } from '../../../src/ipam/allocator.js';
import { formatAddress, parseAddress, type Family } from '../../../src/ipam/address.js';
import type { PoolDefinition } from '../../../src/ipam/pool.js';
import { pool, svc } from './fixtures.js';

interface ModelBlock {
  spec: { cidr: string } | { start: string; stop: string };
  family: Family;
  /** usable addresses, lowest first (the model enumerates at most what a run can take) */
  first: bigint;
  last: bigint;
}

const v = (s: string): bigint => parseAddress(s)?.value ?? assert.fail(s);
// Non-overlapping, so no pool is ever Conflicting; first/last as the contract says.
const BLOCKS: ModelBlock[] = [
  { spec: { cidr: '192.0.2.0/31' }, family: 4, first: v('192.0.2.0'), last: v('192.0.2.1') },
  { spec: { cidr: '192.0.2.8/32' }, family: 4, first: v('192.0.2.8'), last: v('192.0.2.8') },
  { spec: { cidr: '192.0.2.16/30' }, family: 4, first: v('192.0.2.17'), last: v('192.0.2.18') },
  {
    spec: { start: '198.51.100.10', stop: '198.51.100.12' },
    family: 4,
    first: v('198.51.100.10'),
    last: v('198.51.100.12'),
  },
  { spec: { cidr: '2001:db8::/127' }, family: 6, first: v('2001:db8::'), last: v('2001:db8::1') },
  { spec: { cidr: '2001:db8:1::/128' }, family: 6, first: v('2001:db8:1::'), last: v('2001:db8:1::') },
  {
    spec: { cidr: '2001:db8:2::/64' },
    family: 6,
    first: v('2001:db8:2::1'),
    last: v('2001:db8:2::ffff:ffff:ffff:fffe'),
  },
];

interface ModelPool {
  name: string;
  blocks: ModelBlock[];
  red: boolean;
  disabled: boolean;
}

class Model {
  /** service key -> address held (canonical text) */
  readonly held = new Map<string, { ip: string; pool: string }>();
  constructor(private readonly pools: ModelPool[]) {}

  assign(key: string, family: Family, red: boolean): string | undefined {
    const mine = this.held.get(key);
    if (mine) return mine.ip;
    const taken = new Set([...this.held.values()].map((h) => h.ip));
    const order = this.pools
      .filter((p) => !p.disabled && (!p.red || red))
      .sort((a, b) => Number(b.red) - Number(a.red) || (a.name < b.name ? -1 : 1));
    for (const p of order) {
      const blocks = p.blocks.filter((b) => b.family === family).sort((a, b) => (a.first < b.first ? -1 : 1));
      for (const b of blocks) {
        for (let x = b.first; x <= b.last && x < b.first + 64n; x++) {
          const ip = formatAddress(family, x);
          if (!taken.has(ip)) {
            this.held.set(key, { ip, pool: p.name });
            return ip;
          }
        }
      }
    }
    return undefined;
  }
}

const poolsArb: fc.Arbitrary<ModelPool[]> = fc.shuffledSubarray(BLOCKS, { minLength: 1 }).chain((blocks) =>
  fc
    .array(fc.record({ at: fc.nat(3), red: fc.boolean(), disabled: fc.boolean() }), {
      minLength: blocks.length,
      maxLength: blocks.length,
    })
    .map((slots) => {
      const byName = new Map<string, ModelPool>();
      blocks.forEach((b, i) => {
        const slot = slots[i] ?? { at: 0, red: false, disabled: false };
        const name = `p${slot.at}`;
        const p = byName.get(name) ?? { name, blocks: [], red: slot.red, disabled: slot.disabled };
        p.blocks.push(b);
        byName.set(name, p);
      });
      return [...byName.values()];
    }),
);

const opArb = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('assign' as const), n: fc.nat(9), v6: fc.boolean(), red: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), n: fc.nat(9) }) },
);

const definition = (p: ModelPool): PoolDefinition =>
  pool(
    p.name,
    p.blocks.map((b) => b.spec),
    {
      disabled: p.disabled,
      serviceSelector: p.red ? { matchLabels: { color: 'red' } } : undefined,
    },
  );

describe('Allocator against a reference model (property)', () => {
  it("succeeds exactly when the model does, with the model's address", () => {
    fc.assert(
      fc.property(poolsArb, fc.array(opArb, { maxLength: 40 }), (pools, ops) => {
        const a = new Allocator();
        a.setPools(pools.map(definition));
        const model = new Model(pools);
        // A Service keeps its family and labels for the whole run: what it asked for first.
        const shape = new Map<string, { v6: boolean; red: boolean }>();
        for (const op of ops) {
          const key = `ns/s${op.n}`;
          if (op.kind === 'release') {
            a.release(key);
            model.held.delete(key);
            continue;
          }
          const { v6, red } = shape.get(key) ?? { v6: op.v6, red: op.red };
          shape.set(key, { v6, red });
          const request = svc(key, {
            families: [v6 ? 'IPv6' : 'IPv4'],
            extraLabels: red ? { color: 'red' } : {},
            current: a.assigned(key).map((i) => i.ip),
          });
          const got = a.assign(request);
          const want = model.assign(key, v6 ? 6 : 4, red);
          const gotIP = got.kind === 'assigned' ? got.ips.map((i) => i.ip).join(',') : undefined;
          const outcome = got.kind === 'assigned' ? 'assigned' : `${got.reason}: ${got.message}`;
          assert.equal(gotIP, want, `${key} (${v6 ? 'IPv6' : 'IPv4'}${red ? ', red' : ''}): ${outcome}`);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
