// Creates or updates lanlb's CRDs and waits until the apiserver serves them. Updating matters:
// an installer that only creates leaves an old schema in place after an upgrade.
import { customResourceDefinitions } from '../../generated/crds.js';
import { isNotFound } from '../runtime/ports/api-error.js';
import type { KubeHttp } from './http.js';

const CRD_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

interface CrdObject {
  metadata: { name: string; resourceVersion?: string };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

export async function installCrds(http: KubeHttp, timeoutMs = 30_000): Promise<string[]> {
  const names: string[] = [];
  for (const crd of customResourceDefinitions) {
    const desired = JSON.parse(JSON.stringify(crd)) as CrdObject;
    const name = desired.metadata.name;
    names.push(name);
    try {
      const current = await http.get<CrdObject>(`${CRD_PATH}/${name}`);
      desired.metadata.resourceVersion = current.metadata.resourceVersion;
      await http.put(`${CRD_PATH}/${name}`, desired);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await http.post(CRD_PATH, desired);
    }
  }
  await Promise.all(names.map((n) => waitEstablished(http, n, timeoutMs)));
  return names;
}

async function waitEstablished(http: KubeHttp, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const crd = await http.get<CrdObject>(`${CRD_PATH}/${name}`);
    if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`CRD ${name} not Established after ${timeoutMs} ms`);
}
