// docs/reference.md: every field of every served version, from the CRD schemas themselves, so
// the reference cannot drift from what the apiserver enforces.
import { FALLBACK_ANNOTATIONS, SERVICE_ANNOTATION_REFERENCE } from '../../src/reconcile/annotations.js';
import type { CrdKind, JsonSchema } from './crd-source.js';

function rows(schema: JsonSchema, path: string, required: string[], out: string[]): void {
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  for (const [name, sub] of Object.entries(props)) {
    if (path === '' && (name === 'apiVersion' || name === 'kind' || name === 'metadata')) continue;
    const p = path ? `${path}.${name}` : name;
    const items = sub.items as JsonSchema | undefined;
    const type = sub.type === 'array' ? `[]${String(items?.type ?? 'object')}` : String(sub.type ?? 'object');
    const notes = [
      required.includes(name) ? 'required' : '',
      sub.default !== undefined ? `default \`${JSON.stringify(sub.default)}\`` : '',
      sub.format ? `format ${String(sub.format)}` : '',
      sub.enum ? `one of ${(sub.enum as string[]).map((e) => `\`${e}\``).join(', ')}` : '',
      sub.minItems !== undefined ? `at least ${String(sub.minItems)}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    const desc = String(sub.description ?? '')
      .replace(/\s+/g, ' ')
      .replace(/\|/g, '\\|');
    out.push(`| \`${p}\` | ${type} | ${notes} | ${desc} |`);
    const nextRequired = (sub.required ?? []) as string[];
    if (sub.type === 'object' && sub.properties) rows(sub, p, nextRequired, out);
    if (sub.type === 'array' && items?.properties) rows(items, `${p}[]`, (items.required ?? []) as string[], out);
  }
}

/** Service annotations, from the one table the controller's code documents them in. */
function annotationReference(): string[] {
  const out = [
    '## Service annotations',
    '',
    "Set on a Service of `type: LoadBalancer`. MetalLB's and Cilium's annotations are read when lanlb's is",
    'absent, so Services keep their addresses across a migration; each use is reported with a deprecation Event.',
    '',
    '| annotation | example | meaning | also read (deprecated) |',
    '|---|---|---|---|',
  ];
  for (const a of SERVICE_ANNOTATION_REFERENCE) {
    const fallbacks = (FALLBACK_ANNOTATIONS[a.name] ?? []).map((f) => `\`${f}\``).join(', ');
    out.push(`| \`${a.name}\` | \`${a.example}\` | ${a.meaning} | ${fallbacks} |`);
  }
  return [...out, ''];
}

export function fieldReference(crds: CrdKind[]): string {
  const out = [
    '# Field reference',
    '',
    'Generated from `crds/` and the Service annotations the controller reads, by `npm run codegen`. Do not',
    'edit: change the CRD descriptions or the annotation table instead.',
    '',
  ];
  for (const c of crds) {
    for (const v of c.versions) {
      out.push(`## ${c.kind} (${c.group}/${v.name}${v.storage ? ', storage version' : ', deprecated'})`, '');
      out.push(
        `Plural \`${c.plural}\`, short names ${c.shortNames.map((s) => `\`${s}\``).join(', ')}; cluster-scoped.`,
        '',
      );
      out.push('| field | type | constraints | description |', '|---|---|---|---|');
      rows(v.schema, '', (v.schema.required ?? []) as string[], out);
      out.push('');
    }
  }
  out.push(...annotationReference());
  return `${out.join('\n').trimEnd()}\n`;
}
