// Creates the objects of a multi-document YAML manifest (the kinds lanlb's samples use). Not a
// general `kubectl apply`: existing objects are left as they are.
import { parseAllDocuments } from 'yaml';
import type { KubeHttp } from './http.js';
import { allKinds } from '../../generated/index.js';

interface Manifest {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
}

/** Core kinds by hand; lanlb's own from the generated registry (one home for their plurals). */
const plural: Record<string, string> = {
  Namespace: 'namespaces',
  Service: 'services',
  Node: 'nodes',
  ValidatingWebhookConfiguration: 'validatingwebhookconfigurations',
  ...Object.fromEntries(allKinds.map((k) => [k.kind, k.plural])),
};
const namespaced = new Set(['Service', ...allKinds.filter((k) => k.scope === 'Namespaced').map((k) => k.kind)]);

export function collectionPath(m: Manifest): string {
  const kind = m.kind ?? '';
  const res = plural[kind];
  if (!res || !m.apiVersion)
    throw new Error(`cannot create ${kind || 'an object without kind'}: not a kind this applier knows`);
  const base = m.apiVersion === 'v1' ? '/api/v1' : `/apis/${m.apiVersion}`;
  return namespaced.has(kind) ? `${base}/namespaces/${m.metadata?.namespace ?? 'default'}/${res}` : `${base}/${res}`;
}

export async function createFromYaml(http: KubeHttp, text: string): Promise<string[]> {
  const created: string[] = [];
  for (const doc of parseAllDocuments(text)) {
    const m = doc.toJS() as Manifest | null;
    if (!m) continue;
    try {
      await http.post(collectionPath(m), m);
      created.push(`${m.kind}/${m.metadata?.name}`);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 409) throw err;
    }
  }
  return created;
}
