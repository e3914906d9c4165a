// One pool as the allocator holds it: parsed blocks with a RangeSet each, its selector, and
// whether it may hand out addresses (valid, not conflicting, not disabled).
import { type Family } from './address.js';
import { parsePoolBlocks, totalAddresses, type BlockSpec, type UsableBlock } from './pool-blocks.js';
import { parseLabelSelector, type LabelSelector, type LabelSelectorSpec } from './label-selector.js';
import { RangeSet } from './range-set.js';
import type { Conflict } from './conflicts.js';

export interface PoolDefinition {
  name: string;
  /** creationTimestamp in ms: the older of two overlapping pools wins */
  createdAt: number;
  blocks: readonly BlockSpec[];
  serviceSelector?: LabelSelectorSpec;
  disabled?: boolean;
  allowFirstLastIPs?: boolean;
  /** default true; false: addresses only for Services that ask for them (by address or by naming the pool) */
  autoAssign?: boolean;
}

export type PoolProblem = { reason: 'InvalidBlocks' | 'InvalidSelector'; message: string };

export class LivePool {
  readonly blocks: UsableBlock[];
  /** block index -> the addresses held in it */
  readonly sets: RangeSet[];
  readonly selector: LabelSelector | undefined;
  readonly problem: PoolProblem | undefined;
  conflict: Conflict | undefined;

  constructor(readonly def: PoolDefinition) {
    const parsed = parsePoolBlocks(def.blocks, def.allowFirstLastIPs ?? false);
    const sel = parseLabelSelector(def.serviceSelector);
    this.blocks = parsed.kind === 'ok' ? parsed.blocks : [];
    this.sets = this.blocks.map((b) => new RangeSet(b.first, b.last));
    this.selector = sel.kind === 'ok' ? sel.selector : undefined;
    this.problem =
      parsed.kind === 'invalid'
        ? { reason: 'InvalidBlocks', message: parsed.message }
        : sel.kind === 'invalid'
          ? { reason: 'InvalidSelector', message: `serviceSelector: ${sel.message}` }
          : undefined;
  }

  get name(): string {
    return this.def.name;
  }

  /**
   * Valid: its allocations stand. A conflicting or disabled pool keeps what its Services hold
   * (docs/contract.md: a conflict never moves an address); it only stops making new allocations.
   */
  get holds(): boolean {
    return this.problem === undefined;
  }

  /** May hand out new addresses: valid, not conflicting, not disabled. */
  get allocates(): boolean {
    return this.holds && this.conflict === undefined && !this.def.disabled;
  }

  /**
   * May give an address to a Service that did not ask for one of its addresses: autoAssign, or the
   * Service names this pool (lanlb.io/pool). A requested address is given by any pool that allocates.
   */
  autoAssignsTo(pinnedPool: string | undefined): boolean {
    return this.def.autoAssign !== false || pinnedPool === this.name;
  }

  selects(labels: Readonly<Record<string, string>>): boolean {
    return this.selector?.matches(labels) ?? false;
  }

  hasFamily(family: Family): boolean {
    return this.blocks.some((b) => b.family === family);
  }

  setFor(family: Family, value: bigint): RangeSet | undefined {
    const i = this.blocks.findIndex((b) => b.family === family && b.first <= value && value <= b.last);
    return i < 0 ? undefined : this.sets[i];
  }

  /** Lowest free address of `family`, blocks in address order. */
  allocate(family: Family): bigint | undefined {
    for (let i = 0; i < this.blocks.length; i++) {
      if (this.blocks[i]?.family !== family) continue;
      const v = this.sets[i]?.lowestFree();
      if (v !== undefined) return v;
    }
    return undefined;
  }

  get total(): bigint {
    return totalAddresses(this.blocks);
  }

  get used(): bigint {
    return this.sets.reduce((n, s) => n + s.used, 0n);
  }

  get available(): bigint {
    return this.allocates ? this.total - this.used : 0n;
  }
}
