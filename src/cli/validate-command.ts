// `lanlb validate FILE...|-`: offline check of manifests with the same schemas and rules as the
// admission webhook. Prints file: object: field: message, one per line; exit 1 on any problem.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { isLanlbObject, validateObject } from '../validate/validate-objects.js';
import { UsageError } from './process-flags.js';

export const validateHelp = `Usage: lanlb validate FILE... | -

Checks lanlb manifests (LoadBalancerIPPool, L2AnnouncementPolicy; v1beta1 and v1alpha1) against
the CRD schemas and the rules the admission webhook applies: valid CIDRs and ranges of one
family with start <= stop, no overlapping blocks in a pool, selectors that parse, interface
expressions that compile. Other kinds in the files are skipped. Reads standard input for "-".
Output: one line per problem, "FILE: KIND/NAME: FIELD: MESSAGE"; exit 1 when there is any.
`;

export function validateText(text: string, file: string): { lines: string[]; checked: number } {
  const lines: string[] = [];
  let checked = 0;
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) {
      lines.push(`${file}: YAML: ${doc.errors[0]?.message.split('\n')[0]}`);
      continue;
    }
    const o = doc.toJS() as unknown;
    if (!isLanlbObject(o)) continue;
    checked++;
    for (const p of validateObject(o)) lines.push(`${file}: ${p.object}: ${p.path}: ${p.message}`);
  }
  return { lines, checked };
}

export async function validateCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(validateHelp);
    return 0;
  }
  if (argv.length === 0) throw new UsageError('give at least one FILE, or - for standard input');
  let problems = 0;
  let checked = 0;
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
    for (const l of r.lines) console.log(l);
  }
  console.error(`${checked} lanlb object(s) checked, ${problems} problem(s)`);
  return problems ? 1 : 0;
}
