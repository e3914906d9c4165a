// A pool's blocks, parsed and checked: each block becomes the range of addresses it may hand out.
// The first/last rule (docs/contract.md): unless allowFirstLastIPs, a `cidr` block does not hand out its
// first (network) and last (broadcast) address; /31, /32, /127 and /128 blocks, and start/stop
// ranges, hand out every address.
import { formatAddress, MAX, parseAddress } from './address.js';
import { overlaps, parseCidr, rangeSize, type AddressRange } from './cidr.js';

export interface BlockSpec {
  cidr?: string;
  start?: string;
  stop?: string;
}

export interface UsableBlock extends AddressRange {
  /** the block as the user wrote it, for messages */
  source: string;
  /** the whole block, first/last addresses included: overlaps are judged on it */
  whole: AddressRange;
}

export type BlockParse = { kind: 'ok'; block: UsableBlock } | { kind: 'invalid'; message: string };

export function parseBlock(spec: BlockSpec, allowFirstLastIPs: boolean): BlockParse {
  if (spec.cidr !== undefined) {
    if (spec.start !== undefined || spec.stop !== undefined)
      return invalid(`block ${spec.cidr}: give either cidr or start/stop, not both`);
    const c = parseCidr(spec.cidr);
    if (!c) return invalid(`block ${JSON.stringify(spec.cidr)} is not a valid CIDR`);
    const forbidden = forbiddenProblem(c, spec.cidr);
    if (forbidden) return invalid(forbidden);
    const wholeBlock = c.family === 4 ? c.prefix >= 31 : c.prefix >= 127;
    const trim = !allowFirstLastIPs && !wholeBlock ? 1n : 0n;
    return {
      kind: 'ok',
      block: {
        family: c.family,
        first: c.first + trim,
        last: c.last - trim,
        source: spec.cidr,
        whole: { family: c.family, first: c.first, last: c.last },
      },
    };
  }
  if (spec.start === undefined || spec.stop === undefined)
    return invalid('a block needs a cidr, or both start and stop');
  const start = parseAddress(spec.start);
  const stop = parseAddress(spec.stop);
  const source = `${spec.start}-${spec.stop}`;
  if (!start) return invalid(`block start ${JSON.stringify(spec.start)} is not an IP address`);
  if (!stop) return invalid(`block stop ${JSON.stringify(spec.stop)} is not an IP address`);
  if (start.family !== stop.family) return invalid(`block ${source}: start and stop are of different IP families`);
  if (start.value > stop.value) return invalid(`block ${source}: start is after stop`);
  const whole = { family: start.family, first: start.value, last: stop.value };
  const forbidden = forbiddenProblem(whole, source);
  if (forbidden) return invalid(forbidden);
  return { kind: 'ok', block: { ...whole, source, whole } };
}

/**
 * Addresses a LoadBalancer IP must never be (docs/contract.md): unspecified, loopback, link-local,
 * multicast and reserved. A block touching any of them, or covering a whole family (/0), is
 * invalid: `0.0.0.0/0` was once admitted and made every later pool Conflicting.
 */
const FORBIDDEN: ReadonlyArray<{ cidr: string; what: string }> = [
  { cidr: '0.0.0.0/8', what: 'unspecified ("this network")' },
  { cidr: '127.0.0.0/8', what: 'loopback' },
  { cidr: '169.254.0.0/16', what: 'link-local' },
  { cidr: '224.0.0.0/3', what: 'multicast and reserved' },
  { cidr: '::/128', what: 'unspecified' },
  { cidr: '::1/128', what: 'loopback' },
  { cidr: 'fe80::/10', what: 'link-local' },
  { cidr: 'ff00::/8', what: 'multicast' },
];
const FORBIDDEN_RANGES = FORBIDDEN.map((f) => ({ ...f, range: parseCidr(f.cidr) }));

/** Why a block's addresses cannot be handed out, if they cannot. */
export function forbiddenProblem(whole: AddressRange, source: string): string | undefined {
  if (whole.first === 0n && whole.last === MAX[whole.family]) return `block ${source} covers the whole address family`;
  for (const f of FORBIDDEN_RANGES) {
    if (f.range && overlaps(whole, f.range)) return `block ${source} contains ${f.what} addresses (${f.cidr})`;
  }
  return undefined;
}

function invalid(message: string): BlockParse {
  return { kind: 'invalid', message };
}

export type PoolBlocks = { kind: 'ok'; blocks: UsableBlock[] } | { kind: 'invalid'; message: string };

/** Parses every block; blocks overlapping each other make the pool invalid (InvalidBlocks). */
export function parsePoolBlocks(specs: readonly BlockSpec[], allowFirstLastIPs: boolean): PoolBlocks {
  if (specs.length === 0) return { kind: 'invalid', message: 'a pool needs at least one block' };
  const blocks: UsableBlock[] = [];
  const problems: string[] = [];
  for (const spec of specs) {
    const r = parseBlock(spec, allowFirstLastIPs);
    if (r.kind === 'ok') blocks.push(r.block);
    else problems.push(r.message);
  }
  if (problems.length) return { kind: 'invalid', message: problems.join('; ') };
  const sorted = [...blocks].sort((a, b) => a.family - b.family || cmp(a.whole.first, b.whole.first));
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1] as UsableBlock;
    const cur = sorted[i] as UsableBlock;
    if (prev.family === cur.family && cur.whole.first <= prev.whole.last) {
      return {
        kind: 'invalid',
        message: `blocks ${prev.source} and ${cur.source} overlap at ${formatAddress(cur.family, cur.whole.first)}`,
      };
    }
  }
  return { kind: 'ok', blocks: sorted.filter((b) => b.first <= b.last) };
}

export function totalAddresses(blocks: readonly UsableBlock[]): bigint {
  return blocks.reduce((n, b) => n + (b.first <= b.last ? rangeSize(b) : 0n), 0n);
}

export function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
