// Overlap detection across all pools by sort-and-sweep: blocks sorted by (family, first), swept
// once while keeping the blocks still open. Each overlap between two pools marks the newer one
// (later creationTimestamp, then name) Conflicting, naming the older pool and the overlapping
// range. O(n log n + k) for n blocks and k overlapping pairs, where pairwise checks are O(n^2).
import { formatAddress } from './address.js';
import type { AddressRange } from './cidr.js';
import { cmp } from './pool-blocks.js';

export interface PoolRanges {
  name: string;
  /** creation order key: creationTimestamp in ms since the epoch */
  createdAt: number;
  ranges: readonly AddressRange[];
}

export interface Conflict {
  /** the older pool this one overlaps */
  olderPool: string;
  /** the first overlapping range found with it, as text */
  range: string;
}

/** Newer-first order means: a is newer than b. */
export function isNewer(a: Pick<PoolRanges, 'name' | 'createdAt'>, b: Pick<PoolRanges, 'name' | 'createdAt'>): boolean {
  return a.createdAt !== b.createdAt ? a.createdAt > b.createdAt : a.name > b.name;
}

interface Entry extends AddressRange {
  pool: PoolRanges;
}

/** pool name -> its conflict with the oldest older pool it overlaps; pools absent do not conflict. */
export function findConflicts(pools: readonly PoolRanges[]): Map<string, Conflict> {
  const entries: Entry[] = pools.flatMap((pool) => pool.ranges.map((r) => ({ ...r, pool })));
  entries.sort((a, b) => a.family - b.family || cmp(a.first, b.first));
  const result = new Map<string, Conflict & { olderAt: PoolRanges }>();
  let open: Entry[] = [];
  let family = 0;
  for (const e of entries) {
    if (e.family !== family) {
      open = [];
      family = e.family;
    }
    open = open.filter((o) => o.last >= e.first);
    for (const o of open) {
      if (o.pool === e.pool) continue; // overlaps inside one pool are InvalidBlocks, found elsewhere
      const [newer, older] = isNewer(e.pool, o.pool) ? [e.pool, o.pool] : [o.pool, e.pool];
      const prev = result.get(newer.name);
      if (prev && !isNewer(prev.olderAt, older)) continue; // keep the oldest older pool
      const last = o.last < e.last ? o.last : e.last;
      result.set(newer.name, { olderPool: older.name, olderAt: older, range: rangeText(e.family, e.first, last) });
    }
    open.push(e);
  }
  return new Map([...result].map(([k, v]) => [k, { olderPool: v.olderPool, range: v.range }]));
}

function rangeText(family: 4 | 6, first: bigint, last: bigint): string {
  return first === last
    ? formatAddress(family, first)
    : `${formatAddress(family, first)}-${formatAddress(family, last)}`;
}
