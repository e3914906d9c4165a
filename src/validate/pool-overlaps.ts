// Overlaps between pools, for the admission warning and `lanlb validate` (pure). Overlapping
// pools are admitted (the newer one is Conflicting and keeps what it holds, docs/contract.md); users are
// told at the moment they create one.
import { parsePoolBlocks, type BlockSpec } from '../ipam/pool-blocks.js';
import { overlaps } from '../ipam/cidr.js';
import { formatAddress } from '../ipam/address.js';

export interface PoolShape {
  metadata?: { name?: string };
  spec?: { blocks?: BlockSpec[]; cidrs?: BlockSpec[]; allowFirstLastIPs?: boolean };
}

/** Where `pool` overlaps each of `others` (by name; a pool of the same name is the same pool). */
export function poolOverlaps(pool: PoolShape, others: readonly PoolShape[]): Array<{ other: string; range: string }> {
  const mine = wholeRanges(pool);
  const found: Array<{ other: string; range: string }> = [];
  for (const other of others) {
    const name = other.metadata?.name ?? '';
    if (name === pool.metadata?.name) continue;
    const hit = wholeRanges(other).flatMap((b) => mine.filter((a) => overlaps(a, b)).map((a) => [a, b] as const))[0];
    if (!hit) continue;
    const [a, b] = hit;
    const first = a.first > b.first ? a.first : b.first;
    const last = a.last < b.last ? a.last : b.last;
    const range =
      first === last
        ? formatAddress(a.family, first)
        : `${formatAddress(a.family, first)}-${formatAddress(a.family, last)}`;
    found.push({ other: name, range });
  }
  return found;
}

function wholeRanges(pool: PoolShape) {
  const parsed = parsePoolBlocks(pool.spec?.blocks ?? pool.spec?.cidrs ?? [], pool.spec?.allowFirstLastIPs ?? false);
  return parsed.kind === 'ok' ? parsed.blocks.map((b) => b.whole) : [];
}
