// Pure IPAM micro-benchmarks, each with a baseline measured in the same run.
import { Allocator } from '../src/ipam/allocator.js';
import { RangeSet } from '../src/ipam/range-set.js';
import { findConflicts, type PoolRanges } from '../src/ipam/conflicts.js';
import { overlaps } from '../src/ipam/cidr.js';
import { serviceLabels } from '../src/ipam/label-selector.js';

export interface Row {
  name: string;
  value: string;
  baseline: string;
  ratio: string;
  target?: string;
}

function time<T>(fn: () => T): { ms: number; result: T } {
  const t0 = performance.now();
  const result = fn();
  return { ms: performance.now() - t0, result };
}

/** One warm-up run, then the best of `runs`: both sides of a comparison are timed this way. */
function bestOf<T>(runs: number, fn: () => T): { ms: number; result: T } {
  let best = time(fn);
  for (let r = 0; r < runs; r++) {
    const t = time(fn);
    if (t.ms < best.ms || r === 0) best = t;
  }
  return best;
}

export function allocatorOnIPv6Slash64(n = 50_000): Row[] {
  const a = new Allocator();
  a.setPools([{ name: 'v6', createdAt: 0, blocks: [{ cidr: '2001:db8::/64' }] }]);
  const assign = time(() => {
    for (let i = 0; i < n; i++) {
      const out = a.assign({
        key: `ns/s${i}`,
        namespace: 'ns',
        name: `s${i}`,
        labels: serviceLabels('ns', `s${i}`),
        families: ['IPv6'],
        familyPolicy: 'SingleStack',
        requestedIPs: [],
        sharingNamespaces: [],
        ports: [{ port: 80, protocol: 'TCP' }],
        current: [],
      });
      if (out.kind !== 'assigned') throw new Error(`allocation ${i} failed`);
    }
  });
  const release = time(() => {
    for (let i = 0; i < n; i += 2) a.release(`ns/s${i}`);
  });
  // Baseline: the bare range set doing the same number of lowest-free allocations.
  const raw = new RangeSet(0n, (1n << 64n) - 1n);
  const base = time(() => {
    for (let i = 0; i < n; i++) raw.allocate();
  });
  const opsPerSec = (ms: number, count: number) => Math.round(count / (ms / 1000));
  const rss = process.memoryUsage().rss / 2 ** 20;
  return [
    {
      name: `allocator.assign on an IPv6 /64 (${n} Services)`,
      value: `${opsPerSec(assign.ms, n)} ops/s`,
      baseline: `${opsPerSec(base.ms, n)} ops/s (bare RangeSet.allocate)`,
      ratio: (assign.ms / base.ms).toFixed(1),
    },
    {
      name: `allocator.release (${n / 2}, fragmenting)`,
      value: `${opsPerSec(release.ms, n / 2)} ops/s`,
      baseline: '-',
      ratio: '-',
    },
    { name: 'bench process RSS after the above', value: `${rss.toFixed(0)} MiB`, baseline: '-', ratio: '-' },
  ];
}

export function conflictCheck(pools = 1000): Row[] {
  const set: PoolRanges[] = Array.from({ length: pools }, (_, i) => ({
    name: `p${i}`,
    createdAt: i,
    ranges: [
      { family: 4 as const, first: BigInt(i * 1000), last: BigInt(i * 1000 + 600) },
      { family: 4 as const, first: BigInt(i * 1000 + 500), last: BigInt(i * 1000 + 1200) }, // overlaps the next pool
      { family: 6 as const, first: BigInt(i) << 64n, last: (BigInt(i) << 64n) + (1n << 64n) - 1n },
    ],
  }));
  const sweep = bestOf(5, () => findConflicts(set));
  const pairwise = bestOf(5, () => {
    let n = 0;
    for (const a of set)
      for (const b of set) if (a !== b && a.ranges.some((x) => b.ranges.some((y) => overlaps(x, y)))) n++;
    return n;
  });
  const [sweepMs, found] = [sweep.ms, sweep.result.size];
  return [
    {
      name: `conflict check, ${pools} pools x 3 blocks (${found} conflicting)`,
      value: `${sweepMs.toFixed(1)} ms`,
      baseline: `${pairwise.ms.toFixed(0)} ms (pairwise; both best of 5 after a warm-up)`,
      ratio: (sweepMs / pairwise.ms).toFixed(4),
      target: '< 50 ms',
    },
  ];
}
