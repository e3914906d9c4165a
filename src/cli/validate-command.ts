// `lanlb validate FILE...|-`: offline check of manifests with the same schemas and rules as the
// admission webhook. Prints file: object: field: message, one per line; exit 1 on any problem.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { isLanlbObject, validateObject } from '../validate/validate-objects.js';
import { UsageError } from './process-flags.js';
import { poolOverlaps, type PoolShape } from '../validate/pool-overlaps.js';

export const validateHelp = `Usage: lanlb validate FILE... | -

Checks lanlb manifests (LoadBalancerIPPool, L2AnnouncementPolicy; v1beta1 and v1alpha1) against
the CRD schemas and the rules the admission webhook applies: valid CIDRs and ranges of one
family with start <= stop, no overlapping blocks in a pool, selectors that parse, interface
expressions that compile, no /0 block and no unspecified, loopback, link-local, multicast or
reserved addresses. Other kinds in the files are skipped. Reads standard input for "-".
Output: one line per problem, "FILE: KIND/NAME: FIELD: MESSAGE"; exit 1 when there is any.
Pools that overlap each other (across all the files) are reported as "warning:" lines; they do
not change the exit code, as the cluster admits them (the newer one is Conflicting).

Exit codes:
  0  every lanlb object is valid (warnings allowed)
  1  at least one problem, or a file that cannot be read or parsed
  2  usage error (no FILE, an unknown flag)
`;

export interface ValidatedText {
  lines: string[];
  checked: number;
  /** valid pools, for the overlap check across all files */
  pools: Array<{ file: string; pool: PoolShape }>;
}

export function validateText(text: string, file: string): ValidatedText {
  const lines: string[] = [];
  const pools: ValidatedText['pools'] = [];
  let checked = 0;
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) {
      lines.push(`${file}: YAML: ${doc.errors[0]?.message.split('\n')[0]}`);
      continue;
    }
    const o = doc.toJS() as unknown;
    if (!isLanlbObject(o)) continue;
    checked++;
    const problems = validateObject(o);
    for (const p of problems) lines.push(`${file}: ${p.object}: ${p.path}: ${p.message}`);
    if (problems.length === 0 && o.kind === 'LoadBalancerIPPool') pools.push({ file, pool: o as PoolShape });
  }
  return { lines, checked, pools };
}

/**
 * Overlaps between the pools of all files, each pair once. Warnings, not problems: the cluster
 * admits overlapping pools (the newer is Conflicting), but a GitOps repo rarely means it.
 */
export function overlapWarnings(pools: ValidatedText['pools']): string[] {
  const lines: string[] = [];
  pools.forEach(({ file, pool }, i) => {
    const later = pools.slice(i + 1);
    for (const o of poolOverlaps(
      pool,
      later.map((p) => p.pool),
    )) {
      const where = later.find((p) => p.pool.metadata?.name === o.other)?.file ?? '';
      const name = pool.metadata?.name ?? '';
      lines.push(
        `${file}: LoadBalancerIPPool/${name}: spec.blocks: warning: overlaps pool ${o.other} (${where}) at ${o.range}`,
      );
    }
  });
  return lines;
}

/**
 * validate and migrate take file names only: anything else that starts with "-" is a flag they do
 * not know (a file named so can be given as ./-name), never silently read as a file.
 */
export function refuseFlags(argv: readonly string[]): void {
  const flag = argv.find((a) => a.startsWith('-') && a !== '-');
  if (flag !== undefined) throw new UsageError(`unknown flag ${flag} (a file whose name starts with "-": ./${flag})`);
}

export async function validateCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(validateHelp);
    return 0;
  }
  if (argv.length === 0) throw new UsageError('give at least one FILE, or - for standard input');
  refuseFlags(argv);
  let problems = 0;
  let checked = 0;
  const pools: ValidatedText['pools'] = [];
  for (const file of argv) {
    let text: string;
    try {
      text = readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (err) {
      console.log(`${file}: cannot read: ${(err as Error).message}`);
      problems++;
      continue;
    }
    const r = validateText(text, file === '-' ? '<stdin>' : file);
    checked += r.checked;
    problems += r.lines.length;
    pools.push(...r.pools);
    for (const l of r.lines) console.log(l);
  }
  for (const l of overlapWarnings(pools)) console.log(l);
  console.error(`${checked} lanlb object(s) checked, ${problems} problem(s)`);
  return problems ? 1 : 0;
}
