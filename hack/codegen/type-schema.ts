// Turns a CRD's structural schema into the schema json-schema-to-typescript should type.
// Validation-only branches (anyOf/oneOf that only add `format` or `required`) say nothing about
// the TypeScript shape, and objects without additionalProperties are closed (the apiserver prunes
// unknown fields), so they get additionalProperties: false.
import type { JsonSchema } from './crd-source.js';

const validationOnlyKeys = new Set(['format', 'required', 'pattern', 'minLength', 'maxLength']);

function isValidationOnly(branches: unknown): boolean {
  return (
    Array.isArray(branches) &&
    branches.every((b) => typeof b === 'object' && b !== null && Object.keys(b).every((k) => validationOnlyKeys.has(k)))
  );
}

export function toTypeSchema(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith('x-kubernetes-')) continue;
    if ((key === 'anyOf' || key === 'oneOf') && isValidationOnly(value)) continue;
    if (key === 'properties' && typeof value === 'object' && value !== null) {
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, JsonSchema>).map(([name, sub]) => [name, toTypeSchema(sub)]),
      );
    } else if ((key === 'items' || key === 'additionalProperties') && typeof value === 'object' && value !== null) {
      out[key] = toTypeSchema(value as JsonSchema);
    } else {
      out[key] = value;
    }
  }
  if (out.type === 'object' && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}
