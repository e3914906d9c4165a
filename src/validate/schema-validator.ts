// Validation against the CRDs' own openAPIV3Schema with ajv, the same schemas the apiserver
// applies: formats (ipv4, ipv6, cidr, date-time), enums, required, minItems, oneOf/anyOf.
// Kubernetes-specific keywords (x-kubernetes-*) are registered as annotations.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { customResourceDefinitions } from '../../generated/crds.js';
import { parseCidr } from '../ipam/cidr.js';

// ajv-formats is CommonJS with a default export; under NodeNext its default may be nested.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv,
) => Ajv;

const K8S_KEYWORDS = [
  'x-kubernetes-map-type',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-validations',
];

export interface SchemaProblem {
  path: string;
  message: string;
}

function makeAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  ajv.addFormat('cidr', { type: 'string', validate: (s: string) => parseCidr(s) !== undefined });
  for (const keyword of K8S_KEYWORDS) ajv.addKeyword({ keyword });
  return ajv;
}

export class SchemaValidator {
  /** "group/version/Kind" -> compiled schema */
  private readonly validators = new Map<string, ValidateFunction>();

  constructor() {
    const ajv = makeAjv();
    for (const crd of customResourceDefinitions) {
      for (const v of crd.spec.versions) {
        const schema = closeObjects(
          JSON.parse(JSON.stringify(v.schema.openAPIV3Schema)) as Record<string, unknown>,
          true,
        );
        this.validators.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, ajv.compile(schema));
      }
    }
  }

  knows(apiVersion: string, kind: string): boolean {
    return this.validators.has(`${apiVersion}/${kind}`);
  }

  validate(apiVersion: string, kind: string, obj: unknown): SchemaProblem[] {
    const v = this.validators.get(`${apiVersion}/${kind}`);
    if (!v) return [{ path: 'apiVersion', message: `${apiVersion} ${kind} is not a kind or version lanlb serves` }];
    if (v(obj)) return [];
    return simplify(v.errors ?? []);
  }
}

/**
 * The apiserver silently drops fields a structural schema does not name; for an offline check a
 * dropped field is a typo to report, so every object with properties gets additionalProperties
 * false (metadata excepted: ObjectMeta is not spelled out in CRD schemas).
 */
function closeObjects(schema: Record<string, unknown>, root = false): Record<string, unknown> {
  const props = schema.properties as Record<string, Record<string, unknown>> | undefined;
  if (props) {
    for (const [name, sub] of Object.entries(props)) if (!(root && name === 'metadata')) closeObjects(sub);
    if (schema.additionalProperties === undefined) schema.additionalProperties = false;
  }
  const items = schema.items as Record<string, unknown> | undefined;
  if (items && typeof items === 'object') closeObjects(items);
  return schema;
}

/** ajv reports every failed branch of oneOf/anyOf; keep what a user can act on. */
function simplify(errors: ErrorObject[]): SchemaProblem[] {
  const out = new Map<string, SchemaProblem>();
  for (const e of errors) {
    const path =
      e.instancePath
        .replace(/^\//, '')
        .replace(/\/(\d+)(?=\/|$)/g, '[$1]')
        .replace(/\//g, '.') || '(root)';
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'oneOf' && path.includes('blocks'))
      message = 'a block needs either cidr, or both start and stop (not both forms)';
    else if (e.keyword === 'anyOf') message = 'must be an IPv4 or IPv6 address';
    else if (e.keyword === 'required' && path.match(/blocks\[\d+\]$/))
      continue; // reported by the oneOf message
    else if (e.keyword === 'format' && path.match(/\.(start|stop)$/))
      continue; // reported by the anyOf message
    else if (e.keyword === 'format') message = `must be a valid ${String((e.params as { format?: string }).format)}`;
    else if (e.keyword === 'enum')
      message = `must be one of ${((e.params as { allowedValues?: unknown[] }).allowedValues ?? []).join(', ')}`;
    else if (e.keyword === 'additionalProperties')
      message =
        `has an unknown field ${String((e.params as { additionalProperty?: string }).additionalProperty)} ` +
        `(the apiserver would drop it)`;
    const key = `${path}|${message}`;
    if (!out.has(key)) out.set(key, { path, message });
  }
  return [...out.values()];
}
