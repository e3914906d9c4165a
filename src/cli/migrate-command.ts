// `lanlb migrate FILE...|-`: MetalLB and Cilium manifests in, lanlb manifests out (stdout), and
// what could not be carried over (stderr, and as comments in the output).
import { readFileSync } from 'node:fs';
import { parseAllDocuments, stringify } from 'yaml';
import { isMetallb, migrateMetallb } from '../migrate/metallb.js';
import { isCilium, migrateCilium } from '../migrate/cilium.js';
import type { Migration } from '../migrate/types.js';
import { UsageError } from './process-flags.js';

export const migrateHelp = `Usage: lanlb migrate FILE... | -

Converts MetalLB (IPAddressPool, L2Advertisement, and the legacy ConfigMap "config" in
metallb-system) and Cilium (CiliumLoadBalancerIPPool v2alpha1/v2, CiliumL2AnnouncementPolicy)
manifests into lanlb LoadBalancerIPPool and L2AnnouncementPolicy manifests on standard output.
What cannot be carried over is reported on standard error and as comments in the output.
Services keep their addresses: the controller reads MetalLB's and Cilium's Service annotations
(metallb.universe.tf/*, metallb.io/*, lbipam.cilium.io/*) as deprecated fallbacks.
`;

export function migrateText(text: string): Migration {
  const docs = parseAllDocuments(text)
    .map((d) => d.toJS() as Record<string, unknown> | null)
    .filter((d): d is Record<string, unknown> => d !== null);
  const m = migrateMetallb(docs.filter((d) => isMetallb(d)));
  const c = migrateCilium(docs.filter((d) => isCilium(d)));
  return { objects: [...m.objects, ...c.objects], notes: [...m.notes, ...c.notes] };
}

export async function migrateCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(migrateHelp);
    return 0;
  }
  if (argv.length === 0) throw new UsageError('give at least one FILE, or - for standard input');
  const text = argv.map((f) => readFileSync(f === '-' ? 0 : f, 'utf8')).join('\n---\n');
  const { objects, notes } = migrateText(text);
  const out: string[] = [];
  if (notes.length) out.push(notes.map((n) => `# not carried over: ${n.source}: ${n.message}`).join('\n'));
  for (const o of objects) out.push(stringify(o).trimEnd());
  process.stdout.write(`${out.join('\n---\n')}\n`);
  for (const n of notes) console.error(`lanlb migrate: ${n.source}: ${n.message}`);
  console.error(`lanlb migrate: ${objects.length} object(s) written, ${notes.length} note(s)`);
  return objects.length ? 0 : 1;
}
