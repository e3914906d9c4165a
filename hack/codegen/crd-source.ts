// Reads crds/*.yaml into the facts codegen needs: kind names, group, versions and schemas.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export type JsonSchema = { [key: string]: unknown };

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema: JsonSchema;
}

export interface CrdKind {
  file: string;
  group: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  scope: 'Cluster' | 'Namespaced';
  versions: CrdVersion[];
}

interface CrdDocument {
  spec: {
    group: string;
    scope: 'Cluster' | 'Namespaced';
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames?: string[] };
    versions: Array<{ name: string; served: boolean; storage: boolean; schema: { openAPIV3Schema: JsonSchema } }>;
  };
}

export function readCrds(dir: string): CrdKind[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((file) => {
      const doc = parse(readFileSync(join(dir, file), 'utf8')) as CrdDocument;
      const { names } = doc.spec;
      return {
        file,
        group: doc.spec.group,
        kind: names.kind,
        listKind: names.listKind,
        plural: names.plural,
        singular: names.singular,
        shortNames: names.shortNames ?? [],
        scope: doc.spec.scope,
        versions: doc.spec.versions.map((v) => ({
          name: v.name,
          served: v.served,
          storage: v.storage,
          schema: v.schema.openAPIV3Schema,
        })),
      };
    });
}

export function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** "v1alpha1" -> "V1Alpha1", the casing json-schema-to-typescript gives type names. */
export function versionSuffix(version: string): string {
  return version.replace(/[a-z]+/g, (w) => cap(w));
}
