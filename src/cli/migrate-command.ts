// `lanlb migrate FILE...|-`: MetalLB and Cilium manifests in, lanlb manifests out (stdout), and
// what could not be carried over (stderr, and as comments in the output).
import { readFileSync } from 'node:fs';
import { parseAllDocuments, stringify } from 'yaml';
import { isMetallb, migrateMetallb } from '../migrate/metallb.js';
import { isCilium, migrateCilium } from '../migrate/cilium.js';
import type { Migration } from '../migrate/types.js';
import { UsageError } from './process-flags.js';
import { refuseFlags } from './validate-command.js';

export const migrateHelp = `Usage: lanlb migrate FILE... | -

Converts MetalLB (IPAddressPool, L2Advertisement, and the legacy ConfigMap "config" in
metallb-system) and Cilium (CiliumLoadBalancerIPPool v2alpha1/v2, CiliumL2AnnouncementPolicy)
manifests into lanlb LoadBalancerIPPool and L2AnnouncementPolicy manifests on standard output.
What cannot be carried over is reported on standard error and as comments in the output.
Services keep their addresses: the controller reads MetalLB's and Cilium's Service annotations
(metallb.universe.tf/*, metallb.io/*, lbipam.cilium.io/*) as deprecated fallbacks.

Exit codes (so a CI job can stop on an incomplete migration):
  0  everything was carried over
  1  nothing written: a file cannot be read or is not valid YAML (reported as FILE:LINE:COLUMN),
     or it holds no MetalLB or Cilium object
  2  usage error (no FILE, an unknown flag)
  3  written, but something was not carried over (BGP, priorities, autoAssign: false, ...):
     read the notes before applying
`;

/** Exit code: objects written, but some of the input was not carried over. */
export const EXIT_NOT_CARRIED_OVER = 3;

export function migrateText(text: string): Migration {
  return migrateDocs(parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown> | null));
}

function migrateDocs(all: Array<Record<string, unknown> | null>): Migration {
  const docs = all.filter((d): d is Record<string, unknown> => d !== null);
  const m = migrateMetallb(docs.filter((d) => isMetallb(d)));
  const c = migrateCilium(docs.filter((d) => isCilium(d)));
  return { objects: [...m.objects, ...c.objects], notes: [...m.notes, ...c.notes] };
}

/** Every document of every file, or the first reason a file cannot be used ("FILE:LINE:COL: ..."). */
export function readDocuments(
  files: ReadonlyArray<{ name: string; text: string }>,
): { ok: true; docs: Array<Record<string, unknown> | null> } | { ok: false; error: string } {
  const docs: Array<Record<string, unknown> | null> = [];
  for (const f of files) {
    for (const doc of parseAllDocuments(f.text, { prettyErrors: true })) {
      const err = doc.errors[0];
      if (err) {
        const [line, col] = [err.linePos?.[0]?.line, err.linePos?.[0]?.col];
        return { ok: false, error: `${f.name}:${line ?? '?'}:${col ?? '?'}: ${err.message.split('\n')[0]}` };
      }
      docs.push(doc.toJS() as Record<string, unknown> | null);
    }
  }
  return { ok: true, docs };
}

export async function migrateCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(migrateHelp);
    return 0;
  }
  if (argv.length === 0) throw new UsageError('give at least one FILE, or - for standard input');
  refuseFlags(argv);
  const files: Array<{ name: string; text: string }> = [];
  for (const f of argv) {
    const name = f === '-' ? '<stdin>' : f;
    try {
      files.push({ name, text: readFileSync(f === '-' ? 0 : f, 'utf8') });
    } catch (err) {
      console.error(`lanlb migrate: ${name}: cannot read: ${(err as Error).message}`);
      return 1;
    }
  }
  const read = readDocuments(files);
  if (!read.ok) {
    console.error(`lanlb migrate: ${read.error}`);
    return 1;
  }
  return writeMigration(migrateDocs(read.docs));
}

function writeMigration({ objects, notes }: Migration): number {
  const out: string[] = [];
  if (notes.length) out.push(notes.map((n) => `# not carried over: ${n.source}: ${n.message}`).join('\n'));
  for (const o of objects) out.push(stringify(o).trimEnd());
  if (objects.length) process.stdout.write(`${out.join('\n---\n')}\n`);
  for (const n of notes) console.error(`lanlb migrate: ${n.source}: ${n.message}`);
  console.error(`lanlb migrate: ${objects.length} object(s) written, ${notes.length} note(s)`);
  if (objects.length === 0) {
    console.error('lanlb migrate: no MetalLB or Cilium object found in the input');
    return 1;
  }
  return notes.length ? EXIT_NOT_CARRIED_OVER : 0;
}
