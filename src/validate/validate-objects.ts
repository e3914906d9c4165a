// One entry point for "is this lanlb object valid": schema first, then semantic rules.
import { SchemaValidator, type SchemaProblem } from './schema-validator.js';
import { policyProblems, poolProblems } from './semantic-rules.js';

export interface ObjectProblem extends SchemaProblem {
  object: string;
}

let shared: SchemaValidator | undefined;
const validator = (): SchemaValidator => (shared ??= new SchemaValidator());

export const LANLB_GROUP = 'lanlb.io';

export function isLanlbObject(o: unknown): o is { apiVersion: string; kind: string; metadata?: { name?: string } } {
  return (
    typeof o === 'object' &&
    o !== null &&
    typeof (o as { apiVersion?: unknown }).apiVersion === 'string' &&
    (o as { apiVersion: string }).apiVersion.startsWith(`${LANLB_GROUP}/`)
  );
}

export function validateObject(o: { apiVersion: string; kind: string; metadata?: { name?: string } }): ObjectProblem[] {
  const object = `${o.kind}/${o.metadata?.name ?? '(unnamed)'}`;
  const problems: SchemaProblem[] = [];
  if (!o.metadata?.name) problems.push({ path: 'metadata.name', message: 'is required' });
  const schema = validator().validate(o.apiVersion, o.kind, o);
  problems.push(...schema);
  if (schema.length === 0) {
    if (o.kind === 'LoadBalancerIPPool') problems.push(...poolProblems(o as never));
    if (o.kind === 'L2AnnouncementPolicy') problems.push(...policyProblems(o as never));
  }
  return problems.map((p) => ({ ...p, object }));
}
