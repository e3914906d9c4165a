// metav1.LabelSelector, parsed once and matched many times. Parsing reports what Kubernetes'
// LabelSelectorAsSelector would reject, so a bad selector becomes a status condition, not a crash.

export interface LabelSelectorSpec {
  matchLabels?: Record<string, string | undefined>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

type Requirement =
  | { key: string; op: 'In' | 'NotIn'; values: Set<string> }
  | { key: string; op: 'Exists' | 'DoesNotExist' };

export interface LabelSelector {
  /** true for an absent selector: it selects everything */
  readonly everything: boolean;
  matches(labels: Readonly<Record<string, string | undefined>>): boolean;
}

export type SelectorParse = { kind: 'ok'; selector: LabelSelector } | { kind: 'invalid'; message: string };

/** The virtual labels every Service carries for pool and policy selectors (docs/contract.md). */
export const SERVICE_NAMESPACE_LABEL = 'io.kubernetes.service.namespace';
export const SERVICE_NAME_LABEL = 'io.kubernetes.service.name';

export function serviceLabels(
  namespace: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return { ...labels, [SERVICE_NAMESPACE_LABEL]: namespace, [SERVICE_NAME_LABEL]: name };
}

// Label keys: optional DNS-subdomain prefix and a name of up to 63 characters.
const NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const VALUE = /^(([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?)$/;

function keyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !PREFIX.test(prefix)))
    return `label key ${JSON.stringify(key)} has an invalid prefix`;
  if (!NAME.test(name)) return `label key ${JSON.stringify(key)} is not a valid label name`;
  return undefined;
}

export function parseLabelSelector(spec: LabelSelectorSpec | undefined): SelectorParse {
  if (spec === undefined) return { kind: 'ok', selector: { everything: true, matches: () => true } };
  const reqs: Requirement[] = [];
  for (const [key, value] of Object.entries(spec.matchLabels ?? {})) {
    const problem =
      keyProblem(key) ??
      (VALUE.test(value ?? '') ? undefined : `label value ${JSON.stringify(value)} for ${key} is invalid`);
    if (problem) return { kind: 'invalid', message: problem };
    reqs.push({ key, op: 'In', values: new Set([value ?? '']) });
  }
  for (const e of spec.matchExpressions ?? []) {
    const problem = keyProblem(e.key);
    if (problem) return { kind: 'invalid', message: problem };
    const values = e.values ?? [];
    if (e.operator === 'In' || e.operator === 'NotIn') {
      if (values.length === 0) return { kind: 'invalid', message: `${e.key} ${e.operator}: values must not be empty` };
      reqs.push({ key: e.key, op: e.operator, values: new Set(values) });
    } else if (e.operator === 'Exists' || e.operator === 'DoesNotExist') {
      if (values.length) return { kind: 'invalid', message: `${e.key} ${e.operator}: values must be empty` };
      reqs.push({ key: e.key, op: e.operator });
    } else {
      return {
        kind: 'invalid',
        message: `${e.key}: unknown operator ${JSON.stringify(e.operator)} (In, NotIn, Exists, DoesNotExist)`,
      };
    }
  }
  const matches = (labels: Readonly<Record<string, string | undefined>>): boolean =>
    reqs.every((r) => {
      const v = labels[r.key];
      switch (r.op) {
        case 'In':
          return v !== undefined && r.values.has(v);
        case 'NotIn':
          return v === undefined || !r.values.has(v);
        case 'Exists':
          return v !== undefined;
        case 'DoesNotExist':
          return v === undefined;
      }
      return false;
    });
  return { kind: 'ok', selector: { everything: reqs.length === 0, matches } };
}
