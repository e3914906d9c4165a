// Rules a schema cannot say, shared by the admission webhook, `lanlb validate` and the
// controller's status conditions: CIDRs and ranges of one family with start <= stop, no overlap
// inside a pool, selectors that parse, regular expressions that compile.
import { parseBlock, parsePoolBlocks, type BlockSpec } from '../ipam/pool-blocks.js';
import { announceIntervalProblem } from '../core/policy-selection.js';
import { parseLabelSelector, type LabelSelectorSpec } from '../ipam/label-selector.js';
import type { SchemaProblem } from './schema-validator.js';

interface PoolLike {
  spec?: {
    blocks?: BlockSpec[];
    cidrs?: BlockSpec[];
    serviceSelector?: LabelSelectorSpec;
    allowFirstLastIPs?: boolean;
  };
}

interface PolicyLike {
  spec?: {
    serviceSelector?: LabelSelectorSpec;
    nodeSelector?: LabelSelectorSpec;
    poolSelector?: LabelSelectorSpec;
    interfaces?: string[];
    interface?: string;
    announceInterval?: string;
  };
}

export function poolProblems(pool: PoolLike): SchemaProblem[] {
  const field = pool.spec?.blocks ? 'blocks' : 'cidrs';
  const blocks = pool.spec?.blocks ?? pool.spec?.cidrs ?? [];
  const problems: SchemaProblem[] = [];
  blocks.forEach((b, i) => {
    const r = parseBlock(b, true);
    if (r.kind === 'invalid') problems.push({ path: `spec.${field}[${i}]`, message: r.message });
  });
  if (problems.length === 0 && blocks.length) {
    const all = parsePoolBlocks(blocks, pool.spec?.allowFirstLastIPs ?? false);
    if (all.kind === 'invalid') problems.push({ path: `spec.${field}`, message: all.message });
  }
  const sel = parseLabelSelector(pool.spec?.serviceSelector);
  if (sel.kind === 'invalid') problems.push({ path: 'spec.serviceSelector', message: sel.message });
  return problems;
}

export function policyProblems(policy: PolicyLike): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  for (const field of ['serviceSelector', 'nodeSelector', 'poolSelector'] as const) {
    const sel = parseLabelSelector(policy.spec?.[field]);
    if (sel.kind === 'invalid') problems.push({ path: `spec.${field}`, message: sel.message });
  }
  const exprs = policy.spec?.interfaces ?? (policy.spec?.interface !== undefined ? [policy.spec.interface] : []);
  exprs.forEach((e, i) => {
    try {
      new RegExp(e);
    } catch (err) {
      const path = policy.spec?.interfaces ? `spec.interfaces[${i}]` : 'spec.interface';
      problems.push({
        path,
        message: `${JSON.stringify(e)} is not a valid regular expression: ${(err as Error).message}`,
      });
    }
  });
  const interval = announceIntervalProblem(policy.spec?.announceInterval);
  if (interval) problems.push({ path: 'spec.announceInterval', message: interval.message });
  return problems;
}
